"""What went wrong in a quantity a student got wrong (pure; explanation only, no credit).

For each wrong quantity we recompute its step from ``generator.steps`` (the one definition of
the chain) in two ways, with the exact inputs and with the student's own earlier values
(error carried forward), and compare with what the student handed in:

- the right formula applied to their own (wrong) inputs → "your step is right; the error comes
  from ∂L/∂a^[2] earlier";
- one of the step's typical mistakes (:class:`generator.steps.Mistake`) → what they probably did,
  e.g. "the weights were not updated (W̃ = W)".
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from typing import Mapping, Sequence

import numpy as np

from generator.problem import Problem
from generator.solver import activation_of
from generator.steps import PlannedStep, plan
from generator.tolerance import half_unit, round_sig

from .judge import INCORRECT, EntryResult, GradeConfig, Rule


@dataclass(frozen=True)
class Diagnosis:
    problem: int
    quantity: str
    says: str  # one or two sentences to the student (prose; symbols are in ``inputs``)
    kind: str  # the diagnosis code: "carried" (right step, wrong inputs), a Mistake key, or ""
    inputs: tuple[str, ...] = ()  # "carried": the student's own wrong inputs it follows from


def student_values(entries: Sequence[EntryResult], problem: int) -> dict[str, np.ndarray]:
    """The student's matrices for one problem, for quantities they gave completely as numbers."""
    by_name: dict[str, list[EntryResult]] = {}
    for e in entries:
        if e.problem == problem:
            by_name.setdefault(e.quantity, []).append(e)
    out: dict[str, np.ndarray] = {}
    for name, es in by_name.items():
        if all(e.value is not None and not e.note for e in es):
            rows, cols = max(e.row for e in es), max(e.col for e in es)
            m = np.zeros((rows, cols))
            for e in es:
                m[e.row - 1, e.col - 1] = e.value
            out[name] = m
    return out


def _matches(candidate: np.ndarray, submitted: np.ndarray, tol: np.ndarray) -> bool:
    return candidate.shape == submitted.shape and bool(np.all(np.abs(candidate - submitted) <= 2 * tol + 1e-12))


def _fits(candidate: np.ndarray, submitted: np.ndarray, tol: np.ndarray) -> bool:
    """Does ``submitted`` fit a value computed the student's way? ``tol`` is the exact answer's;
    the student rounds ``candidate`` at its own magnitude (−1.001427 → −1.001, where the exact
    −0.99857 is judged a decade finer), so half a unit of its 4th significant digit is allowed too."""
    return candidate.shape == submitted.shape and _matches(candidate, submitted, tol + half_unit(candidate) / 2)


CARRIED = "carried"  # the diagnosis code of a step right from the student's own wrong earlier values
PRECISION = "precision"  # the code of an entry that is the exact value rounded to too few digits
PRECISION_DIGITS = (2, 3)

# a carried-forward diagnosis; {} is what it follows from ("earlier values", or the feedback page's symbols)
CARRIED_SAYS = ("It follows correctly from your own {}: the step itself is right, the error comes from earlier "
                "(error carried forward).")


def _explain(step: PlannedStep, problem: Problem, exact: Mapping[str, np.ndarray], own: Mapping[str, np.ndarray],
             tolerances: Mapping[str, np.ndarray]) -> tuple[str, str, tuple[str, ...]]:
    act = activation_of(problem, step.layer)
    submitted, tol = own[step.name], np.asarray(tolerances[step.name])

    def differs(q: str) -> bool:  # the student's own value of an input is not the exact one
        return q in own and q in tolerances and not _matches(own[q], np.asarray(exact[q]), np.asarray(tolerances[q]) / 2)

    differing = [q for q in step.args.values() if differs(q)]
    mixed = {**exact, **{q: own[q] for q in differing}}
    try:
        if differing and _fits(np.asarray(step.compute(act, mixed)), submitted, tol):
            return (CARRIED, CARRIED_SAYS.format("earlier values"), tuple(differing))
        # φ′ from the student's own a^[l] (σ′ = a(1 − a), tanh′ = 1 − a²), as the seed's remark 3 does
        a = f"a{step.layer}"
        via = [q for q in step.args.values() if q != f"net{step.layer}"] + [a]
        if step.step.via_a is not None and a in own and any(differs(q) for q in via):
            candidate = step.compute_via_a(act, {**mixed, a: own[a]})
            if candidate is not None and _fits(np.asarray(candidate), submitted, tol):
                return (CARRIED, CARRIED_SAYS.format("earlier values"), tuple(q for q in via if differs(q)))
        for m in step.mistakes(act):
            for values in ((mixed, exact) if differing else (exact,)):
                wrong = np.asarray(step.compute_mistake(m, act, values))
                if _fits(wrong, submitted, tol):
                    return m.key, f"It looks like {m.says}.", ()
    except (ValueError, TypeError, FloatingPointError, KeyError):
        pass
    return "", "", ()


def diagnose(problem: Problem, number: int, entries: Sequence[EntryResult], answers: Mapping[str, np.ndarray],
             tolerances: Mapping[str, np.ndarray]) -> list[Diagnosis]:
    """A diagnosis for every quantity of one problem with an incorrect entry."""
    wrong = {e.quantity for e in entries if e.problem == number and e.verdict == INCORRECT}
    if not wrong:
        return []
    own = student_values(entries, number)
    exact = dict(problem.givens())
    exact.update(answers)
    out = []
    for step in plan(problem.depth, problem.loss):
        if step.name not in wrong:
            continue
        if step.name not in own:
            out.append(Diagnosis(number, step.name, "Some entries are not numbers or are ambiguous; see the table.", ""))
            continue
        with np.errstate(all="ignore"):  # a student's 1e308 must not print warnings
            kind, says, inputs = _explain(step, problem, exact, own, tolerances)
        out.append(Diagnosis(number, step.name, says, kind, inputs))
    return out



CARRIED_NOTE = "error carried forward"


def with_carried_credit(entries: Sequence[EntryResult], diagnoses: Sequence[Diagnosis],
                        fraction: float) -> tuple[EntryResult, ...]:
    """The incorrect entries of a quantity that follows from the student's own earlier values
    (a "carried" diagnosis) earn ``fraction`` of their points (``[points] carried``)."""
    # zeros follow from zeros (δ = 0 ⇒ ∂L/∂W = 0 ⇒ ∂L/∂X = 0, and W̃ = W − c·0 = W): a quantity
    # handed in as all zeros, or carried only from such, earns nothing, or an empty sheet of 0s
    # (W copied into W̃) would collect credit down the chain
    by_quantity: dict[tuple[int, str], list[EntryResult]] = {}
    for e in entries:
        by_quantity.setdefault((e.problem, e.quantity), []).append(e)

    def zeros(problem: int, quantity: str) -> bool:
        return not any(e.value for e in by_quantity.get((problem, quantity), ()))

    carried = {(d.problem, d.quantity) for d in diagnoses if d.kind == CARRIED
               and not zeros(d.problem, d.quantity) and not all(zeros(d.problem, q) for q in d.inputs)}
    if not fraction or not carried:
        return tuple(entries)
    note = f"{CARRIED_NOTE}: {fraction:.0%} credit"
    return tuple(replace(e, credit=fraction, note=e.note or note)
                 if e.verdict == INCORRECT and (e.problem, e.quantity) in carried else e for e in entries)


def too_few_digits(e: EntryResult) -> bool:
    """An entry judged incorrect that is its exact value rounded to 2 or 3 significant digits
    (0.432 or 0.43 for 0.43168): right work, written too coarsely."""
    if e.verdict != INCORRECT or e.value is None:
        return False
    return any(math.isclose(e.value, float(round_sig(e.expected, d)), rel_tol=1e-9, abs_tol=1e-15)
               for d in PRECISION_DIGITS)


SHEET_DIGITS = 4  # the week's recorded tolerance is honest work at 4 significant digits


def significant_digits(text: str) -> int | None:
    """How many significant digits a number is written with (``0.432`` → 3, ``-1.20e-3`` → 3,
    ``1,05`` → 3); None when the text is not a plain number."""
    m = re.fullmatch(r"\s*[-+\u2212]?(\d*)[.,]?(\d*)(?:[eE][-+]?\d+)?\s*", text)
    if not m or not (m[1] or m[2]):
        return None
    digits = (m[1] + m[2]).lstrip("0")
    return len(digits) if digits else None


def precision_note(e: EntryResult, rule: Rule) -> str:
    """What the student is told of an entry coded ``precision`` (the exact value rounded too
    coarsely): "the sheet asks for at least 4 significant digits (3 given)" — the tolerance rule's
    own digits with a ``sigfig`` rule, its decimals with ``decdig``; "" for other entries."""
    if e.diagnosis != PRECISION:
        return ""
    given = significant_digits(e.submitted)
    said = f" ({given} given)" if given is not None else ""
    if rule.mode == "decdig":
        return f"the sheet asks for {rule.n} decimal places"
    if rule.mode in ("record", "sigfig"):
        return f"the sheet asks for at least {rule.n if rule.mode == 'sigfig' else SHEET_DIGITS} significant digits{said}"
    return "the value is rounded too coarsely"


def with_precision_notes(entries: Sequence[EntryResult], config: GradeConfig) -> tuple[EntryResult, ...]:
    """Entries coded ``precision`` (``with_diagnosis_codes``) without a note get ``precision_note``:
    ``0.432`` for 0.43168 is marked wrong, and the student is told why."""
    return tuple(replace(e, note=precision_note(e, config.rule(e.quantity))) if e.diagnosis == PRECISION and not e.note
                 else e for e in entries)


def with_diagnosis_codes(entries: Sequence[EntryResult], diagnoses: Sequence[Diagnosis]) -> tuple[EntryResult, ...]:
    """Each incorrect entry with its diagnosis code: its quantity's (a ``Mistake`` key of
    ``generator.steps``, or ``carried``), else ``precision`` when it is the exact value rounded
    too coarsely, else none. Right and missing entries have none."""
    kinds = {(d.problem, d.quantity): d.kind for d in diagnoses}

    def code(e: EntryResult) -> str:
        if e.verdict != INCORRECT:
            return ""
        return kinds.get((e.problem, e.quantity)) or (PRECISION if too_few_digits(e) else "")

    return tuple(replace(e, diagnosis=code(e)) for e in entries)
