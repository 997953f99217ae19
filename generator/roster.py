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
- Headers compare without case, accents, spaces and punctuation (``normalise``), and the names
  Moodle exports in German, French, Spanish and Portuguese are known (``ID-Nummer``,
  ``E-Mail-Adresse``, ``Vorname``/``Nachname``, ``Prénom``/``Nom``, ``Nombre``/``Apellido(s)``,
  ``Nome``/``Sobrenome``, …).
- The name column: ``--name-column`` (one column, or two joined with ``+``); else ``name``,
  ``Full name``, ``Student name``, Canvas's ``Student``; or a first-name column with a
  last-name column (Moodle ``First name`` + ``Surname``, Blackboard ``First Name`` +
  ``Last Name``), joined as "First Last". No name column, or one empty for everyone, is a
  note in ``Roster.notes`` (the command warns).
- Ids compare as ``id_key`` reads them (an e-mail-shaped id without case), so
  ``A.B@x.org`` and ``a.b@X.org`` are one student (a duplicate).
- Every column is kept, values as read. Ids are text with surrounding spaces trimmed
  (``00123`` stays ``00123``). Empty, duplicate and control-character ids are refused
  with the file and line. Blank rows, Canvas's rows that are not students (as its
  GradebookImporter's ``check_for_non_student_row``: ``Points Possible`` first, or only ``Muted`` /
  ``Manual Posting`` cells) and its test student (when the id is empty) are skipped.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

from .answers import decode
from .errors import AnswerFileError, RosterError

# Normalised header (``normalise``: no accents, case, spaces or punctuation) → kind, in order of
# preference; the names Moodle and Canvas export in English, German, French, Spanish and Portuguese
# (Moodle's ``idnumber``, ``email``, ``username``, ``firstname``, ``lastname`` language strings).
INSTITUTION_IDS = (
    "sisuserid", "idnumber", "studentid", "studentnumber", "studentno", "orgdefinedid",
    "matriculationnumber", "matrikelnummer", "registrationnumber", "universityid",
    "idnummer",  # de: ID-Nummer
    "numerodidentification", "numeroidentification",  # fr: Numéro d'identification
    "numerodeid", "numerodeidentificacion", "numeroid",  # es: Número de ID
    "numerodeidentificacao", "numerodeidentificacaoid", "numerodeidentidade",  # pt: Número de identificação
)
GENERIC_IDS = ("id", "userid")
LOGIN_IDS = ("username", "login", "loginid", "sisloginid", "userlogin", "netid",
             "benutzername", "anmeldename", "nomdutilisateur", "nombredeusuario", "nomedeusuario", "nomedeutilizador")
EMAIL_IDS = ("email", "emailaddress", "mail", "mailaddress",
             "emailadresse",  # de: E-Mail-Adresse
             "adressecourriel", "adressedecourriel", "courriel", "adresseemail", "adressemail",  # fr
             "direccionemail", "direcciondecorreo", "direcciondecorreoelectronico", "correoelectronico", "correo",  # es
             "enderecodeemail", "enderecoemail", "enderecodecorreioeletronico", "correioeletronico")  # pt
ID_PREFERENCE = INSTITUTION_IDS + GENERIC_IDS + LOGIN_IDS + EMAIL_IDS

FULL_NAMES = ("name", "fullname", "studentname", "student", "displayname",
              "vollstandigername", "nomcomplet", "nombrecompleto", "nomecompleto")
FIRST_NAMES = ("firstname", "givenname", "forename", "first",
               "vorname", "prenom", "nombre", "nome", "primeironome")
LAST_NAMES = ("surname", "lastname", "familyname", "last",
              "nachname", "familienname", "nom", "nomdefamille", "apellidos", "apellido", "sobrenome", "apelido",
              "ultimonome")

# Canvas gradebook rows that are not students (when their id is empty): the points row, the test student
SKIP_NAMES = ("points possible", "student, test", "test student")
# Canvas's GradebookImporter#check_for_non_student_row: a row whose first cell holds "Points Possible",
# or whose every non-empty cell is "Muted" or "Manual Posting…" (an assignment's posting policy), is no student
CANVAS_POLICY_CELL = re.compile(r"^\s*(Muted|Manual Posting.*)?\s*$", re.I)


def canvas_non_student(values: list[str]) -> bool:
    """Whether a row is one of Canvas's rows about the assignments, not a student (as its importer
    reads them): ``Points Possible`` first, or only ``Muted`` / ``Manual Posting`` cells."""
    return bool(values) and ("Points Possible" in values[0] or all(CANVAS_POLICY_CELL.match(v) for v in values))



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
    notes: tuple[str, ...] = ()  # warnings for the instructor (e.g. no name column found)

    def info(self) -> dict:
        """The record's roster description."""
        return {
            "source": self.source,
            "id_column": self.id_column,
            "name_column": self.name_column,
            "columns": list(self.columns),
        }


def normalise(header: str) -> str:
    """A header as compared: no accents, no case, no spaces or punctuation (``E-Mail-Adresse`` →
    ``emailadresse``, ``Prénom`` → ``prenom``, ``Apellido(s)`` → ``apellidos``)."""
    text = "".join(ch for ch in unicodedata.normalize("NFKD", header) if not unicodedata.combining(ch))
    return re.sub(r"[\W_]+", "", text.casefold())


EMAIL_SHAPED = re.compile(r"[^@\s]+@[^@\s]+")


def id_key(text: str) -> str:
    """An id as every comparison of ids reads it (the roster, grading, ``grade --only``,
    ``key --student``, overrides): trimmed, quotes off, Unicode NFC, and an e-mail-shaped id
    without case (mail systems ignore it: ``Mixed.Case@Uni.Example.EDU`` typed in lower case is
    the same student)."""
    t = unicodedata.normalize("NFC", text.strip().strip('"').strip())
    return t.casefold() if EMAIL_SHAPED.fullmatch(t) else t


def numeric_id(text: str) -> str | None:
    """The id as a number without leading zeros (Excel's reading), or None if not numeric."""
    t = text.strip()
    if re.fullmatch(r"\d+(?:\.0+)?", t):
        return str(int(float(t))) if len(t) < 16 else t.split(".")[0].lstrip("0") or "0"
    return None


def same_id(a: str, b: str) -> bool:
    """Whether two ids name the same student: as compared (``id_key``), or leading zeros aside."""
    a, b = id_key(a), id_key(b)
    return a == b or a.lstrip("0") == b.lstrip("0")


class IdIndex:
    """A roster's ids, and the one reading of an id given for them — by grading, ``grade --only``,
    ``key --student`` and overrides alike: as ``id_key`` compares (trimmed, NFC, an e-mail without
    case), else with its leading zeros lost (``18`` for ``0018``, ``456.0``) when that names one
    student."""

    def __init__(self, ids: Sequence[str]):
        self.ids = {id_key(i): i for i in ids}  # compared text → the roster's id
        self.by_number: dict[str, list[str]] = {}
        for i in ids:
            n = numeric_id(i)
            if n is not None:
                self.by_number.setdefault(n, []).append(i)

    def match(self, text: str) -> tuple[str | None, str]:
        """(the roster id ``text`` names, a note when its leading zeros were lost), or (None, "")."""
        t = unicodedata.normalize("NFC", text.strip().strip('"').strip())
        if id_key(t) in self.ids:
            return self.ids[id_key(t)], ""
        n = numeric_id(t)
        if n is not None and len(self.by_number.get(n, [])) == 1:
            found = self.by_number[n][0]
            return found, f"id {t} read as {found} (leading zeros lost, e.g. by Excel)"
        return None, ""

    def find(self, text: str, option: str) -> str:
        """The roster id ``text`` names, or RosterError naming ``option`` and the ids it is near."""
        found, _ = self.match(text)
        if found is not None:
            return found
        near = [i for i in self.ids.values() if same_id(text, i)]
        raise RosterError(f"{option}: {text.strip()!r} is not on the week's roster"
                          + (f" (did you mean {' or '.join(near)}?)" if near else ""))


def column_kind(header: str) -> str | None:
    """What a roster column identifies a student by, from its header in any language Moodle or
    Canvas exports: ``"email"``, ``"username"`` (a login), ``"idnumber"`` (the institution's id),
    ``"id"`` (an LMS's own number), or None."""
    n = normalise(header)
    for kind, names in (("email", EMAIL_IDS), ("username", LOGIN_IDS), ("idnumber", INSTITUTION_IDS), ("id", GENERIC_IDS)):
        if n in names:
            return kind
    return None


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


def choose_name(headers: list[str], id_column: str, name_column: str | None = None,
                source: str = "roster") -> tuple[str | None, tuple[str, ...]]:
    """(name_column description, the columns joined to make the name). ``name_column``
    (``--name-column``): one column, or two joined with ``+`` (``Vorname + Nachname``)."""
    if name_column is not None:
        cols = tuple(named_column(headers, part, "--name-column", source) for part in name_column.split("+"))
        return " + ".join(cols), cols
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


def parse_roster(text: str, source: str = "roster", id_column: str | None = None,
                 name_column: str | None = None) -> Roster:
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
            if not any(v.strip() for v in raw) or canvas_non_student(raw):
                continue
            extra = raw[len(headers):]
            if any(v.strip() for v in extra):
                raise RosterError(f"{source}, line {line}: {len(raw)} fields, but the header has {len(headers)}")
            rows.append((line, {h: (raw[i] if i < len(raw) else "") for i, h in enumerate(headers)}))
    except csv.Error as e:
        raise RosterError(f"{source}, line {reader.line_num + skipped}: not valid CSV: {e}") from None
    id_col = choose_id_column(headers, [r for _, r in rows], id_column, source)
    name_desc, name_cols = choose_name(headers, id_col, name_column, source)
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
        if id_key(sid) in first_line:
            raise RosterError(f"{source}, line {line}: duplicate id {sid!r} (first on line {first_line[id_key(sid)]})")
        first_line[id_key(sid)] = line
        entries.append(RosterEntry(sid, name, dict(row), line))
    if not entries:
        raise RosterError(f"{source}: no students (only a header)")
    notes = ()
    if name_desc is None:
        notes = (f"{source}: no name column found (looked for name, Full name, Student, First name + Last name, "
                 f"Vorname + Nachname, Prénom + Nom, …); sheets and grades show no names — choose one with --name-column",)
    elif not any(e.name for e in entries):
        notes = (f"{source}: the name column {name_desc!r} is empty for every student; choose another with --name-column",)
    return Roster(source, id_col, name_desc, tuple(headers), tuple(entries), notes)


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


def read_roster(path: Path, id_column: str | None = None, name_column: str | None = None) -> Roster:
    return parse_roster(read_text(path), str(path), id_column, name_column)
