"""Grades back into the LMS: ``canvas.csv``, ``moodle.csv`` and ``moodle-feedback.zip``.

Pure functions: roster students and numbers in, text or bytes out. Every roster student gets
a row, graded or not (a grade of None leaves the cell blank). Text cells are neutralized
against spreadsheet formula injection (:func:`neutralize`).

- Canvas gradebook import (Grades → Import): ``Student, ID, SIS User ID, SIS Login ID,
  Section, <assignment>``. Canvas matches a row by ID, SIS User ID or SIS Login ID, so the
  roster's own Canvas columns are used when it has them (a roster exported from Canvas);
  otherwise the roster id goes in ``SIS User ID``.
- Moodle grade import (Grades → Import → CSV file): one column identifying the student
  (``Email address`` when the roster has an email for everyone, else ``ID number``), then
  ``Grade``, then ``Feedback``.
- Moodle "Upload multiple feedback files in a zip": one folder per participant, named as in
  Moodle's own submission download, ``Full Name_<participantid>_assignsubmission_file_/``;
  Moodle reads the participant id (the 2nd ``_`` field) and the plugin (3rd and 4th) from
  the folder name and attaches every file inside as feedback to that participant.
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
EMAIL_COLUMNS = ("Email address", "email", "e-mail", "mail")
IDNUMBER_COLUMNS = ("ID number", "idnumber", "id_number")
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


def canvas_row(student: RosterStudent) -> list[str]:
    """Student, ID, SIS User ID, SIS Login ID, Section for one roster student."""
    ids = [column(student, c) for c in CANVAS_IDENTITY]
    if all(v is None for v in ids):
        ids = [None, student.id, None]  # a plain roster: its id is the institution's, i.e. the SIS id
    name = column(student, "Student") or student.name
    return [neutralize(v or "") for v in (name, *ids, column(student, "Section"))]


def canvas_csv(
    students: Sequence[RosterStudent],
    points: Mapping[str, float | None],
    assignment: str,
    points_possible: float | None = None,
) -> str:
    """Canvas gradebook import: one row per roster student, the grade in a column named
    ``assignment`` (Canvas matches an existing assignment by its exact column name, e.g.
    ``Week 3 (123456)`` as in its own export; a new name creates an assignment).
    ``points_possible`` adds Canvas's optional ``Points Possible`` row under the header."""
    rows = []
    if points_possible is not None:
        rows.append(["Points Possible", "", "", "", "", number_cell(points_possible)])
    rows += [[*canvas_row(s), number_cell(points.get(s.id))] for s in students]
    return _csv([*CANVAS_HEADER, assignment.strip() or "bpdrill"], rows)


def moodle_identity(students: Sequence[RosterStudent], identify: str | None = None) -> tuple[str, list[str]]:
    """The identifying column for Moodle: ``("Email address", emails)`` or ``("ID number", ids)``.

    ``identify`` = ``"email"`` or ``"idnumber"`` forces one; by default email when every student
    has one (Moodle always knows emails; ID numbers are often blank in Moodle profiles).
    """
    if identify not in (None, "email", "idnumber"):
        raise ValueError(f"identify must be 'email' or 'idnumber', not {identify!r}")
    emails = [column(s, *EMAIL_COLUMNS) or "" for s in students]
    if identify == "email" or (identify is None and students and all(emails)):
        return "Email address", emails
    return "ID number", [column(s, *IDNUMBER_COLUMNS) or s.id for s in students]


def one_line(text: str) -> str:
    return " ".join(str(text).split())


def moodle_csv(
    students: Sequence[RosterStudent],
    points: Mapping[str, float | None],
    feedback: Mapping[str, str] | None = None,
    identify: str | None = None,
) -> str:
    """Moodle grade import: identifier, ``Grade``, ``Feedback`` (one line of text) per roster student."""
    feedback = feedback or {}
    head, idents = moodle_identity(students, identify)
    rows = [
        [neutralize(ident), number_cell(points.get(s.id)), neutralize(one_line(feedback.get(s.id, "")))]
        for s, ident in zip(students, idents)
    ]
    return _csv([head, "Grade", "Feedback"], rows)


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


def moodle_feedback_zip(files: Mapping[str, Mapping[str, bytes]], folders: Mapping[str, str]) -> FeedbackZip:
    """``files``: student id → {file name: content} (e.g. ``{"feedback.html": b"…"}``);
    ``folders``: student id → the participant folder name seen in Moodle's submission zip.
    A student with files but no usable folder is listed in ``skipped`` (Moodle needs the
    participant id, which only its own download tells)."""
    used: dict[str, str] = {}
    skipped: list[tuple[str, str]] = []
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for sid in sorted(files):
            seen = folders.get(sid)
            folder = moodle_folder(seen) if seen else None
            if folder is None:
                why = f"folder {seen!r} is not a Moodle participant folder" if seen else "no Moodle submission folder seen"
                skipped.append((sid, why))
                continue
            used[sid] = folder
            for filename, content in sorted(files[sid].items()):
                info = zipfile.ZipInfo(f"{folder}/{_member_name(filename)}", ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                z.writestr(info, content)
    return FeedbackZip(buf.getvalue(), MappingProxyType(used), tuple(skipped))
