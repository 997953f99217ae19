"""Stage 1: find the submitted files — CSV files, folders of them, LMS bulk-download zips.

Files are *listed* here and *read* later, when a stage needs their bytes
(:meth:`SubmittedFile.content`): a file's bytes are not kept, and a file that is not an
answer sheet (a PDF, a photo) is never read at all. Nothing is extracted: a zip entry named
``../../etc/x`` or ``/abs/path`` cannot land anywhere (zip-slip) and is reported as not
understood. Submissions are opened read-only and never modified. Entry names written as UTF-8
without the zip's UTF-8 flag (Linux ``zip``) are read as UTF-8 (:func:`entry_name`).

Reading is bounded, so that no archive can make a run slow or big:

- a size limit per file (checked against the real decompressed bytes, not the header's claim);
- a budget of bytes read per zip (a student's zip inside it, and what is read from that, count
  against the same budget) and per run, and a limit on the entries of a zip (nested ones
  included): zip bombs and floods of files stop at the limit, each file past it with a reason;
- nested zips one level deep.

Each file's bytes count against the budgets once, however often a stage reads them. Nothing
here raises for a bad input: a file that cannot be read becomes a :class:`SubmittedFile` whose
``error`` (or a later :class:`Unreadable` from ``content()``) says why.
"""

from __future__ import annotations

import io
import os
import stat
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Callable, Iterable, Iterator, Sequence
from generator.errors import Unreadable

MAX_FILE_BYTES = 2_000_000  # one answer file; a full answer CSV is a few kB
MAX_NESTED_ZIP_BYTES = 16_000_000  # a student's zip inside the LMS download
MAX_ZIP_READ = 64_000_000  # bytes read from one zip (a zip inside it included)
MAX_RUN_READ = 256_000_000  # bytes read in one run, all submissions together
MAX_ZIP_ENTRIES = 50_000  # entries of one zip, the entries of zips inside it included
MAX_ZIP_DEPTH = 2  # a zip inside a zip is opened, one inside that is not
CHUNK = 1 << 16

TEXT_SUFFIXES = {".csv", ".txt", ".tsv", ".tab", ""}
WORKBOOK_SUFFIXES = {".xlsx", ".xlsm"}
SUBMISSION_SUFFIXES = TEXT_SUFFIXES | WORKBOOK_SUFFIXES  # the files that may be answer sheets
SKIPPED_NAMES = {".DS_Store", "Thumbs.db", "desktop.ini"}
ZIP_MAGIC = b"PK\x03\x04"
CONTAINER_SUFFIXES = (".xlsx", ".xlsm", ".docx", ".odt", ".ods")  # zips that are not archives of submissions


SHOWN_FILES = 3  # files named in one grades.csv cell or message; then "and N more"


def plural(n: int, word: str, many: str = "") -> str:
    """``1 student``, ``2 students`` (``many``: the plural when it is not ``word`` + s)."""
    return f"{n} {word if n == 1 else many or word + 's'}"


def listing(items: Sequence[str], shown: int = SHOWN_FILES, sep: str = ", ") -> str:
    """``a, b, c and 7 more``: a list of files that stays short however many there are."""
    items = list(items)
    return sep.join(items[:shown]) + (f" and {len(items) - shown} more" if len(items) > shown else "")



def _mb(n: int) -> str:
    return f"{n / 1e6:g} MB"


class Budget:
    """Bytes (and zip entries) that may still be read: one for the run, one per top-level zip
    whose reads also count against the run's. Mutable state of the shell, never of the core."""

    def __init__(self, limit: int, what: str, parent: Budget | None = None, entries: int = MAX_ZIP_ENTRIES):
        self.left, self.limit, self.what, self.parent, self.entries = limit, limit, what, parent, entries
        self.read = 0  # bytes read so far (tests and the summary)

    def room(self) -> int:
        return min(self.left, self.parent.room() if self.parent else self.left)

    def refuse(self, size: int) -> str:
        """Why ``size`` more bytes may not be read ("" when they may)."""
        for b in (self, self.parent):
            if b is not None and size > b.left:
                return f"not read: the budget of {_mb(b.limit)} read per {b.what} is used up (zip bomb or flood?)"
        return ""

    def take(self, size: int) -> None:
        self.left -= size
        self.read += size
        if self.parent is not None:
            self.parent.take(size)


@dataclass(frozen=True)
class SubmittedFile:
    """One file as handed in: where it came from, and how to get its bytes (or why not)."""

    source: str  # for messages: "subs/a.csv" or "canvas.zip!folder/a.csv"
    name: str  # the file's own name, e.g. "smith_123_456_answers-1.csv"
    folder: str  # the folder it sat in inside a zip (Moodle's participant folder), else ""
    data: bytes  # its bytes when given directly (tests, the demo); b"" when read on demand
    mtime: float  # seconds since the epoch (zip entries: their recorded time read as this machine's local time)
    error: str = ""  # non-empty: the file could not be read, and why
    load: Callable[[], bytes] | None = field(default=None, compare=False, repr=False)
    stamp: tuple[int, ...] = ()  # a zip entry's recorded date and time (a wall clock without a zone); () for a file

    @property
    def suffix(self) -> str:
        return suffix_of(self.name)

    def content(self) -> bytes:
        """The file's bytes (read now, within the limits); :class:`Unreadable` says why not."""
        if self.error:
            raise Unreadable(self.error)
        return self.load() if self.load is not None else self.data


def suffix_of(name: str) -> str:
    """``.csv`` of ``a.b.CSV`` (lower case; "" for ``name``, ``.profile`` or ``a.``), as pathlib says, fast."""
    i = name.rfind(".")
    return name[i:].lower() if 0 < i < len(name) - 1 else ""


def _skipped(parts: Iterable[str]) -> bool:
    return any(p in SKIPPED_NAMES or p.startswith(".") or p == "__MACOSX" for p in parts)


def _read_bounded(stream, limit: int) -> bytes | None:
    """At most ``limit`` bytes from ``stream``; None if there are more."""
    chunks, total = [], 0
    while True:
        chunk = stream.read(min(CHUNK, limit - total + 1))
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        if total > limit:
            return None
        chunks.append(chunk)


def _zip_time(info: zipfile.ZipInfo) -> float:
    try:
        return datetime(*info.date_time).timestamp()
    except (ValueError, OverflowError):
        return 0.0


def entry_name(info: zipfile.ZipInfo) -> str:
    """A zip entry's name. Without the UTF-8 flag (0x800) zipfile reads the name as cp437, but
    Info-ZIP's ``zip`` on Linux (and others) write UTF-8 bytes without setting it: a name whose
    cp437 bytes are valid UTF-8 is read as UTF-8 (``Zoe Ångström``, not ``Zoe ├àngstr├╢m``)."""
    name = info.filename
    if info.flag_bits & 0x800 or name.isascii():
        return name
    try:
        return name.encode("cp437").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return name


def _safe_member(name: str) -> PurePosixPath | None:
    """The entry's path if it stays inside the archive (no absolute path, no ``..``, no drive)."""
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or (path.parts and ":" in path.parts[0]):
        return None
    return path


class _Once:
    """Reads one file's bytes on demand; they count against the budget the first time only
    (bytes decompressed in vain, e.g. by a bomb, count too), and a failure is remembered."""

    def __init__(self, read: Callable[[int], bytes | None], size: int, budget: Budget, limit: int = MAX_FILE_BYTES):
        self._read, self.size, self.budget, self.limit = read, size, budget, limit
        self.charged, self.failure = False, ""

    def __call__(self) -> bytes:
        if self.failure:
            raise Unreadable(self.failure)
        if not self.charged:
            self.failure = self.budget.refuse(self.size)
            if self.failure:
                raise Unreadable(self.failure)
        limit = self.limit if self.charged else min(self.limit, self.budget.room())
        try:
            content = self._read(limit)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError,
                zipfile.LargeZipFile) as e:
            self.failure = f"damaged or unreadable ({getattr(e, 'strerror', None) or e})"
            raise Unreadable(self.failure) from None
        if content is None:
            self.failure = (self.budget.refuse(limit + 1) if limit < self.limit else "") or \
                f"too large: more than {_mb(self.limit)} when read (the limit; a zip bomb?); not read"
            if not self.charged:
                self.budget.take(limit)
            raise Unreadable(self.failure)
        if not self.charged:
            self.budget.take(len(content))
            self.charged = True
        return content


def _member_reader(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Callable[[int], bytes | None]:
    def read(limit: int) -> bytes | None:
        with archive.open(info) as stream:
            return _read_bounded(stream, limit)
    return read


def _wanted(name: str) -> bool:
    """Whether a file's bytes may be needed: answer sheets and zips (others are only listed)."""
    suffix = suffix_of(name)
    return suffix in SUBMISSION_SUFFIXES or suffix == ".zip"


def list_zip(archive: zipfile.ZipFile, source: str, budget: Budget, depth: int = 1) -> Iterator[SubmittedFile]:
    """Every file in an open zip, to be read on demand within ``budget``; never raises for a bad archive."""
    try:
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        yield SubmittedFile(source, PurePosixPath(source).name, "", b"", 0.0, f"not a readable zip archive ({e})")
        return
    if len(infos) > budget.entries:
        yield SubmittedFile(source, PurePosixPath(source).name, "", b"", 0.0,
                            f"zip has {len(infos)} entries: over the limit of {MAX_ZIP_ENTRIES} entries per zip "
                            "(the zips inside it included); not read")
        return
    budget.entries -= len(infos)
    for info in infos:
        if info.is_dir():
            continue
        name = entry_name(info)
        where = f"{source}!{name}"
        path = _safe_member(name)
        if path is None:
            yield SubmittedFile(where, PurePosixPath(name.replace("\\", "/")).name, "", b"", 0.0,
                                "unsafe path in zip (outside the archive); not read")
            continue
        if _skipped(path.parts):
            continue
        folder = path.parts[-2] if len(path.parts) > 1 else ""
        mtime, stamp = _zip_time(info), tuple(info.date_time)

        def failed(reason: str) -> SubmittedFile:
            return SubmittedFile(where, path.name, folder, b"", mtime, reason, stamp=stamp)

        if not _wanted(path.name):
            yield SubmittedFile(where, path.name, folder, b"", mtime, stamp=stamp)  # listed, never read
            continue
        if info.flag_bits & 0x1:
            yield failed("encrypted zip entry")
            continue
        nested = path.name.lower().endswith(".zip")
        limit = MAX_NESTED_ZIP_BYTES if nested else MAX_FILE_BYTES
        if info.file_size > limit:
            yield failed(f"too large ({info.file_size} bytes uncompressed; limit {_mb(limit)}); not read")
            continue
        once = _Once(_member_reader(archive, info), info.file_size, budget, limit)
        if not nested:
            yield SubmittedFile(where, path.name, folder, b"", mtime, load=once, stamp=stamp)
            continue
        if depth >= MAX_ZIP_DEPTH:
            yield failed("zip inside a zip inside a zip; not opened")
            continue
        try:
            inner = zipfile.ZipFile(io.BytesIO(once()))
        except Unreadable as e:
            yield failed(str(e))
            continue
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as e:
            yield failed(f"not a readable zip archive ({e})")
            continue
        yield from list_zip(inner, where, budget, depth + 1)


def read_zip(data: bytes, source: str, budget: Budget | None = None) -> Iterator[SubmittedFile]:
    """Every file in a zip held in memory (tests, the demo): listed, read on demand."""
    budget = budget or Budget(MAX_ZIP_READ, "zip", Budget(MAX_RUN_READ, "run"))
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as e:
        yield SubmittedFile(source, PurePosixPath(source).name, "", b"", 0.0, f"not a readable zip archive ({e})")
        return
    yield from list_zip(archive, source, budget)


def _head(path: Path) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read(4)
    except OSError:
        return b""


def _file_reader(path: Path) -> Callable[[int], bytes | None]:
    def read(limit: int) -> bytes | None:
        with open(path, "rb") as f:  # read-only: submissions are never modified
            return _read_bounded(f, limit)
    return read


def list_file(path: Path, shown: str, run: Budget) -> Iterator[SubmittedFile]:
    """One file on disk: a submission (read on demand), or a zip of them (opened, listed)."""
    try:
        st = path.stat()
    except OSError as e:
        yield SubmittedFile(shown, path.name, "", b"", 0.0, f"cannot read ({e.strerror or e})")
        return
    suffix = path.suffix.lower()
    if not stat.S_ISREG(st.st_mode):
        yield SubmittedFile(shown, path.name, "", b"", st.st_mtime, "not a regular file; not read")
    elif suffix == ".zip" or (_wanted(path.name) and suffix not in CONTAINER_SUFFIXES and _head(path) == ZIP_MAGIC):
        try:
            archive = zipfile.ZipFile(path)  # read on demand from disk; closed when no file needs it
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as e:
            yield SubmittedFile(shown, path.name, "", b"", st.st_mtime, f"not a readable zip archive ({e})")
            return
        yield from list_zip(archive, shown, Budget(MAX_ZIP_READ, "zip", run))
    elif not _wanted(path.name):
        yield SubmittedFile(shown, path.name, "", b"", st.st_mtime)  # listed, never read
    elif st.st_size > MAX_FILE_BYTES:
        yield SubmittedFile(shown, path.name, "", b"", st.st_mtime,
                            f"too large ({st.st_size} bytes; limit {_mb(MAX_FILE_BYTES)}); not read")
    else:
        yield SubmittedFile(shown, path.name, "", b"", st.st_mtime, load=_Once(_file_reader(path), st.st_size, run))


def _inside(path: Path, folder: Path | None) -> bool:
    if folder is None:
        return False
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except (ValueError, OSError):
        return False


def missing_paths(paths: Iterable[Path]) -> list[str]:
    """What is wrong with each SUBMISSION path that is neither a file nor a folder (one line each)."""
    out = []
    for given in map(Path, paths):
        if not given.exists():
            out.append(f"{given}: no such file or folder")
        elif not (given.is_file() or given.is_dir()):
            out.append(f"{given}: not a file or folder")
    return out


def collect(paths: Iterable[Path], skip: Path | None = None, budget: Budget | None = None) -> list[SubmittedFile]:
    """Every submitted file under ``paths`` (files, folders, zips), in a stable order, listed
    and read on demand within ``budget`` (default: a fresh one for the run).

    ``skip`` (the output folder) is never read, so results are not mistaken for submissions.
    A path that does not exist becomes a file with an error (the CLI refuses it earlier).
    """
    run = budget or Budget(MAX_RUN_READ, "run")
    out: list[SubmittedFile] = []
    for given in map(Path, paths):
        if given.is_dir():
            for root, dirs, files in os.walk(given, followlinks=False):
                root_path = Path(root)
                dirs[:] = sorted(d for d in dirs if not _skipped([d]) and not _inside(root_path / d, skip))
                for name in sorted(files):
                    if not _skipped([name]):
                        out.extend(list_file(root_path / name, str(root_path / name), run))
        elif given.exists():
            if not _inside(given, skip):
                out.extend(list_file(given, str(given), run))
        else:
            out.append(SubmittedFile(str(given), given.name, "", b"", 0.0, "no such file or folder"))
    return out
