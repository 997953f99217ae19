"""Moodle's flat submission download (``Full Name_<participant>_assignsubmission_file_<original>``,
no folders; mod/assign/classes/downloader.php with "download submissions in folders" off) grades
exactly like its folder download, and gets a moodle-feedback.zip in the participant folders."""

import csv
import io
import zipfile

import pytest
from helpers import grades, invoke, put, zip_bytes

from generator.record import write_week
from grader.samples import exact_values, no_update, quick_week, submission_csv
from grader.identify import lms_name

STUDENTS = [("00123", "Ada Lovelace"), ("s2", "Bob Builder"), ("00777", "Cy Young"), ("00888", "Di Nobody")]


def blank_ids(text: str) -> str:
    """The answer file with its student_id column emptied: only the Moodle name says whose it is."""
    rows = list(csv.reader(io.StringIO(text)))
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([rows[0]] + [["", *r[1:]] for r in rows[1:]])
    return out.getvalue()


@pytest.fixture
def downloads(tmp_path):
    week = quick_week(STUDENTS, seed="flat")
    write_week(tmp_path / "week", week)
    ada, bob, cy, _ = week.students
    files = {("Ada Lovelace", 501, "answers.csv"): blank_ids(submission_csv(week, ada, exact_values(ada))),
             ("Bob Builder", 502, "bob final.csv"): submission_csv(week, bob, no_update(bob)),
             ("Cy Young", 503, "work.pdf"): "%PDF-1.4 a photo of the work",
             ("Cy Young", 503, "cy.csv"): blank_ids(submission_csv(week, cy, exact_values(cy)))}
    folders = zip_bytes({f"{who}_{pid}_assignsubmission_file_/{name}": data for (who, pid, name), data in files.items()})
    flat = zip_bytes({f"{who}_{pid}_assignsubmission_file_{name}": data for (who, pid, name), data in files.items()})
    put(tmp_path / "folders", "moodle.zip", folders)
    put(tmp_path / "flat", "moodle.zip", flat)
    return week, tmp_path


def test_a_flat_name_says_the_participant_and_the_original_name():
    m = lms_name("Ada Lovelace_501_assignsubmission_file_my_answers-2.csv")
    assert (m.kind, m.person, m.tokens, m.original, m.resubmission) == ("moodle", "Ada Lovelace", ("501",),
                                                                         "my_answers-2.csv", 0)


def test_the_flat_download_grades_like_the_folder_download(downloads, runner):
    week, tmp = downloads
    results = {}
    for layout in ("folders", "flat"):
        r = invoke(runner, "grade", tmp / "week", tmp / layout, "--out", tmp / f"out-{layout}")
        assert r.exit_code == 0, r.output
        g = grades(tmp / f"out-{layout}")
        results[layout] = {sid: (row["status"], row["points"]) for sid, row in g.items()}
        with zipfile.ZipFile(tmp / f"out-{layout}" / "moodle-feedback.zip") as z:
            assert sorted(z.namelist()) == ["Ada Lovelace_501_assignsubmission_file_/feedback.html",
                                            "Bob Builder_502_assignsubmission_file_/feedback.html",
                                            "Cy Young_503_assignsubmission_file_/feedback.html"]
    assert results["flat"] == results["folders"]
    assert [results["flat"][s][0] for s in ("00123", "s2", "00777", "00888")] == ["graded"] * 3 + ["missing"]
    assert results["flat"]["00123"][1] == results["flat"]["00777"][1] != results["flat"]["s2"][1]
