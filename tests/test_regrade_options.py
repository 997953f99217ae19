"""A results folder remembers how it was graded (OUTDIR/run.json): --only regrades with the same
config, deadline, time zone, assignment column and feedback kind, refuses a contradicting option
(exit 2, nothing written), and every LMS file it lists is written again for everyone."""

import hashlib
import zipfile

import pytest
from helpers import grades, invoke, put, read_csv

from generator.record import write_week
from grader.samples import exact_values, quick_week, submission_csv
from grader.runoptions import OptionError, RunOptions, RunRecord, from_json, settle, to_json

STUDENTS = [(f"000000{n}", f"Student {n}") for n in range(1, 6)]
DEADLINE = "2026-01-16T23:59"


def snapshot(folder):
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture
def graded(tmp_path, runner):
    """Five students in a Moodle zip: 1 and 2 on time, 3, 4 and 5 a day late; a 20%-a-day policy."""
    week = quick_week(STUDENTS, seed="regrade")
    write_week(tmp_path / "week", week)
    with zipfile.ZipFile(tmp_path / "moodle.zip", "w") as z:
        for n, s in enumerate(week.students, start=1):
            day = 16 if n <= 2 else 17
            z.writestr(zipfile.ZipInfo(f"{s.name}_{700 + n}_assignsubmission_file_/a.csv", (2026, 1, day, 12, 0, 0)),
                       submission_csv(week, s, exact_values(s)))
    put(tmp_path, "course.toml", "[late]\nper_day = 20\n")
    r = invoke(runner, "grade", tmp_path / "week", tmp_path / "moodle.zip", "--out", tmp_path / "out", "--timezone", "UTC",
               "--config", tmp_path / "course.toml", "--deadline", DEADLINE, "--assignment", "Homework 2 (812347)")
    assert r.exit_code == 0, r.output
    return week, tmp_path


def test_only_keeps_the_late_penalty_and_the_column_of_the_full_run(graded, runner):
    week, tmp = graded
    before = grades(tmp / "out")
    assert [before[s.id]["percent"] for s in week.students] == ["100", "100", "80", "80", "80"]
    fifth = week.students[4]
    r = invoke(runner, "grade", tmp / "week", tmp / "moodle.zip", "--out", tmp / "out", "--only", fifth.id)
    assert r.exit_code == 0, r.output
    after = grades(tmp / "out")
    assert [after[s.id]["percent"] for s in week.students] == ["100", "100", "80", "80", "80"]
    with open(tmp / "out" / "canvas.csv", encoding="utf-8") as f:
        assert f.readline().strip().endswith(",Homework 2 (812347)")
    said = " ".join(r.stdout.split())
    assert "options of the earlier run in OUTDIR reused" in said and f"--deadline {DEADLINE}" in said


def test_only_with_a_contradicting_option_exits_2_and_writes_nothing(graded, runner):
    week, tmp = graded
    before = snapshot(tmp / "out")
    for option, value, recorded in [("--deadline", "2026-01-20T23:59", DEADLINE),
                                    ("--assignment", "Week 2", "'Homework 2 (812347)'"),
                                    ("--feedback", "pdf", "html"),
                                    ("--timezone", "Europe/Berlin", "UTC")]:
        r = invoke(runner, "grade", tmp / "week", tmp / "moodle.zip", "--out", tmp / "out", "--only", week.students[0].id,
                   option, value)
        assert r.exit_code == 2, (option, r.output)
        assert f"graded with {option} {recorded}" in r.stderr and len(r.stderr.strip().splitlines()) == 1
        assert snapshot(tmp / "out") == before
    put(tmp, "other.toml", "[late]\nper_day = 50\n")
    r = invoke(runner, "grade", tmp / "week", tmp / "moodle.zip", "--out", tmp / "out", "--only", week.students[0].id,
               "--config", tmp / "other.toml")
    assert r.exit_code == 2 and "graded with --config" in r.stderr and "course.toml" in r.stderr
    assert snapshot(tmp / "out") == before
    same = invoke(runner, "grade", tmp / "week", tmp / "moodle.zip", "--out", tmp / "out", "--only", week.students[0].id,
                  "--deadline", "2026-01-16 23:59", "--config", tmp / "course.toml")
    assert same.exit_code == 0, same.output  # the same options, written otherwise, are the same


def test_force_reuses_the_recorded_options_and_lists_what_changed(graded, runner):
    week, tmp = graded
    put(tmp, "course.toml", "[late]\nper_day = 50\n")  # edited since: the recorded content is used, and said so
    r = invoke(runner, "grade", tmp / "week", tmp / "moodle.zip", "--out", tmp / "out", "--force")
    assert r.exit_code == 0, r.output
    assert [grades(tmp / "out")[s.id]["percent"] for s in week.students] == ["100", "100", "80", "80", "80"]
    said = " ".join(r.stdout.split())
    assert "no option changed since the earlier run" in said and "course.toml has changed since the earlier run" in said
    r = invoke(runner, "grade", tmp / "week", tmp / "moodle.zip", "--out", tmp / "out", "--force", "--deadline", "2026-01-17T23:59")
    said = " ".join(r.stdout.split())
    assert r.exit_code == 0 and f"options changed since the earlier run: --deadline: {DEADLINE} → 2026-01-17T23:59" in said
    assert [grades(tmp / "out")[s.id]["percent"] for s in week.students] == ["100"] * 5


def test_only_rewrites_the_feedback_zip_for_everyone_so_none_is_stale(graded, runner):
    week, tmp = graded
    first = week.students[0]
    put(tmp / "loose", "first.csv", submission_csv(week, first, exact_values(first)))  # a loose file: no Moodle folder
    r = invoke(runner, "grade", tmp / "week", tmp / "loose", "--out", tmp / "out", "--only", first.id)
    assert r.exit_code == 0, r.output
    with zipfile.ZipFile(tmp / "out" / "moodle-feedback.zip") as z:
        names = sorted(z.namelist())
        page = z.read(f"{first.name}_701_assignsubmission_file_/feedback.html").decode()
    assert len(names) == 5  # every participant's folder, though this run saw only a loose CSV
    assert page == (tmp / "out" / "feedback" / f"{first.file}.html").read_text(encoding="utf-8")
    moodle = {row["ID number"]: row["Grade"] for row in read_csv(tmp / "out" / "moodle.csv")}
    assert moodle[first.id] == grades(tmp / "out")[first.id]["points"]
    assert "moodle-feedback.zip" in "".join(r.stdout.split()).split("fortheLMS:")[1]


def test_the_record_round_trips_and_settles_as_documented():
    rec = RunOptions("c.toml", "sha256:1", "x", DEADLINE, None, "Week 2", None)
    assert from_json(to_json(RunRecord(rec, {"deadline": "d"}, {"a": "f"}, {}))).options == rec
    assert settle(RunOptions(), rec, partial=True) == (rec, ())
    with pytest.raises(OptionError, match="--assignment 'Week 2'"):
        settle(RunOptions(assignment="Week 3"), rec, partial=True)
    settled, changes = settle(RunOptions(assignment="Week 3"), rec, partial=False)
    assert settled.assignment == "Week 3" and settled.deadline == DEADLINE and [c.option for c in changes] == ["--assignment"]


def test_a_feedback_zip_the_run_cannot_write_again_is_removed_not_left_stale(graded, runner):
    week, tmp = graded
    (tmp / "out" / "run.json").unlink()  # results of a bpdrill that kept no record: the Moodle folders are unknown
    first = week.students[0]
    put(tmp / "loose", "first.csv", submission_csv(week, first, exact_values(first)))
    r = invoke(runner, "grade", tmp / "week", tmp / "loose", "--out", tmp / "out", "--only", first.id)
    assert r.exit_code == 0, r.output
    said = " ".join(r.stdout.split())
    assert "no record of how these results were graded" in said
    assert "moodle-feedback.zip: removed" in said and not (tmp / "out" / "moodle-feedback.zip").exists()
    assert "moodle-feedback.zip" not in said.split("for the LMS:")[1]
    assert list((tmp / "out").glob("previous-*/moodle-feedback.zip"))  # the earlier one is kept in the copy
