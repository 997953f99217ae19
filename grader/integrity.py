"""The integrity check: work for another student's variant, or another week's sheet.

Each graded submission with fewer than half its entries right is compared with every key of the
week of its layout (numpy, one row per student). One that fits another student's key much better
than its own is flagged ``other-variant`` (the summary names whose); one near 0 that fits no key
and not even the student's own givens is flagged ``other-week``. Someone who got their own sheet
wrong still fits their givens (net = W·X, W̃ = W − c·∂L/∂W with their own numbers). Grades are
not changed. Pure functions over the results of :mod:`grader.pipeline`.
"""

from __future__ import annotations

from dataclasses import replace
from itertools import permutations
from typing import Sequence

import numpy as np

from generator.record import Student, Week, asked_names
from generator.solver import activation_of
from generator.steps import plan
from generator.tolerance import FLOOR

from .judge import CORRECT, EntryResult
from .results import OTHER_VARIANT, OTHER_WEEK, OtherWork, StudentResult

LOW_SHARE = 0.5  # only submissions with fewer than this share of their entries right are compared
FIT_OTHER, FIT_OWN = 0.6, 0.2  # another key fits: this share of the entries where the keys differ (own: at most)
CANDIDATES = 8  # the keys that fit most entries, compared closely
MIN_APART = 4  # … and the keys differ in at least this many entries (and a quarter of those asked)
NEAR_ZERO = 0.1  # "fits no key": at most this share right,
NUMBERS = 0.5  # at least this share of the numbers handed in not 0 (a sheet of zeros is no week's),
FITS_GIVENS, MIN_CHECKED = 0.3, 4  # and fewer than this share of ≥ MIN_CHECKED entries fit the own givens
GIVENS_RTOL, GIVENS_ATOL = 0.01, 2e-3  # a step from the givens "fits" within this (loose: own rounding passes)

Layout = tuple[tuple[int, str, tuple[int, ...]], ...]


def answer_layout(week: Week, student: Student) -> Layout:
    """The shape of what a student hands in: (problem, quantity, shape) in grading order."""
    return tuple((k, name, sp.answers[name].shape) for k, sp in enumerate(student.problems, start=1)
                 for name in asked_names(sp.answers, week.asked))


def key_table(week: Week, students: Sequence[Student]) -> tuple[np.ndarray, np.ndarray]:
    """Every student's key and its tolerances as rows (students of one layout), entries in grading
    order; the tolerances as ``judge_entry`` compares."""
    keys, tols = [], []
    for s in students:
        names = [(sp, name) for sp in s.problems for name in asked_names(sp.answers, week.asked)]
        keys.append(np.concatenate([np.ravel(sp.answers[name]) for sp, name in names]))
        tols.append(np.concatenate([np.ravel(sp.tolerances[name]) if name in sp.tolerances
                                    else np.full(sp.answers[name].size, FLOOR) for sp, name in names]))
    return np.array(keys, dtype=float), np.array(tols, dtype=float) * (1 + 1e-12) + 1e-15


def submitted_vector(entries: Sequence[EntryResult]) -> np.ndarray:
    return np.array([e.value if e.value is not None else np.nan for e in entries], dtype=float)


def best_other_key(values: np.ndarray, own: int, keys: np.ndarray, tols: np.ndarray) -> tuple[int, int, int] | None:
    """(row, fits, apart) of the key that ``values`` fit much better than row ``own``'s, or None.

    Only entries where the two keys differ count (an X's constant 1, an inactive ReLU's 0 fit
    every key alike); of those, most must fit the other key and few the own."""
    with np.errstate(invalid="ignore"):
        fit = np.abs(keys - values) <= tols
        counts = fit.sum(axis=1)
        counts[own] = -1
        # the key it was copied from fits nearly every entry: only the best few are looked at closely
        rows = np.argpartition(-counts, CANDIDATES - 1)[:CANDIDATES] if len(counts) > CANDIDATES else np.arange(len(counts))
        rows = rows[rows != own]
        apart = np.abs(keys[rows] - keys[own]) > tols[rows] + tols[own]
    n_apart = apart.sum(axis=1)
    fits, fits_own = (fit[rows] & apart).sum(axis=1), (fit[own] & apart).sum(axis=1)
    ok = (n_apart >= max(MIN_APART, values.size / 4)) & (fits >= FIT_OTHER * n_apart) & (fits_own <= FIT_OWN * n_apart)
    if not ok.any():
        return None
    best = int(np.argmax(np.where(ok, fits / np.maximum(n_apart, 1), -1.0)))
    return int(rows[best]), int(fits[best]), int(n_apart[best])


def fits_own_reordered(values: np.ndarray, key: np.ndarray, tol: np.ndarray, lay: Layout) -> bool:
    """Do ``values`` fit the student's own key with their problems in another order (problems 1
    and 2 written under each other's numbers)? Only for problems of one layout, up to 4 of them."""
    problems = sorted({k for k, _, _ in lay})
    parts = [tuple((name, shape) for k, name, shape in lay if k == p) for p in problems]
    if not 2 <= len(parts) <= 4 or len(set(parts)) != 1:
        return False
    n = values.size // len(parts)
    blocks = [slice(i * n, (i + 1) * n) for i in range(len(parts))]
    with np.errstate(invalid="ignore"):
        for order in permutations(range(len(parts))):
            if order == tuple(range(len(parts))):
                continue
            k = np.concatenate([key[blocks[j]] for j in order])
            t = np.concatenate([tol[blocks[j]] for j in order])
            if (np.abs(k - values) <= t).sum() >= FIT_OTHER * values.size:
                return True
    return False


def fits_own_givens(student: Student, entries: Sequence[EntryResult]) -> tuple[int, int]:
    """(entries that fit, entries checked) of the steps that take a given W or X^[1], each
    computed from the student's own givens and their own submitted inputs: work done on this
    sheet fits there however wrong it is elsewhere (W̃ = W − c·their ∂L/∂W), another sheet's does not."""
    fit = checked = 0
    for k, sp in enumerate(student.problems, start=1):
        problem, givens = sp.problem, sp.problem.givens()
        own: dict[str, np.ndarray] = {}  # what they handed in, NaN where nothing or not a number
        for e in entries:
            if e.problem == k and e.value is not None:
                own.setdefault(e.quantity, np.full(sp.answers[e.quantity].shape, np.nan))[e.row - 1, e.col - 1] = e.value
        values = {**givens, **own}
        telling = set(givens) - {"y", "c"}  # y is 0s and 1s and c the same for all: they fit by chance
        for step in plan(problem.depth, problem.loss):
            args = set(step.args.values())
            if step.name not in own or not args & telling or not args <= set(values):
                continue
            try:
                with np.errstate(all="ignore"):
                    computed = np.asarray(step.compute(activation_of(problem, step.layer), values), dtype=float)
                    if computed.shape != own[step.name].shape:
                        continue
                    both = np.isfinite(computed) & np.isfinite(own[step.name])
                    close = np.abs(computed - own[step.name]) <= GIVENS_RTOL * np.abs(computed) + GIVENS_ATOL
            except (ValueError, TypeError, FloatingPointError):
                continue
            fit += int((close & both).sum())
            checked += int(both.sum())
    return fit, checked


def other_work(week: Week, results: Sequence[StudentResult]) -> list[OtherWork]:
    """The integrity check of ``results`` (the graded ones): each submission with fewer than half its entries right is
    compared with every key of the week of its layout (numpy, one row per student): one that fits
    another student's key much better than its own names that student; one near 0 that fits no
    key and not even the student's own givens may be another week's sheet. Someone who got their
    own sheet wrong still fits their givens (net = W·X, W̃ = W − c·∂L/∂W with their own numbers)."""
    low = [r for r in results if r.entries
           and sum(e.verdict == CORRECT for e in r.entries) < LOW_SHARE * len(r.entries)]
    if not low:
        return []
    groups: dict[Layout, list[Student]] = {}
    layout_of: dict[str, Layout] = {}
    row_of: dict[str, int] = {}  # student id → their row in their layout's table
    for s in week.students:
        layout_of[s.id] = answer_layout(week, s)
        row_of[s.id] = len(groups.setdefault(layout_of[s.id], []))
        groups[layout_of[s.id]].append(s)
    tables: dict[Layout, tuple[np.ndarray, np.ndarray]] = {}
    out = []
    for r in low:
        lay = layout_of[r.id]
        if lay not in tables:
            tables[lay] = key_table(week, groups[lay])
        keys, tols = tables[lay]
        values = submitted_vector(r.entries)
        if values.size != keys.shape[1]:
            continue
        right = sum(e.verdict == CORRECT for e in r.entries)
        if fits_own_reordered(values, keys[row_of[r.id]], tols[row_of[r.id]], lay):
            continue  # their own problems under other numbers: their own work, nobody else's
        found = best_other_key(values, row_of[r.id], keys, tols)
        if found is not None:
            j, fits, apart = found
            out.append(OtherWork(r.id, r.files[0], values.size, right, groups[lay][j].id, fits, apart))
            continue
        given = np.isfinite(values)
        if right > NEAR_ZERO * values.size or np.count_nonzero(values[given]) < NUMBERS * given.sum():
            continue
        fit, checked = fits_own_givens(r.student, r.entries)
        if checked >= MIN_CHECKED and fit < FITS_GIVENS * checked:
            out.append(OtherWork(r.id, r.files[0], values.size, right))
    return out


OTHER_WORK_SAYS = {
    OTHER_VARIANT: "most of your numbers fit another student's problems, not yours: check that you worked your own sheet",
    OTHER_WEEK: "your numbers fit none of this week's problems: check that you handed in this week's sheet",
}


def with_other_work(results: Sequence[StudentResult], found: Sequence[OtherWork]) -> list[StudentResult]:
    """The results with the integrity check's flag and a message (naming no other student) added."""
    flag = {w.student_id: w.flag for w in found}
    return [replace(r, flags=r.flags + (flag[r.id],), messages=(OTHER_WORK_SAYS[flag[r.id]],) + r.messages)
            if r.id in flag else r for r in results]
