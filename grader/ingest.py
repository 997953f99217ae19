"""Stage 1: find the submitted files — CSV files, folders of them, LMS bulk-download zips.

Everything is read into memory, never extracted: a zip entry named ``../../etc/x`` or
``/abs/path`` cannot land anywhere (zip-slip), and is reported as not understood. Reading is
bounded: a size limit per file (checked against the real decompressed bytes, not the header's
claim), a total per zip and a count of entries (zip bombs), and nested zips one level deep.
Submissions are opened read-only and never modified.

Nothing here raises for a bad input: a file that cannot be read becomes a
:class:`SubmittedFile` whose ``error`` says why.
"""

from __future__ import annotations

import io
import os
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Iterable, Iterator

MAX_FILE_BYTES = 2_000_000  # one submission; a full answer CSV is a few kB
MAX_ZIP_BYTES = 500_000_000  # everything decompressed from one zip
MAX_ZIP_ENTRIES = 50_000
MAX_ZIP_DEPTH = 2  # a zip inside a zip is opened, one inside that is not
CHUNK = 1 << 16

SKIPPED_NAMES = {".DS_Store", "Thumbs.db", "desktop.ini"}


@dataclass(frozen=True)
class SubmittedFile:
    """One file as handed in: where it came from and its bytes (or why it could not be read)."""

    source: str  # for messages: "subs/a.csv" or "canvas.zip!folder/a.csv"
    name: str  # the file's own name, e.g. "smith_123_456_answers-1.csv"
    folder: str  # the folder it sat in inside a zip (Moodle's participant folder), else ""
    data: bytes
    mtime: float  # seconds since the epoch (zip entries: their recorded time)
    error: str = ""  # non-empty: the file could not be read, and why

    @property
    def readable(self) -> bool:
        return not self.error


def _skipped(parts: Iterable[str]) -> bool:
    return any(p in SKIPPED_NAMES or p.startswith(".") or p == "__MACOSX" for p in parts)


def _is_zip(name: str, head: bytes) -> bool:
    return name.lower().endswith(".zip") or head.startswith(b"PK\x03\x04")


def _read_bounded(stream, limit: int) -> bytes | None:
    """At most ``limit`` bytes from ``stream``; None if there are more."""
    chunks, total = [], 0
    while True:
        chunk = stream.read(CHUNK)
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


def _safe_member(name: str) -> PurePosixPath | None:
    """The entry's path if it stays inside the archive (no absolute path, no ``..``, no drive)."""
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or (path.parts and ":" in path.parts[0]):
        return None
    return path


def read_zip(data: bytes, source: str, depth: int = 1) -> Iterator[SubmittedFile]:
    """Every file in a zip (bytes in memory), bounded; never raises for a bad archive."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as e:
        yield SubmittedFile(source, Path(source).name, "", b"", 0.0, f"not a readable zip archive ({e})")
        return
    if len(infos) > MAX_ZIP_ENTRIES:
        yield SubmittedFile(source, Path(source).name, "", b"", 0.0, f"zip has {len(infos)} entries (limit {MAX_ZIP_ENTRIES})")
        return
    budget = MAX_ZIP_BYTES
    for info in infos:
        if info.is_dir():
            continue
        where = f"{source}!{info.filename}"
        path = _safe_member(info.filename)
        if path is None:
            yield SubmittedFile(where, PurePosixPath(info.filename).name, "", b"", 0.0, "unsafe path in zip (outside the archive); not read")
            continue
        if _skipped(path.parts):
            continue
        folder = path.parts[-2] if len(path.parts) > 1 else ""
        mtime = _zip_time(info)

        def failed(reason: str) -> SubmittedFile:
            return SubmittedFile(where, path.name, folder, b"", mtime, reason)

        if info.flag_bits & 0x1:
            yield failed("encrypted zip entry")
            continue
        limit = min(MAX_FILE_BYTES if not path.name.lower().endswith(".zip") else MAX_ZIP_BYTES, budget)
        if info.file_size > limit:
            yield failed(f"too large ({info.file_size} bytes uncompressed; limit {MAX_FILE_BYTES})")
            continue
        try:
            with archive.open(info) as stream:
                content = _read_bounded(stream, limit)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError) as e:
            yield failed(f"damaged zip entry ({e})")
            continue
        if content is None:
            yield failed(f"decompresses to more than {limit} bytes (zip bomb?); not read")
            budget = 0
            continue
        budget -= len(content)
        if _is_zip(path.name, content[:4]) and path.name.lower().endswith(".zip"):
            if depth >= MAX_ZIP_DEPTH:
                yield failed("zip inside a zip inside a zip; not opened")
            else:
                yield from read_zip(content, where, depth + 1)
            continue
        yield SubmittedFile(where, path.name, folder, content, mtime)


def read_file(path: Path, shown: str) -> Iterator[SubmittedFile]:
    """One file on disk: a submission, or a zip of them."""
    try:
        st = path.stat()
    except OSError as e:
        yield SubmittedFile(shown, path.name, "", b"", 0.0, f"cannot read ({e.strerror or e})")
        return
    is_zip = path.suffix.lower() == ".zip"
    limit = MAX_ZIP_BYTES if is_zip else MAX_FILE_BYTES
    if st.st_size > limit:
        yield SubmittedFile(shown, path.name, "", b"", st.st_mtime, f"too large ({st.st_size} bytes; limit {limit})")
        return
    try:
        with open(path, "rb") as f:  # read-only: submissions are never modified
            data = _read_bounded(f, limit)
    except OSError as e:
        yield SubmittedFile(shown, path.name, "", b"", st.st_mtime, f"cannot read ({e.strerror or e})")
        return
    if data is None:
        yield SubmittedFile(shown, path.name, "", b"", st.st_mtime, f"too large (limit {limit} bytes)")
    elif is_zip or data[:4] == b"PK\x03\x04" and path.suffix.lower() not in (".xlsx", ".docx", ".odt", ".ods"):
        yield from read_zip(data, shown)
    else:
        yield SubmittedFile(shown, path.name, "", data, st.st_mtime)


def _inside(path: Path, folder: Path | None) -> bool:
    if folder is None:
        return False
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except (ValueError, OSError):
        return False


def collect(paths: Iterable[Path], skip: Path | None = None) -> list[SubmittedFile]:
    """Every submitted file under ``paths`` (files, folders, zips), in a stable order.

    ``skip`` (the output folder) is never read, so results are not mistaken for submissions.
    A path that does not exist becomes a file with an error.
    """
    out: list[SubmittedFile] = []
    for given in paths:
        given = Path(given)
        if given.is_dir():
            for root, dirs, files in os.walk(given, followlinks=False):
                root_path = Path(root)
                dirs[:] = sorted(d for d in dirs if not _skipped([d]) and not _inside(root_path / d, skip))
                for name in sorted(files):
                    if _skipped([name]):
                        continue
                    path = root_path / name
                    out.extend(read_file(path, str(path)))
        elif given.exists():
            if not _inside(given, skip):
                out.extend(read_file(given, str(given)))
        else:
            out.append(SubmittedFile(str(given), given.name, "", b"", 0.0, "no such file or folder"))
    return out
