"""What QA threw at `bpdrill grade` (issues 5 and 6): floods of big files in a zip, files with absurd
row counts, nested zips, junk entries named like LMS ids, ids in two Unicode forms, missing
SUBMISSION paths, misspelled config tables, and what the summary and feedback say.

Resource use is bounded indirectly: by counting what was read and parsed, and by the reasons given
(no timed tests)."""

from __future__ import annotations

import io
import os
import unicodedata
import zipfile

import pytest
from helpers import invoke
from helpers import STUDENTS, grades, put

from generator.cli import app
from generator.record import write_week
from grader import ingest, parse, pipeline
from grader.workflow import only_ids
from grader.samples import quick_week, exact_values, submission_csv
from grader.feedback import feedback_html
from grader.pipeline import grade as grade_files


@pytest.fixture
def week(tmp_path):
    w = quick_week(STUDENTS, seed="limits", columns=[{"ID": "99"}, {"ID": "98"}, {"ID": "97"}])
    write_week(tmp_path / "week", w)
    return w


def grade(runner, tmp_path, *subs, extra=(), code=0):
    r = invoke(runner, "grade", tmp_path / "week", *subs, "--out", tmp_path / "out", *extra)
    assert r.exit_code == code, r.output + r.stderr
    return r


@pytest.fixture
def counted(monkeypatch):
    """How many files were peeked at (whose rows) and parsed in full (numbers read)."""
    calls = {"peek": 0, "parse": 0}

    def counting(name, real):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return real(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(pipeline, "peek_ids", counting("peek", parse.peek_ids))
    monkeypatch.setattr(pipeline, "parse_submission", counting("parse", parse.parse_submission))
    return calls


def padded_csv(student_id: str, size: int) -> bytes:
    """An answer file of ``size`` bytes: the same entry over and over (QA's corpus3 member)."""
    head = b"student_id,problem,quantity,row,col,value\n"
    line = f"{student_id},1,net1,1,1,0.1\n".encode()
    return head + line * ((size - len(head)) // len(line))


# ---- resource use ----

def test_a_zip_flooded_with_big_files_for_one_student_is_read_within_the_budget(runner, tmp_path, week, counted):
    """50 members of 1.9 MB (95 MB uncompressed, each under the 2 MB limit), all named for one student."""
    ada = week.students[0]
    member = padded_csv(ada.id, 1_900_000)
    with zipfile.ZipFile(tmp_path / "flood.zip", "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for n in range(50):
            z.writestr(f"{n}/{ada.file}.csv", member)
    r = grade(runner, tmp_path, tmp_path / "flood.zip", extra=("--feedback", "none"))
    row = grades(tmp_path / "out")[ada.id]
    assert row["status"] == "unreadable" and "several-files" in row["flags"]
    assert row["files"].endswith("and 47 more") and row["files"].count(";") == 2
    assert len(row["message"]) < 800  # three paths at most, however many files
    assert "budget of 64 MB read per zip" in row["message"] or "more than 20,000" in row["message"]
    assert counted["peek"] <= ingest.MAX_ZIP_READ // len(member) + 1  # the rest never read
    assert counted["parse"] == 0  # nothing parsed in full: the file that counts is unreadable
    assert {grades(tmp_path / "out")[s.id]["status"] for s in week.students[1:]} == {"missing"}
    assert "Traceback" not in r.output


def test_only_the_file_that_counts_is_parsed_and_only_its_asked_rows(runner, tmp_path, week, counted):
    ada, bob, _ = week.students
    subs = tmp_path / "subs"
    noise = padded_csv(ada.id, 100_000)  # under every limit, wrong, and older
    for n in range(30):
        put(subs / f"old{n:02d}", f"{ada.file}.csv", noise)
    good = submission_csv(week, ada, exact_values(ada)) + f"{ada.id},1,not_a_quantity,1,1,5\n" * 3
    latest = put(subs / "zz-latest", f"{ada.file}.csv", good)
    os.utime(latest, (2e9, 2e9))
    put(subs, "bob.csv", submission_csv(week, bob, exact_values(bob)))
    grade(runner, tmp_path, subs, extra=("--feedback", "none"))
    g = grades(tmp_path / "out")
    assert g[ada.id]["percent"] == "100" and g[bob.id]["percent"] == "100"
    assert "not asked, ignored: not_a_quantity (3 rows)" in g[ada.id]["message"]
    assert "zz-latest" in g[ada.id]["message"] and "old29" in g[ada.id]["message"]  # same names told apart
    assert "and 27 more" in g[ada.id]["message"] and g[ada.id]["files"].endswith("and 28 more")
    assert counted == {"peek": 32, "parse": 2}  # every file peeked at; one parsed per student


def test_rows_of_quantities_not_wanted_are_counted_not_kept():
    text = "quantity,row,col,value\nnet1,1,1,0.5\njunk,1,1,2\njunk,2,1,3\n"
    parsed = parse.parse_submission(text.encode(), wanted={"net1"})
    assert [r.quantity for r in parsed.rows] == ["net1"] and dict(parsed.skipped) == {"junk": 2}


def test_a_file_over_the_row_cap_is_unreadable_with_the_reason(runner, tmp_path, week):
    ada = week.students[0]
    line = f"{ada.id},1,net1,1,1,0.1\n"
    put(tmp_path / "subs", f"{ada.file}.csv", "student_id,problem,quantity,row,col,value\n" + line * (parse.MAX_ROWS + 1))
    grade(runner, tmp_path, tmp_path / "subs", extra=("--feedback", "none"))
    row = grades(tmp_path / "out")[ada.id]
    assert row["status"] == "unreadable" and "more than 20,000" in row["message"]
    with pytest.raises(parse.AnswerFileError, match="more than"):
        parse.peek_ids(("quantity,row,col,value\n" + "net1,1,1,1\n" * (parse.MAX_ROWS + 1)).encode())


def zip_of(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return buf.getvalue()


def test_a_nested_zip_and_what_is_read_from_it_count_against_the_outer_zips_budget():
    inner = zip_of({f"s{n}.csv": bytes([65 + n]) * 300_000 for n in range(5)})
    outer = zip_of({"a.csv": b"a" * 300_000, "student_late_1_2_inner.zip": inner})
    run = ingest.Budget(10_000_000, "run")
    budget = ingest.Budget(1_200_000, "zip", run)
    files = list(ingest.read_zip(outer, "canvas.zip", budget))
    assert [f.name for f in files] == ["a.csv"] + [f"s{n}.csv" for n in range(5)]
    read, refused = [], []
    for f in files:
        try:
            read.append(len(f.content()))
        except ingest.Unreadable as e:
            refused.append(str(e))
    assert sum(read) + len(inner) <= 1_200_000 and budget.read == run.read <= 1_200_000
    assert refused and all("budget of 1.2 MB read per zip is used up" in why for why in refused)
    assert files[0].content() == b"a" * 300_000  # read again: counted once


def test_entry_count_covers_nested_zips():
    inner = zip_of({f"j{n}.csv": b"x" for n in range(30)})
    outer = zip_of({f"in{n}.zip": inner for n in range(3)})
    budget = ingest.Budget(ingest.MAX_ZIP_READ, "zip", entries=70)
    files = list(ingest.read_zip(outer, "o.zip", budget))
    assert sum(f.error == "" for f in files) == 60
    assert "entries" in files[-1].error


# ---- what the run refuses ----

def test_a_submission_path_that_does_not_exist_stops_before_anything_is_written(runner, tmp_path, week):
    put(tmp_path / "subs", "a.csv", "x")
    r = grade(runner, tmp_path, tmp_path / "subs", tmp_path / "nonexistent", code=2)
    assert "nonexistent: no such file or folder" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("config, key", [
    ("[tolerence]\nW_new = { mode = 'sigfig', n = 3 }\n", "tolerence"),
    ("[points]\ndefault = 1\n[grade.pionts]\nx = 1\n", "grade.pionts"),
    ("colour = 'red'\n", "colour"),
    ("[late]\nper_dya = 10\n", "per_dya"),
    ("[tolerance]\nnet = { mode = 'sigfig', n = 3 }\n[grade.tolerance]\nnet = { mode = 'sigfig', n = 2 }\n", "both"),
])
def test_unknown_config_tables_and_keys_are_refused(runner, tmp_path, week, config, key):
    cfg = put(tmp_path, "grade.toml", config)
    r = grade(runner, tmp_path, tmp_path / "week", extra=("--config", cfg), code=2)
    assert str(cfg) in r.stderr and key in r.stderr, r.stderr
    assert not (tmp_path / "out").exists()


def test_a_shared_config_with_a_grade_table_is_read(runner, tmp_path, week):
    cfg = put(tmp_path, "week.toml", "layers = [2, 2, 2]\n[grade.points]\nnet = 3\n[grade.late]\nper_day = 10\n")
    grade(runner, tmp_path, tmp_path / "week", extra=("--config", cfg, "--feedback", "none"))
    assert grades(tmp_path / "out")[week.students[0].id]["max_points"] != "0"


@pytest.mark.parametrize("command, shown", [
    ("grade", ("[tolerance]", "[points]", "[late]", "SUBMISSION", "--config")),
    ("demo", ("--out", "--force", "--no-pdf")),
])
def test_help_renders_every_option_and_bracketed_word(runner, command, shown):
    r = runner.invoke(app, [command, "--help"], terminal_width=200)
    assert r.exit_code == 0
    for word in shown:
        assert word in r.output, (word, r.output)


# ---- whose file ----

def test_a_bare_number_file_name_is_not_an_lms_id(runner, tmp_path, week):
    """junk/99.csv inside a zip is no one's, even though Ada's Canvas ID is 99; Canvas names still match."""
    ada, bob, cy = week.students
    entries = {f"junk/{n}.csv": b"x" for n in range(200)}
    entries["bob_98_5555_answers.csv"] = submission_csv(week, bob, exact_values(bob)).encode()
    put(tmp_path / "subs", "canvas.zip", zip_of(entries))
    r = grade(runner, tmp_path, tmp_path / "subs", extra=("--feedback", "none"))
    g = grades(tmp_path / "out")
    assert g[ada.id]["status"] == "missing" and g[cy.id]["status"] == "missing"
    assert g[bob.id]["percent"] == "100"
    summary = (tmp_path / "out" / "summary.txt").read_text(encoding="utf-8")
    assert "files not understood (200)" in summary and "200  not understood: no header line" in summary
    assert summary.count("junk/") <= 10 and len(summary.splitlines()) < 80
    assert len(r.output.splitlines()) < 80


def test_ids_in_either_unicode_form_are_one_id(runner, tmp_path):
    composed = unicodedata.normalize("NFC", "José")
    w = quick_week([(composed, "José"), ("s2", "Bob")], seed="nfc")
    write_week(tmp_path / "week", w)
    jose = w.students[0]
    decomposed = unicodedata.normalize("NFD", composed)
    assert decomposed != composed
    text = submission_csv(w, jose, exact_values(jose), student_id=decomposed)
    put(tmp_path / "subs", "mine.csv", text)
    assert only_ids(w, [decomposed + ",s2"]) == {composed, "s2"}
    grade(runner, tmp_path, tmp_path / "subs", extra=("--feedback", "none"))
    assert grades(tmp_path / "out")[composed]["percent"] == "100"
    book = grade_files(w, ingest.collect([tmp_path / "subs"]))
    assert book.result(composed).status == "graded" and "id-conflict" not in book.result(composed).flags


# ---- what the summary and feedback say ----

def test_summary_without_feedback_and_with_nobody_graded(runner, tmp_path, week):
    (tmp_path / "nothing").mkdir()
    r = grade(runner, tmp_path, tmp_path / "nothing", extra=("--feedback", "none"))
    assert "nobody graded" in r.output and "0.0% over those graded" not in r.output
    assert "feedback/" not in r.output and not (tmp_path / "out" / "feedback").exists()


def test_pdf_feedback_shows_long_values_whole(tmp_path, week):
    ada = week.students[0]
    long_value = "0.123456789012345678"
    text = submission_csv(week, ada, exact_values(ada))
    first = text.strip().split("\n")[1]
    text = text.replace(first, first.rsplit(",", 1)[0] + "," + long_value, 1)
    put(tmp_path / "subs", "a.csv", text)
    result = grade_files(week, ingest.collect([tmp_path / "subs"])).result(ada.id)
    screen, paper = feedback_html(week, result), feedback_html(week, result, printed=True)
    assert "0.123456789…</span>" in screen and "hover for the full value" in screen
    assert f"you submitted, in full: (1,1) {long_value}" in paper and "hover" not in paper
