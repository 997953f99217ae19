"""The workflows from Python, without the command line: a week made and graded from a notebook."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from helpers import DATA

SCRIPT = textwrap.dedent("""
    import sys
    from pathlib import Path

    from generator import generate_week
    from grader import grade_week
    from grader.samples import exact_values, submission_csv

    root = Path(sys.argv[1])
    made = generate_week(root / "week", roster=sys.argv[2], seed="api", pdf=False)
    week = made.week
    subs = root / "subs"
    subs.mkdir()
    first = week.students[0]
    (subs / f"{first.file}.csv").write_text(submission_csv(week, first, exact_values(first)), encoding="utf-8")
    run = grade_week(root / "week", [subs], root / "results")
    assert run.book.result(first.id).percent == 100.0, run.book.result(first.id)
    assert all(r.status == "missing" for r in run.book.results[1:])
    print(len(week.students), run.outdir, "typer" in sys.modules, "rich" in sys.modules)
""")


def test_generate_week_and_grade_week_from_python_never_load_the_command_layer(tmp_path):
    roster = DATA / "example-roster.csv"
    p = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path), str(roster)], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    n, outdir, typer_loaded, rich_loaded = p.stdout.split()
    assert int(n) > 1 and (typer_loaded, rich_loaded) == ("False", "False")
    week, results = tmp_path / "week", tmp_path / "results"
    assert (week / "week.json").is_file() and len(list((week / "answers").glob("*.csv"))) == int(n)
    for name in ("grades.csv", "details.csv", "summary.txt", "canvas.csv", "moodle.csv"):
        assert (results / name).is_file(), name
    assert len(list((results / "feedback").glob("*.html"))) == int(n)
    assert not (week / "sheets").exists()  # pdf=False: no rendering


def test_bad_input_is_one_bpdrill_error_naming_the_file(tmp_path):
    import pytest

    from generator import BpdrillError, generate_week

    with pytest.raises(BpdrillError, match="missing.csv: no such file"):
        generate_week(tmp_path / "w", roster=tmp_path / "missing.csv", pdf=False)
