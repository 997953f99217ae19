"""Stages 4–5: match rows to asked entries, judge each entry, give points (pure).

Each entry is judged against the week's record: expected value and its tolerance (computed at
generate time, so a regrade months later judges the same way). The grading config (TOML) may
override the tolerance per quantity or family, and the points::

    [tolerance]
    W_new = { mode = "sigfig", n = 3 }            # a family …
    delta1 = { mode = "relabs", rtol = 1e-3, atol = 1e-6 }   # … or one quantity
    dL_dW2 = { mode = "decdig", n = 4 }

    [points]
    default = 1          # per asked quantity, split across its entries
    W_new = 2

    [late]
    per_day = 10         # see ``late.parse_late_policy``

(Also accepted inside a ``[grade]`` table, so one config file can serve generate and grade.)
An unknown table or key is refused, naming the file and the key.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Iterable, Mapping

import numpy as np

from generator.config import CourseConfig
from generator.errors import ConfigError
from generator.record import Student, Week, asked_names
from generator.steps import FAMILIES, parse_name
from generator.tolerance import FLOOR

from .ingest import listing
from .parse import Cell, Row

CORRECT, INCORRECT, MISSING = "correct", "incorrect", "missing"
MODES = {"record": (), "relabs": ("rtol", "atol"), "sigfig": ("n",), "decdig": ("n",)}
LMS_MISSING = ("unchanged", "zero")  # [lms] missing

Key = tuple[int, str, int, int]  # (problem, quantity, row, col), 1-based


@dataclass(frozen=True)
class Rule:
    mode: str = "record"
    rtol: float = 0.0
    atol: float = 0.0
    n: int = 4

    def describe(self) -> str:
        return {
            "record": "the week's recorded tolerance (honest 4-significant-digit work)",
            "relabs": f"|difference| ≤ {self.atol:g} + {self.rtol:g}·|expected|",
            "sigfig": f"{self.n} significant digits",
            "decdig": f"{self.n} decimal digits",
        }[self.mode]


@dataclass(frozen=True)
class GradeConfig:
    tolerance: Mapping[str, Rule] = field(default_factory=dict)  # quantity name or family → rule
    points: Mapping[str, float] = field(default_factory=dict)  # quantity name or family → points
    default_points: float = 1.0
    raw: Mapping[str, Any] = field(default_factory=dict)  # the whole file, as read
    late: Mapping[str, Any] | None = None  # the [late] table, read by ``late.parse_late_policy``
    carried: float = 0.0  # credit (0–1) of an entry wrong only through the student's own earlier values
    above_max: bool = False  # [points] above_max: overrides may take a total past the maximum
    lms_missing: str = "unchanged"  # [lms] missing: a student without a grade in the LMS files: no row / blank, or 0
    timezone: str | None = None  # [grade] timezone: the course's time zone (IANA name) for file times and deadlines

    def rule(self, quantity: str) -> Rule:
        return self.tolerance.get(quantity) or self.tolerance.get(parse_name(quantity)[0]) or Rule()

    def points_for(self, quantity: str) -> float:
        for key in (quantity, parse_name(quantity)[0]):
            if key in self.points:
                return self.points[key]
        return self.default_points


def _known(key: str) -> bool:
    try:
        parse_name(key)
        return True
    except ValueError:
        return key in FAMILIES


def _positive(value: Any, where: str, integer: bool = False) -> float:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value >= 0
    if not ok or (integer and (int(value) != value or value < 1)):
        kind = "a whole number ≥ 1" if integer else "a number ≥ 0"
        raise ConfigError(f"{where}: expected {kind}, got {value!r}")
    return value


def _fraction(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ConfigError(f"{where}: expected a fraction of the points from 0 to 1, got {value!r}")
    return float(value)


def _timezone(value: Any, where: str) -> str:
    """An IANA time zone name (``Europe/Berlin``, ``UTC``), checked against the system's zone data."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        if not isinstance(value, str) or not value.strip():
            raise ValueError
        ZoneInfo(value.strip())
    except (ValueError, ZoneInfoNotFoundError):
        raise ConfigError(f"{where}: {value!r} is not a time zone name (e.g. Europe/Berlin, America/New_York, UTC)") from None
    return value.strip()


def lms_missing(table: Mapping[str, Any], where: str) -> str:
    """The ``[lms]`` table: ``missing = "unchanged"`` (default) or ``"zero"``."""
    unknown = sorted(set(table) - {"missing"})
    if unknown:
        raise ConfigError(f"{where}: unknown key lms.{unknown[0]} (known: lms.missing)")
    value = table.get("missing", "unchanged")
    if value not in LMS_MISSING:
        raise ConfigError(f"{where}: lms.missing: expected {' or '.join(repr(v) for v in LMS_MISSING)}, got {value!r}")
    return value


def grade_config(course: CourseConfig) -> GradeConfig:
    """The grading policy of a course config (``[tolerance]``, ``[points]``, ``[late]``, at the top or
    inside ``[grade]``), its contents checked; the message names the file and key."""
    section, where = course.grade, course.source
    rules: dict[str, Rule] = {}
    tol = section.get("tolerance", {})
    for key, spec in tol.items():
        w = f"{where}: tolerance.{key}"
        if not _known(key):
            raise ConfigError(f"{w}: not a quantity name or family")
        if not isinstance(spec, Mapping) or spec.get("mode") not in MODES:
            raise ConfigError(f"{w}: expected a table with mode = {' | '.join(repr(m) for m in MODES)}")
        unknown = set(spec) - {"mode", *MODES[spec["mode"]]}
        if unknown:
            raise ConfigError(f"{w}: unknown key {sorted(unknown)[0]!r} for mode {spec['mode']!r}")
        missing = [k for k in MODES[spec["mode"]] if k not in spec and not (spec["mode"] == "relabs")]
        if missing:
            raise ConfigError(f"{w}: mode {spec['mode']!r} needs {missing[0]}")
        args = {k: _positive(spec[k], f"{w}.{k}", integer=(k == "n")) for k in MODES[spec["mode"]] if k in spec}
        rules[key] = Rule(spec["mode"], **args)
    pts = section.get("points", {})
    default = 1.0
    points: dict[str, float] = {}
    carried, above_max = 0.0, False
    for key, value in pts.items():
        if key == "default":
            default = float(_positive(value, f"{where}: points.default"))
        elif key == "carried":
            carried = _fraction(value, f"{where}: points.carried")
        elif key == "above_max":
            if not isinstance(value, bool):
                raise ConfigError(f"{where}: points.above_max: expected true or false, got {value!r}")
            above_max = value
        elif _known(key):
            points[key] = float(_positive(value, f"{where}: points.{key}"))
        else:
            raise ConfigError(f"{where}: points.{key}: not a quantity name or family")
    return GradeConfig(MappingProxyType(rules), MappingProxyType(points), default, course.raw,
                       section.get("late"), carried, above_max, lms_missing(section.get("lms", {}), where),
                       _timezone(section["timezone"], f"{where}: timezone") if "timezone" in section else None)


def tolerance(rule: Rule, expected: float, recorded: float) -> float:
    """The absolute tolerance of one entry under a rule."""
    if rule.mode == "relabs":
        return rule.atol + rule.rtol * abs(expected)
    if rule.mode in ("sigfig", "decdig"):
        if rule.mode == "decdig":
            return 0.5 * 10.0 ** (-rule.n) * (1 + 1e-9)
        if expected == 0:
            return FLOOR
        return 0.5 * 10.0 ** (math.floor(math.log10(abs(expected))) - rule.n + 1) * (1 + 1e-9)
    return recorded


# ---- judging ----

@dataclass(frozen=True)
class EntryResult:
    problem: int
    quantity: str
    row: int
    col: int
    expected: float
    tolerance: float
    submitted: str  # as written ("" when missing)
    value: float | None  # as read
    verdict: str  # correct | incorrect | missing
    credit: float  # 0–1
    points: float  # what the entry is worth
    note: str = ""
    override: str = ""  # the reason of a TA's override that set the credit ("" when none)
    diagnosis: str = ""  # what went wrong, as a code (``grader.diagnose``; "" when right or not recognised)

    @property
    def key(self) -> Key:
        return (self.problem, self.quantity, self.row, self.col)

    @property
    def earned(self) -> float:
        return self.credit * self.points


def judge_entry(expected: float, tol: float, cells: tuple[Cell, ...]) -> tuple[str, str]:
    """(verdict, note) of one entry from the cells handed in for it."""
    if not cells:
        return MISSING, ""
    values = {c.value for c in cells}
    if len(cells) > 1 and len(values) > 1:
        lines = ", ".join(str(c.line) for c in cells)
        return INCORRECT, f"given {len(cells)} times with different values (lines {lines}): ambiguous"
    cell = cells[0]
    if cell.value is None:
        return INCORRECT, cell.note or "not a number"
    if abs(cell.value - expected) <= tol * (1 + 1e-12) + 1e-15:
        return CORRECT, ""
    return INCORRECT, ""


def collect_entries(week: Week, student: Student, rows: Iterable[Row], skipped: Mapping[str, int] | None = None
                    ) -> tuple[dict[Key, tuple[Cell, ...]], list[str]]:
    """Rows → cells per asked entry, with notes on rows that do not belong to one (``skipped``:
    rows the parser already left out, quantities not asked this week, counted by name)."""
    shapes: dict[tuple[int, str], tuple[int, int]] = {}
    for k, sp in enumerate(student.problems, start=1):
        for name in asked_names(sp.answers, week.asked):
            shapes[(k, name)] = sp.answers[name].shape
    single = len(student.problems) == 1
    cells: dict[Key, list[Cell]] = {}
    ignored: dict[str, int] = dict(skipped or {})
    notes: list[str] = []
    for r in rows:
        problem = r.problem if r.problem is not None else (1 if single else None)
        if problem is None:
            notes.append(f"line {r.line}: no problem number (there are {len(student.problems)} problems); row ignored")
            continue
        shape = shapes.get((problem, r.quantity))
        if shape is None:
            label = r.quantity if problem in range(1, len(student.problems) + 1) else f"problem {problem}"
            ignored[label] = ignored.get(label, 0) + 1
            continue
        if not (1 <= r.row <= shape[0] and 1 <= r.col <= shape[1]):
            notes.append(f"line {r.line}: {r.quantity} has no entry ({r.row},{r.col}) (it is {shape[0]}×{shape[1]}); row ignored")
            continue
        cells.setdefault((problem, r.quantity, r.row, r.col), []).append(r.cell)
    if ignored:
        notes.append("not asked, ignored: " + listing([f"{q} ({n} rows)" if n > 1 else q for q, n in ignored.items()], 6))
    return {k: tuple(v) for k, v in cells.items()}, notes


def judge_student(week: Week, student: Student, cells: Mapping[Key, tuple[Cell, ...]], config: GradeConfig) -> tuple[EntryResult, ...]:
    """Every asked entry of every problem, judged (missing where nothing was handed in)."""
    out: list[EntryResult] = []
    for k, sp in enumerate(student.problems, start=1):
        for name in asked_names(sp.answers, week.asked):
            answer = np.asarray(sp.answers[name])
            recorded = np.asarray(sp.tolerances[name]) if name in sp.tolerances else np.full(answer.shape, FLOOR)
            rule = config.rule(name)
            per_entry = config.points_for(name) / answer.size
            for (i, j), expected in np.ndenumerate(answer):
                tol = tolerance(rule, float(expected), float(recorded[i, j]))
                got = cells.get((k, name, i + 1, j + 1), ())
                verdict, note = judge_entry(float(expected), tol, got)
                credit = 1.0 if verdict == CORRECT else 0.0
                text = got[-1].text if got else ""
                value = got[-1].value if got else None
                out.append(EntryResult(k, name, i + 1, j + 1, float(expected), tol, text, value, verdict, credit, per_entry, note))
    return tuple(out)


def total(entries: Iterable[EntryResult]) -> tuple[float, float]:
    """(points earned, points possible)."""
    entries = list(entries)
    return sum(e.earned for e in entries), sum(e.points for e in entries)
