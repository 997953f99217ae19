"""Grading: a file split by ids Excel mangled, another student's upload
replacing a student's own, and what the Moodle feedback column tells the student."""

from __future__ import annotations

import zipfile

import pytest
from helpers import put, read_csv, rows_under, squeezed
from helpers import grade_and_summary

from grader.samples import exact_values, no_update, submission_csv
from grader.exports import feedback_line


@pytest.fixture
def week(canvas_week):
    """Anna 00123, Jan 00456, Zoe 02002 on a Canvas roster."""
    return canvas_week


# ---- 1. rows whose ids name one roster student are one part of the file ----

@pytest.mark.parametrize("sid, written", [
    ("00123", ["00123"] * 9 + ["123"]),  # a few rows lost their leading zeros: the smaller part must not win
    ("00456", ["00456", "456.0"]),  # half the rows as Excel's number
    ("00456", ["456", "456.0", "00456"]),
])
def test_rows_of_one_student_under_mangled_ids_are_one_submission(runner, tmp_path, week, sid, written):
    student = next(s for s in week.students if s.id == sid)
    put(tmp_path / "subs", f"{sid}.csv", rows_under(submission_csv(week, student, exact_values(student)), written))
    g, summary = grade_and_summary(runner, tmp_path, tmp_path / "subs")
    row = g[sid]
    assert (row["percent"], row["status"], row["flags"]) == ("100", "graded", "leading-zeros"), row
    assert row["files"] == str(tmp_path / "subs" / f"{sid}.csv")
    assert "leading zeros lost" in row["message"] and "needs attention" not in summary


def test_a_class_file_with_mangled_ids_splits_by_roster_student(runner, tmp_path, week):
    anna, jan = week.students[0], week.students[1]
    text = rows_under(submission_csv(week, anna, exact_values(anna)), ["00123", "123"])
    text += rows_under(submission_csv(week, jan, no_update(jan)), ["456"]).split("\n", 1)[1]
    put(tmp_path / "subs", "class.csv", text)
    g, _ = grade_and_summary(runner, tmp_path, tmp_path / "subs")
    assert (g["00123"]["percent"], g["00123"]["status"]) == ("100", "graded"), g["00123"]
    assert g["00123"]["files"].endswith("class.csv (rows of 00123)")
    assert g["00456"]["status"] == "graded" and float(g["00456"]["percent"]) < 100
    assert g["00456"]["files"].endswith("class.csv (rows of 00456)")


# ---- 2. another student's upload never replaces a student's own ----

def _zip(path, members):
    """A zip of (name, text), each a minute later than the one before."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as z:
        for n, (name, text) in enumerate(members):
            z.writestr(zipfile.ZipInfo(name, (2026, 11, 20, 10, n, 0)), text)
    return path


def _half_zero(text: str) -> str:
    head, *rows = text.splitlines()
    return "\n".join([head] + [r.rsplit(",", 1)[0] + ",0" if n % 2 else r for n, r in enumerate(rows)]) + "\n"


@pytest.mark.parametrize("mine, theirs", [
    ("kowalskijan_40002_690_00456.csv", "nowakanna_40001_700_00456.csv"),  # Canvas: Anna's upload is the later one
    ("Jan Kowalski_5002_assignsubmission_file_/00456.csv", "Anna Nowak_5001_assignsubmission_file_/00456.csv"),
])
def test_a_file_another_student_uploaded_does_not_replace_ones_own(runner, tmp_path, week, mine, theirs):
    jan = week.students[1]
    good = submission_csv(week, jan, exact_values(jan))
    g, summary = grade_and_summary(runner, tmp_path, _zip(tmp_path / "subs" / "lms.zip", [(mine, good), (theirs, _half_zero(good))]))
    row = g["00456"]
    assert (row["percent"], row["status"]) == ("100", "graded"), row
    assert row["files"].split(";")[0].endswith(mine), row["files"]
    assert "id-conflict" in row["flags"] and g["00123"]["status"] == "missing"
    assert "uploaded by 00123" in row["message"]
    s = squeezed(summary)
    assert squeezed("needs attention: 1 id conflict") in s
    assert squeezed(f"{theirs}: its student_id column says 00456, its name says 00123") in s
    assert squeezed("not graded: 00456's own upload counts; 00123 has no submission") in s
    assert squeezed("if it belongs to 00456, nothing to do") not in s
    feedback = next((tmp_path / "out").glob("feedback/*00456*.html")).read_text(encoding="utf-8")
    assert "00123" not in feedback and "uploaded by" not in feedback  # the student's page names no one else


def test_another_students_upload_counts_when_the_student_has_none(runner, tmp_path, week):
    jan = week.students[1]
    g, summary = grade_and_summary(runner, tmp_path, _zip(tmp_path / "subs" / "c.zip", [
        ("nowakanna_40001_700_00456.csv", submission_csv(week, jan, exact_values(jan)))]))
    assert (g["00456"]["percent"], g["00456"]["flags"]) == ("100", "id-conflict")
    s = squeezed(summary)
    assert squeezed("graded for 00456 (the column counts); 00123 has no submission. 00456 uploaded no file of their own") in s


# ---- 3. what moodle.csv's feedback column tells the student ----

def test_moodle_feedback_is_sentences_without_the_instructors_notes():
    row = {"status": "graded", "points": "26", "max_points": "26", "percent": "100",
           "message": "identified by the name 'Zoe Ångström' in the LMS folder | id 123 read as 00123 (leading zeros lost, "
                      "e.g. by Excel) | conflict: the student_id column says 00456, the canvas file name says 00123; the "
                      "column counts | not graded: a.csv, uploaded by 00123 (the LMS says so) — the student's own upload "
                      "b.csv counts | late by 2 h; no late penalty"}
    assert feedback_line(row, True) == ("26 of 26 points (100%). Late by 2 h; no late penalty. "
                                        "The attached feedback file shows every entry.")
    assert feedback_line(row, False) == "26 of 26 points (100%). Late by 2 h; no late penalty."


def test_moodle_feedback_mentions_a_feedback_file_only_for_students_who_get_one(runner, tmp_path, week):
    anna = week.students[0]
    g, _ = grade_and_summary(runner, tmp_path, _zip(tmp_path / "subs" / "m.zip", [
        ("Anna Nowak_5001_assignsubmission_file_/answers.csv", submission_csv(week, anna, exact_values(anna), student_id=""))]))
    assert "identified by the name" in g["00123"]["message"]  # grades.csv keeps the instructor's note
    moodle = {r["ID number"]: r["Feedback"] for r in read_csv(tmp_path / "out" / "moodle.csv")}
    assert moodle["00123"].endswith(" points (100%). The attached feedback file shows every entry."), moodle
    assert "00456" not in moodle  # no grade: no row, Moodle keeps what it has
