"""bpdrill's one family of errors: bad input from the user, each kind its own class.

Every message names the file, line, field or option it is about, in one line. The library
raises them; the command layer (``generator.cli``) turns any :class:`BpdrillError` into that
line on stderr and exit code 2, in one place. Errors of ours (bugs) are not in this family.
"""

from __future__ import annotations

from pathlib import Path


class BpdrillError(Exception):
    """Bad input: the message names the file, line, field or option, in one line."""


class UsageError(BpdrillError):
    """Options that do not fit together, or a folder or file that cannot be used as asked."""


class ConfigError(BpdrillError, ValueError):
    """A course config file (TOML) that cannot be used; the message names the file and key."""


class ProblemError(BpdrillError, ValueError):
    """A problem (JSON) that is malformed; the message names the field."""


class RosterError(BpdrillError, ValueError):
    """A roster that cannot be read; the message names the file and line."""


class RecordError(BpdrillError, ValueError):
    """A week's folder whose record (week.json) is missing or cannot be read."""


class SamplerError(BpdrillError, ValueError):
    """Network options the sampler cannot draw hand-friendly problems for."""


class DuplicateStudent(BpdrillError, ValueError):
    """A student added to a week that already has them."""


class DamagedPdf(BpdrillError, ValueError):
    """A rendered PDF that cannot be read (cut short, emptied, or not a PDF)."""


class AnswerFileError(BpdrillError, ValueError):
    """An answer file (CSV or workbook) that cannot be read as a whole; the message says why."""


class LateError(BpdrillError, ValueError):
    """A deadline or late policy that cannot be used; the message names the option or key."""


class OverrideError(BpdrillError, ValueError):
    """An overrides file row that cannot be used; the message names the file, line and field."""


class MailError(BpdrillError, ValueError):
    """Mail settings, a roster or a mail template that stop ``bpdrill mail``; names the option, file or key."""


class Unreadable(BpdrillError):
    """A submitted file that cannot be read (too big, damaged archive, …): one student's status, not a stop."""


def read_text(path: Path, error: type[BpdrillError] = UsageError) -> str:
    """A user's text file (UTF-8, BOM allowed); ``error`` with one clear line when it cannot be read."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise error(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise error(f"{path}: cannot read: {e}") from None


def check_jobs(jobs: int | None) -> None:
    """``--jobs``: a number of processes, at least 1 (None: all cores)."""
    if jobs is not None and jobs < 1:
        raise UsageError(f"--jobs: must be at least 1, got {jobs}")
