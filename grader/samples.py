"""Sample data: what students hand in, built from a week's record (the demo's and the tests' data).

- values: :func:`hand_work` (every step rounded by hand and carried on), :func:`exact_values`,
  :func:`no_update` (the typical mistake of not updating the weights), :func:`planted` (one
  catalogued mistake, carried on; :func:`plantable` lists those a problem can show);
- files: :func:`submission_csv` (a filled-in answer template, also as a European Excel export),
  :func:`answer_workbook` (the Excel answer workbook typed in), :func:`write_submissions` (the
  demo's: perfect, hand work, European Excel, a mistake, a Canvas zip with a late resubmission, an
  unreadable file, a student who handed in nothing);
- weeks: :func:`quick_week`, a week straight from the sampler (no roster file, no folder);
  :data:`ROSTER_CSV`, the demo's roster.
"""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from pathlib import Path
from typing import Callable

import numpy as np

from generator.answers import build_answer_workbook, template_rows
from generator.record import Student, StudentProblem, Week, asked_entries
from generator.sampler import SampleOptions, sample_solution
from generator.solver import activation_of, solve
from generator.steps import DEFAULT_ASKED, plan
from generator.tolerance import entry_tolerances, round_sig

ROSTER_CSV = """\
SIS User ID,Student,Email,Section
00123,Ada Lovelace,ada@example.edu,A
00124,Alan Turing,alan@example.edu,A
00200,Kurt Gödel,kurt@example.edu,B
00201,Grace Hopper,grace@example.edu,B
00202,Emmy Noether,emmy@example.edu,A
00203,John von Neumann,john@example.edu,B
s-0042,Katherine Johnson,katherine@example.edu,A
"""
TITLE = "Week 1 (demo): one step of backpropagation"
SEED = "bpdrill-demo"
MARKER = ".bpdrill-demo"


# ---- values a student would hand in ----

def hand_work(student: Student, k: int, digits: int = 4) -> dict[str, np.ndarray]:
    """Walk the plan rounding every result to ``digits`` significant digits and carrying it on."""
    problem = student.problems[k].problem
    values = dict(problem.givens())
    for step in plan(problem.depth, problem.loss):
        values[step.name] = round_sig(step.compute(activation_of(problem, step.layer), values), digits)
    return values


def submission_csv(week: Week, student: Student, values: Callable[[int], dict[str, np.ndarray]],
                   delimiter: str = ",", decimal_comma: bool = False, student_id: str | None = None) -> str:
    """A filled-in answer template: student_id,problem,quantity,row,col,value for every asked entry."""

    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n" if decimal_comma else "\n")
    w.writerow(["student_id", "problem", "quantity", "row", "col", "value"])
    cache: dict[int, dict[str, np.ndarray]] = {}
    for k, name, i, j in asked_entries(week, student):
        vals = cache.setdefault(k, values(k - 1))
        text = repr(float(vals[name][i - 1, j - 1]))
        if decimal_comma:
            text = text.replace(".", ",")
        w.writerow([student.id if student_id is None else student_id, k, name, i, j, text])
    return buf.getvalue()


def answer_workbook(week: Week, student: Student, values: Callable[[int], dict[str, np.ndarray]]) -> bytes:
    """The student's Excel answer workbook (as ``generate --xlsx`` writes it) with the values typed in."""
    wb = build_answer_workbook(template_rows(week, student), week.title)
    cache: dict[int, dict[str, np.ndarray]] = {}
    for row in wb["answers"].iter_rows(min_row=2):
        k, name, i, j = (c.value for c in row[1:5])
        row[5].value = float(cache.setdefault(k, values(k - 1))[name][i - 1, j - 1])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def planted(problem, name: str, key: str) -> dict[str, np.ndarray]:
    """A student's work with one mistake: right up to ``name``, which they compute the ``key`` way,
    then every later step right from their own values (error carried forward)."""
    values = dict(problem.givens())
    for step in plan(problem.depth, problem.loss):
        act = activation_of(problem, step.layer)
        if step.name == name:
            mistake = next(m for m in step.mistakes(act) if m.key == key)
            values[step.name] = np.asarray(step.compute_mistake(mistake, act, values), dtype=float)
        else:
            values[step.name] = np.asarray(step.compute(act, values), dtype=float)
    return values


def plantable(problem):
    """(quantity, code) of every mistake of every step that makes some entry wrong on ``problem``."""
    sol = solve(problem)
    tol = entry_tolerances(sol)
    values = {**problem.givens(), **sol.values}
    for step in sol.steps:
        for m in step.mistakes(activation_of(problem, step.layer)):
            wrong = np.asarray(step.compute_mistake(m, activation_of(problem, step.layer), values))
            if wrong.shape == sol[step.name].shape and np.any(np.abs(wrong - sol[step.name]) > tol[step.name]):
                yield step.name, m.key


def exact_values(student: Student) -> Callable[[int], dict[str, np.ndarray]]:
    return lambda k: dict(student.problems[k].answers)


def no_update(student: Student) -> Callable[[int], dict[str, np.ndarray]]:
    """The typical mistake: W̃ = W (the weights were not updated)."""
    def values(k: int) -> dict[str, np.ndarray]:
        out = dict(student.problems[k].answers)
        for l, layer in enumerate(student.problems[k].problem.layers, start=1):
            out[f"W{l}_new"] = layer.W
        return out
    return values


# ---- the week ----

def quick_week(students: list[tuple[str, str]], seed: str = SEED, problems: list | None = None,
               title: str = TITLE, columns: list[dict] | None = None) -> Week:
    """A week built straight from the sampler (or fixed ``problems``) and the record's dataclasses,
    for tests that need a week fast."""

    out = []
    for n, (sid, name) in enumerate(students):
        rng = np.random.default_rng(int.from_bytes(hashlib.sha256(f"{seed}/{sid}".encode()).digest()[:8], "little"))
        sols = [solve(p) for p in problems] if problems else [sample_solution(rng, SampleOptions())]
        sps = tuple(StudentProblem(sol.problem, dict(sol.values), entry_tolerances(sol)) for sol in sols)
        safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in sid) or f"student{n}"
        out.append(Student(sid, name, safe, f"{n:03d}", dict(columns[n]) if columns else {}, sps))
    return Week(title, seed, DEFAULT_ASKED, {"layers": [2, 2, 2]}, {"id_column": "id"}, tuple(out))


# ---- the submissions ----

def write_submissions(week: Week, folder: Path) -> dict[str, str]:
    """Sample submissions of several kinds; returns student id → what they handed in."""
    folder.mkdir(parents=True, exist_ok=True)
    s = list(week.students)
    kinds: dict[str, str] = {}

    def put(name: str, text: str | bytes, student: Student, kind: str) -> None:
        data = text.encode("utf-8") if isinstance(text, str) else text
        (folder / name).write_bytes(data)
        kinds[student.id] = kind

    put(f"{s[0].file}.csv", submission_csv(week, s[0], exact_values(s[0])), s[0], "perfect (full precision)")
    put(f"{s[1].file}.xlsx", answer_workbook(week, s[1], lambda k: hand_work(s[1], k)), s[1],
        "hand work rounded to 4 significant digits, in the Excel answer workbook")
    euro = submission_csv(week, s[2], lambda k: hand_work(s[2], k, 6), delimiter=";", decimal_comma=True,
                          student_id=s[2].id.lstrip("0") or s[2].id)
    put("Hausaufgabe.csv", ("sep=;\r\n" + euro).encode("cp1252"), s[2],
        "European Excel: semicolons, decimal commas, cp1252, id without its leading zeros")
    put(f"{s[3].file}.csv", submission_csv(week, s[3], no_update(s[3])), s[3], "typical mistake: weights not updated")
    # a Canvas bulk download: a first attempt with a mistake, then a corrected resubmission after the deadline
    canvas = folder / "canvas-submissions.zip"
    with zipfile.ZipFile(canvas, "w", zipfile.ZIP_DEFLATED) as z:
        last = s[4].name.split()[-1].lower()
        z.writestr(f"{last}_51234_900001_answers.csv", submission_csv(week, s[4], no_update(s[4])))
        z.writestr(f"{last}_late_51234_900002_answers-1.csv", submission_csv(week, s[4], lambda k: hand_work(s[4], k)))
    kinds[s[4].id] = "Canvas zip: a first try, then a corrected resubmission marked late (_late_…-1.csv)"
    put(f"{s[5].file}.csv", b"%PDF-1.4\n\x00\x01\x02 binary, not a CSV \x00\xff", s[5], "unreadable (a PDF saved as .csv)")
    for student in s[6:]:
        kinds[student.id] = "nothing (missing)"
    return kinds
