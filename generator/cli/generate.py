"""``bpdrill generate`` and ``bpdrill key``: a week's folder, and its answer key."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path

import typer

from ..workflow import GenerateOptions, run_generate, write_key
from .terminal import Bars, Paper, say


def generate_command(
    out: Path = typer.Option(..., "--out", "-o", metavar="DIR", help="The week's folder (created; must be empty unless --force)."),
    roster: Path = typer.Option(None, "--roster", metavar="ROSTER.csv", help="Class roster CSV (LMS export or hand-made). Without it: one shared variant for the whole class."),
    id_column: str = typer.Option(None, "--id-column", metavar="NAME", help="The roster's id column (default: detected, institution ids first)."),
    name_column: str = typer.Option(None, "--name-column", metavar="NAME", help="The roster's name column, or two joined: 'Vorname + Nachname' (default: detected)."),
    seed: str = typer.Option(None, "--seed", metavar="SEED", help="Any text, e.g. 2026-W48; same seed + options + id → same problems (default: this ISO week)."),
    config: Path = typer.Option(None, "--config", metavar="CONFIG.toml", help="Options from a TOML file; flags override it."),
    layers: str = typer.Option(None, "--layers", metavar="SIZES", help="Layer sizes: input, hidden…, output (default 2,2,2)."),
    hidden_activation: str = typer.Option(None, "--hidden-activation", metavar="NAME", help="sigmoid (default), tanh or relu."),
    output: str = typer.Option(None, "--output", metavar="NAME", help="sigmoid (default, loss mse) or softmax (loss cross-entropy)."),
    learning_rate: float = typer.Option(None, "--learning-rate", metavar="C", help="The learning rate c (default 0.1)."),
    problems: int = typer.Option(None, "--problems", metavar="N", help="Problems per student (default 1)."),
    from_file: Path = typer.Option(None, "--from", metavar="PROBLEM.json", help="Every student gets these fixed problems (e.g. the worked example)."),
    title: str = typer.Option(None, "--title", metavar="TEXT", help="Title printed on the sheets."),
    xlsx: bool = typer.Option(None, "--xlsx/--no-xlsx", help="Also write answers/<file>.xlsx, an Excel answer workbook, beside each CSV template."),
    add_students_file: Path = typer.Option(None, "--add-students", metavar="MORE.csv", help="Add these students to the existing week in DIR (those already in it stay as they are); no one else changes."),
    force: bool = typer.Option(False, "--force", help="Replace the week in a non-empty DIR."),
    pdf: bool = typer.Option(None, "--pdf/--no-pdf", help="Render sheets and keys (--no-pdf: only the record and answer templates). "
                             "With --add-students: the new students' only, when the week has PDFs (default)."),
    jobs: int = typer.Option(None, "--jobs", "-j", metavar="N", help="Parallel rendering processes (default: the CPUs)."),
    paper: Paper = typer.Option(None, "--paper", show_default=False, help="Paper size for the PDFs [default: a4; with --add-students or --force, the week's own]."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show progress bars (on a terminal)."),
) -> None:
    """Generate a week's problem set: every student's own problems, answers and answer template."""
    options = GenerateOptions(
        roster=roster, id_column=id_column, name_column=name_column, config=config, seed=seed, layers=layers,
        hidden_activation=hidden_activation, output=output, learning_rate=learning_rate, problems=problems,
        from_file=from_file, title=title, xlsx=xlsx, add=add_students_file, force=force, pdf=pdf, jobs=jobs,
        paper=paper.value if paper else None,
    )
    with Bars(progress) as bars:
        made = run_generate(out, options, bars)
    typer.echo(made.summary())
    say(made.notes)


class KeyFormat(str, Enum):
    json = "json"
    csv = "csv"
    pdf = "pdf"


def key_command(
    folder: Path = typer.Argument(..., metavar="DIR", help="The week's folder (made by 'bpdrill generate')."),
    student: str = typer.Option(None, "--student", metavar="ID", help="Only this student (default: everyone)."),
    format: KeyFormat = typer.Option(KeyFormat.json, "--format", "-f", help="json: id → problems and asked answers; csv: the filled-in answer template (a complete, correct submission); pdf: the worked keys."),
    output: Path = typer.Option(None, "--output", "-o", metavar="FILE", help="Write here instead of standard output (pdf: default DIR/key.pdf or DIR/key-<file>.pdf)."),
    paper: Paper = typer.Option(None, "--paper", show_default=False, help="Paper size for --format pdf [default: the week's own]."),
) -> None:
    """The answer key of a week, from its record (never from the random generator again)."""
    written, text = write_key(folder, student=student, format=format.value, output=output,
                              paper=paper.value if paper else None)
    if written is None:
        sys.stdout.write(text)
    else:
        typer.echo(f"wrote {written}", err=True)
