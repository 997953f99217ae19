"""Random problems a student can work by hand: hand-friendly and well-posed (pure).

Everything here is a pure function of a :class:`numpy.random.Generator` and the options;
no clock, no global random state, no files. :func:`sample_solution` draws a problem and
keeps it only if :func:`defects` finds nothing wrong with its solution (rejection sampling).

The rules (also in the README, "Generate a week"):

Hand-friendly numbers
  - weights: nonzero multiples of 0.05 in [−1, 1]; for layers with more than 3 inputs
    (bias included) the range narrows to about ±2/√(inputs + 1) so that nets stay moderate;
  - inputs x: multiples of 0.1 in [−1, 1], not all zero (a zero input is allowed: its
    weights then do not change, as in the worked example);
  - targets y: one-hot for softmax outputs; for sigmoid outputs each entry a multiple of
    0.1 in [0, 1];
  - the learning rate is the one asked for (default 0.1).

Well-posed (checked on the solution)
  - sigmoid and tanh units are not saturated: φ′(net) is at least a tenth of its largest
    value (sigmoid: φ′ ≥ 0.025, i.e. |net| ≲ 3.6; tanh: φ′ ≥ 0.1, i.e. |net| ≲ 1.8);
  - every δ is at least 1e-3 in absolute value, except the exact zeros of inactive ReLUs;
  - ReLU: no net near the kink (|net| ≥ 0.05) and at least one active unit per layer
    (the δ = 0 of inactive units is then part of the exercise);
  - softmax: no ties: any two outputs differ by at least 0.01;
  - every nonzero weight update is visible at 4 significant digits: |c · ∂L/∂W| is at least
    3 half-units of W̃'s 4th significant digit, i.e. ≥ 1.5 · 10^(⌊log10 |W̃|⌋ − 3).

Deep sigmoid networks (sampler 2)
  With sigmoid hidden units and 3 or more layers, drafts drawn at random almost never pass:
  φ′ ≤ 0.25 shrinks δ at every layer. So there (and only there) the draft is built to pass:
  - coherent signs: the sign of δ^[L] is known from y (a − y, with a in (0, 1)), each hidden
    layer gets random signs s^[l], and the non-bias weights of W^[l+1] get the signs
    s^[l+1]_i · s^[l]_j, so that ∂L/∂a^[l] = (W^[l+1])ᵀ δ^[l+1] adds its terms without
    cancelling; their magnitudes are large (0.6 … 0.95 for up to 3 inputs; 0.95 keeps |W̃| < 1,
    whose 4th significant digit is 10 times finer);
  - each sigmoid unit stays near its steep middle (φ′ ≥ 0.15);
  - a draft with a defect is repaired, not thrown away: the layer at fault is drawn again
    (the layer itself for a forward defect, the layer above for a small δ or update), the
    layers before it are kept; after a few repairs a fresh draft is drawn.
  The result passes every rule above (checked the same way). Other networks are drawn exactly
  as before (sampler 1): the version is part of each student's seed and of the record.

Every mistake told apart (sampler 3)
  A draft is also rejected when a catalogued mistake of some entry's step, made from the correct
  inputs, lands within the entry's stored tolerance without being exactly right
  (``generator.separation``); deep sigmoid networks are still built as in sampler 2. A week
  records its sampler, and students added to it later are drawn by that one (``version``).

Many students at once
  A week's students are drawn in rounds: one draft from each student still drawing (from their own
  generator), solved, checked and judged together on stacks of matrices, each student's accept or
  reject their own — the very problems each would get drawn alone, in a fraction of the time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Generator, Iterator, Mapping, Sequence

import numpy as np

from .activations import ACTIVATIONS
from .problem import Layer, Problem, column, frozen_array
from .separation import Hidden, Separation, stacked_separation
from .solver import Solution, activation_of, kind_of, one_of, solution_from, stacked_values
from .steps import PlannedStep, plan
from .tolerance import stacked_tolerances, visible_update
from .errors import SamplerError

HIDDEN_CHOICES = ("sigmoid", "tanh", "relu")
OUTPUT_CHOICES = ("sigmoid", "softmax")

WEIGHT_DIVISOR = 20  # weights are k / 20: nonzero multiples of 0.05 in [−1, 1]
INPUT_DIVISOR = 10  # inputs are 0 or ±k / 10 with MIN_INPUT ≤ k ≤ 10
MIN_INPUT = 5
ZERO_INPUT = 0.15  # chance of a zero input
MIN_DPHI_FRACTION = 0.1  # φ′(net) ≥ this × max φ′ (sigmoid 0.25, tanh 1)
MAX_DPHI = {"sigmoid": 0.25, "tanh": 1.0}
MIN_DELTA = 1e-3
RELU_MARGIN = 0.05
SOFTMAX_GAP = 0.01
MAX_ATTEMPTS = 5000
DEEP_DEPTH = 3  # sigmoid hidden units from this many layers on: drafts built to pass (sampler 2)
DEEP_MAX_WEIGHT = 19  # |k| ≤ 19: |W| ≤ 0.95, so |W̃| stays below 1
DEEP_LOW_FRACTION = 0.6  # coherent weights: |k| from 0.6 × the layer's largest
DEEP_MIN_DPHI = 0.6  # φ′ ≥ 0.6 × its largest in deep drafts (sigmoid 0.15: |net| ≲ 1.7)
DEEP_ACTIVATIONS = ("sigmoid",)  # tanh: drawn at random passes often enough (coherent weights saturate it)
REPAIRS_PER_LAYER = 4  # repairs of one draft before a fresh one
SEPARATION_TRIES = 8  # well-posed drafts tried for one that tells every mistake apart (sampler 3) …
DEEP_SEPARATION_TRIES = 3  # … and built deep sigmoid drafts (where W̃ in ∂L/∂X hardly ever shows)



@dataclass(frozen=True)
class SampleOptions:
    """What a random problem looks like: the network and its learning rate."""

    layers: tuple[int, ...] = (2, 2, 2)  # input, hidden…, output sizes
    hidden_activation: str = "sigmoid"
    output: str = "sigmoid"
    learning_rate: float = 0.1

    @property
    def loss(self) -> str:
        return "cross_entropy" if self.output == "softmax" else "mse"

    def to_json(self) -> dict:
        return {
            "layers": list(self.layers),
            "hidden_activation": self.hidden_activation,
            "output": self.output,
            "loss": self.loss,
            "learning_rate": self.learning_rate,
        }


def check_options(opts: SampleOptions) -> None:
    """Refuse impossible options; the message names the option (``--layers`` …)."""
    if len(opts.layers) < 2:
        raise SamplerError(f"--layers: give at least an input and an output size, got {list(opts.layers)}")
    if any(n < 1 for n in opts.layers):
        raise SamplerError(f"--layers: every size must be at least 1, got {list(opts.layers)}")
    if opts.hidden_activation not in HIDDEN_CHOICES:
        raise SamplerError(
            f"--hidden-activation: unknown activation {opts.hidden_activation!r} (use {', '.join(HIDDEN_CHOICES)})"
        )
    if opts.output not in OUTPUT_CHOICES:
        raise SamplerError(f"--output: unknown output {opts.output!r} (use {' or '.join(OUTPUT_CHOICES)})")
    if opts.output == "softmax" and opts.layers[-1] < 2:
        raise SamplerError("--output softmax: needs at least 2 output units (--layers …,2)")
    if not (isinstance(opts.learning_rate, (int, float)) and math.isfinite(opts.learning_rate)) or opts.learning_rate <= 0:
        raise SamplerError(f"--learning-rate: must be a number > 0, got {opts.learning_rate}")


def weight_limit(n_in: int) -> int:
    """Largest |weight| in steps of 0.05 for a layer with ``n_in`` inputs (plus the bias)."""
    limit = min(1.0, 2.0 / math.sqrt(n_in + 1))
    return max(4, int(limit * WEIGHT_DIVISOR + 1e-9))


@dataclass(frozen=True)
class _Layout:
    """Where each number of a problem comes from in one vector of uniform draws (per options)."""

    n_in: int
    shapes: tuple[tuple[int, int], ...]
    ends: tuple[int, ...]  # where x and each weight matrix end among the signed numbers
    low: np.ndarray  # smallest |k| of each signed number
    span: np.ndarray  # how many |k| values each may take
    divisor: np.ndarray  # number = k / divisor
    acts: tuple[str, ...]


@lru_cache(maxsize=64)
def _layout(opts: SampleOptions) -> _Layout:
    sizes = opts.layers
    shapes = tuple((sizes[l + 1], sizes[l] + 1) for l in range(len(sizes) - 1))
    low, high, div = [MIN_INPUT] * sizes[0], [INPUT_DIVISOR] * sizes[0], [INPUT_DIVISOR] * sizes[0]
    for r, c in shapes:
        low += [1] * (r * c)
        high += [weight_limit(c - 1)] * (r * c)
        div += [WEIGHT_DIVISOR] * (r * c)
    ends = tuple(np.cumsum([sizes[0]] + [r * c for r, c in shapes]).tolist())
    low_a, high_a = np.array(low), np.array(high)
    acts = (opts.hidden_activation,) * (len(sizes) - 2) + (opts.output,)
    return _Layout(sizes[0], shapes, ends, low_a, high_a - low_a + 1, np.array(div, dtype=float), acts)


def draw_problem(rng: np.random.Generator, opts: SampleOptions) -> Problem:
    """One random hand-friendly problem, not yet checked for being well-posed.

    One call of the generator per problem (speed): a vector of uniform numbers, cut into the
    signed numbers (input, then the weights layer by layer), which inputs are zero, the target.
    """
    lay = _layout(opts)
    n_signed, n_out = lay.ends[-1], opts.layers[-1]
    u = rng.random(n_signed + lay.n_in + n_out)
    i = (u[:n_signed] * 2 * lay.span).astype(int)  # uniform over 2·span cases: sign × |k|
    k = np.where(i < lay.span, -(lay.low + i), lay.low + i - lay.span)
    keep = u[n_signed : n_signed + lay.n_in] >= ZERO_INPUT
    if not keep.any():
        keep[:] = True
    k[: lay.n_in] *= keep
    values = k / lay.divisor  # k / 20 is the double nearest to the 2-decimal number (k * 0.05 is not always)
    layers = tuple(
        Layer(frozen_array(values[start:end].reshape(shape)), act)
        for start, end, shape, act in zip(lay.ends[:-1], lay.ends[1:], lay.shapes, lay.acts)
    )
    t = u[-n_out:]
    y = (np.arange(n_out) == int(t[0] * n_out)).astype(float) if opts.output == "softmax" else (t < 0.5).astype(float)
    return Problem(column(values[: lay.n_in]), column(y), layers, opts.loss, float(opts.learning_rate))


# ---- the checks, one per family, each over the values computed so far ----
# A check yields (what is wrong, where it is): one flag per problem, for a problem's matrices or a
# stack of them (the sampler judges a round of drafts, one per student, at once).

Values = Mapping[str, np.ndarray]
Flags = Iterator[tuple[str, np.ndarray]]


def _somewhere(found: np.ndarray) -> np.ndarray:
    """Is any entry of the matrix (of each matrix of a stack) flagged?"""
    return np.any(found, axis=(-2, -1))


def _check_net(act: str, l: int, v: Values) -> Flags:
    net = v[f"net{l}"]
    if act in MAX_DPHI:
        yield f"layer {l}: saturated {act} unit", _somewhere(ACTIVATIONS[act].df(net) < MIN_DPHI_FRACTION * MAX_DPHI[act])
    if act == "relu":
        yield f"layer {l}: net near the ReLU kink", _somewhere(np.abs(net) < RELU_MARGIN)
        yield f"layer {l}: no active ReLU unit", ~_somewhere(net > 0)


def _check_a(act: str, l: int, v: Values) -> Flags:
    a = v[f"a{l}"]
    if act == "softmax" and a.shape[-2] > 1:
        gaps = np.diff(np.sort(a, axis=-2), axis=-2)
        yield f"layer {l}: softmax outputs (nearly) tied", _somewhere(gaps < SOFTMAX_GAP)


def _check_delta(act: str, l: int, v: Values) -> Flags:
    small = np.abs(v[f"delta{l}"]) < MIN_DELTA
    if act == "relu":
        small &= v[f"net{l}"] > 0  # inactive units: δ = 0 exactly, part of the exercise
    yield f"layer {l}: vanishing delta", _somewhere(small)


def _check_update(act: str, l: int, v: Values) -> Flags:
    moved = v[f"dL_dW{l}"] != 0
    yield (f"layer {l}: weight update too small to see at 4 significant digits",
           _somewhere(moved & ~visible_update(v[f"W{l}"], v[f"W{l}_new"])))


Check = Callable[[str, int, Values], Flags]
CHECKS: dict[str, Check] = {
    "net": _check_net, "a": _check_a, "delta": _check_delta, "W_new": _check_update,
}


def _found(check: Check, act: str, l: int, v: Values) -> str | None:
    """What ``check`` finds wrong with one problem's values first, or None."""
    return next((what for what, flagged in check(act, l, v) if flagged), None)


def defects(solution: Solution) -> list[str]:
    """What makes a solved problem unfit for hand work (empty: fit). Pure; rules in the module doc."""
    p = solution.problem
    values = {**p.givens(), **solution.values}
    found = (_found(CHECKS[s.family], activation_of(p, s.layer), s.layer, values)
             for s in solution.steps if s.family in CHECKS)
    return [d for d in found if d]


def _first_defects(problem: Problem, values: Values, extra: Mapping[str, Check] | None = None) -> list:
    """Per problem of a stack (``values``: :func:`~generator.solver.stacked_values`; ``problem``: any
    one of them, for the plan), the first step where a check (or an ``extra`` one) finds it unfit,
    or None: fit."""
    first: list = [None] * len(values["y"])
    unchecked = np.ones(len(first), dtype=bool)
    for s in plan(problem.depth, problem.loss):
        for check in (CHECKS.get(s.family), (extra or {}).get(s.family)):
            for _, flagged in check(activation_of(problem, s.layer), s.layer, values) if check else ():
                for i in np.flatnonzero(flagged & unchecked):
                    first[i] = s
                unchecked &= ~flagged
    return first


def is_deep_sigmoid(opts: SampleOptions) -> bool:
    return opts.hidden_activation in DEEP_ACTIVATIONS and len(opts.layers) - 1 >= DEEP_DEPTH


SEPARATING = 3  # the first sampler whose drafts tell every mistake apart


def sampler_version(opts: SampleOptions) -> int:
    """Which way this bpdrill draws these options (recorded; part of each student's seed). A week
    keeps its own: 1 drew at random, 2 built deep sigmoid networks, 3 adds every mistake told apart."""
    return SEPARATING


def _builds_deep(opts: SampleOptions, version: int) -> bool:
    return is_deep_sigmoid(opts) and version >= 2


class _Separating:
    """Sampler 3's rule for well-posed drafts: accept one that tells every mistake apart; after
    ``SEPARATION_TRIES`` that do not (a mistake whose effect is below what 4-digit hand work
    resolves, e.g. W̃ for W in ∂L/∂X deep in a network, where it is c·|δ|²), the one of them with
    the fewest unresolved (entry, mistake) pairs, the first such (``best``)."""

    def __init__(self, version: int, tries: int = SEPARATION_TRIES):
        self.on, self.most = version >= SEPARATING, tries
        self.tries, self.best, self.judged, self.tolerances = 0, None, None, None

    def offer(self, solution: Solution, tolerances: Mapping[str, np.ndarray], judged: Separation) -> bool:
        """Is the well-posed draft, with its tolerances and how it separates the mistakes, accepted
        (the best so far is then the one to hand out)?"""
        if self.judged is None or judged.unresolved < self.judged.unresolved:
            self.best, self.judged, self.tolerances = solution, judged, tolerances
        self.tries += 1
        return judged.unresolved == 0 or self.tries >= self.most

    def chosen(self, solution: Solution) -> tuple[Solution, Separation | None]:
        """The solution to hand out, and how it separates the mistakes (None: not judged)."""
        return (self.best, self.judged) if self.on and self.best is not None else (solution, None)


def _check_steep(act: str, l: int, v: Values) -> Flags:
    if act in MAX_DPHI:
        yield (f"layer {l}: {act} unit off its steep middle",
               _somewhere(ACTIVATIONS[act].df(v[f"net{l}"]) < DEEP_MIN_DPHI * MAX_DPHI[act]))


def _coherent_signs(rng: np.random.Generator, y: np.ndarray, sizes: tuple[int, ...]) -> list[np.ndarray | None]:
    """Per layer, the signs of its non-bias weights (None: free): s^[l+1]_i · s^[l]_j, with s^[L]
    the sign of δ^[L] (+ where y = 0, − where y = 1) and random signs for the hidden layers."""
    depth = len(sizes) - 1
    s = {depth: np.where(y[:, 0] == 0, 1, -1)}
    for l in range(1, depth):
        s[l] = np.where(rng.random(sizes[l]) < 0.5, -1, 1)
    return [None] + [np.outer(s[l], s[l - 1]) for l in range(2, depth + 1)]


def _deep_weights(rng: np.random.Generator, shape: tuple[int, int], signs: np.ndarray | None) -> np.ndarray:
    """A weight matrix: free entries as in :func:`draw_problem`; with ``signs``, the non-bias
    entries get those signs and large magnitudes."""
    limit = weight_limit(shape[1] - 1)
    k = 1 + (rng.random(shape) * limit).astype(int)
    sign = np.where(rng.random(shape) < 0.5, -1, 1)
    if signs is not None:
        high = min(limit, DEEP_MAX_WEIGHT)
        low = math.ceil(DEEP_LOW_FRACTION * high)
        k[:, 1:] = low + (rng.random(signs.shape) * (high - low + 1)).astype(int)
        sign[:, 1:] = signs
    return frozen_array(sign * k / WEIGHT_DIVISOR)


DEEP_CHECKS = {"net": _check_steep}


def _random_drafts(rng: np.random.Generator, opts: SampleOptions, most: int) -> Drafts:
    """Drafts drawn at random (sampler 1, and sampler 3 but for deep sigmoid networks), ``most`` of them."""
    for _ in range(most):
        yield draw_problem(rng, opts)


def _deep_drafts(rng: np.random.Generator, opts: SampleOptions, most: int) -> Drafts:
    """Sampler 2's drafts (module doc): coherent signs, steep units, the faulty layer drawn again.
    Sent back after each: the first step with a defect (also by ``DEEP_CHECKS``), or None if the draft was
    fit but not accepted; ``most``: walks before no fresh draft is begun."""
    depth = len(opts.layers) - 1
    walks = 0
    while walks < most:
        draft = draw_problem(rng, opts)  # its input and target; the weights are drawn again
        signs = _coherent_signs(rng, draft.y, opts.layers)
        weights = [_deep_weights(rng, layer.W.shape, signs[l]) for l, layer in enumerate(draft.layers)]
        for _ in range(REPAIRS_PER_LAYER * depth):
            walks += 1
            layers = tuple(Layer(W, layer.activation) for W, layer in zip(weights, draft.layers))
            step = yield Problem(draft.x, draft.y, layers, draft.loss, draft.learning_rate)
            if step is None:
                break  # a fresh draft
            at = step.layer if step.family in ("net", "a") else min(step.layer + 1, depth)
            weights[at - 1] = _deep_weights(rng, weights[at - 1].shape, signs[at - 1])


def sample_solution(rng: np.random.Generator, opts: SampleOptions, max_attempts: int = MAX_ATTEMPTS,
                    version: int | None = None) -> Solution:
    """Draw problems until one is well-posed (and, from sampler 3 on, tells every mistake apart);
    its solution (``.problem`` is the problem). ``version``: the sampler to draw by (default: this
    bpdrill's, :func:`sampler_version`)."""
    return sample_judged(rng, opts, max_attempts, version)[0]


def sample_judged(rng: np.random.Generator, opts: SampleOptions, max_attempts: int = MAX_ATTEMPTS,
                  version: int | None = None) -> tuple[Solution, tuple[Hidden, ...] | None]:
    """:func:`sample_solution`, with the mistakes some of its entries cannot tell from the right
    value, as the sampler judged them (None: sampler 1 and 2 do not judge them)."""
    return sample_judged_many([rng], opts, 1, version, max_attempts)[0][0][:2]


def _not_found(opts: SampleOptions, attempts: int) -> SamplerError:
    return SamplerError(
        f"no hand-friendly problem found in {attempts} attempts for layers {','.join(map(str, opts.layers))} "
        f"with {opts.hidden_activation} hidden units (try fewer or narrower layers, or tanh)"
    )


Drawn = tuple  # (solution, its hidden mistakes or None, its tolerances or None: not computed yet)
Drafts = Generator[Problem, "PlannedStep | None", None]


class _Drawing:
    """One student's draws so far (:func:`sample_judged_many`): the drafts of the problem being
    drawn, the one to judge next, and the problems drawn."""

    def __init__(self, rng: np.random.Generator, opts: SampleOptions, version: int, most: int):
        self.rng, self.opts, self.version, self.most = rng, opts, version, most
        self.deep = _builds_deep(opts, version)
        self.drawn: list[Drawn] = []
        self.next_problem()

    def next_problem(self) -> None:
        self.accept = _Separating(self.version, DEEP_SEPARATION_TRIES if self.deep else SEPARATION_TRIES)
        self.drafts = (_deep_drafts if self.deep else _random_drafts)(self.rng, self.opts, self.most)
        self.draft: Problem | None = next(self.drafts, None)

    def judged(self, step: PlannedStep | None) -> None:
        """The draft had a defect at ``step`` (None: fit, not accepted): the next draft."""
        try:
            self.draft = self.drafts.send(step)
        except StopIteration:
            self.draft = None


def sample_judged_many(rngs: Sequence[np.random.Generator], opts: SampleOptions, n: int, version: int | None = None,
                       max_attempts: int = MAX_ATTEMPTS) -> list[tuple[Drawn, ...]]:
    """:func:`sample_judged_solutions` for each of ``rngs`` (each student's own generator), with the
    tolerances the sampler judged each problem by (None: not judged). Drawn in rounds of one draft
    per student still drawing, solved and judged together on stacks of matrices
    (:func:`~generator.solver.stacked_values`): each student's draws are as if drawn alone."""
    version = sampler_version(opts) if version is None else version
    drawing = [_Drawing(rng, opts, version, max_attempts) for rng in rngs]
    active = drawing if n > 0 else []
    extra = DEEP_CHECKS if _builds_deep(opts, version) else None
    while active:
        if any(d.draft is None for d in active):
            raise _not_found(opts, max_attempts)
        drafts = [d.draft for d in active]
        values = stacked_values(drafts)
        first = _first_defects(drafts[0], values, extra)
        fit = [i for i, step in enumerate(first) if step is None]
        if version >= SEPARATING and fit:
            kind, fit_values = kind_of(drafts[0]), {name: value[fit] for name, value in values.items()}
            tolerances = stacked_tolerances(kind, fit_values)
            judged = stacked_separation(kind, fit_values, tolerances)
        accepted = set()
        for j, i in enumerate(fit):
            d = active[i]
            solution = solution_from(drafts[i], one_of(values, i))
            if version < SEPARATING or d.accept.offer(solution, one_of(tolerances, j), judged.of(j)):
                best, separated = d.accept.chosen(solution)
                d.drawn.append((*_judged(best, separated), d.accept.tolerances if separated is not None else None))
                accepted.add(i)
        for i, d in enumerate(active):
            if i not in accepted:
                d.judged(first[i])
            elif len(d.drawn) < n:
                d.next_problem()
        active = [d for d in active if len(d.drawn) < n]
    return [tuple(d.drawn) for d in drawing]


def _judged(solution: Solution, judged: Separation | None) -> tuple[Solution, tuple[Hidden, ...] | None]:
    return solution, None if judged is None else judged.hidden()


def sample_solutions(rng: np.random.Generator, opts: SampleOptions, n: int, version: int | None = None
                     ) -> tuple[Solution, ...]:
    """``n`` problems in a row from one generator: problem k does not depend on ``n``."""
    return tuple(solution for solution, _ in sample_judged_solutions(rng, opts, n, version))


def sample_judged_solutions(rng: np.random.Generator, opts: SampleOptions, n: int, version: int | None = None
                            ) -> tuple[tuple[Solution, tuple[Hidden, ...] | None], ...]:
    """:func:`sample_solutions`, each with its hidden mistakes (:func:`sample_judged`)."""
    return tuple(sample_judged(rng, opts, version=version) for _ in range(n))
