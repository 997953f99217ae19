"""Diagnoses as data: every wrong entry of details.csv names what went wrong with a stable code —
the step's typical mistake (generator.steps), ``carried`` for what follows from the student's own
earlier values, ``precision`` for the exact value rounded to 2 or 3 significant digits."""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from helpers import invoke, put

from generator.record import StudentProblem, Week, write_week
from generator.sampler import SampleOptions, sample_solution
from generator.solver import activation_of, solve
from generator.steps import STEPS, plan
from generator.tolerance import entry_tolerances, round_sig
from grader.samples import plantable, planted, quick_week, submission_csv
from grader.diagnose import CARRIED, PRECISION, diagnose, with_carried_credit, with_diagnosis_codes
from grader.judge import CORRECT, INCORRECT, EntryResult

CODES = {m.key for s in STEPS for m in s.mistakes}
SHAPES = [SampleOptions((2, 2, 2)), SampleOptions((2, 3, 2), output="softmax"),
          SampleOptions((3, 4, 4, 2), "tanh"), SampleOptions((2, 3, 2), "relu")]


def judged(problem, values, carried: float = 0.5) -> tuple[EntryResult, ...]:
    """Every entry judged against the record's tolerances, diagnosed and coded as grading does."""
    sol = solve(problem)
    tol = entry_tolerances(sol)
    entries = []
    for name in sol.names:
        for (i, j), v in np.ndenumerate(np.asarray(values[name])):
            e, t = float(sol[name][i, j]), float(tol[name][i, j])
            verdict = CORRECT if abs(v - e) <= t * (1 + 1e-12) + 1e-15 else INCORRECT
            entries.append(EntryResult(1, name, i + 1, j + 1, e, t, repr(float(v)), float(v), verdict,
                                       float(verdict == CORRECT), 1.0))
    found = diagnose(problem, 1, entries, dict(sol.values), tol)
    return with_diagnosis_codes(with_carried_credit(entries, found, carried), found)


def assert_coded(problem, name: str, key: str) -> None:
    entries = judged(problem, planted(problem, name, key))
    order = solve(problem).names
    wrong = [e for e in entries if e.verdict == INCORRECT]
    assert wrong and wrong[0].quantity == name, (name, key)
    for e in wrong:
        if e.quantity == name:
            assert e.diagnosis == key, (name, key, e)
        else:
            assert order.index(e.quantity) > order.index(name)
            assert e.diagnosis == CARRIED, (name, key, e)
            assert e.credit == 0.5 or not any(x.value for x in entries if x.quantity == e.quantity)
    assert all(e.diagnosis == "" for e in entries if e.verdict == CORRECT)


def test_every_planted_mistake_on_the_seed_problems_gets_its_code(seed_mse, seed_ce):
    seen = set()
    for problem in (seed_mse, seed_ce):
        for name, key in plantable(problem):
            assert_coded(problem, name, key)
            seen.add(key)
    assert len(seen) >= 12


def test_every_code_is_found_on_generated_problems():
    rng = np.random.default_rng(12)
    seen = set()
    for opts in SHAPES:
        for _ in range(3):
            problem = sample_solution(rng, opts).problem
            for name, key in plantable(problem):
                assert_coded(problem, name, key)
                seen.add(key)
    assert seen == CODES


def test_a_carried_delta_may_take_phi_prime_from_the_students_own_a(seed_mse):
    """The seed's remark 3: σ′ = a(1 − a) from one's own (here too coarsely rounded) a."""
    sol = solve(seed_mse)
    own = dict(sol.values)
    own["a2"] = np.round(np.asarray(sol["a2"]), 2)
    a = own["a2"]
    own["dL_da2"] = a - seed_mse.y
    own["delta2"] = own["dL_da2"] * a * (1 - a)
    codes = {(e.quantity, e.diagnosis) for e in judged(seed_mse, own) if e.verdict == INCORRECT}
    assert ("delta2", CARRIED) in codes and ("a2", PRECISION) in codes


def test_entries_rounded_to_two_or_three_digits_are_precision(seed_mse):
    from grader.diagnose import too_few_digits

    sol = solve(seed_mse)
    own = dict(sol.values)
    own["net1"] = np.asarray(sol["net1"]) + 0.003  # wrong, and not a rounding
    own["delta1"] = round_sig(np.asarray(sol["delta1"]), 2)
    own["dL_dW2"] = round_sig(np.asarray(sol["dL_dW2"]), 2)
    own["dL_dX2"] = np.asarray(sol["dL_dX2"]) * 1.5
    coded = {(e.quantity, e.diagnosis) for e in judged(seed_mse, own) if e.verdict == INCORRECT}
    assert {("delta1", PRECISION), ("dL_dW2", PRECISION)} <= coded
    assert {d for q, d in coded if q in ("net1", "dL_dX2")} == {""}

    def entry(value, expected=0.43168):
        return EntryResult(1, "a1", 1, 1, expected, 1e-5, str(value), value, INCORRECT, 0.0, 1.0)

    assert too_few_digits(entry(0.432)) and too_few_digits(entry(0.43)) and too_few_digits(entry(-0.0012, -0.0012345))
    assert not too_few_digits(entry(0.4317)) and not too_few_digits(entry(0.433)) and not too_few_digits(entry(0.4))


@pytest.mark.parametrize("digits", [None, 4])
def test_honest_work_exact_or_rounded_gets_no_diagnosis(seed_mse, seed_ce, digits):
    for problem in [seed_mse, seed_ce] + [sample_solution(np.random.default_rng(3), o).problem for o in SHAPES]:
        values = dict(problem.givens())
        for step in plan(problem.depth, problem.loss):
            v = step.compute(activation_of(problem, step.layer), values)
            values[step.name] = v if digits is None else round_sig(v, digits)
        assert all(e.verdict == CORRECT and e.diagnosis == "" for e in judged(problem, values))


# ---- through `bpdrill grade`: the diagnosis column of details.csv ----

def graded_details(runner, tmp_path: Path, week: Week, works: dict[str, object], carried: float = 0.5):
    write_week(tmp_path / "week", week)
    for s in week.students:
        put(tmp_path / "subs", f"{s.file}.csv", submission_csv(week, s, works[s.id]))
    (tmp_path / "grade.toml").write_text(f"[points]\ncarried = {carried}\n")
    r = invoke(runner, "grade", tmp_path / "week", tmp_path / "subs", "--out", tmp_path / "out",
               "--config", tmp_path / "grade.toml", "--feedback", "none")
    assert r.exit_code == 0, r.output
    with open(tmp_path / "out" / "details.csv", encoding="utf-8") as f:
        details = list(csv.DictReader(f))
    with open(tmp_path / "out" / "grades.csv", encoding="utf-8") as f:
        grades = {g["student_id"]: g for g in csv.DictReader(f)}
    return details, grades


def assert_details_coded(details, grades, plan_of: dict[str, list[tuple[int, str, str]]], solved) -> None:
    for sid, planted_ in plan_of.items():
        rows = [d for d in details if d["student_id"] == sid]
        if not planted_:
            assert all(d["verdict"] == "correct" and d["diagnosis"] == "" for d in rows), sid
            assert grades[sid]["flags"] == "", sid
            continue
        for k, name, key in planted_:
            order = solved(sid, k)
            wrong = [d for d in rows if d["problem"] == str(k) and d["verdict"] == "incorrect"]
            assert wrong[0]["quantity"] == name
            for d in wrong:
                if d["quantity"] == name:
                    assert d["diagnosis"] == key, (sid, d)
                else:
                    assert order.index(d["quantity"]) > order.index(name) and d["diagnosis"] == CARRIED, (sid, d)


def test_details_csv_codes_planted_mistakes_on_the_seed_problems(runner, tmp_path, seed_mse, seed_ce):
    problems = [seed_mse, seed_ce]
    pairs = [(k, name, key) for k, p in enumerate(problems, start=1) for name, key in plantable(p)]
    ids = [(f"m{n:02d}", f"Mistake {n}") for n in range(len(pairs))] + [("exact", "E"), ("rounded", "R")]
    week = quick_week(ids, problems=problems)

    def work(pair):
        def values(k):
            sp = week.students[0].problems[k]
            if pair is None or pair[0] != k + 1:
                return dict(sp.answers)
            return planted(sp.problem, pair[1], pair[2])
        return values

    works = {sid: work(pairs[n]) for n, (sid, _) in enumerate(ids[:len(pairs)])}
    works["exact"] = work(None)
    works["rounded"] = lambda k: {n: round_sig(v, 4) for n, v in hand(week.students[0].problems[k].problem).items()}
    details, grades = graded_details(runner, tmp_path, week, works)
    shown = {(k, name, key) for k, name, key in pairs if name != "loss"}  # the loss is not asked by default
    plan_of = {sid: [pairs[n]] for n, (sid, _) in enumerate(ids[:len(pairs)]) if pairs[n] in shown}
    plan_of.update({"exact": [], "rounded": []})
    assert_details_coded(details, grades, plan_of, lambda sid, k: solve(problems[k - 1]).names)
    found = {d["diagnosis"] for d in details} - {"", CARRIED}
    assert found == {key for _, _, key in shown}


def hand(problem) -> dict[str, np.ndarray]:
    values = dict(problem.givens())
    for step in plan(problem.depth, problem.loss):
        values[step.name] = round_sig(step.compute(activation_of(problem, step.layer), values), 4)
    return values


@pytest.mark.parametrize("opts", SHAPES, ids=lambda o: f"{'-'.join(map(str, o.layers))}-{o.hidden_activation}-{o.output}")
def test_details_csv_codes_planted_mistakes_on_generated_problems(runner, tmp_path, opts):
    rng = np.random.default_rng(5)
    pool = [sample_solution(rng, opts).problem for _ in range(4)]
    pairs = [(p, name, key) for p in pool for name, key in plantable(p) if name != "loss"]
    ids = [(f"m{n:02d}", f"Mistake {n}") for n in range(len(pairs))] + [("rounded", "R")]
    base = quick_week(ids)
    students = []
    for n, s in enumerate(base.students):
        problem = pairs[n][0] if n < len(pairs) else pool[0]
        sol = solve(problem)
        students.append(replace(s, problems=(StudentProblem(problem, dict(sol.values), entry_tolerances(sol)),)))
    week = Week(base.title, base.seed, base.asked, {"layers": list(opts.layers)}, base.roster, tuple(students))
    works = {sid: (lambda k, p=pairs[n]: planted(p[0], p[1], p[2])) for n, (sid, _) in enumerate(ids[:len(pairs)])}
    works["rounded"] = lambda k: hand(pool[0])
    details, grades = graded_details(runner, tmp_path, week, works)
    plan_of = {sid: [(1, pairs[n][1], pairs[n][2])] for n, (sid, _) in enumerate(ids[:len(pairs)])}
    plan_of["rounded"] = []
    by_id = {s.id: s for s in week.students}
    assert_details_coded(details, grades, plan_of, lambda sid, k: solve(by_id[sid].problems[0].problem).names)
