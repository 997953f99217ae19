"""What the commands share at the terminal: notes as lines, progress bars, the paper choice."""

from __future__ import annotations

import sys
import time
from enum import Enum
from typing import Any, Iterable

import typer

from ..progress import Note


class Paper(str, Enum):
    a4 = "a4"
    letter = "letter"


def say(notes: Iterable[Note | str]) -> None:
    """Notes on stderr: a warning as ``bpdrill: warning: …``, a fact as it is."""
    for note in notes:
        warning = isinstance(note, Note) and note.warning
        typer.echo(f"bpdrill: warning: {note}" if warning else str(note), err=True)


class Bars:
    """The library's ``progress(what, done, total)`` as transient bars on stderr: on a terminal only,
    and only once a stage has taken a second (a usual week draws its problems in less)."""

    def __init__(self, shown: bool = True, after: float = 1.0) -> None:
        self.shown = shown and sys.stderr.isatty()
        self.after = after
        self.started: dict[str, float] = {}
        self.tasks: dict[str, Any] = {}
        self.bars: Any = None  # rich's Progress, once shown

    def __call__(self, what: str, done: int, total: int) -> None:
        if not self.shown:
            return
        start = self.started.setdefault(what, time.monotonic())
        if what not in self.tasks:
            if time.monotonic() - start < self.after:
                return
            if self.bars is None:
                from rich.console import Console  # rich only once a bar is shown
                from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

                self.bars = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                     TimeRemainingColumn(), console=Console(stderr=True), transient=True)
                self.bars.start()
            self.tasks[what] = self.bars.add_task(what, total=total)
        self.bars.update(self.tasks[what], completed=done, total=total)

    def __enter__(self) -> "Bars":
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bars is not None:
            self.bars.stop()
