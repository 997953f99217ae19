"""The class report: what the class misunderstands, for the instructor (pure).

Built from ``grades.csv`` and ``details.csv`` as written (so a partial regrade's report covers the
whole merged class) and the week's record (the chain of steps, the roster's sections):

- the score distribution of the students graded (missing and unreadable counted beside it);
- per asked quantity, in the order of the chain (forward pass, loss, backward pass, update), the
  share of the submitted problems where it is right, carried (wrong only through the student's own
  earlier values), wrong, missing — and the same per section when the roster has one;
- one line per diagnosis code of ``details.csv``: how many students, their share of the submitters,
  the steps it occurred in, up to five ids;
- the flags with the ids, and a paragraph in plain words generated from the numbers.

:func:`class_report` gathers it; ``templates/report.html`` shows it (``generator.render``'s page stack).
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass
from typing import Mapping, Sequence

from markupsafe import Markup, escape

from generator.record import Week, asked_names
from generator.render import section_of
from generator.steps import STEPS, plan, symbol_of

from .diagnose import CARRIED, PRECISION
from .judge import INCORRECT, MISSING

Table = Sequence[Mapping[str, str]]

PHASES = {"forward": "forward pass", "output": "loss", "backward": "backward pass", "update": "update"}
KINDS = ("right", "carried", "wrong", "missing")
SHOWN_IDS = 5  # students named per diagnosis
SHOWN_FLAGGED = 40  # ids named per flag, then "and N more"
FIRST_FLAGS = ("id-conflict", "other-variant", "other-week", "late")
# what a student with each code did, for the paragraph ("23 students forgot φ′ (no_derivative)")
CODE_SAYS = {m.key: m.says for s in STEPS for m in s.mistakes} | {
    CARRIED: "carried an earlier error into it (the step itself right)",
    PRECISION: "rounded to too few digits",
}
CODE_ORDER = {code: i for i, code in enumerate(CODE_SAYS)}


@dataclass(frozen=True)
class Shares:
    """How many submitted problems have a quantity right, carried, wrong, missing."""

    right: int = 0
    carried: int = 0
    wrong: int = 0
    missing: int = 0

    @property
    def total(self) -> int:
        return self.right + self.carried + self.wrong + self.missing

    def share(self, kind: str) -> float:
        return getattr(self, kind) / self.total if self.total else 0.0

    def percent(self, kind: str) -> int:
        return round(100 * self.share(kind))


@dataclass(frozen=True)
class QuantityRow:
    name: str  # e.g. "delta1"
    symbol: str  # the seed's notation, e.g. "δ^[1]"
    phase: str  # a key of PHASES
    shares: Shares
    by_section: tuple[tuple[str, Shares], ...] = ()


@dataclass(frozen=True)
class DiagnosisLine:
    code: str
    students: int
    share: float  # of the submitters
    steps: tuple[str, ...]  # the quantities it occurred in, in the order of the chain
    ids: tuple[str, ...]  # up to SHOWN_IDS, in roster order

    @property
    def percent(self) -> int:
        return round(100 * self.share)


@dataclass(frozen=True)
class ClassReport:
    title: str
    students: int  # on the roster
    graded: int
    missing: int
    unreadable: int
    percents: tuple[float, ...]  # of the students graded
    quantities: tuple[QuantityRow, ...]
    diagnoses: tuple[DiagnosisLine, ...]
    sections: tuple[str, ...]  # () when the roster has no section column
    flags: tuple[tuple[str, tuple[str, ...]], ...]  # (flag, ids)
    summary: tuple[tuple[str, str], ...]  # the paragraph: ("text" | "sym" | "code", what)
    problems: int = 1  # per student

    @property
    def mean(self) -> float | None:
        return statistics.fmean(self.percents) if self.percents else None

    @property
    def median(self) -> float | None:
        return statistics.median(self.percents) if self.percents else None

    @property
    def bins(self) -> tuple[int, ...]:
        """Students graded per 10 percent (0–10, …, 90–100; 100 in the last)."""
        counts = [0] * 10
        for p in self.percents:
            counts[min(max(int(p // 10), 0), 9)] += 1
        return tuple(counts)


def chain(week: Week) -> list[tuple[str, str]]:
    """(quantity, phase) of the asked quantities in the order of the chain: forward pass, loss,
    backward pass, then the updates (W̃)."""
    if not week.students:
        return []
    asked = set(asked_names(week.students[0].problems[0].answers, week.asked))
    first = week.students[0].problems[0].problem
    steps = [(s.name, "update" if s.family == "W_new" else s.step.phase) for s in plan(first.depth, first.loss)
             if s.name in asked]
    return sorted(steps, key=lambda np_: list(PHASES).index(np_[1]))  # stable: the plan's order within a phase


def _id(cell: str) -> str:
    """A student id as the CSV holds it, without the ' that neutralizes a leading =, +, - or @."""
    return cell[1:] if cell[:1] == "'" and cell[1:2] in ("=", "+", "-", "@") else cell


def _status(verdicts: Sequence[tuple[str, str]]) -> str:
    """One student's problem's quantity from its entries' (verdict, diagnosis)."""
    if any(v == INCORRECT and d != CARRIED for v, d in verdicts):
        return "wrong"
    if any(v == INCORRECT for v, _ in verdicts):
        return "carried"
    if any(v == MISSING for v, _ in verdicts):
        return "missing"
    return "right"


def _shares(statuses: Sequence[str]) -> Shares:
    return Shares(*(sum(s == k for s in statuses) for k in KINDS))


def class_report(week: Week, grades: Table, details: Table) -> ClassReport:
    """The report's numbers from grades.csv and details.csv as written."""
    status = {_id(g.get("student_id", "")): g.get("status", "") for g in grades}
    graded = [s for s in week.students if status.get(s.id) == "graded"]
    graded_ids = {s.id for s in graded}
    entries: dict[tuple[str, str, str], list[tuple[str, str]]] = {}
    codes: dict[str, dict[str, set[str]]] = {}  # code → student → quantities
    for d in details:
        sid = _id(d.get("student_id", ""))
        if sid not in graded_ids:
            continue
        entries.setdefault((sid, d.get("problem", ""), d.get("quantity", "")), []).append(
            (d.get("verdict", ""), d.get("diagnosis", "")))
        if d.get("diagnosis"):
            codes.setdefault(d["diagnosis"], {}).setdefault(sid, set()).add(d.get("quantity", ""))
    steps = chain(week)
    order = {q: i for i, (q, _) in enumerate(steps)}
    sections = tuple(sorted({section_of(s) for s in week.students} - {""}))
    section = {s.id: section_of(s) for s in graded}
    problems = len(week.students[0].problems) if week.students else 1
    rows = []
    for name, phase in steps:
        by_student = {(sid, p): _status(v) for (sid, p, q), v in entries.items() if q == name}
        by_section = tuple((sec, _shares([st for (sid, _), st in by_student.items() if section[sid] == sec]))
                           for sec in sections)
        rows.append(QuantityRow(name, symbol_of(name), phase, _shares(list(by_student.values())), by_section))
    roster_order = {s.id: i for i, s in enumerate(week.students)}
    lines = [DiagnosisLine(code, len(who), len(who) / len(graded) if graded else 0.0,
                           tuple(sorted({q for qs in who.values() for q in qs}, key=lambda q: order.get(q, len(order)))),
                           tuple(sorted(who, key=roster_order.__getitem__)[:SHOWN_IDS]))
             for code, who in codes.items()]
    lines.sort(key=lambda line: (-line.students, CODE_ORDER.get(line.code, len(CODE_ORDER)), line.code))
    percents = []
    for g in grades:
        if g.get("status") == "graded":
            try:
                percents.append(float(g.get("percent") or 0))
            except ValueError:
                pass
    flagged: dict[str, list[str]] = {}
    for g in grades:
        for flag in filter(None, (g.get("flags") or "").split(";")):
            flagged.setdefault(flag, []).append(_id(g.get("student_id", "")))
    first = {f: i for i, f in enumerate(FIRST_FLAGS)}
    flags = tuple((f, tuple(flagged[f])) for f in sorted(flagged, key=lambda f: (first.get(f, len(first)), f)))
    counts = {k: sum(1 for g in grades if g.get("status") == k) for k in ("graded", "missing", "unreadable")}
    report = ClassReport(week.title or "Backpropagation", len(week.students), counts["graded"], counts["missing"],
                         counts["unreadable"], tuple(percents), tuple(rows), tuple(lines), sections, flags, (), problems)
    return ClassReport(**{**report.__dict__, "summary": summary(report, codes)})


def _phase_right(report: ClassReport, phase: str) -> int | None:
    rows = [r for r in report.quantities if r.phase == phase]
    total = sum(r.shares.total for r in rows)
    return round(100 * sum(r.shares.right for r in rows) / total) if total else None


def summary(report: ClassReport, codes: Mapping[str, Mapping[str, set[str]]]) -> tuple[tuple[str, str], ...]:
    """The paragraph at the top, in plain words, from the numbers: "Most of the class got the forward
    pass right (94%); δ^[1] is where it breaks (41% right): 23 students …". Pieces: ("text", …),
    ("sym", quantity name) and ("code", diagnosis code), for the page to set each its way."""
    out: list[tuple[str, str]] = []
    say = lambda text: out.append(("text", text))  # noqa: E731
    if not report.graded:
        say(f"No one of the {report.students} students has been graded yet"
            + (f" ({report.missing} handed in nothing, {report.unreadable} could not be read)." if report.students else "."))
        return tuple(out)
    say(f"{report.graded} of {report.students} students were graded (mean {report.mean:.0f}%, median "
        f"{report.median:.0f}%)" + (f"; {report.missing} handed in nothing" if report.missing else "")
        + (f", {report.unreadable} could not be read" if report.unreadable else "") + ". ")
    forward = _phase_right(report, "forward")
    if forward is not None:
        lead = ("Most of the class got" if forward >= 75 else "About half of the class got" if forward >= 40
                else "Few got")
        say(f"{lead} the forward pass right ({forward}%)")
    worst = max(report.quantities, key=lambda r: (r.shares.share("wrong"), -report.quantities.index(r)), default=None)
    if worst is None or worst.shares.wrong == 0:
        say("; no step was got wrong by anyone." if forward is not None else "No step was got wrong by anyone.")
        return tuple(out)
    say("; " if forward is not None else "")
    out.append(("sym", worst.name))
    say(f" is where it breaks ({worst.shares.percent('right')}% right)")
    there = sorted(((code, sum(worst.name in qs for qs in who.values())) for code, who in codes.items()),
                   key=lambda cn: (-cn[1], CODE_ORDER.get(cn[0], len(CODE_ORDER))))
    there = [(code, n) for code, n in there if n and code != CARRIED][:3]
    if there:
        say(": ")
        for i, (code, n) in enumerate(there):
            say(("; " if i else "") + f"{n} student{'s' * (n != 1)}: {CODE_SAYS.get(code, code)} (")
            out.append(("code", code))
            say(")")
    say(". ")
    top = next((line for line in report.diagnoses if line.code not in (CARRIED, PRECISION)), None)
    if top is not None:
        say("The most common mistake of the week is ")
        out.append(("code", top.code))
        say(f" ({top.students} student{'s' * (top.students != 1)}, {top.percent}% of those graded).")
    return tuple(out)


def inline_symbol(name: str) -> Markup:
    """A quantity's symbol on one line of text (∂L/∂W<sup>[2]</sup>, not a stacked fraction): the
    report names many of them in a row."""
    text = str(escape(symbol_of(name)))
    return Markup(re.sub(r"\^\[([^\]]*)\]", r'<sup>[\1]</sup>', text))


def page_context(report: ClassReport) -> dict:
    """What ``templates/report.html`` draws: the report, its chart rows, the symbols to print."""
    def rows(series):
        return [{"name": q.name, "phase": q.phase, "bars": series(q)} for q in report.quantities]

    return {
        "r": report,
        "phases": PHASES,
        "shown": SHOWN_FLAGGED,
        "class_rows": rows(lambda q: [{"label": "class", "shares": q.shares}]),
        "section_rows": rows(lambda q: [{"label": sec, "shares": shares} for sec, shares in q.by_section]),
        "symbol": {q.name: inline_symbol(q.name) for q in report.quantities},
    }
