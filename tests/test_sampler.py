"""The sampler: hand-friendly numbers and well-posed problems, checked independently of its own rules."""

import json
import math
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.activations import ACTIVATIONS
from generator.sampler import (
    SampleOptions,
    SamplerError,
    check_options,
    defects,
    draw_problem,
    sample_solution,
    sample_solutions,
    SEPARATING,
    sampler_version,
)
from generator.solver import solve
from generator.tolerance import entry_tolerances
from generator.steps import parse_name

CONFIGS = [
    SampleOptions(),
    SampleOptions(output="softmax"),
    SampleOptions(hidden_activation="tanh"),
    SampleOptions(hidden_activation="relu", output="softmax"),
    SampleOptions(layers=(3, 4, 3), hidden_activation="relu"),
    SampleOptions(layers=(2, 3, 3, 2), hidden_activation="tanh", learning_rate=0.5),
]


def decimals(v: float) -> int:
    return max(0, -Decimal(repr(float(v))).normalize().as_tuple().exponent)


def by_family(solution):
    out = {}
    for name in solution.names:
        fam, l = parse_name(name)
        out.setdefault(fam, {})[l] = solution[name]
    return out


def assert_hand_friendly(solution, opts: SampleOptions) -> None:
    """The README's rules, written out again here on purpose (not via sampler.defects)."""
    p = solution.problem
    assert p.sizes == opts.layers
    assert p.learning_rate == opts.learning_rate
    for layer in p.layers:
        for w in layer.W.ravel():
            assert w != 0 and -1 <= w <= 1 and decimals(w) <= 2 and math.isclose(w * 20, round(w * 20))
    assert all(decimals(x) <= 2 and -1 <= x <= 1 for x in p.x.ravel()) and p.x.any()
    y = p.y.ravel()
    if opts.output == "softmax":
        assert sorted(y) == [0.0] * (len(y) - 1) + [1.0]
    else:
        assert all(0 <= v <= 1 and decimals(v) <= 2 for v in y)
    f = by_family(solution)
    c = p.learning_rate
    for l, layer in enumerate(p.layers, start=1):
        net, delta = f["net"][l], f["delta"][l]
        act = layer.activation
        if act == "sigmoid":
            assert np.all(ACTIVATIONS[act].df(net) >= 0.025), "saturated sigmoid"
        if act == "tanh":
            assert np.all(ACTIVATIONS[act].df(net) >= 0.1), "saturated tanh"
        if act == "relu":
            assert np.all(np.abs(net) >= 0.05) and np.any(net > 0)
            assert np.all(np.abs(delta[net > 0]) >= 1e-3) and np.all(delta[net < 0] == 0)
        else:
            assert np.all(np.abs(delta) >= 1e-3), "vanishing delta"
        if act == "softmax":
            a = sorted(f["a"][l].ravel())
            assert all(b - a_ >= 0.01 for a_, b in zip(a, a[1:])), "softmax tie"
        W_new, step = f["W_new"][l], c * np.abs(f["dL_dW"][l])
        for w_new, s in zip(W_new.ravel(), step.ravel()):
            if s != 0:
                assert s >= 1.5 * 10 ** (math.floor(math.log10(abs(w_new))) - 3), "update invisible at 4 s.f."


@pytest.mark.parametrize("opts", CONFIGS, ids=lambda o: f"{o.layers}-{o.hidden_activation}-{o.output}")
def test_hand_friendly_over_many_samples(opts):
    rng = np.random.default_rng(20261129)
    for _ in range(150):
        solution = sample_solution(rng, opts)
        assert_hand_friendly(solution, opts)
        assert solution.to_json() == solve(solution.problem).to_json()  # the solver's own answers


@settings(max_examples=40, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 4), min_size=2, max_size=4),
    hidden=st.sampled_from(["sigmoid", "tanh", "relu"]),
    output=st.sampled_from(["sigmoid", "softmax"]),
    c=st.sampled_from([0.05, 0.1, 0.25, 1.0]),
    seed=st.integers(0, 2**32),
)
def test_hand_friendly_for_any_small_network(sizes, hidden, output, c, seed):
    if output == "softmax":
        sizes[-1] = max(sizes[-1], 2)
    opts = SampleOptions(tuple(sizes), hidden, output, c)
    assert_hand_friendly(sample_solution(np.random.default_rng(seed), opts), opts)


def test_same_generator_state_same_problem_and_seeds_differ():
    opts = SampleOptions()
    a = sample_solution(np.random.default_rng(7), opts).problem
    b = sample_solution(np.random.default_rng(7), opts).problem
    c = sample_solution(np.random.default_rng(8), opts).problem
    assert a == b and a != c


def test_problem_k_does_not_depend_on_how_many():
    opts = SampleOptions()
    two = sample_solutions(np.random.default_rng(3), opts, 2)
    three = sample_solutions(np.random.default_rng(3), opts, 3)
    assert [s.problem for s in two] == [s.problem for s in three[:2]]


def test_defects_names_what_is_wrong(seed_mse):
    assert defects(solve(seed_mse)) == []  # the worked example is itself hand-friendly
    from generator.problem import parse_problem

    saturated = parse_problem({
        "x": [1, 1], "y": [1, 0], "loss": "mse", "learning_rate": 0.1,
        "layers": [{"W": [[5, 5, 5], [1, 1, 1]], "activation": "sigmoid"},
                   {"W": [[0.1, 0.2, 0.3], [0.1, 0.2, 0.3]], "activation": "sigmoid"}],
    })
    found = defects(solve(saturated))
    assert any("saturated" in d for d in found)


def test_draws_are_rejected_sometimes_so_the_checks_matter():
    rng = np.random.default_rng(0)
    assert any(defects(solve(draw_problem(rng, SampleOptions()))) for _ in range(50))


@pytest.mark.parametrize("opts, option", [
    (SampleOptions(layers=(2,)), "--layers"),
    (SampleOptions(layers=(2, 0, 2)), "--layers"),
    (SampleOptions(hidden_activation="softmax"), "--hidden-activation"),
    (SampleOptions(output="relu"), "--output"),
    (SampleOptions(output="softmax", layers=(2, 1)), "--output"),
    (SampleOptions(learning_rate=0), "--learning-rate"),
    (SampleOptions(learning_rate=-0.1), "--learning-rate"),
    (SampleOptions(learning_rate=float("nan")), "--learning-rate"),
])
def test_impossible_options_are_refused_naming_the_option(opts, option):
    with pytest.raises(SamplerError, match=option):
        check_options(opts)


def test_unreachable_rules_end_with_a_clear_error():
    with pytest.raises(SamplerError, match="no hand-friendly problem"):
        sample_solution(np.random.default_rng(0), SampleOptions(layers=(2, 2, 2, 2, 2, 2, 2)), max_attempts=3)


DEEP = [
    SampleOptions(layers=(2, 2, 2, 2, 2)),
    SampleOptions(layers=(3, 4, 4, 4, 2)),
    SampleOptions(layers=(3, 4, 4, 4, 2), output="softmax"),
    SampleOptions(layers=(2, 3, 3, 3, 3, 2)),
    SampleOptions(layers=(2, 2, 2, 2), learning_rate=0.05),
]


@pytest.mark.parametrize("opts", DEEP, ids=lambda o: f"{o.layers}-{o.output}-{o.learning_rate}")
def test_deep_sigmoid_networks_sample_and_keep_every_rule(opts):
    rng = np.random.default_rng(48)
    for _ in range(25):
        assert_hand_friendly(sample_solution(rng, opts), opts)
    assert sampler_version(opts) == SEPARATING


def test_deep_sigmoid_draws_are_reproducible_and_varied():
    opts = SampleOptions(layers=(2, 2, 2, 2, 2))
    a = sample_solution(np.random.default_rng(5), opts).problem
    assert a == sample_solution(np.random.default_rng(5), opts).problem
    many = {json.dumps(sample_solution(np.random.default_rng(s), opts).problem.to_json()) for s in range(40)}
    assert len(many) == 40


def test_a_week_recorded_with_sampler_1_is_drawn_as_before():
    """Sampler 2 changed deep sigmoid networks only and sampler 3 adds every mistake told apart: a week
    whose record says sampler 1 is drawn as before."""
    from generator.week import WeekOptions, sampled_problems

    assert sampler_version(SampleOptions()) == sampler_version(SampleOptions(layers=(2, 2, 2, 2, 2), hidden_activation="tanh")) == SEPARATING
    first = sampled_problems(WeekOptions(seed="2026-W48", title="t", sampler=1), "00001")[0].problem
    assert first.to_json() == {"x": [-1.0, 0.8], "y": [0.0, 0.0], "layers": [{"W": [[-0.25, -0.4, 0.05], [-0.15, 0.3, 0.15]], "activation": "sigmoid"}, {"W": [[-0.7, -0.1, 0.75], [0.6, 0.7, 0.7]], "activation": "sigmoid"}], "loss": "mse", "learning_rate": 0.1}


@pytest.mark.parametrize("opts, version", [(SampleOptions(), None), (SampleOptions(layers=(2, 3, 2), output="softmax"), None),
                                           (SampleOptions(layers=(2, 3, 2), hidden_activation="relu"), 1),
                                           (SampleOptions(layers=(2, 2, 2, 2)), None)])
def test_students_drawn_together_get_the_problems_each_draws_alone(opts, version):
    from generator.sampler import sample_judged_many, sample_judged_solutions
    together = sample_judged_many([np.random.default_rng(s) for s in range(12)], opts, 2, version)
    for s, drawn in enumerate(together):
        alone = sample_judged_solutions(np.random.default_rng(s), opts, 2, version)
        assert [(json.dumps(d[0].problem.to_json()), d[1]) for d in drawn] == \
               [(json.dumps(a[0].problem.to_json()), a[1]) for a in alone]
        for (solution, _, tolerances), (own, _) in zip(drawn, alone):
            assert all(solution[n].tobytes() == own[n].tobytes() for n in own.names)
            assert tolerances is None or all(tolerances[n].tobytes() == t.tobytes() for n, t in entry_tolerances(own).items())
