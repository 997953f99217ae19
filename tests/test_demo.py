"""bpdrill demo (what `make demo` runs): the whole week on built-in data."""

from __future__ import annotations

from helpers import invoke
from helpers import grades


def test_demo_runs_end_to_end_and_refuses_to_clobber(runner, tmp_path):
    out = tmp_path / "demo"
    r = invoke(runner, "demo", "--out", out, "--force", "--no-pdf")
    assert r.exit_code == 0, r.output
    g = grades(out / "results")
    statuses = [v["status"] for v in g.values()]
    assert statuses.count("graded") >= 4 and "missing" in statuses and "unreadable" in statuses
    percents = sorted(float(v["percent"]) for v in g.values() if v["status"] == "graded")
    assert percents[-1] == 100 and percents[0] < 100  # perfect ones and the typical mistake
    assert any("leading-zeros" in v["flags"] for v in g.values())
    assert len(list((out / "results" / "feedback").glob("*.html"))) == len(g)
    assert "where everything is" in r.output
    # the Excel workbook is graded like a CSV, and the Canvas `_late` resubmission is marked late
    assert g["00124"]["files"].endswith(".xlsx") and float(g["00124"]["percent"]) == 100
    assert g["00202"]["late"] == "yes" and "late" in g["00202"]["flags"]
    assert (out / "results" / "canvas.csv").is_file() and (out / "results" / "moodle.csv").is_file()
    again = invoke(runner, "demo", "--out", out)
    assert again.exit_code == 2 and "--force" in again.stderr
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "precious.txt").write_text("keep")
    refused = invoke(runner, "demo", "--out", tmp_path / "other", "--force")
    assert refused.exit_code == 2 and (tmp_path / "other" / "precious.txt").exists()
