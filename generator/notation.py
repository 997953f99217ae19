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
from pathlib import Path
from typing import Any, Iterable

import numpy as np
from markupsafe import Markup, escape

from .formats import fmt_number
from .steps import symbol_of

CSS_FILE = Path(__file__).resolve().parent.parent / "templates" / "notation.css"

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


@lru_cache(maxsize=4096)
def _math_cached(text: str) -> str:
    return _convert(text)


def math(text: str) -> Markup:
    """A symbol or formula in the seed's Unicode notation → inline HTML (``<span class="math">``)."""
    return Markup(f'<span class="math">{_math_cached(text)}</span>')


def sym(name: str, depth: int | None = None) -> Markup:
    """A quantity or given by name (``delta2``, ``W1``, ``X1``, ``y``, ``c``) → its symbol as HTML."""
    return math(symbol_of(name, depth))


def number(v: float, digits: int = 8) -> str:
    """A number as text: ``digits`` significant digits, ASCII minus (pastes as a number)."""
    return fmt_number(float(v), digits)


def num(v: Any, digits: int = 8) -> Markup:
    """One number as HTML: ``<span class="n">-0.5</span>`` (the minus may be styled, never replaced)."""
    return Markup(f'<span class="n">{number(v, digits)}</span>')


def _bracketed(cells: list[list[str]], cls: str, label: str = "", widths: list[float] | None = None) -> str:
    """Rows of HTML cells inside brackets, row by row, without a table (fast to lay out).

    The brackets are the outer box's border; the inner box (white) hides the middle of its top and
    bottom edges, leaving the brackets' short ends (no positioned boxes: cheap for weasyprint).

    ``widths`` (in ``ch``) gives each column a fixed width so that columns line up across rows.
    """
    aria = f' aria-label="{escape(label)}"' if label else ""
    style = [f' style="width:{w:g}ch"' if w else "" for w in (widths or [0] * len(cells[0]))]
    cell = "c" if len(cells[0]) > 1 else "c1"  # one column: plain inline cells, aligned by the row
    rows = "".join(
        '<span class="r" role="row">' + "".join(f'<span class="{cell}"{st} role="cell">{c}</span>'
                                                for c, st in zip(row, style)) + "</span>"
        for row in cells
    )
    return f'<span class="mat {cls}" role="table"{aria}><span class="in">{rows}</span></span>'


def matrix(m: Any, digits: int = 8, label: str = "") -> Markup:
    """A matrix (or n×1 vector, or scalar) as a bracketed table of selectable numbers.

    A 1×1 value is written as a plain number, as the seed writes the loss and c.
    """
    a = np.atleast_2d(np.asarray(m, dtype=float))
    if a.shape == (1, 1):
        return num(a[0, 0], digits)
    cells = [[number(v, digits) for v in row] for row in a]
    widths = [max(len(row[j]) for row in cells) + 0.6 for j in range(a.shape[1])] if a.shape[1] > 1 else None
    return Markup(_bracketed(cells, "num", label, widths))


def cells(rows: Iterable[Iterable[str]], label: str = "") -> Markup:
    """A bracketed matrix of arbitrary HTML cells (e.g. ``φ(-0.1)`` entries of the key)."""
    return Markup(_bracketed([[str(c) for c in r] for r in rows], "expr", label))


def grid(shape: tuple[int, ...], label: str = "") -> Markup:
    """An empty answer grid shaped like a matrix: one box per entry, inside brackets."""
    rows, cols = (tuple(shape) + (1,))[:2]
    box = '<span class="box"></span>'
    return Markup(_bracketed([[box] * cols for _ in range(rows)], "grid", label))


def notation_css() -> str:
    """The CSS the HTML above needs (inline it in self-contained pages)."""
    return CSS_FILE.read_text(encoding="utf-8")


def register(env: Any) -> Any:
    """Add the filters ``math``, ``sym``, ``matrix``, ``grid``, ``num``, ``cells`` to a jinja2 Environment."""
    env.filters.update(math=math, sym=sym, matrix=matrix, grid=grid, num=num, cells=cells)
    return env
