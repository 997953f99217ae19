"""Grading: a student's name in the student_id column, and rows under a
typo id in a file that is otherwise one student's."""

from __future__ import annotations

import pytest
from helpers import put
from helpers import grade_and_summary
from helpers import rows_under

from grader.samples import quick_week, exact_values, submission_csv
from grader.identify import RosterIndex, identify, internal_note, lms_name


@pytest.fixture
def week(canvas_week):
    """Anna 00123, Jan 00456, Zoe 02002 on a Canvas roster."""
    return canvas_week


# ---- 1, 2. the student's own name in the student_id column ----

@pytest.mark.parametrize("sid, file, written", [
    ("00456", "jan.csv", "Jan Kowalski"),  # the file's name says nothing: the column's name does
    ("00456", "answers.csv", "kowalski jan"),
    ("00123", "00123.csv", "Nowak, Anna"),  # Last, First, as Canvas writes it: no id conflict with the file name
    ("02002", "02002.csv", "Ångström, Zoe"),
    ("02002", "zoe.csv", "Zoe Angstrom"),  # accents aside
])
def test_the_students_name_in_the_student_id_column_identifies_them(runner, tmp_path, week, sid, file, written):
    student = next(s for s in week.students if s.id == sid)
    put(tmp_path / "subs", file, submission_csv(week, student, exact_values(student), student_id=written))
    g, summary = grade_and_summary(runner, tmp_path, tmp_path / "subs")
    row = g[sid]
    assert (row["percent"], row["status"], row["flags"]) == ("100", "graded", ""), row
    note = f"student_id {written!r} read as {sid} (the student's name)"
    assert note in row["message"] and internal_note(note)
    assert "not understood" not in summary and "id conflict" not in summary


def test_a_name_that_fits_several_students_is_reported_not_guessed():
    w = quick_week([("00123", "Jan Kowalski"), ("00789", "Kowalski, Jan"), ("00456", "Anna Nowak")], seed="qa6")
    roster = RosterIndex(w)
    who = identify(roster, lms_name("jan.csv"), ("Jan Kowalski",))
    assert who.student_id is None
    assert "student_id 'Jan Kowalski' names 2 students on the roster (00123, 00789)" in "; ".join(who.notes)
    assert identify(roster, lms_name("anna.csv"), ("Nowak, Anna",)).student_id == "00456"
    by_name = identify(roster, lms_name("00789.csv"), ("Jan Kowalski",))  # the file name decides, and it is reported
    assert (by_name.student_id, by_name.conflict) == ("00789", True)
    assert any("names 2 students" in n for n in by_name.notes)


def test_rows_under_the_students_name_and_id_are_one_submission(runner, tmp_path, week):
    jan = week.students[1]
    put(tmp_path / "subs", "00456.csv", rows_under(submission_csv(week, jan, exact_values(jan)), ["00456", "Jan Kowalski"]))
    g, summary = grade_and_summary(runner, tmp_path, tmp_path / "subs")
    assert (g["00456"]["percent"], g["00456"]["files"]) == ("100", str(tmp_path / "subs" / "00456.csv")), g["00456"]
    assert "not understood" not in summary


# ---- 3. rows under a typo id in a file of one student's ----

def _book(tmp_path, week, text, name):
    """The gradebook of one submitted file (the not-understood notes as written, not as the summary wraps them)."""
    from grader.ingest import collect
    from grader.pipeline import grade as grade_book

    return grade_book(week, collect([put(tmp_path / "subs", name, text)]))


def test_rows_under_an_id_not_on_the_roster_in_one_students_file(tmp_path, week):
    jan = week.students[1]
    text = rows_under(submission_csv(week, jan, exact_values(jan)), ["00456"] * 4 + ["00465"])
    book = _book(tmp_path, week, text, "00456.csv")
    result = book.result("00456")
    assert result.status == "graded" and result.percent < 100, result
    orphan, = book.not_understood
    assert orphan.reason == "student_id '00465' is not on the roster; its rows, in a file of 00456's, are not graded"
    told = [m for m in result.messages if not internal_note(m)]
    assert "some rows of 00456.csv were not graded: their student_id is not 00456 and names no one on the roster; " \
           "write 00456 on every row" in told, result.messages


def test_rows_under_an_unknown_id_in_a_file_of_several_students_go_to_no_one(tmp_path, week):
    anna, jan = week.students[:2]
    text = submission_csv(week, anna, exact_values(anna))
    text += rows_under(submission_csv(week, jan, exact_values(jan)), ["00456", "00465"]).split("\n", 1)[1]
    book = _book(tmp_path, week, text, "class.csv")
    assert book.result("00123").percent == 100
    assert not any("not graded" in m for sid in ("00123", "00456") for m in book.result(sid).messages)
    orphan, = book.not_understood  # the file is not one student's: no one is told, and the note says why
    assert "the file's other rows name other students" in orphan.reason
