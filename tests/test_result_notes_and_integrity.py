"""Grading results: a file with no answers is unreadable (no 0 in the LMS)
and its row notes come one line per kind; overrides read standard CSV quoting; work for another
student's variant or another week is flagged; submitted matrices are column-aligned."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from helpers import invoke
from helpers import grades, put, read_csv, run

from generator.record import write_week
from grader.samples import quick_week, exact_values, submission_csv
from grader.pipeline import collapse_line_notes


def two_problem_week(tmp_path: Path, seed_mse, seed_ce, students=(("s1", "Ada"), ("s2", "Bob"))):
    week = quick_week(list(students), problems=[seed_mse, seed_ce], seed="qa4")
    write_week(tmp_path / "week", week)
    return week


def without_column(text: str, column: str) -> str:
    rows = list(csv.reader(io.StringIO(text)))
    k = rows[0].index(column)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([r[:k] + r[k + 1:] for r in rows])
    return buf.getvalue()


# ---- 1. a file with no answers is unreadable, and its notes are short ----

def test_row_notes_of_one_kind_are_one_line():
    notes = [f"line {n}: no problem number (there are 2 problems); row ignored" for n in range(2, 62)]
    notes += ["not asked, ignored: loss", "line 70: net1 has no entry (3,1) (it is 2×1); row ignored",
              "line 71: net1 has no entry (4,1) (it is 2×1); row ignored", "line 80: row skipped (row not readable)",
              "line 90: a2 has no entry (3,1) (it is 2×1); row ignored"]
    assert collapse_line_notes(notes) == [
        "60 rows have no problem number (there are 2 problems): lines 2–61; rows ignored",
        "not asked, ignored: loss",
        "2 rows name entries that net1 does not have (it is 2×1): lines 70–71; rows ignored",
        "line 80: row skipped (row not readable)",
        "line 90: a2 has no entry (3,1) (it is 2×1); row ignored",
    ]
    skipped = [f"line {n}: row skipped (row not readable)" for n in (3, 5, 6, 7, 9)]
    assert collapse_line_notes(skipped) == ["5 rows skipped (row not readable): lines 3, 5–7, 9"]


def test_file_without_answers_is_unreadable_and_gets_no_lms_grade(runner, tmp_path, seed_mse, seed_ce):
    week = two_problem_week(tmp_path, seed_mse, seed_ce)
    s1, s2 = week.students
    subs = tmp_path / "subs"
    put(subs, "s1.csv", without_column(submission_csv(week, s1, exact_values(s1)), "problem"))
    put(subs, "s2.csv", submission_csv(week, s2, exact_values(s2)))
    g = run(runner, tmp_path, subs)
    rows = sum(1 for _ in open(subs / "s1.csv")) - 1
    assert g["s1"]["status"] == "unreadable" and g["s2"]["status"] == "graded", g
    expected = f"{rows} rows have no problem number (there are 2 problems): lines 2–{rows + 1}; rows ignored"
    assert expected in g["s1"]["message"] and "line 3:" not in g["s1"]["message"], g["s1"]["message"]
    assert g["s1"]["message"].startswith("s1.csv: no answers found in the file")
    canvas = {r["SIS User ID"]: r for r in read_csv(tmp_path / "out" / "canvas.csv")}
    assert list(canvas["s1"].values())[-1] == "" and list(canvas["s2"].values())[-1] != ""
    moodle = {r["ID number"]: r for r in read_csv(tmp_path / "out" / "moodle.csv")}
    assert "s1" not in moodle  # no grade: no row (an empty Grade cell would erase what Moodle has)
    summary = (tmp_path / "out" / "summary.txt").read_text()
    assert "1 unreadable" in summary


def test_a_blank_template_is_unreadable_too(runner, tmp_path, seed_mse, seed_ce):
    week = two_problem_week(tmp_path, seed_mse, seed_ce)
    s1 = week.students[0]
    blank = "\n".join(",".join(r[:-1]) + "," for r in csv.reader(io.StringIO(submission_csv(week, s1, exact_values(s1)))))
    put(tmp_path / "subs", "s1.csv", blank.replace("student_id,problem,quantity,row,col,", "student_id,problem,quantity,row,col,value", 1))
    g = run(runner, tmp_path, tmp_path / "subs")
    assert g["s1"]["status"] == "unreadable" and "no answers found" in g["s1"]["message"]


# ---- 3. work for another student's variant or another week is flagged ----

def careless(student, k: int) -> dict:
    """Work on one's own sheet with every step's typical mistake (and the wrong activation),
    carried on: near 0 against the key, yet every number follows from the student's own givens."""
    import numpy as np

    from generator.solver import activation_of
    from generator.steps import plan

    problem = student.problems[k].problem
    values = dict(problem.givens())
    swap = {"sigmoid": "tanh", "tanh": "sigmoid", "relu": "sigmoid"}
    for step in plan(problem.depth, problem.loss):
        act = swap.get(activation_of(problem, step.layer), activation_of(problem, step.layer))
        values[step.name] = right = np.asarray(step.compute(act, values))
        for mistake in step.step.mistakes:
            wrong = np.asarray(step.compute_mistake(mistake, act, values))
            if wrong.shape == right.shape:
                values[step.name] = wrong
                break
        values[step.name] = np.round(values[step.name], 3)
    return values


def graded(week, student, values):
    from grader.judge import GradeConfig, judge_student
    from grader.parse import Cell
    from grader.pipeline import GRADED, StudentResult
    from generator.record import asked_entries

    cells = {}
    for k, name, i, j in asked_entries(week, student):
        x = float(values(k - 1)[name][i - 1, j - 1])
        cells[(k, name, i, j)] = (Cell(repr(x), x, 2),)
    return StudentResult(student, GRADED, 0.0, 1.0, judge_student(week, student, cells, GradeConfig()), files=("f.csv",))


def test_integrity_check_flags_copies_and_other_weeks_but_not_careless_work():
    from grader.integrity import OTHER_VARIANT, OTHER_WEEK, other_work

    ids = [(f"s{i:02d}", f"Student {i}") for i in range(40)]
    week, before = quick_week(ids, seed="qa4-now"), quick_week(ids, seed="qa4-before")
    students = week.students
    n = len(students)
    careless_work = [graded(week, s, lambda k, s=s: careless(s, k)) for s in students]
    assert all(sum(e.verdict == "correct" for e in r.entries) < len(r.entries) / 2 for r in careless_work)
    assert other_work(week, careless_work) == []  # wrong, but their own: nobody accused
    copies = [graded(week, s, lambda k, i=i: dict(students[(i + 1) % n].problems[k].answers)) for i, s in enumerate(students)]
    found = other_work(week, copies)
    assert [(w.student_id, w.other, w.flag) for w in found] == \
        [(s.id, students[(i + 1) % n].id, OTHER_VARIANT) for i, s in enumerate(students)]
    last_week = [graded(week, s, lambda k, i=i: dict(before.students[i].problems[k].answers)) for i, s in enumerate(students)]
    found = other_work(week, last_week)
    assert len(found) >= 0.9 * n and {w.flag for w in found} == {OTHER_WEEK} and all(w.other is None for w in found)
    zeros = [graded(week, s, lambda k, s=s: {q: 0 * m for q, m in s.problems[k].answers.items()}) for s in students[:5]]
    assert other_work(week, zeros) == []  # a sheet of zeros is nobody's week


def test_integrity_findings_are_flagged_and_named_in_the_summary(runner, tmp_path):
    week = quick_week([("00123", "Ada"), ("00456", "Bob"), ("00789", "Cy"), ("s4", "Dee")], seed="qa4-now")
    before = quick_week([("00123", "Ada"), ("00456", "Bob"), ("00789", "Cy"), ("s4", "Dee")], seed="qa4-before")
    write_week(tmp_path / "week", week)
    ada, bob, cy, dee = week.students
    subs = tmp_path / "subs"
    put(subs, "00123.csv", submission_csv(week, ada, exact_values(bob), student_id="00123"))  # Bob's problems
    put(subs, "00456.csv", submission_csv(week, bob, exact_values(bob)))
    put(subs, "00789.csv", submission_csv(week, cy, exact_values(before.students[2])))  # last week's sheet
    put(subs, "s4.csv", submission_csv(week, dee, lambda k: careless(dee, k)))
    result = invoke(runner, "grade", tmp_path / "week", subs, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    g = grades(tmp_path / "out")
    assert [g[s]["flags"] for s in ("00123", "00456", "00789", "s4")] == ["other-variant", "", "other-week", ""]
    assert "00456" not in g["00123"]["message"] and "another student's problems" in g["00123"]["message"]
    summary = " ".join((tmp_path / "out" / "summary.txt").read_text().split())
    printed = " ".join(result.output.split())
    for text in (summary, printed):
        assert ("needs attention: 1 file that fits another student's key, 1 file that fits no key of this week "
                "(flags other-variant, other-week in grades.csv)") in text
        assert f"{subs / '00123.csv'}: graded for 00123 (Ada)" in text and "fit the key of 00456 (Bob)" in text
        assert f"{subs / '00789.csv'}: graded for 00789 (Cy)" in text
        assert "matches no key of this week (another week's sheet?)" in text
    # a partial regrade's whole-class summary still points at them
    result = invoke(runner, "grade", tmp_path / "week", subs, "--out", tmp_path / "out", "--only", "00456")
    assert result.exit_code == 0, result.output
    summary = " ".join((tmp_path / "out" / "summary.txt").read_text().split())
    assert "00123: flagged other-variant in an earlier run" in summary and "00789: flagged other-week in an earlier run" in summary


# ---- 4. submitted matrices are column-aligned, like the expected ones ----

def submitted_columns(html: str) -> list[list[list[float]]]:
    """Per submitted matrix of a laid-out feedback page, per column: the right edges of its numbers."""
    import weasyprint

    from grader.feedback import TEMPLATES

    doc = weasyprint.HTML(string=html, base_url=str(TEMPLATES)).render()
    found: list[list[list[float]]] = []
    seen: set[int] = set()  # an element may have several boxes (its lines, anonymous blocks): counted once

    def classes(box) -> list[str]:
        element = getattr(box, "element", None)
        return (element.get("class") or "").split() if element is not None and getattr(box, "element_tag", "") == "span" else []

    def walk(box, column: int | None, inside: bool):
        cls = classes(box)
        new = bool(cls) and id(box.element) not in seen
        seen.add(id(getattr(box, "element", None)))
        if new and "mat" in cls and "expr" in cls:
            found.append([])
            inside, column = True, 0
        if new and inside and "r" in cls:
            column = -1
        if new and inside and "c" in cls:
            column += 1
        if inside and "n" in cls:
            edge = max(t.position_x + t.width for t in box.descendants() if type(t).__name__ == "TextBox")
            columns = found[-1]
            columns.extend([] for _ in range(column + 1 - len(columns)))
            columns[column].append(edge)
            return column
        for child in getattr(box, "children", ()):
            column = walk(child, column, inside)
        return column

    for page in doc.pages:
        walk(page._page_box, None, False)
    return found


def test_submitted_matrices_are_column_aligned(tmp_path):
    from grader import ingest
    from grader.feedback import feedback_html
    from grader.pipeline import grade as grade_files

    week = quick_week([("s1", "Ada")], seed="qa4-pdf")
    ada = week.students[0]
    # numbers of different lengths in one column: -0.5, 0.25, 1.0, -0.0153 …
    def sloppy(k):
        return {n: np.array([[round(x * 1.37, 1 + (i + j) % 4) for j, x in enumerate(row)] for i, row in enumerate(v)])
                for n, v in ada.problems[k].answers.items()}

    put(tmp_path / "subs", "s1.csv", submission_csv(week, ada, sloppy))
    result = grade_files(week, ingest.collect([tmp_path / "subs"])).result("s1")
    shapes = [v.shape for q, v in ada.problems[0].answers.items() if q in {e.quantity for e in result.entries}]
    for printed in (True, False):
        matrices = submitted_columns(feedback_html(week, result, printed=printed))
        assert sorted(len(m) for m in matrices) == sorted(cols for rows, cols in shapes if rows * cols > 1)
        for columns, (rows, _) in zip(matrices, [s for s in shapes if s[0] * s[1] > 1]):
            for edges in columns:
                assert max(edges) - min(edges) < 0.5, (printed, edges)


def test_own_problems_under_swapped_numbers_are_not_another_weeks(runner, tmp_path):
    """QA round 3: problems 1 and 2 done right but written under each other's numbers were flagged
    other-week ('your numbers fit none of this week's problems'). Their own work: no flag."""
    from helpers import invoke
    from generator.record import read_week
    from grader.integrity import OTHER_WEEK, other_work

    (tmp_path / "r.csv").write_text("id,name\n" + "".join(f"s{i:02d},S {i}\n" for i in range(12)))
    for out, seed in (("w", "now"), ("before", "then")):
        r = invoke(runner, "generate", "--out", tmp_path / out, "--roster", tmp_path / "r.csv", "--seed", seed,
                   "--problems", "2", "--hidden-activation", "tanh", "--no-pdf", "--no-progress")
        assert r.exit_code == 0, r.output
    week, before = read_week(tmp_path / "w"), read_week(tmp_path / "before")
    swapped = [graded(week, s, lambda k, s=s: dict(s.problems[1 - k].answers)) for s in week.students]
    assert all(sum(e.verdict == "correct" for e in r.entries) < len(r.entries) / 2 for r in swapped)
    assert other_work(week, swapped) == []
    last_week = [graded(week, s, lambda k, i=i: dict(before.students[i].problems[k].answers))
                 for i, s in enumerate(week.students)]
    assert {w.flag for w in other_work(week, last_week)} == {OTHER_WEEK}
