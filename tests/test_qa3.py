"""Third QA round on grading: a name ending in ``-<digits>`` is a Canvas resubmission only in a
Canvas name; id conflicts are shown where the instructor looks (the summary); feedback blocks
stay whole across PDF pages."""

from __future__ import annotations

import os
import time
from pathlib import Path

from test_grade import put, read_csv, run

from generator.record import write_week
from grader.demo import build_week, exact_values, no_update, submission_csv
from grader.identify import lms_name

YESTERDAY = time.time() - 86400


def older(path: Path) -> Path:
    os.utime(path, (YESTERDAY, YESTERDAY))
    return path


# ---- 1. "-N" is Canvas's resubmission mark, nowhere else ----

def test_dash_number_is_a_resubmission_only_in_a_canvas_name():
    assert (lms_name("smith_12345_67890_answers-2.csv").resubmission, lms_name("smith_12345_67890_answers-2.csv").stem) == (2, "answers")
    for plain in (lms_name("backprop-48.csv"), lms_name("s-001.csv"),
                  lms_name("backprop-48.csv", "Ada Lovelace_4242_assignsubmission_file_")):
        assert plain.resubmission == 0, plain
        assert plain.stem == plain.original.rsplit(".", 1)[0]


def test_newer_corrected_file_beats_a_plain_name_ending_in_digits(runner, tmp_path):
    write_week(tmp_path / "week", week := build_week([("001140", "Ada"), ("s2", "Bob")], seed="qa3"))
    ada = week.students[0]
    subs = tmp_path / "subs"
    older(put(subs, "backprop-48.csv", submission_csv(week, ada, no_update(ada))))
    put(subs, "backprop-48_corrected.csv", submission_csv(week, ada, exact_values(ada)))
    g = run(runner, tmp_path, subs)["001140"]
    assert g["percent"] == "100", g
    assert g["files"].split(";")[0].endswith("backprop-48_corrected.csv")
    assert "counts (backprop-48_corrected.csv)" in g["message"] and "not graded: backprop-48.csv" in g["message"]


def test_template_name_with_dash_digits_does_not_outrank_a_newer_file(runner, tmp_path):
    write_week(tmp_path / "week", week := build_week([("s-001", "Ada"), ("s2", "Bob")], seed="qa3"))
    ada = week.students[0]
    assert ada.file == "s-001"
    subs = tmp_path / "subs"
    older(put(subs, "s-001.csv", submission_csv(week, ada, no_update(ada))))
    put(subs, "s001_corrected.csv", submission_csv(week, ada, exact_values(ada)))
    g = run(runner, tmp_path, subs)["s-001"]
    assert g["percent"] == "100" and "counts (s001_corrected.csv)" in g["message"], g
    # the template's own name still identifies the student without a student_id column
    body = submission_csv(week, ada, exact_values(ada)).split("\n")
    put(tmp_path / "byname", "s-001.csv", "\n".join(ln.split(",", 1)[1] if ln else ln for ln in body))
    assert run(runner, tmp_path, tmp_path / "byname")["s-001"]["percent"] == "100"
