"""The seed's notation as HTML: symbols, fractions, matrices with selectable ASCII numbers."""

import re
from pathlib import Path

import numpy as np
from hypothesis import given, strategies as st
from jinja2 import Environment

from helpers import boxes_in

from generator.notation import ADVANCE, SPACE, grid, math, matrix, notation_css, num, register, sym
from generator.steps import plan


def text_of(html: str) -> str:
    return re.sub(r"<[^>]+>", "", str(html))


def test_layer_superscripts_and_fraction():
    html = str(math("∂L/∂a^[2]"))
    assert '<span class="frac">' in html
    assert '<sup class="l">[2]</sup>' in html
    assert text_of(html) == "∂L∂a[2]"


def test_transpose_tilde_and_column():
    assert '<sup class="t">T</sup>' in str(math("(X^[2])ᵀ"))
    assert '<span class="tl">~</span><var>W</var>' in str(math("W̃^[1]"))
    col = str(math("[1; a^[1]]"))
    assert 'class="mat vec"' in col and col.count("<br>") == 1


def test_words_upright_variables_italic():
    html = str(math("∂L/∂X^[3] without its first coordinate"))
    assert '<span class="w">without</span>' in html
    assert "<var>X</var>" in html


def test_every_planned_symbol_and_formula_converts():
    for loss in ("mse", "cross_entropy"):
        for s in plan(3, loss):
            for t in (s.symbol, s.formula):
                html = str(math(t))
                assert "^[" not in html and "ᵀ" not in html, t


def test_sym_by_name():
    assert text_of(sym("delta2")) == "δ[2]"
    assert text_of(sym("W1")) == "W[1]"


def test_matrix_numbers_ascii_minus_and_shape():
    html = str(matrix(np.array([[0.123456789, -0.5], [-1e-3, 0.0]])))
    assert html.count("<br>") == 1
    assert "0.12345679" in html and "-0.5" in html and "-0.001" in html and "−" not in html
    assert str(matrix([[0.25]])) == str(num(0.25))


def test_grid_shape():
    html = str(grid((3, 2), label="dL_dW1"))
    assert boxes_in(html) == 6 and html.startswith("<svg") and "<title>Answer grid for dL_dW1: 3 × 2" in html


def test_matrix_columns_right_aligned_in_the_shipped_font():
    html = str(matrix([[0.5, -12.25], [-0.125, 3]]))
    lines = re.search(r'<span class="in">(.*)</span></span>', html)[1].split("<br>")
    ends = []
    for line in lines:
        x, edges = 0, []
        for token in re.findall(r" +|[^ ]+", line):
            x += sum(ADVANCE.get(ch, SPACE) if ch != " " else SPACE for ch in token)
            if token[0] != " ":
                edges.append(x)
        ends.append(edges)
    for col in zip(*ends):  # right edges of a column agree to within a fifth of a space
        assert max(col) - min(col) <= SPACE / 5, ends


def test_advance_widths_are_the_shipped_fonts():
    from fontTools.ttLib import TTFont

    font = TTFont(Path(__file__).resolve().parent.parent / "templates" / "fonts" / "BPDrillSerif.ttf")
    cmap, hmtx = font.getBestCmap(), font["hmtx"]
    assert font["head"].unitsPerEm == 2048
    for ch, width in {**ADVANCE, " ": SPACE}.items():
        assert hmtx[cmap[ord(ch)]][0] == width, ch


def test_escapes_html():
    assert "&gt;" in str(math("1 if x > 0"))


def test_register_filters_and_css():
    env = register(Environment())
    assert "0.5" in env.from_string("{{ m | matrix }}").render(m=[[0.5], [1]])
    assert ".mat" in notation_css()


@given(st.floats(-1e6, 1e6, allow_nan=False))
def test_number_pastes_as_number(v):
    t = text_of(num(v))
    assert abs(float(t) - v) <= 1e-7 * max(1.0, abs(v))


def test_long_formula_wraps_between_groups_not_inside_them():
    html = str(math("∂L/∂X^[3] without its first coordinate"))
    assert '<span class="math">' not in html  # no wrapper around the whole formula: it may wrap
    assert re.sub(r"<[^>]+>", "", html).endswith("without its first coordinate")
    html = str(math("W̃^[2] = W^[2] − c·∂L/∂W^[2]"))
    groups = re.findall(r'<span class="math">', html)
    assert len(groups) == 3 and " = " in html and " − " in html  # breakable spaces between no-wrap groups
    assert str(math("X^[2] = [1; a^[1]]")).count('class="mat vec"') == 1  # the column stays whole
