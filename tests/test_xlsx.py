import csv
import io
import re
import zipfile
from types import MappingProxyType

import numpy as np
import pytest
from openpyxl import load_workbook

from generator import DEFAULT_ASKED, solve
from generator.record import Student, StudentProblem, Week
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.answers import answer_csv
from generator.answers import (
    TEMPLATE_HEADER,
    AnswerFileError,
    build_template,
    cell_text,
    layout_of,
    patched_workbook,
    read_workbook_rows,
    template_rows,
    work_units,
    write_answer_workbook,
    write_answer_workbooks,
)


@pytest.fixture
def week(seed_mse, seed_ce):
    def sp(p):
        answers = solve(p).values
        return StudentProblem(p, answers, MappingProxyType({k: np.zeros_like(v) for k, v in answers.items()}))

    student = Student(id="00123", name="Ann Lee", file="00123-ann-lee", variant="A", problems=(sp(seed_mse), sp(seed_ce)))
    return Week("Week 3", "seed", DEFAULT_ASKED, MappingProxyType({}), MappingProxyType({}), (student,))


def test_template_rows_follow_the_record(week):
    rows = template_rows(week, week.students[0])
    assert rows[0] == ("00123", 1, "net1", 1, 1)
    assert {r[0] for r in rows} == {"00123"} and {r[1] for r in rows} == {1, 2}
    assert ("00123", 1, "W2_new", 2, 3) in rows and all(r[2] != "loss" for r in rows)


def assert_layout(path, rows, title):
    """The answer sheet of ``rows`` (id as text, only the value column editable, numbers only) and
    the instructions naming ``title``."""
    wb = load_workbook(path)
    ws = wb.worksheets[0]
    assert [c.value for c in ws[1]] == list(TEMPLATE_HEADER)
    assert ws.max_row == len(rows) + 1
    for r, (sid, k, name, i, j) in enumerate(rows, start=2):
        id_cell = ws.cell(r, 1)
        assert id_cell.value == sid and id_cell.data_type == "s" and id_cell.number_format == "@"
        assert [ws.cell(r, c).value for c in range(2, 7)] == [k, name, i, j, None]
    # only the value column can be edited
    assert ws.protection.sheet and not ws.protection.password
    assert all(ws.cell(r, 6).protection.locked is False for r in range(2, ws.max_row + 1))
    assert all(ws.cell(r, c).protection.locked for r in range(1, ws.max_row + 1) for c in range(1, 6))
    assert ws["F1"].protection.locked
    # numbers only in the value column
    (dv,) = ws.data_validations.dataValidation
    assert dv.type == "decimal" and str(dv.sqref) == f"F2:F{len(rows) + 1}" and dv.showErrorMessage
    info = wb.worksheets[1]
    text = "\n".join(str(c.value) for c in info["A"] if c.value)
    assert title in text and "delta2 = δ^[2]" in text


def test_workbook_layout(tmp_path, week):
    rows = template_rows(week, week.students[0])
    path = write_answer_workbook(tmp_path / "answers" / "00123-ann-lee.xlsx", rows, "Week 3")
    assert path.is_file() and not list(path.parent.glob(".*"))  # no temporary file left
    assert rows[0] == ("00123", 1, "net1", 1, 1)
    assert_layout(path, rows, "Week 3")


def fill(path, values):
    wb = load_workbook(path)
    ws = wb.worksheets[0]
    for r, v in enumerate(values, start=2):
        ws.cell(r, 6, v)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def as_excel_writes(data: bytes, values) -> bytes:
    """openpyxl stores floats with 16 digits ('%.16g'); Excel stores the 17 that make a double exact."""
    src, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                text = body.decode()
                for r, v in enumerate(values, start=2):
                    text = re.sub(rf'(<c r="F{r}"[^>]*><v>)[^<]*(</v>)', rf"\g<1>{v!r}\g<2>", text)
                body = text.encode()
            dst.writestr(info, body)
    return out.getvalue()


def test_filled_template_round_trips_at_full_precision(tmp_path, week):
    student = week.students[0]
    rows = template_rows(week, student)
    path = write_answer_workbook(tmp_path / "a.xlsx", rows)
    expected = [float(student.problems[k - 1].answers[name][i - 1, j - 1]) for _, k, name, i, j in rows]
    table = read_workbook_rows(as_excel_writes(fill(path, expected), expected), "a.xlsx")
    assert table[0] == list(TEMPLATE_HEADER)
    assert len(table) == len(rows) + 1
    for (sid, k, name, i, j), got, want in zip(rows, table[1:], expected):
        assert got[:5] == [sid, str(k), name, str(i), str(j)]
        assert float(got[5]) == want  # bit for bit


def test_read_keeps_leading_zeros_and_skips_blanks(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["notes"])
    wb.create_sheet("mine")
    ws2 = wb["mine"]
    ws2.append(["student_id", "problem", "quantity", "row", "col", "value", None])
    ws2.append([])
    ws2.append(["00123", 1, "net1", 1, 1, -0.1])
    ws2.append(["00123", 1.0, "a1", 1, 1, "0,475"])
    ws2.append(["00123", 1, "a1", 2, 1, "=0.1*5"])
    out = io.BytesIO()
    wb.save(out)
    rows = read_workbook_rows(out.getvalue())
    assert rows[0] == ["student_id", "problem", "quantity", "row", "col", "value"]  # the sheet with the header
    assert rows[1] == ["00123", "1", "net1", "1", "1", "-0.1"]
    assert rows[2][1] == "1" and rows[2][5] == "0,475"  # text goes to the CSV parser as is
    assert rows[3] == ["00123", "1", "a1", "2", "1"]  # a formula openpyxl wrote has no cached value: blank
    assert len(rows) == 4


@pytest.mark.parametrize("v, text", [(None, ""), (True, "TRUE"), (3, "3"), (2.0, "2"), (0.1, "0.1"), (1 / 3, repr(1 / 3)), (1e-20, "1e-20"), (1e300, "1e+300")])
def test_cell_text(v, text):
    assert cell_text(v) == text


def test_broken_files_give_one_clear_error(tmp_path):
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as z:
        z.writestr("answers.csv", "a,b\n")
    lying = io.BytesIO()
    with zipfile.ZipFile(lying, "w") as z:
        z.writestr("[Content_Types].xml", "<not xml")
    cases = [
        (b"", "not an Excel workbook"),
        (b"student_id,problem\n", "not an Excel workbook"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "old Excel .xls"),
        (zipped.getvalue(), "a zip file, not an Excel workbook"),
        (lying.getvalue(), "not a readable Excel workbook"),
    ]
    for data, msg in cases:
        with pytest.raises(AnswerFileError) as e:
            read_workbook_rows(data, "sub/ann.xlsx")
        assert str(e.value).startswith("sub/ann.xlsx: ") and msg in str(e.value) and "\n" not in str(e.value)


def test_zip_bomb_inside_xlsx_is_refused(monkeypatch):
    import generator.answers as mod

    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", b"<a/>")
        z.writestr("xl/worksheets/sheet1.xml", b" " * 2_000_000)
    monkeypatch.setattr(mod, "MAX_UNPACKED", 1_000_000)
    with pytest.raises(AnswerFileError, match="unpacks to more than"):
        read_workbook_rows(bomb.getvalue(), "bomb.xlsx")


def test_many_workbooks_in_parallel(tmp_path, week):
    rows = template_rows(week, week.students[0])[:6]
    ids = [f"{n:05d}" for n in range(9)] + [" 009"]  # the last one is built whole
    shape = lambda n: rows if n % 2 else rows[:4]  # two layouts  # noqa: E731
    jobs = [(tmp_path / f"s{n}.xlsx", [(sid, *r[1:]) for r in shape(n)]) for n, sid in enumerate(ids)]
    assert len(work_units(jobs, parts=2)) == 3
    paths = write_answer_workbooks(jobs, workers=2)
    assert paths == [p for p, _ in jobs]
    for n, p in enumerate(paths):
        table = read_workbook_rows(p.read_bytes(), p.name)
        assert len(table) == len(shape(n)) + 1 and table[1][0] == ids[n] and table[1][5:] == []
    assert write_answer_workbooks(jobs[:2], workers=None) == [p for p, _ in jobs[:2]]


IDS = ["00123", "A&B <c> \"d\" 'e' &amp;", "Zoë-学生-😀", "x" * 80]  # ids the patched copy takes


def parts(data: bytes) -> dict[str, bytes]:
    """The zip's members, the build time taken out of the properties."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        out = {i.filename: z.read(i) for i in z.infolist()}
    out["docProps/core.xml"] = re.sub(rb"\d{4}-\d\d-\d\dT[\d:]+Z", b"T", out["docProps/core.xml"])
    return out


def test_patched_workbooks_hold_exactly_what_openpyxl_writes(tmp_path, week):
    rows = template_rows(week, week.students[0])
    jobs = [(tmp_path / f"s{n}.xlsx", [(sid, *r[1:]) for r in rows]) for n, sid in enumerate(IDS)]
    (unit,) = work_units(jobs, "Week 3", parts=2)  # one layout: one openpyxl build for everyone
    assert [sid for _, sid in unit[1]] == IDS
    assert write_answer_workbooks(jobs, workers=1, title="Week 3") == [p for p, _ in jobs]
    assert not list(tmp_path.glob(".*"))
    for path, job_rows in jobs:
        whole = write_answer_workbook(tmp_path / "whole" / path.name, job_rows, "Week 3")
        assert parts(path.read_bytes()) == parts(whole.read_bytes())  # byte for byte, part by part
        with zipfile.ZipFile(path) as z:
            assert z.testzip() is None
        assert_layout(path, job_rows, "Week 3")


def test_a_filled_in_patched_copy_reads_as_the_csv_key(tmp_path, week):
    student = week.students[0]
    rows = template_rows(week, student)
    (path,) = write_answer_workbooks([(tmp_path / "a.xlsx", rows)], workers=1)
    values = [float(student.problems[k - 1].answers[name][i - 1, j - 1]) for _, k, name, i, j in rows]
    table = read_workbook_rows(as_excel_writes(fill(path, values), values), "a.xlsx")
    key = list(csv.reader(io.StringIO(answer_csv(week, [student], filled=True))))
    assert len(table) == len(key) and table[0] == key[0]
    for got, want in zip(table[1:], key[1:]):
        assert got[:5] == want[:5] and float(got[5]) == float(want[5])


@pytest.mark.parametrize("ids", [[" 007"], ["a\tb"], ["1", "2"]], ids=["edge space", "tab", "two ids"])
def test_rows_the_patch_cannot_take_are_built_whole(tmp_path, week, ids):
    rows = [(ids[n % len(ids)], *r[1:]) for n, r in enumerate(template_rows(week, week.students[0])[:4])]
    assert layout_of(rows) is None
    (unit,) = work_units([(tmp_path / "a.xlsx", rows)])
    assert unit[0] == tmp_path / "a.xlsx"  # a whole build, not a layout group
    (path,) = write_answer_workbooks([(tmp_path / "a.xlsx", rows)], workers=1)
    assert [c.value for c in load_workbook(path).worksheets[0]["A"][1:]] == [r[0] for r in rows]


@pytest.fixture(scope="module")
def template():
    rows = [("x", 1, "net1", 1, 1), ("x", 2, "dL_dW2", 2, 3)]
    return rows, build_template(layout_of(rows)[1])


@settings(max_examples=60, deadline=None)
@given(sid=st.text(min_size=1, max_size=24))
def test_any_patchable_id_reads_back_as_the_same_text(template, sid):
    rows, tpl = template
    if layout_of([(sid, *rows[0][1:])]) is None:
        return
    table = read_workbook_rows(patched_workbook(tpl, sid))
    assert [r[0] for r in table[1:]] == [sid, sid]
    assert [r[1:] for r in table[1:]] == [["1", "net1", "1", "1"], ["2", "dL_dW2", "2", "3"]]
