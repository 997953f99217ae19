"""Grading outputs: a reproducible summary, overrides said once per row,
identifiers never capitalized, the carried-forward sentence, the feedback page's wording."""

from __future__ import annotations

import pytest

from helpers import put
from helpers import grade_and_summary

from generator.record import asked_entries
from grader.samples import exact_values, submission_csv


@pytest.fixture
def week(canvas_week):
    """Anna 00123, Jan 00456, Zoe 02002 on a Canvas roster."""
    return canvas_week


def _book(tmp_path, week, files):
    """The gradebook of the submitted ``files`` ({name: text})."""
    from grader.ingest import collect
    from grader.pipeline import grade as grade_book

    return grade_book(week, collect([put(tmp_path / "subs", n, t) for n, t in files.items()]))


# ---- 1. the most-missed quantities tie in the seed's order ----

def test_most_missed_ties_come_in_the_seeds_order(tmp_path, week):
    from grader.reports import ClassRow, summary_facts

    book = _book(tmp_path, week, {})
    order = list(week.students[0].problems[0].answers)
    rows = [ClassRow("graded", 0.0, "", frozenset(order), sid) for sid in ("a", "b")]
    assert [q for q, _, _ in summary_facts(book, top=len(order), rows=rows)["missed"]] == order
    rows.append(ClassRow("graded", 0.0, "", frozenset(order[-1:]), "c"))
    assert summary_facts(book, top=2, rows=rows)["missed"][0][0] == order[-1]  # most first


# ---- 2. an override is said once per row, and what it left as it was is no change ----

def test_an_override_row_is_one_line_and_no_op_entries_are_not_changes(runner, tmp_path, week):
    jan = week.students[1]
    put(tmp_path / "subs", "00456.csv", submission_csv(week, jan, exact_values(jan)))
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "overrides.csv").write_text(
        "student_id,problem,quantity,row,col,credit,points,reason\n"
        "00456,1,delta2,,,1,,already right\n"  # changes nothing: every delta2 entry is right
        "00456,1,,,,0,,work copied from another sheet\n"
        "00456,,,,,,-1,late\n", encoding="utf-8")
    g, summary = grade_and_summary(runner, tmp_path, tmp_path / "subs")
    message = g["00456"]["message"]
    assert message.count("— already right") == 1 and message.count("— work copied") == 1, message
    assert "delta2 (problem 1): credit set to 1 — already right" in message
    assert "problem 1: credit set to 0 — work copied from another sheet" in message
    asked = sum(1 for k, *_ in asked_entries(week, jan) if k == 1)
    assert f"overrides: 3 rows applied ({asked} entries and 1 total changed)" in summary, summary


# ---- 3. moodle.csv's sentences never capitalize a quantity or a file name ----

@pytest.mark.parametrize("message, said", [
    ("dL_dX2[1,1] (problem 1): credit 0 → 1 — ok", "dL_dX2[1,1] (problem 1): credit 0 → 1 — ok."),
    ("net1[1,1] is off", "net1[1,1] is off."),
    ("loss (problem 1): credit set to 1 — ok", "loss (problem 1): credit set to 1 — ok."),
    ("s667.csv: binary file", "s667.csv: binary file."),
    ("problem 1: credit set to 0 — copied", "Problem 1: credit set to 0 — copied."),
    ("graded the latest file", "Graded the latest file."),
])
def test_a_sentence_keeps_an_identifiers_case(message, said):
    from grader.exports import sentence

    assert sentence(message) == said


def test_moodle_points_are_rounded_as_the_grade_column():
    from grader.exports import feedback_line

    row = {"status": "graded", "points": "0.694444", "max_points": "14", "percent": "4.9603", "message": ""}
    assert feedback_line(row, False).startswith("0.6944 of 14 points (4.9603%).")


# ---- 4. the carried-forward diagnosis is one sentence naming the student's own values ----

def test_the_carried_forward_sentence_names_the_students_own_values(seed_mse):
    import numpy as np
    from helpers import entries_of

    from generator import solve
    from generator.tolerance import entry_tolerances
    from grader.diagnose import diagnose
    from grader.feedback import _diagnosis_html

    sol = solve(seed_mse)
    answers, tol = dict(sol.values), entry_tolerances(sol)
    own = {**answers, "dL_da2": -np.asarray(answers["dL_da2"]), "delta2": -np.asarray(answers["delta2"])}
    found = [d for d in diagnose(seed_mse, 1, entries_of(own, answers, tol), answers, tol) if d.kind == "carried"]
    assert found
    html = str(_diagnosis_html(found[0], seed_mse.depth))
    assert html.startswith("It follows correctly from your own <"), html
    assert html.endswith(": the step itself is right, the error comes from earlier (error carried forward)."), html
    assert html.count(".") == 1 and "(your" not in html


# ---- 5. the feedback page says its messages as moodle.csv does ----

def _page(tmp_path, sid):
    import re

    html = (tmp_path / "out" / "feedback" / f"{sid}.html").read_text(encoding="utf-8")
    return [re.sub(r"<[^>]+>", "", li).strip() for li in re.findall(r"<li>(.*?)</li>", html, re.S)], html


def test_the_feedback_page_says_messages_as_sentences_without_local_paths(runner, tmp_path, week):
    import os

    jan = week.students[1]
    text = submission_csv(week, jan, exact_values(jan))
    old = put(tmp_path / "subs" / "first", "00456.csv", text)
    put(tmp_path / "subs" / "second", "00456.csv", text.rstrip("\n") + "\nTOTAL,,,,,42\n")
    os.utime(old, (1_000_000_000, 1_000_000_000))
    g, _ = grade_and_summary(runner, tmp_path, tmp_path / "subs")
    moodle = (tmp_path / "out" / "moodle.csv").read_text(encoding="utf-8")
    said, html = _page(tmp_path, "00456")
    assert str(tmp_path) in g["00456"]["message"]  # the instructor sees where the files were …
    assert str(tmp_path) not in html and str(tmp_path) not in moodle  # … the student sees their names
    assert "The latest of 2 submissions counts (00456.csv); not graded: 00456.csv." in said, said
    assert any(s.startswith("Line ") and s.endswith("; ignored.") for s in said), said
    assert all(s[0].isupper() and s.endswith(".") for s in said), said
    assert "The latest of 2 submissions counts (00456.csv)" in moodle


def test_a_missing_students_page_says_so_once(runner, tmp_path, week):
    anna = week.students[0]
    put(tmp_path / "subs", "00123.csv", submission_csv(week, anna, exact_values(anna)))
    grade_and_summary(runner, tmp_path, tmp_path / "subs")
    said, html = _page(tmp_path, "00456")
    assert "No submission was found for you" in html and said == [], said


# ---- 6. a photo of the work beside the answer file is no competing file ----

def test_a_photo_beside_the_csv_is_not_a_competing_file(runner, tmp_path, week):
    jan = week.students[1]
    put(tmp_path / "subs", "00456.csv", submission_csv(week, jan, exact_values(jan)))
    (tmp_path / "subs" / "00456_work.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a photo")
    g, _ = grade_and_summary(runner, tmp_path, tmp_path / "subs")
    row = g["00456"]
    assert (row["percent"], row["flags"]) == ("100", ""), row
    assert row["message"] == "not an answer sheet, not used: 00456_work.jpg", row
