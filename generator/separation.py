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
from functools import lru_cache
from typing import Callable, Mapping

import numpy as np

from .solver import Kind, Solution, kind_of, shapes_of
from .activations import ACTIVATIONS, Activation
from .steps import plan

_EXACT = 16 * np.finfo(float).eps  # relative: what still counts as the very same number
_ZERO = 1e-15


@dataclass(frozen=True)
class Hidden:
    """A mistake that some entries of one quantity cannot tell from the right value."""

    key: str  # the mistake's code
    quantity: str  # e.g. "W1_new"
    entries: int  # how many of its entries
    exact: bool  # it gives exactly the right value there (else: within the entries' tolerance)


@dataclass(frozen=True)
class _Pairs:
    """The (step, applicable same-shape mistake) pairs of one kind of network, in the plan's order:
    the same for every draft, so laid out once (:func:`_pairs`)."""

    rows: tuple[tuple[str, str], ...]  # (code, quantity) of each block of entries
    starts: np.ndarray  # where each block starts
    blocks: tuple[tuple[Callable, Activation, tuple[tuple[str, str], ...]], ...]  # (mistake's fn, activation, (argument, quantity)…)
    varies: np.ndarray  # per entry: not a constant the step gives whatever its inputs (the 1 of X^[l])


@lru_cache(maxsize=64)
def _pairs(kind: Kind) -> _Pairs:
    """The pairs of a ``kind`` of network (:func:`~generator.solver.kind_of`). Shapes and constant
    entries are found at generic points (values in (0.2, 0.8)): they do not depend on the values."""
    sizes, acts, loss = kind
    shapes = shapes_of(kind)
    rng = np.random.default_rng(0)
    values = {q: rng.uniform(0.2, 0.8, shape) for q, shape in shapes.items()}
    rows, blocks, constant = [], [], []
    with np.errstate(all="ignore"):
        for step in plan(len(sizes) - 1, loss):
            act = acts[step.layer - 1]
            for m in step.mistakes(act):
                if np.shape(step.compute_mistake(m, act, values)) != shapes[step.name]:
                    continue
                at = [np.asarray(step.compute(act, {q: rng.uniform(0.2, 0.8, shapes[q]) for q in step.args.values()}))
                      for _ in range(2)]
                args = {**step.args, **(m.uses(step.layer) if m.uses else {})}
                rows.append((m.key, step.name))
                blocks.append((m.fn, ACTIVATIONS[act], tuple(args.items())))
                constant.append((at[0] == at[1]).ravel())
    sizes_of_blocks = [c.size for c in constant]
    return _Pairs(tuple(rows), np.cumsum([0] + sizes_of_blocks[:-1]).astype(int), tuple(blocks),
                  ~np.concatenate(constant) if constant else np.zeros(0, dtype=bool))


@dataclass(frozen=True)
class Separation:
    """Every (entry, applicable same-shape mistake) pair of a solution, flattened into vectors: one
    numpy pass judges them all (the sampler judges thousands of drafts)."""

    rows: tuple[tuple[str, str], ...]  # (code, quantity) of each block of entries
    starts: np.ndarray  # where each block starts
    exact: np.ndarray  # the mistake gives exactly the right value
    near: np.ndarray  # … or lands within the entry's tolerance

    @property
    def unresolved(self) -> int:
        """How many pairs land within the entry's tolerance without being exactly right."""
        return int(self.near.sum())

    def of(self, i: int) -> Separation:
        """Problem i's, out of a stack's (:func:`stacked_separation`)."""
        return Separation(self.rows, self.starts, self.exact[i], self.near[i])

    def hidden(self) -> tuple[Hidden, ...]:
        """The mistakes some entries cannot tell from the right value: exactly equal there, or within tolerance."""
        if not self.rows:
            return ()
        counts = {True: np.add.reduceat(self.exact, self.starts), False: np.add.reduceat(self.near, self.starts)}
        return tuple(Hidden(key, name, int(counts[is_exact][i]), is_exact)
                     for i, (key, name) in enumerate(self.rows) for is_exact in (True, False) if counts[is_exact][i])


def separation(solution: Solution, tolerances: Mapping[str, np.ndarray]) -> Separation:
    """Every applicable mistake of every entry of ``solution``, judged against ``tolerances``."""
    return stacked_separation(kind_of(solution.problem), {**solution.problem.givens(), **solution.values}, tolerances)


def stacked_separation(kind: Kind, values: Mapping[str, np.ndarray], tolerances: Mapping[str, np.ndarray]) -> Separation:
    """:func:`separation` from the values, givens included, of a problem of this ``kind``, or of each
    of a stack of them (:func:`~generator.solver.stacked_values`; then ``exact`` and ``near`` have a
    row per problem, and :meth:`Separation.of` picks one out)."""
    pairs = _pairs(kind)
    lead = np.shape(values["y"])[:-2]
    if not pairs.rows:
        empty = np.zeros(lead + (0,), dtype=bool)
        return Separation((), pairs.starts, empty, empty)

    def flat(a: np.ndarray) -> np.ndarray:
        return np.reshape(a, lead + (-1,))

    with np.errstate(all="ignore"):
        wrong = np.concatenate([flat(np.asarray(fn(act, **{a: values[q] for a, q in args}), dtype=float))
                                for fn, act, args in pairs.blocks], axis=-1)
        right = np.concatenate([flat(values[name]) for _, name in pairs.rows], axis=-1)
        tol = np.concatenate([flat(np.asarray(tolerances[name])) for _, name in pairs.rows], axis=-1)
        diff = np.abs(wrong - right)
        exact = ((diff <= _EXACT * (np.abs(wrong) + np.abs(right))) | (diff <= _ZERO)) & pairs.varies
        near = ~exact & ~(diff > tol) & pairs.varies
    return Separation(pairs.rows, pairs.starts, exact, near)


def unresolved(solution: Solution, tolerances: Mapping[str, np.ndarray]) -> int:
    """How many (entry, applicable mistake) pairs land within the entry's tolerance without being
    exactly right: 0 when every entry tells the right value from each mistake."""
    return separation(solution, tolerances).unresolved


def hidden_mistakes(solution: Solution, tolerances: Mapping[str, np.ndarray]) -> tuple[Hidden, ...]:
    """The mistakes some entries cannot tell from the right value: exactly equal there, or within tolerance."""
    return separation(solution, tolerances).hidden()
