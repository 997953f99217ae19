"""`bpdrill generate` and `bpdrill key` as an instructor runs them (no PDFs, except one key test)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest

from autograd_ref import reference
from helpers import invoke
from generator import DEFAULT_ASKED, solve
from generator.problem import parse_problem
from generator.record import asked_entries, read_week
from generator.week import assign_files, hashed_file, is_safe_file, student_seed, variant_code
from generator.sampler import SampleOptions


def roster(path: Path, ids, header="id,name,section") -> Path:
    rows = [header] + [f"{i},Student {n},S{n % 3}" for n, i in enumerate(ids)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def gen(runner, out, *args):
    return invoke(runner, "generate", "--out", out, "--no-pdf", *args)


def problems_by_id(folder: Path) -> dict[str, list[dict]]:
    return {s.id: [sp.problem.to_json() for sp in s.problems] for s in read_week(folder).students}


IDS = [f"{n:05d}" for n in range(1, 31)]


@pytest.fixture
def week30(tmp_path, runner):
    out = tmp_path / "w"
    r = gen(runner, out, "--roster", roster(tmp_path / "r.csv", IDS), "--seed", "2026-W48")
    assert r.exit_code == 0, r.stderr
    return out


def test_week_folder_record_and_templates(week30):
    week = read_week(week30)
    assert [s.id for s in week.students] == IDS and week.seed == "2026-W48"
    assert week.asked == DEFAULT_ASKED and week.version
    assert week.roster["id_column"] == "id" and week.roster["name_column"] == "name"
    assert week.roster["columns"] == ["id", "name", "section"]
    assert week.options["layers"] == [2, 2, 2] and week.options["loss"] == "mse"
    s = week.students[0]
    assert s.columns == {"id": "00001", "name": "Student 0", "section": "S0"} and s.name == "Student 0"
    assert len(s.variant) == 6 and s.file == "00001"
    sp = s.problems[0]
    assert list(sp.answers) == list(solve(sp.problem).names)  # every quantity, the solver's order
    assert set(sp.tolerances) == set(sp.answers)
    text = (week30 / "answers" / "00001.csv").read_text()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["student_id", "problem", "quantity", "row", "col", "value"]
    assert [tuple(r[1:5]) for r in rows[1:]] == [(str(k), q, str(i), str(j)) for k, q, i, j in asked_entries(week, s)]
    assert all(r[0] == "00001" and r[5] == "" for r in rows[1:])
    assert sorted(p.name for p in (week30 / "answers").iterdir()) == sorted(f"{i}.csv" for i in IDS)


def test_all_students_differ_and_runs_agree(week30, tmp_path, runner):
    probs = problems_by_id(week30)
    assert len({json.dumps(p) for p in probs.values()}) == len(IDS)
    again = tmp_path / "again"
    gen(runner, again, "--roster", tmp_path / "r.csv", "--seed", "2026-W48")
    assert problems_by_id(again) == probs
    assert (again / "answers" / "00007.csv").read_text() == (week30 / "answers" / "00007.csv").read_text()


def test_roster_order_and_size_change_no_one(week30, tmp_path, runner):
    other = tmp_path / "other"
    ids = list(reversed(IDS[:10])) + ["late-1", "late-2"]
    gen(runner, other, "--roster", roster(tmp_path / "r2.csv", ids), "--seed", "2026-W48")
    before, after = problems_by_id(week30), problems_by_id(other)
    assert all(after[i] == before[i] for i in IDS[:10])


def test_add_students_changes_no_one_else(week30, tmp_path, runner):
    before = problems_by_id(week30)
    template = (week30 / "answers" / "00003.csv").read_text()
    r = invoke(runner, "generate", "--out", week30, "--no-pdf", "--add-students",
               roster(tmp_path / "more.csv", ["late-1", "00099"], header="Student ID,Name,Group"))
    assert r.exit_code == 0, r.stderr
    after = problems_by_id(week30)
    assert {i: after[i] for i in before} == before and len(after) == len(IDS) + 2
    assert (week30 / "answers" / "00003.csv").read_text() == template
    assert (week30 / "answers" / "late-1.csv").exists()
    # the late student gets what they would have got on the first day
    full = tmp_path / "full"
    gen(runner, full, "--roster", roster(tmp_path / "all.csv", IDS + ["late-1"]), "--seed", "2026-W48")
    assert problems_by_id(full)["late-1"] == after["late-1"]
    week = read_week(week30)
    assert week.roster["added"][0]["id_column"] == "Student ID" and "Group" in week.roster["columns"]
    # the whole roster exported again: only who is new is added; no one new, nothing written
    snapshot = (week30 / "week.json").read_bytes()
    r = invoke(runner, "generate", "--out", week30, "--no-pdf", "--add-students", roster(tmp_path / "dup.csv", ["00002"]))
    assert r.exit_code == 0 and "dup.csv: 1 of its 1 students are already in the week and stay as they are" in r.stderr
    assert (week30 / "week.json").read_bytes() == snapshot
    r = invoke(runner, "generate", "--out", week30, "--no-pdf", "--add-students",
               roster(tmp_path / "again.csv", IDS + ["late-1", "late-2"]))
    assert r.exit_code == 0 and f"{len(IDS) + 1} of its {len(IDS) + 2} students are already" in r.stderr, r.stderr
    again = problems_by_id(week30)
    assert len(again) == len(IDS) + 3 and {i: again[i] for i in after} == after
    # the same roster after Excel ate the leading zeros: the same students, said so
    r = invoke(runner, "generate", "--out", week30, "--no-pdf", "--add-students",
               roster(tmp_path / "eaten.csv", [i.lstrip("0") for i in IDS[:3]]))
    assert r.exit_code == 0 and "3 of them by an id with its leading zeros lost (line 2: 1 is 00001" in r.stderr, r.stderr
    assert problems_by_id(week30) == again
    r = invoke(runner, "generate", "--out", week30, "--add-students", tmp_path / "dup.csv", "--seed", "x")
    assert r.exit_code == 2 and "--seed" in r.stderr


def test_another_seed_changes_every_problem(week30, tmp_path, runner):
    other = tmp_path / "s2"
    gen(runner, other, "--roster", tmp_path / "r.csv", "--seed", "2026-W49")
    a, b = problems_by_id(week30), problems_by_id(other)
    assert all(a[i] != b[i] for i in IDS)


def test_seed_hash_depends_on_seed_options_and_id_only():
    o = SampleOptions()
    s = student_seed("w", o, "a")
    assert s == student_seed("w", SampleOptions(), "a")
    assert len({s, student_seed("w", o, "b"), student_seed("v", o, "a"),
                student_seed("w", SampleOptions(learning_rate=0.2), "a")}) == 4


def test_no_roster_one_shared_variant(tmp_path, runner):
    out = tmp_path / "w"
    r = gen(runner, out, "--seed", "s")
    assert r.exit_code == 0, r.stderr
    week = read_week(out)
    assert [s.id for s in week.students] == ["class"] and (out / "answers" / "class.csv").exists()
    assert week.roster["source"] is None


def test_options_are_applied(tmp_path, runner):
    out = tmp_path / "w"
    r = gen(runner, out, "--roster", roster(tmp_path / "r.csv", ["a", "b"]), "--layers", "3,4,3",
            "--hidden-activation", "tanh", "--output", "softmax", "--learning-rate", "0.5",
            "--problems", "2", "--title", "Week 9", "--seed", "any string, even with spaces")
    assert r.exit_code == 0, r.stderr
    week = read_week(out)
    assert week.title == "Week 9" and week.seed == "any string, even with spaces"
    assert week.options["layers"] == [3, 4, 3] and week.options["loss"] == "cross_entropy"
    for s in week.students:
        assert len(s.problems) == 2
        for sp in s.problems:
            p = sp.problem
            assert p.sizes == (3, 4, 3) and p.learning_rate == 0.5 and p.loss == "cross_entropy"
            assert [l.activation for l in p.layers] == ["tanh", "softmax"]


def test_from_gives_everyone_the_fixed_problems(tmp_path, runner, seed_mse_path, seed_mse):
    out = tmp_path / "w"
    r = gen(runner, out, "--roster", roster(tmp_path / "r.csv", ["a", "b", "c"]), "--from", seed_mse_path)
    assert r.exit_code == 0, r.stderr
    assert "share" not in r.stderr
    week = read_week(out)
    assert all([sp.problem for sp in s.problems] == [seed_mse] for s in week.students)
    assert week.options["from"] == str(seed_mse_path) and week.options["problems"] == 1
    r = gen(runner, tmp_path / "w3", "--from", seed_mse_path, "--problems", "3")
    assert r.exit_code == 0 and "--problems 3 is not used: --from gives everyone the 1 problem of" in r.stderr
    assert read_week(tmp_path / "w3").options["problems"] == 1


def test_config_is_applied_and_flags_override(tmp_path, runner):
    cfg = tmp_path / "week.toml"
    cfg.write_text('layers = [2, 3, 2]\nhidden_activation = "relu"\noutput = "softmax"\nlearning_rate = 0.2\n'
                   'problems = 2\nseed = "cfg-seed"\ntitle = "From config"\nasked = ["net", "delta", "W_new"]\n'
                   'roster = "r.csv"\n')
    roster(tmp_path / "r.csv", ["a", "b"])
    out = tmp_path / "w"
    r = gen(runner, out, "--config", cfg, "--learning-rate", "0.3")
    assert r.exit_code == 0, r.stderr
    week = read_week(out)
    assert week.seed == "cfg-seed" and week.title == "From config" and week.asked == ("net", "delta", "W_new")
    assert [s.id for s in week.students] == ["a", "b"]
    p = week.students[0].problems[1].problem
    assert p.sizes == (2, 3, 2) and p.learning_rate == 0.3 and p.layers[0].activation == "relu"
    names = {row[2] for row in csv.reader(io.StringIO((out / "answers" / "a.csv").read_text()))} - {"quantity"}
    assert names == {"net1", "net2", "delta1", "delta2", "W1_new", "W2_new"}


def test_one_course_file_serves_generate_and_grade(tmp_path, runner):
    """generate skips the [grade] table (grade reads it), still refusing its own unknown keys."""
    cfg = tmp_path / "course.toml"
    cfg.write_text('layers = [2, 3, 2]\nseed = "s"\n[grade.points]\nnet = 3\n[grade.late]\nper_day = 10\n')
    r = gen(runner, tmp_path / "w", "--config", cfg)
    assert r.exit_code == 0, r.stderr
    assert read_week(tmp_path / "w").students[0].problems[0].problem.sizes == (2, 3, 2)
    cfg.write_text('grade = 3\n')  # not a table: not the grading policy
    r = gen(runner, tmp_path / "w2", "--config", cfg)
    assert r.exit_code == 2 and "unknown key 'grade'" in r.stderr


BAD = [
    (["--roster", "{tmp}/missing.csv"], "missing.csv: no such file"),
    (["--roster", "{tmp}/noid.csv"], "noid.csv: no id column found"),
    (["--roster", "{tmp}/dup.csv"], "dup.csv, line 3: duplicate id 'a' (first on line 2)"),
    (["--roster", "{tmp}/empty.csv"], "empty.csv, line 3: empty id"),
    (["--layers", "2,0,2"], "--layers: every layer size must be at least 1"),
    (["--layers", "two"], "--layers: expected layer sizes like 2,2,2"),
    (["--learning-rate", "0"], "--learning-rate: must be a number > 0"),
    (["--learning-rate", "-1"], "--learning-rate: must be a number > 0"),
    (["--hidden-activation", "swish"], "--hidden-activation: unknown activation 'swish'"),
    (["--output", "tanh"], "--output: unknown output 'tanh'"),
    (["--problems", "0"], "--problems: must be at least 1"),
    (["--config", "{tmp}/bad.toml"], "bad.toml: unknown key 'layer'"),
    (["--config", "{tmp}/badval.toml"], "badval.toml: hidden_activation: unknown value 'swish'"),
    (["--config", "{tmp}/broken.toml"], "broken.toml: not valid TOML"),
    (["--from", "{tmp}/missing.json"], "missing.json: no such file"),
]


@pytest.mark.parametrize("args, message", BAD, ids=[m.split(":")[0] for _, m in BAD])
def test_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path, runner, args, message):
    (tmp_path / "noid.csv").write_text("name,section\nAnn,A\n")
    (tmp_path / "dup.csv").write_text("id,name\na,A\na,B\n")
    (tmp_path / "empty.csv").write_text("id,name\na,A\n,B\n")
    (tmp_path / "bad.toml").write_text("layer = [2, 2]\n")
    (tmp_path / "badval.toml").write_text('hidden_activation = "swish"\n')
    (tmp_path / "broken.toml").write_text("layers = [2, 2\n")
    out = tmp_path / "w"
    r = gen(runner, out, *[a.replace("{tmp}", str(tmp_path)) for a in args])
    assert r.exit_code == 2
    assert message in r.stderr and len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
    assert not out.exists()


def test_non_empty_dir_is_refused_untouched_and_force_replaces(week30, tmp_path, runner):
    record = (week30 / "week.json").read_bytes()
    (week30 / "notes.txt").write_text("mine")
    r = gen(runner, week30, "--seed", "other")
    assert r.exit_code == 2 and "not empty (use --force" in r.stderr
    assert (week30 / "week.json").read_bytes() == record
    r = gen(runner, week30, "--seed", "other", "--force")
    assert r.exit_code == 0, r.stderr
    assert read_week(week30).seed == "other" and [p.name for p in (week30 / "answers").iterdir()] == ["class.csv"]
    assert (week30 / "notes.txt").read_text() == "mine"
    assert not [p for p in week30.iterdir() if p.name.startswith(".bpdrill")]  # no staging left behind


UNSAFE = ["../x", "a/b", "..", ".hidden", "x" * 300, "con", "Ann Lee", "zoë", "a\\b", "ab", "AB", "-rf", "a:b", "x."]


def test_unsafe_ids_stay_inside_dir_with_unique_names(tmp_path, runner):
    base = tmp_path / "inside"
    base.mkdir()
    r_csv = base / "r.csv"
    with r_csv.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "name"])
        w.writerows([[i, f"S{n}"] for n, i in enumerate(UNSAFE)])
    out = base / "w"
    r = gen(runner, out, "--roster", r_csv, "--seed", "s")
    assert r.exit_code == 0, r.stderr
    assert sorted(p.name for p in base.iterdir()) == ["r.csv", "w"] and sorted(p.name for p in tmp_path.iterdir()) == ["inside"]
    week = read_week(out)
    files = [s.file for s in week.students]
    assert len({f.casefold() for f in files}) == len(UNSAFE)
    assert sorted(p.name for p in (out / "answers").iterdir()) == sorted(f"{f}.csv" for f in files)
    for s in week.students:
        assert is_safe_file(s.file) and len(s.file) <= 64
        rows = list(csv.reader(io.StringIO((out / "answers" / f"{s.file}.csv").read_text(encoding="utf-8"))))
        assert {r[0] for r in rows[1:]} == {s.id}  # the id itself, exactly, on every row
    pair = {week.student("ab").file, week.student("AB").file}
    assert len(pair & {"ab", "AB"}) == 1  # one keeps its name, the other (same on Windows/macOS) is hashed


def test_file_names_do_not_depend_on_roster_order():
    ids = ["b", "a/b", "A", "a", "../x"]
    assert assign_files(ids) == assign_files(list(reversed(ids)))
    assert assign_files(["x"], taken=["X"])["x"] == hashed_file("x")


def test_key_json_equals_an_independent_solution(week30, runner):
    r = invoke(runner, "key", week30)
    assert r.exit_code == 0, r.stderr
    key = json.loads(r.stdout)
    assert list(key) == IDS
    for sid, items in key.items():
        for item in items:
            ref = reference(item["problem"])
            names = [n for n in solve(parse_problem(item["problem"])).names if n != "loss"]
            assert list(item["answers"]) == names
            for name, matrix in item["answers"].items():
                np.testing.assert_allclose(matrix, ref[name], rtol=1e-9, atol=1e-12)
    one = json.loads(invoke(runner, "key", week30, "--student", "00005").stdout)
    assert list(one) == ["00005"] and one["00005"] == key["00005"]


def test_key_csv_is_a_complete_correct_submission(week30, tmp_path, runner):
    out = tmp_path / "key.csv"
    r = invoke(runner, "key", week30, "--format", "csv", "--student", "00002", "--output", out)
    assert r.exit_code == 0, r.stderr
    rows = list(csv.reader(io.StringIO(out.read_text())))
    template = list(csv.reader(io.StringIO((week30 / "answers" / "00002.csv").read_text())))
    assert rows[0] == template[0] and [r[:5] for r in rows[1:]] == [t[:5] for t in template[1:]]
    sol = solve(read_week(week30).student("00002").problems[0].problem)
    for sid, k, q, i, j, v in rows[1:]:
        assert float(v) == sol[q][int(i) - 1, int(j) - 1]
    everyone = invoke(runner, "key", week30, "--format", "csv").stdout
    assert len(everyone.splitlines()) == 1 + sum(len(list(csv.reader(io.StringIO(
        (week30 / "answers" / f"{i}.csv").read_text())))) - 1 for i in IDS)


def test_key_refuses_unknown_student_and_non_week(week30, tmp_path, runner):
    r = invoke(runner, "key", week30, "--student", "nobody")
    assert r.exit_code == 2 and "--student: 'nobody' is not on the week's roster" in r.stderr
    r = invoke(runner, "key", tmp_path)
    assert r.exit_code == 2 and "not a week's folder" in r.stderr


def test_key_pdf(week30, tmp_path, runner):
    render = pytest.importorskip("generator.render")
    if not hasattr(render, "write_keys_pdf"):
        pytest.skip("generator.render has no write_keys_pdf yet")
    out = tmp_path / "k.pdf"
    r = invoke(runner, "key", week30, "--format", "pdf", "--student", "00001", "--output", out)
    assert r.exit_code == 0, r.stderr
    assert out.read_bytes().startswith(b"%PDF")


def test_variant_codes_are_short_and_shared_variants_are_reported(tmp_path, runner):
    out = tmp_path / "w"
    # a one-weight network has few variants: with many students some must share, and are reported
    r = gen(runner, out, "--roster", roster(tmp_path / "r.csv", [f"s{n}" for n in range(400)]),
            "--layers", "1,1", "--seed", "s")
    assert r.exit_code == 0
    assert "share the same problems (variant" in r.stderr
    week = read_week(out)
    codes = {s.variant for s in week.students}
    assert all(len(c) == 6 for c in codes)
    assert variant_code(week.students[0].problems) == week.students[0].variant


def test_xlsx_workbooks_beside_the_templates(tmp_path, runner):
    openpyxl = pytest.importorskip("openpyxl")
    cfg = tmp_path / "c.toml"
    cfg.write_text('xlsx = true\nseed = "x"\n')
    out = tmp_path / "w"
    r = gen(runner, out, "--config", cfg, "--roster", roster(tmp_path / "r.csv", ["007"]))
    assert r.exit_code == 0, r.stderr
    ws = openpyxl.load_workbook(out / "answers" / "007.xlsx").worksheets[0]
    csv_rows = list(csv.reader(io.StringIO((out / "answers" / "007.csv").read_text())))
    assert ws.max_row == len(csv_rows) and ws.cell(2, 1).value == "007"
    assert read_week(out).options["xlsx"] is True


@pytest.fixture
def fake_render(monkeypatch):
    """render_week replaced by a recorder that writes empty per-student PDFs (no weasyprint)."""
    render = pytest.importorskip("generator.render")
    calls = []

    def fake(folder, week, *, only=None, **kwargs):
        calls.append(None if only is None else set(only))
        for s in week.students:
            if only is None or s.id in only:
                for kind in ("sheets", "keys"):
                    (folder / kind).mkdir(exist_ok=True)
                    (folder / kind / f"{s.file}.pdf").write_bytes(b"%PDF")

    monkeypatch.setattr(render, "render_week", fake)
    return calls


def test_add_students_renders_only_the_new_students(tmp_path, runner, fake_render):
    out = tmp_path / "w"
    r = invoke(runner, "generate", "--out", out, "--roster", roster(tmp_path / "r.csv", IDS[:5]), "--seed", "s")
    assert r.exit_code == 0, r.stderr
    assert fake_render == [None]  # a new week: everyone
    before = {p.name: p.stat().st_mtime_ns for p in (out / "answers").iterdir()}
    r = invoke(runner, "generate", "--out", out, "--add-students", roster(tmp_path / "more.csv", ["late-1", "late-2"]))
    assert r.exit_code == 0, r.stderr
    assert fake_render[1] == {"late-1", "late-2"}
    assert {p.name: p.stat().st_mtime_ns for p in (out / "answers").iterdir() if p.name in before} == before
    assert (out / "answers" / "late-2.csv").exists()
    # a student whose PDFs went missing is rendered again with the next one added
    (out / "sheets" / "00002.pdf").unlink()
    invoke(runner, "generate", "--out", out, "--add-students", roster(tmp_path / "m2.csv", ["late-3"]))
    assert fake_render[2] == {"late-3", "00002"}
    invoke(runner, "generate", "--out", out, "--add-students", roster(tmp_path / "m3.csv", ["late-4"]), "--no-pdf")
    assert len(fake_render) == 3  # --no-pdf is honoured


def test_add_students_to_a_week_without_pdfs_renders_nothing_unless_asked(tmp_path, runner, fake_render):
    out = tmp_path / "w"
    gen(runner, out, "--roster", roster(tmp_path / "r.csv", IDS[:3]), "--seed", "s")
    r = invoke(runner, "generate", "--out", out, "--add-students", roster(tmp_path / "more.csv", ["late-1"]))
    assert r.exit_code == 0, r.stderr
    assert fake_render == [] and not (out / "sheets").exists()
    r = invoke(runner, "generate", "--out", out, "--add-students", roster(tmp_path / "m2.csv", ["late-2"]), "--pdf")
    assert r.exit_code == 0, r.stderr
    assert fake_render == [None]  # --pdf on a week without PDFs: everyone's, so the combined PDFs can be made


def test_add_students_refuses_an_id_already_there_in_another_unicode_form():
    from generator.roster import RosterEntry
    from generator.week import DuplicateStudent, WeekOptions, add_students, build_week

    week = build_week([RosterEntry("Rene\u0301", "R", {}, 2)], WeekOptions(seed="s", title="t"))  # an older record
    with pytest.raises(DuplicateStudent):
        add_students(week, [RosterEntry("Ren\u00e9", "R", {}, 2)], {"columns": []})


def test_progress_bars_show_only_on_a_terminal_after_a_while(monkeypatch):
    from generator.cli import terminal

    with terminal.Bars(after=0) as bars:  # not a terminal (pytest): never a bar
        bars("drawing problems", 1, 3)
    assert bars.bars is None
    monkeypatch.setattr(terminal.sys.stderr, "isatty", lambda: True, raising=False)
    with terminal.Bars(after=0) as bars:
        bars("drawing problems", 1, 3), bars("drawing problems", 2, 3)
    assert bars.bars is not None and bars.bars.tasks[0].completed == 2 and bars.bars.finished is False
    with terminal.Bars(after=60) as bars:  # a stage shorter than ``after``: no bar
        bars("drawing problems", 1, 3), bars("drawing problems", 2, 3)
    assert bars.bars is None


def _fake_rendered(out: Path, files) -> None:
    for kind in ("sheets", "keys"):
        (out / kind).mkdir(exist_ok=True)
        for f in files:
            for ext in (".pdf", ".html"):
                (out / kind / f"{f}{ext}").write_text("old week")
    for name in ["sheets.pdf", "keys.pdf", "keys-compact.pdf", "key.pdf"] + [f"key-{f}.pdf" for f in files]:
        (out / name).write_text("old week")  # key*.pdf: `bpdrill key --format pdf`


def test_force_removes_the_replaced_weeks_sheets_and_keys(tmp_path, runner):
    """An old key must not pass for the new week's: --force --no-pdf removes the replaced week's
    per-student and combined PDFs (the user's own files stay)."""
    out = tmp_path / "w"
    assert gen(runner, out, "--roster", roster(tmp_path / "r.csv", ["a", "b", "c"]), "--seed", "one").exit_code == 0
    _fake_rendered(out, ["a", "b", "c"])
    (out / "sheets" / "notes.txt").write_text("mine")
    r = gen(runner, out, "--roster", roster(tmp_path / "r2.csv", ["a", "b"]), "--seed", "two", "--force")
    assert r.exit_code == 0, r.stderr
    assert "removed the replaced week's sheets and keys of 3 students" in r.stderr
    assert sorted(p.name for p in out.rglob("*") if p.is_file() and p.parent.name in ("sheets", "keys", "w")) == [
        "notes.txt", "week.json"]


def test_replacing_a_week_keeps_the_pdfs_of_students_still_in_it_for_render_to_check(tmp_path):
    """With rendering, a student still in the week keeps their files: render redoes them if they changed."""
    from types import SimpleNamespace

    from generator.workflow import Generated, clear_replaced

    _fake_rendered(tmp_path, ["a", "b", "c"])
    week = SimpleNamespace(students=[SimpleNamespace(file=f) for f in ("a", "b")])
    clear_replaced(Generated(week, tmp_path, replaced=("a", "b", "c")), pdf=None)
    left = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert left == ["keys/a.html", "keys/a.pdf", "keys/b.html", "keys/b.pdf",
                    "sheets/a.html", "sheets/a.pdf", "sheets/b.html", "sheets/b.pdf"]


def test_record_text_is_indented_json_with_matrices_on_one_line():
    """The record's layout: one key per line, a number list or matrix on its key's line; text that
    looks like the layout (a ', "' inside a name or a key) stays as it was."""
    from generator.record import dumps_record
    data = {"id": 'a, "b"', "x, ": [1.5, -0.25], "m": [[1.0, 2.0], [3.0, 4.0]], "e": {},
            "rows": [{"name": "n", "tags": ["p", "q"]}], "none": None}
    text = dumps_record(data)
    assert json.loads(text) == data
    assert text.splitlines() == [
        "{", ' "id": "a, \\"b\\"",', ' "x, ": [1.5, -0.25],', ' "m": [[1.0, 2.0], [3.0, 4.0]],', ' "e": {},',
        ' "rows": [', "  {", '   "name": "n",', '   "tags": ["p", "q"]', "  }", " ],", ' "none": null', "}"]
    assert dumps_record({"a": [[0.5]], "b": 1}) == '{\n "a": [[0.5]],\n "b": 1\n}'
