"""What grading produces: plain frozen data, read by every stage after judging and by the exports.

- :class:`StudentResult`: one roster student's grade, entries, diagnoses, flags, files, messages;
- :class:`Gradebook`: the week's results, every file's outcome, the config, what the instructor
  should look at (id conflicts, :class:`OtherWork` from the integrity check);
- :class:`LateRules`: how lateness is judged (a deadline and the late policy).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Mapping

from generator.record import Student, Week

from .diagnose import Diagnosis
from .judge import EntryResult, GradeConfig
from .late import LatePolicy, Lateness, Penalty, zone_name

GRADED, MISSING, UNREADABLE = "graded", "missing", "unreadable"
NO_SUBMISSION = "no submission"  # a missing student's message (the feedback page's heading says it already)


@dataclass(frozen=True)
class LateRules:
    """How lateness is judged: a deadline (else only Canvas's ``_late``) and the policy."""

    deadline: datetime | None = None  # an instant (``late.course_time``)
    policy: LatePolicy = LatePolicy()
    zone: tzinfo | None = None  # the course's time zone, in which zip times are read (None: this machine's)

    def describe(self) -> str:
        """For the run's summary: the deadline in the course's time zone, which zone, the policy."""
        when = ""
        if self.deadline is not None:
            local = self.deadline.astimezone(self.zone) if self.zone is not None else self.deadline.astimezone()
            when = f"deadline {local.isoformat(sep=' ', timespec='minutes')} ({zone_name(self.zone)}; zip times read in it); "
        return when + self.policy.describe()


OTHER_VARIANT, OTHER_WEEK = "other-variant", "other-week"  # the flags


@dataclass(frozen=True)
class OtherWork:
    """A low-scoring submission whose numbers fit another student's key better than the student's
    own (``other`` names whose), or fit no key of the week nor the student's own givens
    (``other`` is None: another week's sheet?). For the instructor's summary."""

    student_id: str
    file: str  # the file that counted
    asked: int  # entries asked
    right: int  # entries right (the student's own key)
    other: str | None = None  # the student whose key the numbers fit; None: nobody's
    fits: int = 0  # of the entries where the two keys differ: how many fit the other key
    apart: int = 0  # entries where the two keys differ

    @property
    def flag(self) -> str:
        return OTHER_VARIANT if self.other is not None else OTHER_WEEK


@dataclass(frozen=True)
class FileOutcome:
    source: str
    student_id: str  # "" when no one on the roster
    outcome: str  # graded | older | unreadable | not understood | not used
    reason: str = ""


@dataclass(frozen=True)
class IdConflict:
    """A file whose student_id column and name disagree: for the instructor's summary, since the
    grade goes by the column and the student the name meant may show as missing."""

    file: str  # the file (its source)
    column: str  # the id in its student_id column, as written ("" when its rows name several)
    name_says: str | None  # the roster student its name names (None: none)
    graded_as: str  # whose file it was taken for
    counted: bool  # it is the file graded for ``graded_as`` (else an older or unreadable one)
    uploaded_by: str | None = None  # the roster student the LMS says handed it in, when that is what its name says


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
    kept: tuple[str, ...] = ()  # --only students with no file among the submissions: earlier results kept
    conflicts: tuple[IdConflict, ...] = ()  # every file of a graded student whose column and name disagree
    other_work: tuple[OtherWork, ...] = ()  # graded files that fit another student's key, or no key of the week
    canvas_names: Mapping[str, str] = field(default_factory=dict)  # student id → Canvas name of their latest own upload

    @property
    def not_understood(self) -> tuple[FileOutcome, ...]:
        return tuple(f for f in self.files if f.outcome in ("not understood", "unreadable", "not used"))

    def result(self, student_id: str) -> StudentResult:
        return next(r for r in self.results if r.student.id == student_id)
