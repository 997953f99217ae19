"""The answer file: the one format students hand in, written by ``generate`` and read by ``grade``.

- the template: ``student_id,problem,quantity,row,col,value``, one row per asked entry
  (:func:`answer_csv`; ``value`` empty, or filled in for the key);
- text: :func:`decode` reads a CSV's bytes whatever Excel or an LMS did to them (UTF-8 with or
  without BOM, UTF-16 with or without BOM, cp1252); the grader's ``parse`` reads the rows;
- the Excel round trip: answer workbooks for ``generate --xlsx``, and .xlsx submissions read
  into the same header + rows the CSV parser gets.

The workbook's first sheet is the CSV template: ``student_id,problem,quantity,row,col,value``
in row 1, one row per asked entry below. The student id is stored as text (``00123`` stays
``00123``), every cell but the value column is locked (sheet protection without a password:
it guards against slips, not against intent), values are plain numbers at full double
precision, and an input rule accepts decimal numbers only. A second sheet holds the
instructions.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Iterable, Sequence
from html import escape

from .errors import AnswerFileError
from .record import Student, Week, asked_entries
from .steps import symbol_of

MAX_ROWS = 20_000  # lines of an answer file after the header; far above any real answer file
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


# ---- the answer template (CSV) ----

TEMPLATE_HEADER = ("student_id", "problem", "quantity", "row", "col", "value")


def _blank_rows(week: Week, student: Student) -> str:
    """The template's rows of one student (value empty): the rows of a week's first student with
    these answer shapes, with this student's id (a class of 1,000 has one or two shapes)."""
    shapes = (week.asked, tuple(tuple((n, a.shape) for n, a in sp.answers.items()) for sp in student.problems))
    rows = _BLANK_ROWS.get(shapes)
    if rows is None:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerows(("", k, name, i, j, "") for k, name, i, j in asked_entries(week, student))
        rows = _BLANK_ROWS[shapes] = buf.getvalue().splitlines(keepends=True)  # each starts with the id's ","
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow((student.id, ""))
    sid = buf.getvalue()[:-2]  # the id as csv writes it in a row (quoted if it needs to be)
    return "".join(sid + row for row in rows)


_BLANK_ROWS: dict[tuple, list[str]] = {}


def answer_csv(week: Week, students: Iterable[Student], filled: bool = False) -> str:
    """The answer template (value empty) or, ``filled``, the key: a complete, correct submission."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(TEMPLATE_HEADER)
    for s in students:
        if not filled:
            buf.write(_blank_rows(week, s))
            continue
        for k, name, i, j in asked_entries(week, s):
            value = repr(float(s.problems[k - 1].answers[name][i - 1, j - 1]))
            w.writerow((s.id, k, name, i, j, value))
    return buf.getvalue()


# ---- decoding a text file, whatever Excel did to it ----

def decode(data: bytes) -> tuple[str, str]:
    """Bytes → (text, encoding). AnswerFileError for a binary or empty file."""
    if not data.strip(b" \t\r\n\x00"):
        raise AnswerFileError("empty file")
    if data.startswith(b"\xef\xbb\xbf"):
        return _strict(data[3:], "utf-8"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _strict(data, "utf-16"), "utf-16"
    head = data[:4096]
    if head.count(b"\x00") > len(head) // 4:  # UTF-16 without a BOM: every other byte is 0
        even, odd = head[0::2].count(0), head[1::2].count(0)
        enc = "utf-16-le" if odd > even else "utf-16-be"
        return _strict(data, enc), enc
    if b"\x00" in head:
        raise AnswerFileError("binary file, not a CSV text file")
    try:
        text = data.decode("utf-8")
        encoding = "utf-8"
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
        encoding = "cp1252"
    if len(_CONTROLS.findall(text, 0, 4096)) > 8:
        raise AnswerFileError("binary file, not a CSV text file")
    return text, encoding


def _strict(data: bytes, encoding: str) -> str:
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        raise AnswerFileError(f"not valid {encoding.upper()} text") from None
    return text.lstrip("\ufeff")



# ---- the Excel workbook ----

VALUE_COLUMN = "F"
ANSWER_SHEET = "answers"
MAX_UNPACKED = 16 * 1024 * 1024  # bytes of XML an .xlsx submission may unpack to
MAX_WORKBOOK_ROWS = MAX_ROWS + 1  # the header and the rows a CSV answer file may have
PATCHES_PER_BUILD = 40  # a process gets at least this many students of a layout (one openpyxl build ≈ 40 patched copies)

Row = tuple[str, int, str, int, int]  # student_id, problem, quantity, row, col



def template_rows(week: Week, student: Student) -> list[Row]:
    """The asked entries of one student, as workbook rows."""
    return [(student.id, k, name, i, j) for k, name, i, j in asked_entries(week, student)]


def instructions(rows: Sequence[Row], title: str = "") -> list[str]:
    names = list(dict.fromkeys(r[2] for r in rows))
    lines = [
        title or "Backpropagation exercise",
        "",
        f"Fill in the '{VALUE_COLUMN}' column (value) of the sheet '{ANSWER_SHEET}': one number per row.",
        "Each row is one entry: problem number, quantity, row and column (counted from 1).",
        "Type numbers as you worked them out (rounded to 4 significant digits is fine), e.g. -0.1103 or 4.75E-3.",
        "Leave the other columns as they are; do not add, remove or sort rows.",
        "Save as .xlsx (or as CSV) and hand the file in.",
        "",
        "Quantities (name in the sheet = notation on your exercise sheet):",
    ]
    lines += [f"  {n} = {symbol_of(n)}" for n in names]
    return lines


def build_answer_workbook(rows: Sequence[Row], title: str = ""):
    """The workbook (openpyxl Workbook) for one student's rows."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, Protection
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = ANSWER_SHEET
    ws.append(list(TEMPLATE_HEADER))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    unlocked = Protection(locked=False)
    for r, (sid, problem, quantity, i, j) in enumerate(rows, start=2):
        id_cell = ws.cell(r, 1, str(sid))
        id_cell.number_format = "@"  # text: Excel must not turn 00123 into 123
        ws.cell(r, 2, int(problem))
        ws.cell(r, 3, str(quantity))
        ws.cell(r, 4, int(i))
        ws.cell(r, 5, int(j))
        value = ws.cell(r, 6)
        value.protection = unlocked
        value.number_format = "General"
    last = len(rows) + 1
    if rows:
        dv = DataValidation(
            type="decimal", operator="between", formula1="-1E+307", formula2="1E+307", allow_blank=True,
            showErrorMessage=True, errorTitle="A number, please", error="Type a number, e.g. -0.1103 or 4.75E-3.",
            showInputMessage=True, promptTitle="value", prompt="A number (decimal).",
        )
        dv.add(f"{VALUE_COLUMN}2:{VALUE_COLUMN}{last}")
        ws.add_data_validation(dv)
    ws.protection.sheet = True  # no password
    ws.protection.formatColumns = False  # widening a column stays allowed
    ws.freeze_panes = "A2"
    for letter, width in zip("ABCDEF", (14, 9, 12, 6, 6, 22)):
        ws.column_dimensions[letter].width = width
    info = wb.create_sheet("instructions")
    for line in instructions(rows, title):
        info.append([line])
    info.column_dimensions["A"].width = 100
    return wb


def _save_atomically(path: Path, write) -> Path:
    """Write ``path`` whole or not at all: ``write(tmp)``, then rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def write_answer_workbook(path: Path, rows: Sequence[Row], title: str = "") -> Path:
    """Write one answer workbook, built by openpyxl."""
    return _save_atomically(path, build_answer_workbook(rows, title).save)


# ---- many workbooks: one openpyxl build per layout, then only the id is patched in ----
#
# A week's workbooks differ only in the student id and the asked entries, and students with the
# same network shape are asked the same entries. So the workbook of each distinct layout is built
# once by openpyxl around a placeholder id; each student's copy replaces the placeholder's text
# cells in the answer sheet and keeps every other zip member's compressed bytes as they are.

PLACEHOLDER = "\ue000bpdrill-student-id\ue000"  # private-use characters: in no real id, nowhere else in the workbook
ANSWER_PART = "xl/worksheets/sheet1.xml"  # the answer sheet (the first) inside the zip
_ID_CELL = "<t>{}</t>"  # how openpyxl writes an inline string without leading/trailing space

Layout = tuple[str, tuple[tuple[int, str, int, int], ...]]  # title, the rows without the id


@dataclass(frozen=True)
class Template:
    """One layout's workbook, split where the student id goes."""

    others: bytes  # a zip of every member but the answer sheet (compressed once)
    sheet_info: zipfile.ZipInfo  # the answer sheet's entry (name, date, compression)
    pieces: tuple[bytes, ...]  # the answer sheet's XML cut at each id cell's text
    char_refs: bool = False  # openpyxl wrote non-ASCII text as character references (it does with lxml)


def layout_of(rows: Sequence[Row], title: str = "") -> tuple[str, Layout] | None:
    """(the id, the layout) when ``rows`` can take the patched copy: one id, written as openpyxl
    writes a plain inline string (no edge spaces, no control or non-XML characters); else None."""
    ids = {str(r[0]) for r in rows}
    if len(ids) != 1:
        return None
    (sid,) = ids
    if not sid or sid != sid.strip() or any(ord(c) < 32 or 0xD800 <= ord(c) <= 0xDFFF or c in "\ufffe\uffff" for c in sid):
        return None
    return sid, (title, tuple((int(k), str(q), int(i), int(j)) for _, k, q, i, j in rows))


def build_template(layout: Layout) -> Template | None:
    """The layout's workbook around the placeholder id; None if the id cannot be found in it exactly
    once per row (then each student's workbook is built whole)."""
    title, entries = layout
    rows = [(PLACEHOLDER, *e) for e in entries]
    data = io.BytesIO()
    build_answer_workbook(rows, title).save(data)
    # openpyxl writes the placeholder as UTF-8, or as character references when it writes with lxml
    placeholders = [PLACEHOLDER.encode(), PLACEHOLDER.encode("ascii", "xmlcharrefreplace")]
    marker = placeholders[0]
    others = io.BytesIO()
    sheet_info = pieces = None
    with zipfile.ZipFile(data) as src, zipfile.ZipFile(others, "w") as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == ANSWER_PART:
                marker = next((m for m in placeholders if m in body), placeholders[0])
                sheet_info, pieces = info, tuple(body.split(_ID_CELL.encode().replace(b"{}", marker)))
            elif any(m in body for m in placeholders):
                return None
            else:
                dst.writestr(info, body)
    if pieces is None or len(pieces) != len(rows) + 1 or any(m in p for p in pieces for m in placeholders):
        return None
    return Template(others.getvalue(), sheet_info, pieces, char_refs=marker != placeholders[0])


def patched_workbook(template: Template, sid: str) -> bytes:
    """The template's workbook with ``sid`` in every id cell (XML-escaped, UTF-8 or character
    references as openpyxl wrote the template)."""
    cell = _ID_CELL.format(escape(sid, quote=False)).encode(*(("ascii", "xmlcharrefreplace") if template.char_refs else ()))
    out = io.BytesIO(template.others)
    out.seek(0, io.SEEK_END)
    info = zipfile.ZipInfo(template.sheet_info.filename, template.sheet_info.date_time)
    info.compress_type, info.external_attr = template.sheet_info.compress_type, template.sheet_info.external_attr
    with zipfile.ZipFile(out, "a") as z:  # appending keeps the other members' compressed bytes
        z.writestr(info, cell.join(template.pieces))
    return out.getvalue()


def write_patched_workbook(path: Path, template: Template, sid: str) -> Path:
    return _save_atomically(path, lambda tmp: tmp.write_bytes(patched_workbook(template, sid)))


Unit = tuple[Layout, tuple[tuple[Path, str], ...]] | tuple[Path, tuple[Row, ...], str]  # patched group | one whole build


def _write_unit(unit: Unit) -> list[Path]:
    """A layout's group (its template built once, each id patched in) or one workbook built whole."""
    if isinstance(unit[0], Path):
        return [write_answer_workbook(*unit)]
    layout, students = unit
    template = build_template(layout)
    if template is None:
        title, entries = layout
        return [write_answer_workbook(p, [(sid, *e) for e in entries], title) for p, sid in students]
    return [write_patched_workbook(p, template, sid) for p, sid in students]


def work_units(jobs: Sequence[tuple[Path, Sequence[Row]]], title: str = "", parts: int = 1) -> list[Unit]:
    """The jobs grouped by layout (first-seen order), each group cut into at most ``parts`` pieces of
    at least PATCHES_PER_BUILD students; rows that cannot be patched are built whole, one by one."""
    groups: dict[Layout, list[tuple[Path, str]]] = {}
    whole: list[Unit] = []
    for path, rows in jobs:
        found = layout_of(rows, title)
        if found is None:
            whole.append((Path(path), tuple(tuple(r) for r in rows), title))
        else:
            groups.setdefault(found[1], []).append((Path(path), found[0]))
    units: list[Unit] = []
    for layout, students in groups.items():
        size = max(PATCHES_PER_BUILD, -(-len(students) // max(1, parts)))
        units += [(layout, tuple(students[i : i + size])) for i in range(0, len(students), size)]
    return units + whole


def write_answer_workbooks(jobs: Sequence[tuple[Path, Sequence[Row]]], workers: int | None = None, title: str = "") -> list[Path]:
    """Write many workbooks (``workers`` processes: None = one per CPU; 1 = here). Each holds the
    same parts openpyxl writes for its rows (the answer sheet last in the zip, the layout's build
    time in its properties). Returns the paths in the order of ``jobs``."""
    workers = workers or os.cpu_count() or 1
    units = work_units(jobs, title, workers)
    if workers <= 1 or len(units) < 2:
        for unit in units:
            _write_unit(unit)
    else:
        from concurrent.futures import ProcessPoolExecutor  # only for --xlsx

        with ProcessPoolExecutor(max_workers=min(workers, len(units))) as pool:
            list(pool.map(_write_unit, units))  # raises the first failure
    return [Path(p) for p, _ in jobs]


# ---- reading submissions ----

def cell_text(v: object) -> str:
    """A cell as the CSV parser would see it: numbers at full precision (repr), blanks empty."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isfinite(v) and v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return repr(v)
    if isinstance(v, (datetime, date, time)):
        return v.isoformat()  # Excel made a date of it; the parser will say it is not a number
    return str(v)


def _check_container(data: bytes, source: str) -> None:
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise AnswerFileError(f"{source}: an old Excel .xls (or encrypted) file; save it as .xlsx or CSV")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise AnswerFileError(f"{source}: not an Excel workbook (.xlsx): the file is damaged or of another kind") from None
    if sum(i.file_size for i in infos) > MAX_UNPACKED:
        raise AnswerFileError(f"{source}: the workbook unpacks to more than {MAX_UNPACKED // 2**20} MB; not read")
    if not any(i.filename == "[Content_Types].xml" for i in infos):
        raise AnswerFileError(f"{source}: a zip file, not an Excel workbook (.xlsx)")


def _header_sheet(wb):
    """The first sheet whose first row names ``quantity`` and ``value``; else the first sheet."""
    for ws in wb.worksheets:
        first = next(ws.iter_rows(max_row=1, values_only=True), ())
        names = {cell_text(c).strip().lower() for c in first}
        if {"quantity", "value"} <= names:
            return ws
    return wb.worksheets[0]


def read_workbook_rows(data: bytes, source: str = "workbook") -> list[list[str]]:
    """The rows of an .xlsx submission as text (header first), as the CSV parser gets them.

    Reads the sheet with the template's header (else the first), cached formula results, no
    trailing empty cells, no empty rows. :class:`AnswerFileError` names ``source`` for anything that
    is not a readable workbook.
    """
    _check_container(data, source)
    import warnings

    from openpyxl import load_workbook

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about unknown extensions, data validation …
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                if not wb.worksheets:
                    raise AnswerFileError(f"{source}: the workbook has no worksheet")
                out: list[list[str]] = []
                for values in _header_sheet(wb).iter_rows(values_only=True):
                    cells = [cell_text(v) for v in values]
                    while cells and not cells[-1].strip():
                        cells.pop()
                    if cells:
                        out.append(cells)
                        if len(out) > MAX_WORKBOOK_ROWS:
                            raise AnswerFileError(f"{source}: more than {MAX_ROWS:,} rows (an answer file has a few hundred); not read")
            finally:
                wb.close()
    except AnswerFileError:
        raise
    except Exception as e:  # openpyxl and the XML parser raise many kinds on a broken file
        raise AnswerFileError(f"{source}: not a readable Excel workbook (.xlsx): {type(e).__name__}") from None
    return out
