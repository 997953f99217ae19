"""The grading pipeline as small pure stages over what ``ingest`` collected:

    read_files      bytes → rows (parse) and what the name says (identify.lms_name)
    assign_files    whose file is it (identify); files no one owns are "not understood"
    choose_file     the latest of a student's files counts (late work: ``late.choose_submission``)
    grade_student   rows → cells per asked entry → verdicts, points, diagnoses (judge, diagnose),
                    the late policy's penalty
    grade           all of the above for every roster student → a Gradebook
    with_overrides  a TA's decisions (``overrides``) applied to a Gradebook → a new Gradebook

Exports take a :class:`Gradebook` and write it out; nothing here touches files, clocks or the
terminal (file times arrive as numbers in :class:`SubmittedFile`).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import PurePosixPath
from types import MappingProxyType
from typing import Iterable, Mapping, Sequence

from generator.record import Student, Week

from .diagnose import Diagnosis, diagnose
from .identify import Identity, LmsName, Roster, identify, latest_first, lms_name
from .ingest import SubmittedFile
from .judge import GradeConfig, EntryResult, collect_entries, judge_student, total
from .late import Candidate, LatePolicy, Lateness, Penalty, choose_submission, late_penalty, lateness
from .overrides import Override, OverrideResult, apply_overrides
from .parse import ParsedFile, ParseError, parse_submission
from .xlsx import XlsxError, read_workbook_rows

TEXT_SUFFIXES = {".csv", ".txt", ".tsv", ".tab", ""}
WORKBOOK_SUFFIXES = {".xlsx", ".xlsm"}
SUBMISSION_SUFFIXES = TEXT_SUFFIXES | WORKBOOK_SUFFIXES
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
        """A CSV or an Excel workbook: a file that can be an answer sheet."""
        return PurePosixPath(self.file.name).suffix.lower() in SUBMISSION_SUFFIXES

    @property
    def time(self) -> datetime | None:
        """When it was handed in: the zip entry's time or the file's modification time (local)."""
        try:
            return datetime.fromtimestamp(self.file.mtime) if self.file.mtime > 0 else None
        except (OverflowError, OSError, ValueError):  # a file dated in the year 300000
            return None


@dataclass(frozen=True)
class LateRules:
    """How lateness is judged: a deadline (else only Canvas's ``_late``) and the policy."""

    deadline: datetime | None = None
    policy: LatePolicy = LatePolicy()


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
    lateness: Lateness | None = None  # of the file that counts; None when nothing was handed in
    penalty: Penalty | None = None  # what the late policy took off (None: nothing)
    adjustments: tuple[str, ...] = ()  # the TA's overrides as applied, for the student's feedback

    @property
    def multiplier(self) -> float:
        return self.penalty.multiplier if self.penalty is not None else 1.0

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
    moodle_folders: Mapping[str, str] = field(default_factory=dict)  # student id → participant folder seen

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
    if suffix not in SUBMISSION_SUFFIXES:
        return ReadFile(f, name, None, f"not a CSV file ({suffix or 'no extension'}); save the answer template as CSV or .xlsx")
    try:
        if suffix in WORKBOOK_SUFFIXES:
            return ReadFile(f, name, parse_workbook(f.data, f.name), "")
        return ReadFile(f, name, parse_submission(f.data), "")
    except (ParseError, XlsxError) as e:
        return ReadFile(f, name, None, str(e))
    except Exception as e:  # noqa: BLE001 — one bad file never stops the run
        return ReadFile(f, name, None, f"could not be read ({type(e).__name__})")


def parse_workbook(data: bytes, source: str) -> ParsedFile:
    """An .xlsx answer sheet through the CSV parser: its cells as semicolon-separated text
    (so a value typed as text with a decimal comma is read as in a European CSV)."""
    buf = io.StringIO()
    csv.writer(buf, delimiter=";", lineterminator="\n").writerows(read_workbook_rows(data, source))
    return replace(parse_submission(buf.getvalue().encode("utf-8")), encoding="xlsx")


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


def file_lateness(rf: ReadFile, rules: LateRules) -> Lateness:
    return lateness(rf.file.name, rf.time, rules.deadline)


def choose_file(candidates: Sequence[tuple[ReadFile, Identity]], rules: LateRules = LateRules()
                ) -> tuple[tuple[ReadFile, Identity], list[tuple[ReadFile, Identity]], Lateness, str]:
    """The file that counts (latest CSV or workbook, else latest of any kind), the others
    (latest first), the chosen one's lateness, and what to tell about the choice ("" for one file).

    An on-time submission is never replaced by a later one without the message saying so,
    and one after the policy's cut-off never replaces it (``late.choose_submission``).
    """
    pool = [c for c in candidates if c[0].textual] or list(candidates)
    order = latest_first((rf.name, rf.file.mtime, rf.file.source) for rf, _ in pool)
    ranked = [Candidate(pool[i][0].file.name, file_lateness(pool[i][0], rules), pool[i][0].name.resubmission, pool[i])
              for i in order]
    choice = choose_submission(ranked, rules.policy)
    others = [c.ref for c in choice.others] + [c for c in candidates if c not in pool]
    return choice.chosen.ref, others, choice.chosen.lateness, choice.message


# ---- stage: grade one student ----

def _missing(week: Week, student: Student, config: GradeConfig) -> StudentResult:
    entries = judge_student(week, student, {}, config)
    return StudentResult(student, MISSING, 0.0, total(entries)[1], entries, messages=("no submission",))


def grade_student(week: Week, student: Student, candidates: Sequence[tuple[ReadFile, Identity]], config: GradeConfig,
                  rules: LateRules = LateRules()) -> tuple[StudentResult, list[FileOutcome]]:
    if not candidates:
        return _missing(week, student, config), []
    (rf, who), others, late, chose = choose_file(candidates, rules)
    flags: list[str] = []
    messages: list[str] = list(who.notes)
    outcomes = [FileOutcome(o.file.source, student.id, "older" if o.textual else "not used",
                            "another file counts" if o.textual else (o.error or "not a CSV file")) for o, _ in others]
    if others:
        flags.append("several-files")
        unused = [o.file.name for o, _ in others if not o.textual]
        messages.append(chose or "graded the latest file")
        if unused:
            messages.append("not an answer sheet, not used: " + ", ".join(unused))
    if any("leading zeros" in n for n in who.notes):
        flags.append("leading-zeros")
    if who.conflict:
        flags.append("id-conflict")
    penalty = late_penalty(rules.policy, late)
    if late.late or penalty.multiplier < 1:
        flags.append("late")
        messages.append(penalty.message)
    files = (rf.file.source,) + tuple(o.file.source for o, _ in others)
    if rf.parsed is None:
        entries = judge_student(week, student, {}, config)
        outcomes.insert(0, FileOutcome(rf.file.source, student.id, "unreadable", rf.error))
        return StudentResult(student, UNREADABLE, 0.0, total(entries)[1], entries, (), tuple(flags), files,
                             tuple([f"{rf.file.name}: {rf.error}"] + messages), late), outcomes
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
    return StudentResult(student, GRADED, points * penalty.multiplier, max_points, entries, tuple(diagnoses),
                         tuple(dict.fromkeys(flags)), files, tuple(messages), late,
                         penalty if penalty.multiplier < 1 else None), outcomes


def _names_someone_else(text: str, student_id: str) -> bool:
    """A student_id cell that names someone else (leading zeros aside)."""
    t = text.strip()
    return t != student_id and t.lstrip("0") != student_id.lstrip("0")


# ---- all of it ----

def moodle_folders(owned: Mapping[str, Sequence[tuple[ReadFile, Identity]]]) -> Mapping[str, str]:
    """Student id → the Moodle participant folder their files sat in (for the feedback zip)."""
    return MappingProxyType({sid: rf.file.folder for sid, cands in owned.items() for rf, _ in cands
                             if rf.name.kind == "moodle"})


def grade(week: Week, files: Sequence[SubmittedFile], config: GradeConfig | None = None,
          only: Iterable[str] | None = None, late: LateRules = LateRules()) -> Gradebook:
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
            result, used = grade_student(week, student, owned.get(student.id, []), config, late)
        except Exception as e:  # noqa: BLE001 - a bug of ours must not lose the other students
            result = replace(_missing(week, student, config), status=UNREADABLE,
                             messages=(f"could not be graded (internal error {type(e).__name__}: {e}); please report",))
            used = [FileOutcome(rf.file.source, student.id, "unreadable", "internal error") for rf, _ in owned.get(student.id, [])]
        results.append(result)
        outcomes += used
    if wanted is not None:  # files of students not regraded are neither used nor "not understood"
        outcomes = [o for o in outcomes if not o.student_id or o.student_id in wanted]
    return Gradebook(week, tuple(results), tuple(outcomes), config, moodle_folders(owned))


def with_results(book: Gradebook, results: Iterable[StudentResult]) -> Gradebook:
    """The same gradebook with some students' results replaced (by id), e.g. after overrides."""
    new = {r.student.id: r for r in results}
    return replace(book, results=tuple(new.get(r.student.id, r) for r in book.results))


# ---- a TA's decisions ----

def with_overrides(book: Gradebook, rows: Sequence[Override]) -> tuple[Gradebook, OverrideResult]:
    """The gradebook with ``rows`` applied after automatic grading (``overrides.apply_overrides``).

    Credit rows change graded entries; their points are scaled by the student's late penalty
    like the rest of the work. Points rows are added to the final total, after the penalty
    (the TA has the last word, e.g. to waive it). Rows for roster students who are not in
    ``book`` (a partial regrade) are left for the run that grades them.
    """
    present = {r.student.id for r in book.results}
    roster = {s.id for s in book.week.students}
    rows = [o for o in rows if o.student_id in present or o.student_id not in roster]
    credits, weights = {}, {}
    for r in book.results:
        if r.status == GRADED:
            for e in r.entries:
                credits[(r.id, *e.key)] = e.credit
                weights[(r.id, *e.key)] = e.points * r.multiplier
    done = apply_overrides(rows, credits, {r.id: r.points for r in book.results}, weights)
    reasons = done.reasons()
    changed = []
    for r in book.results:
        applied = done.for_student(r.id)
        if not applied:
            continue
        entries = tuple(replace(e, credit=done.credits[(r.id, *e.key)], override=reasons[(r.id, *e.key)])
                        if (r.id, *e.key) in reasons else e for e in r.entries)
        changed.append(replace(r, entries=entries, points=done.totals[r.id],
                               adjustments=tuple(a.message for a in applied),
                               flags=tuple(dict.fromkeys(r.flags + ("override",)))))
    return with_results(book, changed), done
