"""``bpdrill grade`` and ``bpdrill demo`` as library functions.

    from grader import grade_week
    run = grade_week("week48", ["canvas-submissions.zip"], "results48", deadline="2026-12-01T23:59")
    run.book.result("00123").percent

:func:`grade_week` finds the files (``ingest``), grades every roster student (``pipeline``),
applies the late policy and a TA's overrides, and writes the gradebook, the details, the
feedback pages, the LMS files and ``summary.txt`` into OUTDIR. It prints nothing: it returns
what it wrote (:class:`GradeRun`, with the summary as text). Bad input that stops the whole run
(DIR, a SUBMISSION path, the config, the overrides, the deadline, ``--only``, OUTDIR) raises a
:class:`~generator.errors.BpdrillError` before anything is written; a student's bad file is
that student's status, never a stop.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from generator.config import parse_config, read_config
from generator.errors import ConfigError, RosterError, UsageError, read_text
from generator.progress import Progress
from generator.record import Week, read_week, write_text_atomic
from generator.roster import IdIndex
from generator.workflow import generate_week

from .exports import write_lms_files
from .feedback import write_feedback
from .ingest import collect, missing_paths, plural
from .judge import grade_config
from .overrides import OVERRIDES_FILE, Override, read_overrides
from .pipeline import grade, late_rules, with_overrides
from .reports import (FEEDBACK_DIR, GRADES_FILE, SUMMARY_FILE, changes, class_rows_from_tables,
                      holds_results, move_previous, read_table, summary_text, write_class_report, write_reports)
from .results import Gradebook
from .runoptions import (RUN_FILE, Change, RunRecord, config_drift, given_options, merged, read_run, recorded_options,
                         settle, write_run)
from .samples import MARKER, ROSTER_CSV, SEED, TITLE, write_submissions

FEEDBACK_KINDS = ("html", "pdf", "none")


def load_overrides(path: Path | None, outdir: Path) -> tuple[tuple[Override, ...], Path | None]:
    """--overrides FILE (must exist), else OUTDIR/overrides.csv when it is there."""
    path = path if path is not None else (outdir / OVERRIDES_FILE if (outdir / OVERRIDES_FILE).is_file() else None)
    if path is None:
        return (), None
    return read_overrides(path), path


def only_ids(week: Week, only: Sequence[str]) -> set[str]:
    """--only values: roster ids (each value may also be a comma-separated list), read as every
    command reads an id (``generator.roster.IdIndex``: an e-mail without case, leading zeros lost)."""
    index = IdIndex([s.id for s in week.students])
    ids: set[str] = set()
    try:
        for value in only:
            parts = [value] if index.match(value)[0] else value.split(",")
            ids |= {index.find(part, "--only") for part in parts}
    except RosterError as e:
        raise UsageError(str(e)) from None
    return ids


def prepare_outdir(outdir: Path, force: bool, partial: bool = False) -> Path | None:
    """Make OUTDIR ready; with --force move earlier results aside (returns where), else refuse them.

    ``partial`` (--only): earlier results are required and copied (not moved) to
    previous-<time>/, so the students not regraded keep their files in place."""
    if outdir.exists() and not outdir.is_dir():
        raise UsageError(f"{outdir}: exists and is not a folder")
    previous = None
    if partial and not (outdir / GRADES_FILE).is_file():
        raise UsageError(f"{outdir}: --only merges into earlier results, and there is no {GRADES_FILE}; grade everyone first")
    if outdir.is_dir() and holds_results(outdir):
        if not force and not partial:
            raise UsageError(f"{outdir}: holds results of an earlier run; use --force to move them to "
                             f"{outdir}/previous-<time>/ and grade again")
    try:
        outdir.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=outdir, prefix=".bpdrill-probe-")
        os.close(fd)
        os.unlink(probe)
        if (force or partial) and holds_results(outdir):
            previous = move_previous(outdir, copy=partial)
    except OSError as e:
        raise UsageError(f"{outdir}: cannot write there ({e.strerror or e})") from None
    return previous


def machine_zone() -> str:
    """This machine's time zone, as a run records it (TZ, else the zone's names)."""
    return os.environ.get("TZ") or "/".join(time.tzname)


def option_lines(recorded: RunRecord | None, changes: Sequence[Change], partial: bool) -> list[str]:
    """What the summary says about the options: reused from the recorded run, and what changed."""
    if recorded is None:
        return ["no record of how these results were graded (run.json): graded with the options given"] if partial else []
    lines = [f"options of the earlier run in OUTDIR reused ({RUN_FILE}): {recorded_options(recorded.options)}"]
    if changes:
        lines.append(f"options changed since the earlier run: {'; '.join(map(str, changes))}")
    elif not partial:
        lines.append("no option changed since the earlier run")
    return lines


@dataclass(frozen=True)
class GradeRun:
    """What a ``grade`` run wrote: the gradebook, where, what was moved aside and whose grade changed."""

    book: Gradebook
    outdir: Path
    previous: Path | None
    changed: tuple[str, ...]
    summary: str  # summary.txt: the whole (merged) class
    screen: str  # what the command prints: the summary of the students graded in this run

    @property
    def partial(self) -> bool:
        return self.screen != self.summary


def grade_week(
    week_dir: str | Path,
    submissions: Sequence[str | Path],
    out: str | Path,
    *,
    config: str | Path | None = None,
    force: bool = False,
    only: Sequence[str] = (),
    overrides: str | Path | None = None,
    deadline: str | None = None,
    timezone: str | None = None,
    assignment: str | None = None,
    feedback: str | None = None,
    progress: Progress | None = None,
) -> GradeRun:
    """Grade a week's submissions (files, folders, Canvas or Moodle zips) into ``out``: everything
    ``bpdrill grade`` does. ``only``: regrade just these students and merge them into the earlier
    results in ``out``. ``progress(what, done, total)`` hears of long work.

    The options that decide a grade (config, deadline, time zone, assignment, feedback kind; None:
    not given) are recorded in ``out`` (``runoptions``): with ``only`` the recorded ones are used and
    a differing one is refused; a full run in ``out`` reuses those not given, and says what changed."""
    week_dir, outdir = Path(week_dir), Path(out)
    submissions = [Path(p) for p in submissions]
    if feedback is not None and feedback not in FEEDBACK_KINDS:
        raise UsageError(f"--feedback: expected {', '.join(FEEDBACK_KINDS)}, got {feedback!r}")
    week: Week = read_week(week_dir)
    unusable = missing_paths(submissions)
    if unusable:
        raise UsageError(unusable[0] + (f" (and {len(unusable) - 1} more)" if len(unusable) > 1 else ""))
    text = read_text(Path(config), ConfigError) if config is not None else None
    given = given_options(Path(config) if config is not None else None, text, deadline, timezone, assignment, feedback)
    recorded = read_run(outdir) if outdir.is_dir() and holds_results(outdir) else None
    options, option_changes = settle(given, recorded.options if recorded else None, partial=bool(only),
                                     zones=(recorded.seen.get("machine_zone", "") if recorded else "", machine_zone()))
    course = (parse_config(options.config_text or "", options.config, Path(options.config).parent)
              if options.config is not None else read_config(None))
    gconfig = grade_config(course)
    rules = late_rules(gconfig, options.deadline, options.timezone, course.source)
    feedback, assignment = options.feedback_kind, options.assignment
    rows_of_overrides, overrides_from = load_overrides(Path(overrides) if overrides is not None else None, outdir)
    wanted = only_ids(week, only) if only else None
    previous = prepare_outdir(outdir, force, partial=wanted is not None)
    old = read_table(previous / GRADES_FILE) if previous is not None else []
    keep: set[str] = set()
    if wanted is not None:  # students without earlier results (e.g. added since) are graded too
        have = {row.get("student_id") for row in old}
        new = {s.id for s in week.students if s.id not in have and f"'{s.id}" not in have}
        keep = wanted - new  # without a file now, their earlier result stays
        wanted |= new
    files = collect(submissions, skip=outdir)
    book, applied = with_overrides(grade(week, files, gconfig, only=wanted, late=rules, keep_if_absent=keep),
                                   rows_of_overrides)
    earlier = recorded if wanted is not None and recorded is not None else RunRecord(options)  # --only: everyone's LMS names
    folders, canvas = merged(earlier.moodle_folders, book.moodle_folders), merged(earlier.canvas_names, book.canvas_names)
    try:
        rows, details = write_reports(book, outdir, previous if wanted is not None else None)
        if feedback != "none":
            write_feedback(week, book.results, outdir / FEEDBACK_DIR, feedback)
        exported = write_lms_files(week, rows, outdir, assignment or week.title or "bpdrill", folders,
                                   None if feedback == "none" else f".{feedback}", gconfig.lms_missing, canvas)
        report_notes = write_class_report(week, rows, details, outdir, week_dir)  # the whole (merged) class
        write_run(outdir, RunRecord(options, {"deadline": rules.describe(), "machine_zone": machine_zone(),
                                              "canvas_column": exported.column}, folders, canvas))
    except OSError as e:
        raise UsageError(f"{outdir}: cannot write the results ({e.strerror or e})") from None
    changed = [str(c) for c in changes(old, rows)] if previous is not None else []
    extra = option_lines(recorded, option_changes, partial=wanted is not None)
    if config is None and options.config is not None and Path(options.config).is_file():
        extra += [n for n in [config_drift(options, read_text(Path(options.config), ConfigError))] if n]
    if rules.deadline is not None or not rules.policy.is_none:
        extra.append(f"late work: {rules.describe()}")
    if overrides_from is not None:
        extra.append(f"overrides: {applied.describe()} from {overrides_from}")
        extra += [f"  not applied: {u.message}" for u in applied.unmatched]
    extra += list(exported.notes) + [f"warning: {w}" for w in exported.warnings] + report_notes
    extra += [f"{sid}: no file among the submissions given; earlier result kept" for sid in book.kept]
    if previous is not None:
        extra.append(f"earlier results {'copied' if wanted is not None else 'moved'} to {previous}")
        extra.append(f"grades changed for {plural(len(changed), 'student')}" + (":" if changed else ""))
        extra += [f"  {c}" for c in changed]
    partial = wanted is not None
    whole = class_rows_from_tables(rows, details) if partial else None
    summary = summary_text(book, outdir, extra, rows=whole, lms_written=exported.written)  # summary.txt: the whole class
    screen = summary_text(book, outdir, extra, partial=True, lms_written=exported.written) if partial else summary
    write_text_atomic(outdir / SUMMARY_FILE, summary)
    return GradeRun(book, outdir, previous, tuple(changed), summary, screen)


# ---- the demo ----

@dataclass(frozen=True)
class DemoRun:
    """What ``bpdrill demo`` made: the week, what each student handed in, the grading."""

    out: Path
    week: Week
    kinds: dict[str, str]  # student id → what they handed in
    graded: GradeRun
    notes: tuple[str, ...] = ()

    def where(self) -> list[tuple[str, Path]]:
        """Where everything is, for the user (only what exists)."""
        week_dir, results = self.out / "week", self.graded.outdir
        places = [
            ("roster", self.out / "roster.csv"),
            ("week record", week_dir / "week.json"),
            ("answer templates", week_dir / "answers"),
            ("problem sheets (PDF)", week_dir / "sheets.pdf"),
            ("a sheet as a form", week_dir / "sheets" / f"{self.week.students[-1].file}.html"),
            ("answer keys (PDF)", week_dir / "keys.pdf"),
            ("submissions", self.out / "submissions"),
            ("gradebook", results / "grades.csv"),
            ("every entry judged", results / "details.csv"),
            ("feedback per student", results / "feedback"),
            ("summary", results / "summary.txt"),
            ("class report", results / "report.html"),
            ("Canvas grades import", results / "canvas.csv"),
            ("Moodle grades import", results / "moodle.csv"),
            ("Canvas feedback files", results / "canvas-feedback.zip"),
            ("Moodle feedback files", results / "moodle-feedback.zip"),
        ]
        return [(label, path) for label, path in places if path.exists()]


def demo_week(out: str | Path, *, force: bool = False, pdf: bool = True, progress: Progress | None = None) -> DemoRun:
    """One week end to end on built-in data (what ``make demo`` runs): a roster of seven, a generated
    week (with PDFs when rendering works), submissions of the kinds instructors really get
    (``samples``), then grading."""
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        if not force:
            raise UsageError(f"{out}: not empty; use --force to replace the earlier demo")
        if not (out / MARKER).exists() and not (out / "week" / "week.json").exists():
            raise UsageError(f"{out}: not empty and not an earlier demo; choose another --out")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out / MARKER, "made by bpdrill demo\n")
    roster = out / "roster.csv"
    roster.write_text(ROSTER_CSV, encoding="utf-8")
    notes: list[str] = []
    options = dict(roster=roster, seed=SEED, title=TITLE, force=True, jobs=2, progress=progress)
    week = None
    if pdf:
        try:
            week = generate_week(out / "week", pdf=True, **options).week
        except Exception as e:  # noqa: BLE001 - e.g. missing system fonts: the week still works without PDFs
            notes.append(f"PDFs skipped ({type(e).__name__}: {e})")
    if week is None:
        week = generate_week(out / "week", pdf=False, **options).week
    kinds = write_submissions(week, out / "submissions")
    graded = grade_week(out / "week", [out / "submissions"], out / "results", force=True, progress=progress)
    return DemoRun(out, week, kinds, graded, tuple(notes))
