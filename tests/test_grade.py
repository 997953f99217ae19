"""bpdrill grade end to end on small hand-built weeks: what real submissions look like, what the
gradebook says, and what must never happen (lost students, tracebacks, formula cells)."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest
from helpers import STUDENTS, grades, invoke, put, read_csv, run
from seed_printed import SEED_MSE, as_floats

from generator.record import write_week
from generator.tolerance import visible_update
from grader.samples import quick_week, exact_values, hand_work, no_update, submission_csv

SEED_PRINTED = as_floats(SEED_MSE)

@pytest.fixture
def week(tmp_path):
    w = quick_week(STUDENTS, seed="test-week")
    write_week(tmp_path / "week", w)
    return w


def test_seed_printed_numbers_score_full_marks(runner, tmp_path, seed_mse):
    write_week(tmp_path / "week", quick_week([("s1", "Seed")], problems=[seed_mse]))
    lines = ["student_id,problem,quantity,row,col,value"]
    for name, m in SEED_PRINTED.items():
        for (i, j), v in np.ndenumerate(np.array(m, dtype=float)):
            lines.append(f"s1,1,{name},{i + 1},{j + 1},{float(v)!r}")
    put(tmp_path / "subs", "s1.csv", "\n".join(lines) + "\n")
    g = run(runner, tmp_path, tmp_path / "subs")
    assert g["s1"]["percent"] == "100", g["s1"]


def test_exact_rounded_and_locale_variants_score_full_marks(runner, tmp_path, week):
    ada, bob, cy = week.students
    subs = tmp_path / "subs"
    put(subs, "00123.csv", submission_csv(week, ada, exact_values(ada)))
    # hand work at 4 s.f., written by a European Excel: semicolons, decimal commas, CRLF, cp1252, sep= line
    euro = submission_csv(week, bob, lambda k: hand_work(bob, k), delimiter=";", decimal_comma=True)
    put(subs, "s2.csv", ("sep=;\r\n" + euro).encode("cp1252"))
    # Excel "Unicode text": UTF-16 with BOM, tabs, Unicode minus, old Mac CR line ends, rows reversed
    text = submission_csv(week, cy, lambda k: hand_work(cy, k), delimiter="\t")
    head, *rows = text.strip().split("\n")
    text = "\r".join([head] + rows[::-1]).replace("-", "\u2212")
    put(subs, "00777.csv", text.encode("utf-16"))
    g = run(runner, tmp_path, subs)
    assert {k: v["percent"] for k, v in g.items()} == {"00123": "100", "s2": "100", "00777": "100"}
    assert {v["status"] for v in g.values()} == {"graded"}


def test_unquoted_decimal_commas_with_comma_delimiter(runner, tmp_path, week):
    ada = week.students[0]
    text = submission_csv(week, ada, lambda k: hand_work(ada, k))
    lines = text.strip().split("\n")
    # 0.1234 → 0,1234 unquoted: one field too many, the value last — unambiguous
    fixed = [lines[0]] + [ln.rsplit(",", 1)[0] + "," + ln.rsplit(",", 1)[1].replace(".", ",") for ln in lines[1:]]
    put(tmp_path / "subs", "00123.csv", "\n".join(fixed) + "\n")
    g = run(runner, tmp_path, tmp_path / "subs")
    assert g["00123"]["percent"] == "100"


def test_no_weight_update_loses_exactly_the_visible_updates(runner, tmp_path, week):
    ada = week.students[0]
    put(tmp_path / "subs", "00123.csv", submission_csv(week, ada, no_update(ada)))
    g = run(runner, tmp_path, tmp_path / "subs")
    details = read_csv(tmp_path / "out" / "details.csv")
    wrong = {(d["quantity"], int(d["row"]), int(d["col"])) for d in details if d["student_id"] == "00123" and d["verdict"] != "correct"}
    sp = ada.problems[0]
    expected = set()
    for l, layer in enumerate(sp.problem.layers, start=1):
        vis = visible_update(layer.W, sp.answers[f"W{l}_new"])
        expected |= {(f"W{l}_new", i + 1, j + 1) for (i, j), v in np.ndenumerate(vis) if v}
    assert wrong == expected and expected
    assert float(g["00123"]["percent"]) < 100
    html = (tmp_path / "out" / "feedback" / f"{ada.file}.html").read_text(encoding="utf-8")
    assert "weights were not updated" in html


def test_every_roster_student_gets_a_row(runner, tmp_path, week):
    ada = week.students[0]
    subs = tmp_path / "subs"
    put(subs, "00123.csv", submission_csv(week, ada, exact_values(ada)))
    put(subs, "s2.csv", b"\x00\x01\x02\xff binary junk \x00")
    put(subs, "stranger.csv", "student_id,problem,quantity,row,col,value\nzz9,1,net1,1,1,0.5\n")
    g = run(runner, tmp_path, subs)
    assert list(g) == ["00123", "s2", "00777"]
    assert (g["s2"]["status"], g["00777"]["status"]) == ("unreadable", "missing")
    assert "binary" in g["s2"]["message"]
    assert g["00777"]["points"] == "0" and float(g["00777"]["max_points"]) > 0
    summary = (tmp_path / "out" / "summary.txt").read_text(encoding="utf-8")
    assert "stranger.csv" in summary


def test_duplicates_unknown_rows_and_blank_values(runner, tmp_path, week):
    ada = week.students[0]
    text = submission_csv(week, ada, exact_values(ada))
    lines = text.strip().split("\n")
    first = lines[1].rsplit(",", 1)[0]
    lines.append(first + ",12345")  # the same entry again with another value: ambiguous
    lines.append(lines[2])  # the same entry again with the same value: harmless
    lines.append("00123,1,loss,1,1,0.3")  # not asked
    lines.append("00123,1,net1,9,9,0.3")  # no such entry
    lines.append("")
    put(tmp_path / "subs", "00123.csv", "\n".join(lines) + "\n\n")
    g = run(runner, tmp_path, tmp_path / "subs")
    details = [d for d in read_csv(tmp_path / "out" / "details.csv") if d["student_id"] == "00123"]
    bad = [d for d in details if d["verdict"] != "correct"]
    assert len(bad) == 1 and "different values" in bad[0]["note"]
    assert "duplicate-entries" in g["00123"]["flags"]
    assert "not asked, ignored: loss" in g["00123"]["message"]
    assert "no entry (9,9)" in g["00123"]["message"]


def test_identification_by_file_name_leading_zeros_and_latest(runner, tmp_path, week):
    ada, bob, cy = week.students
    subs = tmp_path / "subs"
    # no student_id column: the template's file name decides
    put(subs, "s2.csv", "problem,quantity,row,col,value\n" + "\n".join(
        ln.split(",", 1)[1] for ln in submission_csv(week, bob, exact_values(bob)).strip().split("\n")[1:]) + "\n")
    # Excel ate the leading zeros of 00777
    put(subs, "mine.csv", submission_csv(week, cy, exact_values(cy), student_id="777"))
    # Canvas: a first try and a corrected resubmission (-1) of Ada's
    put(subs, "lovelace_111_222_answers.csv", submission_csv(week, ada, no_update(ada)))
    put(subs, "lovelace_111_223_answers-1.csv", submission_csv(week, ada, exact_values(ada)))
    g = run(runner, tmp_path, subs)
    assert g["s2"]["percent"] == "100"
    assert g["00777"]["percent"] == "100" and "leading-zeros" in g["00777"]["flags"]
    assert g["00123"]["percent"] == "100" and "several-files" in g["00123"]["flags"]
    assert g["00123"]["files"].split(";")[0].endswith("answers-1.csv")


def test_id_conflict_is_reported(runner, tmp_path, week):
    ada, bob, _ = week.students
    put(tmp_path / "subs", "s2.csv", submission_csv(week, ada, exact_values(ada)))  # Ada's rows in Bob's file
    g = run(runner, tmp_path, tmp_path / "subs")
    assert g["00123"]["status"] == "graded" and "id-conflict" in g["00123"]["flags"]
    assert "conflict" in g["00123"]["message"]
    assert g["s2"]["status"] == "missing"


def test_outdir_with_results_is_refused_then_kept_with_force(runner, tmp_path, week):
    ada = week.students[0]
    put(tmp_path / "subs", "00123.csv", submission_csv(week, ada, no_update(ada)))
    run(runner, tmp_path, tmp_path / "subs")
    before = (tmp_path / "out" / "grades.csv").read_text(encoding="utf-8")
    refused = invoke(runner, "grade", tmp_path / "week", tmp_path / "subs", "--out", tmp_path / "out")
    assert refused.exit_code == 2 and "--force" in refused.stderr
    assert (tmp_path / "out" / "grades.csv").read_text(encoding="utf-8") == before
    put(tmp_path / "subs", "00123.csv", submission_csv(week, ada, exact_values(ada)))
    again = invoke(runner, "grade", tmp_path / "week", tmp_path / "subs", "--out", tmp_path / "out", "--force")
    assert again.exit_code == 0
    previous = list((tmp_path / "out").glob("previous-*"))
    assert len(previous) == 1 and (previous[0] / "grades.csv").read_text(encoding="utf-8") == before
    assert "grades changed for 1 student" in again.output and "00123" in again.output


def test_not_a_week_folder_and_unwritable_outdir(runner, tmp_path):
    r = invoke(runner, "grade", tmp_path, tmp_path, "--out", tmp_path / "out")
    assert r.exit_code == 2 and "not a week" in r.stderr
    write_week(tmp_path / "week", quick_week(STUDENTS[:1]))
    blocker = put(tmp_path, "file", "x")
    r = invoke(runner, "grade", tmp_path / "week", tmp_path, "--out", blocker)
    assert r.exit_code == 2 and "not a folder" in r.stderr


def test_formula_cells_neutralized_and_html_escaped(runner, tmp_path):
    evil = "=HYPERLINK(\"http://x\",\"y\")"
    w = quick_week([("00123", evil), ("-5", "@SUM(A1)")], seed="t")
    write_week(tmp_path / "week", w)
    ada = w.students[0]
    text = submission_csv(w, ada, exact_values(ada))
    text = text.replace(text.strip().split("\n")[1].rsplit(",", 1)[1], "<script>alert(1)</script>", 1)
    put(tmp_path / "subs", "00123.csv", text)
    g = run(runner, tmp_path, tmp_path / "subs")
    raw = (tmp_path / "out" / "grades.csv").read_text(encoding="utf-8")
    for row in csv.reader(io.StringIO(raw)):
        for cell in row:
            assert not cell.startswith(("=", "+", "@")) and not (cell.startswith("-") and cell != "-5"), cell
    assert g["00123"]["name"] == "'" + evil
    html = (tmp_path / "out" / "feedback" / f"{ada.file}.html").read_text(encoding="utf-8")
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_config_tolerance_modes_and_points(runner, tmp_path, week):
    ada = week.students[0]
    put(tmp_path / "subs", "00123.csv", submission_csv(week, ada, lambda k: hand_work(ada, k, 2)))
    cfg = put(tmp_path, "grade.toml", '[tolerance]\nnet = { mode = "sigfig", n = 2 }\n[points]\ndefault = 0\nnet1 = 2\n')
    g = run(runner, tmp_path, tmp_path / "subs", extra=("--config", cfg))
    assert g["00123"]["max_points"] == "2" and g["00123"]["points"] == "2"
    bad = put(tmp_path, "bad.toml", '[tolerance]\nnet = { mode = "fuzzy" }\n')
    r = invoke(runner, "grade", tmp_path / "week", tmp_path / "subs", "--out", tmp_path / "o2", "--config", bad)
    assert r.exit_code == 2 and "tolerance.net" in r.stderr


def test_wrong_input_carried_forward_is_explained(runner, tmp_path, week):
    ada = week.students[0]
    sp = ada.problems[0]

    def values(k):
        out = dict(sp.answers)
        out["dL_da2"] = -np.asarray(sp.answers["dL_da2"])  # the sign mistake …
        out["delta2"] = out["dL_da2"] * (np.asarray(sp.answers["delta2"]) / np.asarray(sp.answers["dL_da2"]))  # … carried on
        return out

    put(tmp_path / "subs", "00123.csv", submission_csv(week, ada, values))
    run(runner, tmp_path, tmp_path / "subs")
    html = (tmp_path / "out" / "feedback" / f"{ada.file}.html").read_text(encoding="utf-8")
    assert "sign is reversed" in html and "error carried forward" in html


def test_carried_errors_earn_the_configured_credit(runner, tmp_path, week):
    """[points] carried = 0.5: a sign slip in ∂L/∂a^[2], carried through every later step, costs the
    slip's points and half of each later quantity's, instead of everything after it."""
    from generator.solver import activation_of
    from generator.steps import plan

    ada = week.students[0]
    p = ada.problems[0].problem

    def values(k):
        own = {**p.givens(), **ada.problems[0].answers}
        own["dL_da2"] = -np.asarray(own["dL_da2"])  # the slip, then every later step done right from it
        steps = [s.name for s in plan(p.depth, p.loss)]
        for step in plan(p.depth, p.loss)[steps.index("dL_da2") + 1:]:
            own[step.name] = step.compute(activation_of(p, step.layer), own)
        return own

    put(tmp_path / "subs", "00123.csv", submission_csv(week, ada, values))
    plain = run(runner, tmp_path, tmp_path / "subs")["00123"]
    cfg = put(tmp_path, "grade.toml", "[points]\ncarried = 0.5\n")
    half = run(runner, tmp_path, tmp_path / "subs", extra=("--config", cfg))["00123"]
    details = [r for r in read_csv(tmp_path / "out" / "details.csv") if r["student_id"] == "00123"]
    wrong = {r["quantity"] for r in details if r["verdict"] == "incorrect"}
    carried = {r["quantity"] for r in details if r["verdict"] == "incorrect" and float(r["credit"]) == 0.5}
    assert "dL_da2" in wrong and carried == wrong - {"dL_da2"} and len(carried) >= 5
    lost = float(half["max_points"]) - float(half["points"])
    assert lost == pytest.approx((float(plain["max_points"]) - float(plain["points"]) + 1) / 2)
    html = (tmp_path / "out" / "feedback" / f"{ada.file}.html").read_text(encoding="utf-8")
    assert "error carried forward: 50% credit" in html
    bad = put(tmp_path, "bad.toml", "[points]\ncarried = 2\n")
    r = invoke(runner, "grade", tmp_path / "week", tmp_path / "subs", "--out", tmp_path / "o2", "--config", bad)
    assert r.exit_code == 2 and "points.carried" in r.stderr


def test_generated_week_key_scores_full_marks(runner, tmp_path):
    """The generator's own week and key (`bpdrill key --format csv`): a complete, correct submission."""
    roster = put(tmp_path, "roster.csv", "SIS User ID,Name\n00123,Ada\n00124,Alan\nx-9,Grace\n")
    r = invoke(runner, "generate", "--out", tmp_path / "week", "--roster", roster, "--seed", "t", "--problems", "2",
               "--output", "softmax", "--no-pdf")
    assert r.exit_code == 0, r.output
    key = invoke(runner, "key", tmp_path / "week", "--format", "csv")
    put(tmp_path / "subs", "all-students-key.csv", key.stdout)  # one file, rows of every student
    one = invoke(runner, "key", tmp_path / "week", "--student", "00124", "--format", "csv")
    put(tmp_path / "subs2", "00124.csv", one.stdout)
    g = run(runner, tmp_path, tmp_path / "subs")
    assert [v["percent"] for v in g.values()] == ["100", "100", "100"]
    g = run(runner, tmp_path, tmp_path / "subs2")
    assert g["00124"]["percent"] == "100" and g["00123"]["status"] == "missing"


def test_extreme_values_are_just_wrong(runner, tmp_path, week):
    ada = week.students[0]
    text = submission_csv(week, ada, lambda k: {n: np.full(np.shape(v), 1e308) for n, v in ada.problems[k].answers.items()})
    put(tmp_path / "subs", "00123.csv", text)
    result = invoke(runner, "grade", tmp_path / "week", tmp_path / "subs", "--out", tmp_path / "out")
    assert result.exit_code == 0 and "Warning" not in result.stderr
    assert grades(tmp_path / "out")["00123"]["percent"] == "0"


def test_moodle_folder_name_matches_a_last_first_roster_name_or_says_it_is_ambiguous():
    from grader.identify import RosterIndex, identify, lms_name

    week = quick_week([("1", "Nowak, Björn"), ("2", "Müller, Anna"), ("3", "Anna  MÜLLER"), ("4", "Zoë Nguyen")])
    roster = RosterIndex(week)

    def who(folder: str):
        return identify(roster, lms_name("answers.csv", f"{folder}_500_assignsubmission_file_"), ())

    assert who("Björn Nowak").student_id == "1" and who("bjorn  nowak").student_id == "1"
    assert who("Nguyen, Zoë").student_id == "4"  # and the other way round
    ambiguous = who("Anna Müller")
    assert ambiguous.student_id is None
    assert any("matches 2 students on the roster: 2, 3" in n for n in ambiguous.notes), ambiguous.notes
    assert "names no student" not in " ".join(ambiguous.notes)
