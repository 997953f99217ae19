"""A week keeps its paper: render (and combine, key --format pdf, generate --add-students) without
--paper uses the paper the week was rendered on, recorded in DIR/render.json."""

import json

from pypdf import PdfReader

from helpers import invoke, put

LETTER, A4 = (612, 792), (595, 842)


def page_size(path):
    box = PdfReader(path).pages[0].mediabox
    return round(float(box.width)), round(float(box.height))


def test_render_keeps_a_letter_week_letter(tmp_path, runner):
    roster = put(tmp_path, "roster.csv", "id,name\nl1,Lea\n")
    week = tmp_path / "week"
    r = invoke(runner, "generate", "--out", week, "--roster", roster, "--paper", "letter", "--jobs", "1", "--no-progress")
    assert r.exit_code == 0, r.output
    assert json.loads((week / "render.json").read_text()) == {"paper": "letter"}
    r = invoke(runner, "render", week, "--jobs", "1", "--no-progress", "--fresh")  # the README's Slurm line: no --paper
    assert r.exit_code == 0, r.output
    for pdf in ("sheets/l1.pdf", "keys/l1.pdf", "sheets.pdf", "keys-compact.pdf"):
        assert page_size(week / pdf) == LETTER, pdf
    r = invoke(runner, "key", week, "--format", "pdf")
    assert r.exit_code == 0 and page_size(week / "key.pdf") == LETTER
    r = invoke(runner, "render", week, "--jobs", "1", "--no-progress", "--paper", "a4")
    assert r.exit_code == 0 and page_size(week / "sheets" / "l1.pdf") == A4
    assert json.loads((week / "render.json").read_text()) == {"paper": "a4"}
