"""E-mail-shaped ids compare without case everywhere ids are compared: a student's file,
grade --only, key --student (which also accepts an id whose leading zeros were lost)."""

from helpers import grades, invoke, put

from generator.record import write_week
from grader.samples import exact_values, quick_week, submission_csv

ROSTER = [("Mixed.Case@Uni.Example.EDU", "Ann"), ("0018", "Bo")]


def test_a_mixed_case_email_id_typed_in_lower_case_is_matched(tmp_path, runner):
    week = quick_week(ROSTER, seed="mail")
    write_week(tmp_path / "week", week)
    ann = week.students[0]
    text = submission_csv(week, ann, exact_values(ann)).replace(ann.id, ann.id.lower())
    put(tmp_path / "subs", "mine.csv", text)
    r = invoke(runner, "grade", tmp_path / "week", tmp_path / "subs", "--out", tmp_path / "out")
    assert r.exit_code == 0, r.output
    row = grades(tmp_path / "out")[ann.id]
    assert row["status"] == "graded" and row["percent"] == "100"
    again = invoke(runner, "grade", tmp_path / "week", tmp_path / "subs", "--out", tmp_path / "out",
                   "--only", "MIXED.case@uni.example.edu")
    assert again.exit_code == 0, again.output


def test_key_student_accepts_the_forms_grade_only_accepts(tmp_path, runner):
    week = quick_week(ROSTER, seed="mail")
    write_week(tmp_path / "week", week)
    for given, sid in [("mixed.case@uni.example.edu", ROSTER[0][0]), ("18", "0018"), (" 0018 ", "0018")]:
        r = invoke(runner, "key", tmp_path / "week", "--student", given)
        assert r.exit_code == 0 and f'"{sid}"' in r.stdout, (given, r.output)
    r = invoke(runner, "key", tmp_path / "week", "--student", "19")
    assert r.exit_code == 2 and "'19' is not on the week's roster" in r.stderr
