"""Overrides never take a total past the maximum unless the config allows it, and a student-only
row can set the total directly (column ``total``); rows name students as every command does."""

import pytest
from helpers import grades, invoke, put

from generator.record import write_week
from grader.samples import exact_values, quick_week, submission_csv
from grader.overrides import OverrideError, apply_overrides, parse_overrides

HEADER = "student_id,problem,quantity,row,col,credit,points,total,reason\n"


def test_a_total_row_sets_the_total_and_each_row_gives_exactly_one_setter():
    rows = parse_overrides(HEADER + "s1,,,,,,,7.5,oral exam instead\n")
    done = apply_overrides(rows, {}, {"s1": 3.0}, {}, {"s1": 13.0})
    assert done.totals["s1"] == 7.5 and done.messages("s1") == ("total set to 7.5 (was 3) — oral exam instead",)
    for bad, says in [("s1,,,,,,1,7,x\n", "exactly one of credit"), ("s1,1,,,,,,7,x\n", "student-only row"),
                      ("s1,,,,,,,-2,x\n", "below 0")]:
        with pytest.raises(OverrideError, match=says):
            parse_overrides(HEADER + bad)


def test_points_cannot_push_a_total_past_the_maximum_unless_allowed():
    rows = parse_overrides(HEADER + "s1,,,,,,0.25,,bonus\n")
    capped = apply_overrides(rows, {}, {"s1": 13.0}, {}, {"s1": 13.0})
    assert capped.totals["s1"] == 13.0 and capped.capped == {"s1": (13.25, 13.0)}
    assert "capped at the maximum, 13 points" in capped.messages("s1")[-1]
    assert "1 total capped at the maximum (s1; [points] above_max = true allows more)" in capped.describe()
    allowed = apply_overrides(rows, {}, {"s1": 13.0}, {}, {"s1": 13.0}, above_max=True)
    assert allowed.totals["s1"] == 13.25 and not allowed.capped


@pytest.fixture
def graded(tmp_path):
    week = quick_week([("Mixed.Case@Uni.Example.EDU", "Ann"), ("00042", "Bo")], seed="cap")
    write_week(tmp_path / "week", week)
    for s in week.students:
        put(tmp_path / "subs", f"{s.file}.csv", submission_csv(week, s, exact_values(s)))
    return week, tmp_path


def test_grade_caps_an_override_at_max_points_and_config_allows_more(graded, runner):
    week, tmp = graded
    put(tmp, "overrides.csv", "student_id,points,reason\nmixed.case@uni.example.edu,0.25,bonus\n")  # id in lower case
    r = invoke(runner, "grade", tmp / "week", tmp / "subs", "--out", tmp / "out", "--overrides", tmp / "overrides.csv")
    assert r.exit_code == 0, r.output
    ann = grades(tmp / "out")["Mixed.Case@Uni.Example.EDU"]
    assert float(ann["points"]) == float(ann["max_points"]) and ann["percent"] == "100"
    assert "capped at the maximum" in ann["message"] and "capped at the maximum" in r.stdout
    put(tmp, "course.toml", "[points]\nabove_max = true\n")
    r = invoke(runner, "grade", tmp / "week", tmp / "subs", "--out", tmp / "out", "--force",
               "--overrides", tmp / "overrides.csv", "--config", tmp / "course.toml")
    assert r.exit_code == 0, r.output
    ann = grades(tmp / "out")["Mixed.Case@Uni.Example.EDU"]
    assert float(ann["points"]) == pytest.approx(float(ann["max_points"]) + 0.25)


def test_misspelled_new_config_keys_still_stop_the_run(graded, runner):
    _, tmp = graded
    for text, says in [("[points]\nabove_maxx = true\n", "points.above_maxx"),
                       ("[lms]\nmising = 'zero'\n", "lms.mising"),
                       ("[lms]\nmissing = 'nothing'\n", "lms.missing"),
                       ("timezone = 'Mars/Olympus'\n", "not a time zone")]:
        put(tmp, "bad.toml", text)
        r = invoke(runner, "grade", tmp / "week", tmp / "subs", "--out", tmp / "bad-out", "--config", tmp / "bad.toml")
        assert r.exit_code == 2 and says in r.stderr, (text, r.stderr)
        assert not (tmp / "bad-out" / "grades.csv").exists()
