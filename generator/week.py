"""A week's problem set, built from roster entries and options (pure).

- Each student's problems come from their own random generator, seeded with a hash of
  (seed, sampling options, student id): they depend on nothing else, so neither the order
  nor the size of the roster changes anyone's problems, and a late student added to the
  week changes no one else's. Problem k of a student does not depend on how many problems
  there are.
- Every student gets a safe file name (``answers/<file>.csv``, ``sheets/<file>.pdf``): the id
  itself when it is a safe, portable file name, else a cleaned-up prefix of it plus a hash of
  the whole id (unique, stable, never a path).
- Every student gets a short variant code (a hash of their problems), printed on the sheets;
  :func:`shared_variants` finds students whose problems are identical.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np

from .problem import Problem
from .record import Student, StudentProblem, Week, asked_names
from .roster import RosterEntry
from .sampler import SampleOptions, check_options, sample_judged_many, sampler_version
from .separation import Hidden, hidden_mistakes
from .solver import Solution, solution_from, solve
from .steps import DEFAULT_ASKED, STEPS, symbol_of
from .tolerance import entry_tolerances
from .errors import DuplicateStudent

CLASS_ID = "class"  # the one shared variant of a week generated without a roster
CLASS_NAME = "whole class"
DRAWN_TOGETHER = 250  # students whose problems are drawn in one go (progress is shown after each group)


@dataclass(frozen=True)
class WeekOptions:
    seed: str
    title: str
    sample: SampleOptions = SampleOptions()
    problems: int = 1  # per student (ignored with fixed problems)
    asked: tuple[str, ...] = DEFAULT_ASKED
    fixed: tuple[Problem, ...] = ()  # --from: everyone gets these
    fixed_source: str | None = None
    xlsx: bool = False  # answer workbooks beside the CSV templates
    sampler: int | None = None  # the sampler to draw by (a recorded week's own); None: this bpdrill's

    def to_json(self) -> dict[str, Any]:
        """The options as applied, for the record."""
        if self.fixed:
            first = self.fixed[0]
            acts = [layer.activation for layer in first.layers]
            applied = {
                "layers": list(first.sizes),
                "hidden_activation": acts[0] if len(acts) > 1 else None,
                "output": acts[-1],
                "loss": first.loss,
                "learning_rate": first.learning_rate,
            }
        else:
            applied = self.sample.to_json()
        return {
            **applied,
            "problems": len(self.fixed) if self.fixed else self.problems,
            "from": self.fixed_source,
            "xlsx": self.xlsx,
            "sampler": self.sampler_version,
        }

    @property
    def sampler_version(self) -> int:
        return sampler_version(self.sample) if self.sampler is None else self.sampler


def options_from_record(week: Week) -> WeekOptions:
    """The options a week was generated with (for adding students to it)."""
    o = week.options
    fixed = week.students[0].problems if o.get("from") and week.students else ()
    return WeekOptions(
        seed=week.seed,
        title=week.title,
        sample=SampleOptions(
            tuple(o["layers"]), o.get("hidden_activation") or "sigmoid", o["output"], float(o["learning_rate"])
        ),
        problems=int(o.get("problems", 1)),
        asked=tuple(week.asked),
        fixed=tuple(sp.problem for sp in fixed),
        fixed_source=o.get("from"),
        xlsx=bool(o.get("xlsx", False)),
        sampler=int(o.get("sampler", 1)),  # a week from before the version was recorded drew by sampler 1
    )


# ---- seeds ----

def student_seed(seed: str, opts: SampleOptions, student_id: str, version: int | None = None) -> int:
    """A 128-bit seed from (seed, sampling options, student id) and nothing else (the options
    include the sampler's version, by default this bpdrill's: a way of drawing that changed gives
    other problems)."""
    version = sampler_version(opts) if version is None else version
    payload = json.dumps([version, seed, opts.to_json(), student_id], sort_keys=True, ensure_ascii=False)
    return int.from_bytes(hashlib.sha256(payload.encode("utf-8")).digest()[:16], "big")


def student_problem(solution: Solution, hidden: tuple[Hidden, ...] | None = None,
                    tolerances: Mapping[str, np.ndarray] | None = None) -> StudentProblem:
    """A problem with every answer (the solver's order) and its tolerances (computed here unless
    given), for the record (``hidden``: the mistakes it cannot tell apart, when the sampler judged them)."""
    return StudentProblem(
        solution.problem,
        MappingProxyType({name: solution[name] for name in solution.names}),
        MappingProxyType({name: tolerances[name] for name in solution.names} if tolerances is not None
                         else dict(entry_tolerances(solution))),
        hidden,
    )


def sampled_problems(options: WeekOptions, student_id: str) -> tuple[StudentProblem, ...]:
    return sampled_problems_of(options, [student_id])[0]


def sampled_problems_of(options: WeekOptions, student_ids: Sequence[str]) -> list[tuple[StudentProblem, ...]]:
    """Each student's problems (drawn together: :func:`~generator.sampler.sample_judged_many`)."""
    version = options.sampler_version
    rngs = [np.random.default_rng(student_seed(options.seed, options.sample, sid, version)) for sid in student_ids]
    return [tuple(student_problem(*judged) for judged in student)
            for student in sample_judged_many(rngs, options.sample, options.problems, version)]


# ---- file names and variant codes ----

_SAFE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}
_CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base 32: no I, L, O, U


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


def is_safe_file(student_id: str) -> bool:
    """A portable file stem: letters, digits, ``._-``, not starting with a dot or dash, not
    ending with a dot, at most 64 characters, not a reserved Windows device name."""
    return (
        bool(_SAFE.fullmatch(student_id))
        and not student_id.endswith(".")
        and student_id.split(".")[0].casefold() not in _RESERVED
    )


def hashed_file(student_id: str, digits: int = 10) -> str:
    """``a/b`` → ``a_b-1f2e3d4c5b``: a readable prefix plus a hash of the whole id."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", student_id).strip("._-")[:32].rstrip("._-") or "student"
    return f"{slug}-{_digest(student_id).hex()[:digits]}"


def assign_files(ids: Iterable[str], taken: Iterable[str] = ()) -> dict[str, str]:
    """A unique safe file stem per id (unique ignoring case too: macOS and Windows).

    Safe ids keep their own name unless it is taken; the others get :func:`hashed_file`.
    The result does not depend on the order of ``ids``.
    """
    used = {f.casefold() for f in taken}
    ids = sorted(set(ids))
    out: dict[str, str] = {}
    for sid in ids:
        if is_safe_file(sid) and sid.casefold() not in used:
            out[sid] = sid
            used.add(sid.casefold())
    for sid in ids:
        if sid in out:
            continue
        digits = 10
        while hashed_file(sid, digits).casefold() in used:
            digits += 2
        out[sid] = hashed_file(sid, digits)
        used.add(out[sid].casefold())
    return out


def variant_key(problems: Sequence[StudentProblem]) -> str:
    return json.dumps([sp.problem.to_json() for sp in problems], sort_keys=True)


def variant_code(problems: Sequence[StudentProblem], length: int = 6) -> str:
    """A short code for a set of problems (printed on every page), e.g. ``K7QM2X``."""
    n = int.from_bytes(_digest(variant_key(problems))[:8], "big")
    return "".join(_CODE_ALPHABET[(n >> (5 * i)) & 31] for i in range(length))


def shared_variants(students: Iterable[Student]) -> list[tuple[str, ...]]:
    """Groups of student ids whose problems are identical (each group ≥ 2, in roster order)."""
    groups: dict[str, list[str]] = {}
    for s in students:
        groups.setdefault(variant_key(s.problems), []).append(s.id)
    return [tuple(g) for g in groups.values() if len(g) > 1]


# ---- the week ----

def class_entry() -> RosterEntry:
    """The one 'student' of a week generated without a roster."""
    return RosterEntry(CLASS_ID, CLASS_NAME, {}, 0)


NO_ROSTER = MappingProxyType({"source": None, "id_column": None, "name_column": None, "columns": []})


def make_students(
    entries: Sequence[RosterEntry], options: WeekOptions, taken_files: Iterable[str] = (),
    progress: Callable[[], None] | None = None,
) -> tuple[Student, ...]:
    """Every entry's student (``progress`` is called after each one)."""
    if not options.fixed:
        check_options(options.sample)
    files = assign_files((e.id for e in entries), taken_files)
    fixed = tuple(student_problem(solve(p)) for p in options.fixed)
    students = []
    for start in range(0, len(entries), DRAWN_TOGETHER):
        chunk = entries[start:start + DRAWN_TOGETHER]
        drawn = [fixed] * len(chunk) if fixed else sampled_problems_of(options, [e.id for e in chunk])
        for e, problems in zip(chunk, drawn):
            students.append(
                Student(
                    id=e.id,
                    name=e.name,
                    file=files[e.id],
                    variant=variant_code(problems),
                    columns=MappingProxyType(dict(e.columns)),
                    problems=problems,
                )
            )
            if progress:
                progress()
    return tuple(students)


def build_week(
    entries: Sequence[RosterEntry] | None,
    options: WeekOptions,
    roster_info: Mapping[str, Any] | None = None,
    *,
    version: str = "",
    created: str = "",
    progress: Callable[[], None] | None = None,
) -> Week:
    """The week: every student's problems, answers and tolerances. ``entries=None``: no roster,
    one shared variant for the whole class (id ``class``)."""
    if entries is None:
        entries = (class_entry(),)
    roster_info = NO_ROSTER if roster_info is None else roster_info
    return Week(
        title=options.title,
        seed=options.seed,
        asked=tuple(options.asked),
        options=MappingProxyType(options.to_json()),
        roster=MappingProxyType(dict(roster_info)),
        students=make_students(entries, options, progress=progress),
        version=version,
        created=created,
    )


def split_new(week: Week, entries: Sequence[RosterEntry]) -> tuple[list[RosterEntry], list[tuple[RosterEntry, str]]]:
    """(the entries whose student is not in the week yet, [(entry, the week's id)] of those already
    in it): a whole roster exported again adds just the students who joined since. An id that is
    a week's numeric id with its leading zeros lost (Excel: 00123 → 123) is that student."""
    existing = {unicodedata.normalize("NFC", s.id): s.id for s in week.students}  # a record from before NFC ids
    digits: dict[str, list[str]] = {}
    for s in week.students:
        if s.id.isdigit():
            digits.setdefault(s.id.lstrip("0"), []).append(s.id)
    new, already = [], []
    for e in entries:
        known = existing.get(unicodedata.normalize("NFC", e.id))
        if known is None and e.id.isdigit() and len(digits.get(e.id.lstrip("0"), [])) == 1:
            known = digits[e.id.lstrip("0")][0]
        if known is None:
            new.append(e)
        else:
            already.append((e, known))
    return new, already


def add_students(week: Week, entries: Sequence[RosterEntry], roster_info: Mapping[str, Any],
                 progress: Callable[[], None] | None = None) -> Week:
    """The week with more students, drawn exactly as they would have been at first: no one
    already in the week changes. Refuses an id already in the week (:class:`DuplicateStudent`)."""
    already = split_new(week, entries)[1]
    if already:
        raise DuplicateStudent(f"line {already[0][0].line}: id {already[0][0].id!r} is already in the week")
    new = make_students(entries, options_from_record(week), (s.file for s in week.students), progress)
    roster = dict(week.roster)
    roster["added"] = [*roster.get("added", []), dict(roster_info)]
    roster["columns"] = list(dict.fromkeys([*roster.get("columns", []), *roster_info.get("columns", [])]))
    return Week(
        title=week.title,
        seed=week.seed,
        asked=week.asked,
        options=week.options,
        roster=MappingProxyType(roster),
        students=week.students + new,
        version=week.version,
        created=week.created,
    )


# ---- mistakes no problem can tell apart ----

def undetectable_mistakes(week: Week) -> tuple[list[str], list[str]]:
    """The catalogued mistakes some asked entries of the week's problems cannot tell from the right
    value, one line per quantity for the instructor: (those exactly right there — an input of 0
    hides its column of W̃, φ′(a) = φ′(net) for ReLU, c = 1 hides a forgotten learning rate —,
    those within the tolerance of honest 4-digit work where sampler 3 found no draft that tells
    them apart). Both empty when every mistake shows on every asked entry."""
    counts: dict[bool, dict[str, dict[str, int]]] = {True: {}, False: {}}
    for s in week.students:
        seen: set[tuple[bool, str, str]] = set()
        for sp in s.problems:
            asked = set(asked_names(sp.answers, week.asked))
            hidden = hidden_mistakes(solution_from(sp.problem, sp.answers), sp.tolerances) if sp.hidden is None else sp.hidden
            seen |= {(h.exact, h.quantity, h.key) for h in hidden if h.quantity in asked}
        for exact, quantity, key in seen:
            by_key = counts[exact].setdefault(quantity, {})
            by_key[key] = by_key.get(key, 0) + 1
    n = len(week.students)
    order = {name: i for i, name in enumerate(week.students[0].problems[0].answers)} if week.students else {}
    codes = {m.key: i for i, m in enumerate(m for step in STEPS for m in step.mistakes)}

    def lines(by_quantity: dict[str, dict[str, int]]) -> list[str]:
        return [f"{symbol_of(q)} ({q}): " + ", ".join(f"{key} ({by_key[key]} of {n} students)" if n > 1 else key
                                                       for key in sorted(by_key, key=codes.__getitem__))
                for q, by_key in sorted(by_quantity.items(), key=lambda qk: order.get(qk[0], len(order)))]

    return lines(counts[True]), lines(counts[False])
