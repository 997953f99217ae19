"""render and combine commands (PDF sheets and keys)."""

from __future__ import annotations

import re
from enum import Enum
from pathlib import Path

import typer

from .cli import app
from .errors import fail
from .record import RecordError, Week, read_week
from .render import combine as combine_week
from .render import DamagedPdf, render_week, shard_of


class Paper(str, Enum):
    a4 = "a4"
    letter = "letter"


def parse_shard(text: str | None) -> tuple[int, int] | None:
    """``"2/8"`` → ``(2, 8)``; ValueError unless 1 ≤ K ≤ N."""
    if text is None:
        return None
    m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if not m or not 1 <= int(m[1]) <= int(m[2]):
        raise ValueError(f"--shard: expected K/N with 1 ≤ K ≤ N (e.g. 2/8), got {text!r}")
    return int(m[1]), int(m[2])


def load_week(folder: Path) -> Week:
    try:
        return read_week(folder)
    except RecordError as e:
        raise fail(str(e))


@app.command()
def render(
    folder: Path = typer.Argument(..., metavar="DIR", help="The week's folder (made by 'bpdrill generate')."),
    jobs: int = typer.Option(None, "--jobs", "-j", min=1, help="Parallel processes (default: all cores)."),
    shard: str = typer.Option(None, "--shard", metavar="K/N",
                              help="Render only the K-th of N slices of the roster (for batch systems); "
                                   "then run 'bpdrill combine DIR'."),
    paper: Paper = typer.Option(Paper.a4, "--paper", help="Paper size."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar."),
    fresh: bool = typer.Option(False, "--fresh",
                               help="Render every student again, also those whose PDFs are up to date."),
) -> None:
    """Render every student's sheet and answer key (PDF + HTML) and the combined PDFs for printing.

    A student whose PDFs were finished from the same record, templates and paper is skipped, so a
    run that was interrupted, or a batch job that is retried, renders only what is missing."""
    try:
        k_of_n = parse_shard(shard)
    except ValueError as e:
        raise fail(str(e))
    week = load_week(folder)
    try:
        rendered = render_week(folder, week, jobs=jobs, shard=k_of_n, paper=paper.value, progress=progress,
                               fresh=fresh)
    except DamagedPdf as e:
        raise fail(str(e))
    what = f" (shard {k_of_n[0]}/{k_of_n[1]}; then 'bpdrill combine {folder}')" if k_of_n else ""
    n = len(shard_of(week.students, k_of_n))
    kept = f"; {n - rendered} up to date, kept (--fresh renders them again)" if rendered < n else ""
    typer.echo(f"rendered the sheets and keys of {rendered} student{'' if rendered == 1 else 's'} into "
               f"{folder}{kept}{what}", err=True)


@app.command()
def combine(
    folder: Path = typer.Argument(..., metavar="DIR", help="The week's folder, after 'render --shard' of every slice."),
    paper: Paper = typer.Option(None, "--paper", show_default=False,
                                help="Paper size of keys-compact.pdf [default: that of the per-student PDFs]."),
) -> None:
    """Assemble sheets.pdf, keys.pdf and keys-compact.pdf from the per-student PDFs."""
    week = load_week(folder)
    try:
        combine_week(folder, week, paper.value if paper else None)
    except (FileNotFoundError, DamagedPdf) as e:
        raise fail(str(e))
    typer.echo(f"wrote {folder / 'sheets.pdf'}, {folder / 'keys.pdf'}, {folder / 'keys-compact.pdf'}", err=True)
