"""The one way a command fails: one clear line on stderr, exit code 2 (usage/input errors)."""

from __future__ import annotations

import sys

import typer


class UserError(Exception):
    """Bad input from the user: the message names the file, line, field or option."""


def fail(message: str, code: int = 2) -> "typer.Exit":
    typer.echo(f"bpdrill: error: {message}", err=True)
    return typer.Exit(code)


def warn(message: str) -> None:
    print(f"bpdrill: warning: {message}", file=sys.stderr)
