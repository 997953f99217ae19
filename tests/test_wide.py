"""Wide layers: every matrix and answer grid fits the page, every number stays text.

A hidden layer of 6 or more made a key's ∂L/∂W^[2] 7 columns wide and its last column ran off
the page.  Matrices too wide are set smaller, then cut into column blocks
(``generator.notation.fit``); answer grids into blocks of at most ``GRID_COLUMNS`` columns.  The
page tests lay the pages out with weasyprint and look at every box.
"""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from pypdf import PdfReader

from generator import DEFAULT_ASKED, notation as nt
from generator.record import Student, Week
from generator.render import PAPER_POINTS, PAPERS, TEMPLATES, PdfWriter, key_html, sheet_html
from helpers import found, numbers, student_problem

WIDE_NAMES = ("dL_dW2", "W2_new")  # 2 × 13: cut into blocks in the key and on the sheet


def wide_week() -> Week:
    """One student, layers 3, 12, 2 (tanh, softmax): ∂L/∂W^[2] and W̃^[2] are 2 × 13, W^[1] is 12 × 4."""
    rng = np.random.default_rng(5)
    weights = lambda rows, cols: np.round(rng.uniform(-0.9, 0.9, (rows, cols)), 2).tolist()  # noqa: E731
    problem = {"x": [0.5, -1, 0.25], "y": [0, 1], "loss": "cross_entropy", "learning_rate": 0.1,
               "layers": [{"W": weights(12, 4), "activation": "tanh"}, {"W": weights(2, 13), "activation": "softmax"}]}
    student = Student(id="0042", name="Wide Wanda", file="0042", variant="W1D3", problems=(student_problem(problem),))
    return Week("Week 9", "wide", DEFAULT_ASKED, {}, {}, (student,))


@pytest.fixture(scope="module")
def pdf():
    return PdfWriter()


def laid_out(pdf: PdfWriter, html: str):
    from weasyprint import HTML

    return HTML(string=html, base_url=str(TEMPLATES)).render(font_config=pdf.fonts, stylesheets=pdf.stylesheets)


def outside(doc) -> list[str]:
    """Boxes of the pages' flow that reach past the page's content area (right or bottom)."""
    bad = []
    for number, page in enumerate(doc.pages, start=1):
        box = page._page_box
        right, bottom = box.content_box_x() + box.width, box.content_box_y() + box.height
        for b in box.children[0].descendants():  # the html element's boxes (not the running heads)
            over = max(b.border_box_x() + b.border_width() - right, b.border_box_y() + b.border_height() - bottom)
            if over > 0.5:
                bad.append(f"page {number}: {type(b).__name__} {getattr(b, 'text', '')[:30]!r} {over:.0f}px out")
    return bad


@pytest.mark.parametrize("paper", PAPERS)
def test_wide_key_fits_the_page_and_keeps_every_number_as_text(pdf, paper):
    week = wide_week()
    student = week.students[0]
    doc = laid_out(pdf, key_html(week, student, paper))
    assert outside(doc) == []
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(doc.write_pdf())).pages)
    pool = numbers(text)
    assert not re.search(r"−\d", text)  # numbers paste as numbers: ASCII minus
    for name in WIDE_NAMES:
        value = student.problems[0].answers[name]
        for v in np.ravel(value):
            assert found(float(v), pool), (name, v)
        _, blocks = nt.fit([[nt.number(v) for v in row] for row in value])
        assert len(blocks) > 1 and all(f"columns {c.start + 1}–{c.stop}" in text for c, _ in blocks)


@pytest.mark.parametrize("paper", PAPERS)
def test_wide_sheet_fits_the_page(pdf, paper):
    week = wide_week()
    html = sheet_html(week, week.students[0], paper)
    assert outside(laid_out(pdf, html)) == []
    assert "Answer grid for dL_dW2: 2 × 13, columns 8–13" in html


def test_narrow_matrices_are_unchanged():
    html = str(nt.matrix(np.array([[0.123456789, -0.5, -0.0123456789], [-1e-3, 0.0, 1.5]])))
    assert "style=" not in html and "blocks" not in html and html.count('class="mat num"') == 1
    assert "blocks" not in str(nt.grid((2, 3))) and "blocks" not in str(nt.grid((3, nt.GRID_COLUMNS)))


def test_the_measure_is_the_keys_line_on_the_narrower_paper():
    """notation.py's widths restate print.css: this fails when one changes without the other."""
    css = (TEMPLATES / "print.css").read_text(encoding="utf-8")
    margins = re.search(r"@page\s*{\s*margin:\s*([\d.]+)mm ([\d.]+)mm ([\d.]+)mm ([\d.]+)mm", css).groups()
    side = float(margins[1]) + float(margins[3])
    assert nt.TEXT_WIDTH_PT == pytest.approx(min(w for w, _ in PAPER_POINTS.values()) - side * 72 / 25.4)
    indent = float(re.search(r"\.eq {[^}]*padding-left: ([\d.]+)em", css)[1])
    name = float(re.search(r"\.key \.eq {[^}]*padding-right: ([\d.]+)em", css)[1])
    assert nt.MEASURE_EM == pytest.approx(nt.TEXT_WIDTH_PT / 10 - indent - name - 1.25)
    assert re.search(r"\.answer\.wide {[^}]*width: 99%", css)


eight_digits = st.floats(-1, 1, allow_nan=False).filter(lambda v: v == 0 or abs(v) > 1e-6)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 3), st.integers(2, 30), st.data())
def test_a_matrix_fits_in_the_fewest_column_blocks_with_every_number_in_order(rows, cols, data):
    a = np.array(data.draw(st.lists(st.lists(eight_digits, min_size=cols, max_size=cols), min_size=rows, max_size=rows)))
    texts = [[nt.number(v) for v in row] for row in a]
    scale, blocks = nt.fit(texts)
    assert scale in nt.SCALES
    assert [j for cols_, _ in blocks for j in cols_] == list(range(cols))
    assert max(len(b) for b, _ in blocks) - min(len(b) for b, _ in blocks) <= 1
    width = lambda bs: max(nt._advance(r) for _, rs in bs for r in rs) / nt.EM + nt.FRAME_EM  # noqa: E731
    assert width(blocks) * scale <= nt.MEASURE_EM
    if len(blocks) > 1:  # one block fewer would not fit, even in the smallest type
        fewer = [(c, nt._aligned_rows([[row[j] for j in c] for row in texts])) for c in nt.cut(cols, len(blocks) - 1)]
        assert width(fewer) * nt.SCALES[-1] > nt.MEASURE_EM
    html = str(nt.matrix(a))
    shown = re.sub(r"<[^>]+>|columns \d+–\d+", " ", html.replace("<br>", " ")).split()
    assert shown == [texts[i][j] for cols_, _ in blocks for i in range(rows) for j in cols_]


@given(st.integers(1, 3), st.integers(1, 40))
def test_an_answer_grid_fits_the_sheets_width_in_blocks(rows, cols):
    html = str(nt.grid((rows, cols), label="dL_dW2"))
    widths = [float(w) for w in re.findall(r'<svg[^>]* width="([\d.]+)"', html)]
    assert len(widths) == -(-cols // nt.GRID_COLUMNS)
    assert max(widths) * 0.75 <= 0.99 * nt.TEXT_WIDTH_PT  # CSS px → pt
    boxes = sum(d.count("z") for d in re.findall(r'class="boxes" d="([^"]*)"', html))
    assert boxes == rows * cols


def test_a_long_vector_is_cut_into_row_blocks_pages_may_break_between():
    v = np.arange(1, 62, dtype=float).reshape(61, 1) / 7
    html = str(nt.matrix(v, label="X2"))
    assert 'class="blocks tall"' in html and "rows 1–31" in html and "rows 32–61" in html
    assert all(len(m.split("<br>")) <= nt.MAX_ROWS for m in re.findall(r'<span class="in">(.*?)</span>', html))
    phi = str(nt.cells([[f"φ({k})"] for k in range(61)]))
    assert 'class="blocks tall"' in phi and phi.count('class="mat expr"') == 2
    grid = str(nt.grid((61, 1), label="a1"))
    assert 'class="blocks tall"' in grid and grid.count("<svg") == -(-61 // nt.GRID_ROWS)
