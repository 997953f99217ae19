"""Per-entry tolerances, computed when a week is generated and stored in its record.

The default tolerance follows honest hand work: a student who rounds every intermediate to
4 significant digits and carries the rounded values on. For each step of ``plan()`` (in the
seed's order) we bound how far such a student's value can be from the exact one:

- the error each computed input already carries, pushed through the step (linearized worst
  case: every input entry is moved by its own bound, one at a time, through the step's own
  function, and the absolute changes are added up — so sums that cancel keep the absolute
  error of their terms, not a relative one);
- plus the rounding of the step's own result to 4 significant digits (half a unit of the 4th
  significant digit, taken at the largest value the student could have computed).

- plus the results a person rounds inside the step (φ′(net) before multiplying it into δ; e^(−net)
  for the sigmoid; each e^(net_i) and their sum for softmax): at most 5·10⁻⁴ of the value each.

The tolerance of an entry is ``own rounding + SAFETY × propagated error + FLOOR``: the safety
factor covers the sub-steps the plan does not list (products rounded before they are summed,
φ′ taken from a rounded a as in the seed's remark 3), the floor covers exact zeros. Given
values (x, W, y, c) are exact. For an updated weight W̃ = W − c·∂L/∂W the tolerance is about
one half-unit of W̃'s 4th significant digit, and where the update is visible (at least 3
half-units; the generator makes every update that large) it is capped at half the update, so no
update, a wrong-sign update or a forgotten learning rate is always told apart — also in deep
networks, where the propagated bound alone can exceed the update.

Pure and fast: one pass over the plan with a few small numpy calls per input entry.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Mapping

import numpy as np

from .activations import ACTIVATIONS, Activation
from .solver import Kind, Solution, kind_of, shapes_of
from .steps import PlannedStep, plan

SIGNIFICANT_DIGITS = 4
SAFETY = 2.0
FLOOR = 1e-6
_SLACK = 1.001  # rounding slack on the student's own half-unit
SUBSTEP = 5e-4 * _SLACK  # a result rounded to 4 significant digits is off by at most 5·10⁻⁴ of itself


def _exponent(ax: np.ndarray) -> np.ndarray:
    """floor(log10 |x|), 0 where x is 0 (no warnings)."""
    return np.floor(np.log10(ax, out=np.zeros_like(ax), where=ax > 0))


def half_unit(x: np.ndarray, digits: int = SIGNIFICANT_DIGITS) -> np.ndarray:
    """Half a unit in the ``digits``-th significant digit of each |x| (0 where x is 0)."""
    ax = np.abs(np.asarray(x, dtype=float))
    return np.where(ax > 0, 0.5 * 10.0 ** (_exponent(ax) - digits + 1), 0.0)


def round_sig(x: np.ndarray, digits: int = SIGNIFICANT_DIGITS) -> np.ndarray:
    """Each entry rounded to ``digits`` significant digits (half away from zero, as by hand)."""
    x = np.asarray(x, dtype=float)
    ax = np.abs(x)
    scale = 10.0 ** (digits - 1 - _exponent(ax))
    return np.sign(x) * np.floor(ax * scale + 0.5) / scale


_LOWEST_POWER = -400  # 10^k for k from here on: every k a double's own rounding can need
_POWERS = np.array([10.0 ** k if k < 309 else math.inf for k in range(_LOWEST_POWER, -_LOWEST_POWER)])


def _power(k: np.ndarray) -> np.ndarray:
    """10.0 ** k of each integer k, bit for bit as Python computes it (numpy's ** need not be)."""
    return _POWERS[k - _LOWEST_POWER]


def _decade(ax: np.ndarray) -> np.ndarray:
    """math.floor(math.log10(x)) of each x > 0, as integers: numpy's log10 where no power of ten is
    near (any two log10s agree on the floor there), Python's own where one is — bit for bit the
    same as one entry at a time."""
    k = np.floor(np.log10(ax)).astype(int)
    with np.errstate(all="ignore"):
        mantissa = ax / _power(k)  # in [1, 10) unless x is (within rounding) a power of ten
    near = (mantissa < 1 + 1e-9) | (mantissa > 10 - 1e-8)
    if near.any():
        for i in np.flatnonzero(near):
            k.flat[i] = math.floor(math.log10(ax.flat[i]))
    return k


def _own(value: np.ndarray, propagated: np.ndarray) -> np.ndarray:
    """The student's own rounding of each entry: half a unit of the 4th significant digit of the
    largest value they could have computed; none for a value they get exactly (from exact
    inputs) that has at most 4 significant digits."""
    top = np.abs(value) + SAFETY * propagated
    zero = top == 0.0
    digit = _decade(np.where(zero, 1.0, top))
    own = _SLACK * 0.5 * _power(digit - SIGNIFICANT_DIGITS + 1)
    given = propagated == 0.0
    if given.any():  # from exact inputs, so top is |value|
        scaled = value * _power(SIGNIFICANT_DIGITS - 1 - digit)
        zero |= given & (np.abs(np.rint(scaled) - scaled) <= 1e-9)
    return np.where(zero, 0.0, own)


def _groups(step: PlannedStep, act: Activation, shapes: dict[str, tuple[int, ...]]) -> dict[str, list[np.ndarray]]:
    """For each argument, groups of its entries no output entry depends on two of.

    Entries of a group can be moved together and still give Σ_j |ΔF_ij| exactly (sparse
    Jacobian colouring). The dependency pattern is found at a generic point (all values in
    (0.2, 0.8)), once per kind of network (:func:`_moves`).
    """
    rng = np.random.default_rng(0)
    generic = {a: rng.uniform(0.2, 0.8, shape) for a, shape in shapes.items()}
    base = np.asarray(step.step.fn(act, **generic), dtype=float).reshape(-1)
    out: dict[str, list[np.ndarray]] = {}
    for arg, v in generic.items():
        deps = []
        for k in range(v.size):
            moved = dict(generic)
            moved[arg] = v.copy()
            moved[arg].reshape(-1)[k] += 1e-3
            change = np.asarray(step.step.fn(act, **moved), dtype=float).reshape(-1) - base
            deps.append(set(np.flatnonzero(change != 0).tolist()))
        groups: list[list[int]] = []
        used: list[set[int]] = []
        for k, d in enumerate(deps):
            for g, u in zip(groups, used):
                if not (d & u):
                    g.append(k)
                    u |= d
                    break
            else:
                groups.append([k])
                used.append(set(d))
        masks = []
        for g in groups:
            m = np.zeros(v.size, dtype=bool)
            m[g] = True
            masks.append(m.reshape(v.shape))
        out[arg] = masks
    return out


@dataclass(frozen=True)
class _Moves:
    """How one step of a kind of network is judged: its activation, its hand roundings, and for
    each argument that carries an error (a computed quantity) the groups of entries moved together
    (None: all of them at once)."""

    step: PlannedStep
    act: Activation
    substeps: int
    moved: tuple[tuple[str, str, tuple[np.ndarray | None, ...]], ...]  # (argument, quantity, groups)


@lru_cache(maxsize=64)
def _moves(kind: Kind) -> tuple[_Moves, ...]:
    """Every step of the plan of a ``kind`` of network (:func:`~generator.solver.kind_of`), in order."""
    sizes, acts, loss = kind
    shapes = shapes_of(kind)
    computed: set[str] = set()
    out = []
    for step in plan(len(sizes) - 1, loss):
        act = ACTIVATIONS[acts[step.layer - 1]]
        groups = _groups(step, act, {arg: shapes[q] for arg, q in step.args.items()})
        moved = tuple((arg, q, tuple(None if m.all() else m for m in groups[arg]))
                      for arg, q in step.args.items() if q in computed)
        out.append(_Moves(step, act, _substeps(step, act), moved))
        computed.add(step.name)
    return tuple(out)


def _propagated(moves: _Moves, values: Mapping[str, np.ndarray], errors: dict, base: np.ndarray) -> np.ndarray:
    """Σ_j |f(inputs with entry j moved by its error) − f(inputs)| for every output entry.

    Calls the step's own function (the one definition in ``generator.steps``); givens carry
    no error. Entries that no output shares are moved together (see :func:`_groups`).
    """
    total = np.zeros(base.shape)
    if not moves.moved:
        return total
    fn, act = moves.step.step.fn, moves.act
    kwargs = {arg: values[q] for arg, q in moves.step.args.items()}
    for arg, q, groups in moves.moved:
        original = kwargs[arg]
        moved = original + errors[q]
        for mask in groups:
            kwargs[arg] = moved if mask is None else np.where(mask, moved, original)
            total += np.abs(fn(act, **kwargs) - base)
        kwargs[arg] = original
    return total


def entry_tolerances(solution: Solution) -> dict[str, np.ndarray]:
    """Absolute tolerance for every entry of every quantity of ``solution``."""
    return dict(_entry_tolerances(solution))


@lru_cache(maxsize=8)  # the sampler judges a draft by them, then the week records them: computed once
def _entry_tolerances(solution: Solution) -> dict[str, np.ndarray]:
    problem = solution.problem
    return stacked_tolerances(kind_of(problem), {**problem.givens(), **solution.values})


def stacked_tolerances(kind: Kind, values: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """:func:`entry_tolerances` from the values, givens included, of a problem of this ``kind``, or
    of each of a stack of them (:func:`~generator.solver.stacked_values`): the very same numbers."""
    errors: dict[str, np.ndarray] = {}  # error bound of an honest 4-s.f. student, per quantity
    out: dict[str, np.ndarray] = {}
    for moves in _moves(kind):
        step = moves.step
        exact = np.asarray(values[step.name], dtype=float)
        prop = _propagated(moves, values, errors, exact)
        own = _own(exact, prop) + moves.substeps * SUBSTEP * np.abs(exact)
        errors[step.name] = own + prop
        tol = own + SAFETY * prop + FLOOR
        if step.family == "W_new":
            tol = _judged_against_update(tol, values[step.args["W"]], exact)
        out[step.name] = tol
    return out


def _substeps(step: PlannedStep, act: Activation) -> int:
    """Results rounded inside the step by hand (φ′ before multiplying; e^(x_i) and Σ for softmax)."""
    return step.step.hand_roundings + (act.hand_roundings if step.family == "a" else 0)


def _judged_against_update(tol: np.ndarray, W: np.ndarray, W_new: np.ndarray) -> np.ndarray:
    """An updated weight is judged against its update: where the update is visible, the
    tolerance stays below half of it, so W̃ = W (no update), a wrong-sign update or a forgotten
    learning rate (c ≤ 0.5) is always wrong there — however loose the error propagated down a
    deep network is. Honest work still fits: its own rounding is at most a half-unit, the
    update at least 3 (the generator makes every update visible), and c times the error of an
    honest ∂L/∂W is a small fraction of the update."""
    update = np.abs(W_new - W)
    return np.where(visible_update(W, W_new), np.minimum(tol, 0.5 * update), tol)


def visible_update(W: np.ndarray, W_new: np.ndarray, halves: float = 3.0) -> np.ndarray:
    """Where |W̃ − W| is at least ``halves`` half-units of W̃'s 4th significant digit."""
    return np.abs(np.asarray(W_new) - np.asarray(W)) >= halves * half_unit(W_new) * (1 - 1e-9)


__all__ = ["entry_tolerances", "stacked_tolerances", "half_unit", "round_sig", "visible_update", "SAFETY", "FLOOR", "SIGNIFICANT_DIGITS"]
