"""The week's record: the one file keys, sheets and grading read (``DIR/week.json``).

It is self-contained on purpose: every student's problems, the answers to every entry and
the tolerance each entry is judged with, so that a later bpdrill or numpy cannot change an
old week. Plain frozen data here; reading and writing the file sit at the edge
(:func:`read_week`, :func:`write_week`).
"""

from __future__ import annotations

import json
import os
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, BinaryIO, Iterator, Mapping

import numpy as np

from .problem import Problem, ProblemError, frozen_array, parse_problem
from .steps import parse_name
from .errors import RecordError

RECORD_FILE = "week.json"
FORMAT = "bpdrill-week"
FORMAT_VERSION = 1



@dataclass(frozen=True, eq=False)
class StudentProblem:
    problem: Problem
    answers: Mapping[str, np.ndarray]  # every computed quantity, in the seed's order
    tolerances: Mapping[str, np.ndarray]  # absolute tolerance per entry, same shapes as answers
    # the catalogued mistakes some entries cannot tell from the right value (``separation.Hidden``),
    # as the sampler judged them when drawing; None: not judged (fixed problems, a record read back)
    hidden: tuple | None = None


@dataclass(frozen=True, eq=False)
class Student:
    id: str
    name: str
    file: str  # safe file stem for answers/<file>.csv, sheets/<file>.pdf, …
    variant: str  # short code printed on every page
    columns: Mapping[str, str] = field(default_factory=dict)  # every roster column, as read
    problems: tuple[StudentProblem, ...] = ()


@dataclass(frozen=True, eq=False)
class Week:
    title: str
    seed: str
    asked: tuple[str, ...]  # quantity families students hand in (DEFAULT_ASKED by default)
    options: Mapping[str, Any]  # the generation options as applied (layers, activations, …)
    roster: Mapping[str, Any]  # {"source", "id_column", "name_column", "columns"}
    students: tuple[Student, ...]
    version: str = ""
    created: str = ""

    def student(self, student_id: str) -> Student:
        for s in self.students:
            if s.id == student_id:
                return s
        raise KeyError(student_id)


def asked_names(answers: Mapping[str, np.ndarray], asked: tuple[str, ...]) -> list[str]:
    """The asked quantity names of one problem, in the seed's order."""
    return [n for n in answers if parse_name(n)[0] in asked]


def asked_entries(week: Week, student: Student) -> Iterator[tuple[int, str, int, int]]:
    """(problem, quantity, row, col), 1-based, for every entry the student hands in."""
    for k, sp in enumerate(student.problems, start=1):
        for name in asked_names(sp.answers, week.asked):
            rows, cols = sp.answers[name].shape
            for i in range(1, rows + 1):
                for j in range(1, cols + 1):
                    yield k, name, i, j


# ---- JSON form ----

def _matrices(d: Mapping[str, np.ndarray]) -> dict[str, list[list[float]]]:
    return {k: np.asarray(v).tolist() for k, v in d.items()}


def week_to_json(week: Week) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "bpdrill_version": week.version,
        "created": week.created,
        "title": week.title,
        "seed": week.seed,
        "asked": list(week.asked),
        "options": dict(week.options),
        "roster": dict(week.roster),
        "students": [
            {
                "id": s.id,
                "name": s.name,
                "file": s.file,
                "variant": s.variant,
                "columns": dict(s.columns),
                "problems": [
                    {
                        "problem": sp.problem.to_json(),
                        "answers": _matrices(sp.answers),
                        "tolerances": _matrices(sp.tolerances),
                    }
                    for sp in s.problems
                ],
            }
            for s in week.students
        ],
    }


def _frozen_map(d: Any, where: str) -> Mapping[str, np.ndarray]:
    if not isinstance(d, dict):
        raise RecordError(f"{where}: expected an object of matrices")
    return MappingProxyType({k: frozen_array(v) for k, v in d.items()})


def week_from_json(data: Any) -> Week:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise RecordError("not a bpdrill week record")
    if data.get("format_version") != FORMAT_VERSION:
        raise RecordError(f"record format version {data.get('format_version')} is not supported")
    try:
        students = []
        for i, s in enumerate(data["students"]):
            where = f"students[{i}]"
            problems = []
            for k, p in enumerate(s["problems"]):
                try:
                    problem = parse_problem(p["problem"], f"{where}.problems[{k}].problem: ")
                except ProblemError as e:
                    raise RecordError(str(e)) from None
                problems.append(
                    StudentProblem(
                        problem,
                        _frozen_map(p["answers"], f"{where}.problems[{k}].answers"),
                        _frozen_map(p["tolerances"], f"{where}.problems[{k}].tolerances"),
                    )
                )
            students.append(
                Student(
                    id=str(s["id"]),
                    name=str(s.get("name", "")),
                    file=str(s["file"]),
                    variant=str(s.get("variant", "")),
                    columns=MappingProxyType(dict(s.get("columns", {}))),
                    problems=tuple(problems),
                )
            )
        return Week(
            title=str(data.get("title", "")),
            seed=str(data.get("seed", "")),
            asked=tuple(data["asked"]),
            options=MappingProxyType(dict(data.get("options", {}))),
            roster=MappingProxyType(dict(data.get("roster", {}))),
            students=tuple(students),
            version=str(data.get("bpdrill_version", "")),
            created=str(data.get("created", "")),
        )
    except (KeyError, TypeError, ValueError) as e:
        if isinstance(e, RecordError):
            raise
        raise RecordError(f"damaged record: {type(e).__name__}: {e}") from None


# ---- the edge: files ----

def read_week(folder: Path) -> Week:
    path = Path(folder) / RECORD_FILE
    if not path.is_file():
        raise RecordError(f"{folder}: not a week's folder (no {RECORD_FILE}; make one with 'bpdrill generate')")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise RecordError(f"{path}: cannot read the record: {e}") from None
    try:
        return week_from_json(data)
    except RecordError as e:
        raise RecordError(f"{path}: {e}") from None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_output(path: Path) -> Iterator[BinaryIO]:
    """A binary file that replaces ``path`` whole when the block ends, or not at all.

    Written as a temporary file in the same folder, then renamed; it gets the usual permissions
    (0666 less the umask), not mkstemp's owner-only 0600."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text_atomic(path: Path, text: str) -> None:
    """Write a UTF-8 text file whole or not at all (:func:`atomic_output`)."""
    with atomic_output(path) as f:
        f.write(text.encode("utf-8"))


_JSON = json.JSONEncoder(ensure_ascii=False).encode  # made once: json.dumps(..., ensure_ascii=False) makes one per call


def dumps_record(data: Any, indent: str = "") -> str:
    """JSON for people: objects indented, each number list or matrix on one line.

    (json.dumps with indent= puts every number on its own line and is slow on a large class.)"""
    inner = indent + " "
    if isinstance(data, dict) and data:
        if not any(map(_opened, data.values())):  # e.g. a problem's answers: one call of the C encoder
            flat = _JSON(data)
            if flat.count(', "') == len(data) - 1:  # each ', "' starts a key (none is inside a value)
                return "{\n" + inner + flat[1:-1].replace(', "', ',\n' + inner + '"') + "\n" + indent + "}"
        items = (f"{inner}{_JSON(k)}: {dumps_record(v, inner)}" for k, v in data.items())
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    if _opened(data):
        return "[\n" + ",\n".join(inner + dumps_record(v, inner) for v in data) + "\n" + indent + "]"
    return _JSON(data)


def _opened(data: Any) -> bool:
    """Does :func:`dumps_record` spread ``data`` over several lines (an object, or a list with one)?"""
    return bool(data) and (isinstance(data, dict) or (isinstance(data, list) and dict in map(type, data)))


def write_week(folder: Path, week: Week) -> Path:
    path = Path(folder) / RECORD_FILE
    write_text_atomic(path, dumps_record(week_to_json(week)) + "\n")
    return path
