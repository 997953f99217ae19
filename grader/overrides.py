"""A TA's decisions that survive every regrade: ``overrides.csv``.

One row per decision::

    student_id,problem,quantity,row,col,credit,points,reason
    00123,1,delta2,2,1,1,,rounding of a1 accepted
    00123,1,dL_dW1,,,0.5,,transposed but otherwise right
    s042,,,,,,-1,handed in on paper after being reminded twice

- ``credit`` (0–1) sets the credit of the entries the row names. Blank key fields match every
  entry, so ``problem=1, quantity=dL_dW1`` with row and col blank sets all entries of that
  matrix; a credit row names at least a problem or a quantity.
- ``points`` (any sign) is added to the student's total; only on a student-only row (problem,
  quantity, row, col all blank).
- ``total`` (≥ 0) sets the student's total; only on a student-only row. Each row gives exactly
  one of ``credit``, ``points`` and ``total``.
- A total is never below 0, and never above the maximum unless ``[points] above_max = true``
  (the cap is said in the student's feedback and in the run's summary).
- ``reason`` is shown in the student's feedback and in ``details.csv``.

Rows are applied in file order (for the same entry the last row wins). Parsing is pure (text
in, :class:`Override` rows out, :class:`OverrideError` naming file, line and field);
:func:`apply_overrides` is pure over plain mappings. A row whose student or entry is unknown
is reported in :attr:`OverrideResult.unmatched`, never fatal.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path
from types import MappingProxyType
from typing import Iterable, Mapping, Sequence

from generator.steps import parse_name

from .ingest import plural
from generator.errors import OverrideError

OVERRIDES_FILE = "overrides.csv"
KEY_FIELDS = ("problem", "quantity", "row", "col")
COLUMNS = ("student_id", *KEY_FIELDS, "credit", "points", "total", "reason")
SETTERS = ("credit", "points", "total")  # a row gives exactly one

# (student_id, problem, quantity, row, col) — problem, row and col 1-based
EntryKey = tuple[str, int, str, int, int]



@dataclass(frozen=True)
class Override:
    student_id: str
    problem: int | None
    quantity: str | None
    row: int | None
    col: int | None
    credit: float | None  # sets the entries' credit (0–1) …
    points: float | None  # … or is added to the student's total (student-only rows)
    reason: str
    line: int = 0  # line in the file, for messages
    source: str = OVERRIDES_FILE
    total: float | None = None  # … or sets the student's total (student-only rows)

    @property
    def where(self) -> str:
        return f"{self.source}:{self.line}"

    @property
    def is_student_only(self) -> bool:
        return all(getattr(self, f) is None for f in KEY_FIELDS)

    def matches(self, key: EntryKey) -> bool:
        sid, problem, quantity, row, col = key
        return sid == self.student_id and all(
            want is None or want == got
            for want, got in zip((self.problem, self.quantity, self.row, self.col), (problem, quantity, row, col))
        )

    @property
    def target(self) -> str:
        """What the row names, in words: ``problem 1 delta2[2,1]``, ``the total``."""
        if self.is_student_only:
            return "the total"
        parts = []
        if self.problem is not None:
            parts.append(f"problem {self.problem}")
        if self.quantity is not None:
            parts.append(self.quantity)
        return " ".join(parts) + self.cells

    @property
    def cells(self) -> str:
        """``[2,*]`` for a row naming row 2 of every column; ``""`` for a row naming no cell."""
        if self.row is None and self.col is None:
            return ""
        return f"[{'*' if self.row is None else self.row},{'*' if self.col is None else self.col}]"


@dataclass(frozen=True)
class Applied:
    """One override as it changed one entry (``key`` set) or one total (``key`` None)."""

    override: Override
    student_id: str
    key: EntryKey | None
    before: float
    after: float

    @property
    def reason(self) -> str:
        return self.override.reason or "adjusted by the instructor"

    @property
    def changed(self) -> bool:
        return self.before != self.after

    @property
    def message(self) -> str:
        """For the student's feedback: ``delta2[2,1] (problem 1): credit 0 → 1 — rounding accepted``."""
        if self.key is None and self.override.total is not None:
            return f"total set to {_num(self.after)} (was {_num(self.before)}) — {self.reason}"
        if self.key is None:
            delta = self.after - self.before
            return f"points {_num(delta, sign=True)} on the total ({_num(self.before)} → {_num(self.after)}) — {self.reason}"
        _, problem, quantity, row, col = self.key
        return f"{quantity}[{row},{col}] (problem {problem}): credit {_num(self.before)} → {_num(self.after)} — {self.reason}"


def row_message(ov: Override, done: Sequence[Applied]) -> str:
    """One override row as the student reads it, whatever the number of entries it matched:
    ``delta2[2,1] (problem 1): credit 0 → 1 — …`` for one entry, ``dL_dX2 (problem 1): credit
    set to 1 — …`` or ``problem 1: credit set to 0 — …`` for several."""
    if len(done) == 1 and (done[0].key is None or done[0].changed):
        return done[0].message
    if ov.quantity is None:
        what = f"problem {ov.problem}"
    else:
        what = ov.quantity + ov.cells + (f" (problem {ov.problem})" if ov.problem is not None else "")
    return f"{what}: credit set to {_num(float(ov.credit or 0))} — {done[0].reason}"


@dataclass(frozen=True)
class Unmatched:
    override: Override
    message: str  # names file and line: "overrides.csv:4: student 's9' is not on the roster"


@dataclass(frozen=True, eq=False)
class OverrideResult:
    credits: Mapping[EntryKey, float]  # every entry given, overrides applied
    totals: Mapping[str, float]  # every student given, overrides applied (never below 0)
    applied: tuple[Applied, ...]
    unmatched: tuple[Unmatched, ...]
    capped: Mapping[str, tuple[float, float]] = dataclass_field(default_factory=dict)  # student → (total before the cap, the maximum)

    def for_student(self, student_id: str) -> tuple[Applied, ...]:
        return tuple(a for a in self.applied if a.student_id == student_id)

    def messages(self, student_id: str) -> tuple[str, ...]:
        """For the student's feedback: one line per override row applied to them (not one per entry
        it matched): ``dL_dX2 (problem 1): credit set to 1 — reason``."""
        by_row: dict[Override, list[Applied]] = {}
        for a in self.for_student(student_id):
            by_row.setdefault(a.override, []).append(a)
        said = tuple(row_message(ov, done) for ov, done in by_row.items())
        if student_id in self.capped:
            wanted, most = self.capped[student_id]
            said += (f"the total is capped at the maximum, {_num(most)} points (the adjustments above would make it {_num(wanted)})",)
        return said

    def describe(self) -> str:
        """For the run's summary: ``3 rows applied (5 entries and 1 total changed)`` — entries an
        override left as they were are not counted as changes."""
        rows = len(dict.fromkeys(a.override for a in self.applied))
        changed = [a for a in self.applied if a.changed]
        entries = sum(a.key is not None for a in changed)
        said = [plural(entries, "entry", "entries")] if entries else []
        said += [plural(len(changed) - entries, "total")] if len(changed) > entries else []
        capped = (f"; {plural(len(self.capped), 'total')} capped at the maximum ({', '.join(self.capped)}; "
                  f"[points] above_max = true allows more)") if self.capped else ""
        return f"{plural(rows, 'row')} applied ({' and '.join(said) or 'nothing'} changed){capped}"

    def reasons(self) -> Mapping[EntryKey, str]:
        """Entry → reason of the override that set it (the last one), for details.csv's ``override`` column."""
        return MappingProxyType({a.key: a.reason for a in self.applied if a.key is not None})


def _num(v: float, sign: bool = False) -> str:
    text = f"{v:.4f}".rstrip("0").rstrip(".")
    text = "0" if text in ("-0", "") else text
    return f"+{text}" if sign and not text.startswith("-") else text


# ---- parsing: text in, rows out ----

def _number(text: str) -> float:
    t = text.strip().replace("\u2212", "-").replace(" ", "")
    if "," in t and "." not in t:
        t = t.replace(",", ".")  # decimal comma from a European spreadsheet
    v = float(t)
    if not math.isfinite(v):
        raise ValueError(text)
    return v


def _positive_int(text: str) -> int:
    v = _number(text)
    if v != int(v) or v < 1:
        raise ValueError(text)
    return int(v)


def _delimiter(header: str) -> str:
    """The header line's delimiter (comma, semicolon or tab). Only the delimiter is guessed: the
    quoting is standard CSV (a quote inside a quoted field is doubled), which one line cannot show."""
    try:
        return csv.Sniffer().sniff(header or ",", delimiters=",;\t").delimiter
    except csv.Error:
        return ","


def parse_overrides(text: str, source: str = OVERRIDES_FILE) -> tuple[Override, ...]:
    """The rows of an overrides file; :class:`OverrideError` on the first row that cannot be used.

    Header names are matched case-insensitively; extra columns (a ``name`` for the TA's eyes)
    are ignored; comma, semicolon or tab; blank lines and lines starting with ``#`` are skipped.
    """
    text = text.lstrip("\ufeff")
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if not lines:
        return ()
    reader = csv.reader(io.StringIO("\n".join(lines)), delimiter=_delimiter(lines[0]))
    header = [h.strip().lower() for h in next(reader)]
    if "student_id" not in header:
        raise OverrideError(f"{source}: the header has no student_id column (columns: {', '.join(COLUMNS)})")
    if not any(name in header for name in SETTERS):
        raise OverrideError(f"{source}: the header has none of the columns credit, points, total")
    col = {name: header.index(name) for name in COLUMNS if name in header}
    # line numbers count the skipped lines too, so they match what an editor shows
    real_lines = [n for n, ln in enumerate(text.splitlines(), start=1) if ln.strip() and not ln.lstrip().startswith("#")]
    out = []
    for cells, line in zip(reader, real_lines[1:]):
        get = lambda f: cells[col[f]].strip() if f in col and col[f] < len(cells) else ""  # noqa: E731
        out.append(_parse_row(get, f"{source}:{line}", line, source))
    return tuple(out)


def _parse_row(get, where: str, line: int, source: str) -> Override:
    sid = get("student_id")
    if not sid:
        raise OverrideError(f"{where}: field student_id is empty")
    values: dict[str, object] = {}
    for field, conv, what in (
        ("problem", _positive_int, "a problem number (1, 2, …)"),
        ("row", _positive_int, "a row number (1, 2, …)"),
        ("col", _positive_int, "a column number (1, 2, …)"),
        ("credit", _number, "a number between 0 and 1"),
        ("points", _number, "a number of points"),
        ("total", _number, "a number of points ≥ 0"),
    ):
        raw = get(field)
        try:
            values[field] = conv(raw) if raw else None
        except ValueError:
            raise OverrideError(f"{where}: field {field}: {raw!r} is not {what}") from None
    quantity = get("quantity") or None
    if quantity is not None:
        try:
            parse_name(quantity)
        except ValueError:
            raise OverrideError(f"{where}: field quantity: {quantity!r} is not a quantity name (net1, a1, delta2, W1_new, …)") from None
    credit, points, total = values["credit"], values["points"], values["total"]
    if sum(v is not None for v in (credit, points, total)) != 1:
        raise OverrideError(f"{where}: give exactly one of credit (0–1, for entries), points (added to the total) "
                            f"and total (sets it)")
    ov = Override(sid, values["problem"], quantity, values["row"], values["col"], credit, points,  # type: ignore[arg-type]
                  get("reason"), line, source, total)  # type: ignore[arg-type]
    if credit is not None:
        if not 0 <= credit <= 1:
            raise OverrideError(f"{where}: field credit: {credit:g} is not between 0 and 1")
        if ov.problem is None and ov.quantity is None:
            raise OverrideError(f"{where}: a credit row names at least a problem or a quantity (for the total use points)")
    elif not ov.is_student_only:
        field = "points" if points is not None else "total"
        raise OverrideError(f"{where}: field {field}: {field} go on a student-only row (problem, quantity, row, col blank); for an entry use credit")
    elif total is not None and total < 0:
        raise OverrideError(f"{where}: field total: {total:g} is below 0")
    return ov


def read_overrides(path: Path) -> tuple[Override, ...]:
    """The edge: read and parse a file (UTF-8 with or without BOM, UTF-16, else cp1252)."""
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise OverrideError(f"{path}: cannot read: {e.strerror or e}") from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="replace")
    return parse_overrides(text, str(path))


# ---- applying: pure over plain mappings ----

def apply_overrides(
    overrides: Iterable[Override],
    credits: Mapping[EntryKey, float],
    totals: Mapping[str, float],
    weights: Mapping[EntryKey, float],
    maxima: Mapping[str, float] | None = None,
    above_max: bool = False,
) -> OverrideResult:
    """Apply the rows in order.

    ``credits``: every judged entry of every graded student → credit (0–1);
    ``totals``: every roster student → points before overrides (its keys are the roster);
    ``weights``: entry → the points it is worth, so a changed credit moves the total by
    ``(new − old) × weight``. The final totals never go below 0 (a −1 on a 0 stays 0), and
    never above the student's maximum (``maxima``) unless ``above_max``; the capped ones are in
    ``OverrideResult.capped``.
    """
    new_credits = dict(credits)
    new_totals = dict(totals)
    applied: list[Applied] = []
    unmatched: list[Unmatched] = []
    by_student: dict[str, list[EntryKey]] = {}
    for key in credits:
        by_student.setdefault(key[0], []).append(key)
    for ov in overrides:
        if ov.student_id not in new_totals:
            unmatched.append(Unmatched(ov, f"{ov.where}: student {ov.student_id!r} is not on the roster; row ignored"))
            continue
        if ov.points is not None or ov.total is not None:
            before = new_totals[ov.student_id]
            new_totals[ov.student_id] = before + ov.points if ov.points is not None else float(ov.total)  # type: ignore[arg-type]
            applied.append(Applied(ov, ov.student_id, None, before, new_totals[ov.student_id]))
            continue
        keys = [k for k in by_student.get(ov.student_id, ()) if ov.matches(k)]
        if not keys:
            unmatched.append(Unmatched(ov, f"{ov.where}: student {ov.student_id!r} has no graded entry {ov.target}; row ignored"))
            continue
        for key in keys:
            before = new_credits[key]
            new_credits[key] = float(ov.credit)  # type: ignore[arg-type]
            new_totals[ov.student_id] += (new_credits[key] - before) * weights.get(key, 0.0)
            applied.append(Applied(ov, ov.student_id, key, before, new_credits[key]))
    floored = {sid: max(0.0, t) for sid, t in new_totals.items()}
    touched = {a.student_id for a in applied}
    capped = {sid: (t, maxima[sid]) for sid, t in floored.items()
              if not above_max and maxima and sid in touched and sid in maxima and t > maxima[sid] + 1e-9}
    floored.update({sid: most for sid, (_, most) in capped.items()})
    return OverrideResult(MappingProxyType(new_credits), MappingProxyType(floored), tuple(applied), tuple(unmatched),
                          MappingProxyType(capped))


def override_template(rows: Sequence[Sequence[object]] = ()) -> str:
    """A header (and optional rows) for a fresh overrides.csv, e.g. written next to the results."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    w.writerows(rows)
    return buf.getvalue()
