"""The ``bpdrill`` command (typer): the imperative shell around the pure core.

Each group of commands lives in its own module and registers itself on ``app``:
solve (here), generate/key (``cli_week``), render/combine (``cli_render``),
grade/demo (``grader.cli``).
"""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path

import typer

from . import __version__
from .errors import UserError, fail, read_text
from .formats import to_csv, to_json, to_text
from .problem import ProblemError, parse_problems
from .solver import first_non_finite
from .solver import solve as solve_problem

app = typer.Typer(
    name="bpdrill",
    help="Backpropagation exercises: solve, generate a week's problem sets, render sheets and keys, grade.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"bpdrill {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", help="Print the version and exit.", callback=_version, is_eager=True),
) -> None:
    pass


class SolveFormat(str, Enum):
    text = "text"
    json = "json"
    csv = "csv"


def read_problem_file(path: Path):
    """Read and validate a problem file (one problem or a list); UserError on anything wrong."""
    raw = read_text(path)
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as e:
        raise UserError(f"{path}: not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})") from None
    try:
        return data, parse_problems(data)
    except ProblemError as e:
        raise UserError(f"{path}: {e}") from None


@app.command()
def solve(
    problem_file: Path = typer.Argument(..., metavar="PROBLEM.json", help="One problem object or a list of them."),
    format: SolveFormat = typer.Option(SolveFormat.text, "--format", "-f", help="text: worked solution; json: quantity → matrix; csv: problem,quantity,row,col,value."),
) -> None:
    """Compute every intermediate of one forward pass, backward pass and gradient step."""
    try:
        data, problems = read_problem_file(problem_file)
    except UserError as e:
        raise fail(str(e))
    solutions = [solve_problem(p) for p in problems]
    for k, sol in enumerate(solutions, start=1):
        bad = first_non_finite(sol)
        if bad:
            where = f"problem {k}: " if len(solutions) > 1 else ""
            raise fail(f"{problem_file}: {where}{bad} overflows floating point (the given numbers are too large)")
    if format is SolveFormat.json:
        typer.echo(to_json(solutions, as_list=isinstance(data, list)))
    elif format is SolveFormat.csv:
        sys.stdout.write(to_csv(solutions))
    else:
        typer.echo(to_text(solutions), nl=False)


def _register() -> None:
    from . import cli_render, cli_week  # noqa: F401  (commands register themselves on app)

    try:
        from grader import cli as grader_cli  # noqa: F401
    except ImportError as e:  # pragma: no cover - only while the grader is being built
        if "grader" not in str(e):
            raise


_register()
# --help lists the commands in the order of a week's work
_ORDER = ("solve", "generate", "key", "render", "combine", "grade", "demo")
app.registered_commands.sort(
    key=lambda c: _ORDER.index(c.callback.__name__) if c.callback.__name__ in _ORDER else len(_ORDER)
)


def main() -> None:
    """Console entry point: never a traceback for the user."""
    try:
        app()
    except KeyboardInterrupt:
        typer.echo("bpdrill: interrupted", err=True)
        sys.exit(130)
    except UserError as e:
        typer.echo(f"bpdrill: error: {e}", err=True)
        sys.exit(2)
    except Exception as e:  # a bug of ours: still one line, with where to report it
        typer.echo(f"bpdrill: internal error: {type(e).__name__}: {e} (please report this with the command you ran)", err=True)
        sys.exit(1)
