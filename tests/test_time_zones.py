"""One rule for times: zip times and deadlines without a zone are wall-clock times in the course's
time zone (--timezone, the config's [grade] timezone, else this machine's), printed with the
deadline; so the same zip gives the same lateness on any machine told the zone. Ties are named."""

import os
import time
import zipfile

import pytest
from helpers import grades, invoke, put

from generator.record import write_week
from grader.samples import exact_values, quick_week, submission_csv

STUDENTS = [("00123", "Ada"), ("00124", "Bob")]


@pytest.fixture
def machine_zone():
    """Set this process's time zone (TZ), restoring it afterwards."""
    before = os.environ.get("TZ")

    def set_zone(name: str) -> None:
        os.environ["TZ"] = name
        time.tzset()

    yield set_zone
    if before is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = before
    time.tzset()


@pytest.fixture
def moodle_zip(tmp_path):
    week = quick_week(STUDENTS, seed="tz")
    write_week(tmp_path / "week", week)
    ada, bob = week.students
    with zipfile.ZipFile(tmp_path / "moodle.zip", "w") as z:  # recorded at 12:00 and 13:00 on the deadline's day
        z.writestr(zipfile.ZipInfo("Ada_1_assignsubmission_file_/a.csv", (2026, 1, 16, 12, 0, 0)),
                   submission_csv(week, ada, exact_values(ada)))
        z.writestr(zipfile.ZipInfo("Bob_2_assignsubmission_file_/b.csv", (2026, 1, 16, 13, 0, 0)),
                   submission_csv(week, bob, exact_values(bob)))
    return tmp_path


def late_students(runner, tmp, out, *options):
    r = invoke(runner, "grade", tmp / "week", tmp / "moodle.zip", "--out", tmp / out, "--deadline", "2026-01-16T12:30+00:00",
               *options)
    assert r.exit_code == 0, r.output
    return sorted(sid for sid, row in grades(tmp / out).items() if row["late"] == "yes"), " ".join(r.stdout.split())


def test_the_course_time_zone_decides_not_the_machine(runner, moodle_zip, machine_zone):
    seen = {}
    for machine in ("UTC", "America/Los_Angeles"):
        machine_zone(machine)
        seen[machine] = late_students(runner, moodle_zip, f"out-{machine.replace('/', '-')}", "--timezone", "Europe/Berlin")
    # 12:00 and 13:00 in Berlin are 11:00 and 12:00 UTC: both on time, wherever bpdrill runs
    assert seen["UTC"][0] == seen["America/Los_Angeles"][0] == []
    assert "deadline 2026-01-16 13:30+01:00 (Europe/Berlin; zip times read in it)" in seen["UTC"][1]


def test_without_a_zone_the_machine_zone_is_used_and_printed(runner, moodle_zip, machine_zone):
    machine_zone("UTC")
    late, said = late_students(runner, moodle_zip, "out")
    assert late == ["00124"] and "(UTC (this machine's time zone); zip times read in it)" in said
    put(moodle_zip, "course.toml", '[grade]\ntimezone = "America/Los_Angeles"\n')
    late, said = late_students(runner, moodle_zip, "out-config", "--config", moodle_zip / "course.toml")
    assert late == ["00123", "00124"] and "deadline 2026-01-16 04:30-08:00 (America/Los_Angeles" in said


def test_an_unknown_zone_stops_the_run(runner, moodle_zip):
    r = invoke(runner, "grade", moodle_zip / "week", moodle_zip / "moodle.zip", "--out", moodle_zip / "out",
               "--timezone", "Europe/Atlantis")
    assert r.exit_code == 2 and "--timezone: 'Europe/Atlantis' is not a time zone name" in r.stderr
    assert not (moodle_zip / "out" / "grades.csv").exists()


def test_files_with_the_same_time_are_named_a_tie(runner, tmp_path):
    week = quick_week(STUDENTS, seed="tie")
    write_week(tmp_path / "week", week)
    ada = week.students[0]
    stamp = (2026, 1, 16, 12, 0, 4)  # zip times have 2-second steps
    with zipfile.ZipFile(tmp_path / "m.zip", "w") as z:
        for name in ("zz-answers.csv", "answers.csv"):
            z.writestr(zipfile.ZipInfo(f"Ada_1_assignsubmission_file_/{name}", stamp), submission_csv(week, ada, exact_values(ada)))
    r = invoke(runner, "grade", tmp_path / "week", tmp_path / "m.zip", "--out", tmp_path / "out", "--timezone", "UTC")
    message = grades(tmp_path / "out")["00123"]["message"]
    assert r.exit_code == 0 and "2 submissions have the same time (2026-01-16 12:00:04+00:00), a tie" in message, message
    assert "the latest" not in message
