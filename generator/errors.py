"""The one way a command fails: one clear line on stderr, exit code 2 (usage/input errors)."""

from __future__ import annotations

import sys

import typer


class UserError(Exception):
    """Bad input from the user: the message names the file, line, field or option."""


def read_text(path, error: type[Exception] = UserError) -> str:
    """A user's text file (UTF-8, BOM allowed); ``error`` with one clear line when it cannot be read."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise error(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise error(f"{path}: cannot read: {e}") from None


def fail(message: str, code: int = 2) -> "typer.Exit":
    typer.echo(f"bpdrill: error: {message}", err=True)
    return typer.Exit(code)


def warn(message: str) -> None:
    print(f"bpdrill: warning: {message}", file=sys.stderr)
