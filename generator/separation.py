"""Problems that tell every mistake apart (pure).

A problem is only worth handing out if every catalogued mistake (``generator.steps.Mistake``) that
applies to an entry, made from the correct inputs, lands outside that entry's stored tolerance:
else a student's misconception scores as correct there. :func:`mistakes_apart` says whether a
solved problem does so; the sampler rejects drafts that do not (sampler 3 on).

A mistake can give *exactly* the right value by construction — an input of 0 leaves its column
of W̃ unchanged however the update is (mis)computed, φ′(a) = φ′(net) for ReLU, c = 1 makes
forgetting the learning rate harmless. No draft could tell those apart, so they are not rejected
but collected (:class:`Hidden`) and listed once when the week is generated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np

from .solver import Solution, activation_of

_EXACT = 16 * np.finfo(float).eps  # relative: what still counts as the very same number
_ZERO = 1e-15


@dataclass(frozen=True)
class Hidden:
    """A mistake that some entries of one quantity cannot tell from the right value."""

    key: str  # the mistake's code
    quantity: str  # e.g. "W1_new"
    entries: int  # how many of its entries
    exact: bool  # it gives exactly the right value there (else: within the entries' tolerance)


_CONSTANT: dict[tuple, np.ndarray] = {}


def _constant(step, act: str, values: Mapping[str, np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
    """Entries a step gives the same value whatever its inputs (the constant 1 of X^[l]): no mistake
    can show there. Found once per step, activation and shape, at two generic points, and cached."""
    key = (step.name, act, shape)
    if key not in _CONSTANT:
        rng = np.random.default_rng(0)
        at = [np.asarray(step.compute(act, {q: rng.uniform(0.2, 0.8, np.shape(values[q])) for q in step.args.values()}))
              for _ in range(2)]
        _CONSTANT[key] = (at[0] == at[1]).ravel()
    return _CONSTANT[key]


@dataclass(frozen=True)
class _Table:
    """Every (entry, applicable same-shape mistake) pair of a solution, flattened into vectors: one
    numpy pass judges them all (the sampler judges thousands of drafts)."""

    rows: tuple[tuple[str, str], ...]  # (code, quantity) of each block of entries
    starts: np.ndarray  # where each block starts
    exact: np.ndarray  # the mistake gives exactly the right value
    near: np.ndarray  # … or lands within the entry's tolerance


def _table(solution: Solution, tolerances: Mapping[str, np.ndarray]) -> _Table:
    problem = solution.problem
    values = {**problem.givens(), **solution.values}
    rows, wrongs, rights, tols, fixed = [], [], [], [], []
    with np.errstate(all="ignore"):
        for step in solution.steps:
            act = activation_of(problem, step.layer)
            mistakes = step.mistakes(act)
            if not mistakes:
                continue
            right = np.asarray(solution[step.name])
            for m in mistakes:
                wrong = np.asarray(step.compute_mistake(m, act, values), dtype=float)
                if wrong.shape != right.shape:
                    continue
                rows.append((m.key, step.name))
                wrongs.append(wrong.ravel())
                rights.append(right.ravel())
                tols.append(np.asarray(tolerances[step.name]).ravel())
                fixed.append(_constant(step, act, values, right.shape))
        if not rows:
            empty = np.zeros(0, dtype=bool)
            return _Table((), np.zeros(0, dtype=int), empty, empty)
        wrong, right, tol, constant = (np.concatenate(v) for v in (wrongs, rights, tols, fixed))
        diff = np.abs(wrong - right)
        exact = ((diff <= _EXACT * (np.abs(wrong) + np.abs(right))) | (diff <= _ZERO)) & ~constant
        near = ~exact & ~(diff > tol) & ~constant
    starts = np.cumsum([0] + [len(w) for w in wrongs[:-1]])
    return _Table(tuple(rows), starts, exact, near)


def unresolved(solution: Solution, tolerances: Mapping[str, np.ndarray]) -> int:
    """How many (entry, applicable mistake) pairs land within the entry's tolerance without being
    exactly right: 0 when every entry tells the right value from each mistake."""
    return int(_table(solution, tolerances).near.sum())


def hidden_mistakes(solution: Solution, tolerances: Mapping[str, np.ndarray]) -> tuple[Hidden, ...]:
    """The mistakes some entries cannot tell from the right value: exactly equal there, or within tolerance."""
    t = _table(solution, tolerances)
    if not t.rows:
        return ()
    counts = {True: np.add.reduceat(t.exact, t.starts), False: np.add.reduceat(t.near, t.starts)}
    return tuple(Hidden(key, name, int(counts[is_exact][i]), is_exact)
                 for i, (key, name) in enumerate(t.rows) for is_exact in (True, False) if counts[is_exact][i])
