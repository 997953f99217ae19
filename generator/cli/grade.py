"""``bpdrill grade``: a week's submissions → gradebook, details, feedback, LMS files, summary."""

from __future__ import annotations

from enum import Enum
from pathlib import Path

import typer

from .terminal import Bars


class FeedbackKind(str, Enum):
    html = "html"
    pdf = "pdf"
    none = "none"


def grade_command(
    week_dir: Path = typer.Argument(..., metavar="DIR", help="The week's folder (made by 'bpdrill generate')."),
    submissions: list[Path] = typer.Argument(..., metavar="SUBMISSION", help="CSV or .xlsx files, folders of them, Canvas or Moodle bulk-download zips (one or more)."),
    out: Path = typer.Option(..., "--out", "-o", metavar="OUTDIR", help="Where grades.csv, details.csv, feedback/, summary.txt, run.json (how it was graded) and the LMS files (canvas.csv, moodle.csv, moodle-feedback.zip, canvas-feedback.zip) go."),
    force: bool = typer.Option(False, "--force", help="If OUTDIR holds results, move them to OUTDIR/previous-<time>/ first and list whose grade changed."),
    feedback: FeedbackKind = typer.Option(None, "--feedback", show_default=False, help="Per-student feedback: html (default), pdf (weasyprint; only for students who handed in a file) or none."),
    config: Path = typer.Option(None, "--config", metavar="CONFIG.toml", help="TOML: [tolerance] per quantity (relabs/sigfig/decdig), [points], [late] policy, [lms], timezone (README: Grade submissions)."),
    only: list[str] = typer.Option(None, "--only", metavar="ID", help="Regrade just these students (repeat, or ID,ID) and merge them into the results in OUTDIR."),
    overrides: Path = typer.Option(None, "--overrides", metavar="FILE", help="A TA's decisions (default: OUTDIR/overrides.csv when it exists)."),
    deadline: str = typer.Option(None, "--deadline", metavar="TIME", help="e.g. 2026-12-01T23:59 (a bare date: end of that day); later files are late."),
    assignment: str = typer.Option(None, "--assignment", metavar="NAME", help="The Canvas gradebook column for canvas.csv (default: the week's title)."),
    timezone: str = typer.Option(None, "--timezone", metavar="ZONE", help="The course's time zone, e.g. Europe/Berlin: deadlines and zip times without a zone are in it (default: the config's, else this machine's)."),
) -> None:
    """Grade a week's submissions: gradebook, per-entry details, feedback, LMS files and a summary."""
    from grader import grade_week  # the grader's modules only for the commands that grade

    with Bars() as bars:
        run = grade_week(week_dir, submissions, out, config=config, force=force, only=only or (), overrides=overrides,
                         deadline=deadline, timezone=timezone, assignment=assignment, feedback=feedback.value if feedback else None, progress=bars)
    typer.echo(run.screen, nl=False)
