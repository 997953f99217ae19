"""The solver: walk the plan of steps over a problem's givens."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType
from typing import Iterator, Mapping, Sequence

import numpy as np

from .activations import ACTIVATIONS
from .problem import Layer, Problem, column, frozen_array
from .steps import PlannedStep, plan


@dataclass(frozen=True, eq=False)
class Solution:
    """Every intermediate of one backprop step, in the seed's order."""

    problem: Problem
    steps: tuple[PlannedStep, ...]
    values: Mapping[str, np.ndarray]  # quantity name -> matrix (vectors are n×1)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.values[name]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.steps)

    def to_json(self) -> dict[str, list[list[float]]]:
        return {s.name: self.values[s.name].tolist() for s in self.steps}


def activation_of(problem: Problem, layer: int) -> str:
    return problem.layers[layer - 1].activation


def walk(problem: Problem) -> Iterator[tuple[PlannedStep, dict[str, np.ndarray]]]:
    """Compute the steps one by one; after each, yield it with all values so far (givens included).

    A caller may stop early (the sampler drops a draft at its first unfit value)."""
    values: dict[str, np.ndarray] = dict(problem.givens())
    acts = [ACTIVATIONS[layer.activation] for layer in problem.layers]
    for step in plan(problem.depth, problem.loss):
        # overflow shows as inf/nan in the values (see first_non_finite), not as a warning;
        # + 0.0 turns −0.0 (e.g. δ of an inactive ReLU unit) into 0.0 (and makes a new float array)
        with np.errstate(over="ignore", invalid="ignore"):
            value = step.step.fn(acts[step.layer - 1], **{a: values[q] for a, q in step.args.items()}) + 0.0
        value.setflags(write=False)
        values[step.name] = value
        yield step, values


def stacked_values(problems: Sequence[Problem]) -> dict[str, np.ndarray]:
    """Every value, givens included, of many problems of one kind (:func:`kind_of`) at once: each
    quantity a stack of matrices, problem i's at index i. The same numbers :func:`walk` gives one
    problem at a time (the steps' functions work on stacks), for a fraction of the numpy calls."""
    first = problems[0]
    x = np.stack([p.x for p in problems])
    values = {"X1": np.concatenate((np.ones_like(x[:, :1]), x), axis=1)}
    for l in range(1, first.depth + 1):
        values[f"W{l}"] = np.stack([p.layers[l - 1].W for p in problems])
    values["y"] = np.stack([p.y for p in problems])
    values["c"] = np.array([p.learning_rate for p in problems], dtype=float).reshape(-1, 1, 1)
    acts = [ACTIVATIONS[layer.activation] for layer in first.layers]
    with np.errstate(over="ignore", invalid="ignore"):  # as in walk
        for step in plan(first.depth, first.loss):
            values[step.name] = step.step.fn(acts[step.layer - 1], **{a: values[q] for a, q in step.args.items()}) + 0.0
    for value in values.values():
        value.setflags(write=False)
    return values


def one_of(values: Mapping[str, np.ndarray], i: int) -> dict[str, np.ndarray]:
    """Problem i's values out of :func:`stacked_values`."""
    return {name: value[i] for name, value in values.items()}


def solution_from(problem: Problem, values: Mapping[str, np.ndarray]) -> Solution:
    steps = plan(problem.depth, problem.loss)
    return Solution(problem, steps, MappingProxyType({s.name: values[s.name] for s in steps}))


def solve(problem: Problem) -> Solution:
    values: Mapping[str, np.ndarray] = {}
    for _, values in walk(problem):
        pass
    return solution_from(problem, values)


Kind = tuple  # (layer sizes, activations, loss): what a problem's plan and every shape depend on


def kind_of(problem: Problem) -> Kind:
    """What the steps, their activations and every quantity's shape depend on (not the numbers)."""
    return problem.sizes, tuple(layer.activation for layer in problem.layers), problem.loss


@lru_cache(maxsize=64)
def shapes_of(kind: Kind) -> Mapping[str, tuple[int, ...]]:
    """The shape of every quantity, givens included, of a problem of this ``kind``."""
    sizes, acts, loss = kind
    layers = tuple(Layer(frozen_array(np.full((n, m + 1), 0.5)), act) for m, n, act in zip(sizes, sizes[1:], acts))
    y = column((np.arange(sizes[-1]) == 0).astype(float))
    problem = Problem(column(np.full(sizes[0], 0.5)), y, layers, loss, 0.1)
    values = {**problem.givens(), **solve(problem).values}
    return MappingProxyType({name: v.shape for name, v in values.items()})


def first_non_finite(solution: Solution) -> str | None:
    """The first quantity with an infinite or undefined entry (the numbers overflow), or None."""
    return next((n for n in solution.names if not np.all(np.isfinite(solution[n]))), None)
