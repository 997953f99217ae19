"""The grading pipeline as small pure stages over what ``ingest`` listed:

    read_files      whose rows each file holds (parse.peek_ids: no numbers read, nothing kept)
                    and what its name says (identify.lms_name)
    files_by_student    whose file is it (identify); files no one owns are "not understood"
    choose_file     the latest of a student's files counts (late work: ``late.choose_submission``)
    grade_student   the file that counts parsed (only the asked quantities' rows), then rows →
                    cells per asked entry → verdicts, points, diagnoses (judge, diagnose), the late
                    policy's penalty
    other_work      the integrity check (``integrity``): low scorers whose numbers fit another
                    student's key, or no key of the week and not their own givens
    grade           all of the above for every roster student → a Gradebook
    with_overrides  a TA's decisions (``overrides``) applied to a Gradebook → a new Gradebook

Only the file that counts is parsed, and no file's bytes or rows are kept beyond its stage:
however many files a student hands in, one is parsed. Exports take a :class:`Gradebook` and
write it out; nothing here opens files, reads clocks or prints (a file's bytes come from
``SubmittedFile.content()``, which ingest bounds; file times arrive as numbers).
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter, OrderedDict
from dataclasses import dataclass, replace
from datetime import datetime, tzinfo
from types import MappingProxyType
from typing import Collection, Iterable, Mapping, Sequence

from generator.record import Student, Week, asked_names
from generator.roster import IdIndex

from .diagnose import Diagnosis, diagnose, with_carried_credit, with_diagnosis_codes, with_precision_notes
from .identify import Identity, LmsName, RosterIndex, canvas_person_fits, identify, latest_first, lms_name
from .integrity import other_work, with_other_work
from .ingest import SUBMISSION_SUFFIXES, WORKBOOK_SUFFIXES, SubmittedFile, Unreadable, listing, plural
from .judge import GradeConfig, collect_entries, judge_student, total
from .late import (Candidate, Choice, LatePolicy, Lateness, choose_submission, course_time, course_zone, late_penalty,
                   lateness, parse_late_policy, parse_time)
from .overrides import Override, OverrideResult, apply_overrides
from .results import (GRADED, MISSING, NO_SUBMISSION, UNREADABLE, FileOutcome, Gradebook, IdConflict, LateRules,
                      StudentResult)
from .parse import ParsedFile, parse_submission, peek_ids
from generator.answers import read_workbook_rows
from generator.errors import AnswerFileError

KEEP_SHEET_BYTES = 64_000  # a workbook's answer sheet as CSV text is kept when this small
PARSED_KEPT = 4  # parsed files kept for the students who share them (a file of several students)


@dataclass(frozen=True)
class ReadFile:
    """A submitted file after stage 1: whose rows it holds and what its name says."""

    file: SubmittedFile
    name: LmsName
    ids: tuple[str, ...]  # the distinct student_id values in its rows
    error: str  # why it is not a readable submission ("" if it is)
    only: str = ""  # one student's part of a file with rows of several students
    sheet: bytes | None = None  # a workbook's answer sheet as CSV text (small: kept, not read again)

    @property
    def textual(self) -> bool:
        """A CSV or an Excel workbook: a file that can be an answer sheet."""
        return self.file.suffix in SUBMISSION_SUFFIXES

    @property
    def source(self) -> str:
        return self.file.source + (f" (rows of {self.only})" if self.only else "")

    def time(self, zone: tzinfo | None = None) -> datetime | None:
        """When it was handed in, as an instant (``late.course_time``): the zip entry's recorded
        wall-clock time in the course's ``zone``, or the file's modification time."""
        try:
            if self.file.stamp:
                return course_time(datetime(*self.file.stamp), zone)
            return datetime.fromtimestamp(self.file.mtime, zone).astimezone(zone) if self.file.mtime > 0 else None
        except (OverflowError, OSError, ValueError):  # a file dated in the year 300000
            return None


def late_rules(config: GradeConfig, deadline: str | None, timezone: str | None = None, source: str = "config") -> LateRules:
    """``--deadline``, ``--timezone`` (else the config's ``timezone``) and the config's ``[late]``
    table as LateRules: every time without a zone read in the course's zone (``late.course_time``).
    LateError names the option or field."""
    zone = course_zone(timezone if timezone is not None else config.timezone)
    policy = parse_late_policy(config.late, f"{source}: [late]") if config.late is not None else LatePolicy()
    if policy.cutoff is not None:
        policy = replace(policy, cutoff=course_time(policy.cutoff, zone))
    return LateRules(course_time(parse_time(deadline), zone) if deadline else None, policy, zone)


# ---- stage: read ----

def _why(e: Exception) -> str:
    if isinstance(e, (Unreadable, AnswerFileError)):
        return str(e)
    return f"could not be read ({type(e).__name__})"


def workbook_csv(data: bytes, source: str) -> bytes:
    """An .xlsx answer sheet as the CSV parser reads it: its cells as semicolon-separated text
    (so a value typed as text with a decimal comma is read as in a European CSV)."""
    buf = io.StringIO()
    csv.writer(buf, delimiter=";", lineterminator="\n").writerows(read_workbook_rows(data, source))
    return buf.getvalue().encode("utf-8")


def read_file(f: SubmittedFile) -> ReadFile:
    """Whose rows a file holds (its bytes are read, not kept); never raises."""
    name = lms_name(f.name, f.folder)
    if f.error:
        return ReadFile(f, name, (), f.error)
    if f.suffix not in SUBMISSION_SUFFIXES:
        return ReadFile(f, name, (), f"not a CSV file ({f.suffix or 'no extension'}); save the answer template as CSV or .xlsx")
    try:
        data = f.content()
        sheet = workbook_csv(data, f.name) if f.suffix in WORKBOOK_SUFFIXES else None
        ids = peek_ids(sheet if sheet is not None else data)
        return ReadFile(f, name, ids, "", sheet=sheet if sheet is not None and len(sheet) <= KEEP_SHEET_BYTES else None)
    except Exception as e:  # noqa: BLE001 — one bad file never stops the run
        return ReadFile(f, name, (), _why(e))


def read_files(files: Iterable[SubmittedFile]) -> list[ReadFile]:
    return [read_file(f) for f in files]


class Parser:
    """The file that counts, parsed (only rows of ``wanted`` quantities); the last few parsed
    files are kept for the students who share them (one file with rows of several students)."""

    def __init__(self, wanted: Collection[str] | None = None, keep: int = PARSED_KEPT):
        self.wanted = frozenset(wanted) if wanted is not None else None
        self.keep = keep
        self._kept: OrderedDict[str, ParsedFile] = OrderedDict()

    def _whole(self, rf: ReadFile) -> ParsedFile:
        key = rf.file.source
        if key in self._kept:
            self._kept.move_to_end(key)
            return self._kept[key]
        workbook = rf.file.suffix in WORKBOOK_SUFFIXES
        data = rf.sheet if rf.sheet is not None else rf.file.content()
        if workbook and rf.sheet is None:
            data = workbook_csv(data, rf.file.name)
        parsed = parse_submission(data, self.wanted)
        parsed = replace(parsed, encoding="xlsx") if workbook else parsed
        if rf.only:
            self._kept[key] = parsed
            while len(self._kept) > self.keep:
                self._kept.popitem(last=False)
        return parsed

    def __call__(self, rf: ReadFile) -> tuple[ParsedFile | None, str]:
        """(the rows, "") or (None, why the file cannot be read); never raises."""
        if rf.error:
            return None, rf.error
        try:
            parsed = self._whole(rf)
        except Exception as e:  # noqa: BLE001 — one bad file never stops the run
            return None, _why(e)
        if rf.only:
            parsed = replace(parsed, rows=tuple(r for r in parsed.rows if r.student_id in rf.ids))
        return parsed, ""


# ---- stage: whose ----

def split_by_student(rf: ReadFile, roster: RosterIndex) -> list[ReadFile]:
    """A file with rows for several students (a TA's key, a class export) → one part per
    roster student its ids name (``RosterIndex.by_student``): rows under ``00123`` and under ``123``
    (Excel ate the zeros) or ``123.0`` are one part, never two submissions of one student."""
    groups = roster.by_student(rf.ids)
    if len(groups) < 2:
        return [rf]
    return [replace(rf, ids=ids, only=sid) for sid, ids in groups.items()]


def files_by_student(roster: RosterIndex, files: Sequence[ReadFile]) -> tuple[dict[str, list[tuple[ReadFile, Identity]]], list[FileOutcome]]:
    owned: dict[str, list[tuple[ReadFile, Identity]]] = {}
    orphans: list[FileOutcome] = []
    students = set(roster.ids.values())
    for f in files:
        parts = split_by_student(f, roster)
        known = [p.only for p in parts if p.only in students]
        owner = known[0] if len(known) == 1 else None  # the file is one student's, but for rows under ids no one has
        strays = len(parts) > len(known)
        for rf in parts:
            who = identify(roster, rf.name, rf.ids, shared=bool(rf.only), owner=owner)
            if who.student_id is None:
                reason = rf.error or "; ".join(who.notes)
                orphans.append(FileOutcome(rf.source, "", "not understood", reason))
                continue
            if owner is not None and strays and who.student_id == owner == rf.only:
                who = replace(who, notes=who.notes + (stray_note(rf.file.name, owner),))
            owned.setdefault(who.student_id, []).append((rf, who))
    return owned, orphans


def stray_note(file: str, sid: str) -> str:
    """What the student is told when rows of their file are under an id no one has (a typo):
    those rows are not graded. It names no id but theirs (the stray one may be someone's name)."""
    return (f"some rows of {file} were not graded: their student_id is not {sid} and names no one on the roster; "
            f"write {sid} on every row")


def file_lateness(rf: ReadFile, rules: LateRules) -> Lateness:
    return lateness(rf.file.name, rf.time(rules.zone), rules.deadline)


def choose_file(candidates: Sequence[tuple[ReadFile, Identity]], rules: LateRules = LateRules()
                ) -> tuple[tuple[ReadFile, Identity], list[tuple[ReadFile, Identity]], Lateness, str]:
    """The file that counts (latest CSV or workbook, else latest of any kind), the others
    (latest first), the chosen one's lateness, and what to tell about the choice ("" for one file).

    An on-time submission is never replaced by a later one without the message saying so,
    and one after the policy's cut-off never replaces it (``late.choose_submission``).
    A file another student uploaded (the LMS names them, its column names this student) never
    replaces the student's own upload: the own ones count first, however late the other came.
    """
    textual = [c for c in candidates if c[0].textual]
    pool = textual or list(candidates)
    own = [c for c in pool if c[1].own]
    foreign = [c for c in pool if not c[1].own] if own else []
    pool = own or pool
    order = latest_first((rf.name, rf.file.mtime, rf.source) for rf, _ in pool)
    names = Counter(rf.file.name for rf, _ in pool)  # files of the same name are told apart by where they were
    ranked = [Candidate(rf.file.name if names[rf.file.name] == 1 else rf.source, file_lateness(rf, rules),
                        len(order) - n, pool[i]) for n, i in enumerate(order) for rf in (pool[i][0],)]  # rank: identify's order
    choice = choose_submission(ranked, rules.policy)
    others = [c.ref for c in choice.others] + foreign + ([c for c in candidates if not c[0].textual] if textual else [])
    said = tie_message(choice, rules.zone) or choice.message
    message = "; ".join(filter(None, (said, foreign_message(choice.chosen.name, foreign))))
    return choice.chosen.ref, others, choice.chosen.lateness, message


def tie_message(choice: Choice, zone: tzinfo | None) -> str:
    """When the submission graded has the same time as others (and no Canvas upload order tells
    them apart), say so — it is not "the latest" — and by which rule it was chosen ("" otherwise)."""
    chosen: ReadFile = choice.chosen.ref[0]
    tied = [c for c in choice.others if c.ref[0].file.mtime == chosen.file.mtime
            and not (c.ref[0].name.kind == chosen.name.kind == "canvas")]
    if not tied or not choice.message.startswith("the latest of"):
        return ""
    when = chosen.time(zone)
    at = f" ({when.isoformat(sep=' ', timespec='seconds')})" if when is not None else ""
    rest = [c.name for c in choice.others if c not in tied]
    return (f"{len(tied) + 1} submissions have the same time{at}, a tie: {choice.chosen.name} counts, the last by name; "
            f"not graded: {listing([c.name for c in tied] + rest)}")


def foreign_message(chosen: str, foreign: Sequence[tuple[ReadFile, Identity]]) -> str:
    """Why files another student uploaded are not graded ("" when there are none)."""
    if not foreign:
        return ""
    by = listing(sorted({who.uploaded_by for _, who in foreign if who.uploaded_by}))
    return (f"not graded: {listing([rf.file.name for rf, _ in foreign])}, uploaded by {by} (the LMS says so) — "
            f"the student's own upload {chosen} counts")


# ---- stage: grade one student ----

LINE_NOTE = re.compile(r"line (\d+): (.*)", re.S)
NO_ENTRY = re.compile(r"(\S+) has no entry \((?:\d+,\d+|r,c)\) (\(it is [^)]*\)); row ignored")
SHOWN_SPANS = 6  # line ranges named in a collapsed note


def line_spans(lines: Sequence[int], shown: int = SHOWN_SPANS) -> str:
    """``2–61``, ``3, 5–7, 12``: line numbers as ranges (the first few, then how many more)."""
    spans: list[list[int]] = []
    for n in sorted(set(lines)):
        if spans and n == spans[-1][1] + 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    return listing([f"{a}–{b}" if b > a else str(a) for a, b in spans], shown)


def _note_kind(text: str) -> str:
    """What a line's note says, without the entry it names (``net1 has no entry (3,1)``)."""
    return NO_ENTRY.sub(r"\1 has no entry (r,c) \2; row ignored", text) if NO_ENTRY.fullmatch(text) else text


def _rows_note(text: str, lines: Sequence[int]) -> str:
    """One note for the rows of ``lines`` that each had the note ``text``."""
    n, at = len(lines), f"lines {line_spans(lines)}"
    entry = NO_ENTRY.fullmatch(text)
    if entry:
        return f"{n} rows name entries that {entry[1]} does not have {entry[2]}: {at}; rows ignored"
    body, ignored = (text.removesuffix("; row ignored"), "; rows ignored") if text.endswith("; row ignored") else (text, "")
    if body.startswith("no "):
        return f"{n} rows have {body}: {at}{ignored}"
    if body.startswith("row "):
        return f"{n} rows {body.removeprefix('row ')}: {at}{ignored}"
    return f"{n} rows: {body}: {at}{ignored}"


def collapse_line_notes(notes: Iterable[str]) -> list[str]:
    """Notes about single lines (``line N: …``), one line per kind: 60 rows without a problem
    number make one note naming the lines, not 60. Other notes are kept as they are, in order."""
    parsed = [(note, LINE_NOTE.fullmatch(note)) for note in notes]
    kinds: dict[str, list[int]] = {}
    for _, m in parsed:
        if m:
            kinds.setdefault(_note_kind(m[2]), []).append(int(m[1]))
    out: list[str] = []
    for note, m in parsed:
        lines = kinds.pop(_note_kind(m[2]), None) if m else [0]
        if lines is not None:
            out.append(note if len(lines) == 1 else _rows_note(_note_kind(m[2]), lines))
    return out


def _missing(week: Week, student: Student, config: GradeConfig) -> StudentResult:
    entries = judge_student(week, student, {}, config)
    return StudentResult(student, MISSING, 0.0, total(entries)[1], entries, messages=(NO_SUBMISSION,))


def grade_student(week: Week, student: Student, candidates: Sequence[tuple[ReadFile, Identity]], config: GradeConfig,
                  rules: LateRules = LateRules(), parse: Parser | None = None) -> tuple[StudentResult, list[FileOutcome]]:
    if not candidates:
        return _missing(week, student, config), []
    (rf, who), others, late, chose = choose_file(candidates, rules)
    flags: list[str] = []
    messages: list[str] = list(who.notes)
    outcomes = [FileOutcome(o.source, student.id, "older" if o.textual else "not used",
                            (("another file counts" if ow.own or not who.own else
                              f"uploaded by {ow.uploaded_by}; {student.id}'s own upload counts")
                             if o.textual else (o.error or "not a CSV file"))) for o, ow in others]
    if any(o.textual for o, _ in others):  # competing answer files: a photo of the work beside a CSV is none
        flags.append("several-files")
        messages.append(chose or "graded the latest file")
    unused = [o.file.name for o, _ in others if not o.textual]
    if unused:
        messages.append("not an answer sheet, not used: " + listing(unused))
    if any("leading zeros" in n for n in who.notes):
        flags.append("leading-zeros")
    if who.conflict or any(ow.conflict for _, ow in others):  # the summary's "needs attention" names the file
        flags.append("id-conflict")
    penalty = late_penalty(rules.policy, late)
    if late.late or penalty.multiplier < 1:
        flags.append("late")
        messages.append(penalty.message)
    files = (rf.source,) + tuple(o.source for o, _ in others)
    parsed, error = (parse or Parser())(rf)
    cells: dict = {}
    if parsed is not None:
        cells, notes = collect_entries(week, student, parsed.rows, parsed.skipped)
        notes = collapse_line_notes(list(parsed.notes) + notes)
        if not cells:  # nothing to grade: like a file that cannot be read, no grade (not a 0) goes to the LMS
            error = "no answers found in the file" + "".join(f"; {n}" for n in notes)
    if not cells:
        entries = judge_student(week, student, {}, config)
        outcomes.insert(0, FileOutcome(rf.source, student.id, "unreadable", error))
        return StudentResult(student, UNREADABLE, 0.0, total(entries)[1], entries, (), tuple(flags), files,
                             tuple([f"{rf.file.name}: {error}"] + messages), late), outcomes
    messages += notes
    entries = judge_student(week, student, cells, config)
    if any(e.note.startswith("given") for e in entries):
        flags.append("duplicate-entries")
    unread = [c for cs in cells.values() for c in cs if c.value is None]
    if unread:
        messages.insert(0, f"{plural(len(unread), 'value')} {'is not a number' if len(unread) == 1 else 'are not numbers'} (line {unread[0].line}: {unread[0].text[:40]!r})")
    diagnoses: list[Diagnosis] = []
    for k, sp in enumerate(student.problems, start=1):
        diagnoses += diagnose(sp.problem, k, entries, sp.answers, sp.tolerances)
    entries = with_diagnosis_codes(with_carried_credit(entries, diagnoses, config.carried), diagnoses)
    entries = with_precision_notes(entries, config)  # too few digits: the student is told why
    points, max_points = total(entries)
    outcomes.insert(0, FileOutcome(rf.source, student.id, "graded"))
    return StudentResult(student, GRADED, points * penalty.multiplier, max_points, entries, tuple(diagnoses),
                         tuple(dict.fromkeys(flags)), files, tuple(messages), late,
                         penalty if penalty.multiplier < 1 else None), outcomes


def week_quantities(week: Week) -> frozenset[str]:
    """Every quantity asked of anyone this week: the rows worth parsing."""
    return frozenset(name for s in week.students for sp in s.problems for name in asked_names(sp.answers, week.asked))


# ---- all of it ----

def moodle_folders(owned: Mapping[str, Sequence[tuple[ReadFile, Identity]]]) -> Mapping[str, str]:
    """Student id → the Moodle participant folder their files sat in, or the flat download's file
    name that says the participant (for the feedback zip: ``lms.moodle_folder`` reads either)."""
    return MappingProxyType({sid: rf.file.folder or rf.file.name for sid, cands in owned.items() for rf, _ in cands
                             if rf.name.kind == "moodle"})


def canvas_names(owned: Mapping[str, Sequence[tuple[ReadFile, Identity]]], week: Week) -> Mapping[str, str]:
    """Student id → the Canvas name of their latest own upload (highest attachment id), for
    ``canvas-feedback.zip``. Canvas attaches a re-uploaded file to the submission whose user and
    attachment ids its name carries, so the upload must be known to be the student's: the roster
    maps its Canvas user to them, or (a roster without Canvas's ids) the name Canvas wrote in it
    is theirs (``canvas_person_fits``) — a file another student uploaded never names the student."""
    names = {s.id: s.name for s in week.students}
    latest: dict[str, ReadFile] = {}
    for sid, cands in owned.items():
        for rf, who in cands:
            theirs = who.uploaded_by == sid or (who.uploaded_by is None and canvas_person_fits(rf.name.person, names.get(sid, "")))
            if rf.name.kind == "canvas" and who.own and theirs and (
                    sid not in latest or rf.name.attachment > latest[sid].name.attachment):
                latest[sid] = rf
    return MappingProxyType({sid: rf.file.name for sid, rf in latest.items()})


def grade(week: Week, files: Sequence[SubmittedFile], config: GradeConfig | None = None,
          only: Iterable[str] | None = None, late: LateRules = LateRules(),
          keep_if_absent: Collection[str] = ()) -> Gradebook:
    """Grade every roster student (or just ``only``) from the collected files.

    Students in ``keep_if_absent`` (a partial regrade's students who have earlier results)
    with no file among ``files`` are not graded: they are listed in ``Gradebook.kept``, and
    their earlier results stay as they were."""
    config = config or GradeConfig()
    roster = RosterIndex(week)
    owned, orphans = files_by_student(roster, read_files(files))
    parse = Parser(week_quantities(week))
    wanted = set(only) if only is not None else None
    results: list[StudentResult] = []
    outcomes: list[FileOutcome] = list(orphans)
    conflicts: list[IdConflict] = []
    kept = tuple(s.id for s in week.students if s.id in set(keep_if_absent) and not owned.get(s.id))
    for student in week.students:
        if (wanted is not None and student.id not in wanted) or student.id in kept:
            continue
        try:
            result, used = grade_student(week, student, owned.get(student.id, []), config, late, parse)
        except Exception as e:  # noqa: BLE001 - a bug of ours must not lose the other students
            result = replace(_missing(week, student, config), status=UNREADABLE,
                             messages=(f"could not be graded (internal error {type(e).__name__}: {e}); please report",))
            used = [FileOutcome(rf.source, student.id, "unreadable", "internal error") for rf, _ in owned.get(student.id, [])]
        results.append(result)
        outcomes += used
        conflicts += [IdConflict(rf.source, who.column, who.name_says, student.id, rf.source in result.files[:1],
                                         who.uploaded_by)
                      for rf, who in owned.get(student.id, []) if who.conflict]
    if wanted is not None:  # files of students not regraded are neither used nor "not understood"
        outcomes = [o for o in outcomes if not o.student_id or o.student_id in wanted]
    found = other_work(week, [r for r in results if r.status == GRADED])
    return Gradebook(week, tuple(with_other_work(results, found)), tuple(outcomes), config, moodle_folders(owned), kept,
                     tuple(conflicts), tuple(found), canvas_names(owned, week))


def with_results(book: Gradebook, results: Iterable[StudentResult]) -> Gradebook:
    """The same gradebook with some students' results replaced (by id), e.g. after overrides."""
    new = {r.student.id: r for r in results}
    return replace(book, results=tuple(new.get(r.student.id, r) for r in book.results))


# ---- a TA's decisions ----

def with_overrides(book: Gradebook, rows: Sequence[Override]) -> tuple[Gradebook, OverrideResult]:
    """The gradebook with ``rows`` applied after automatic grading (``overrides.apply_overrides``).

    Credit rows change graded entries; their points are scaled by the student's late penalty
    like the rest of the work. Points rows are added to the final total, after the penalty
    (the TA has the last word, e.g. to waive it), and total rows set it; a total stays within
    0 … max_points unless the config's ``[points] above_max = true``. Rows for roster students who are not in
    ``book`` (a partial regrade) are left for the run that grades them.
    """
    present = {r.student.id for r in book.results}
    roster = {s.id for s in book.week.students}
    ids = IdIndex([s.id for s in book.week.students])  # a row's id read as every command reads ids
    rows = [replace(o, student_id=ids.match(o.student_id)[0] or o.student_id) for o in rows]
    rows = [o for o in rows if o.student_id in present or o.student_id not in roster]
    credits, weights = {}, {}
    for r in book.results:
        if r.status == GRADED:
            for e in r.entries:
                credits[(r.id, *e.key)] = e.credit
                weights[(r.id, *e.key)] = e.points * r.multiplier
    done = apply_overrides(rows, credits, {r.id: r.points for r in book.results}, weights,
                           {r.id: r.max_points for r in book.results}, book.config.above_max)
    reasons = done.reasons()
    changed = []
    for r in book.results:
        applied = done.for_student(r.id)
        if not applied:
            continue
        entries = tuple(replace(e, credit=done.credits[(r.id, *e.key)], override=reasons[(r.id, *e.key)])
                        if (r.id, *e.key) in reasons else e for e in r.entries)
        changed.append(replace(r, entries=entries, points=done.totals[r.id],
                               adjustments=done.messages(r.id),
                               flags=tuple(dict.fromkeys(r.flags + ("override",)))))
    return with_results(book, changed), done
