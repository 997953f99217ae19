"""How the library tells its caller what happens, without printing: notes and progress.

A workflow returns its :class:`Note` objects (warnings, and facts worth a line such as what was
kept or removed) with its result, and reports long work through a :data:`Progress` callback it
is given: ``progress(what, done, total)``, e.g. ``("rendering", 3, 40)``. The command layer turns
them into lines and bars; a notebook or a test may ignore them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Note:
    text: str
    warning: bool = False  # a warning (something the user may want to act on), else a plain fact

    def __str__(self) -> str:
        return self.text


def warning(text: str) -> Note:
    return Note(text, warning=True)


def counter(progress: Progress | None, what: str, total: int) -> Callable[[int], None]:
    """A ``step(n=1)`` function that reports ``n`` more of ``total`` done to ``progress`` (if any)."""
    done = 0

    def step(n: int = 1) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress(what, done, total)

    if progress is not None:
        progress(what, 0, total)
    return step
