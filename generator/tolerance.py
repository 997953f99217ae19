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


def _own(value: float, propagated: float) -> float:
    """The student's own rounding of one entry: half a unit of the 4th significant digit of the
    largest value they could have computed; none for a value they get exactly (from exact
    inputs) that has at most 4 significant digits."""
    if propagated == 0.0:
        if value == 0.0:
            return 0.0
        scale = 10.0 ** (SIGNIFICANT_DIGITS - 1 - math.floor(math.log10(abs(value))))
        if abs(round(value * scale) - value * scale) <= 1e-9:
            return 0.0
    top = abs(value) + SAFETY * propagated
    return _SLACK * 0.5 * 10.0 ** (math.floor(math.log10(top)) - SIGNIFICANT_DIGITS + 1)


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


def _propagated(moves: _Moves, values: dict, errors: dict, base: np.ndarray) -> np.ndarray:
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
    values: dict[str, np.ndarray] = dict(problem.givens())
    values.update(solution.values)
    errors: dict[str, np.ndarray] = {}  # error bound of an honest 4-s.f. student, per quantity
    out: dict[str, np.ndarray] = {}
    for moves in _moves(kind_of(problem)):
        step = moves.step
        exact = np.asarray(solution[step.name], dtype=float)
        prop = _propagated(moves, values, errors, exact)
        own = np.array([_own(v, e) for v, e in zip(exact.ravel().tolist(), prop.ravel().tolist())])
        own = own.reshape(exact.shape) + moves.substeps * SUBSTEP * np.abs(exact)
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


__all__ = ["entry_tolerances", "half_unit", "round_sig", "visible_update", "SAFETY", "FLOOR", "SIGNIFICANT_DIGITS"]
