"""``bpdrill demo``: the weekly workflow end to end on built-in data (what ``make demo`` runs)."""

from __future__ import annotations

from pathlib import Path

import typer

from .terminal import Bars, say


def _rule(title: str) -> None:
    typer.echo(f"── {title} " + "─" * max(0, 60 - len(title)))


def demo_command(
    out: Path = typer.Option(Path("bpdrill-demo"), "--out", "-o", metavar="DIR", help="Folder for the demo week, submissions and results."),
    force: bool = typer.Option(False, "--force", help="Replace an earlier demo in that folder."),
    pdf: bool = typer.Option(True, "--pdf/--no-pdf", help="Render the sheets and keys (slower; skipped when rendering is not possible)."),
) -> None:
    """The weekly workflow end to end on built-in data: generate, sample submissions, grade."""
    from grader import demo_week  # the grader's modules only for the commands that grade

    with Bars() as bars:
        run = demo_week(out, force=force, pdf=pdf, progress=bars)
    _rule("1. generate the week")
    say(run.notes)
    typer.echo(f"{len(run.week.students)} students, each with their own problem: {out / 'week'}")
    _rule("2. sample submissions")
    for student in run.week.students:
        typer.echo(f"  {student.id:8} {student.name:20} {run.kinds.get(student.id, '')}")
    _rule("3. grade")
    typer.echo(run.graded.screen, nl=False)
    _rule("where everything is")
    for label, path in run.where():
        typer.echo(f"  {label:22} {path}")
    week_dir, results = out / "week", run.graded.outdir
    if (week_dir / "sheets").is_dir():
        typer.echo(f"A student fills in their sheet in a browser (open {week_dir / 'sheets'}/<file>.html); "
                   f"'Save answers' downloads the answer file to hand in.")
    typer.echo(f"Grade again after a change: bpdrill grade {week_dir} {out / 'submissions'} --out {results} --force")
    typer.echo(f"Regrade one student (e.g. a corrected file): add --only {run.week.students[1].id} instead of --force; "
               f"a TA's decisions go in {results / 'overrides.csv'}")
