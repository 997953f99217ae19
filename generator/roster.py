"""The class roster: a CSV file, as exported by an LMS or written by hand.

:func:`parse_roster` is pure (text in, :class:`Roster` out); :func:`read_roster` is the thin
file reader around it. Rules:

- Decoding: UTF-8 with or without BOM, UTF-16 with a BOM (Excel's "Unicode text") or without,
  else Windows-1252 (``grader.parse.decode``, the one reading of CSV bytes); then Unicode NFC,
  so an id typed with a composed ``é`` and one with ``e`` + combining accent are the same id.
- The first row is the header (after Excel's ``sep=;`` line, if any); the delimiter (comma,
  semicolon, tab, pipe) is sniffed from the header line only; the rows are read as Excel writes
  CSV (a field may be in double quotes, a quote inside it doubled: ``"Smith, ""Jack"" John"``).
- The id column: ``--id-column NAME`` if given (matched exactly, then ignoring case); else
  the first header, in this order of preference, that has at least one value:
  the institution's id (``SIS User ID``, ``ID number``, ``Student ID``, ``Student Number``,
  ``OrgDefinedId``, ``Matriculation number`` …), then ``id``/``ID`` (in a Canvas export
  this is Canvas's internal number, hence after the institution's id), then ``username``,
  ``login``, ``SIS Login ID``, then an e-mail column.
- The name column: ``name``, ``Full name``, ``Student name``, Canvas's ``Student``; or a
  first-name column with a last-name column (Moodle ``First name`` + ``Surname``,
  Blackboard ``First Name`` + ``Last Name``), joined as "First Last".
- Every column is kept, values as read. Ids are text with surrounding spaces trimmed
  (``00123`` stays ``00123``). Empty, duplicate and control-character ids are refused
  with the file and line. Blank rows, and Canvas's ``Points Possible`` row and test student when their id
  is empty, are skipped.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from .answers import decode
from .errors import AnswerFileError, RosterError

# Normalised header (lower case, no spaces/underscores/dashes/dots) → kind, in order of preference.
INSTITUTION_IDS = (
    "sisuserid", "idnumber", "studentid", "studentnumber", "studentno", "orgdefinedid",
    "matriculationnumber", "matrikelnummer", "registrationnumber", "universityid",
)
GENERIC_IDS = ("id", "userid")
LOGIN_IDS = ("username", "login", "loginid", "sisloginid", "userlogin", "netid")
EMAIL_IDS = ("email", "emailaddress", "mail", "emailadresse", "mailaddress", "courriel", "correoelectronico")
ID_PREFERENCE = INSTITUTION_IDS + GENERIC_IDS + LOGIN_IDS + EMAIL_IDS

FULL_NAMES = ("name", "fullname", "studentname", "student", "displayname")
FIRST_NAMES = ("firstname", "givenname", "forename", "first")
LAST_NAMES = ("surname", "lastname", "familyname", "last")

# Canvas gradebook rows that are not students (when their id is empty): the points row, the test student
SKIP_NAMES = ("points possible", "student, test", "test student")



@dataclass(frozen=True)
class RosterEntry:
    id: str
    name: str
    columns: Mapping[str, str]
    line: int


@dataclass(frozen=True)
class Roster:
    source: str
    id_column: str
    name_column: str | None  # "First name + Surname" when joined from two columns
    columns: tuple[str, ...]
    entries: tuple[RosterEntry, ...] = field(default=())

    def info(self) -> dict:
        """The record's roster description."""
        return {
            "source": self.source,
            "id_column": self.id_column,
            "name_column": self.name_column,
            "columns": list(self.columns),
        }


def normalise(header: str) -> str:
    return re.sub(r"[\s_\-.]+", "", header).casefold()


def id_problem(value: str) -> str | None:
    """Why ``value`` (already trimmed) cannot be an id, or None."""
    if not value:
        return "empty id"
    bad = next((ch for ch in value if unicodedata.category(ch).startswith("C")), None)
    if bad is not None:
        return f"id {value!r} contains the control character U+{ord(bad):04X}"
    return None


DELIMITERS = ",;\t|"


def delimiter_of(header: str) -> str:
    """The delimiter of a header line: the sniffer's guess, else the most frequent candidate, else a comma.

    Only the delimiter is taken from the sniffer: its guess of the quoting (e.g. no doubled
    quotes) is often wrong on a few lines, and every LMS writes quotes the way Excel does."""
    try:
        return csv.Sniffer().sniff(header, delimiters=DELIMITERS).delimiter
    except csv.Error:
        counts = {d: header.count(d) for d in DELIMITERS}
        best = max(counts, key=counts.get)  # type: ignore[arg-type]
        return best if counts[best] else ","


def _unique_headers(headers: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for i, h in enumerate(headers, start=1):
        h = h.strip() or f"column {i}"
        n = seen.get(h, 0)
        seen[h] = n + 1
        out.append(h if n == 0 else f"{h} ({n + 1})")
    return out


def _find(headers: list[str], wanted: tuple[str, ...]) -> list[str]:
    """Headers matching ``wanted`` names, in the order of ``wanted``."""
    by_norm: dict[str, str] = {}
    for h in headers:
        by_norm.setdefault(normalise(h), h)
    return [by_norm[w] for w in wanted if w in by_norm]


def _other_id_columns(headers: list[str], rows: list[dict[str, str]], chosen: str) -> str:
    """A hint naming the id-like columns (login, e-mail, …) that could serve instead: every value
    present and unique."""
    complete = [h for h in _find(headers, ID_PREFERENCE)
                if h != chosen and len({r[h].strip() for r in rows if r[h].strip()}) == len(rows)]
    if not complete:
        return ""
    return f"; fill it in, or choose another id column with --id-column (complete here: {', '.join(complete)})"


def surname_first(columns: Mapping[str, str]) -> str | None:
    """"Surname First" from a roster's separate name columns (Moodle ``Surname``, Blackboard
    ``Last Name``), to sort by; None when the roster has no surname column."""
    headers = list(columns)
    last, first = _find(headers, LAST_NAMES), _find(headers, FIRST_NAMES)
    if not last:
        return None
    return " ".join(str(columns[c]).strip() for c in (last[0], *first[:1]))


def _first_with_values(candidates: list[str], rows: list[Mapping[str, str]]) -> str | None:
    """The first of the candidate columns that has a value in some row, else the first; None without any."""
    filled = [h for h in candidates if any(str(r.get(h, "")).strip() for r in rows)]
    return (filled or candidates or [None])[0]


def named_column(headers: list[str], name: str, option: str, source: str) -> str:
    """The header a user named with ``option``: matched exactly, then ignoring case."""
    name = unicodedata.normalize("NFC", name)
    if name in headers:
        return name
    folded = [h for h in headers if h.casefold() == name.strip().casefold()]
    if folded:
        return folded[0]
    raise RosterError(f"{source}: no column {name!r} ({option}); the columns are {', '.join(headers)}")


def choose_id_column(headers: list[str], rows: list[dict[str, str]], id_column: str | None, source: str) -> str:
    if id_column is not None:
        return named_column(headers, id_column, "--id-column", source)
    found = _first_with_values(_find(headers, ID_PREFERENCE), rows)
    if found is not None:
        return found
    raise RosterError(
        f"{source}: no id column found (looked for id, SIS User ID, ID number, Student ID, username, …); "
        f"the columns are {', '.join(headers)}; choose one with --id-column"
    )


def choose_email_column(headers: list[str], rows: list[Mapping[str, str]], email_column: str | None,
                        source: str) -> str | None:
    """The roster's e-mail column: ``--email-column`` (matched exactly, then ignoring case), else the
    first e-mail-like header (``email``, ``Email address``, ``E-Mail-Adresse``, …) that has values;
    None when there is none."""
    if email_column is not None:
        return named_column(headers, email_column, "--email-column", source)
    return _first_with_values(_find(headers, EMAIL_IDS), rows)


def choose_name(headers: list[str], id_column: str) -> tuple[str | None, tuple[str, ...]]:
    """(name_column description, the columns joined to make the name)."""
    others = [h for h in headers if h != id_column]
    full = _find(others, FULL_NAMES)
    if full:
        return full[0], (full[0],)
    first, last = _find(others, FIRST_NAMES), _find(others, LAST_NAMES)
    if first and last:
        return f"{first[0]} + {last[0]}", (first[0], last[0])
    if first or last:
        col = (first or last)[0]
        return col, (col,)
    return None, ()


def parse_roster(text: str, source: str = "roster", id_column: str | None = None) -> Roster:
    """The roster in ``text`` (a CSV file's content); RosterError names ``source`` and the line."""
    text = unicodedata.normalize("NFC", text.lstrip("\ufeff"))
    if not text.strip():
        raise RosterError(f"{source}: the roster is empty")
    lines = text.splitlines()
    skipped, delimiter = 0, None
    sep = re.fullmatch(r'"?sep=(.)"?', lines[0].strip(), flags=re.I)
    if sep:  # Excel's hint line
        skipped, delimiter, text = 1, sep.group(1), text[len(lines[0]):].lstrip("\r\n")
    reader = csv.reader(io.StringIO(text, newline=""), csv.excel, delimiter=delimiter or delimiter_of(lines[skipped]))
    try:
        header_row = next(reader, [])
        headers = _unique_headers(header_row)
        rows: list[tuple[int, dict[str, str]]] = []
        for raw in reader:
            line = reader.line_num + skipped
            if not any(v.strip() for v in raw):
                continue
            extra = raw[len(headers):]
            if any(v.strip() for v in extra):
                raise RosterError(f"{source}, line {line}: {len(raw)} fields, but the header has {len(headers)}")
            rows.append((line, {h: (raw[i] if i < len(raw) else "") for i, h in enumerate(headers)}))
    except csv.Error as e:
        raise RosterError(f"{source}, line {reader.line_num + skipped}: not valid CSV: {e}") from None
    id_col = choose_id_column(headers, [r for _, r in rows], id_column, source)
    name_desc, name_cols = choose_name(headers, id_col)
    entries: list[RosterEntry] = []
    first_line: dict[str, int] = {}
    for line, row in rows:
        name = " ".join(row[c].strip() for c in name_cols if row[c].strip())
        if name.casefold() in SKIP_NAMES and not row[id_col].strip():
            continue
        sid = row[id_col].strip()
        problem = id_problem(sid)
        if problem:
            raise RosterError(f"{source}, line {line}: {problem} in column {id_col!r}"
                              + ("" if id_column else _other_id_columns(headers, [r for _, r in rows], id_col)))
        if sid in first_line:
            raise RosterError(f"{source}, line {line}: duplicate id {sid!r} (first on line {first_line[sid]})")
        first_line[sid] = line
        entries.append(RosterEntry(sid, name, dict(row), line))
    if not entries:
        raise RosterError(f"{source}: no students (only a header)")
    return Roster(source, id_col, name_desc, tuple(headers), tuple(entries))


def read_text(path: Path) -> str:
    """A text file as CSV files come (see the module doc: BOMs, UTF-16, UTF-8, Windows-1252)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise RosterError(f"{path}: no such file") from None
    except OSError as e:
        raise RosterError(f"{path}: cannot read: {e.strerror or e}") from None
    if not data.strip(b" \t\r\n\x00"):
        return ""
    try:
        return decode(data)[0]
    except AnswerFileError as e:
        raise RosterError(f"{path}: cannot read: {e}") from None


def read_roster(path: Path, id_column: str | None = None) -> Roster:
    return parse_roster(read_text(path), str(path), id_column)
