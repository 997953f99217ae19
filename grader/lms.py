"""Grades back into the LMS: ``canvas.csv``, ``moodle.csv``, ``moodle-feedback.zip`` and
``canvas-feedback.zip``.

Pure functions: roster students and numbers in, text or bytes out. What each importer makes of
a cell, a row and a header was read in its source, and decides what is written:

- Canvas gradebook import (Grades → Import; canvas-lms ``app/models/gradebook_importer.rb``):
  header ``Student, ID, SIS User ID, SIS Login ID, Section, <assignment>``. A row is matched by
  ``ID`` (Canvas's user id), else ``SIS User ID``, else ``SIS Login ID``, else the name; a row it
  cannot match is listed as an unknown student, not imported. An assignment column is matched by
  the ``(id)`` at the end of its header (``Homework 2 (812347)``), else by its exact title; any
  other header creates a new assignment. A blank (or ``-``) cell is "no score": compared with a
  blank it is no change, so a student without a grade gets a blank cell and keeps what Canvas
  has. The ``Points Possible`` row under the header sets the assignment's points. So the
  roster's own Canvas columns are used when it has them (a roster exported from Canvas);
  otherwise the roster id goes in ``SIS User ID`` (``SIS Login ID`` when the roster's id is a
  login or an e-mail).
- Moodle grade import (Grades → Import → CSV file; ``grade/import/csv/classes/load_data.php``,
  ``grade/import/lib.php``): one column identifying the user (mapped to Moodle's email,
  idnumber or username field; the mapping form preselects the field whose English label the
  header is: ``Email address``, ``ID number``, ``Username``), then ``Grade``, then
  ``Feedback``. An empty or ``-`` Grade cell is "no grade" and *erases* the grade in the
  gradebook; any other non-number aborts the whole import (``badgrade``), and so does a row
  whose user Moodle cannot find (``usermappingerror``). So every row has a number and a
  non-empty identifier: a student without a grade has no row (or 0 with ``[lms] missing =
  "zero"``), and one without an identifier value is left out and listed.
- Moodle "Upload multiple feedback files in a zip" (``mod/assign/feedback/file/importziplib.php``):
  one folder per participant, ``Full Name_<participantid>_assignsubmission_file_/``; Moodle
  reads the participant id (the 2nd ``_`` field) and the plugin (3rd and 4th) and attaches
  every file inside as feedback to that participant.
- Canvas "Re-Upload Submissions" (``Assignment#generate_comments_from_files``,
  ``infer_comment_context_from_filename``): a file's base name split on ``_``; its first two
  all-digit fields are the user id and the attachment id of one of the user's submitted files
  (the names Canvas gave them in its download), and the file is attached to that submission
  as a comment; other names are ignored. So ``canvas-feedback.zip`` holds
  ``<name>_<userid>_<attachmentid>_feedback.html`` per student, from the Canvas name of the
  file that was graded.
"""

from __future__ import annotations

import csv
import io
import math
import re
import zipfile
from dataclasses import dataclass
from types import MappingProxyType
from typing import Iterable, Mapping, Protocol, Sequence

CANVAS_IDENTITY = ("ID", "SIS User ID", "SIS Login ID")
CANVAS_HEADER = ("Student", *CANVAS_IDENTITY, "Section")
# Moodle's user fields as its mapping form labels them in English (lang/en/moodle.php): the header it preselects
MOODLE_HEADERS = {"email": "Email address", "idnumber": "ID number", "username": "Username"}
CANVAS_ASSIGNMENT = re.compile(r"^(?P<title>.*)\s\((?P<id>\d+)\)$", re.DOTALL)  # Assignment.title_and_id
CANVAS_NAME = re.compile(r"^(?P<person>[^_]+?)(?:_late)?_(?P<user>\d+)_(?P<attachment>\d+)_")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
ZIP_TIME = (2000, 1, 1, 0, 0, 0)  # fixed: the same results give the same bytes

# Moodle's folder in its submission download: fullname_participantid_plugintype_pluginname[_…]
MOODLE_FOLDER = re.compile(r"^(?P<name>.*?)_(?P<pid>\d+)_(?P<type>assign[a-z]+)_(?P<plugin>[a-z0-9]+)(?:_.*)?$", re.DOTALL)
# … and a file of its flat download ("Download submissions in folders" off; mod/assign/classes/downloader.php:
# clean_filename(fullname_participantid . '_' . subtype . '_' . type . '_' . filename), the full name's "_" as spaces)
MOODLE_FLAT = re.compile(r"^(?P<name>[^_]*)_(?P<pid>\d+)_(?P<type>assignsubmission)_(?P<plugin>file|onlinetext)_(?P<original>.+)$",
                         re.DOTALL)


class RosterStudent(Protocol):
    """What the exports need of a roster student (``generator.record.Student`` is one)."""

    id: str
    name: str
    columns: Mapping[str, str]


def neutralize(cell: object) -> str:
    """A cell as text that no spreadsheet runs as a formula: text starting with ``= + - @``
    (or a tab or CR) gets a leading ``'``; numbers such as ``-0.5`` (or ``-0,5``, written with a
    decimal comma) stay as they are.

    The one neutralizer of bpdrill: every CSV it writes (grades, details, LMS files) uses it."""
    kind = type(cell)
    if kind is float or kind is int:  # the common case in big CSVs: no text to check
        return repr(cell)
    text = "" if cell is None else str(cell)
    if text[:1] in FORMULA_START:
        try:
            if math.isfinite(float(text.replace(",", ".", 1))):
                return text
        except ValueError:
            pass
        return "'" + text
    return text


def neutralized_text(cell: str) -> str:
    """The text :func:`neutralize` wrote, without the leading ``'`` it added (to read a CSV bpdrill wrote)."""
    return cell[1:] if cell[:1] == "'" and cell[1:2] in FORMULA_START else cell


def number_cell(v: float | None) -> str:
    """A bare number, at most 4 decimals, no ``-0``; None → blank."""
    if v is None or not math.isfinite(v):
        return ""
    text = f"{v:.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def column(student: RosterStudent, *names: str) -> str | None:
    """The roster column with one of ``names`` (case and spaces ignored), None when absent."""
    wanted = {n.strip().lower() for n in names}
    for key, value in student.columns.items():
        if str(key).strip().lower() in wanted:
            return str(value).strip()
    return None


def _csv(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([neutralize(h) for h in header])
    for row in rows:
        w.writerow(row)
    return buf.getvalue()


def canvas_row(student: RosterStudent, id_kind: str | None = None) -> list[str]:
    """Student, ID, SIS User ID, SIS Login ID, Section for one roster student. A roster without
    Canvas's columns gives its id as ``SIS User ID``, or as ``SIS Login ID`` when the roster's
    id column is a login or an e-mail (``id_kind``, ``generator.roster.column_kind``)."""
    ids = [column(student, c) for c in CANVAS_IDENTITY]
    if all(v is None for v in ids):
        ids = [None, None, student.id] if id_kind in ("email", "username") else [None, student.id, None]
    name = column(student, "Student") or student.name
    return [neutralize(v or "") for v in (name, *ids, column(student, "Section"))]


def canvas_csv(
    students: Sequence[RosterStudent],
    points: Mapping[str, float | None],
    assignment: str,
    points_possible: float | None = None,
    id_kind: str | None = None,
) -> str:
    """Canvas gradebook import: one row per roster student, the grade in a column named
    ``assignment`` (Canvas matches an existing assignment by the ``(id)`` ending its header, e.g.
    ``Week 3 (123456)`` as in its own export, else by exact title; another name creates an
    assignment). No grade (None) is a blank cell: Canvas leaves the student's score as it is.
    ``points_possible`` adds Canvas's ``Points Possible`` row under the header."""
    rows = []
    if points_possible is not None:
        rows.append(["Points Possible", "", "", "", "", number_cell(points_possible)])
    rows += [[*canvas_row(s, id_kind), number_cell(points.get(s.id))] for s in students]
    return _csv([*CANVAS_HEADER, assignment.strip() or "bpdrill"], rows)


@dataclass(frozen=True)
class CanvasColumn:
    header: str  # the assignment column to write
    known: bool  # an assignment of the roster's Canvas export (Canvas updates it) …
    warning: str  # … else why Canvas may create a new assignment ("" when known)


def canvas_column(wanted: str, roster_columns: Sequence[str]) -> CanvasColumn:
    """The assignment column for ``wanted`` (``--assignment`` or the week's title): the roster
    export's own header when ``wanted`` is one (case aside) or is its title without the
    ``(id)``, so ``Homework 2`` becomes ``Homework 2 (812347)``; otherwise ``wanted``, with a
    warning unless it ends in an ``(id)`` Canvas will match."""
    wanted = wanted.strip() or "bpdrill"
    known = [c for c in roster_columns if CANVAS_ASSIGNMENT.match(c.strip())]
    for header in known:
        title = CANVAS_ASSIGNMENT.match(header.strip())["title"]  # type: ignore[index]
        if wanted.casefold() in (header.strip().casefold(), title.strip().casefold()):
            return CanvasColumn(header.strip(), True, "")
    if CANVAS_ASSIGNMENT.match(wanted):
        return CanvasColumn(wanted, False, "")
    listed = ", ".join(repr(c) for c in known[:5]) + (", …" if len(known) > 5 else "")
    which = (f"names no assignment of the roster's Canvas export ({listed})" if known
             else "has no Canvas assignment id")
    return CanvasColumn(wanted, False, f"Canvas column {wanted!r} {which}: importing it creates a new assignment "
                        "unless one has exactly this title; give --assignment the header of Canvas's own export, "
                        "e.g. \"Week 3 (123456)\"")


def moodle_identity(students: Sequence[RosterStudent], identify: str | None = None,
                    id_column: str | None = None) -> tuple[str, list[str]]:
    """The identifying column for Moodle: its header as Moodle's mapping form labels the user
    field (``Email address``, ``ID number``, ``Username``) and each student's value.

    ``identify`` = ``"email"``, ``"idnumber"`` or ``"username"`` forces one; by default the
    e-mail when every student has one (Moodle always knows e-mails; ID numbers are often blank
    in Moodle profiles), else what the roster's id column (``id_column``) is, in any language
    (a German ``E-Mail-Adresse`` is ``Email address``, ``ID-Nummer`` is ``ID number``).
    """
    from generator.roster import column_kind

    if identify not in (None, *MOODLE_HEADERS):
        raise ValueError(f"identify must be one of {', '.join(MOODLE_HEADERS)}, not {identify!r}")
    own = column_kind(id_column) if id_column else None

    def values(kind: str) -> list[str]:
        return [next((str(v).strip() for k, v in s.columns.items() if column_kind(str(k)) == kind and str(v).strip()),
                     s.id if own == kind else "") for s in students]

    if identify is None:
        identify = "email" if students and all(values("email")) else own if own in ("email", "username") else "idnumber"
    found = values(identify)
    if identify == "idnumber":
        found = [v or s.id for v, s in zip(found, students)]  # a roster's own id serves as the ID number
    return MOODLE_HEADERS[identify], found


def one_line(text: str) -> str:
    return " ".join(str(text).split())


@dataclass(frozen=True)
class MoodleSheet:
    text: str  # moodle.csv
    header: str  # the identifying column's header
    no_grade: tuple[str, ...]  # student ids without a grade: no row (Moodle keeps what it has)
    no_identifier: tuple[str, ...]  # student ids with a grade but no identifier value: no row, to be entered by hand


def moodle_csv(
    students: Sequence[RosterStudent],
    points: Mapping[str, float | None],
    feedback: Mapping[str, str] | None = None,
    identify: str | None = None,
    id_column: str | None = None,
) -> MoodleSheet:
    """Moodle grade import: identifier, ``Grade``, ``Feedback`` (one line of text), one row per
    student with a grade (a number in every Grade cell) and an identifier; see the module doc."""
    feedback = feedback or {}
    head, idents = moodle_identity(students, identify, id_column)
    rows, no_grade, no_ident = [], [], []
    for s, ident in zip(students, idents):
        grade = number_cell(points.get(s.id))
        if not grade:
            no_grade.append(s.id)
        elif not ident:
            no_ident.append(s.id)
        else:
            rows.append([neutralize(ident), grade, neutralize(one_line(feedback.get(s.id, "")))])
    return MoodleSheet(_csv([head, "Grade", "Feedback"], rows), head, tuple(no_grade), tuple(no_ident))


# ---- Moodle feedback files zip ----

def moodle_folder(name: str) -> str | None:
    """The folder Moodle's feedback import reads for a participant, from the folder (or, in old
    downloads, the flat file name) seen in its submission zip; None if it is not Moodle's.

    Moodle splits the folder name on ``_`` and takes the 2nd field as the participant id, so a
    full name with ``_`` in it is rewritten with spaces.
    """
    m = next(filter(None, (MOODLE_FOLDER.match(part) for part in name.replace("\\", "/").split("/"))), None)
    if m is None:
        return None
    who = m["name"].replace("_", " ").strip() or "participant"
    return f"{who}_{m['pid']}_{m['type']}_{m['plugin']}_"


@dataclass(frozen=True, eq=False)
class FeedbackZip:
    data: bytes  # the zip to upload
    folders: Mapping[str, str]  # student id → the folder their files went to
    skipped: tuple[tuple[str, str], ...]  # (student id, why) for students whose files are not in it


def _member_name(filename: str) -> str:
    """A file name Moodle attaches: no folders, not hidden (Moodle skips names starting with . or ~)."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1].lstrip(".~").strip()
    return base or "feedback"


def canvas_feedback_name(canvas_name: str, filename: str) -> str | None:
    """The name Canvas's re-upload attaches to the submission the Canvas file ``canvas_name``
    came from: ``<name>_<userid>_<attachmentid>_<filename>`` (its first two all-digit ``_``
    fields are the user and the attachment); None when ``canvas_name`` is not Canvas's."""
    m = CANVAS_NAME.match(canvas_name.replace("\\", "/").rsplit("/", 1)[-1])
    if m is None:
        return None
    person = m["person"] if not m["person"].isdigit() else "student"
    return f"{person}_{m['user']}_{m['attachment']}_{_member_name(filename).replace('_', '-')}"


def _zip(entries: Iterable[tuple[str, bytes]]) -> bytes:
    """A zip of ``entries`` (name, content) with fixed times: the same results give the same bytes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, content in entries:
            info = zipfile.ZipInfo(name, ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, content)
    return buf.getvalue()


def canvas_feedback_zip(files: Mapping[str, Mapping[str, bytes]], canvas_names: Mapping[str, str]) -> FeedbackZip:
    """``files``: student id → {file name: content}; ``canvas_names``: student id → the Canvas
    name of their graded file. Students without one are listed in ``skipped``."""
    used: dict[str, str] = {}
    entries: list[tuple[str, bytes]] = []
    skipped: list[tuple[str, str]] = []
    for sid in sorted(files):
        seen = canvas_names.get(sid)
        names = {f: canvas_feedback_name(seen, f) for f in files[sid]} if seen else {}
        if not names or None in names.values():
            skipped.append((sid, "no Canvas submission file seen"))
            continue
        used[sid] = seen  # type: ignore[assignment]
        entries += [(names[f], content) for f, content in sorted(files[sid].items())]
    return FeedbackZip(_zip(entries), MappingProxyType(used), tuple(skipped))


def moodle_feedback_zip(files: Mapping[str, Mapping[str, bytes]], folders: Mapping[str, str]) -> FeedbackZip:
    """``files``: student id → {file name: content} (e.g. ``{"feedback.html": b"…"}``);
    ``folders``: student id → the participant folder name seen in Moodle's submission zip.
    A student with files but no usable folder is listed in ``skipped`` (Moodle needs the
    participant id, which only its own download tells)."""
    used: dict[str, str] = {}
    entries: list[tuple[str, bytes]] = []
    skipped: list[tuple[str, str]] = []
    for sid in sorted(files):
        seen = folders.get(sid)
        folder = moodle_folder(seen) if seen else None
        if folder is None:
            why = f"folder {seen!r} is not a Moodle participant folder" if seen else "no Moodle submission folder seen"
            skipped.append((sid, why))
            continue
        used[sid] = folder
        entries += [(f"{folder}/{_member_name(filename)}", content) for filename, content in sorted(files[sid].items())]
    return FeedbackZip(_zip(entries), MappingProxyType(used), tuple(skipped))
