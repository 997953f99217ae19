"""``bpdrill solve``: every intermediate of one problem file."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path

import typer

from ..errors import ProblemError
from ..formats import to_csv, to_json, to_text
from ..solver import first_non_finite, solve
from ..workflow import read_problem_file


class SolveFormat(str, Enum):
    text = "text"
    json = "json"
    csv = "csv"


def solve_command(
    problem_file: Path = typer.Argument(..., metavar="PROBLEM.json", help="One problem object or a list of them."),
    format: SolveFormat = typer.Option(SolveFormat.text, "--format", "-f", help="text: worked solution; json: quantity → matrix; csv: problem,quantity,row,col,value."),
) -> None:
    """Compute every intermediate of one forward pass, backward pass and gradient step."""
    data, problems = read_problem_file(problem_file)
    solutions = [solve(p) for p in problems]
    for k, sol in enumerate(solutions, start=1):
        bad = first_non_finite(sol)
        if bad:
            where = f"problem {k}: " if len(solutions) > 1 else ""
            raise ProblemError(f"{problem_file}: {where}{bad} overflows floating point (the given numbers are too large)")
    if format is SolveFormat.json:
        typer.echo(to_json(solutions, as_list=isinstance(data, list)))
    elif format is SolveFormat.csv:
        sys.stdout.write(to_csv(solutions))
    else:
        typer.echo(to_text(solutions), nl=False)
