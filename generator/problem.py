"""The problem: a network, one input, one target, a loss and a learning rate.

``parse_problem`` turns the JSON form (see README) into a frozen :class:`Problem` and
refuses anything malformed with a :class:`ProblemError` whose message names the field.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .activations import ACTIVATIONS
from .errors import ProblemError

LOSSES = ("mse", "cross_entropy")



def frozen_array(values: Any) -> np.ndarray:
    a = np.array(values, dtype=float)
    a.setflags(write=False)
    return a


def column(values: Any) -> np.ndarray:
    return frozen_array(np.reshape(np.array(values, dtype=float), (-1, 1)))


@dataclass(frozen=True, eq=False)
class Layer:
    W: np.ndarray  # n_out × (n_in + 1); column 0 is the bias
    activation: str

    @property
    def n_out(self) -> int:
        return self.W.shape[0]

    @property
    def n_in(self) -> int:
        return self.W.shape[1] - 1


@dataclass(frozen=True, eq=False)
class Problem:
    x: np.ndarray  # n_0 × 1, without the constant 1
    y: np.ndarray  # n_L × 1
    layers: tuple[Layer, ...]
    loss: str
    learning_rate: float

    @property
    def depth(self) -> int:
        return len(self.layers)

    @property
    def sizes(self) -> tuple[int, ...]:
        """Layer widths: input, hidden…, output (the generator's ``--layers``)."""
        return (self.x.shape[0],) + tuple(layer.n_out for layer in self.layers)

    def givens(self) -> dict[str, np.ndarray]:
        """The given quantities under their names: X1 (with the constant 1), W1…WL, y, c."""
        out = {"X1": frozen_array(np.vstack([[1.0], self.x]))}
        for l, layer in enumerate(self.layers, start=1):
            out[f"W{l}"] = layer.W
        out["y"] = self.y
        out["c"] = frozen_array([[self.learning_rate]])
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "x": [float(v) for v in self.x[:, 0]],
            "y": [float(v) for v in self.y[:, 0]],
            "layers": [{"W": layer.W.tolist(), "activation": layer.activation} for layer in self.layers],
            "loss": self.loss,
            "learning_rate": float(self.learning_rate),
        }

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Problem) and self.to_json() == other.to_json()

    def __hash__(self) -> int:
        return hash(repr(self.to_json()))


def _number(value: Any, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ProblemError(f"{field}: expected a number, got {json_repr(value)}")
    if not math.isfinite(value):
        raise ProblemError(f"{field}: expected a finite number, got {value}")
    return float(value)


def _vector(value: Any, field: str) -> list[float]:
    if not isinstance(value, list) or not value:
        raise ProblemError(f"{field}: expected a non-empty list of numbers, got {json_repr(value)}")
    flat = []
    for i, v in enumerate(value):
        # accept a column written as [[1], [0]] as well as [1, 0]
        if isinstance(v, list) and len(v) == 1:
            v = v[0]
        flat.append(_number(v, f"{field}[{i}]"))
    return flat


def _matrix(value: Any, field: str) -> list[list[float]]:
    if not isinstance(value, list) or not value or not all(isinstance(r, list) for r in value):
        raise ProblemError(f"{field}: expected a matrix (a non-empty list of rows), got {json_repr(value)}")
    rows = [[_number(v, f"{field}[{i}][{j}]") for j, v in enumerate(r)] for i, r in enumerate(value)]
    widths = {len(r) for r in rows}
    if len(widths) != 1:
        raise ProblemError(f"{field}: rows have different lengths {sorted(widths)}")
    if widths == {0}:
        raise ProblemError(f"{field}: rows are empty")
    return rows


def json_repr(value: Any, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parse_problem(obj: Any, where: str = "") -> Problem:
    """Validate a problem's JSON object; ``where`` prefixes field names (e.g. ``problem 2: ``)."""
    p = where
    if not isinstance(obj, dict):
        raise ProblemError(f"{p}expected a problem object, got {json_repr(obj)}")
    for key in ("x", "y", "layers", "loss", "learning_rate"):
        if key not in obj:
            raise ProblemError(f"{p}missing key '{key}'")
    unknown = sorted(set(obj) - {"x", "y", "layers", "loss", "learning_rate"})
    if unknown:
        raise ProblemError(f"{p}unknown key '{unknown[0]}'")
    x = _vector(obj["x"], f"{p}x")
    y = _vector(obj["y"], f"{p}y")
    loss = obj["loss"]
    if loss not in LOSSES:
        raise ProblemError(f"{p}loss: unknown loss {json_repr(loss)} (use {' or '.join(LOSSES)})")
    c = _number(obj["learning_rate"], f"{p}learning_rate")
    if c <= 0:
        raise ProblemError(f"{p}learning_rate: must be > 0, got {c:g}")
    raw_layers = obj["layers"]
    if not isinstance(raw_layers, list) or not raw_layers:
        raise ProblemError(f"{p}layers: expected a non-empty list of layers")
    layers = []
    n_in = len(x)
    for i, raw in enumerate(raw_layers):
        f = f"{p}layers[{i}]"
        if not isinstance(raw, dict):
            raise ProblemError(f"{f}: expected an object with 'W' and 'activation'")
        for key in ("W", "activation"):
            if key not in raw:
                raise ProblemError(f"{f}: missing key '{key}'")
        unknown = sorted(set(raw) - {"W", "activation"})
        if unknown:
            raise ProblemError(f"{f}: unknown key '{unknown[0]}'")
        act = raw["activation"]
        if act not in ACTIVATIONS:
            raise ProblemError(
                f"{f}.activation: unknown activation {json_repr(act)} (use {', '.join(ACTIVATIONS)})"
            )
        if act == "softmax" and i != len(raw_layers) - 1:
            raise ProblemError(f"{f}.activation: softmax is allowed in the last layer only")
        W = _matrix(raw["W"], f"{f}.W")
        if len(W[0]) != n_in + 1:
            raise ProblemError(
                f"{f}.W: expected {n_in + 1} columns (bias + {n_in} inputs), got {len(W[0])}"
            )
        layers.append(Layer(frozen_array(W), act))
        n_in = len(W)
    if len(y) != n_in:
        raise ProblemError(f"{p}y: expected {n_in} values (the output layer's width), got {len(y)}")
    last = layers[-1].activation
    if loss == "cross_entropy" and last != "softmax":
        raise ProblemError(f"{p}loss: cross_entropy needs softmax in the last layer (it has {last})")
    if last == "softmax" and loss != "cross_entropy":
        raise ProblemError(f"{p}loss: softmax in the last layer needs loss cross_entropy (got {loss})")
    return Problem(column(x), column(y), tuple(layers), loss, c)


def parse_problems(obj: Any) -> list[Problem]:
    """One problem object or a list of them."""
    if isinstance(obj, list):
        if not obj:
            raise ProblemError("expected a problem object or a non-empty list of them, got []")
        return [parse_problem(o, f"problem {i}: ") for i, o in enumerate(obj, start=1)]
    return [parse_problem(obj)]
