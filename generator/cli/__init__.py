"""The ``bpdrill`` command: the one layer that asks and tells, on top of the library.

Each command is a small module here — read the options, call the library once, print — and is
registered in :data:`COMMANDS`, in the order ``--help`` lists them (the order of a week's work).
Only this package imports typer and rich's console and progress bars; no library module imports
it. Any :class:`~generator.errors.BpdrillError` becomes one line on stderr and exit code 2, here
(:func:`one_line_errors`); anything else is a bug of ours and says so in one line (:func:`main`).
"""

from __future__ import annotations

import functools
import re
import sys
from typing import Any, Callable

import typer
from typer.core import TyperCommand

from ..version import __version__
from ..errors import BpdrillError
from . import demo, generate, grade, mail, render, solve

app = typer.Typer(
    name="bpdrill",
    help="Backpropagation exercises: solve, generate a week's problem sets, render sheets and keys, grade.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,  # plain help: whole option names, no <bool>/<str> placeholders, at any terminal width
)

# name → command, in the order --help lists them (a week's work: solve, generate, key, render, combine, grade)
COMMANDS: tuple[tuple[str, Callable[..., Any]], ...] = (
    ("solve", solve.solve_command),
    ("generate", generate.generate_command),
    ("key", generate.key_command),
    ("render", render.render_command),
    ("combine", render.combine_command),
    ("grade", grade.grade_command),
    ("demo", demo.demo_command),
)


def one_line_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """The command with bad input (any BpdrillError) as one line on stderr and exit code 2."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except BpdrillError as e:
            typer.echo(f"bpdrill: error: {e}", err=True)
            raise typer.Exit(2) from None

    return run


def _version(value: bool) -> None:
    if value:
        typer.echo(f"bpdrill {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", help="Print the version and exit.", callback=_version, is_eager=True),
) -> None:
    pass


class Command(TyperCommand):
    """A command whose usage line writes a required argument as its name (``DIR``), an optional one in
    brackets, as usage lines do (typer 0.29 writes ``{DIR}``)."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        return [re.sub(r"^\{(.*)\}", r"\1", piece) for piece in super().collect_usage_pieces(ctx)]


for _name, _command in COMMANDS:
    app.command(_name, cls=Command)(one_line_errors(_command))

# groups of commands (``bpdrill mail sheets``), after the single ones: name, help, their (name, command)s
GROUPS = (("mail", mail.HELP, mail.COMMANDS),)
for _name, _help, _commands in GROUPS:
    _group = typer.Typer(help=_help, no_args_is_help=True)
    for _sub, _command in _commands:
        _group.command(_sub, cls=Command)(one_line_errors(_command))
    app.add_typer(_group, name=_name)


def main() -> None:
    """Console entry point: never a traceback for the user."""
    try:
        app()
    except KeyboardInterrupt:
        typer.echo("bpdrill: interrupted", err=True)
        sys.exit(130)
    except Exception as e:  # a bug of ours: still one line, with where to report it
        typer.echo(f"bpdrill: internal error: {type(e).__name__}: {e} (please report this with the command you ran)", err=True)
        sys.exit(1)
