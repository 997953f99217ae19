"""How a results folder was graded: the options of the run recorded in ``OUTDIR/run.json``.

A later run in the same OUTDIR starts from them, so a partial regrade (``--only``) grades its
students exactly as the others were graded — the same config (its content, by hash), deadline,
time zone, assignment column, feedback kind and so late rules — and a full ``--force`` run
reuses them unless it is given new ones, and says which changed. The LMS names the submissions
came with (Moodle participant folders, Canvas file names) are kept too, so the feedback zips are
rewritten for everyone, not only for the students whose files this run saw.

Pure: :func:`settle` compares the options given with the recorded ones; :func:`to_json` and
:func:`from_json` are the record's text. Reading and writing the file are the two small
functions at the end.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Callable, Mapping

from generator.errors import UsageError

RUN_FILE = "run.json"
FORMAT = 1
DEFAULT_FEEDBACK = "html"


class OptionError(UsageError):
    """A partial regrade given an option that contradicts how the results were graded."""


def text_hash(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class RunOptions:
    """The options that decide a grade, as given (None: not given)."""

    config: str | None = None  # the config file's path as given
    config_hash: str | None = None  # sha256 of its content
    config_text: str | None = None  # its content, so a regrade uses what the run used
    deadline: str | None = None
    timezone: str | None = None  # --timezone (the config's own timezone is part of the config)
    assignment: str | None = None
    feedback: str | None = None

    @property
    def feedback_kind(self) -> str:
        return self.feedback or DEFAULT_FEEDBACK


def _instant(deadline: str | None) -> str | None:
    """A deadline as compared: ``2026-01-16T23:59`` and ``2026-01-16 23:59`` are the same."""
    from .late import LateError, parse_time

    try:
        return parse_time(deadline).isoformat() if deadline else None
    except LateError:
        return deadline


# option → (its flag, how two values are compared, how it is shown)
OPTIONS: dict[str, tuple[str, Callable[[RunOptions], Any], Callable[[RunOptions], str]]] = {
    "config": ("--config", lambda o: o.config_hash, lambda o: f"{o.config} ({(o.config_hash or '')[:15]}…)" if o.config else "none"),
    "deadline": ("--deadline", lambda o: _instant(o.deadline), lambda o: o.deadline or "none"),
    "timezone": ("--timezone", lambda o: o.timezone, lambda o: o.timezone or "this machine's"),
    "assignment": ("--assignment", lambda o: o.assignment, lambda o: repr(o.assignment) if o.assignment else "the week's title"),
    "feedback": ("--feedback", lambda o: o.feedback_kind, lambda o: o.feedback_kind),
}
CONFIG_FIELDS = ("config", "config_hash", "config_text")


@dataclass(frozen=True)
class Change:
    option: str  # the flag, e.g. "--deadline"
    before: str
    after: str

    def __str__(self) -> str:
        return f"{self.option}: {self.before} → {self.after}"


def _given(given: RunOptions, name: str) -> bool:
    return getattr(given, name) is not None


def _take(base: RunOptions, source: RunOptions, name: str) -> RunOptions:
    names = CONFIG_FIELDS if name == "config" else (name,)
    return replace(base, **{n: getattr(source, n) for n in names})


def settle(given: RunOptions, recorded: RunOptions | None, partial: bool, zones: tuple[str, str] = ("", "")
           ) -> tuple[RunOptions, tuple[Change, ...]]:
    """The options this run grades with, and what changed since the recorded run.

    No record: what was given. A partial regrade (``partial``): the recorded options; an option
    given that differs from the recorded one is an :class:`OptionError` naming the recorded value
    (grading a few students otherwise than the rest would make the gradebook inconsistent). A full
    run: each option given wins, the others are the recorded ones; the changes are listed.
    ``zones``: (the zone the recorded run read times in, this machine's zone now) — a run that
    relied on the machine's zone is not regraded on a machine in another one without --timezone.
    """
    if recorded is None:
        return given, ()
    then, now = zones
    if partial and not given.timezone and not recorded.timezone and then and now and then != now:
        raise OptionError(f"--timezone: the results were graded with times read in {then}, and this machine's time zone "
                          f"is {now}; give --timezone with the zone of the results")
    settled, changes = recorded, []
    for name, (flag, key, shown) in OPTIONS.items():
        if not _given(given, name) or key(given) == key(recorded):
            continue
        if partial:
            raise OptionError(f"{flag}: the results were graded with {flag} {shown(recorded)}; --only regrades "
                              f"with the same options (leave {flag} out, or grade everyone again with --force)")
        changes.append(Change(flag, shown(recorded), shown(given)))
        settled = _take(settled, given, name)
    return settled, tuple(changes)


def config_drift(options: RunOptions, text_now: str | None) -> str:
    """A note when the recorded config file reads otherwise now (the run used the recorded content)."""
    if options.config is None or text_now is None or text_hash(text_now) == options.config_hash:
        return ""
    return (f"{options.config} has changed since the earlier run; this run used its content as recorded "
            f"({RUN_FILE}) — give --config {options.config} to grade with the new one")


def given_options(config: Path | None, config_text: str | None, deadline: str | None, timezone: str | None,
                  assignment: str | None, feedback: str | None) -> RunOptions:
    """The options as the command was given them (the config by its path and content)."""
    return RunOptions(str(config.resolve()) if config is not None else None,
                      text_hash(config_text) if config_text is not None else None, config_text,
                      deadline.strip() if deadline else None, timezone.strip() if timezone else None,
                      assignment.strip() if assignment else None, feedback)


def recorded_options(options: RunOptions) -> str:
    """The options as a summary line shows them: ``--config course.toml (sha256:…); --deadline …``."""
    return "; ".join(f"{flag} {shown(options)}" for flag, _, shown in OPTIONS.values())


@dataclass(frozen=True)
class RunRecord:
    options: RunOptions
    seen: Mapping[str, str] = field(default_factory=dict)  # what the run resolved, for people: deadline, zone, late rules, column
    moodle_folders: Mapping[str, str] = field(default_factory=dict)  # student id → Moodle participant folder seen
    canvas_names: Mapping[str, str] = field(default_factory=dict)  # student id → Canvas name of their upload


def to_json(record: RunRecord) -> str:
    data = {"format": FORMAT, "options": asdict(record.options), "seen": dict(record.seen),
            "moodle_folders": dict(sorted(record.moodle_folders.items())),
            "canvas_names": dict(sorted(record.canvas_names.items()))}
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


def from_json(text: str) -> RunRecord | None:
    """The record in ``text``; None when it is not one this bpdrill reads."""
    try:
        data = json.loads(text)
        known = {f.name for f in fields(RunOptions)}
        options = RunOptions(**{k: v for k, v in data["options"].items() if k in known})
        return RunRecord(options, dict(data.get("seen", {})), dict(data.get("moodle_folders", {})),
                         dict(data.get("canvas_names", {})))
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def merged(earlier: Mapping[str, str], now: Mapping[str, str]) -> dict[str, str]:
    """LMS names: this run's where it saw them, the recorded ones for everyone else."""
    return {**earlier, **now}


def read_run(outdir: Path) -> RunRecord | None:
    try:
        return from_json((outdir / RUN_FILE).read_text(encoding="utf-8"))
    except OSError:
        return None


def write_run(outdir: Path, record: RunRecord) -> None:
    from generator.record import write_text_atomic

    write_text_atomic(outdir / RUN_FILE, to_json(record))
