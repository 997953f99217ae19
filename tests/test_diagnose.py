"""The diagnosis of one wrong quantity: each step's typical mistakes (generator.steps), error carried forward."""

from __future__ import annotations

import numpy as np

from generator import solve
from generator.tolerance import entry_tolerances
from grader.diagnose import diagnose
from helpers import entries_of

from grader.judge import INCORRECT


def test_updated_weights_in_dL_dX_are_recognised(seed_mse):
    """∂L/∂X^[2] = (W̃^[2])ᵀ·δ^[2] instead of (W^[2])ᵀ·δ^[2]: a classic slip the seed warns about."""
    sol = solve(seed_mse)
    answers = dict(sol.values)
    tol = entry_tolerances(sol)
    own = dict(answers)
    own["dL_dX2"] = np.asarray(answers["W2_new"]).T @ np.asarray(answers["delta2"])
    assert np.any(np.abs(own["dL_dX2"] - answers["dL_dX2"]) > tol["dL_dX2"])
    found = diagnose(seed_mse, 1, entries_of(own, answers, tol), answers, tol)
    assert [(d.quantity, d.kind) for d in found] == [("dL_dX2", "updated_weights")]
    assert "before the update" in found[0].says


def test_carried_credit_is_not_earned_by_a_chain_of_zeros(seed_mse):
    """An all-zero sheet: δ = 0 ⇒ ∂L/∂W = 0 ⇒ ∂L/∂X = 0 'follows' from the student's own zeros,
    but must not collect error-carried-forward credit; a real carried error still does."""
    from grader.diagnose import with_carried_credit

    sol = solve(seed_mse)
    answers = dict(sol.values)
    tol = entry_tolerances(sol)
    zeros = {n: np.zeros_like(np.asarray(v)) for n, v in answers.items()}
    entries = entries_of(zeros, answers, tol)
    found = diagnose(seed_mse, 1, entries, answers, tol)
    assert any(d.kind == "carried" for d in found)  # the diagnosis may say so …
    assert all(e.credit == 0 for e in with_carried_credit(entries, found, 0.5) if e.verdict == INCORRECT)  # … no credit
    # gradients all 0, W copied into W̃ (= W − c·0): W̃ 'follows' from zeros, and earns nothing either
    copied = {**zeros, "W1_new": seed_mse.givens()["W1"], "W2_new": seed_mse.givens()["W2"]}
    entries = entries_of(copied, answers, tol)
    found = diagnose(seed_mse, 1, entries, answers, tol)
    assert {d.quantity for d in found if d.kind == "carried"} >= {"W2_new"}
    assert all(e.credit == 0 for e in with_carried_credit(entries, found, 0.5) if e.verdict == INCORRECT)
    own = dict(answers)
    own["dL_da2"] = -np.asarray(answers["dL_da2"])
    own["delta2"] = np.asarray(answers["delta2"]) * -1  # the sign slip carried one step
    entries = entries_of(own, answers, tol)
    credited = with_carried_credit(entries, diagnose(seed_mse, 1, entries, answers, tol), 0.5)
    assert {e.quantity for e in credited if e.credit == 0.5} == {"delta2"}


def test_carried_work_rounded_past_a_power_of_ten_is_still_carried(seed_mse):
    """QA round 4: W = −1 and the student's own (sign-slipped) update gives W̃ = −1.001427, written
    −1.001 to 4 significant digits; the exact W̃ is −0.99857, whose tolerance is a decade finer. The
    carried check must allow the student's rounding at their own value's magnitude."""
    from generator import parse_problem
    from generator.solver import activation_of
    from generator.steps import plan
    from generator.tolerance import round_sig

    obj = seed_mse.to_json()
    obj["layers"][1]["W"][0][1] = -1.0
    p = parse_problem(obj)
    sol = solve(p)
    answers, tol = dict(sol.values), entry_tolerances(sol)
    own = {**p.givens(), **answers}
    own["dL_da2"] = -np.asarray(answers["dL_da2"])  # the slip, then every later step right from it, rounded
    names = [s.name for s in plan(p.depth, p.loss)]
    for step in plan(p.depth, p.loss)[names.index("dL_da2") + 1:]:
        own[step.name] = round_sig(np.asarray(step.compute(activation_of(p, step.layer), own)))
    own = {n: own[n] for n in answers}
    assert (own["W2_new"][0, 1] + 1) * (answers["W2_new"][0, 1] + 1) < 0  # on either side of −1
    found = {d.quantity: d.kind for d in diagnose(p, 1, entries_of(own, answers, tol), answers, tol)}
    assert found["W2_new"] == "carried" and found["delta2"] == "carried", found

