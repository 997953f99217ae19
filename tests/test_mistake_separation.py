"""Problems that tell every mistake apart: on every asked entry each catalogued mistake that applies
to it, made from the correct inputs, lands outside the stored tolerance — or gives exactly the right
value and is listed when the week is generated. A week keeps the sampler it was drawn by."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import blind_spots, listed, roster

from generator.roster import RosterEntry

from generator.sampler import SEPARATING, SampleOptions, sample_solution

from generator.week import WeekOptions, add_students, build_week, undetectable_mistakes

STRICT = [SampleOptions((2, 2, 2)), SampleOptions((2, 3, 2), output="softmax"), SampleOptions((2, 3, 2), "relu")]


@pytest.mark.parametrize("opts", STRICT, ids=lambda o: f"{'-'.join(map(str, o.layers))}-{o.hidden_activation}-{o.output}")
def test_every_mistake_lands_outside_the_tolerance_or_is_exactly_right_and_listed(opts):
    week = build_week(roster(60), WeekOptions("separation", "t", opts))
    assert week.options["sampler"] == SEPARATING
    spots = blind_spots(week)
    assert all(exact for *_, exact in spots), sorted(s for s in spots if not s[-1])[:5]
    exact_lines, near_lines = undetectable_mistakes(week)
    assert near_lines == []
    assert {(q, key) for _, q, key, _ in spots} == listed(exact_lines)


def test_deep_networks_list_what_four_digit_work_cannot_resolve():
    """Deep down a network W̃ for W in ∂L/∂X changes it by c·|δ|² only: where no draft tells it apart,
    the week says so (never silently)."""
    week = build_week(roster(20), WeekOptions("separation", "t", SampleOptions((3, 4, 4, 2), "tanh")))
    spots = blind_spots(week)
    exact_lines, near_lines = undetectable_mistakes(week)
    assert {(q, key) for _, q, key, exact in spots if exact} <= listed(exact_lines)
    assert {(q, key) for _, q, key, exact in spots if not exact} == listed(near_lines)


def test_zero_inputs_hide_their_column_and_are_listed_as_exactly_right():
    week = build_week(roster(60), WeekOptions("separation", "t", SampleOptions()))
    exact_lines, _ = undetectable_mistakes(week)
    zero_input = [s for s in week.students if np.any(s.problems[0].problem.x == 0)]
    assert zero_input
    assert {("W1_new", "no_update"), ("W1_new", "wrong_sign"), ("W1_new", "no_learning_rate")} <= listed(exact_lines)
    line = next(line for line in exact_lines if "(W1_new)" in line)
    assert f"no_update ({len(zero_input)} of 60 students)" in line


def test_a_week_drawn_by_an_older_sampler_adds_students_as_it_did():
    """Students added to a week keep its sampler (recorded in week.json): the problems below are
    those the sampler-1 and sampler-2 bpdrill gave this id."""
    old = {
        (2, 2, 2): ({"x": [-0.5, 0.6], "y": [1.0, 1.0], "layers": [
            {"W": [[0.75, 1.0, 0.65], [-0.05, -0.9, -0.55]], "activation": "sigmoid"},
            {"W": [[-0.05, 0.35, 0.5], [-0.85, 0.6, 0.2]], "activation": "sigmoid"}],
            "loss": "mse", "learning_rate": 0.1}, 1),
        (2, 2, 2, 2): ({"x": [-0.8, 1.0], "y": [1.0, 1.0], "layers": [
            {"W": [[-0.45, 0.5, 0.3], [-0.7, 0.75, 0.8]], "activation": "sigmoid"},
            {"W": [[0.45, -0.85, -0.65], [0.25, 0.65, 0.8]], "activation": "sigmoid"},
            {"W": [[-0.75, -0.75, 0.6], [1.0, -0.8, 0.85]], "activation": "sigmoid"}],
            "loss": "mse", "learning_rate": 0.1}, 2),
    }
    for layers, (problem, version) in old.items():
        week = build_week(roster(1), WeekOptions("2026-W48", "t", SampleOptions(layers), sampler=version))
        assert week.options["sampler"] == version
        later = add_students(week, [RosterEntry("ada", "Ada", {}, 9)], {"source": "more.csv", "columns": []})
        assert later.student("ada").problems[0].problem.to_json() == problem
        now = build_week([RosterEntry("ada", "Ada", {}, 9)], WeekOptions("2026-W48", "t", SampleOptions(layers)))
        assert now.options["sampler"] == SEPARATING
        assert now.student("ada").problems[0].problem.to_json() != problem


def test_sampler_three_keeps_the_well_posed_rules():
    from generator.sampler import defects

    rng = np.random.default_rng(4)
    for opts in STRICT + [SampleOptions((2, 2, 2, 2))]:
        for _ in range(5):
            assert defects(sample_solution(rng, opts)) == []
