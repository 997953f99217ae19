"""Fourth QA round on grading results: a file with no answers is unreadable (no 0 in the LMS)
and its row notes come one line per kind; overrides read standard CSV quoting; work for another
student's variant or another week is flagged; submitted matrices are column-aligned."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from conftest import invoke
from test_grade import grades, put, read_csv, run

from generator.record import write_week
from grader.demo import build_week, exact_values, submission_csv
from grader.pipeline import collapse_line_notes


def two_problem_week(tmp_path: Path, seed_mse, seed_ce, students=(("s1", "Ada"), ("s2", "Bob"))):
    week = build_week(list(students), problems=[seed_mse, seed_ce], seed="qa4")
    write_week(tmp_path / "week", week)
    return week


def without_column(text: str, column: str) -> str:
    rows = list(csv.reader(io.StringIO(text)))
    k = rows[0].index(column)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([r[:k] + r[k + 1:] for r in rows])
    return buf.getvalue()


# ---- 1. a file with no answers is unreadable, and its notes are short ----

def test_row_notes_of_one_kind_are_one_line():
    notes = [f"line {n}: no problem number (there are 2 problems); row ignored" for n in range(2, 62)]
    notes += ["not asked, ignored: loss", "line 70: net1 has no entry (3,1) (it is 2×1); row ignored",
              "line 71: net1 has no entry (4,1) (it is 2×1); row ignored", "line 80: row skipped (row not readable)",
              "line 90: a2 has no entry (3,1) (it is 2×1); row ignored"]
    assert collapse_line_notes(notes) == [
        "60 rows have no problem number (there are 2 problems): lines 2–61; rows ignored",
        "not asked, ignored: loss",
        "2 rows name entries that net1 does not have (it is 2×1): lines 70–71; rows ignored",
        "line 80: row skipped (row not readable)",
        "line 90: a2 has no entry (3,1) (it is 2×1); row ignored",
    ]
    skipped = [f"line {n}: row skipped (row not readable)" for n in (3, 5, 6, 7, 9)]
    assert collapse_line_notes(skipped) == ["5 rows skipped (row not readable): lines 3, 5–7, 9"]


def test_file_without_answers_is_unreadable_and_gets_no_lms_grade(runner, tmp_path, seed_mse, seed_ce):
    week = two_problem_week(tmp_path, seed_mse, seed_ce)
    s1, s2 = week.students
    subs = tmp_path / "subs"
    put(subs, "s1.csv", without_column(submission_csv(week, s1, exact_values(s1)), "problem"))
    put(subs, "s2.csv", submission_csv(week, s2, exact_values(s2)))
    g = run(runner, tmp_path, subs)
    rows = sum(1 for _ in open(subs / "s1.csv")) - 1
    assert g["s1"]["status"] == "unreadable" and g["s2"]["status"] == "graded", g
    expected = f"{rows} rows have no problem number (there are 2 problems): lines 2–{rows + 1}; rows ignored"
    assert expected in g["s1"]["message"] and "line 3:" not in g["s1"]["message"], g["s1"]["message"]
    assert g["s1"]["message"].startswith("s1.csv: no answers found in the file")
    canvas = {r["SIS User ID"]: r for r in read_csv(tmp_path / "out" / "canvas.csv")}
    assert list(canvas["s1"].values())[-1] == "" and list(canvas["s2"].values())[-1] != ""
    moodle = {r["ID number"]: r for r in read_csv(tmp_path / "out" / "moodle.csv")}
    assert moodle["s1"]["Grade"] == "" and moodle["s1"]["Feedback"].startswith("Your submission could not be read")
    assert moodle["s1"]["Feedback"].count("no problem number") == 1
    summary = (tmp_path / "out" / "summary.txt").read_text()
    assert "1 unreadable" in summary


def test_a_blank_template_is_unreadable_too(runner, tmp_path, seed_mse, seed_ce):
    week = two_problem_week(tmp_path, seed_mse, seed_ce)
    s1 = week.students[0]
    blank = "\n".join(",".join(r[:-1]) + "," for r in csv.reader(io.StringIO(submission_csv(week, s1, exact_values(s1)))))
    put(tmp_path / "subs", "s1.csv", blank.replace("student_id,problem,quantity,row,col,", "student_id,problem,quantity,row,col,value", 1))
    g = run(runner, tmp_path, tmp_path / "subs")
    assert g["s1"]["status"] == "unreadable" and "no answers found" in g["s1"]["message"]
