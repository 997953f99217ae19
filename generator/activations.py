"""Activation functions: each φ beside its derivative φ′, as in the seed.

Every function takes and returns a column vector (n×1 numpy array).  ``df`` is the
derivative with respect to the pre-activation ``net``; it is not defined for softmax,
which the seed only pairs with cross-entropy (δ^[L] := (Σy)·a − y, no φ′ needed).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

Array = np.ndarray


@dataclass(frozen=True)
class Activation:
    name: str
    symbol: str  # how the seed writes it: φ for element-wise functions, ψ for softmax
    formula: str  # φ(x) in words, for sheets and keys
    derivative: str  # φ′(x), for keys
    f: Callable[[Array], Array]
    df: Callable[[Array], Array] | None  # None: not element-wise (softmax)
    elementwise: bool = True
    # results a person rounds on the way when computing φ by hand (e^(−x) for the sigmoid; each
    # e^(x_i) and their sum for softmax); the tolerance allows for them
    hand_roundings: int = 0
    # φ′ written with the function's own value a = φ(net), as the seed's remark 3 computes it
    # (σ′ = a(1 − a), tanh′ = 1 − a²); None where it cannot be (softmax)
    df_of_a: Callable[[Array], Array] | None = None


def _sigmoid(x: Array) -> Array:
    with np.errstate(over="ignore"):  # e^(−x) = inf for x ≪ 0 gives the right limit, 0
        return 1.0 / (1.0 + np.exp(-x))


def _dsigmoid(x: Array) -> Array:
    s = _sigmoid(x)
    return s * (1.0 - s)


def _tanh(x: Array) -> Array:
    return np.tanh(x)


def _dtanh(x: Array) -> Array:
    return 1.0 - np.tanh(x) ** 2


def _relu(x: Array) -> Array:
    return np.maximum(x, 0.0)


def _drelu(x: Array) -> Array:
    # φ′(0) := 0, the usual convention; the generator keeps nets away from the kink.
    return (x > 0).astype(float)


def _identity(x: Array) -> Array:
    return np.array(x, dtype=float)


def _didentity(x: Array) -> Array:
    return np.ones_like(x, dtype=float)


def _softmax(x: Array) -> Array:
    e = np.exp(x - np.max(x, axis=(-2, -1), keepdims=True))
    return e / np.sum(e, axis=(-2, -1), keepdims=True)


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in (
        Activation("sigmoid", "φ", "φ(x) = (1 + e^(−x))^(−1)", "φ′(x) = φ(x)(1 − φ(x))", _sigmoid, _dsigmoid,
                   hand_roundings=1, df_of_a=lambda a: a * (1.0 - a)),
        Activation("tanh", "φ", "φ(x) = tanh(x)", "φ′(x) = 1 − tanh²(x)", _tanh, _dtanh,
                   df_of_a=lambda a: 1.0 - a ** 2),
        Activation("relu", "φ", "φ(x) = max(0, x)", "φ′(x) = 1 if x > 0, else 0", _relu, _drelu,
                   df_of_a=lambda a: (a > 0).astype(float)),
        Activation("identity", "φ", "φ(x) = x", "φ′(x) = 1", _identity, _didentity,
                   df_of_a=np.ones_like),
        Activation("softmax", "ψ", "ψ(x)_i = e^(x_i) / Σ_k e^(x_k)", "", _softmax, None, elementwise=False,
                   hand_roundings=2),
    )
}
