"""Sheets and keys: numbers in the PDFs' text, no answers on sheets, every file, shards, combine.

One small week (the two seed problems and a deeper tanh/relu/softmax one) is rendered once per
module, in two shards and then combined through the CLI; the tests read the PDFs' text.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from pypdf import PdfReader

from helpers import DATA, boxes_in, found, invoke, numbers, student_problem
from generator.errors import UsageError
from generator import DEFAULT_ASKED, solve
from generator.record import Student, Week, read_week, write_week
from generator.render import (key_html, print_order, render_week, section_of, self_contained, shard_of,
                              sheet_html, write_keys_pdf)

DEEP = {
    "x": [0.5, -1, 0.25], "y": [0, 1], "loss": "cross_entropy", "learning_rate": 0.5,
    "layers": [
        {"W": [[0.1, 0.2, -0.3, 0.4], [0.05, -0.1, 0.15, 0.2], [0.3, -0.25, 0.1, 0.05]], "activation": "tanh"},
        {"W": [[0.1, -0.2, 0.3, 0.4], [0.2, 0.1, -0.3, 0.25]], "activation": "relu"},
        {"W": [[0.1, 0.5, -0.4], [-0.2, 0.3, 0.6]], "activation": "softmax"},
    ],
}

def small_week() -> Week:
    problems = [json.loads((DATA / f).read_text()) for f in ("seed-sigmoid-mse.json", "seed-softmax-ce.json")]
    problems.append(DEEP)
    names = ["Zoë Zed", "Ann Alpha", "Bob Beta"]
    students = tuple(
        Student(id=f"00{i}7", name=names[i], file=f"00{i}7", variant=f"K{i}X{i}",
                columns={"Section": "B" if i == 0 else "A", "email": f"s{i}@example.org"},
                problems=(student_problem(problems[i]),))
        for i in range(3)
    )
    return Week("Week 1", "seed", DEFAULT_ASKED, {}, {}, students)


@pytest.fixture(scope="module")
def week_dir(tmp_path_factory):
    """The whole week through the process pool (render + combine there), then one shard again by CLI."""
    from typer.testing import CliRunner

    folder = tmp_path_factory.mktemp("week")
    write_week(folder, small_week())
    render_week(folder, read_week(folder), jobs=2)
    for name in ("sheets.pdf", "keys.pdf", "keys-compact.pdf"):
        assert (folder / name).is_file()
        (folder / name).unlink()
    second = shard_of(small_week().students, (2, 2))
    for s in second:
        for kind in ("sheets", "keys"):
            (folder / kind / f"{s.file}.pdf").unlink()
    runner = CliRunner()
    r = invoke(runner, "render", folder, "--shard", "2/2", "--jobs", "2", "--no-progress")
    assert r.exit_code == 0, r.output
    assert not (folder / "sheets.pdf").exists()  # a shard does not combine
    assert "of 1 student into" in r.output, r.output  # shard 2/2 of 3: one student, singular
    r = invoke(runner, "combine", folder)
    assert r.exit_code == 0, r.output
    return folder


def pdf_text(path: Path) -> list[str]:
    return [page.extract_text() for page in PdfReader(path).pages]


def test_every_file_exists(week_dir):
    for s in small_week().students:
        for kind in ("sheets", "keys"):
            for ext in ("pdf", "html"):
                assert (week_dir / kind / f"{s.file}.{ext}").is_file()
    for name in ("sheets.pdf", "keys.pdf", "keys-compact.pdf"):
        assert (week_dir / name).stat().st_size > 1000


def test_every_answer_is_in_the_key_as_text(week_dir):
    for s in small_week().students:
        pool = numbers("\n".join(pdf_text(week_dir / "keys" / f"{s.file}.pdf")))
        for sp in s.problems:
            for name, value in sp.answers.items():
                for v in np.ravel(value):
                    assert found(float(v), pool), (s.id, name, v)


def test_sheet_has_givens_and_no_derived_value(week_dir):
    for s in small_week().students:
        pool = numbers("\n".join(pdf_text(week_dir / "sheets" / f"{s.file}.pdf")))
        for sp in s.problems:
            givens = [float(v) for g in sp.problem.givens().values() for v in np.ravel(g)]
            for v in givens:
                assert found(v, pool), (s.id, v)
            for name, value in sp.answers.items():
                for v in np.ravel(value):
                    if not found(float(v), givens, 1e-9):
                        assert not found(float(v), pool, 1e-5), (s.id, name, v)


def test_name_and_variant_on_every_page(week_dir):
    for s in small_week().students:
        for kind in ("sheets", "keys"):
            for text in pdf_text(week_dir / kind / f"{s.file}.pdf"):
                assert s.name in text and s.variant in text and s.id in text


def test_combined_pdfs_sorted_by_section_then_name_each_from_an_odd_page(week_dir):
    week = small_week()
    order = print_order(week.students)
    assert [section_of(s) for s in order] == ["A", "A", "B"]
    assert [s.name for s in order] == ["Ann Alpha", "Bob Beta", "Zoë Zed"]
    for kind in ("sheets", "keys"):
        pages = pdf_text(week_dir / f"{kind}.pdf")
        start = 0
        for s in order:
            n = len(PdfReader(week_dir / kind / f"{s.file}.pdf").pages)
            assert start % 2 == 0 and s.name in pages[start]
            start += n + n % 2
        assert start == len(pages)


def bookmarks(reader: PdfReader) -> list[tuple[int, str, int]]:
    """(depth, title, page index) of every bookmark, in order."""
    def walk(items, depth):
        for item in items:
            if isinstance(item, list):
                yield from walk(item, depth + 1)
            else:
                yield depth, item.title, reader.get_destination_page_number(item)
    return list(walk(reader.outline, 0))


def test_combined_pdfs_keep_each_students_bookmarks_on_their_own_pages(week_dir):
    for kind in ("sheets", "keys"):
        want, start = [], 0
        for s in print_order(small_week().students):
            part = PdfReader(week_dir / kind / f"{s.file}.pdf")
            want += [(depth, title, start + page) for depth, title, page in bookmarks(part)]
            start += len(part.pages) + len(part.pages) % 2
        assert want and bookmarks(PdfReader(week_dir / f"{kind}.pdf")) == want


def test_print_order_is_the_unicode_collation_and_by_surname_when_the_roster_has_one():
    from dataclasses import replace

    base = small_week().students[0]

    def person(i, name, **columns):
        return replace(base, id=f"id{i}", name=name, columns={"Section": "A", **columns})

    names = ["Mirosław Zed", "Zoë Żółć", "Ångström Ann", "Łukasz Abc", "Ólafur Arnalds", "Lukas B", "Çağla Er", "oscar"]
    order = print_order([person(i, n) for i, n in enumerate(names)])
    assert [s.name for s in order] == ["Ångström Ann", "Çağla Er", "Lukas B", "Łukasz Abc", "Mirosław Zed",
                                       "Ólafur Arnalds", "oscar", "Zoë Żółć"]
    moodle = [person(i, f"{first} {last}", **{"First name": first, "Surname": last})
              for i, (first, last) in enumerate([("Ann", "Zorn"), ("Zed", "Ámos"), ("Bo", "Berg")])]
    assert [s.name for s in print_order(moodle)] == ["Zed Ámos", "Bo Berg", "Ann Zorn"]


def test_compact_keys_list_every_student(week_dir):
    text = "\n".join(pdf_text(week_dir / "keys-compact.pdf"))
    for s in small_week().students:
        assert s.id in text and s.variant in text


def test_pdfs_are_tagged_with_alt_text_for_the_drawing(week_dir):
    reader = PdfReader(week_dir / "sheets" / f"{small_week().students[0].file}.pdf")
    root = reader.trailer["/Root"]
    assert root["/MarkInfo"]["/Marked"] and "/StructTreeRoot" in root

    def alts(node, out):
        node = node.get_object()
        if isinstance(node, dict):
            if "/Alt" in node:
                out.append(str(node["/Alt"]))
            kids = node.get("/K")
            if kids is not None:
                for k in kids if isinstance(kids, list) else [kids]:
                    alts(k, out)
        return out

    found_alts = alts(root["/StructTreeRoot"], [])
    assert any("network" in a for a in found_alts), found_alts


def test_html_beside_pdf_is_self_contained(week_dir):
    for kind in ("sheets", "keys"):
        html = (week_dir / kind / f"{small_week().students[0].file}.html").read_text(encoding="utf-8")
        assert "<style>" in html and ".mat" in html and "<svg" in html
        assert "<link" not in html and "src=" not in html
        # the fonts by a relative address, from the week's own copy: no path of this machine in the page
        assert "file:" not in html and str(Path(__file__).parent.parent) not in html
        fonts = re.findall(r'url\("([^"]+)"\)', html)
        assert fonts and all((week_dir / kind / f).resolve().is_file() for f in fonts), fonts


def test_key_follows_the_plan_and_drops_the_bias_coordinate():
    week = small_week()
    html = key_html(week, week.students[0])
    for name in solve(week.students[0].problems[0].problem).names:
        assert f">{name}<" in html
    assert "redundant" in html
    assert "remark 5" in self_contained(key_html(week, week.students[1]))


def test_sheet_lists_asked_quantities_with_csv_names_and_grids():
    week = small_week()
    html = sheet_html(week, week.students[0])
    assert boxes_in(html) == sum(
        v.size for n, v in week.students[0].problems[0].answers.items() if n != "loss")
    assert 'class="code">loss<' not in html  # not asked by default


def test_write_keys_pdf_one_student(tmp_path):
    week = small_week()
    out = tmp_path / "one.pdf"
    write_keys_pdf(week, [week.students[1]], out)
    text = "\n".join(pdf_text(out))
    assert "Ann Alpha" in text and "Zoë Zed" not in text


def test_render_refuses_unknown_paper(tmp_path):
    with pytest.raises(UsageError, match="--paper"):
        render_week(tmp_path, small_week(), paper="a5")


def test_cli_render_bad_shard_and_missing_folder(tmp_path, runner):
    r = invoke(runner, "render", tmp_path, "--shard", "3/2")
    assert r.exit_code == 2 and "--shard" in r.output
    r = invoke(runner, "combine", tmp_path)
    assert r.exit_code == 2 and "week.json" in r.output


@pytest.fixture(scope="module")
def letter_dir(tmp_path_factory):
    """One student rendered on letter paper as a shard (no combine), for combine's defaults."""
    from dataclasses import replace

    folder = tmp_path_factory.mktemp("letter")
    week = small_week()
    write_week(folder, replace(week, students=week.students[1:2]))
    render_week(folder, read_week(folder), jobs=1, shard=(1, 1), paper="letter")
    return folder


def page_size(path: Path) -> tuple[int, int]:
    box = PdfReader(path).pages[0].mediabox
    return round(float(box.width)), round(float(box.height))


def test_combine_takes_the_paper_of_the_rendered_pdfs_unless_told(letter_dir, runner):
    assert not (letter_dir / "keys-compact.pdf").exists()
    r = invoke(runner, "combine", letter_dir)
    assert r.exit_code == 0, r.output
    for name in ("sheets.pdf", "keys.pdf", "keys-compact.pdf"):
        assert page_size(letter_dir / name) == (612, 792), name
    r = invoke(runner, "combine", letter_dir, "--paper", "a4")
    assert r.exit_code == 0, r.output
    assert page_size(letter_dir / "keys-compact.pdf") == (595, 842)


def test_combined_pdfs_are_print_files_with_language_and_title(week_dir):
    for kind, title in (("sheets", "Problem sheets"), ("keys", "Answer keys")):
        reader = PdfReader(week_dir / f"{kind}.pdf")
        assert reader.trailer["/Root"]["/Lang"] == "en"
        assert reader.metadata.title == f"{title} · Week 1"


def test_render_again_renders_only_what_is_missing_or_changed(tmp_path, runner):
    """A re-run (after an interruption, a retried batch job) keeps PDFs finished from the same page."""
    from dataclasses import replace

    week = small_week()
    write_week(tmp_path, replace(week, students=week.students[:2]))
    zoe, ann = read_week(tmp_path).students
    assert render_week(tmp_path, read_week(tmp_path), jobs=1) == 2

    def stamps():
        return {p.relative_to(tmp_path).as_posix(): p.stat().st_mtime_ns for p in tmp_path.glob("*/*.pdf")}

    first = stamps()
    assert len(first) == 4
    r = invoke(runner, "render", tmp_path, "--jobs", "1", "--no-progress")
    assert r.exit_code == 0 and "of 0 students" in r.output and "2 up to date" in r.output, r.output
    assert stamps() == first and (tmp_path / "keys.pdf").is_file()
    # an interrupted run: Ann's key never finished (its HTML is written after the PDF); Zoë's sheet is
    # from another record (her HTML differs)
    (tmp_path / "keys" / f"{ann.file}.pdf").unlink()
    sheet = tmp_path / "sheets" / f"{zoe.file}.html"
    sheet.write_text(sheet.read_text(encoding="utf-8").replace("Zoë Zed", "Zoë Old"), encoding="utf-8")
    assert render_week(tmp_path, read_week(tmp_path), jobs=1) == 2
    now = stamps()
    changed = {k for k in now if now[k] != first.get(k)}
    assert changed == {f"keys/{ann.file}.pdf", f"sheets/{zoe.file}.pdf"}
    assert "Zoë Zed" in sheet.read_text(encoding="utf-8")
    assert not list(tmp_path.glob("*/.*.tmp"))


def test_a_damaged_pdf_is_rendered_again_and_combine_names_it(tmp_path, runner):
    """An emptied or cut-short PDF (whatever did it) is not 'up to date'; combine says which file, in one line."""
    from dataclasses import replace

    week = small_week()
    write_week(tmp_path, replace(week, students=week.students[1:2]))
    ann = read_week(tmp_path).students[0]
    render_week(tmp_path, read_week(tmp_path), jobs=1)
    key = tmp_path / "keys" / f"{ann.file}.pdf"
    key.write_bytes(key.read_bytes()[:2000])  # cut short
    assert render_week(tmp_path, read_week(tmp_path), jobs=1) == 1
    assert PdfReader(key).pages
    key.write_bytes(b"")
    r = invoke(runner, "combine", tmp_path)
    assert r.exit_code == 2 and f"{key}: not a readable PDF" in r.output and "bpdrill render" in r.output, r.output
    sheet = tmp_path / "sheets" / f"{ann.file}.pdf"
    before = sheet.stat().st_mtime_ns
    r = invoke(runner, "render", tmp_path, "--jobs", "1", "--no-progress", "--fresh")  # everyone, up to date or not
    assert r.exit_code == 0 and "of 1 student into" in r.output and "up to date" not in r.output, r.output
    assert sheet.stat().st_mtime_ns != before and PdfReader(key).pages


def test_key_pdf_to_a_new_folder_or_onto_a_folder(tmp_path, runner):
    write_week(tmp_path / "w", small_week())
    r = invoke(runner, "key", tmp_path / "w", "--format", "pdf", "--student", "0017",
               "--output", tmp_path / "new" / "dir" / "k.pdf")
    assert r.exit_code == 0 and (tmp_path / "new" / "dir" / "k.pdf").is_file(), r.output
    r = invoke(runner, "key", tmp_path / "w", "--format", "pdf", "--output", tmp_path)
    assert r.exit_code == 2 and "is a folder" in r.output
