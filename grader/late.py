"""Late work: when a submission is late, what the policy takes off, and which submission counts.

All pure: times are passed in (never read from the clock). One rule for every time: a time
without a zone — a deadline or cut-off written without an offset, a time recorded in a zip —
is a wall-clock time in the course's time zone (``--timezone`` / the config's ``[grade]
timezone``, default this machine's zone); a file's modification time is an instant, shown in
that zone; a deadline with an offset (``…+01:00``) is that instant. (``course_time``)

Lateness comes from Canvas's file name (``name_late_<id>_<id>_<orig>``) or from a deadline
against the file's time. The policy comes from the config's ``[late]`` table::

    [late]              # none by default: late work is marked, never penalized
    per_day = 10        # percent off per started day late …
    cap = 50            # … at most this many percent
    cutoff = "2026-12-01T23:59"   # after this, a submission earns nothing

Either part may stand alone.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from datetime import time as clock
from typing import Any, Mapping, Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .identify import lms_name
from .ingest import listing
from generator.errors import LateError

DAY = timedelta(days=1)





@dataclass(frozen=True)
class LatePolicy:
    per_day: float = 0.0  # percent per started day late
    cap: float = 100.0  # percent, the most per_day can take
    cutoff: datetime | None = None  # nothing is earned after it

    @property
    def is_none(self) -> bool:
        return self.per_day == 0 and self.cutoff is None

    def describe(self) -> str:
        parts = []
        if self.per_day:
            parts.append(f"{_pct(self.per_day)}% off per started day late" + (f", at most {_pct(self.cap)}%" if self.cap < 100 else ""))
        if self.cutoff is not None:
            parts.append(f"nothing after {self.cutoff.isoformat(sep=' ', timespec='minutes')}")
        return "; ".join(parts) or "late work is marked, not penalized"


@dataclass(frozen=True)
class Lateness:
    late: bool
    by: timedelta | None = None  # how late, when the time is known
    time: datetime | None = None  # when it was handed in, when known
    reason: str = ""  # why it counts as late ("" when on time)
    early: bool = False  # marked late by Canvas although its known time is before the deadline

    @property
    def counted(self) -> str:
        """How the days late were counted, for the penalty's sentence."""
        if self.by is not None:
            return f"{self.days} started day{'s' if self.days != 1 else ''}"
        return "counted as 1 day" if self.early else "late by an unknown time: counted as 1 day"

    @property
    def days(self) -> int:
        """Started days late: 1 s to 24 h late is 1 day; late by an unknown time counts as 1."""
        if not self.late:
            return 0
        if self.by is None:
            return 1
        return max(1, math.ceil(self.by / DAY))


ON_TIME = Lateness(False)


@dataclass(frozen=True)
class Penalty:
    multiplier: float  # what the points are multiplied by: 1.0 = no penalty, 0.0 = nothing earned
    percent: float  # percent taken off (0–100)
    days: int  # started days late (0 when on time)
    message: str  # for feedback and grades.csv's message ("" when on time)


def _pct(v: float) -> str:
    return f"{v:g}"


# ---- parsing times and the policy ----

def parse_time(text: str, where: str = "--deadline") -> datetime:
    """``2026-12-01T23:59``, ``2026-12-01 23:59``, with seconds or a UTC offset; a bare date
    ``2026-12-01`` means the end of that day (23:59:59)."""
    t = str(text).strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", t):
            return datetime.combine(datetime.fromisoformat(t).date(), clock(23, 59, 59))
        return datetime.fromisoformat(t.replace("Z", "+00:00"))
    except ValueError:
        raise LateError(f"{where}: {text!r} is not a date and time like 2026-12-01T23:59") from None


def parse_late_policy(config: Mapping[str, Any] | None, where: str = "config [late]") -> LatePolicy:
    """The ``[late]`` table of the config (None or {} → no policy)."""
    if not config:
        return LatePolicy()
    if not isinstance(config, Mapping):
        raise LateError(f"{where}: expected a table with per_day, cap or cutoff")
    unknown = sorted(set(config) - {"per_day", "cap", "cutoff"})
    if unknown:
        raise LateError(f"{where}: unknown field {unknown[0]!r} (known: per_day, cap, cutoff)")
    numbers = {}
    for name, default in (("per_day", 0.0), ("cap", 100.0)):
        v = config.get(name, default)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= 100:
            raise LateError(f"{where}: field {name}: {v!r} is not a percentage between 0 and 100")
        numbers[name] = float(v)
    if "cap" in config and not numbers["per_day"]:
        raise LateError(f"{where}: field cap needs per_day")
    cutoff = config.get("cutoff")
    if isinstance(cutoff, datetime):  # TOML datetimes arrive parsed
        parsed = cutoff
    elif cutoff is None:
        parsed = None
    else:
        parsed = parse_time(str(cutoff), f"{where}: field cutoff")
    return LatePolicy(numbers["per_day"], numbers["cap"], parsed)


# ---- lateness ----

def late_from_name(name: str) -> bool | None:
    """True/False for a Canvas bulk-download name (``_late`` marks late), None for any other name."""
    parsed = lms_name(name.rsplit("/", 1)[-1])  # the one parser of LMS names
    return parsed.late if parsed.kind == "canvas" else None


def _aware(t: datetime) -> datetime:
    return t if t.tzinfo is not None else t.astimezone()


def course_time(t: datetime, zone: tzinfo | None = None) -> datetime:
    """``t`` as an instant: a time without a zone is a wall-clock time in ``zone`` (None: this
    machine's zone, daylight saving included); one with a zone stays the instant it is."""
    if t.tzinfo is not None:
        return t
    return t.replace(tzinfo=zone) if zone is not None else t.astimezone()


def course_zone(name: str | None) -> tzinfo | None:
    """The course's time zone by IANA name (``Europe/Berlin``); None (this machine's) for None;
    LateError naming the option for an unknown name."""
    if name is None:
        return None
    try:
        return ZoneInfo(name.strip())
    except (ValueError, ZoneInfoNotFoundError):
        raise LateError(f"--timezone: {name!r} is not a time zone name (e.g. Europe/Berlin, America/New_York, UTC)") from None


def zone_name(zone: tzinfo | None) -> str:
    """``Europe/Berlin``; this machine's zone as ``UTC (this machine's)``."""
    if zone is None:
        return f"{datetime.now().astimezone().tzname()} (this machine's time zone)"
    return str(getattr(zone, "key", zone))


def lateness(name: str = "", time: datetime | None = None, deadline: datetime | None = None) -> Lateness:
    """Late if Canvas's name says so or the file's ``time`` is after ``deadline``.

    With a deadline and a time, ``by`` says how late (also for a Canvas ``_late`` file);
    Canvas's mark counts even when the time is before the deadline (the zip's time is not
    always the submission time): then it counts as 1 day, and the reason says why.
    """
    by = None
    known = deadline is not None and time is not None
    when = deadline.isoformat(sep=" ", timespec="minutes") if deadline is not None else ""
    if known:
        diff = _aware(time) - _aware(deadline)  # type: ignore[arg-type]
        by = diff if diff > timedelta(0) else None
    after = f"handed in {_duration(by)} after the deadline {when}" if by is not None else ""
    if late_from_name(name):
        if known and by is None:
            return Lateness(True, None, time, f"marked late by Canvas although its time "
                            f"{time.isoformat(sep=' ', timespec='minutes')} is before the deadline {when}", early=True)  # type: ignore[union-attr]
        return Lateness(True, by, time, "marked late by Canvas (_late in the file name)" + (f"; {after}" if after else ""))
    if by is not None:
        return Lateness(True, by, time, after)
    return Lateness(False, None, time)


def _duration(d: timedelta) -> str:
    minutes = math.ceil(d.total_seconds() / 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [f"{days} d"] if days else []
    if hours:
        parts.append(f"{hours} h")
    if mins or not parts:
        parts.append(f"{mins} min")
    return " ".join(parts)


def after_cutoff(policy: LatePolicy, late: Lateness) -> bool:
    return policy.cutoff is not None and late.time is not None and _aware(late.time) > _aware(policy.cutoff)


def late_penalty(policy: LatePolicy, late: Lateness) -> Penalty:
    """What the policy takes off ``late``'s points, and the sentence that says so."""
    if not late.late and not after_cutoff(policy, late):
        return Penalty(1.0, 0.0, 0, "")
    days = late.days
    how = late.reason or "late"
    if after_cutoff(policy, late):
        return Penalty(0.0, 100.0, days, f"{how}; after the cut-off {policy.cutoff.isoformat(sep=' ', timespec='minutes')}: no points")  # type: ignore[union-attr]
    if not policy.per_day:
        return Penalty(1.0, 0.0, days, f"{how}; no late penalty")
    percent = min(policy.cap, policy.per_day * days)
    counted = late.counted
    capped = f" (capped at {_pct(policy.cap)}%)" if percent < policy.per_day * days else ""
    return Penalty(1.0 - percent / 100, percent, days, f"{how}; {counted} × {_pct(policy.per_day)}% = {_pct(percent)}% off{capped}")


def late_cell(late: Lateness | None) -> str:
    """grades.csv's ``late`` column: ``yes``, ``no``, or ``""`` when nothing was handed in."""
    if late is None:
        return ""
    return "yes" if late.late else "no"


# ---- which submission counts ----

@dataclass(frozen=True)
class Candidate:
    name: str  # the file (as shown to the instructor)
    lateness: Lateness = ON_TIME
    resubmission: int = 0  # Canvas's -N suffix
    ref: Any = field(default=None, compare=False)  # the caller's own object, handed back


@dataclass(frozen=True)
class Choice:
    chosen: Candidate
    others: tuple[Candidate, ...]  # not graded, latest first
    message: str  # "" when there was only one; says so whenever an on-time one is not the one graded


def _order(c: Candidate) -> tuple:
    t = c.lateness.time
    return (c.resubmission, t is not None, _aware(t).timestamp() if t is not None else 0.0)


def choose_submission(candidates: Sequence[Candidate], policy: LatePolicy = LatePolicy(), keep_on_time: bool = False) -> Choice:
    """The latest submission counts (resubmission number, then time), except:

    - one after the policy's cut-off never replaces an on-time one;
    - with ``keep_on_time`` an on-time one is never replaced by a late one.

    Whenever a late submission is graded although an on-time one exists, or the reverse, the
    message says so.
    """
    if not candidates:
        raise ValueError("choose_submission needs at least one candidate")
    ranked = sorted(candidates, key=_order, reverse=True)  # stable: equal keys keep the input order
    latest = ranked[0]
    on_time = [c for c in ranked if not c.lateness.late]
    chosen, message = latest, ""
    if latest.lateness.late and on_time:
        keep = on_time[0]
        if after_cutoff(policy, latest.lateness):
            chosen = keep
            message = f"{latest.name} came after the cut-off and is not graded; the on-time {keep.name} counts"
        elif keep_on_time:
            chosen = keep
            message = f"the on-time {keep.name} counts; the later, late {latest.name} is not graded (keep_on_time)"
        else:
            rule = "it is marked late" if policy.is_none else "the late policy applies"
            message = f"the late {latest.name} replaces the on-time {keep.name}; {rule}"
    others = tuple(c for c in ranked if c is not chosen)
    if others and not message:
        message = f"the latest of {len(ranked)} submissions counts ({chosen.name}); not graded: {listing([c.name for c in others])}"
    elif others:
        rest = [c.name for c in others if c is not latest and c is not on_time[0]]
        if rest:
            message += f"; also not graded: {listing(rest)}"
    return Choice(chosen, others, message)
