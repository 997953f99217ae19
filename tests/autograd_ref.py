"""An independent reference: scalar reverse-mode autodiff (micrograd-style), written from the
definitions of the network and the losses, not from generator/steps.py.

Used to check that every gradient the solver reports is the true derivative:
delta{l} = ∂L/∂net{l}, dL_da{l} = ∂L/∂a{l}, dL_dX{l} = ∂L/∂X{l}, dL_dW{l} = ∂L/∂W{l}.
"""

from __future__ import annotations

import math


class V:
    __slots__ = ("v", "g", "_parents")

    def __init__(self, v, parents=()):
        self.v = float(v)
        self.g = 0.0
        self._parents = parents  # ((parent, local derivative), ...)

    def __add__(self, o):
        o = o if isinstance(o, V) else V(o)
        return V(self.v + o.v, ((self, 1.0), (o, 1.0)))

    __radd__ = __add__

    def __mul__(self, o):
        o = o if isinstance(o, V) else V(o)
        return V(self.v * o.v, ((self, o.v), (o, self.v)))

    __rmul__ = __mul__

    def __neg__(self):
        return self * -1.0

    def __sub__(self, o):
        return self + (-o if isinstance(o, V) else V(-o))

    def __rsub__(self, o):
        return V(o) - self

    def exp(self):
        e = math.exp(self.v)
        return V(e, ((self, e),))

    def log(self):
        return V(math.log(self.v), ((self, 1.0 / self.v),))

    def tanh(self):
        t = math.tanh(self.v)
        return V(t, ((self, 1.0 - t * t),))

    def sigmoid(self):
        s = 1.0 / (1.0 + math.exp(-self.v))
        return V(s, ((self, s * (1.0 - s)),))

    def relu(self):
        return V(max(self.v, 0.0), ((self, 1.0 if self.v > 0 else 0.0),))

    def inv(self):
        return V(1.0 / self.v, ((self, -1.0 / (self.v * self.v)),))

    def backward(self):
        order, seen = [], set()

        def visit(n):
            if id(n) not in seen:
                seen.add(id(n))
                for p, _ in n._parents:
                    visit(p)
                order.append(n)

        visit(self)
        self.g = 1.0
        for n in reversed(order):
            for p, d in n._parents:
                p.g += d * n.g


def reference(problem_json: dict) -> dict[str, list[list[float]]]:
    """Values and true gradients of every quantity, by autodiff."""
    x, y = problem_json["x"], problem_json["y"]
    layers = problem_json["layers"]
    L = len(layers)
    c = problem_json["learning_rate"]
    W = [[[V(w) for w in row] for row in layer["W"]] for layer in layers]
    X = [V(1.0)] + [V(v) for v in x]
    Xs, nets, acts = [], [], []
    for l, layer in enumerate(layers):
        if l > 0:
            X = [V(1.0)] + [V(0.0) + a for a in acts[-1]]  # a fresh node per X entry (∂L/∂X)
        Xs.append(X)
        net = [sum((w * xi for w, xi in zip(row, X)), V(0.0)) for row in W[l]]
        nets.append(net)
        act = layer["activation"]
        if act == "softmax":
            m = max(n.v for n in net)
            e = [(n - m).exp() for n in net]
            s = sum(e, V(0.0)).inv()
            a = [ei * s for ei in e]
        else:
            a = [getattr(n, act)() if act != "identity" else n + 0.0 for n in net]
        acts.append(a)
    aL = acts[-1]
    if problem_json["loss"] == "mse":
        loss = sum(((yk - ak) * (yk - ak) for yk, ak in zip(y, aL)), V(0.0)) * 0.5
    else:
        loss = sum((-(ak.log()) * yk for yk, ak in zip(y, aL) if yk != 0), V(0.0))
    loss.backward()

    col = lambda vs, attr: [[getattr(v, attr)] for v in vs]  # noqa: E731
    out: dict[str, list[list[float]]] = {}
    for l in range(1, L + 1):
        if l >= 2:
            out[f"X{l}"] = col(Xs[l - 1], "v")
        out[f"net{l}"] = col(nets[l - 1], "v")
        out[f"a{l}"] = col(acts[l - 1], "v")
    out["loss"] = [[loss.v]]
    for l in range(L, 0, -1):
        if l < L or problem_json["loss"] == "mse":
            out[f"dL_da{l}"] = col(acts[l - 1], "g") if l == L else col(Xs[l], "g")[1:]
        out[f"delta{l}"] = col(nets[l - 1], "g")
        out[f"dL_dW{l}"] = [[w.g for w in row] for row in W[l - 1]]
        out[f"W{l}_new"] = [[w.v - c * w.g for w in row] for row in W[l - 1]]
        if l >= 2:
            out[f"dL_dX{l}"] = col(Xs[l - 1], "g")
    return out
