"""``bpdrill render`` and ``bpdrill combine``: the PDF sheets and keys of a week."""

from __future__ import annotations

from pathlib import Path

import typer

from ..record import read_week
from .terminal import Bars, Paper


def render_command(
    folder: Path = typer.Argument(..., metavar="DIR", help="The week's folder (made by 'bpdrill generate')."),
    jobs: int = typer.Option(None, "--jobs", "-j", metavar="N", help="Parallel processes (default: all cores)."),
    shard: str = typer.Option(None, "--shard", metavar="K/N",
                              help="Render only the K-th of N slices of the roster (for batch systems); "
                                   "then run 'bpdrill combine DIR'."),
    paper: Paper = typer.Option(None, "--paper", show_default=False, help="Paper size [default: the week's own, as rendered before; else a4]."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar."),
    fresh: bool = typer.Option(False, "--fresh",
                               help="Render every student again, also those whose PDFs are up to date."),
) -> None:
    """Render every student's sheet and answer key (PDF + HTML) and the combined PDFs for printing.

    A student whose PDFs were finished from the same record, templates and paper is skipped, so a
    run that was interrupted, or a batch job that is retried, renders only what is missing."""
    from ..render import parse_shard, render_week, shard_of  # weasyprint's side only when rendering

    k_of_n = parse_shard(shard)
    week = read_week(folder)
    with Bars(progress) as bars:
        rendered = render_week(folder, week, jobs=jobs, shard=k_of_n, paper=paper.value if paper else None, progress=bars, fresh=fresh)
    what = f" (shard {k_of_n[0]}/{k_of_n[1]}; then 'bpdrill combine {folder}')" if k_of_n else ""
    n = len(shard_of(week.students, k_of_n))
    kept = f"; {n - rendered} up to date, kept (--fresh renders them again)" if rendered < n else ""
    typer.echo(f"rendered the sheets and keys of {rendered} student{'' if rendered == 1 else 's'} into "
               f"{folder}{kept}{what}", err=True)


def combine_command(
    folder: Path = typer.Argument(..., metavar="DIR", help="The week's folder, after 'render --shard' of every slice."),
    paper: Paper = typer.Option(None, "--paper", show_default=False,
                                help="Paper size of keys-compact.pdf [default: that of the per-student PDFs]."),
) -> None:
    """Assemble sheets.pdf, keys.pdf and keys-compact.pdf from the per-student PDFs."""
    from ..render import combine

    week = read_week(folder)
    combine(folder, week, paper.value if paper else None)
    typer.echo(f"wrote {folder / 'sheets.pdf'}, {folder / 'keys.pdf'}, {folder / 'keys-compact.pdf'}", err=True)
