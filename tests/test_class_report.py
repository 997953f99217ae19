"""The class report: every `grade` run writes OUTDIR/report.html and report.pdf — the score
distribution, each asked quantity's shares in the order of the chain (per section too), one line per
diagnosis code agreeing with details.csv, the flags, and a paragraph in plain words."""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from pathlib import Path

import pytest

from helpers import invoke, put

from generator.record import write_week
from generator.tolerance import round_sig
from grader.classreport import Shares, chain, class_report
from grader.samples import plantable, planted, quick_week, submission_csv

N = 16


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """A class of two sections: right work, work rounded to 2 digits, one planted mistake each
    (round robin over the mistakes that show), two students missing, one with two files."""
    from typer.testing import CliRunner

    tmp = tmp_path_factory.mktemp("report")
    week = quick_week([(f"s{k:02d}", f"Student {k}") for k in range(N)], seed="report",
                      columns=[{"Section": "AB"[k % 2]} for k in range(N)])
    write_week(tmp / "week", week)
    for k, s in enumerate(week.students[:-2]):
        answers = dict(s.problems[0].answers)
        pairs = [p for p in plantable(s.problems[0].problem) if p[0] != "loss"]
        if k % 4 == 0:
            work = lambda i, a=answers: a  # noqa: E731
        elif k % 4 == 1:
            work = lambda i, a=answers: {q: round_sig(v, 2) for q, v in a.items()}  # noqa: E731
        else:
            name, key = pairs[k % len(pairs)]
            work = lambda i, p=s.problems[0].problem, n=name, key=key: planted(p, n, key)  # noqa: E731
        put(tmp / "subs", f"{s.file}.csv", submission_csv(week, s, work))
    put(tmp / "subs", "s00-again.csv", submission_csv(week, week.students[0], lambda i: dict(week.students[0].problems[0].answers)))
    (tmp / "g.toml").write_text("[points]\ncarried = 0.5\n")
    r = invoke(CliRunner(), "grade", tmp / "week", tmp / "subs", "--out", tmp / "out", "--config", tmp / "g.toml",
               "--feedback", "none")
    assert r.exit_code == 0, r.output
    return tmp, week


def table(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    return "\n".join(p.extract_text() for p in PdfReader(path).pages)


def test_grade_writes_the_report_and_the_summary_names_it(graded):
    tmp, _ = graded
    out = tmp / "out"
    assert (out / "report.html").is_file() and (out / "report.pdf").read_bytes().startswith(b"%PDF")
    assert "report.html" in (out / "summary.txt").read_text(encoding="utf-8")
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.count("<svg") >= 2 and "<text" in html  # vector plots with real text


def test_the_pdf_names_every_code_with_the_students_details_csv_counts(graded):
    tmp, _ = graded
    students = defaultdict(set)
    for d in table(tmp / "out" / "details.csv"):
        if d["diagnosis"]:
            students[d["diagnosis"]].add(d["student_id"])
    assert {"carried", "precision"} <= set(students) and len(students) >= 6
    text = pdf_text(tmp / "out" / "report.pdf")
    for code, who in students.items():
        line = re.search(rf"^{code}: (\d+) students? \((\d+)%\)", text, re.M)
        assert line, (code, text)
        assert int(line[1]) == len(who)
        assert int(line[2]) == round(100 * len(who) / (N - 2))
    assert "several-files: 1 student · s00" in text


def test_the_paragraph_says_where_the_class_breaks_down(graded):
    tmp, week = graded
    report = class_report(week, table(tmp / "out" / "grades.csv"), table(tmp / "out" / "details.csv"))
    words = "".join(what for kind, what in report.summary if kind == "text")
    assert words.startswith(f"{N - 2} of {N} students were graded") and "2 handed in nothing" in words
    assert "forward pass right" in words and "is where it breaks" in words
    worst = next(what for kind, what in report.summary if kind == "sym")
    assert max(report.quantities, key=lambda q: q.shares.share("wrong")).name == worst
    assert report.missing == 2 and len(report.percents) == N - 2  # missing students are not zeros in the plot


def test_quantities_follow_the_chain_and_shares_add_up(graded):
    tmp, week = graded
    report = class_report(week, table(tmp / "out" / "grades.csv"), table(tmp / "out" / "details.csv"))
    names = [q.name for q in report.quantities]
    phases = [q.phase for q in report.quantities]
    assert phases == sorted(phases, key=["forward", "output", "backward", "update"].index)
    assert names[:3] == ["net1", "a1", "X2"] and names[-2:] == ["W2_new", "W1_new"]
    assert [n for n, _ in chain(week)] == names
    assert report.sections == ("A", "B")
    for q in report.quantities:
        assert q.shares.total == N - 2
        assert sum(s.total for _, s in q.by_section) == N - 2
    assert any(q.shares.carried for q in report.quantities) and any(q.shares.wrong for q in report.quantities)


def test_shares_of_a_quantity():
    s = Shares(right=6, carried=2, wrong=1, missing=1)
    assert s.total == 10 and s.share("carried") == 0.2 and s.percent("wrong") == 10
    assert Shares().share("right") == 0.0


def test_a_partial_regrade_reports_the_whole_class(graded, tmp_path):
    import shutil

    from typer.testing import CliRunner

    src, week = graded
    for name in ("week", "subs", "out"):
        shutil.copytree(src / name, tmp_path / name)
    r = invoke(CliRunner(), "grade", tmp_path / "week", tmp_path / "subs", "--out", tmp_path / "out",
               "--only", "s03", "--feedback", "none")
    assert r.exit_code == 0, r.output
    text = pdf_text(tmp_path / "out" / "report.pdf")
    assert f"{N} students on the roster · {N - 2} graded · 2 missing" in text
