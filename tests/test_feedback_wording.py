"""The feedback page: a value rounded correctly but to too few digits is told the sheet asks for
more, points are shown as grades.csv writes them, and --feedback pdf renders pages only for the
students who handed in a file."""

import csv
from dataclasses import replace

import numpy as np
import pytest
from helpers import grades, invoke, put

from generator.record import write_week
from grader.samples import exact_values, quick_week, submission_csv
from grader.diagnose import PRECISION, precision_note, significant_digits
from grader.judge import INCORRECT, EntryResult, Rule

SAYS = "the sheet asks for at least 4 significant digits"


@pytest.mark.parametrize("text, digits", [("0.432", 3), ("-1.20e-3", 3), ("1,05", 3), ("0.0040", 2), ("12", 2), ("x", None)])
def test_significant_digits_as_written(text, digits):
    assert significant_digits(text) == digits


def test_an_entry_coded_precision_is_told_to_give_more_digits():
    short = EntryResult(1, "a1", 1, 1, 0.43168, 5e-5, "0.432", 0.432, INCORRECT, 0.0, 1.0, diagnosis=PRECISION)
    assert precision_note(short, Rule()) == f"{SAYS} (3 given)"
    assert precision_note(short, Rule("sigfig", n=5)) == "the sheet asks for at least 5 significant digits (3 given)"
    assert precision_note(replace(short, diagnosis=""), Rule()) == ""  # not coded precision: nothing said


@pytest.fixture
def graded(tmp_path):
    week = quick_week([("00123", "Ada"), ("00124", "Bob"), ("00125", "Cy")], seed="words")
    write_week(tmp_path / "week", week)
    ada = week.students[0]
    values = exact_values(ada)

    def short_a1(k):
        v = dict(values(k))
        a1 = np.array(v["a1"], dtype=float)
        a1[0, 0] = float(f"{a1[0, 0]:.2e}")  # 3 significant digits, correctly rounded
        v["a1"] = a1
        return v

    text = submission_csv(week, ada, short_a1)
    put(tmp_path / "subs", "ada.csv", text)
    return week, tmp_path


def test_the_page_says_why_a_short_value_fails_and_shows_points_as_grades_csv(graded, runner):
    week, tmp = graded
    put(tmp, "overrides.csv", "student_id,total,reason\n00123,11.375,oral check\n")
    r = invoke(runner, "grade", tmp / "week", tmp / "subs", "--out", tmp / "out", "--overrides", tmp / "overrides.csv")
    assert r.exit_code == 0, r.output
    with open(tmp / "out" / "details.csv", encoding="utf-8", newline="") as f:
        a1 = next(row for row in csv.DictReader(f) if row["student_id"] == "00123" and row["quantity"] == "a1" and row["row"] == "1")
    assert a1["verdict"] == "incorrect" and a1["note"] == f"{SAYS} (3 given)"
    page = (tmp / "out" / "feedback" / "00123.html").read_text(encoding="utf-8")
    assert SAYS in page
    assert grades(tmp / "out")["00123"]["points"] == "11.375" and "11.375" in page and "11.38" not in page


def test_feedback_pdf_only_for_students_with_a_file(graded, runner):
    _, tmp = graded
    r = invoke(runner, "grade", tmp / "week", tmp / "subs", "--out", tmp / "out", "--feedback", "pdf")
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in (tmp / "out" / "feedback").iterdir()) == ["00123.pdf"]
