"""Around grading, end to end through the CLI on real files: partial regrades, overrides, late work,
Excel answer sheets, Canvas/Moodle files, late enrolment."""

from __future__ import annotations

import csv
import io
import os
import time
import zipfile
from pathlib import Path

import pytest
from helpers import invoke
from helpers import STUDENTS, grades, put, read_csv

from generator.record import read_week, write_week
from grader.samples import quick_week, exact_values, no_update, submission_csv


def grade(runner, week: Path, *subs, out: Path, extra=(), code: int = 0):
    r = invoke(runner, "grade", week, *subs, "--out", out, "--feedback", "html", *extra)
    assert r.exit_code == code, r.output + r.stderr
    return r


def lines_of(path: Path) -> dict[str, list[str]]:
    """The raw lines of a CSV bpdrill wrote, by student_id (first field)."""
    out: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines()[1:]:
        out.setdefault(next(csv.reader([line]))[0], []).append(line)
    return out


@pytest.fixture
def week(tmp_path):
    w = quick_week(STUDENTS, seed="issue6")
    write_week(tmp_path / "week", w)
    return w


def first_grading(runner, tmp_path, week) -> tuple[Path, Path]:
    """Ada forgot the weight update, Bob is right, Cy handed in nothing; graded into out/."""
    ada, bob, _ = week.students
    subs, out = tmp_path / "subs", tmp_path / "out"
    put(subs, "00123.csv", submission_csv(week, ada, no_update(ada)))
    put(subs, "s2.csv", submission_csv(week, bob, exact_values(bob)))
    grade(runner, tmp_path / "week", subs, out=out)
    return subs, out


# ---- partial regrades ----

def test_only_regrade_changes_that_row_alone_and_keeps_previous_results(runner, tmp_path, week):
    ada, bob, cy = week.students
    subs, out = first_grading(runner, tmp_path, week)
    before_grades, before_details = lines_of(out / "grades.csv"), lines_of(out / "details.csv")
    bob_feedback = (out / "feedback" / f"{bob.file}.html").read_bytes()
    old_text = (out / "grades.csv").read_text(encoding="utf-8")
    # Ada sends a corrected file; Bob's file changed too, but only Ada is regraded
    put(subs, "00123.csv", submission_csv(week, ada, exact_values(ada)))
    put(subs, "s2.csv", submission_csv(week, bob, no_update(bob)))
    r = grade(runner, tmp_path / "week", subs, out=out, extra=("--only", "00123"))
    after_grades, after_details = lines_of(out / "grades.csv"), lines_of(out / "details.csv")
    assert after_grades["s2"] == before_grades["s2"] and after_grades["00777"] == before_grades["00777"]
    assert after_details["s2"] == before_details["s2"] and after_details["00777"] == before_details["00777"]
    assert after_grades["00123"] != before_grades["00123"]
    g = grades(out)
    assert g["00123"]["percent"] == "100" and g["s2"]["percent"] == "100" and list(g) == ["00123", "s2", "00777"]
    assert (out / "feedback" / f"{bob.file}.html").read_bytes() == bob_feedback
    previous = list(out.glob("previous-*"))
    assert len(previous) == 1 and (previous[0] / "grades.csv").read_text(encoding="utf-8") == old_text
    assert "grades changed for 1 student" in r.output and "00123" in r.output and "+" in r.output and "points" in r.output
    # an id not on the roster, or nothing to merge into, stops with one line
    bad = invoke(runner, "grade", tmp_path / "week", subs, "--out", out, "--only", "nobody")
    assert bad.exit_code == 2 and "not on the week's roster" in bad.stderr
    fresh = invoke(runner, "grade", tmp_path / "week", subs, "--out", tmp_path / "fresh", "--only", "00123")
    assert fresh.exit_code == 2 and "grade everyone first" in fresh.stderr


# ---- overrides ----

def test_override_survives_a_full_regrade_and_shows_in_details_and_feedback(runner, tmp_path, week):
    ada, bob, _ = week.students
    subs, out = first_grading(runner, tmp_path, week)
    base = float(grades(out)["00123"]["points"])
    overrides = put(out, "overrides.csv",
                    "student_id,problem,quantity,row,col,credit,points,reason\n"
                    "00123,1,W2_new,,,1,,forgot the update; accepted this once\n"
                    "s2,,,,,,-0.5,paper copy after the reminder\n"
                    "ghost,,,,,,1,not on the roster\n")
    for _ in range(2):  # the first regrade and every one after it
        r = grade(runner, tmp_path / "week", subs, out=out, extra=("--force",))
        g = grades(out)
        assert float(g["00123"]["points"]) > base and "override" in g["00123"]["flags"]
        assert float(g["s2"]["points"]) == float(g["s2"]["max_points"]) - 0.5
        rows = [d for d in read_csv(out / "details.csv") if d["student_id"] == "00123" and d["quantity"] == "W2_new"]
        assert rows and all(d["override"] == "forgot the update; accepted this once" and d["credit"] == "1" for d in rows)
        html = (out / "feedback" / f"{ada.file}.html").read_text(encoding="utf-8")
        assert "accepted this once" in html and "Adjusted by your instructor" in html
        assert "ghost" in r.output and "not on the roster" in r.output
        assert overrides.exists()
    assert not any((p / "overrides.csv").exists() for p in out.glob("previous-*"))
    # a malformed file is the instructor's: one clear line, exit 2, nothing moved
    put(out, "overrides.csv", "student_id,credit\n00123,lots\n")
    r = invoke(runner, "grade", tmp_path / "week", subs, "--out", out, "--force")
    assert r.exit_code == 2 and "overrides.csv:2: field credit" in r.stderr and "Traceback" not in r.stderr
    assert (out / "grades.csv").exists()


# ---- late work ----

def canvas_zip(path: Path, week, members) -> Path:
    """A Canvas-style zip: (entry name, student, values, the entry's time) per member."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as z:
        for name, student, values, when in members:
            z.writestr(zipfile.ZipInfo(name, when), submission_csv(week, student, values(student)))
    return path


def test_canvas_late_file_marks_that_student_late_and_the_policy_applies(runner, tmp_path, week):
    ada, bob, _ = week.students
    subs, out = tmp_path / "subs", tmp_path / "out"
    canvas_zip(subs / "submissions.zip", week, [
        ("lovelace_late_111_222_answers.csv", ada, exact_values, (2026, 12, 3, 10, 0, 0)),
        ("bob_333_444_answers.csv", bob, exact_values, (2026, 11, 30, 10, 0, 0)),
    ])
    grade(runner, tmp_path / "week", subs, out=out)
    g = grades(out)
    assert (g["00123"]["late"], g["s2"]["late"], g["00777"]["late"]) == ("yes", "no", "")
    assert "late" in g["00123"]["flags"].split(";") and g["00123"]["percent"] == "100"  # no policy: marked only
    cfg = put(tmp_path, "late.toml", "[late]\nper_day = 10\ncap = 50\n")
    grade(runner, tmp_path / "week", subs, out=out, extra=("--force", "--config", cfg, "--deadline", "2026-12-01"))
    g = grades(out)
    assert g["00123"]["percent"] == "80" and "2 started days" in g["00123"]["message"]  # 1 d 10 h late
    assert g["s2"]["percent"] == "100" and g["s2"]["late"] == "no"
    bad = invoke(runner, "grade", tmp_path / "week", subs, "--out", out, "--force", "--deadline", "next friday")
    assert bad.exit_code == 2 and "--deadline" in bad.stderr


def test_deadline_against_file_times_and_on_time_work_never_silently_replaced(runner, tmp_path, week):
    ada, bob, _ = week.students
    subs, out = tmp_path / "subs", tmp_path / "out"
    canvas_zip(subs / "canvas.zip", week, [
        ("lovelace_111_222_answers.csv", ada, exact_values, (2026, 11, 30, 9, 0, 0)),
        ("lovelace_late_111_223_answers-1.csv", ada, no_update, (2026, 12, 5, 9, 0, 0)),
    ])
    loose = put(subs, "s2.csv", submission_csv(week, bob, exact_values(bob)))
    stamp = time.mktime((2026, 12, 1, 23, 30, 0, 0, 0, -1))
    os.utime(loose, (stamp, stamp))
    cfg = put(tmp_path, "late.toml", '[late]\ncutoff = "2026-12-04T00:00"\n')
    grade(runner, tmp_path / "week", subs, out=out, extra=("--deadline", "2026-12-01T23:00", "--config", cfg))
    g = grades(out)
    assert g["s2"]["late"] == "yes" and "30 min after the deadline" in g["s2"]["message"]
    # Ada's late resubmission came after the cut-off: her on-time file counts, and the message says so
    assert g["00123"]["late"] == "no" and g["00123"]["percent"] == "100"
    assert "after the cut-off" in g["00123"]["message"] and "answers-1.csv" in g["00123"]["message"]
    # without a cut-off the later (late) file counts, and the message names the on-time one it replaces
    # (--force reuses the recorded config unless given another: one without [late])
    plain = put(tmp_path, "plain.toml", "")
    grade(runner, tmp_path / "week", subs, out=out, extra=("--force", "--deadline", "2026-12-01T23:00", "--config", plain))
    g = grades(out)
    assert g["00123"]["late"] == "yes" and "replaces the on-time" in g["00123"]["message"]


# ---- Excel ----

def fill_workbook(path: Path, week, student_id: str) -> bytes:
    from openpyxl import load_workbook

    student = week.student(student_id)
    wb = load_workbook(path)
    ws = wb["answers"]
    for row in ws.iter_rows(min_row=2):
        k, name, i, j = row[1].value, row[2].value, row[3].value, row[4].value
        row[5].value = float(student.problems[k - 1].answers[name][i - 1, j - 1])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_filled_in_xlsx_template_scores_full_marks_loose_and_in_a_canvas_zip(runner, tmp_path):
    roster = put(tmp_path, "roster.csv", "SIS User ID,Name\n00123,Ada\n00124,Alan\n")
    r = invoke(runner, "generate", "--out", tmp_path / "week", "--roster", roster, "--seed", "x", "--xlsx", "--no-pdf")
    assert r.exit_code == 0, r.output
    week = read_week(tmp_path / "week")
    put(tmp_path / "subs", "00123.xlsx", fill_workbook(tmp_path / "week" / "answers" / "00123.xlsx", week, "00123"))
    with zipfile.ZipFile(tmp_path / "subs" / "canvas.zip", "w") as z:
        z.writestr("turing_51_52_00124.xlsx", fill_workbook(tmp_path / "week" / "answers" / "00124.xlsx", week, "00124"))
    grade(runner, tmp_path / "week", tmp_path / "subs", out=tmp_path / "out")
    g = grades(tmp_path / "out")
    assert (g["00123"]["percent"], g["00124"]["percent"]) == ("100", "100"), g
    # an Excel file that is not a workbook is that student's status, not a crash
    put(tmp_path / "subs2", "00123.xlsx", b"PK\x03\x04 not really")
    grade(runner, tmp_path / "week", tmp_path / "subs2", out=tmp_path / "out2")
    assert grades(tmp_path / "out2")["00123"]["status"] == "unreadable"


# ---- Canvas and Moodle ----

def test_canvas_and_moodle_files_have_import_headers_and_one_row_per_roster_student(runner, tmp_path):
    roster = put(tmp_path, "roster.csv", "Student,ID,SIS User ID,SIS Login ID,Section,Email\n"
                                         "\"Lovelace, Ada\",40001,00123,alovelace,A,ada@uni.example\n"
                                         "\"Turing, Alan\",40002,00124,aturing,A,alan@uni.example\n"
                                         "\"Hopper, Grace\",40003,00125,ghopper,B,grace@uni.example\n")
    r = invoke(runner, "generate", "--out", tmp_path / "week", "--roster", roster, "--seed", "lms", "--no-pdf")
    assert r.exit_code == 0, r.output
    week = read_week(tmp_path / "week")
    ada, alan, _ = week.students
    subs = tmp_path / "subs"
    subs.mkdir()
    with zipfile.ZipFile(subs / "moodle.zip", "w") as z:
        z.writestr("Ada Lovelace_901_assignsubmission_file_/answers.csv", submission_csv(week, ada, exact_values(ada)))
        z.writestr("Alan Turing_902_assignsubmission_file_/answers.csv", submission_csv(week, alan, no_update(alan)))
    out = tmp_path / "out"
    r = grade(runner, tmp_path / "week", subs, out=out, extra=("--assignment", "Week 3 (123456)"))
    points_row, *canvas = read_csv(out / "canvas.csv")
    assert points_row["Student"] == "Points Possible" and points_row["Week 3 (123456)"] == grades(out)["00123"]["max_points"]
    with open(out / "canvas.csv", encoding="utf-8", newline="") as f:
        assert next(csv.reader(f)) == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Week 3 (123456)"]
    assert [c["SIS User ID"] for c in canvas] == ["00123", "00124", "00125"]
    assert [c["ID"] for c in canvas] == ["40001", "40002", "40003"]
    g = grades(out)
    assert canvas[0]["Week 3 (123456)"] == g["00123"]["points"] and canvas[2]["Week 3 (123456)"] == ""  # missing: blank
    moodle = read_csv(out / "moodle.csv")
    with open(out / "moodle.csv", encoding="utf-8", newline="") as f:
        assert next(csv.reader(f)) == ["Email address", "Grade", "Feedback"]
    assert [m["Email address"] for m in moodle] == ["ada@uni.example", "alan@uni.example"]  # Grace: no grade, no row
    assert moodle[1]["Grade"] == g["00124"]["points"] and "of" in moodle[1]["Feedback"]
    with zipfile.ZipFile(out / "moodle-feedback.zip") as z:
        names = sorted(z.namelist())
    assert names == ["Ada Lovelace_901_assignsubmission_file_/feedback.html",
                     "Alan Turing_902_assignsubmission_file_/feedback.html"]
    assert "00125" in r.output and "moodle-feedback.zip" in r.output  # Grace: no folder, said so
    # no title, no --assignment: the column still has a name; a plain roster's id goes in SIS User ID
    w = quick_week(STUDENTS, seed="plain", title="")
    write_week(tmp_path / "plain", w)
    grade(runner, tmp_path / "plain", subs, out=tmp_path / "out-plain")
    with open(tmp_path / "out-plain" / "canvas.csv", encoding="utf-8", newline="") as f:
        header, _, *rows = list(csv.reader(f))
    assert header[-1] == "bpdrill" and [row[2] for row in rows] == ["00123", "s2", "00777"]


# ---- late enrolment ----

def test_student_added_with_add_students_is_graded(runner, tmp_path):
    roster = put(tmp_path, "roster.csv", "SIS User ID,Name\n00123,Ada\n")
    r = invoke(runner, "generate", "--out", tmp_path / "week", "--roster", roster, "--seed", "late", "--no-pdf")
    assert r.exit_code == 0, r.output
    week = read_week(tmp_path / "week")
    put(tmp_path / "subs", "00123.csv", submission_csv(week, week.students[0], exact_values(week.students[0])))
    out = tmp_path / "out"
    grade(runner, tmp_path / "week", tmp_path / "subs", out=out)
    more = put(tmp_path, "more.csv", "SIS User ID,Name\n00999,Zed\n")
    r = invoke(runner, "generate", "--out", tmp_path / "week", "--add-students", more)
    assert r.exit_code == 0, r.output
    week = read_week(tmp_path / "week")
    zed = week.student("00999")
    put(tmp_path / "subs", "00999.csv", submission_csv(week, zed, exact_values(zed)))
    # a partial regrade of Ada also grades Zed, who has no earlier result
    grade(runner, tmp_path / "week", tmp_path / "subs", out=out, extra=("--only", "00123"))
    g = grades(out)
    assert list(g) == ["00123", "00999"] and g["00999"]["percent"] == "100" and g["00999"]["status"] == "graded"
    assert len(read_csv(out / "canvas.csv")) == 1 + 2 and len(read_csv(out / "moodle.csv")) == 2
    grade(runner, tmp_path / "week", tmp_path / "subs", out=out, extra=("--force",))
    assert grades(out)["00999"]["percent"] == "100"


def test_only_student_without_a_file_keeps_the_earlier_result(runner, tmp_path, week):
    ada, bob, _ = week.students
    subs, out = first_grading(runner, tmp_path, week)
    before_grades, before_details = lines_of(out / "grades.csv"), lines_of(out / "details.csv")
    bob_feedback = (out / "feedback" / f"{bob.file}.html").read_bytes()
    only_ada = tmp_path / "only_ada"
    put(only_ada, "00123.csv", submission_csv(week, ada, exact_values(ada)))
    r = grade(runner, tmp_path / "week", only_ada, out=out, extra=("--only", "s2,00123"))
    assert "s2: no file among the submissions given; earlier result kept" in r.output
    after_grades, after_details = lines_of(out / "grades.csv"), lines_of(out / "details.csv")
    assert after_grades["s2"] == before_grades["s2"] and after_details["s2"] == before_details["s2"]
    assert grades(out)["s2"]["status"] == "graded" and grades(out)["00123"]["percent"] == "100"
    assert (out / "feedback" / f"{bob.file}.html").read_bytes() == bob_feedback
    assert "missing" not in r.output.split("grades changed")[1]


def test_only_run_writes_the_whole_class_summary_and_says_what_it_prints(runner, tmp_path, week):
    ada = week.students[0]
    subs, out = first_grading(runner, tmp_path, week)
    put(subs, "00123.csv", submission_csv(week, ada, exact_values(ada)))
    r = grade(runner, tmp_path / "week", subs, out=out, extra=("--only", "00123"))
    shown = " ".join(r.output.split())
    assert "1 student regraded (--only; summary.txt has the whole class)" in shown
    assert "over the students regraded" in shown and "1 students" not in shown
    summary = " ".join((out / "summary.txt").read_text(encoding="utf-8").split())
    assert "3 students — 2 graded, 1 missing" in summary and "over all students" in summary
    assert "grades changed for 1 student:" in summary


def test_only_takes_an_id_as_grading_reads_it():
    """--only 5306 for the roster's 05306 (QA round 4), as grading reads ids; an unknown one says so."""
    import pytest

    from generator.errors import UsageError
    from grader.workflow import only_ids
    from grader.samples import quick_week

    w = quick_week([("05306", "Ann"), ("s2", "Bob")], seed="only")
    assert only_ids(w, ["5306,s2"]) == {"05306", "s2"}
    with pytest.raises(UsageError, match="'9999' is not on the week's roster"):
        only_ids(w, ["9999"])
