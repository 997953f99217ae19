"""The steps of one backpropagation step: the only place the chain is written down.

Each :class:`Step` says, for a family of quantities (``net``, ``delta``, …):
- its name pattern (``net{l}``) and the layers it exists for;
- the quantities it is computed from, by argument name;
- how it is computed (a small pure function over numpy arrays);
- how the seed writes it (``symbol`` and ``formula``, with ``^[l]`` for layer superscripts);
- typical wrong ways to compute it (``mistakes``), for diagnosis.

:func:`plan` turns the table into the concrete, ordered list of steps for one network —
the solver walks it, the templates print it, the grader recomputes from it.

Given quantities (not computed): ``X1`` (input with the constant 1), ``W{l}``, ``y``, ``c``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np

from .activations import ACTIVATIONS, Activation

Array = np.ndarray
Fn = Callable[..., Array]


@dataclass(frozen=True)
class Mistake:
    """A typical wrong way to compute a step: the right one's arguments, plus ``uses`` (l → {argument:
    quantity name}) for a quantity the wrong way takes instead (W̃ for W, say), and ``applies``
    (activation of the step's layer, is it a hidden layer?) for a mistake only some layers allow.

    ``key`` is the mistake's diagnosis code (``details.csv``'s ``diagnosis`` column): stable, never
    renamed. A mistake that changes a matrix's shape has no place here: a submission has the
    template's shape, so it could never be seen."""

    key: str
    says: str  # what the student probably did, addressed to the student
    fn: Fn
    uses: Callable[[int], dict[str, str]] | None = None
    applies: Callable[[str, bool], bool] | None = None


@dataclass(frozen=True)
class Step:
    family: str  # the name without its layer: net, a, X, loss, dL_da, delta, dL_dW, W_new, dL_dX
    pattern: str  # e.g. "W{l}_new"
    phase: str  # "forward" (layers ascending), "output" (once), "backward" (layers descending)
    exists: Callable[[int, int, str], bool]  # (l, L, loss) -> does this step exist?
    inputs: Callable[[int], dict[str, str]]  # l -> {argument: quantity name}
    fn: Fn  # fn(act, **arguments) -> value; act is layer l's Activation
    symbol: str  # how the seed writes the quantity, e.g. "δ^[l]"
    formula: str  # how the seed computes it, in its notation
    explain: str = ""  # a sentence for the key, as the seed says it
    mistakes: tuple[Mistake, ...] = field(default=())
    # intermediate results a person rounds within this step (φ′(net) before multiplying, …);
    # the tolerance allows for them (the activation's own ones are on the Activation)
    hand_roundings: int = 0
    # the same step with φ′ written from a^[l] (σ′ = a(1 − a), tanh′ = 1 − a²) instead of net^[l], as the
    # seed's remark 3 does: a right way too, taken from the student's own a when their work is carried
    via_a: Fn | None = None

    def name(self, l: int) -> str:
        return self.pattern.format(l=l)


def _layer_sup(text: str, l: int) -> str:
    return text.replace("[l]", f"[{l}]").replace("[l+1]", f"[{l + 1}]").replace("[l-1]", f"[{l - 1}]")


# ---- how each step is computed (act is the activation of the step's layer) ----

_EPS = np.finfo(float).eps


def _cancelled(value: Array, scale: Array, terms: int) -> Array:
    """``value`` with the entries that are only rounding noise of a cancelling sum set to 0.

    0.6 − 0.8·0.1 − 0.65·0.8 is 0 by hand but −2.9e-17 in floating point; a key must say 0
    (and φ, ReLU, the tolerance then see 0). ``scale`` is the sum of the absolute terms.
    """
    noise = np.abs(value) <= (4 * terms * _EPS) * scale
    if not noise.any():  # the usual case, cheaply (the sampler solves thousands of drafts)
        return value
    return np.where(noise & np.isfinite(scale), 0.0, value)


def _matmul(A: Array, B: Array) -> Array:
    return _cancelled(A @ B, np.abs(A) @ np.abs(B), A.shape[-1])


def _T(A: Array) -> Array:
    """The transpose of a matrix, or of each of a stack of them."""
    return np.swapaxes(A, -1, -2)


def _total(A: Array) -> Array:
    """The sum of a matrix's entries as a 1×1 matrix (of each of a stack of them)."""
    return np.sum(A, axis=(-2, -1), keepdims=True)


def _net(act: Activation, W: Array, X: Array) -> Array:
    return _matmul(W, X)


def _a(act: Activation, net: Array) -> Array:
    return act.f(net)


def _X(act: Activation, a: Array) -> Array:
    return np.concatenate((np.ones_like(a[..., :1, :]), a), axis=-2)


def _loss_mse(act: Activation, a: Array, y: Array) -> Array:
    return 0.5 * _total((y - a) ** 2)


def _loss_ce(act: Activation, a: Array, y: Array, net: Array) -> Array:
    # −Σ y_k log a_k with log a = net − log Σ e^net (no log 0 when a softmax output underflows)
    m = np.max(net, axis=(-2, -1), keepdims=True)
    log_a = net - (m + np.log(_total(np.exp(net - m))))
    return -_total(np.where(y != 0, y * log_a, 0.0))


def _dL_da_out(act: Activation, a: Array, y: Array) -> Array:
    return _cancelled(a - y, np.abs(a) + np.abs(y), 2)


def _dL_da_hidden(act: Activation, dL_dX: Array) -> Array:
    return dL_dX[..., 1:, :]


def _delta(act: Activation, dL_da: Array, net: Array) -> Array:
    return dL_da * act.df(net)


def _delta_via_a(act: Activation, dL_da: Array, a: Array) -> Array:
    return dL_da * act.df_of_a(a)


def _delta_softmax_ce(act: Activation, a: Array, y: Array) -> Array:
    sa = _total(y) * a
    return _cancelled(sa - y, np.abs(sa) + np.abs(y), 2)


def _dL_dW(act: Activation, delta: Array, X: Array) -> Array:
    return delta @ _T(X)


def _W_new(act: Activation, W: Array, c: Array, dL_dW: Array) -> Array:
    step = c * dL_dW
    return _cancelled(W - step, np.abs(W) + np.abs(step), 2)


def _dL_dX(act: Activation, W: Array, delta: Array) -> Array:
    return _matmul(_T(W), delta)


# ---- the table ----

STEPS: tuple[Step, ...] = (
    Step(
        "X", "X{l}", "forward",
        exists=lambda l, L, loss: l >= 2,
        inputs=lambda l: {"a": f"a{l - 1}"},
        fn=_X,
        symbol="X^[l]", formula="[1; a^[l-1]]",
        explain="prepend the constant 1 (the bias input) to the previous layer's output",
        mistakes=(
            Mistake("no_activation", "the activation φ was not applied in the layer below (X = [1; net], not [1; a])",
                    lambda act, a, net: _X(act, net), uses=lambda l: {"net": f"net{l - 1}"}),
        ),
    ),
    Step(
        "net", "net{l}", "forward",
        exists=lambda l, L, loss: True,
        inputs=lambda l: {"W": f"W{l}", "X": f"X{l}"},
        fn=_net,
        symbol="net^[l]", formula="W^[l] · X^[l]",
        mistakes=(
            Mistake("bias_left_out", "the bias (the first column of W, times the constant 1) was left out",
                    lambda act, W, X: _matmul(W[..., 1:], X[..., 1:, :])),
        ),
    ),
    Step(
        "a", "a{l}", "forward",
        exists=lambda l, L, loss: True,
        inputs=lambda l: {"net": f"net{l}"},
        fn=_a,
        symbol="a^[l]", formula="φ(net^[l])",
        explain="",  # the activation's own text says how (element-wise, or softmax over the whole vector)
        mistakes=(
            Mistake("no_activation", "the activation φ was not applied (a = net)", lambda act, net: np.array(net),
                    applies=lambda act, hidden: hidden and act != "identity"),
        ),
    ),
    Step(
        "loss", "loss", "output",
        exists=lambda l, L, loss: loss == "mse",
        inputs=lambda l: {"a": f"a{l}", "y": "y"},
        fn=_loss_mse,
        symbol="L", formula="½‖y − a^[l]‖²",
        mistakes=(
            Mistake("loss_no_half", "the ½ of the loss was left out (L = ‖y − a‖²)",
                    lambda act, a, y: 2 * _loss_mse(act, a, y)),
        ),
    ),
    Step(
        "loss", "loss", "output",
        exists=lambda l, L, loss: loss == "cross_entropy",
        inputs=lambda l: {"a": f"a{l}", "y": "y", "net": f"net{l}"},
        fn=_loss_ce,
        symbol="L", formula="−Σ_k y_k log a_k^[l]",
        mistakes=(
            Mistake("log_base_10", "the logarithm was taken to base 10 (a calculator's log key), not the natural log",
                    lambda act, a, y, net: _loss_ce(act, a, y, net) / np.log(10)),
        ),
    ),
    Step(
        "dL_da", "dL_da{l}", "backward",
        exists=lambda l, L, loss: l == L and loss == "mse",
        inputs=lambda l: {"a": f"a{l}", "y": "y"},
        fn=_dL_da_out,
        symbol="∂L/∂a^[l]", formula="a^[l] − y",
        explain="for L = ½‖y − a‖²",
        mistakes=(
            Mistake("sign", "the sign is reversed: ∂L/∂a = a − y, not y − a", lambda act, a, y: y - a),
            Mistake("doubled_error", "∂L/∂a was taken as 2(a − y), the derivative of ‖y − a‖² without the loss's ½",
                    lambda act, a, y: 2 * _dL_da_out(act, a, y)),
        ),
    ),
    Step(
        "dL_da", "dL_da{l}", "backward",
        exists=lambda l, L, loss: l < L,
        inputs=lambda l: {"dL_dX": f"dL_dX{l + 1}"},
        fn=_dL_da_hidden,
        symbol="∂L/∂a^[l]", formula="∂L/∂X^[l+1] without its first coordinate",
        explain="the first coordinate belongs to the constant input 1 (the bias) and is dropped",
        mistakes=(
            Mistake("kept_bias_coordinate", "the bias coordinate was not dropped",
                    lambda act, dL_dX: dL_dX[..., :-1, :]),
        ),
    ),
    Step(
        "delta", "delta{l}", "backward",
        exists=lambda l, L, loss: l < L or loss == "mse",
        inputs=lambda l: {"dL_da": f"dL_da{l}", "net": f"net{l}"},
        fn=_delta,
        via_a=_delta_via_a,
        hand_roundings=1,
        symbol="δ^[l]", formula="∂L/∂a^[l] ⊙ φ′(net^[l])",
        explain="multiply element-wise by φ′ at the corresponding points of net",
        mistakes=(
            Mistake("no_derivative", "φ′(net) was not multiplied in", lambda act, dL_da, net: np.array(dL_da)),
            Mistake("derivative_of_a", "φ′ was taken at a instead of at net",
                    lambda act, dL_da, net: dL_da * act.df(act.f(net))),
            Mistake("derivative_as_a", "the sigmoid's φ′ was taken as a alone instead of a(1 − a)",
                    lambda act, dL_da, net, a: dL_da * a, uses=lambda l: {"a": f"a{l}"},
                    applies=lambda act, hidden: act == "sigmoid"),
            Mistake("derivative_one_minus_a", "tanh's φ′ was taken as 1 − a instead of 1 − a²",
                    lambda act, dL_da, net, a: dL_da * (1.0 - a), uses=lambda l: {"a": f"a{l}"},
                    applies=lambda act, hidden: act == "tanh"),
        ),
    ),
    Step(
        "delta", "delta{l}", "backward",
        exists=lambda l, L, loss: l == L and loss == "cross_entropy",
        inputs=lambda l: {"a": f"a{l}", "y": "y"},
        fn=_delta_softmax_ce,
        symbol="δ^[l]", formula="(Σ_j y_j) a^[l] − y",
        explain="softmax with cross-entropy: no multiplication by φ′ (the seed's remark 5)",
        mistakes=(
            Mistake("sign", "the sign is reversed: δ = (Σy)·a − y", lambda act, a, y: y - _total(y) * a),
            Mistake("softmax_times_derivative", "δ was multiplied by a(1 − a) as for a sigmoid with the squared "
                    "error; with softmax and cross-entropy δ = (Σy)·a − y, nothing more (the seed's remark 5)",
                    lambda act, a, y: _delta_softmax_ce(act, a, y) * a * (1.0 - a)),
        ),
    ),
    Step(
        "dL_dW", "dL_dW{l}", "backward",
        exists=lambda l, L, loss: True,
        inputs=lambda l: {"delta": f"delta{l}", "X": f"X{l}"},
        fn=_dL_dW,
        symbol="∂L/∂W^[l]", formula="δ^[l] · (X^[l])ᵀ",
    ),
    Step(
        "W_new", "W{l}_new", "backward",
        exists=lambda l, L, loss: True,
        inputs=lambda l: {"W": f"W{l}", "c": "c", "dL_dW": f"dL_dW{l}"},
        fn=_W_new,
        symbol="W̃^[l]", formula="W^[l] − c · ∂L/∂W^[l]",
        explain="one gradient step with learning rate c",
        mistakes=(
            Mistake("no_update", "the weights were not updated (W̃ = W)", lambda act, W, c, dL_dW: np.array(W)),
            Mistake("wrong_sign", "the gradient was added instead of subtracted",
                    lambda act, W, c, dL_dW: W + c * dL_dW),
            Mistake("no_learning_rate", "the learning rate c was left out", lambda act, W, c, dL_dW: W - dL_dW),
        ),
    ),
    Step(
        "dL_dX", "dL_dX{l}", "backward",
        exists=lambda l, L, loss: l >= 2,
        inputs=lambda l: {"W": f"W{l}", "delta": f"delta{l}"},
        fn=_dL_dX,
        symbol="∂L/∂X^[l]", formula="(W^[l])ᵀ · δ^[l]",
        explain="with the weights before the update",
        mistakes=(
            Mistake("updated_weights", "the updated weights W̃ were used; ∂L/∂X takes the weights before the update",
                    lambda act, W, delta, W_new: _matmul(_T(W_new), delta), uses=lambda l: {"W_new": f"W{l}_new"}),
        ),
    ),
)

FAMILIES: tuple[str, ...] = tuple(dict.fromkeys(s.family for s in STEPS))
# The families a student hands in by default: the seed's own list, without the loss.
DEFAULT_ASKED: tuple[str, ...] = ("net", "a", "X", "dL_da", "delta", "dL_dW", "W_new", "dL_dX")
GIVEN_SYMBOLS = {"X1": "X^[1]", "y": "y", "c": "c"}


@dataclass(frozen=True)
class PlannedStep:
    """One step of one network: its name, layer, and the names of its inputs."""

    name: str
    layer: int
    step: Step
    args: dict[str, str]  # argument -> quantity name
    hidden: bool = False  # a layer below the output layer

    @property
    def family(self) -> str:
        return self.step.family

    @property
    def symbol(self) -> str:
        return _layer_sup(self.step.symbol, self.layer)

    @property
    def formula(self) -> str:
        return _layer_sup(self.step.formula, self.layer)

    def compute(self, activation: str, values: dict[str, Array]) -> Array:
        """Apply the step's function to the named values (the solution or a student's own)."""
        return self.step.fn(ACTIVATIONS[activation], **{a: values[q] for a, q in self.args.items()})

    def mistakes(self, activation: str) -> tuple[Mistake, ...]:
        """The step's typical mistakes that a layer with ``activation`` allows."""
        return tuple(m for m in self.step.mistakes if m.applies is None or m.applies(activation, self.hidden))

    def compute_via_a(self, activation: str, values: Mapping[str, Array]) -> Array | None:
        """The step with φ′ written from a^[l] (``Step.via_a``), from the named values; None where
        the step has no such form or the activation cannot write φ′ from a."""
        act = ACTIVATIONS[activation]
        if self.step.via_a is None or act.df_of_a is None:
            return None
        args = {a: values[q] for a, q in self.args.items() if a != "net"}
        return self.step.via_a(act, a=values[f"a{self.layer}"], **args)

    def compute_mistake(self, mistake: Mistake, activation: str, values: Mapping[str, Array]) -> Array:
        """What ``mistake`` gives from the named values (its ``uses`` too): the diagnosis's candidate."""
        names = {**self.args, **(mistake.uses(self.layer) if mistake.uses else {})}
        return mistake.fn(ACTIVATIONS[activation], **{a: values[q] for a, q in names.items()})


@lru_cache(maxsize=64)
def plan(depth: int, loss: str) -> tuple[PlannedStep, ...]:
    """The ordered steps of a network with ``depth`` layers: the seed's order.

    Forward, layer by layer (X^[l] before net^[l]); then the loss; then backward from the
    last layer down (∂L/∂a, δ, ∂L/∂W, W̃, ∂L/∂X at each layer).
    """
    L = depth
    phases = {
        "forward": range(1, L + 1),
        "output": (L,),
        "backward": range(L, 0, -1),
    }
    out: list[PlannedStep] = []
    for phase, layers in phases.items():
        for l in layers:
            for step in STEPS:
                if step.phase == phase and step.exists(l, L, loss):
                    out.append(PlannedStep(step.name(l), l, step, step.inputs(l), l < L))
    return tuple(out)


_NAME_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (family, re.compile("^" + re.escape(pattern).replace(re.escape("{l}"), r"(\d+)") + "$"))
    for family, pattern in dict.fromkeys((s.family, s.pattern) for s in STEPS)
)


@lru_cache(maxsize=4096)  # the same few names for every student of a week, and in every file graded
def parse_name(name: str) -> tuple[str, int | None]:
    """``"W2_new"`` → ``("W_new", 2)``; ``"loss"`` → ``("loss", None)``; unknown → ValueError.

    Read back with the table's own name patterns, so a new step needs no change here."""
    for family, regex in _NAME_PATTERNS:
        m = regex.match(name)
        if m:
            return family, (int(m.group(1)) if m.groups() else None)
    raise ValueError(f"not a quantity name: {name!r}")


def symbol_of(name: str, depth: int | None = None) -> str:
    """How the seed writes a quantity or a given: ``delta2`` → ``δ^[2]``, ``W1`` → ``W^[1]``."""
    if name in GIVEN_SYMBOLS:
        return GIVEN_SYMBOLS[name]
    if re.fullmatch(r"W\d+", name):
        return f"W^[{name[1:]}]"
    fam, l = parse_name(name)
    step = next(s for s in STEPS if s.family == fam)
    return _layer_sup(step.symbol, l if l is not None else (depth or 0))
