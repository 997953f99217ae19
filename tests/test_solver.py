"""The solver against every number the seed prints, a textbook example, and an independent autodiff."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator import parse_problem, plan, solve
from generator.steps import STEPS, parse_name, symbol_of

from autograd_ref import reference
from seed_printed import SEED_CE, SEED_CE_EXP, SEED_MSE


def printed_tolerance(text: str) -> float:
    """Half a unit of the last printed digit, plus 1e-6 relative.

    The seed carried rounded intermediates (its remark 2), so a few of its last digits differ from
    exact arithmetic — it prints δ^[1] = 0.0187316942 where exact is 0.0187316933 — hence the
    relative 1e-6 on top of the printed precision.
    """
    decimals = len(text.split(".")[1]) if "." in text else 0
    return 0.5 * 10.0 ** (-decimals) + 1e-6 * abs(float(text))


def assert_printed(name: str, got: np.ndarray, printed: list[list[str]]) -> None:
    assert got.shape == (len(printed), len(printed[0])), name
    for i, row in enumerate(printed):
        for j, text in enumerate(row):
            assert abs(got[i, j] - float(text)) <= printed_tolerance(text), (name, i + 1, j + 1, got[i, j], text)


@pytest.mark.parametrize("name", SEED_MSE)
def test_seed_sigmoid_mse_every_printed_number(seed_mse, name):
    assert_printed(name, solve(seed_mse)[name], SEED_MSE[name])


@pytest.mark.parametrize("name", SEED_CE)
def test_seed_softmax_ce_every_printed_number(seed_ce, name):
    assert_printed(name, solve(seed_ce)[name], SEED_CE[name])


def test_seed_softmax_exponentials(seed_ce):
    net2 = solve(seed_ce)["net2"][:, 0]
    exps, total = SEED_CE_EXP
    for got, text in zip(np.exp(net2), exps):
        assert abs(got - float(text)) <= printed_tolerance(text)
    assert abs(np.exp(net2).sum() - float(total)) <= printed_tolerance(total)


def test_seed_ce_shares_the_forward_pass_of_layer_one(seed_mse, seed_ce):
    for name in ("net1", "a1", "X2", "net2"):
        np.testing.assert_array_equal(solve(seed_mse)[name], solve(seed_ce)[name])


def test_seed_order_is_the_seeds_order(seed_mse, seed_ce):
    assert solve(seed_mse).names == (
        "net1", "a1", "X2", "net2", "a2", "loss", "dL_da2", "delta2", "dL_dW2", "W2_new", "dL_dX2",
        "dL_da1", "delta1", "dL_dW1", "W1_new",
    )
    # the seed goes straight to δ for softmax: no dL_da2
    assert solve(seed_ce).names == (
        "net1", "a1", "X2", "net2", "a2", "loss", "delta2", "dL_dW2", "W2_new", "dL_dX2",
        "dL_da1", "delta1", "dL_dW1", "W1_new",
    )


def test_mazur_step_by_step_example():
    """Matt Mazur's 'A Step by Step Backpropagation Example' (2-2-2 sigmoid, ½Σ(t−o)², η = 0.5).

    His biases are one per layer and not updated; in our notation they are the first columns.
    """
    p = parse_problem({
        "x": [0.05, 0.10], "y": [0.01, 0.99],
        "layers": [{"W": [[0.35, 0.15, 0.20], [0.35, 0.25, 0.30]], "activation": "sigmoid"},
                   {"W": [[0.60, 0.40, 0.45], [0.60, 0.50, 0.55]], "activation": "sigmoid"}],
        "loss": "mse", "learning_rate": 0.5,
    })
    s = solve(p)
    assert s["net1"][0, 0] == pytest.approx(0.3775, abs=1e-9)
    assert s["a1"][0, 0] == pytest.approx(0.593269992, abs=1e-9)
    assert s["a1"][1, 0] == pytest.approx(0.596884378, abs=1e-9)
    assert s["a2"][0, 0] == pytest.approx(0.75136507, abs=1e-8)
    assert s["a2"][1, 0] == pytest.approx(0.772928465, abs=1e-9)
    assert s["loss"][0, 0] == pytest.approx(0.298371109, abs=1e-9)
    assert s["dL_dW2"][0, 1] == pytest.approx(0.082167041, abs=1e-9)
    assert s["W2_new"][:, 1:] == pytest.approx(np.array([[0.35891648, 0.408666186], [0.511301270, 0.561370121]]), abs=1e-8)
    assert s["dL_dW1"][0, 1] == pytest.approx(0.000438568, abs=1e-9)
    assert s["W1_new"][:, 1:] == pytest.approx(np.array([[0.149780716, 0.19956143], [0.24975114, 0.29950229]]), abs=1e-8)


# ---- property tests: random networks against an independent autodiff ----

ELEMENTWISE = ("sigmoid", "tanh", "relu", "identity")


@st.composite
def problems(draw):
    depth = draw(st.integers(1, 4))
    widths = draw(st.lists(st.integers(1, 5), min_size=depth + 1, max_size=depth + 1))
    softmax = draw(st.booleans()) and widths[-1] >= 1
    num = st.floats(-2, 2, allow_nan=False).map(lambda v: round(v, 3))
    layers = []
    for l in range(depth):
        act = "softmax" if (softmax and l == depth - 1) else draw(st.sampled_from(ELEMENTWISE))
        W = [[draw(num) for _ in range(widths[l] + 1)] for _ in range(widths[l + 1])]
        layers.append({"W": W, "activation": act})
    x = [draw(num) for _ in range(widths[0])]
    if softmax:
        k = draw(st.integers(0, widths[-1] - 1))
        y = [1.0 if i == k else 0.0 for i in range(widths[-1])]
    else:
        y = [draw(st.floats(0, 1).map(lambda v: round(v, 2))) for _ in range(widths[-1])]
    lr = draw(st.sampled_from([0.1, 0.5, 1.0, 0.05]))
    return {"x": x, "y": y, "layers": layers, "loss": "cross_entropy" if softmax else "mse", "learning_rate": lr}


def close(a, b, rel=1e-9, abs_=1e-12):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return a.shape == b.shape and bool(np.all(np.abs(a - b) <= np.maximum(rel * np.abs(b), abs_)))


@settings(max_examples=150, deadline=None)
@given(problems())
def test_every_quantity_equals_autodiff(pj):
    sol = solve(parse_problem(pj))
    ref = reference(pj)
    assert set(sol.names) == set(ref)
    for name in sol.names:
        assert close(sol[name], ref[name]), (name, sol[name], ref[name])


def _loss_at(pj, path, value):
    q = json.loads(json.dumps(pj))
    target = q
    for k in path[:-1]:
        target = target[k]
    target[path[-1]] = value
    return float(solve(parse_problem(q))["loss"][0, 0])


@settings(max_examples=60, deadline=None)
@given(problems())
def test_weight_gradients_match_finite_differences(pj):
    """Central differences of the loss in every weight: an independent check of ∂L/∂W^[l]."""
    sol = solve(parse_problem(pj))
    h = 1e-6
    for l, layer in enumerate(pj["layers"], start=1):
        for i, row in enumerate(layer["W"]):
            for j, w in enumerate(row):
                path = ["layers", l - 1, "W", i, j]
                fd = (_loss_at(pj, path, w + h) - _loss_at(pj, path, w - h)) / (2 * h)
                if pj["layers"][l - 1]["activation"] == "relu" or any(
                    la["activation"] == "relu" for la in pj["layers"]
                ):
                    # skip entries where a ReLU kink lies within h of some net
                    nets = np.concatenate([sol[f"net{k}"].ravel() for k in range(1, len(pj["layers"]) + 1)])
                    if np.min(np.abs(nets)) < 1e-4:
                        continue
                assert math.isclose(sol[f"dL_dW{l}"][i, j], fd, rel_tol=1e-5, abs_tol=1e-7), (l, i, j)


@settings(max_examples=60, deadline=None)
@given(problems())
def test_input_gradient_matches_finite_differences(pj):
    """∂L/∂X^[1] (not reported by the seed) through the chain: dL_dX2 of a one-layer-deeper view."""
    sol = solve(parse_problem(pj))
    W1 = np.array(pj["layers"][0]["W"])
    dL_dX1 = W1.T @ sol["delta1"]
    h = 1e-6
    nets = np.concatenate([sol[f"net{k}"].ravel() for k in range(1, len(pj["layers"]) + 1)])
    if any(la["activation"] == "relu" for la in pj["layers"]) and np.min(np.abs(nets)) < 1e-4:
        return
    for i, xi in enumerate(pj["x"]):
        fd = (_loss_at(pj, ["x", i], xi + h) - _loss_at(pj, ["x", i], xi - h)) / (2 * h)
        assert math.isclose(dL_dX1[i + 1, 0], fd, rel_tol=1e-5, abs_tol=1e-7)


# ---- the steps table itself ----

@pytest.mark.parametrize("depth", [1, 2, 3, 5])
@pytest.mark.parametrize("loss", ["mse", "cross_entropy"])
def test_plan_respects_dependencies(depth, loss):
    known = {"X1", "y", "c"} | {f"W{l}" for l in range(1, depth + 1)}
    for step in plan(depth, loss):
        assert set(step.args.values()) <= known, (step.name, step.args)
        assert step.name not in known, f"{step.name} computed twice"
        known.add(step.name)


def test_names_parse_back_and_have_symbols():
    for loss in ("mse", "cross_entropy"):
        for step in plan(3, loss):
            fam, l = parse_name(step.name)
            assert fam == step.family
            assert symbol_of(step.name, 3) == step.symbol
    assert symbol_of("delta2") == "δ^[2]"
    assert symbol_of("W1_new") == "W̃^[1]"
    with pytest.raises(ValueError):
        parse_name("W2new")


def test_every_mistake_differs_from_the_right_answer(seed_mse, seed_ce):
    from generator.solver import activation_of

    seen = 0
    for problem in (seed_mse, seed_ce):
        sol = solve(problem)
        values = {**problem.givens(), **sol.values}
        for step in sol.steps:
            for m in step.step.mistakes:
                wrong = np.asarray(step.compute_mistake(m, activation_of(problem, step.layer), values))
                right = sol[step.name]
                assert wrong.shape != right.shape or not np.allclose(wrong, right), (step.name, m.key)
                seen += 1
    assert seen >= 10
    assert STEPS


def test_overflow_is_one_clear_line_not_infinity(runner, tmp_path):
    from helpers import invoke

    f = tmp_path / "huge.json"
    f.write_text(json.dumps({"x": [1e200], "y": [1], "layers": [{"W": [[0, 1e200]], "activation": "identity"}],
                             "loss": "mse", "learning_rate": 0.1}))
    r = invoke(runner, "solve", f, "--format", "json")
    assert r.exit_code == 2 and "net1 overflows" in r.stderr and r.stdout == ""


def test_extreme_but_finite_problems_solve_quietly(recwarn):
    softmax = parse_problem({"x": [1], "y": [0, 1], "layers": [{"W": [[800, 0], [-800, 0]], "activation": "softmax"}],
                             "loss": "cross_entropy", "learning_rate": 0.1})
    assert solve(softmax)["loss"][0, 0] == pytest.approx(1600.0)  # log-softmax, not log 0
    sigmoid = parse_problem({"x": [1], "y": [0], "layers": [{"W": [[-1000, 0]], "activation": "sigmoid"}],
                             "loss": "mse", "learning_rate": 0.1})
    assert solve(sigmoid)["a1"][0, 0] == 0.0
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_inactive_relu_delta_is_plain_zero():
    p = parse_problem({"x": [1], "y": [1], "layers": [{"W": [[-1, 0]], "activation": "relu"}, {"W": [[0.5, 0.5]], "activation": "sigmoid"}],
                       "loss": "mse", "learning_rate": 0.1})
    assert repr(float(solve(p)["delta1"][0, 0])) == "0.0"


def test_a_sum_that_cancels_by_hand_is_exactly_zero():
    # 0.6 − 0.1·0.8 − 0.65·0.8 is 0 by hand but −2.9e-17 in floating point: the key must print 0
    p = parse_problem({"x": [-0.8, 0.8], "y": [0.2, 0.5],
                       "layers": [{"W": [[0.4, -0.1, -0.3], [0.6, 0.1, -0.65]], "activation": "relu"},
                                  {"W": [[0.3, 0.5, 0.5], [0.1, -0.2, 0.25]], "activation": "identity"}],
                       "loss": "mse", "learning_rate": 0.5})
    s = solve(p)
    assert (p.layers[0].W @ np.array([[1.0], [-0.8], [0.8]]))[1, 0] != 0  # the float noise this test is about
    assert repr(float(s["net1"][1, 0])) == "0.0" and s["a1"][1, 0] == 0.0
    # the output: net2 = [0.3 + 0.5·0.24, 0.1 − 0.2·0.24] = [0.42, 0.052]; a2 − y = [0.22, −0.448]
    assert s["dL_da2"][:, 0].tolist() == pytest.approx([0.22, -0.448], abs=1e-15)
    # a W̃ entry that cancels exactly (0.5 − 0.5·1) is exactly 0, not ±1e-17
    q = parse_problem({"x": [1], "y": [0], "layers": [{"W": [[0.1, 0.4]], "activation": "identity"}],
                       "loss": "mse", "learning_rate": 0.8})
    t = solve(q)  # net = 0.5, dL/dW = 0.5·[1, 1] = [0.5, 0.5], W̃ = [0.1 − 0.4, 0.4 − 0.4]
    assert repr(float(t["W1_new"][0, 1])) == "0.0"
    assert t["W1_new"][0, 0] == pytest.approx(-0.3, abs=1e-15)
