"""Grading: a name ending in ``-<digits>`` is a Canvas resubmission only in a
Canvas name; id conflicts are shown where the instructor looks (the summary); feedback blocks
stay whole across PDF pages."""

from __future__ import annotations

import os
import time
from pathlib import Path

from helpers import invoke
from helpers import grades, put, run

from generator.record import write_week
from grader.samples import quick_week, exact_values, no_update, submission_csv
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
    write_week(tmp_path / "week", week := quick_week([("001140", "Ada"), ("s2", "Bob")], seed="qa3"))
    ada = week.students[0]
    subs = tmp_path / "subs"
    older(put(subs, "backprop-48.csv", submission_csv(week, ada, no_update(ada))))
    put(subs, "backprop-48_corrected.csv", submission_csv(week, ada, exact_values(ada)))
    g = run(runner, tmp_path, subs)["001140"]
    assert g["percent"] == "100", g
    assert g["files"].split(";")[0].endswith("backprop-48_corrected.csv")
    assert "counts (backprop-48_corrected.csv)" in g["message"] and "not graded: backprop-48.csv" in g["message"]


def test_template_name_with_dash_digits_does_not_outrank_a_newer_file(runner, tmp_path):
    write_week(tmp_path / "week", week := quick_week([("s-001", "Ada"), ("s2", "Bob")], seed="qa3"))
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


# ---- 2. id conflicts are named in the summary, with what to do ----

def test_id_conflict_is_spelled_out_in_the_summary(runner, tmp_path):
    write_week(tmp_path / "week", week := quick_week([("9", "Nine"), ("09", "Oh-nine"), ("s2", "Bob")], seed="qa3"))
    nine, oh_nine, bob = week.students
    subs = tmp_path / "subs"
    put(subs, "09.csv", submission_csv(week, oh_nine, exact_values(oh_nine), student_id="9"))  # Excel ate the zero
    put(subs, "s2.csv", submission_csv(week, bob, exact_values(bob), student_id="X99"))  # a typo: no one's id
    result = invoke(runner, "grade", tmp_path / "week", subs, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    g = grades(tmp_path / "out")
    assert g["9"]["status"] == "graded" and "id-conflict" in g["9"]["flags"] and g["09"]["status"] == "missing"
    summary = (tmp_path / "out" / "summary.txt").read_text()
    printed = " ".join(result.output.split())
    for text in (" ".join(summary.split()), printed):
        assert "needs attention: 2 id conflicts" in text
        assert (f"{subs / '09.csv'}: its student_id column says 9, its name says 09 (Excel may have eaten a leading "
                "zero) — graded for 9 (the column counts); 09 has no submission. If it belongs to 09, write 09 in its "
                "student_id column") in text
        assert f"{subs / 's2.csv'}: its student_id column says X99 (not on the roster), its name says s2 — graded for s2 (by its name)" in text


def test_an_older_conflicting_file_is_listed_too(runner, tmp_path):
    # 9's own file counts; the older 09.csv (column 9) is never graded, and 09 shows as missing
    write_week(tmp_path / "week", week := quick_week([("9", "Nine"), ("09", "Oh-nine")], seed="qa3"))
    nine, oh_nine = week.students
    subs = tmp_path / "subs"
    older(put(subs, "09.csv", submission_csv(week, oh_nine, exact_values(oh_nine), student_id="9")))
    put(subs, "9.csv", submission_csv(week, nine, exact_values(nine)))
    run(runner, tmp_path, subs)
    summary = " ".join((tmp_path / "out" / "summary.txt").read_text().split())
    assert "taken for 9 (the column counts) but not graded: another file of 9 counts; 09 has no submission" in summary


def test_no_conflict_no_attention_section_and_partial_regrade_keeps_it(runner, tmp_path):
    write_week(tmp_path / "week", week := quick_week([("9", "Nine"), ("09", "Oh-nine"), ("s2", "Bob")], seed="qa3"))
    nine, oh_nine, bob = week.students
    subs = tmp_path / "subs"
    put(subs, "s2.csv", submission_csv(week, bob, exact_values(bob)))
    run(runner, tmp_path, subs)
    assert "needs attention" not in (tmp_path / "out" / "summary.txt").read_text()
    put(subs, "09.csv", submission_csv(week, oh_nine, exact_values(oh_nine), student_id="9"))
    run(runner, tmp_path, subs)
    # regrading only s2: the whole-class summary.txt still points at 9's conflict from the earlier run
    result = invoke(runner, "grade", tmp_path / "week", subs, "--out", tmp_path / "out", "--only", "s2")
    assert result.exit_code == 0, result.output
    summary = " ".join((tmp_path / "out" / "summary.txt").read_text().split())
    assert "9: flagged id-conflict in an earlier run; its message in grades.csv says more" in summary


# ---- 3. a feedback PDF never separates a quantity from its comment ----

def test_pdf_feedback_keeps_each_quantity_with_its_comment(tmp_path):
    import re

    import weasyprint
    from pypdf import PdfReader

    from grader import ingest
    from grader.feedback import TEMPLATES, feedback_html
    from grader.pipeline import grade as grade_files

    week = quick_week([("s1", "Ada")], seed="qa3-pdf")
    ada = week.students[0]
    wrong = lambda k: {n: v * 1.37 + 1e-9 for n, v in ada.problems[k].answers.items()}  # noqa: E731 — long, wrong values
    put(tmp_path / "subs", "s1.csv", submission_csv(week, ada, wrong))
    result = grade_files(week, ingest.collect([tmp_path / "subs"])).result("s1")
    html = feedback_html(week, result, printed=True)
    assert html.count('<tbody class="entry">') == len({e.quantity for e in result.entries})
    # small pages: many page breaks, each of which could fall between a row and its comment
    small = html.replace("</style>", "@page { size: A6; margin: 5mm }\n</style>", 1)
    pdf = weasyprint.HTML(string=small, base_url=str(TEMPLATES)).write_pdf()
    (tmp_path / "f.pdf").write_bytes(pdf)
    pages = [p.extract_text() for p in PdfReader(tmp_path / "f.pdf").pages]
    assert len(pages) > 3
    for n, text in enumerate(pages, start=1):
        comment = text.find("you submitted, in full")
        row = re.search(r"\d+ of \d+ right", text)
        assert comment < 0 or (row is not None and row.start() < comment), f"page {n} starts with a comment:\n{text}"
