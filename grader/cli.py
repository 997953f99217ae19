"""``bpdrill grade`` and ``bpdrill demo``: the imperative shell around the grading pipeline.

    find files (ingest) → whose (identify) → rows (parse) → verdicts (judge) → points → reports

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

from .feedback import write_feedback
from .ingest import collect
from .judge import ConfigError, GradeConfig, read_config_text
from .pipeline import Gradebook, grade as grade_files
from .reports import (FEEDBACK_DIR, GRADES_FILE, SUMMARY_FILE, changes, holds_results, move_previous, print_summary,
                      read_grades, write_reports)


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


def prepare_outdir(outdir: Path, force: bool) -> Path | None:
    """Make OUTDIR ready; with --force move earlier results aside (returns where), else refuse them."""
    if outdir.exists() and not outdir.is_dir():
        raise UserError(f"{outdir}: exists and is not a folder")
    previous = None
    if outdir.is_dir() and holds_results(outdir):
        if not force:
            raise UserError(f"{outdir}: holds results of an earlier run; use --force to move them to "
                            f"{outdir}/previous-<time>/ and grade again")
    try:
        outdir.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=outdir, prefix=".bpdrill-probe-")
        os.close(fd)
        os.unlink(probe)
        if force and holds_results(outdir):
            previous = move_previous(outdir)
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
              feedback: str = "html", config_path: Path | None = None, console: Console | None = None) -> GradeRun:
    """The whole grade command; UserError for what stops it (DIR, config, OUTDIR)."""
    try:
        week: Week = read_week(week_dir)
    except RecordError as e:
        raise UserError(str(e)) from None
    config = load_config(config_path)
    previous = prepare_outdir(outdir, force)
    files = collect(submissions, skip=outdir)
    book = grade_files(week, files, config)
    try:
        write_reports(book, outdir)
        if feedback != "none":
            write_feedback(week, book.results, outdir / FEEDBACK_DIR, feedback)
    except OSError as e:
        raise UserError(f"{outdir}: cannot write the results ({e.strerror or e})") from None
    changed: list[str] = []
    if previous is not None:
        old = read_grades(previous / GRADES_FILE)
        changed = [f"{c.student_id}: {c.before} → {c.after}" for c in changes(old, book)]
    record = Console(record=True, width=110, file=open(os.devnull, "w"))  # noqa: SIM115 - closed below
    shown = [console] if console is not None else []
    extra = []
    if previous is not None:
        extra.append(f"earlier results moved to {previous}")
        extra.append(f"grades changed for {len(changed)} student(s)" + (":" if changed else ""))
        extra += [f"  {c}" for c in changed]
    for c in [record] + shown:
        print_summary(book, outdir, c, extra)
    write_text_atomic(outdir / SUMMARY_FILE, record.export_text())
    record.file.close()
    return GradeRun(book, outdir, previous, tuple(changed))


@app.command()
def grade(
    week_dir: Path = typer.Argument(..., metavar="DIR", help="The week's folder (made by 'bpdrill generate')."),
    submissions: list[Path] = typer.Argument(..., metavar="SUBMISSION...", help="CSV files, folders of them, Canvas or Moodle bulk-download zips."),
    out: Path = typer.Option(..., "--out", "-o", help="Where grades.csv, details.csv, feedback/ and summary.txt go."),
    force: bool = typer.Option(False, "--force", help="If OUTDIR holds results, move them to OUTDIR/previous-<time>/ first and list whose grade changed."),
    feedback: FeedbackKind = typer.Option(FeedbackKind.html, "--feedback", help="Per-student feedback: html (default), pdf (weasyprint) or none."),
    config: Path = typer.Option(None, "--config", help="TOML: [tolerance] per quantity (relabs/sigfig/decdig) and [points]."),
) -> None:
    """Grade a week's submissions: gradebook, per-entry details, feedback and a summary."""
    try:
        run_grade(week_dir, submissions, out, force, feedback.value, config, Console())
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
