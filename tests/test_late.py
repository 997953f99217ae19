from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from grader.late import (
    ON_TIME,
    Candidate,
    LateError,
    LatePolicy,
    Lateness,
    choose_submission,
    late_cell,
    late_from_name,
    late_penalty,
    lateness,
    parse_late_policy,
    parse_time,
)

DEADLINE = datetime(2026, 12, 1, 23, 59)


def test_canvas_names():
    assert late_from_name("doejane_late_12345_67890_answers.csv") is True
    assert late_from_name("submissions/doejane_LATE_12345_67890_answers-1.xlsx") is True
    assert late_from_name("doejane_12345_67890_answers.csv") is False
    assert late_from_name("doejane_12345_67890_late_answers.csv") is False  # "late" in the original name
    assert late_from_name("Jane Doe_4321_assignsubmission_file_/answers.csv") is None
    assert late_from_name("answers.csv") is None


def test_lateness_from_deadline_and_name():
    assert lateness("a.csv", DEADLINE - timedelta(minutes=1), DEADLINE) == Lateness(False, None, DEADLINE - timedelta(minutes=1))
    assert not lateness("a.csv", DEADLINE, DEADLINE).late  # exactly on the deadline is on time
    late = lateness("a.csv", DEADLINE + timedelta(hours=25, minutes=3), DEADLINE)
    assert late.late and late.days == 2 and "1 d 1 h 3 min after the deadline 2026-12-01 23:59" in late.reason
    assert lateness("a.csv", DEADLINE + timedelta(seconds=1), DEADLINE).days == 1
    canvas = lateness("doe_late_1_2_a.csv")
    assert canvas.late and canvas.by is None and canvas.days == 1 and "Canvas" in canvas.reason
    # Canvas's mark wins over a zip time that looks on time; the deadline still says how late when it can
    assert lateness("doe_late_1_2_a.csv", DEADLINE - timedelta(hours=1), DEADLINE).late
    assert lateness("doe_late_1_2_a.csv", DEADLINE + timedelta(days=3), DEADLINE).days == 3
    assert not lateness("doe_1_2_a.csv").late and lateness().late is False


def test_naive_and_aware_times_compare():
    aware_deadline = DEADLINE.astimezone(timezone.utc)  # the same instant, as UTC
    assert not lateness("a", DEADLINE - timedelta(seconds=30), aware_deadline).late
    assert lateness("a", DEADLINE + timedelta(seconds=30), aware_deadline).late


def test_parse_time():
    assert parse_time("2026-12-01T23:59") == DEADLINE
    assert parse_time("2026-12-01 23:59") == DEADLINE
    assert parse_time("2026-12-01") == datetime(2026, 12, 1, 23, 59, 59)
    assert parse_time("2026-12-01T22:59Z") == datetime(2026, 12, 1, 22, 59, tzinfo=timezone.utc)
    with pytest.raises(LateError, match="^--deadline: 'tomorrow' is not a date"):
        parse_time("tomorrow")


def test_parse_policy():
    assert parse_late_policy(None).is_none and parse_late_policy({}).is_none
    p = parse_late_policy({"per_day": 10, "cap": 50})
    assert (p.per_day, p.cap, p.cutoff) == (10, 50, None)
    assert parse_late_policy({"cutoff": "2026-12-01T23:59"}).cutoff == DEADLINE
    assert parse_late_policy({"cutoff": DEADLINE}).cutoff == DEADLINE  # tomllib parses TOML datetimes
    assert "10% off per started day late, at most 50%" in p.describe()
    for bad, msg in [
        ({"per_day": 150}, "field per_day"),
        ({"per_day": "10%"}, "field per_day"),
        ({"per_day": True}, "field per_day"),
        ({"cap": 50}, "cap needs per_day"),
        ({"cutoff": "soon"}, "field cutoff"),
        ({"perday": 10}, "unknown field 'perday'"),
        ([1], "expected a table"),
    ]:
        with pytest.raises(LateError, match=msg):
            parse_late_policy(bad)


def test_penalties():
    policy = LatePolicy(per_day=10, cap=50)
    assert late_penalty(policy, ON_TIME).multiplier == 1.0 and late_penalty(policy, ON_TIME).message == ""
    two = lateness("a", DEADLINE + timedelta(hours=30), DEADLINE)
    p = late_penalty(policy, two)
    assert (p.multiplier, p.percent, p.days) == (pytest.approx(0.8), 20, 2)
    assert "2 started days × 10% = 20% off" in p.message
    week = late_penalty(policy, lateness("a", DEADLINE + timedelta(days=7), DEADLINE))
    assert week.percent == 50 and "capped at 50%" in week.message
    unknown = late_penalty(policy, lateness("doe_late_1_2_a.csv"))
    assert unknown.percent == 10 and "unknown time: counted as 1 day" in unknown.message
    assert late_penalty(LatePolicy(), two).multiplier == 1.0 and "no late penalty" in late_penalty(LatePolicy(), two).message


def test_cutoff():
    policy = LatePolicy(per_day=10, cutoff=DEADLINE + timedelta(days=2))
    assert late_penalty(policy, lateness("a", DEADLINE + timedelta(days=1), DEADLINE)).multiplier == pytest.approx(0.9)
    gone = late_penalty(policy, lateness("a", DEADLINE + timedelta(days=3), DEADLINE))
    assert gone.multiplier == 0.0 and "after the cut-off" in gone.message
    # a cut-off alone works without a deadline too
    only = LatePolicy(cutoff=DEADLINE)
    assert late_penalty(only, lateness("a", DEADLINE + timedelta(minutes=5))).multiplier == 0.0
    assert late_penalty(only, lateness("a", DEADLINE - timedelta(minutes=5))).multiplier == 1.0


@given(st.integers(min_value=1, max_value=10**7), st.floats(0, 100), st.floats(0, 100))
def test_penalty_bounds(seconds, per_day, cap):
    late = lateness("a", DEADLINE + timedelta(seconds=seconds), DEADLINE)
    p = late_penalty(LatePolicy(per_day, cap), late)
    assert 0.0 <= p.multiplier <= 1.0
    assert p.percent <= cap + 1e-12
    assert p.days == -(-seconds // 86400)


def test_late_cell():
    assert late_cell(None) == "" and late_cell(ON_TIME) == "no" and late_cell(lateness("x_late_1_2_a.csv")) == "yes"


def cand(name, hours, resub=0, ref=None):
    return Candidate(name, lateness(name, DEADLINE + timedelta(hours=hours), DEADLINE), resub, ref)


def test_latest_counts_and_the_rest_are_listed():
    a, b = cand("a.csv", -5, ref=1), cand("b.csv", -1, ref=2)
    choice = choose_submission([b, a])
    assert choice.chosen.ref == 2 and choice.others == (a,)
    assert choice.message == "the latest of 2 submissions counts (b.csv); not graded: a.csv"
    assert choose_submission([a]).message == "" and choose_submission([a]).others == ()


def test_resubmission_number_beats_time():
    first = cand("doe_1_2_a.csv", -1)
    second = cand("doe_1_3_a-1.csv", -2, resub=1)
    assert choose_submission([first, second]).chosen is second


def test_late_replacing_on_time_is_said():
    on_time, late = cand("a.csv", -1), cand("b.csv", 5)
    choice = choose_submission([on_time, late])
    assert choice.chosen is late
    assert choice.message == "the late b.csv replaces the on-time a.csv; it is marked late"
    with_policy = choose_submission([on_time, late], parse_late_policy({"per_day": 10}))
    assert with_policy.message == "the late b.csv replaces the on-time a.csv; the late policy applies"
    kept = choose_submission([on_time, late], keep_on_time=True)
    assert kept.chosen is on_time and "is not graded (keep_on_time)" in kept.message


def test_after_cutoff_never_replaces_on_time():
    policy = LatePolicy(cutoff=DEADLINE + timedelta(hours=1))
    early, on_time, too_late = cand("a.csv", -3), cand("b.csv", -1), cand("c.csv", 2)
    choice = choose_submission([too_late, early, on_time], policy)
    assert choice.chosen is on_time
    assert choice.message == "c.csv came after the cut-off and is not graded; the on-time b.csv counts; also not graded: a.csv"
    # nothing on time: the latest counts, and its penalty will say why it earns nothing
    assert choose_submission([too_late], policy).chosen is too_late


def test_choose_needs_candidates():
    with pytest.raises(ValueError):
        choose_submission([])


def test_canvas_late_file_with_a_deadline_uses_the_known_time():
    from datetime import datetime

    policy = LatePolicy(per_day=10)
    deadline = datetime(2026, 12, 1, 23, 59)
    early = lateness("doe_late_1_2_a.csv", datetime(2026, 12, 1, 12, 0), deadline)
    assert early.late and early.days == 1
    p = late_penalty(policy, early)
    assert p.percent == 10 and "although its time 2026-12-01 12:00 is before the deadline 2026-12-01 23:59" in p.message
    assert "unknown" not in p.message and "counted as 1 day" in p.message
    after = late_penalty(policy, lateness("doe_late_1_2_a.csv", datetime(2026, 12, 4, 0, 30), deadline))
    assert after.percent == 30 and "3 started days" in after.message and "unknown" not in after.message
    assert "marked late by Canvas" in after.message and "after the deadline" in after.message
