"""The Excel round trip: answer workbooks for ``generate --xlsx``, and .xlsx submissions read
into the same header + rows the CSV parser gets.

The workbook's first sheet is the CSV template: ``student_id,problem,quantity,row,col,value``
in row 1, one row per asked entry below. The student id is stored as text (``00123`` stays
``00123``), every cell but the value column is locked (sheet protection without a password:
it guards against slips, not against intent), values are plain numbers at full double
precision, and an input rule accepts decimal numbers only. A second sheet holds the
instructions.
"""

from __future__ import annotations

import io
import math
import os
import zipfile
from concurrent.futures import ProcessPoolExecutor
from datetime import date, datetime, time
from pathlib import Path
from typing import Sequence

from generator.formats import CSV_HEADER
from generator.record import Student, Week, asked_entries
from generator.steps import symbol_of

from .parse import MAX_ROWS as CSV_MAX_ROWS

TEMPLATE_HEADER = ("student_id", *CSV_HEADER)  # student_id,problem,quantity,row,col,value
VALUE_COLUMN = "F"
ANSWER_SHEET = "answers"
MAX_UNPACKED = 16 * 1024 * 1024  # bytes of XML an .xlsx submission may unpack to
MAX_ROWS = CSV_MAX_ROWS + 1  # the header and the rows a CSV answer file may have
SERIAL_BELOW = 8  # fewer workbooks than this are written in this process (pool start-up costs more)

Row = tuple[str, int, str, int, int]  # student_id, problem, quantity, row, col


class XlsxError(ValueError):
    """An .xlsx submission that cannot be read; the message names the file."""


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


def write_answer_workbook(path: Path, rows: Sequence[Row], title: str = "") -> Path:
    """Write one answer workbook (whole or not at all: temporary file, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        build_answer_workbook(rows, title).save(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _write_job(job: tuple[Path, Sequence[Row], str]) -> Path:
    return write_answer_workbook(*job)


def write_answer_workbooks(jobs: Sequence[tuple[Path, Sequence[Row]]], workers: int | None = None, title: str = "") -> list[Path]:
    """Write many workbooks, in parallel processes (``workers`` None = one per CPU; 1 = here)."""
    tasks = [(Path(p), [tuple(r) for r in rows], title) for p, rows in jobs]
    workers = workers or os.cpu_count() or 1
    if workers <= 1 or len(tasks) < SERIAL_BELOW:
        return [_write_job(t) for t in tasks]
    with ProcessPoolExecutor(max_workers=min(workers, len(tasks))) as pool:
        return list(pool.map(_write_job, tasks, chunksize=max(1, len(tasks) // (workers * 4))))


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
        raise XlsxError(f"{source}: an old Excel .xls (or encrypted) file; save it as .xlsx or CSV")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise XlsxError(f"{source}: not an Excel workbook (.xlsx): the file is damaged or of another kind") from None
    if sum(i.file_size for i in infos) > MAX_UNPACKED:
        raise XlsxError(f"{source}: the workbook unpacks to more than {MAX_UNPACKED // 2**20} MB; not read")
    if not any(i.filename == "[Content_Types].xml" for i in infos):
        raise XlsxError(f"{source}: a zip file, not an Excel workbook (.xlsx)")


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
    trailing empty cells, no empty rows. :class:`XlsxError` names ``source`` for anything that
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
                    raise XlsxError(f"{source}: the workbook has no worksheet")
                out: list[list[str]] = []
                for values in _header_sheet(wb).iter_rows(values_only=True):
                    cells = [cell_text(v) for v in values]
                    while cells and not cells[-1].strip():
                        cells.pop()
                    if cells:
                        out.append(cells)
                        if len(out) > MAX_ROWS:
                            raise XlsxError(f"{source}: more than {CSV_MAX_ROWS:,} rows (an answer file has a few hundred); not read")
            finally:
                wb.close()
    except XlsxError:
        raise
    except Exception as e:  # openpyxl and the XML parser raise many kinds on a broken file
        raise XlsxError(f"{source}: not a readable Excel workbook (.xlsx): {type(e).__name__}") from None
    return out
