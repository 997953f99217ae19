"""The grading pipeline as small pure stages over what ``ingest`` collected:

    read_files      bytes → rows (parse) and what the name says (identify.lms_name)
    assign_files    whose file is it (identify); files no one owns are "not understood"
    choose_file     the latest of a student's files counts; the others are listed
    grade_student   rows → cells per asked entry → verdicts, points, diagnoses (judge, diagnose)
    grade           all of the above for every roster student → a Gradebook

Later stages (overrides, late work, exports) take a :class:`Gradebook` and return a new one or
write it out; nothing here touches files, clocks or the terminal.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath
from typing import Iterable, Sequence

from generator.record import Student, Week

from .diagnose import Diagnosis, diagnose
from .identify import Identity, LmsName, Roster, identify, latest_first, lms_name
from .ingest import SubmittedFile
from .judge import GradeConfig, EntryResult, collect_entries, judge_student, total
from .parse import ParsedFile, ParseError, parse_submission

TEXT_SUFFIXES = {".csv", ".txt", ".tsv", ".tab", ""}
GRADED, MISSING, UNREADABLE = "graded", "missing", "unreadable"


@dataclass(frozen=True)
class ReadFile:
    """A submitted file after stage 1 (parsing and reading its name)."""

    file: SubmittedFile
    name: LmsName
    parsed: ParsedFile | None
    error: str  # why it is not a readable submission ("" if it is)

    @property
    def textual(self) -> bool:
        return PurePosixPath(self.file.name).suffix.lower() in TEXT_SUFFIXES


@dataclass(frozen=True)
class FileOutcome:
    source: str
    student_id: str  # "" when no one on the roster
    outcome: str  # graded | older | unreadable | not understood | not used
    reason: str = ""


@dataclass(frozen=True)
class StudentResult:
    student: Student
    status: str  # graded | missing | unreadable
    points: float = 0.0
    max_points: float = 0.0
    entries: tuple[EntryResult, ...] = ()
    diagnoses: tuple[Diagnosis, ...] = ()
    flags: tuple[str, ...] = ()
    files: tuple[str, ...] = ()  # the file that counts first, then the others
    messages: tuple[str, ...] = ()

    @property
    def percent(self) -> float:
        return 100.0 * self.points / self.max_points if self.max_points else 0.0

    @property
    def id(self) -> str:
        return self.student.id


@dataclass(frozen=True)
class Gradebook:
    week: Week
    results: tuple[StudentResult, ...]
    files: tuple[FileOutcome, ...] = ()
    config: GradeConfig = field(default_factory=GradeConfig)

    @property
    def not_understood(self) -> tuple[FileOutcome, ...]:
        return tuple(f for f in self.files if f.outcome in ("not understood", "unreadable", "not used"))

    def result(self, student_id: str) -> StudentResult:
        return next(r for r in self.results if r.student.id == student_id)


# ---- stage: read ----

def read_file(f: SubmittedFile) -> ReadFile:
    name = lms_name(f.name, f.folder)
    if f.error:
        return ReadFile(f, name, None, f.error)
    suffix = PurePosixPath(f.name).suffix.lower()
    if suffix not in TEXT_SUFFIXES:
        return ReadFile(f, name, None, f"not a CSV file ({suffix or 'no extension'}); save the answer template as CSV")
    try:
        return ReadFile(f, name, parse_submission(f.data), "")
    except ParseError as e:
        return ReadFile(f, name, None, str(e))
    except Exception as e:  # noqa: BLE001 — one bad file never stops the run
        return ReadFile(f, name, None, f"could not be read ({type(e).__name__})")


def read_files(files: Iterable[SubmittedFile]) -> list[ReadFile]:
    return [read_file(f) for f in files]


# ---- stage: whose ----

def split_by_student(rf: ReadFile) -> list[ReadFile]:
    """A file with rows for several students (a TA's key, a class export) → one part per student."""
    ids = rf.parsed.student_ids if rf.parsed else ()
    if len(ids) < 2:
        return [rf]
    parts = []
    for sid in ids:
        rows = tuple(r for r in rf.parsed.rows if r.student_id == sid)
        parsed = replace(rf.parsed, rows=rows)
        parts.append(replace(rf, parsed=parsed, file=replace(rf.file, source=f"{rf.file.source} (rows of {sid})")))
    return parts


def assign_files(roster: Roster, files: Sequence[ReadFile]) -> tuple[dict[str, list[tuple[ReadFile, Identity]]], list[FileOutcome]]:
    owned: dict[str, list[tuple[ReadFile, Identity]]] = {}
    orphans: list[FileOutcome] = []
    for rf in (part for f in files for part in split_by_student(f)):
        ids = rf.parsed.student_ids if rf.parsed else ()
        who = identify(roster, rf.name, ids)
        if who.student_id is None:
            reason = rf.error or "; ".join(who.notes)
            orphans.append(FileOutcome(rf.file.source, "", "not understood", reason))
        else:
            owned.setdefault(who.student_id, []).append((rf, who))
    return owned, orphans


def choose_file(candidates: Sequence[tuple[ReadFile, Identity]]) -> tuple[tuple[ReadFile, Identity], list[tuple[ReadFile, Identity]]]:
    """The file that counts (latest CSV, else latest of any kind) and the others, latest first."""
    pool = [c for c in candidates if c[0].textual] or list(candidates)
    order = latest_first((rf.name, rf.file.mtime, rf.file.source) for rf, _ in pool)
    chosen = pool[order[0]]
    others = [pool[i] for i in order[1:]] + [c for c in candidates if c not in pool]
    return chosen, others


# ---- stage: grade one student ----

def _missing(week: Week, student: Student, config: GradeConfig) -> StudentResult:
    entries = judge_student(week, student, {}, config)
    return StudentResult(student, MISSING, 0.0, total(entries)[1], entries, messages=("no submission",))


def grade_student(week: Week, student: Student, candidates: Sequence[tuple[ReadFile, Identity]], config: GradeConfig) -> tuple[StudentResult, list[FileOutcome]]:
    if not candidates:
        return _missing(week, student, config), []
    (rf, who), others = choose_file(candidates)
    flags: list[str] = []
    messages: list[str] = list(who.notes)
    outcomes = [FileOutcome(o.file.source, student.id, "older" if o.textual else "not used",
                            "a later file counts" if o.textual else (o.error or "not a CSV file")) for o, _ in others]
    if others:
        flags.append("several-files")
        messages.append("graded the latest file; also handed in: " + ", ".join(o.file.name for o, _ in others))
    if any("leading zeros" in n for n in who.notes):
        flags.append("leading-zeros")
    if who.conflict:
        flags.append("id-conflict")
    if rf.name.late:
        flags.append("late")
    files = (rf.file.source,) + tuple(o.file.source for o, _ in others)
    if rf.parsed is None:
        entries = judge_student(week, student, {}, config)
        outcomes.insert(0, FileOutcome(rf.file.source, student.id, "unreadable", rf.error))
        return StudentResult(student, UNREADABLE, 0.0, total(entries)[1], entries, (), tuple(flags), files,
                             tuple([f"{rf.file.name}: {rf.error}"] + messages)), outcomes
    cells, notes = collect_entries(week, student, rf.parsed.rows)
    messages += list(rf.parsed.notes) + notes
    other_ids = [i for i in rf.parsed.student_ids if _names_someone_else(i, student.id)]
    if other_ids:
        flags.append("id-conflict")
    entries = judge_student(week, student, cells, config)
    if any(e.note.startswith("given") for e in entries):
        flags.append("duplicate-entries")
    if not cells:
        messages.insert(0, "no answers found in the file")
    unread = [c for cs in cells.values() for c in cs if c.value is None]
    if unread:
        messages.insert(0, f"{len(unread)} value(s) are not numbers (line {unread[0].line}: {unread[0].text[:40]!r})")
    diagnoses: list[Diagnosis] = []
    for k, sp in enumerate(student.problems, start=1):
        diagnoses += diagnose(sp.problem, k, entries, sp.answers, sp.tolerances)
    points, max_points = total(entries)
    outcomes.insert(0, FileOutcome(rf.file.source, student.id, "graded"))
    return StudentResult(student, GRADED, points, max_points, entries, tuple(diagnoses), tuple(dict.fromkeys(flags)),
                         files, tuple(messages)), outcomes


def _names_someone_else(text: str, student_id: str) -> bool:
    """A student_id cell that names someone else (leading zeros aside)."""
    t = text.strip()
    return t != student_id and t.lstrip("0") != student_id.lstrip("0")


# ---- all of it ----

def grade(week: Week, files: Sequence[SubmittedFile], config: GradeConfig | None = None,
          only: Iterable[str] | None = None) -> Gradebook:
    """Grade every roster student (or just ``only``) from the collected files."""
    config = config or GradeConfig()
    roster = Roster(week)
    owned, orphans = assign_files(roster, read_files(files))
    wanted = set(only) if only is not None else None
    results: list[StudentResult] = []
    outcomes: list[FileOutcome] = list(orphans)
    for student in week.students:
        if wanted is not None and student.id not in wanted:
            continue
        try:
            result, used = grade_student(week, student, owned.get(student.id, []), config)
        except Exception as e:  # noqa: BLE001 - a bug of ours must not lose the other students
            result = replace(_missing(week, student, config), status=UNREADABLE,
                             messages=(f"could not be graded (internal error {type(e).__name__}: {e}); please report",))
            used = [FileOutcome(rf.file.source, student.id, "unreadable", "internal error") for rf, _ in owned.get(student.id, [])]
        results.append(result)
        outcomes += used
    return Gradebook(week, tuple(results), tuple(outcomes), config)


def with_results(book: Gradebook, results: Iterable[StudentResult]) -> Gradebook:
    """The same gradebook with some students' results replaced (by id), e.g. after overrides."""
    new = {r.student.id: r for r in results}
    return replace(book, results=tuple(new.get(r.student.id, r) for r in book.results))
