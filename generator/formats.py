"""Solutions as text for the terminal, JSON and CSV (pure: strings in, strings out)."""

from __future__ import annotations

import csv
import io
import json
from typing import Iterable, Iterator

import numpy as np

from .activations import ACTIVATIONS
from .solver import Solution
from .steps import symbol_of

CSV_HEADER = ("problem", "quantity", "row", "col", "value")


def fmt_number(v: float, digits: int = 8) -> str:
    """A number to ``digits`` significant digits, plain notation, ASCII minus, no ``-0``."""
    if v == 0 or abs(v) < 1e-300:
        return "0"
    text = f"{v:.{digits}g}"
    if "e" in text:
        mantissa, exp = text.split("e")
        e = int(exp)
        if -7 <= e < digits + 4:
            decimals = max(digits - 1 - e, 0)
            text = f"{v:.{decimals}f}"
        else:
            return text
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def entries(matrix: np.ndarray) -> Iterator[tuple[int, int, float]]:
    """(row, col, value) with 1-based row and col, row by row."""
    for i, row in enumerate(np.asarray(matrix), start=1):
        for j, v in enumerate(row, start=1):
            yield i, j, float(v)


def solution_rows(solutions: Iterable[Solution]) -> Iterator[tuple[int, str, int, int, float]]:
    for k, sol in enumerate(solutions, start=1):
        for name in sol.names:
            for i, j, v in entries(sol[name]):
                yield k, name, i, j, v


def to_csv(solutions: list[Solution]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_HEADER)
    for k, name, i, j, v in solution_rows(solutions):
        w.writerow((k, name, i, j, repr(v)))
    return buf.getvalue()


def to_json(solutions: list[Solution], as_list: bool) -> str:
    data = [s.to_json() for s in solutions]
    return json.dumps(data if as_list else data[0], indent=2)


def matrix_lines(m: np.ndarray, digits: int = 8) -> list[str]:
    cells = [[fmt_number(float(v), digits) for v in row] for row in np.asarray(m)]
    width = max(len(c) for row in cells for c in row)
    return ["[ " + "  ".join(c.rjust(width) for c in row) + " ]" for row in cells]


def labelled(label: str, m: np.ndarray) -> str:
    lines = matrix_lines(m)
    pad = " " * len(label)
    mid = len(lines) // 2
    return "\n".join((label if i == mid else pad) + line for i, line in enumerate(lines))


def to_text(solutions: list[Solution]) -> str:
    out: list[str] = []
    for k, sol in enumerate(solutions, start=1):
        p = sol.problem
        if len(solutions) > 1:
            out.append(f"=== Problem {k} ===")
        acts = ", ".join(f"layer {l}: {layer.activation}" for l, layer in enumerate(p.layers, start=1))
        loss = "½‖y − a‖²" if p.loss == "mse" else "cross-entropy −Σ y_k log a_k"
        out.append(f"Network {'-'.join(map(str, p.sizes))} ({acts}); loss {loss}; learning rate c = {fmt_number(p.learning_rate)}")
        out.append("")
        givens = p.givens()
        for name in ["X1"] + [f"W{l}" for l in range(1, p.depth + 1)] + ["y"]:
            out.append(labelled(f"{symbol_of(name)} = ", givens[name]))
        phase = None
        for step in sol.steps:
            if step.step.phase != phase:
                phase = step.step.phase
                out.append("")
                out.append({"forward": "Forward pass", "output": "Loss", "backward": "Back propagation"}[phase])
            formula = step.formula
            if step.family == "a":
                act = ACTIVATIONS[p.layers[step.layer - 1].activation]
                how = "element-wise" if act.elementwise else "on the whole vector"
                formula = formula.replace("φ", act.symbol) + f",  {act.formula} ({act.name}, {how})"
            out.append(f"{step.symbol} = {formula}      [{step.name}]")
            if step.step.explain:
                out.append(f"    ({step.step.explain})")
            out.append(labelled("    = ", sol[step.name]))
        out.append("")
    return "\n".join(out).rstrip() + "\n"
