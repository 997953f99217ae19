"""The seed's notation as HTML: symbols, formulas, numbers and bracketed matrices.

``generator/steps.py`` writes symbols and formulas in plain Unicode (``δ^[l]``,
``∂L/∂a^[2]``, ``W̃^[2]``, ``(X^[2])ᵀ``, ``φ′(net^[1])``, ``[1; a^[1]]``); the functions here
turn them into HTML that reads like a maths text (italic variables, superscript ``[l]``,
fractions for ∂L/∂…, bracketed column vectors).  Matrices become bracketed tables whose
numbers are plain selectable text (:func:`generator.formats.fmt_number`, ASCII minus).

Pure functions, strings in and :class:`markupsafe.Markup` out; the look lives in
``templates/notation.css`` (:func:`notation_css`).  Sheets, keys and feedback pages share
them; :func:`register` adds them as jinja2 filters (``math``, ``sym``, ``matrix``,
``grid``, ``num``).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Iterable

import numpy as np
from markupsafe import Markup, escape
from templates import TEMPLATES

from .formats import fmt_number
from .steps import symbol_of

CSS_FILE = TEMPLATES / "notation.css"

_TOKEN = re.compile(
    r"""
    (?P<frac>∂(?P<fn>\w)/∂(?P<fd>(?:net|[A-Za-z]\u0303?)(?:\^\[[^\]]*\])?))  # ∂L/∂a^[2] as a fraction
    |(?P<col>\[1;\s*(?P<cv>[^\[\]]*(?:\^\[[^\]]*\])?)\])                     # [1; a^[1]] as a column
    |\^\[(?P<sl>[^\]]*)\]                                                  # ^[2]: layer superscript
    |\^\((?P<sp>[^()]*)\)                                                  # ^(−x): superscript
    |_(?P<sb>\w)                                                           # _k: subscript
    |(?P<T>ᵀ)                                                              # transpose
    |(?P<fun>log|exp|tanh|max|min)\b                                       # function names, upright
    |(?P<ident>net(?![A-Za-z])|[A-Za-z]\u0303?(?![A-Za-z]))               # variables, italic
    |(?P<word>[A-Za-z]+)                                                   # words, upright
    |(?P<other>[^A-Za-z∂\[\]^_ᵀ]+|.)
    """,
    re.X,
)


def _convert(text: str) -> str:
    out: list[str] = []
    for m in _TOKEN.finditer(text):
        if m["frac"]:
            out.append(
                f'<span class="frac"><span class="fn">∂{_convert(m["fn"])}</span>'
                f'<span class="fd">∂{_convert(m["fd"])}</span></span>'
            )
        elif m["col"]:
            out.append(_bracketed([["1"], [_convert(m["cv"])]], "vec"))
        elif m["sl"] is not None:
            out.append(f'<sup class="l">[{escape(m["sl"])}]</sup>')
        elif m["sp"] is not None:
            out.append(f"<sup>{_convert(m['sp'])}</sup>")
        elif m["sb"]:
            out.append(f"<sub>{_convert(m['sb'])}</sub>")
        elif m["T"]:
            out.append('<sup class="t">T</sup>')
        elif m["fun"]:
            out.append(f'<span class="fun">{m["fun"]}</span>')
        elif m["ident"]:
            ident = m["ident"]
            if ident.endswith("\u0303"):
                out.append(f'<span class="acc"><span class="tl">~</span><var>{ident[0]}</var></span>')
            else:
                out.append(f"<var>{ident}</var>")
        elif m["word"]:
            out.append(f'<span class="w">{m["word"]}</span>')
        else:
            out.append(str(escape(m["other"])))
    return "".join(out)


def _groups(text: str) -> list[str]:
    """``text`` split at its spaces outside brackets: ``[1; a^[1]]`` stays one group."""
    groups, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += (ch in "[(") - (ch in "])")
        if ch == " " and depth == 0:
            groups.append(text[start:i])
            start = i + 1
    return [g for g in groups + [text[start:]] if g]


def _group(text: str) -> str:
    html = _convert(text)
    return f'<span class="math">{html}</span>' if len(_TOKEN.findall(text)) > 1 else html


@lru_cache(maxsize=4096)
def _math_cached(text: str) -> str:
    return " ".join(_group(g) for g in _groups(text)) if " " in text else _convert(text)


def math(text: str) -> Markup:
    """A symbol or formula in the seed's Unicode notation → inline HTML.

    A formula may wrap at its spaces, so a long one fits a narrow column; each group between
    them (``W^[2]·X^[2]``, ``c·∂L/∂W^[2]``) stays on one line (``<span class="math">``, no
    wrapping). A symbol without spaces cannot break anyway and gets no wrapper (one element
    fewer to lay out).
    """
    return Markup(_math_cached(text))


def sym(name: str, depth: int | None = None) -> Markup:
    """A quantity or given by name (``delta2``, ``W1``, ``X1``, ``y``, ``c``) → its symbol as HTML."""
    return math(symbol_of(name, depth))


def number(v: float, digits: int = 8) -> str:
    """A number as text: ``digits`` significant digits, ASCII minus (pastes as a number)."""
    return fmt_number(float(v), digits)


def num(v: Any, digits: int = 8) -> Markup:
    """One number as HTML: ``<span class="n">-0.5</span>`` (the minus may be styled, never replaced)."""
    return Markup(f'<span class="n">{number(v, digits)}</span>')


# Advance widths (units of 1/2048 em) of the characters numbers use, in the shipped serif font
# (templates/fonts/BPDrillSerif.ttf, no kerning): columns of numbers are aligned with spaces.
ADVANCE = {**dict.fromkeys("0123456789", 1303), ".": 651, "-": 692, "e": 1212, "+": 1716}
SPACE = 651
EM = 2048  # font units per em
GAP = 3  # spaces between columns (about 1 em)

# How wide a matrix may be, in em of the pages' 10 pt text.  The narrowest line a matrix sits on is
# the key's (print.css: ``.eq`` indents wrapped lines 2.5 em and keeps 5 em on the right for the
# CSV name) on A4, the narrower paper (210 mm; letter is 8.5 in = 216 mm), between the @page side
# margins of 16 mm; the value after the last "= " keeps the "=" with it (about 1.2 em).
TEXT_WIDTH_PT = 595.28 - 2 * 16 * 72 / 25.4  # A4's width less the side margins: 504.6 pt
MEASURE_EM = TEXT_WIDTH_PT / 10 - 2.5 - 5 - 1.25
FRAME_EM = 1.54  # a matrix's own margins, border, padding (.mat and .mat > .in in notation.css)
# A wide matrix's type, down to 8.5 pt; wider ones are cut into column blocks at the largest of these
# sizes.  7-column weight matrices need 7.3-8 pt: shrunk that far, some would stand whole in tiny
# type beside others (the same step's ∂L/∂W and W̃) cut into blocks; blocks in readable type read better.
SCALES = (1.0, 0.95, 0.9, 0.85)
# The most rows of numbers in one block: 40 lines of 12.5 pt (500 pt) fit a page of text (letter's is
# 696 pt high) with a step's other lines; a taller matrix is cut into row blocks too.
MAX_ROWS = 40


def _advance(text: str) -> int:
    """A plain-text number row's width in font units (unknown characters count as a digit)."""
    return sum(SPACE if ch == " " else ADVANCE.get(ch, 1303) for ch in text)


def _aligned_rows(cells: list[list[str]]) -> list[str]:
    """Rows of plain-text numbers, each column right-aligned by leading spaces (no boxes to lay out).

    The space is about half a digit wide in the shipped font; every cell is padded to the
    column's right edge measured from the row's start, so rounding never accumulates.
    """
    widths = [[_advance(c) for c in row] for row in cells]
    edges, right = [], -GAP * SPACE
    for col in zip(*widths):
        right += GAP * SPACE + max(col)
        edges.append(right)
    rows = []
    for row, ws in zip(cells, widths):
        pos, text = 0, []
        for c, w, edge in zip(row, ws, edges):
            pad = max(round((edge - w - pos) / SPACE), 1 if text else 0)
            text.append(" " * pad + c)
            pos += pad * SPACE + w
        rows.append("".join(text))
    return rows


def cut(n: int, parts: int) -> list[range]:
    """Columns (or rows) ``0..n-1`` in ``parts`` consecutive blocks of nearly equal size, bigger ones first."""
    size, extra = divmod(n, parts)
    starts = [k * size + min(k, extra) for k in range(parts + 1)]
    return [range(a, b) for a, b in zip(starts, starts[1:])]


def cut_at_most(n: int, most: int) -> list[range]:
    """``0..n-1`` in the fewest nearly equal blocks of at most ``most`` (:func:`cut`)."""
    return cut(n, -(-n // most))


def fit(cells: list[list[str]]) -> tuple[float, list[tuple[range, list[str]]]]:
    """How a matrix of number texts fits :data:`MEASURE_EM`: a font scale and its column blocks.

    The whole matrix at the largest of :data:`SCALES` whose width fits (1.0 unless it is wide);
    if it does not fit even at the smallest, the fewest column blocks, of nearly equal size,
    that do, at the largest scale that fits the widest block (blocks are printed one above the
    other).  Each block comes with its aligned rows (:func:`_aligned_rows`).
    """
    n = len(cells[0])
    for parts in range(1, n + 1):
        blocks = [(cols, _aligned_rows([[row[j] for j in cols] for row in cells])) for cols in cut(n, parts)]
        width = max(_advance(r) for _, rows in blocks for r in rows) / EM + FRAME_EM
        scale = next((s for s in SCALES if width * s <= MEASURE_EM), None)
        if scale is not None:
            return scale, blocks
    return SCALES[-1], blocks  # one column wider than the page: no number is that long


def _where(rows: range, cols: range, n_rows: int, n_cols: int) -> str:
    """A block's heading: the rows and columns it holds of an ``n_rows`` × ``n_cols`` matrix."""
    return ", ".join([f"rows {rows.start + 1}–{rows.stop}"] * (len(rows) < n_rows)
                     + [f"columns {cols.start + 1}–{cols.stop}"] * (len(cols) < n_cols))


def _stack(pieces: list[tuple[str, str]], lines: int, attrs: str = "") -> str:
    """Blocks of a matrix or grid, (heading, HTML) each, each under its heading, side by side
    where the line has room (the row blocks of a long vector), else one above the other.

    ``lines``, the stack's height in lines of numbers if one above the other, says whether a
    page could hold it (:data:`MAX_ROWS`): then it is an inline-block that stays with the "="
    before it; a taller one is a block (class ``tall``), so pages may break between its blocks.
    """
    tall = " tall" if lines > MAX_ROWS else ""
    return (f'<span class="blocks{tall}"{attrs}>'
            + "".join(f'<span class="piece"><span class="cols">{h}</span>{html}</span>' for h, html in pieces) + "</span>")


def _bracketed(cells: list[list[str]], cls: str, label: str = "") -> str:
    """Rows of HTML cells inside brackets.

    The brackets are the outer box's border; the inner box (white) hides the middle of its top and
    bottom edges, leaving the brackets' short ends (no positioned boxes: cheap for weasyprint).
    One column is plain lines (``<br>``); several columns are rows of inline-block cells.
    """
    aria = f' aria-label="{escape(label)}"' if label else ""
    if len(cells[0]) == 1:
        rows = "<br>".join(row[0] for row in cells)
        return f'<span class="mat {cls}"{aria}><span class="in">{rows}</span></span>'
    rows = "".join(
        '<span class="r" role="row">' + "".join(f'<span class="c" role="cell">{c}</span>' for c in row) + "</span>"
        for row in cells
    )
    return f'<span class="mat {cls}" role="table"{aria}><span class="in">{rows}</span></span>'


def matrix(m: Any, digits: int = 8, label: str = "") -> Markup:
    """A matrix (or n×1 vector, or scalar) as bracketed rows of selectable numbers.

    The numbers are one preformatted text, columns right-aligned with spaces, rows on lines:
    a box or two per matrix instead of one per entry keeps weasyprint fast.  A 1×1 value is
    written as a plain number, as the seed writes the loss and c.  A matrix too wide for the
    page (:func:`fit`) gets smaller type, down to 8.5 pt, and beyond that is printed as column
    blocks one above the other, each headed "columns 1–7" (as numpy and R print wide matrices);
    more than :data:`MAX_ROWS` rows are cut into row blocks too ("rows 1–31"), see :func:`_stack`.
    """
    a = np.atleast_2d(np.asarray(m, dtype=float))
    if a.shape == (1, 1):
        return num(a[0, 0], digits)
    scale, blocks = fit([[number(v, digits) for v in row] for row in a])
    size = f' style="font-size:{scale:g}em"' if scale < 1 else ""
    aria = f' aria-label="{escape(label)}, {a.shape[0]}×{a.shape[1]}"' if label else ""

    def mat(rows: list[str], attrs: str = "") -> str:
        return f'<span class="mat num"{attrs}{size}><span class="in">{"<br>".join(rows)}</span></span>'

    row_blocks = cut_at_most(a.shape[0], MAX_ROWS)
    if len(blocks) == 1 and len(row_blocks) == 1:
        return Markup(mat(blocks[0][1], f' role="group"{aria}'))
    pieces = [(_where(r, cols, *a.shape), mat(rows[r.start:r.stop])) for cols, rows in blocks for r in row_blocks]
    return Markup(_stack(pieces, (a.shape[0] + 1) * len(blocks), f' role="group"{aria}'))


def cells(rows: Iterable[Iterable[str]], label: str = "") -> Markup:
    """A bracketed matrix of arbitrary HTML cells (e.g. ``φ(-0.1)`` entries of the key).

    More than :data:`MAX_ROWS` rows are cut into row blocks, as :func:`matrix` cuts its rows."""
    table = [[str(c) for c in r] for r in rows]
    n = len(table)
    if n <= MAX_ROWS:
        return Markup(_bracketed(table, "expr", label))
    pieces = [(_where(r, range(1), n, 1), _bracketed(table[r.start:r.stop], "expr")) for r in cut_at_most(n, MAX_ROWS)]
    return Markup(_stack(pieces, n + len(pieces), f' aria-label="{escape(label)}"' if label else ""))


# An answer box and the grid's spacing, in CSS px (the sheet's 10 pt text: 1 em ≈ 13.3 px).
BOX_W, BOX_H, BOX_GAP, BRACKET = 82.0, 20.0, 3.0, 5.0
GRID_ROWS = 28  # the most box rows in one block: 28 × 23 px = 483 pt, as tall as MAX_ROWS lines of numbers
# The most boxes in a row: a wide answer takes 99 % of the text width (print.css .answer.wide), 1 px = 0.75 pt.
GRID_COLUMNS = int((0.99 * TEXT_WIDTH_PT / 0.75 - 2 * (BRACKET + BOX_GAP) + BOX_GAP) // (BOX_W + BOX_GAP))


def _grid_svg(rows: int, cols: int, title: str) -> str:
    pad = BRACKET + BOX_GAP
    w = 2 * pad + cols * BOX_W + (cols - 1) * BOX_GAP
    h = 2 * BOX_GAP + rows * BOX_H + (rows - 1) * BOX_GAP
    boxes = "".join(f"M{pad + j * (BOX_W + BOX_GAP):g} {BOX_GAP + i * (BOX_H + BOX_GAP):g}h{BOX_W:g}v{BOX_H:g}h{-BOX_W:g}z"
                    for i in range(rows) for j in range(cols))
    b, e = BRACKET, w - 1
    brackets = f"M{b + 1} 1H1V{h - 1}H{b + 1}M{e - b} 1H{e}V{h - 1}H{e - b}"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="grid" role="img" width="{w:g}" height="{h:g}" '
        f'viewBox="0 0 {w:g} {h:g}"><title>{escape(title)}</title>'
        f'<path class="boxes" d="{boxes}" fill="none" stroke="#555" stroke-width="0.6"/>'
        f'<path d="{brackets}" fill="none" stroke="#000" stroke-width="1"/></svg>'
    )


def _grid_blocks(shape: tuple[int, ...], title: str, draw) -> Markup:
    """An answer grid's blocks (see :func:`grid`): ``draw(rows, cols, title)`` draws one block of
    the rows and columns given (ranges, 0-based), the whole grid when it fits the page."""
    rows, cols = (tuple(shape) + (1,))[:2]
    col_blocks, row_blocks = cut_at_most(cols, GRID_COLUMNS), cut_at_most(rows, GRID_ROWS)
    if len(col_blocks) == 1 and len(row_blocks) == 1:
        return Markup(draw(range(rows), range(cols), title))
    pieces = [(where, draw(r, c, f"{title}, {where}"))
              for c in col_blocks for r in row_blocks for where in [_where(r, c, rows, cols)]]
    # a row of boxes (23 px) is about 1.4 lines of numbers: GRID_ROWS rows are as tall as MAX_ROWS lines
    return Markup(_stack(pieces, round((rows + 1) * len(col_blocks) * MAX_ROWS / GRID_ROWS)))


def _grid_title(shape: tuple[int, ...], label: str) -> str:
    rows, cols = (tuple(shape) + (1,))[:2]
    return f"Answer grid{' for ' + label if label else ''}: {rows} × {cols}"


def grid(shape: tuple[int, ...], label: str = "") -> Markup:
    """An empty answer grid shaped like a matrix: one box per entry, inside brackets.

    Drawn as one small SVG of two paths (boxes, brackets; no text, so nothing to lay out), with a
    title for screen readers and the tagged PDF.  More than :data:`GRID_COLUMNS` columns do not
    fit the page: the grid is then drawn as column blocks one above the other, each headed
    "columns 1–7", as :func:`matrix` prints a wide matrix (the boxes keep their size: they are
    written in by hand); more than :data:`GRID_ROWS` rows are cut into row blocks too.
    """
    return _grid_blocks(shape, _grid_title(shape, label), lambda r, c, title: _grid_svg(len(r), len(c), title))


def spoken(symbol: str) -> str:
    """A symbol in the seed's Unicode notation as plain text for a label: ``δ^[2]`` → ``δ[2]``."""
    return symbol.replace("^[", "[")


def input_grid(shape: tuple[int, ...], problem: int, name: str, label: str) -> Markup:
    """The answer grid of the sheet as a form: the same blocks as :func:`grid`, a text box per
    entry, ``data-entry="PROBLEM,QUANTITY,ROW,COL"`` (1-based, the answer template's names), and
    a label per box for screen readers: ``label``, row, column (``label``: the symbol as text)."""
    def draw(rows: range, cols: range, title: str) -> str:
        lines = []
        for i in rows:
            boxes = "".join(
                f'<input type="text" data-entry="{problem},{name},{i + 1},{j + 1}" id="e{problem}-{name}-{i + 1}-{j + 1}" '
                f'aria-label="{escape(label)}, row {i + 1}, column {j + 1}" inputmode="decimal" autocomplete="off" '
                f'spellcheck="false">' for j in cols)
            lines.append(f'<span class="r">{boxes}</span>')
        return f'<span class="mat form" role="group" aria-label="{escape(title)}"><span class="in">{"".join(lines)}</span></span>'

    return _grid_blocks(shape, _grid_title(shape, name), draw)


def notation_css() -> str:
    """The CSS the HTML above needs (inline it in self-contained pages)."""
    return CSS_FILE.read_text(encoding="utf-8")


def register(env: Any) -> Any:
    """Add the filters ``math``, ``sym``, ``matrix``, ``grid``, ``num``, ``cells`` to a jinja2 Environment."""
    env.filters.update(math=math, sym=sym, matrix=matrix, grid=grid, num=num, cells=cells)
    return env
