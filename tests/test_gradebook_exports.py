"""canvas.csv, moodle.csv and the feedback zips as each LMS's importer reads them (canvas-lms
gradebook_importer.rb and Assignment#infer_comment_context_from_filename; Moodle
grade/import/csv/classes/load_data.php): no grade erased by accident, the roster's own assignment
column, the identifier under the header the import maps, feedback files under names it accepts."""

import csv
import io
import re
import zipfile

import pytest
from helpers import invoke, put, read_csv

from generator.record import read_week
from grader.samples import exact_values, no_update, submission_csv

CANVAS_EXPORT = ("Student,ID,SIS User ID,SIS Login ID,Section,Homework 1 (812346),Homework 2 (812347),Current Score\n"
                 ",,,,,,Manual Posting,\n"
                 "    Points Possible,,,,,10,13,\n"
                 '"Lovelace, Ada",40001,0000001,alovelace,A,9,,\n'
                 '"Turing, Alan",40002,0000002,aturing,A,8,,\n'
                 '"Hopper, Grace",40003,0000003,ghopper,B,7,,\n')
GERMAN_MOODLE = ("Vorname,Nachname,ID-Nummer,E-Mail-Adresse\n"
                 "Ada,Lovelace,,ada@uni.example\nAlan,Turing,,alan@uni.example\nGrace,Hopper,,grace@uni.example\n")


def table(path):
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def week_from(runner, tmp_path, roster_text, *options):
    roster = put(tmp_path, "roster.csv", roster_text)
    r = invoke(runner, "generate", "--out", tmp_path / "week", "--roster", roster, "--seed", "lms", "--no-pdf", *options)
    assert r.exit_code == 0, r.output
    return read_week(tmp_path / "week")


def canvas_download(tmp_path, week):
    """Canvas's submissions zip: Ada perfect (one resubmission), Alan without updates, Grace nothing."""
    ada, alan, _ = week.students
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("lovelaceada_40001_7001_answers.csv", submission_csv(week, ada, no_update(ada)))
        z.writestr("lovelaceada_late_40001_7005_answers-1.csv", submission_csv(week, ada, exact_values(ada)))
        z.writestr("turingalan_40002_7002_mine.csv", submission_csv(week, alan, no_update(alan)))
    return put(tmp_path / "subs", "submissions.zip", buf.getvalue())


def canvas_reads(name: str) -> tuple[str, str] | None:
    """(user id, attachment id) as Canvas's re-upload reads a file name, else None."""
    base = name.rsplit("/", 1)[-1]
    if base.startswith("._"):
        return None
    ids = [part for part in base.split("_") if re.fullmatch(r"\d+", part)][:2]
    return (ids[0], ids[1]) if len(ids) == 2 else None


def test_canvas_csv_keeps_grades_and_uses_the_roster_export_assignment(runner, tmp_path):
    week = week_from(runner, tmp_path, CANVAS_EXPORT, "--title", "Homework 2")
    subs = canvas_download(tmp_path, week)
    r = invoke(runner, "grade", tmp_path / "week", subs, "--out", tmp_path / "out")
    assert r.exit_code == 0, r.output
    header, points_row, *rows = table(tmp_path / "out" / "canvas.csv")
    assert header == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Homework 2 (812347)"]
    grades = {g["student_id"]: g for g in read_csv(tmp_path / "out" / "grades.csv")}
    assert points_row[0] == "Points Possible" and points_row[-1] == grades["0000001"]["max_points"]
    assert [row[1] for row in rows] == ["40001", "40002", "40003"]
    assert rows[0][-1] == grades["0000001"]["points"] == grades["0000001"]["max_points"]
    assert rows[2][-1] == ""  # Grace handed in nothing: blank, Canvas keeps what it has
    said = " ".join(r.stdout.split())
    assert "Canvas column: 'Homework 2 (812347)'" in said and f"max_points {grades['0000001']['max_points']}" in said
    assert "creates a new assignment" not in said


def test_a_column_canvas_does_not_know_is_warned_about(runner, tmp_path):
    week = week_from(runner, tmp_path, CANVAS_EXPORT, "--title", "Week 3 backprop")
    r = invoke(runner, "grade", tmp_path / "week", canvas_download(tmp_path, week), "--out", tmp_path / "out")
    said = " ".join(r.stdout.split())
    assert r.exit_code == 0 and "warning: Canvas column 'Week 3 backprop'" in said and "creates a new assignment" in said
    assert "'Homework 2 (812347)'" in said  # the roster's assignments are named
    r = invoke(runner, "grade", tmp_path / "week", canvas_download(tmp_path, week), "--out", tmp_path / "out2",
               "--assignment", "homework 2")
    assert table(tmp_path / "out2" / "canvas.csv")[0][-1] == "Homework 2 (812347)"


def test_canvas_feedback_zip_names_parse_as_canvas_reupload_expects(runner, tmp_path):
    week = week_from(runner, tmp_path, CANVAS_EXPORT, "--title", "Homework 2")
    r = invoke(runner, "grade", tmp_path / "week", canvas_download(tmp_path, week), "--out", tmp_path / "out")
    assert r.exit_code == 0, r.output
    with zipfile.ZipFile(tmp_path / "out" / "canvas-feedback.zip") as z:
        names = sorted(z.namelist())
        assert all(z.read(n).startswith(b"<!DOCTYPE html>") for n in names)
    # each names the student's Canvas user and the attachment of their own latest upload
    assert sorted(canvas_reads(n) for n in names) == [("40001", "7005"), ("40002", "7002")], names
    assert "canvas-feedback.zip" in " ".join(r.stdout.split())


@pytest.mark.parametrize("missing", ["unchanged", "zero"])
def test_moodle_csv_has_a_number_in_every_grade_cell(runner, tmp_path, missing):
    week = week_from(runner, tmp_path, GERMAN_MOODLE)
    ada, alan, _ = week.students
    subs = tmp_path / "subs"
    put(subs, "Ada Lovelace_901_assignsubmission_file_ada.csv", submission_csv(week, ada, exact_values(ada)))
    put(subs, "Alan Turing_902_assignsubmission_file_alan.csv", "not,an,answer\nfile")
    put(tmp_path, "course.toml", f'[lms]\nmissing = "{missing}"\n')
    r = invoke(runner, "grade", tmp_path / "week", subs, "--out", tmp_path / "out", "--config", tmp_path / "course.toml")
    assert r.exit_code == 0, r.output
    header, *rows = table(tmp_path / "out" / "moodle.csv")
    assert header == ["Email address", "Grade", "Feedback"]  # the German E-Mail-Adresse, as Moodle maps it
    assert all(re.fullmatch(r"\d+(\.\d+)?", row[1]) for row in rows), rows
    grades = {g["student_id"]: g for g in read_csv(tmp_path / "out" / "grades.csv")}
    assert len(grades) == 3  # grades.csv keeps every roster student
    canvas = {row[2] or row[3]: row[-1] for row in table(tmp_path / "out" / "canvas.csv")[2:]}
    if missing == "unchanged":
        assert [row[0] for row in rows] == ["ada@uni.example"]  # unreadable Alan and missing Grace: no row
        assert canvas["alan@uni.example"] == canvas["grace@uni.example"] == ""
    else:
        assert [(row[0], row[1]) for row in rows[1:]] == [("alan@uni.example", "0"), ("grace@uni.example", "0")]
        assert rows[2][2] == "No submission was found."
        assert canvas["alan@uni.example"] == canvas["grace@uni.example"] == "0"


def test_the_identifier_goes_under_the_header_moodle_maps_for_the_column_chosen(runner, tmp_path):
    no_mail = ("Vorname,Nachname,ID-Nummer,E-Mail-Adresse\nAda,Lovelace,M-1,ada@uni.example\nAlan,Turing,M-2,\n")
    week = week_from(runner, tmp_path, no_mail)
    ada = week.students[0]
    put(tmp_path / "subs", "ada.csv", submission_csv(week, ada, exact_values(ada)))
    assert invoke(runner, "grade", tmp_path / "week", tmp_path / "subs", "--out", tmp_path / "out").exit_code == 0
    assert table(tmp_path / "out" / "moodle.csv")[:2][0][0] == "ID number"
    assert table(tmp_path / "out" / "moodle.csv")[1][0] == "M-1"


def test_canvas_feedback_goes_to_a_plain_roster_student_only_when_the_name_canvas_wrote_is_theirs(runner, tmp_path):
    week = week_from(runner, tmp_path, "id,name\n00123,Emmy Noether\n00124,Alan Turing\n")
    emmy, alan = week.students
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("noether_51234_900001_answers.csv", submission_csv(week, emmy, exact_values(emmy)))
        z.writestr("lovelaceada_51299_900007_alan.csv", submission_csv(week, alan, exact_values(alan)))  # Ada uploaded Alan's
    subs = put(tmp_path / "subs", "submissions.zip", buf.getvalue())
    r = invoke(runner, "grade", tmp_path / "week", subs, "--out", tmp_path / "out")
    assert r.exit_code == 0, r.output
    with zipfile.ZipFile(tmp_path / "out" / "canvas-feedback.zip") as z:
        assert [canvas_reads(n) for n in z.namelist()] == [("51234", "900001")]  # never Alan's page to Ada
