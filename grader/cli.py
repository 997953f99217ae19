"""``bpdrill grade`` and ``bpdrill demo``: the imperative shell around the grading pipeline.

    find files (ingest) → whose (identify) → rows (parse) → verdicts (judge) → points
    → late policy → overrides (a TA's decisions) → reports, feedback, LMS files

Exit 0 when grading completed (per-student problems are in the statuses); 2 when DIR is not a
week's folder, the config is bad, or OUTDIR cannot be written or holds results (without --force).
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Sequence

import typer
from rich.console import Console

from generator.cli import app
from generator.errors import UserError, fail
from generator.record import RecordError, Week, read_week, write_text_atomic

from .exports import write_lms_files
from .feedback import write_feedback
from .identify import same_id
from .ingest import collect, missing_paths, plural
from .judge import ConfigError, GradeConfig, read_config_text
from .late import LateError, LatePolicy, parse_late_policy, parse_time
from .overrides import OVERRIDES_FILE, Override, OverrideError, read_overrides
from .parse import student_id_text
from .pipeline import Gradebook, LateRules, grade as grade_files, with_overrides
from .reports import (DETAILS_FILE, FEEDBACK_DIR, GRADES_FILE, SUMMARY_FILE, changes, class_rows_from_tables, holds_results, move_previous, print_summary,
                      read_table, write_class_report, write_reports)


class FeedbackKind(str, Enum):
    html = "html"
    pdf = "pdf"
    none = "none"


def load_config(path: Path | None) -> GradeConfig:
    if path is None:
        return GradeConfig()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise UserError(f"{path}: cannot read the config ({getattr(e, 'strerror', None) or e})") from None
    try:
        return read_config_text(text, str(path))
    except ConfigError as e:
        raise UserError(str(e)) from None


def late_rules(config: GradeConfig, deadline: str | None, source: str = "config") -> LateRules:
    """--deadline and the config's [late] table (also accepted inside [grade])."""
    try:
        policy = parse_late_policy(config.late, f"{source}: [late]") if config.late is not None else LatePolicy()
        return LateRules(parse_time(deadline) if deadline else None, policy)
    except LateError as e:
        raise UserError(str(e)) from None


def load_overrides(path: Path | None, outdir: Path) -> tuple[tuple[Override, ...], Path | None]:
    """--overrides FILE (must exist), else OUTDIR/overrides.csv when it is there."""
    path = path if path is not None else (outdir / OVERRIDES_FILE if (outdir / OVERRIDES_FILE).is_file() else None)
    if path is None:
        return (), None
    try:
        return read_overrides(path), path
    except OverrideError as e:
        raise UserError(str(e)) from None


def only_ids(week: Week, only: Sequence[str]) -> set[str]:
    """--only values: roster ids (each value may also be a comma-separated list), compared as
    grading compares ids (trimmed, Unicode NFC)."""
    roster = {student_id_text(s.id): s.id for s in week.students}
    ids: set[str] = set()
    for value in only:
        parts = [value] if student_id_text(value) in roster else value.split(",")
        for part in parts:
            if student_id_text(part) in roster:
                ids.add(roster[student_id_text(part)])
                continue
            # as grading reads ids: 5306 for 05306 (leading zeros lost), when it names one student
            near = [s.id for s in week.students if same_id(part, s.id)]
            if len(near) != 1:
                raise UserError(f"--only: {part.strip()!r} is not on the week's roster"
                                + (f" (did you mean {' or '.join(near)}?)" if near else ""))
            ids.add(near[0])
    return ids


def prepare_outdir(outdir: Path, force: bool, partial: bool = False) -> Path | None:
    """Make OUTDIR ready; with --force move earlier results aside (returns where), else refuse them.

    ``partial`` (--only): earlier results are required and copied (not moved) to
    previous-<time>/, so the students not regraded keep their files in place."""
    if outdir.exists() and not outdir.is_dir():
        raise UserError(f"{outdir}: exists and is not a folder")
    previous = None
    if partial and not (outdir / GRADES_FILE).is_file():
        raise UserError(f"{outdir}: --only merges into earlier results, and there is no {GRADES_FILE}; grade everyone first")
    if outdir.is_dir() and holds_results(outdir):
        if not force and not partial:
            raise UserError(f"{outdir}: holds results of an earlier run; use --force to move them to "
                            f"{outdir}/previous-<time>/ and grade again")
    try:
        outdir.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=outdir, prefix=".bpdrill-probe-")
        os.close(fd)
        os.unlink(probe)
        if (force or partial) and holds_results(outdir):
            previous = move_previous(outdir, copy=partial)
    except OSError as e:
        raise UserError(f"{outdir}: cannot write there ({e.strerror or e})") from None
    return previous


@dataclass(frozen=True)
class GradeRun:
    book: Gradebook
    outdir: Path
    previous: Path | None
    changed: tuple[str, ...]


def run_grade(week_dir: Path, submissions: Sequence[Path], outdir: Path, force: bool = False,
              feedback: str = "html", config_path: Path | None = None, console: Console | None = None,
              only: Sequence[str] = (), overrides_path: Path | None = None, deadline: str | None = None,
              assignment: str | None = None) -> GradeRun:
    """The whole grade command; UserError for what stops it (DIR, config, overrides, OUTDIR)."""
    try:
        week: Week = read_week(week_dir)
    except RecordError as e:
        raise UserError(str(e)) from None
    unusable = missing_paths(submissions)
    if unusable:
        raise UserError(unusable[0] + (f" (and {len(unusable) - 1} more)" if len(unusable) > 1 else ""))
    config = load_config(config_path)
    rules = late_rules(config, deadline, str(config_path))
    overrides, overrides_from = load_overrides(overrides_path, outdir)
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
    book, applied = with_overrides(grade_files(week, files, config, only=wanted, late=rules, keep_if_absent=keep),
                                   overrides)
    try:
        rows = write_reports(book, outdir, previous if wanted is not None else None)
        if feedback != "none":
            write_feedback(week, book.results, outdir / FEEDBACK_DIR, feedback)
        exported = write_lms_files(week, rows, outdir, assignment or week.title or "bpdrill", book.moodle_folders,
                                   None if feedback == "none" else f".{feedback}")
        report_notes = write_class_report(week, rows, outdir, week_dir)  # the whole (merged) class
    except OSError as e:
        raise UserError(f"{outdir}: cannot write the results ({e.strerror or e})") from None
    changed = [str(c) for c in changes(old, rows)] if previous is not None else []
    record = Console(record=True, width=110, file=open(os.devnull, "w"))  # noqa: SIM115 - closed below
    shown = [console] if console is not None else []
    extra = []
    if rules.deadline is not None or not rules.policy.is_none:
        when = f"deadline {rules.deadline.isoformat(sep=' ', timespec='minutes')}; " if rules.deadline else ""
        extra.append(f"late work: {when}{rules.policy.describe()}")
    if overrides_from is not None:
        extra.append(f"overrides: {applied.describe()} from {overrides_from}")
        extra += [f"  not applied: {u.message}" for u in applied.unmatched]
    extra += list(exported.notes) + report_notes
    extra += [f"{sid}: no file among the submissions given; earlier result kept" for sid in book.kept]
    if previous is not None:
        extra.append(f"earlier results {'copied' if wanted is not None else 'moved'} to {previous}")
        extra.append(f"grades changed for {plural(len(changed), 'student')}" + (":" if changed else ""))
        extra += [f"  {c}" for c in changed]
    partial = wanted is not None
    whole = class_rows_from_tables(rows, read_table(outdir / DETAILS_FILE)) if partial else None
    print_summary(book, outdir, record, extra, rows=whole)  # summary.txt: the whole (merged) class
    for c in shown:  # on screen, a partial regrade's own students
        print_summary(book, outdir, c, extra, partial=partial)
    write_text_atomic(outdir / SUMMARY_FILE, record.export_text())
    record.file.close()
    return GradeRun(book, outdir, previous, tuple(changed))


@app.command()
def grade(
    week_dir: Path = typer.Argument(..., metavar="DIR", help="The week's folder (made by 'bpdrill generate')."),
    submissions: list[Path] = typer.Argument(..., metavar="SUBMISSION", help="CSV or .xlsx files, folders of them, Canvas or Moodle bulk-download zips (one or more)."),
    out: Path = typer.Option(..., "--out", "-o", help="Where grades.csv, details.csv, feedback/ and summary.txt go."),
    force: bool = typer.Option(False, "--force", help="If OUTDIR holds results, move them to OUTDIR/previous-<time>/ first and list whose grade changed."),
    feedback: FeedbackKind = typer.Option(FeedbackKind.html, "--feedback", help="Per-student feedback: html (default), pdf (weasyprint) or none."),
    config: Path = typer.Option(None, "--config", help="TOML: \\[tolerance] per quantity (relabs/sigfig/decdig), \\[points], \\[late] policy (README: Grade submissions)."),
    only: list[str] = typer.Option(None, "--only", metavar="ID", help="Regrade just these students (repeat, or ID,ID) and merge them into the results in OUTDIR."),
    overrides: Path = typer.Option(None, "--overrides", metavar="FILE", help="A TA's decisions (default: OUTDIR/overrides.csv when it exists)."),
    deadline: str = typer.Option(None, "--deadline", help="e.g. 2026-12-01T23:59 (a bare date: end of that day); later files are late."),
    assignment: str = typer.Option(None, "--assignment", metavar="NAME", help="The Canvas gradebook column for canvas.csv (default: the week's title)."),
) -> None:
    """Grade a week's submissions: gradebook, per-entry details, feedback, LMS files and a summary."""
    try:
        run_grade(week_dir, submissions, out, force, feedback.value, config, Console(), only or (), overrides,
                  deadline, assignment)
    except UserError as e:
        raise fail(str(e))


@app.command()
def demo(
    out: Path = typer.Option(Path("bpdrill-demo"), "--out", "-o", help="Folder for the demo week, submissions and results."),
    force: bool = typer.Option(False, "--force", help="Replace an earlier demo in that folder."),
    pdf: bool = typer.Option(True, "--pdf/--no-pdf", help="Render the sheets and keys (slower; skipped when rendering is not possible)."),
) -> None:
    """The weekly workflow end to end on built-in data: generate, sample submissions, grade."""
    from .demo import run_demo

    try:
        run_demo(out, force, Console(), pdf)
    except UserError as e:
        raise fail(str(e))


__all__ = ["grade", "demo", "run_grade", "GRADES_FILE"]
