"""What many test modules share: running the CLI, small weeks on disk, reading the results.

Fixtures live in ``conftest.py``; plain helpers here (``from helpers import …``)."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path

import numpy as np

from typer.testing import CliRunner

from generator.cli import app
from generator import parse_problem, solve
from generator.record import StudentProblem, Week, asked_names, write_week
from generator.roster import RosterEntry
from generator.solver import activation_of
from grader.judge import CORRECT, INCORRECT, EntryResult
from grader.samples import exact_values, quick_week, submission_csv

NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")
DATA = Path(__file__).resolve().parent.parent / "generator" / "data"
STUDENTS = [("00123", "Ada Lovelace"), ("s2", "Bob"), ("00777", "Cy")]
# a Canvas roster: the SIS id is the student's id, Canvas's user id sits in the column "ID"
CANVAS_ROSTER = [("00123", "Nowak, Anna", "40001"), ("00456", "Kowalski, Jan", "40002"), ("02002", "Zoe Ångström", "40005")]


def invoke(runner: CliRunner, *args: str):
    """Run the bpdrill CLI in-process; returns the click Result (exit_code, stdout, stderr)."""
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def grades(out: Path) -> dict[str, dict[str, str]]:
    return {r["student_id"]: r for r in read_csv(out / "grades.csv")}


def put(folder: Path, name: str, content: str | bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def run(runner, tmp_path, *subs, extra=()):
    """``bpdrill grade tmp_path/week SUBS --out tmp_path/out --force``; the grades by id."""
    result = invoke(runner, "grade", tmp_path / "week", *subs, "--out", tmp_path / "out", "--force", *extra)
    assert result.exit_code == 0, result.output
    return grades(tmp_path / "out")


def grade_and_summary(runner, tmp_path, subs):
    """``bpdrill grade`` of ``subs`` into tmp_path/out: the grades by id and summary.txt."""
    result = invoke(runner, "grade", tmp_path / "week", subs, "--out", tmp_path / "out", "--force")
    assert result.exit_code == 0, result.output
    return grades(tmp_path / "out"), (tmp_path / "out" / "summary.txt").read_text(encoding="utf-8")


def canvas_week_in(folder: Path) -> Week:
    """Anna 00123, Jan 00456 and Zoe 02002 on a Canvas roster, written to ``folder``."""
    w = quick_week([(sid, name) for sid, name, _ in CANVAS_ROSTER], seed="qa4",
                   columns=[{"Student": name, "ID": canvas, "SIS User ID": sid} for sid, name, canvas in CANVAS_ROSTER])
    write_week(folder, w)
    return w


def perfect(week: Week, k: int = 1) -> str:
    student = week.students[k]
    return submission_csv(week, student, exact_values(student))


def squeezed(text: str) -> str:
    return "".join(text.split())  # the summary wraps long lines anywhere


def rows_under(text: str, ids: list[str]) -> str:
    """The answer rows of ``text`` with their student_id replaced, row by row, from ``ids`` (cycled)."""
    head, *rows = text.splitlines()
    return "\n".join([head] + [ids[n % len(ids)] + "," + row.split(",", 1)[1] for n, row in enumerate(rows)]) + "\n"


def boxes_in(html: str) -> int:
    """Answer boxes drawn by grid(): closed subpaths of its boxes path."""
    return sum(d.count("z") for d in re.findall(r'class="boxes" d="([^"]*)"', str(html)))


def student_problem(obj) -> StudentProblem:
    """A problem object solved into a record's student problem (tolerances 1e-6)."""
    p = parse_problem(obj)
    s = solve(p)
    return StudentProblem(p, dict(s.values), {k: np.full(v.shape, 1e-6) for k, v in s.values.items()})


def numbers(text: str) -> list[float]:
    return [float(t) for t in NUMBER.findall(text)]


def found(v: float, pool: list[float], rel: float = 1e-6) -> bool:
    return any(abs(t - v) <= rel * max(abs(v), 1e-12) for t in pool)


def entries_of(values: dict[str, np.ndarray], answers: dict[str, np.ndarray], tol: dict[str, np.ndarray]):
    """Judged entries of problem 1 for ``values`` against ``answers`` within ``tol``."""
    out = []
    for name, m in values.items():
        for (i, j), v in np.ndenumerate(np.asarray(m)):
            e, t = float(answers[name][i, j]), float(tol[name][i, j])
            verdict = CORRECT if abs(v - e) <= t else INCORRECT
            out.append(EntryResult(1, name, i + 1, j + 1, e, t, repr(float(v)), float(v), verdict,
                                   float(verdict == CORRECT), 1.0))
    return out


def roster(n: int, start: int = 0) -> list[RosterEntry]:
    return [RosterEntry(f"s{k:04d}", f"Student {k}", {}, k + 2) for k in range(start, start + n)]


def blind_spots(week):
    """Every (student, quantity, code, exactly right?) where an asked entry cannot tell a mistake from the right value."""
    out = set()
    for s in week.students:
        for sp in s.problems:
            problem = sp.problem
            values = {**problem.givens(), **sp.answers}
            for step in solve(problem).steps:
                if step.name not in asked_names(sp.answers, week.asked):
                    continue
                act = activation_of(problem, step.layer)
                right, tol = np.asarray(sp.answers[step.name]), np.asarray(sp.tolerances[step.name])
                for m in step.mistakes(act):
                    wrong = np.asarray(step.compute_mistake(m, act, values), dtype=float)
                    if wrong.shape != right.shape:
                        continue
                    constant = np.zeros(right.shape, dtype=bool)
                    constant[0, 0] = step.family == "X"  # the constant 1 of X: no one's mistake
                    blind = ~(np.abs(wrong - right) > tol) & ~constant
                    close = np.isclose(wrong, right, rtol=1e-12, atol=1e-15)
                    out |= {(s.id, step.name, m.key, exact) for exact in (True, False)
                            if np.any(blind & (close if exact else ~close))}
    return out


def listed(lines: list[str]) -> set[tuple[str, str]]:
    """(quantity, code) pairs named by undetectable_mistakes' lines."""
    out = set()
    for line in lines:
        head, _, codes = line.partition(": ")
        quantity = head[head.index("(") + 1:head.index(")")]
        out |= {(quantity, c.split(" (")[0]) for c in codes.split(", ")}
    return out


def zip_bytes(entries: dict[str, bytes | str]) -> bytes:
    """A zip holding ``entries`` (name → content), as an LMS download."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return buf.getvalue()
