"""Where the network's drawing puts things: pure layout data for ``templates/network.svg.j2``.

Columns are the input and each layer; every column but the last starts with the constant
bias input (drawn gray, dashed and labelled 1, as in the seed).  Edges join every node of a
column (bias included) to every neuron of the next one.
"""

from __future__ import annotations

from dataclasses import dataclass

from .problem import Problem

GAP_X = 150.0  # between columns
GAP_Y = 54.0  # between nodes of a column
RADIUS = 17.0
MARGIN_X = 40.0
TOP = 24.0
LABEL_SPACE = 46.0  # below the lowest node, for the layer captions


@dataclass(frozen=True)
class Node:
    x: float
    y: float
    label: str  # short text inside the circle: "1", "x₁", …
    bias: bool


@dataclass(frozen=True)
class Edge:
    x1: float
    y1: float
    x2: float
    y2: float
    bias: bool


@dataclass(frozen=True)
class Caption:
    x: float
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Drawing:
    width: float
    height: float
    radius: float
    caption_y: float
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    captions: tuple[Caption, ...]
    outputs: tuple[Edge, ...]  # short arrows leaving the output neurons, one per a_k^[L]
    alt: str  # the drawing in words, for screen readers and tagged PDF


_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def _sub(i: int) -> str:
    return str(i).translate(_SUB)


def layout(problem: Problem) -> Drawing:
    sizes = problem.sizes
    L = len(sizes) - 1
    # a column holds the bias node (except the output column) then its units
    heights = [n + (1 if l < L else 0) for l, n in enumerate(sizes)]
    tallest = max(heights)
    columns: list[list[Node]] = []
    for l, n in enumerate(sizes):
        x = MARGIN_X + RADIUS + l * GAP_X
        count = heights[l]
        y0 = TOP + RADIUS + (tallest - count) * GAP_Y / 2
        col = []
        for k in range(count):
            bias = l < L and k == 0
            unit = k if l < L else k + 1
            label = "1" if bias else (f"x{_sub(unit)}" if l == 0 else "")
            col.append(Node(x, y0 + k * GAP_Y, label, bias))
        columns.append(col)
    edges = tuple(
        Edge(a.x + RADIUS, a.y, b.x - RADIUS, b.y, a.bias)
        for left, right in zip(columns, columns[1:])
        for a in left
        for b in right
        if not b.bias
    )
    outputs = tuple(Edge(n.x + RADIUS, n.y, n.x + RADIUS + 30, n.y, False) for n in columns[-1])
    captions = [Caption(columns[0][0].x, ("input x", "X^[1] = [1; x]"))]
    for l, layer in enumerate(problem.layers, start=1):
        captions.append(Caption(columns[l][0].x, (f"layer {l}, W^[{l}]", f"a^[{l}] = {layer.activation}")))
    height = TOP + 2 * RADIUS + (tallest - 1) * GAP_Y + LABEL_SPACE
    width = 2 * MARGIN_X + 2 * RADIUS + L * GAP_X + 30
    alt = (
        f"A fully connected network with {sizes[0]} input{'s' if sizes[0] != 1 else ''} and "
        + ", ".join(
            f"layer {l} of {n} neuron{'s' if n != 1 else ''} ({problem.layers[l - 1].activation})"
            for l, n in enumerate(sizes[1:], start=1)
        )
        + "; a constant bias input 1 (gray, dashed) feeds every layer."
    )
    return Drawing(width, height, RADIUS, height - LABEL_SPACE + 20, tuple(n for c in columns for n in c),
                   edges, tuple(captions), outputs, alt)
