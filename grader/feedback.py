"""Stage 6b: feedback for each student — expected vs submitted for every asked quantity, in the
seed's notation (``generator.notation``), with what went wrong (``grader.diagnose``).

``feedback_html`` is pure (a result in, a self-contained HTML page out, autoescaped);
``write_feedback`` writes ``feedback/<file>.html`` (or ``.pdf`` through weasyprint).
"""

from __future__ import annotations

import multiprocessing
import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Sequence

from markupsafe import Markup, escape

from generator import notation
from generator.formats import fmt_number
from generator.record import Week, write_text_atomic
from generator.render import TEMPLATES, PdfWriter, environment, process_pool
from generator.steps import plan

from .diagnose import CARRIED_SAYS, Diagnosis
from .exports import student_sentences
from .judge import CORRECT, INCORRECT, MISSING, EntryResult
from .results import MISSING as MISSING_STUDENT
from .results import NO_SUBMISSION, StudentResult
from .reports import grade_number

SHOWN_CHARS = 12  # a submitted number longer than this is cut in its matrix (in full on hover, or below it on paper)
PRINTED_CHARS = 10  # on paper, where a 4-column matrix must fit its column


@lru_cache(maxsize=1)
@lru_cache(maxsize=1)
def feedback_stylesheet() -> str:
    return notation.notation_css() + "\n" + (TEMPLATES / "feedback.css").read_text(encoding="utf-8")


def _cut(text: str, printed: bool = False) -> str:
    n = PRINTED_CHARS if printed else SHOWN_CHARS
    return text if len(text) <= n else text[: n - 1] + "…"


def _submitted_cell(e: EntryResult, printed: bool = False) -> Markup:
    """A submitted value, cut to fit its matrix: on screen the whole value is in its hover
    title; on paper, where nothing can be hovered, a wrong one is written out below the row (:func:`_in_full`)."""
    text = e.submitted if e.verdict != MISSING else "—"
    if printed:
        return Markup(f'<span class="n {e.verdict}">{escape(_cut(text, printed))}</span>')
    title = f"{text}: {e.note or e.verdict}" if e.verdict != MISSING else "not handed in"
    return Markup(f'<span class="n {e.verdict}" title="{escape(title)}">{escape(_cut(text))}</span>')


def _in_full(es: Sequence[EntryResult]) -> str:
    """The wrong values cut in the matrix, written out ("" when none was cut; a right value
    needs no more than its first digits)."""
    long = [f"({e.row},{e.col}) {e.submitted}" for e in es if e.verdict == INCORRECT and _cut(e.submitted, True) != e.submitted]
    return "you submitted, in full: " + "; ".join(long) if long else ""


def _diagnosis_html(d: Diagnosis, depth: int) -> Markup:
    """One sentence: a carried-forward diagnosis names the student's own values it follows from
    ("It follows correctly from your own δ[2]: the step itself is right, …")."""
    if d.kind != "carried" or not d.inputs:
        return Markup(escape(d.says))
    syms = [notation.sym(q, depth) for q in d.inputs]
    inputs = Markup(", ").join(syms[:-1]) + Markup(" and ") + syms[-1] if len(syms) > 1 else syms[0]
    return Markup(escape(CARRIED_SAYS)).format(inputs)


def _quantity_rows(result: StudentResult, number: int, printed: bool = False) -> list[dict[str, Any]]:
    sp = result.student.problems[number - 1]
    by_name: dict[str, list[EntryResult]] = {}
    for e in result.entries:
        if e.problem == number:
            by_name.setdefault(e.quantity, []).append(e)
    says = {d.quantity: _diagnosis_html(d, sp.problem.depth) for d in result.diagnoses if d.problem == number}
    rows = []
    for step in plan(sp.problem.depth, sp.problem.loss):
        es = by_name.get(step.name)
        if not es:
            continue
        shape = sp.answers[step.name].shape
        grid = [[Markup("")] * shape[1] for _ in range(shape[0])]
        for e in es:
            grid[e.row - 1][e.col - 1] = _submitted_cell(e, printed)
        right = sum(e.verdict == CORRECT for e in es)
        notes = list(dict.fromkeys([e.note for e in es if e.note]
                                   + [f"credit set by your instructor: {e.override}" for e in es if e.override]))
        rows.append({
            "name": step.name,
            "symbol": notation.math(step.symbol),
            "formula": notation.math(step.formula),
            "expected": notation.matrix(sp.answers[step.name]),
            "submitted": notation.cells(grid),
            "right": right,
            "count": len(es),
            "earned": fmt_number(sum(e.earned for e in es), 4),
            "worth": fmt_number(sum(e.points for e in es), 4),
            "status": "ok" if right == len(es) else ("missing" if all(e.verdict == MISSING for e in es) else "wrong"),
            "says": says.get(step.name, ""),
            "notes": notes,
            "in_full": _in_full(es) if printed else "",
        })
    return rows


def feedback_context(week: Week, result: StudentResult, printed: bool = False) -> dict[str, Any]:
    problems = []
    for k, sp in enumerate(result.student.problems, start=1):
        p = sp.problem
        problems.append({
            "number": k,
            "network": "-".join(map(str, p.sizes)),
            "activations": ", ".join(layer.activation for layer in p.layers),
            "loss": "½‖y − a‖²" if p.loss == "mse" else "cross-entropy −Σ y_k log a_k",
            "c": fmt_number(p.learning_rate),
            "quantities": _quantity_rows(result, k, printed),
        })
    return {
        "title": week.title or "Backpropagation",
        "student": result.student,
        "result": result,
        # as moodle.csv says them: sentences, base names of files, without the notes on whose file it is
        # (which may name another student) and without 'no submission' under a heading that says so
        "messages": student_sentences([m for m in result.messages if not (result.status == MISSING_STUDENT
                                                                         and m == NO_SUBMISSION)], result.files),
        "adjustments": student_sentences(result.adjustments),
        "points": grade_number(result.points),  # as grades.csv and moodle.csv write it (11.375, not 11.37)
        "max_points": grade_number(result.max_points),
        "percent": grade_number(result.percent, 5),
        "problems": problems,
        "css": Markup(feedback_stylesheet()),
        "printed": printed,
    }


def feedback_html(week: Week, result: StudentResult, printed: bool = False) -> str:
    """The page (``printed``: for a PDF — values in full, no hover hints)."""
    return environment().get_template("feedback.html").render(**feedback_context(week, result, printed))


@lru_cache(maxsize=1)
def _pdf_writer() -> PdfWriter:
    """A process's PDF writer for feedback pages (they carry their own CSS), made when the first PDF is asked for."""
    return PdfWriter(css="", svg_images=False)


def _write_one(week: Week, result: StudentResult, folder: Path, kind: str) -> Path:
    html = feedback_html(week, result, printed=kind == "pdf")
    if kind == "pdf":
        path = folder / f"{result.student.file}.pdf"
        _pdf_writer().write(html, path)
    else:
        path = folder / f"{result.student.file}.html"
        write_text_atomic(path, html)
    return path


_SHARED: tuple | None = None  # (week, results, folder, kind) inherited by forked workers


def _write_slice(bounds: tuple[int, int]) -> list[str]:
    week, results, folder, kind = _SHARED  # type: ignore[misc]
    return [str(_write_one(week, r, folder, kind)) for r in results[bounds[0]:bounds[1]]]


def write_feedback(week: Week, results: Sequence[StudentResult], folder: Path, kind: str = "html",
                   jobs: int | None = None) -> list[Path]:
    """Write one feedback file per student into ``folder`` (each whole or not at all); returns the
    paths written. PDFs (``kind="pdf"``) only for students who handed in a file: a "no submission"
    page per missing student would cost seconds each and say nothing ``moodle.csv`` does not.

    Large classes are split over ``jobs`` processes of the page stack's pool (forked where the
    platform forks: they inherit the results instead of having them pickled).
    """
    global _SHARED
    folder.mkdir(parents=True, exist_ok=True)
    if kind == "pdf":
        results = [r for r in results if r.status != MISSING_STUDENT]
    jobs = jobs or os.cpu_count() or 1
    per_job = 200 if kind == "html" else 4
    if jobs < 2 or len(results) < 2 * per_job or "fork" not in multiprocessing.get_all_start_methods():
        return [_write_one(week, r, folder, kind) for r in results]
    _SHARED = (week, list(results), folder, kind)
    size = max(per_job, -(-len(results) // (4 * jobs)))
    slices = [(i, min(i + size, len(results))) for i in range(0, len(results), size)]
    try:
        with process_pool(jobs) as pool:
            return [Path(p) for chunk in pool.map(_write_slice, slices) for p in chunk]
    finally:
        _SHARED = None
