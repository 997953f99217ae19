"""Stage 2: whose submission is it, and which of a student's files counts (pure).

Order of evidence: the ``student_id`` column first; then the file name — the uploader an LMS
name shows (Canvas ``name[_late]_<userid>_<attachmentid>_<original>[-N].csv``, ``-N``: the N-th
resubmission: its user id, through the roster's id column; Moodle
``Full Name_<participant>_assignsubmission_file_/<original>``, or flat,
``Full Name_<participant>_assignsubmission_file_<original>``: its participant id or name),
then the template's own name (``answers/<file>.csv``). So a file uploaded by one student whose
column names another is a conflict whatever it is called. Ids compare as trimmed
text in Unicode NFC (``é`` composed or decomposed is one id); when Excel has eaten leading zeros
(``123`` for ``00123``) a unique numeric match is accepted and noted, and so is the student's own
name written in the column ("Jan Kowalski", "Kowalski, Jan": ``name_keys``) when it fits one
roster student (a name that fits several is reported, never guessed). A conflict, or an id not
on the roster, is reported.

An LMS's own ids (a Canvas user id kept in a roster column) are looked for only where the LMS
puts them — inside a Canvas name or a Moodle folder — never in a plain file name: ``junk/99.csv``
is no one's, even when some student's Canvas id is 99. A plain name names a student only by the
roster's own id or the template's file name.

Several files from one student: the latest counts — by modification time, and Canvas files
among themselves in upload order: Canvas's attachment id grows with every upload, then the
``-N`` of a resubmission (only a Canvas name has one) — and the others are listed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable, Sequence

from generator.record import Week
from generator.roster import IdIndex, id_key, same_id

from .lms import MOODLE_FLAT, MOODLE_FOLDER  # the one reading of Moodle's participant folders and flat names
from .parse import student_id_text

CANVAS = re.compile(r"^(?P<person>[^_]+?)(?P<late>_late)?_(?P<user>\d+)_(?P<attachment>\d+)_(?P<original>.+)$", re.I)
RESUBMISSION = re.compile(r"^(?P<stem>.*?)-(?P<n>\d{1,3})$")
ID_COLUMN_HINTS = ("id", "sis", "login", "user", "number", "matric", "identifier")


@dataclass(frozen=True)
class LmsName:
    """What a file's name (and its zip folder) says."""

    kind: str  # "canvas", "moodle" or "" (a plain file)
    original: str  # the name the student gave the file, LMS decoration removed
    stem: str  # original without extension (and, in a Canvas name, without its "-N")
    resubmission: int  # N of a Canvas name's "-N" suffix, else 0
    tokens: tuple[str, ...]  # ids of the uploader in the LMS decoration (Canvas user, Moodle participant)
    person: str  # the person's name as the LMS wrote it
    late: bool = False
    attachment: int = 0  # a Canvas name's attachment id: it grows with every upload (else 0)


def _stem(original: str) -> str:
    return original.rsplit(".", 1)[0] if "." in original else original


def _split_resubmission(original: str) -> tuple[str, int]:
    """Canvas's ``-N`` suffix (only ever called on the original part of a Canvas name)."""
    stem = _stem(original)
    m = RESUBMISSION.match(stem)
    if m and m["stem"]:
        return m["stem"], int(m["n"])
    return stem, 0


def lms_name(name: str, folder: str = "") -> LmsName:
    """What a name says. Only Canvas marks resubmissions (``-N``); Moodle keeps the student's
    own file name, and in a plain name ``backprop-48.csv`` or a template ``s-001.csv`` the
    digits are part of the name, not an attempt number."""
    m = MOODLE_FOLDER.match(folder)
    if m:
        return LmsName("moodle", name, _stem(name), 0, (m["pid"],), m["name"])
    m = MOODLE_FLAT.match(name)  # Moodle's flat download: the participant in the file's own name
    if m:
        return LmsName("moodle", m["original"], _stem(m["original"]), 0, (m["pid"],), m["name"])
    m = CANVAS.match(name)
    if m:
        stem, n = _split_resubmission(m["original"])
        return LmsName("canvas", m["original"], stem, n, (m["user"],), m["person"], bool(m["late"]), int(m["attachment"]))
    return LmsName("", name, _stem(name), 0, (), "")


def _norm_name(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(re.split(r"[\s_,.\-]+", text.lower())).strip()


def canvas_person_fits(person: str, name: str) -> bool:
    """Whether the name Canvas wrote in a download's file name (``lovelaceada``, ``noether``: the
    sortable name lower-cased without spaces, or the surname) is ``name``'s ("Ada Lovelace",
    "Lovelace, Ada")."""
    words = [w for w in _norm_name(name.replace(",", " ")).split() if w]
    wanted = _norm_name(person).replace(" ", "")
    return bool(words and wanted) and wanted in {"".join(words), "".join(reversed(words)), *words}


def name_keys(name: str) -> tuple[str, ...]:
    """A person's name as compared (see ``_norm_name``), also read the other way round:
    "Last, First" (Canvas's ``Student`` column) is also "First Last", and vice versa."""
    keys = [_norm_name(name)]
    parts = name.split(",")
    if len(parts) == 2 and all(p.strip() for p in parts):
        keys.append(_norm_name(f"{parts[1]} {parts[0]}"))
    return tuple(dict.fromkeys(k for k in keys if k))


# Notes on whose a file is (``identify``, ``pipeline.foreign_message``): for the instructor
# (grades.csv, the summary), never for the student — they may name other students.
INTERNAL_NOTE = re.compile(
    r"rows name several students \(|student_id '.*' (?:is not on the roster|read as \S+ \(the student's name\)"
    r"|names \d+ students on the roster)|id \S+ read as \S+ \(leading zeros lost"
    r"|conflict: the student_id column says |identified by the name |the name '.*' in the LMS folder matches "
    r"|neither a student_id column nor |not graded: .*, uploaded by ", re.S)


def internal_note(note: str) -> bool:
    """Whether a result's message is about identifying the file (the instructor's, not the student's)."""
    return bool(INTERNAL_NOTE.match(note.strip()))


@dataclass(frozen=True)
class Match:
    student_id: str | None
    note: str = ""  # e.g. leading zeros restored


class RosterIndex:
    """The week's students, indexed every way a submission may name them."""

    def __init__(self, week: Week):
        self.id_index = IdIndex([s.id for s in week.students])
        self.ids = self.id_index.ids  # compared text (``id_key``) → the roster's id
        self.by_file: dict[str, str] = {student_id_text(s.file).lower(): s.id for s in week.students}
        self.by_name: dict[str, list[str]] = {}
        self.by_column: dict[str, list[str]] = {}
        for s in week.students:
            for key in name_keys(s.name or ""):
                self.by_name.setdefault(key, []).append(s.id)
            for col, value in s.columns.items():
                v = id_key(str(value))
                if v and v != id_key(s.id) and any(h in col.lower() for h in ID_COLUMN_HINTS):
                    self.by_column.setdefault(v, []).append(s.id)

    def match_id(self, text: str) -> Match:
        """The roster student an id names (``generator.roster.IdIndex``: the one reading of ids
        for every command that takes one)."""
        found, note = self.id_index.match(text)
        return Match(found, note)

    def match_cell(self, text: str) -> Match:
        """A student_id cell: a roster id (``match_id``), else the student's own name written
        there ("Jan Kowalski", "Kowalski, Jan"). A name that fits several students names none,
        and the note says so."""
        found = self.match_id(text)
        if found.student_id:
            return found
        t = student_id_text(text)
        ids = self.named(t)
        if len(ids) == 1:
            return Match(ids[0], f"student_id {t!r} read as {ids[0]} (the student's name)")
        return Match(None, f"student_id {t!r} names {len(ids)} students on the roster ({_few(ids)})" if ids else "")

    def by_student(self, ids: Sequence[str]) -> dict[str, tuple[str, ...]]:
        """The ids as written, grouped by the roster student each names (``match_cell``: exact,
        leading zeros eaten, ``456.0``, the student's name): ``00123`` and ``123`` are one
        student's rows, not two submissions. An id that names no one is a group of its own,
        keyed by its text."""
        groups: dict[str, tuple[str, ...]] = {}
        for text in ids:
            key = self.match_cell(text).student_id or student_id_text(text)
            groups[key] = groups.get(key, ()) + (text,)
        return groups

    def match_ids(self, ids: Sequence[str]) -> Match:
        """The one roster student all of ``ids`` name (their notes joined), else Match(None)."""
        matches = [self.match_cell(t) for t in ids]
        found = {m.student_id for m in matches}
        if len(found) != 1 or None in found:
            return Match(None)
        return Match(matches[0].student_id, "; ".join(dict.fromkeys(m.note for m in matches if m.note)))

    def match_token(self, token: str) -> Match:
        """An LMS's id for a person: its own id column first (Canvas user 123 is not roster
        student 00123 with leading zeros lost), then the roster's id."""
        ids = self.by_column.get(id_key(token), [])
        return Match(ids[0]) if len(ids) == 1 else self.match_id(token)

    def named(self, person: str) -> list[str]:
        """The roster students a person's name ("First Last" or "Last, First") fits."""
        return list(dict.fromkeys(i for key in name_keys(person) for i in self.by_name.get(key, [])))

    def match_person(self, person: str) -> Match:
        """A roster student by the name an LMS folder shows ("First Last" or "Last, First");
        a name that fits several students names none of them, and the note says so."""
        ids = self.named(person)
        if len(ids) == 1:
            return Match(ids[0], f"identified by the name {person!r} in the LMS folder")
        if ids:
            return Match(None, f"the name {person!r} in the LMS folder matches {len(ids)} students on the roster: {_few(ids)}")
        return Match(None)


def _few(ids: Sequence[str], shown: int = 6) -> str:
    return ", ".join(ids[:shown]) + (", …" if len(ids) > shown else "")


@dataclass(frozen=True)
class Identity:
    student_id: str | None
    how: str  # "student_id column", "file name", …
    notes: tuple[str, ...] = ()
    conflict: bool = False  # the column and the name disagree (or the column names no one on the roster)
    column: str = ""  # the student_id column's one id, as written ("" if none or several)
    name_says: str | None = None  # the roster student the file name (or LMS folder) names, if any
    uploaded_by: str | None = None  # the roster student the LMS says handed it in (Canvas user, Moodle folder), if known

    @property
    def own(self) -> bool:
        """Handed in by the student it is graded for (or by no one the LMS names)."""
        return self.uploaded_by is None or self.uploaded_by == self.student_id


def _from_name(roster: RosterIndex, name: LmsName) -> tuple[Match, str]:
    """Whom a name names: the LMS's uploader first (who handed it in, whatever the file is
    called: Anna uploading Jan's ``00456.csv`` is Anna's upload), then the file's own name."""
    for token in name.tokens:  # ids where the LMS puts them: an LMS id column or a roster id
        m = roster.match_token(token)
        if m.student_id:
            return m, f"{name.kind} file name"
    uploader = roster.match_person(name.person) if name.person else Match(None)
    if uploader.student_id:
        return uploader, f"{name.kind} participant name"
    for stem in dict.fromkeys((name.stem, name.original.rsplit(".", 1)[0])):
        sid = roster.by_file.get(student_id_text(stem).lower())
        if sid:
            return Match(sid), "file name"
    for token in re.split(r"[_\s\-.]+", student_id_text(name.stem)):  # a plain name: the roster's own ids only
        if id_key(token) in roster.ids:
            return Match(roster.ids[id_key(token)]), "file name"
    return uploader, ""  # its note may say why the uploader's name named no one


def identify(roster: RosterIndex, name: LmsName, ids_in_file: Sequence[str], shared: bool = False,
             owner: str | None = None) -> Identity:
    """Whose file this is: the student_id column first (an id, or the student's own name), then
    the file name.

    ``shared``: these are one id's rows of a file whose answer rows name several ids. Such rows
    go by their column only: when it names no one on the roster they are no one's (reported),
    never given to whoever the file's name names — that student's own rows are in the file.
    ``owner``: the one roster student the file's other rows name, if only one (the note says so)."""
    notes: list[str] = []
    from_column = roster.match_ids(ids_in_file) if len(ids_in_file) > 1 else Match(None)
    if from_column.student_id:  # 00123 and 123 (leading zeros eaten) are one student
        ids_in_file = ids_in_file[:1]
    elif len(ids_in_file) > 1:
        notes.append(f"rows name several students ({', '.join(ids_in_file[:4])}); the file name decides")
    elif ids_in_file:
        from_column = roster.match_cell(ids_in_file[0])
        if from_column.student_id is None:
            notes.append(from_column.note or f"student_id {student_id_text(ids_in_file[0])!r} is not on the roster")
            if shared:
                return Identity(None, "", (notes[0] + (f"; its rows, in a file of {owner}'s, are not graded" if owner else
                                           " (the file's other rows name other students, so its name "
                                           "cannot say whose these are); not graded"),), column=ids_in_file[0])
    from_name, how_name = _from_name(roster, name)
    uploader = from_name.student_id if name.kind and how_name.startswith(name.kind) else None
    column = ids_in_file[0] if len(ids_in_file) == 1 else ""
    if from_column.student_id:
        if from_column.note:
            notes.append(from_column.note)
        conflict = bool(from_name.student_id and from_name.student_id != from_column.student_id)
        if conflict:
            notes.append(f"conflict: the student_id column says {from_column.student_id}, "
                         f"the {how_name} says {from_name.student_id}; the column counts")
        return Identity(from_column.student_id, "student_id column", tuple(notes), conflict, column, from_name.student_id,
                        uploader)
    if from_name.student_id:
        if from_name.note:
            notes.append(from_name.note)
        # a column that names no one on the roster (a typo, an id Excel turned into a number) disagrees too
        conflict = len(ids_in_file) > 1 or bool(column and not same_id(column, from_name.student_id))
        return Identity(from_name.student_id, how_name, tuple(notes), conflict, column, from_name.student_id, uploader)
    if from_name.note:  # e.g. a folder's name that fits several students
        notes.append(from_name.note)
    return Identity(None, "", tuple(notes) or ("neither a student_id column nor the file name names a student on the roster",))


def latest_first(candidates: Iterable[tuple[LmsName, float, str]]) -> list[int]:
    """Indices of (name, mtime, source) sorted latest first: by time; Canvas files among
    themselves in upload order (attachment id, then ``-N``, then time), which a name's own
    digits (``backprop-48.csv`` looks like attempt 48) and a zip's times cannot upset."""
    items = list(candidates)
    by_time = sorted(range(len(items)), key=lambda i: (items[i][1], items[i][2]), reverse=True)
    canvas = [i for i in by_time if items[i][0].kind == "canvas"]
    uploads = iter(sorted(canvas, key=lambda i: (items[i][0].attachment, items[i][0].resubmission), reverse=True))
    return [next(uploads) if items[i][0].kind == "canvas" else i for i in by_time]
