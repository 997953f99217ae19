"""Stage 3: read the rows of one submitted CSV, whatever program wrote it (pure: bytes in).

- decoding: UTF-8 with or without BOM, UTF-16 (Excel's "Unicode text", with or without BOM),
  cp1252 (older Excel on Windows); a binary file is refused with a reason;
- line ends: LF, CRLF, old Mac CR; blank lines skipped; Excel's ``sep=;`` line understood;
- delimiter: comma, semicolon or tab, from the header line (the one naming ``quantity``);
- columns by their header names, in any order; extra columns ignored; rows in any order;
- numbers: ``1.2e-3``, decimal commas (``-0,1103``), Unicode minus, spaces inside; with a
  comma delimiter a quoted decimal comma (``"-0,435"``) is read, an unquoted one splits the
  value in two — read back when the row is unambiguous (the value is the last column and
  exactly one field too many), reported otherwise.

The result is a :class:`ParsedFile`: the rows read, and notes about anything odd, with line
numbers. Nothing here knows the week; matching rows to asked entries is the judge's stage —
but a caller may say which quantities it wants (``wanted``): rows of others are only counted.
:func:`peek_ids` reads just whose rows a file holds (cheap: no numbers, no row objects).

A file with more than :data:`MAX_ROWS` lines is refused (a 2-2-2 network asks about 40 entries, a
deep one a few hundred): reading is bounded by the file, not by what the file claims.
"""

from __future__ import annotations

import csv
import functools
import math
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Collection, Mapping
from generator.answers import MAX_ROWS, decode
from generator.errors import AnswerFileError

DELIMITERS = (",", ";", "\t")
MAX_NOTES = 20

# header names as students, Excel and LMSs write them → our column
ALIASES = {
    "student_id": "student_id", "studentid": "student_id", "student": "student_id", "id": "student_id",
    "student_number": "student_id", "matriculation": "student_id",
    "problem": "problem", "problem_no": "problem", "exercise": "problem",
    "quantity": "quantity",
    "row": "row", "i": "row",
    "col": "col", "column": "col", "j": "col",
    "value": "value", "answer": "value", "result": "value",
}
REQUIRED = ("quantity", "row", "col", "value")

_MINUS = str.maketrans({"\u2212": "-", "\u2013": "-", "\u2012": "-", "\ufe63": "-", "\uff0d": "-"})
_SPACES = re.compile(r"[\s\u00a0\u2009\u202f\u2007]+")
_QUOTED_DECIMAL = re.compile(r"[+-]?\d+,\d+(?:[eE][+-]?\d+)?")
_INT = re.compile(r"^[+-]?\d+(?:\.0*)?$")



@dataclass(frozen=True)
class Cell:
    """One submitted value: the text as written and the number read from it (None: not a number)."""

    text: str
    value: float | None
    line: int
    note: str = ""


@dataclass(frozen=True)
class Row:
    line: int
    student_id: str
    problem: int | None  # None: no problem column (a single-problem week)
    quantity: str
    row: int
    col: int
    cell: Cell


@dataclass(frozen=True)
class ParsedFile:
    rows: tuple[Row, ...]
    encoding: str
    delimiter: str
    notes: tuple[str, ...]
    skipped: Mapping[str, int] = field(default_factory=dict)  # rows of quantities not wanted, by name


# ---- numbers ----

def parse_number(text: str, decimal_comma: bool) -> tuple[float | None, str]:
    """A number as a student wrote it → (value, note). Blank → (None, ""); not a number → (None, why)."""
    t = _SPACES.sub("", text.translate(_MINUS)).strip().strip('"')
    if not t:
        return None, ""
    if "," in t:
        if "." in t and t.rfind(",") > t.rfind("."):  # 1.234,5 (European thousands)
            t = t.replace(".", "").replace(",", ".")
        elif "." in t:  # 1,234.5
            t = t.replace(",", "")
        elif t.count(",") == 1 and decimal_comma:
            t = t.replace(",", ".")
        else:
            return None, f"{text.strip()!r} is not a number"
    try:
        v = float(t)
    except ValueError:
        return None, f"{text.strip()!r} is not a number"
    if not math.isfinite(v):
        return None, f"{text.strip()!r} is not a finite number"
    return v, ""


def quoted_decimal_comma(field: str) -> bool:
    """Whether a comma-delimited file's field is a number with a decimal comma: a comma left
    inside a field was quoted (``"-0,435"``, as Google Sheets and LibreOffice write in European
    locales), and one comma with digits on both sides is then unambiguous."""
    return bool(_QUOTED_DECIMAL.fullmatch(_SPACES.sub("", field.translate(_MINUS))))


def _short(text: str, width: int = 30) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _int(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    t = text.strip().strip('"')
    if not _INT.match(t):
        return None
    return int(float(t))


# ---- rows ----

def _key(header: str) -> str:
    k = re.sub(r"[\s\-]+", "_", header.strip().strip('"').strip("\ufeff").lower())
    return ALIASES.get(k, "")


def _find_header(lines: list[str]) -> tuple[int, str, list[str]]:
    """(index of the header line, delimiter, header fields)."""
    hint = ""
    for i, line in enumerate(lines[:50]):
        stripped = line.strip()
        if not stripped:
            continue
        m = re.fullmatch(r'"?sep=(.)"?', stripped, flags=re.I)
        if m:
            hint = m.group(1)
            continue
        if "quantity" not in stripped.lower():
            continue
        candidates = [hint] if hint else []
        candidates += sorted(DELIMITERS, key=lambda d: -stripped.count(d))
        for d in candidates:
            fields = next(csv.reader([stripped], delimiter=d))
            keys = {_key(f) for f in fields}
            if all(r in keys for r in REQUIRED):
                return i, d, fields
        raise AnswerFileError(f"line {i + 1}: header must name the columns {', '.join(REQUIRED)}")
    raise AnswerFileError("no header line naming the columns (expected student_id,problem,quantity,row,col,value)")


@functools.lru_cache(maxsize=4096)  # a file repeats its id on every row
def student_id_text(text: str) -> str:
    """An id as written → the text ids compare as: trimmed, quotes off, Unicode NFC
    (``é`` composed or as ``e`` + accent are the same id)."""
    return unicodedata.normalize("NFC", text.strip().strip('"').strip())


@dataclass(frozen=True)
class _Layout:
    lines: list[str]
    start: int  # index of the header line
    delimiter: str
    header: list[str]
    columns: dict[str, int]  # our column → index
    encoding: str

    def body(self):
        return csv.reader(self.lines[self.start + 1:], delimiter=self.delimiter)


def _layout(data: bytes) -> _Layout:
    text, encoding = decode(data)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    start, delim, header = _find_header(lines)
    body = sum(1 for line in lines[start + 1:] if line.strip()) if len(lines) - start - 1 > MAX_ROWS else 0
    if body > MAX_ROWS:
        raise AnswerFileError(f"{body:,} rows: more than {MAX_ROWS:,} (an answer file has a few hundred); not read")
    columns: dict[str, int] = {}
    for idx, name in enumerate(header):
        key = _key(name)
        if key and key not in columns:
            columns[key] = idx
    return _Layout(lines, start, delim, header, columns, encoding)


def _csv_errors(read):
    """The csv module's errors as AnswerFileError (the file is not readable as CSV)."""
    @functools.wraps(read)
    def guarded(*args, **kwargs):
        try:
            return read(*args, **kwargs)
        except csv.Error as e:
            raise AnswerFileError(f"not a readable CSV file ({e})") from None
    return guarded


def _cell(fields: list[str], idx: int | None) -> str:
    return fields[idx].strip().strip('"').strip() if idx is not None and idx < len(fields) else ""


def header_again(fields: list[str], columns: Mapping[str, int]) -> bool:
    """A row that repeats the header (pasted twice, or two files joined): its quantity cell
    names the column itself."""
    return _key(_cell(fields, columns["quantity"])) == "quantity"


def row_kind(fields: list[str], columns: Mapping[str, int]) -> int:
    """What a row holds: 2 an answer (a quantity and a value), 1 a quantity left blank,
    0 no answer at all (a ``TOTAL,,,,,42`` line, the student's name, the header again)."""
    if header_again(fields, columns) or not _cell(fields, columns["quantity"]):
        return 0
    return 2 if _cell(fields, columns["value"]) else 1


@_csv_errors
def peek_ids(data: bytes) -> tuple[str, ...]:
    """The distinct non-empty ``student_id`` values of a submission's answer rows, in order of
    appearance — whose it is, without reading its numbers (when no answer row names anyone,
    those of its rows left blank). A row holding no answer names no one: a ``TOTAL,,,,,42`` line, the
    header pasted again or the student's name on a line of its own do not split the file.
    AnswerFileError as :func:`parse_submission`."""
    layout = _layout(data)
    idx = layout.columns.get("student_id")
    if idx is None:
        return ()
    by_kind: dict[int, dict[str, None]] = {1: {}, 2: {}}
    for fields in layout.body():
        kind = row_kind(fields, layout.columns) if len(fields) > idx else 0
        if kind and student_id_text(fields[idx]):
            by_kind[kind].setdefault(fields[idx])
    return tuple(dict.fromkeys(student_id_text(v) for v in by_kind[2] or by_kind[1]))


@_csv_errors
def parse_submission(data: bytes, wanted: Collection[str] | None = None) -> ParsedFile:
    """Read a submission's rows (only those of ``wanted`` quantities, when given; the others
    are counted in ``skipped``). AnswerFileError when the file as a whole is not a submission."""
    layout = _layout(data)
    start, delim, header, columns = layout.start, layout.delimiter, layout.header, layout.columns
    encoding = layout.encoding
    skipped: dict[str, int] = {}
    width = len(header)
    value_last = columns["value"] == width - 1
    decimal_comma = delim != ","
    rows: list[Row] = []
    notes: list[str] = []

    def note(msg: str) -> None:
        if len(notes) < MAX_NOTES:
            notes.append(msg)
        elif len(notes) == MAX_NOTES:
            notes.append("… (more notes left out)")

    for offset, fields in enumerate(layout.body()):
        line = start + 2 + offset
        if not "".join(fields).strip():
            continue
        comma_value = False
        if len(fields) > width:
            extra = fields[width:]
            if not any(f.strip() for f in extra):
                fields = fields[:width]  # trailing empty cells (Excel)
            elif delim == "," and value_last and len(extra) == 1 and re.fullmatch(r"\s*\d+(?:[eE][+-]?\d+)?\s*", extra[0]) \
                    and re.fullmatch(r"\s*[+\-\u2212]?\s*\d+\s*", fields[width - 1]):
                fields = fields[: width - 1] + [f"{fields[width - 1].strip()}.{extra[0].strip()}"]
                comma_value = True
            else:
                note(f"line {line}: more fields than the header; a decimal comma cannot be told from the "
                     "delimiter here (quote the value or use a decimal point)")
                fields = fields[:width]
                fields[columns["value"]] = "?" + ",".join([fields[columns["value"]]] + extra)
        fields = fields + [""] * (width - len(fields))
        get = lambda col: fields[columns[col]] if col in columns else ""  # noqa: E731
        if header_again(fields, columns):
            note(f"line {line}: the header line again; ignored")
            continue
        if not row_kind(fields, columns) and not (get("row") + get("col")).strip():
            note(f"line {line}: not an answer row ({_short(delim.join(fields).rstrip(delim))}); ignored")
            continue
        quantity = get("quantity").strip().strip('"')
        if wanted is not None and quantity and quantity not in wanted:
            skipped[quantity] = skipped.get(quantity, 0) + 1
            continue
        r, c = _int(get("row")), _int(get("col"))
        problem = _int(get("problem")) if "problem" in columns else None
        if not quantity or r is None or c is None or ("problem" in columns and problem is None):
            bad = [n for n, v in (("quantity", quantity or None), ("row", r), ("col", c)) if v is None]
            if "problem" in columns and problem is None:
                bad.insert(0, "problem")
            note(f"line {line}: row skipped ({', '.join(bad)} not readable)")
            continue
        raw = get("value")
        if raw.startswith("?"):
            rows.append(Row(line, student_id_text(get("student_id")), problem, quantity, r, c,
                            Cell(raw[1:], None, line, "decimal comma and delimiter cannot be told apart")))
            continue
        value, why = parse_number(raw, decimal_comma or comma_value or quoted_decimal_comma(raw))
        if value is None and not why:
            continue  # left blank: not answered
        rows.append(Row(line, student_id_text(get("student_id")), problem, quantity, r, c, Cell(raw.strip(), value, line, why)))
    return ParsedFile(tuple(rows), encoding, delim, tuple(notes), skipped)
