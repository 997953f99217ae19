"""Reading what students and LMSs hand in: zips (Canvas, Moodle, nested), hostile archives,
encodings and odd CSVs — never a traceback, nothing written outside OUTDIR, inputs unchanged."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest
from helpers import invoke
from helpers import STUDENTS, grades, put, zip_bytes

from generator.record import write_week
from grader import ingest
from grader.samples import quick_week, exact_values, hand_work, submission_csv
from grader.identify import lms_name
from generator.answers import decode
from generator.errors import AnswerFileError
from grader.parse import parse_number, parse_submission


@pytest.fixture
def week(tmp_path):
    w = quick_week(STUDENTS, seed="ingest")
    write_week(tmp_path / "week", w)
    return w


def snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*") if p.is_file()}


def test_canvas_and_moodle_zips_score_full_marks(runner, tmp_path, week):
    ada, bob, cy = week.students
    canvas = zip_bytes({
        "lovelace_late_1001_2001_answers.csv": submission_csv(week, ada, lambda k: hand_work(ada, k)),
        "bob_1002_2002_s2.csv": submission_csv(week, bob, exact_values(bob)),
    })
    moodle = zip_bytes({
        "Cy_4242_assignsubmission_file_/answers.csv": submission_csv(week, cy, exact_values(cy)),
        "Cy_4242_assignsubmission_file_/my working.pdf": b"%PDF-1.4 not a csv",
    })
    put(tmp_path / "subs", "canvas.zip", canvas)
    put(tmp_path / "subs", "moodle.zip", moodle)
    r = invoke(runner, "grade", tmp_path / "week", tmp_path / "subs", "--out", tmp_path / "out")
    assert r.exit_code == 0, r.output
    g = grades(tmp_path / "out")
    assert [g[s]["percent"] for s in ("00123", "s2", "00777")] == ["100", "100", "100"]
    assert "late" in g["00123"]["flags"]


def test_hostile_inputs_leave_a_row_for_everyone_and_nothing_outside_outdir(runner, tmp_path, week):
    subs = tmp_path / "subs"
    ada = week.students[0]
    good = submission_csv(week, ada, exact_values(ada))
    put(subs, "empty.csv", b"")
    put(subs, "binary.csv", bytes(range(256)) * 8)
    put(subs, "huge.csv", b"a" * (ingest.MAX_FILE_BYTES + 1))
    put(subs, "nonfinite.csv", "student_id,problem,quantity,row,col,value\ns2,1,net1,1,1,nan\ns2,1,net1,2,1,inf\n")
    put(subs, "00123.csv", good)
    put(subs, "slip.zip", zip_bytes({"../../evil.csv": good, "/abs/evil.csv": good, "ok/../../x.csv": good}))
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("bomb.csv", b"0" * (ingest.MAX_FILE_BYTES * 4))
    put(subs, "bomb.zip", bomb.getvalue())
    put(subs, "broken.zip", b"PK\x03\x04 this is not really a zip")
    put(subs, "notes.txt", "hello")
    before = snapshot(tmp_path)
    r = invoke(runner, "grade", tmp_path / "week", subs, "--out", tmp_path / "out")
    assert r.exit_code == 0, r.output
    after = snapshot(tmp_path)
    new = {p for p in after if p not in before}
    assert all(p.startswith("out/") for p in new), new
    assert {p: h for p, h in after.items() if p in before} == before  # inputs unchanged
    g = grades(tmp_path / "out")
    assert set(g) == {"00123", "s2", "00777"}
    assert g["00123"]["percent"] == "100"
    assert g["s2"]["status"] == "graded" and "not numbers" in g["s2"]["message"]
    summary = (tmp_path / "out" / "summary.txt").read_text(encoding="utf-8")
    for name in ("empty.csv", "binary.csv", "huge.csv", "evil.csv", "bomb.csv", "broken.zip"):
        assert name in summary, name


def test_zip_entries_are_bounded_and_never_extracted():
    files = list(ingest.read_zip(zip_bytes({"../x.csv": "a", "a/b.csv": "b", "__MACOSX/a/._b.csv": "c"}), "z.zip"))
    by_name = {f.name: f for f in files}
    assert by_name["x.csv"].error.startswith("unsafe path")
    assert by_name["b.csv"].content() == b"b" and by_name["b.csv"].folder == "a"
    assert "._b.csv" not in by_name
    nested = zip_bytes({"inner.zip": zip_bytes({"deep.csv": "d"})})
    assert [f.content() for f in ingest.read_zip(nested, "outer.zip")] == [b"d"]


@pytest.mark.parametrize("data, encoding", [
    (b"\xef\xbb\xbfquantity,row,col,value\n", "utf-8-sig"),
    ("quantity\trow\tcol\tvalue\n".encode("utf-16"), "utf-16"),
    ("quantity;row;col;value\n".encode("utf-16-le"), "utf-16-le"),
    ("quantity;row;col;value\nnet1;1;1;0,5\u00e9\n".encode("cp1252"), "cp1252"),
])
def test_decoding(data, encoding):
    assert decode(data)[1] == encoding


def test_parse_odd_but_valid_rows():
    text = ("# my answers\n\nValue ; Quantity ; Row ; Col ; Extra\n"
            " \u22120,5 ; net1 ; 1 ; 1 ; x\n1.2e-3;a1;1;1;\n1 234,5;a1;2;1\n;net1;2;1;\n")
    parsed = parse_submission(text.encode())
    got = {(r.quantity, r.row): r.cell.value for r in parsed.rows}
    assert got == {("net1", 1): -0.5, ("a1", 1): 1.2e-3, ("a1", 2): 1234.5}
    assert parsed.delimiter == ";"


def test_parse_ambiguous_decimal_comma_is_reported():
    text = "student_id,problem,quantity,row,col,value,comment\ns,1,net1,1,1,0,5,ok\n"
    parsed = parse_submission(text.encode())
    assert parsed.rows[0].cell.value is None
    assert "decimal comma" in parsed.notes[0]


@pytest.mark.parametrize("data", [b"", b"   \n\n", b"just some text\n", b"\x00\x01\x02\x03" * 50,
                                  b"quantity,row,col,value\nnet1,1,1,\"" + b"x" * 200_000 + b"\"\n"])
def test_parse_refuses_non_submissions(data):
    with pytest.raises(AnswerFileError):
        parse_submission(data)


@pytest.mark.parametrize("text, value", [
    ("-0,1103", -0.1103), ("\u22120.11", -0.11), (" 1.2e-3 ", 1.2e-3), ("1\u00a0000,5", 1000.5), ("0.1610335", 0.1610335),
    ("nan", None), ("1e999", None), ("abc", None), ("=1+1", None),
])
def test_parse_number(text, value):
    assert parse_number(text, decimal_comma=True)[0] == value


def test_lms_names():
    c = lms_name("smith_late_12345_67890_answers-2.csv")
    assert (c.kind, c.original, c.stem, c.resubmission, c.late) == ("canvas", "answers-2.csv", "answers", 2, True)
    m = lms_name("answers.csv", "Ada Lovelace_4242_assignsubmission_file_")
    assert (m.kind, m.person, m.tokens) == ("moodle", "Ada Lovelace", ("4242",))
    assert lms_name("00123.csv").stem == "00123"


from hypothesis import given, settings, strategies as st  # noqa: E402

CSVISH = st.lists(st.sampled_from(["quantity", "row", "col", "value", "student_id", "net1", "1", "-0,5", "1e3", "\u2212",
                                   ",", ";", "\t", "\n", "\r", '"', " ", "x", "nan", "sep=;"]), max_size=60).map("".join)


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.binary(max_size=600), CSVISH.map(lambda t: t.encode("utf-8")), CSVISH.map(lambda t: t.encode("utf-16"))))
def test_any_bytes_are_rows_or_a_parse_error(data):
    try:
        parsed = parse_submission(data)
    except AnswerFileError:
        return
    for row in parsed.rows:
        assert row.cell.value is None or row.cell.value == row.cell.value  # finite numbers or nothing
