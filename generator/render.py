"""The page stack, and the sheets and answer keys: the week's record → HTML (jinja2) → PDF (weasyprint).

Every page bpdrill makes (sheets, keys, the grader's feedback pages and class report) comes
from here: one jinja environment (:func:`environment`) over ``templates/``, one PDF writer
(:class:`PdfWriter`: weasyprint, tagged PDF/UA, written atomically) and one way of running
pages in parallel (:func:`process_pool`).

Pure part: :func:`sheet_html`, :func:`key_html`, :func:`compact_html` build self-contained
HTML (inline CSS and SVG) from the record; the key's steps come from
:func:`generator.steps.plan`, never from a second copy of the chain.

Edge: :func:`render_week` writes every student's ``sheets/<file>.pdf|.html`` and
``keys/<file>.pdf|.html`` with a pool of processes (one weasyprint font configuration and
one template environment per process), then :func:`combine` assembles ``sheets.pdf``,
``keys.pdf`` (pikepdf, from the per-student PDFs, each student from an odd page) and renders
``keys-compact.pdf``.
"""

from __future__ import annotations

import base64
import gc
import json
import multiprocessing
import os
import re
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Collection, Iterable, Sequence

import numpy as np
from markupsafe import Markup, escape
from templates import FONTS, TEMPLATES

from . import notation as nt
from .activations import ACTIVATIONS
from .drawing import layout
from .problem import Problem
from .progress import Progress, counter
from .record import (Student, StudentProblem, Week, asked_names, atomic_output, week_from_json, week_to_json,
                     write_text_atomic)
from .roster import surname_first
from .steps import PlannedStep, plan, symbol_of
from .errors import DamagedPdf, UsageError, check_jobs


PAPERS = ("a4", "letter")
PAPER_POINTS = {"a4": (595.28, 841.89), "letter": (612.0, 792.0)}  # width, height in PDF points
KINDS = ("sheets", "keys")  # DIR/<kind>/<file>.pdf and .html per student
RENDER_STAMP = "render.json"  # DIR/render.json: the paper the week was rendered on
COMBINED_FILES = ("sheets.pdf", "keys.pdf", "keys-compact.pdf")
COMBINED_TITLES = {"sheets": "Problem sheets", "keys": "Answer keys"}  # + " · <week's title>"
PHASE_TITLES = {"forward": "Forward pass", "output": "Loss", "backward": "Back propagation"}
LOSS_FORMULA = {"mse": "L(y, a^[L]) = ½‖y − a^[L]‖²", "cross_entropy": "L(y, a^[L]) = −Σ_k y_k log a_k^[L]"}
COMPACT_DIGITS = 6
PDF_OPTIONS = {"pdf_variant": "pdf/ua-1"}  # tagged PDF (PDF/UA-1): structure, alt text, language


# ---------------------------------------------------------------- pure: record → HTML

def _svgsup(text: str) -> Markup:
    """``W^[1]`` in SVG text: the superscript as a raised, smaller tspan."""
    parts = re.split(r"\^\[([^\]]*)\]", str(text))
    out = [str(escape(parts[0]))]
    for sup, rest in zip(parts[1::2], parts[2::2]):
        out.append(f'<tspan dy="-4" font-size="8">[{escape(sup)}]</tspan><tspan dy="4">{escape(rest) or "&#8203;"}</tspan>')
    return Markup("".join(out))


@lru_cache(maxsize=1)
def environment() -> Any:
    """The templates' jinja2 Environment (imported here: ``generate --no-pdf`` never needs it)."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    nt.register(env)
    env.filters["svgsup"] = _svgsup
    return env



FONT_FILES = ("BPDrillSerif.ttf", "BPDrillSerif-Italic.ttf", "BPDrillSerif-Bold.ttf", "BPDrillSansMono.ttf",
              "LICENSE-DejaVu.txt")
HTML_FONTS = "../fonts"  # from DIR/sheets/x.html and DIR/keys/x.html to the copy in DIR/fonts


@lru_cache(maxsize=2)
def stylesheet(fonts: str | None = None) -> str:
    """The sheets' and keys' CSS; ``fonts``: where the HTML finds the font files (default: the shipped ones)."""
    css = (TEMPLATES / "fonts.css").read_text(encoding="utf-8").replace("{{FONTS}}", fonts or FONTS.as_uri())
    return css + nt.notation_css() + (TEMPLATES / "print.css").read_text(encoding="utf-8")


def copy_fonts(folder: Path) -> None:
    """The shipped fonts into ``folder/fonts`` (where the HTML pages look), unless already there."""
    target = folder / "fonts"
    target.mkdir(exist_ok=True)
    for name in FONT_FILES:
        data = (FONTS / name).read_bytes()
        if not (target / name).is_file() or (target / name).read_bytes() != data:
            with atomic_output(target / name) as f:
                f.write(data)


def _layer_sub(text: str, L: int) -> str:
    return text.replace("[L]", f"[{L}]")


def _givens(problem: Problem) -> list[dict[str, Any]]:
    g = problem.givens()
    names = ["X1"] + [f"W{l}" for l in range(1, problem.depth + 1)] + ["y"]
    notes = {"X1": "(the input x with the constant 1 first: it encodes the bias)",
             "y": "(the expected output)"}
    return [{"symbol": nt.sym(n), "value": nt.matrix(g[n]), "note": notes.get(n, "")} for n in names]


def _problem_facts(problem: Problem) -> dict[str, Any]:
    return {
        "layers": [{"act": ACTIVATIONS[l.activation]} for l in problem.layers],
        "loss": problem.loss,
        "loss_formula": _layer_sub(LOSS_FORMULA[problem.loss], problem.depth),
        "c": problem.learning_rate,
        "givens": _givens(problem),
        "drawing": Markup(environment().get_template("network.svg.j2").render(d=layout(problem))),
    }


def _wide(shape: tuple[int, ...]) -> bool:
    return shape[1] > 3


def sheet_problem(week: Week, sp: StudentProblem, form: int | None = None, several: bool = False) -> dict[str, Any]:
    """What a sheet shows of one problem: the givens and an empty grid per asked quantity (no answers).

    ``form``: the problem's number, for grids of text boxes instead (the HTML sheet as a form),
    each box labelled with the symbol, the CSV name, row and column (and the problem if ``several``)."""
    depth = sp.problem.depth

    def grid(n: str) -> Any:
        if form is None:
            return nt.grid(sp.answers[n].shape, label=n)
        label = f"{f'Problem {form}, ' if several else ''}{nt.spoken(symbol_of(n, depth))} {n}"
        return nt.input_grid(sp.answers[n].shape, form, n, label)

    asked = [{"name": n, "symbol": nt.sym(n, depth), "grid": grid(n), "wide": _wide(sp.answers[n].shape)}
             for n in asked_names(sp.answers, week.asked)]
    return {**_problem_facts(sp.problem), "asked": asked}


def _act_symbol(problem: Problem, step: PlannedStep) -> str:
    return ACTIVATIONS[problem.layers[step.layer - 1].activation].symbol


def _expansion(problem: Problem, step: PlannedStep, values: dict[str, np.ndarray]) -> list[Markup]:
    """The seed's middle terms: the formula with the numbers put in (presentation only)."""
    fam, args = step.family, {a: values[q] for a, q in step.args.items()}
    n = nt.number
    phi = _act_symbol(problem, step)
    if fam == "a" and phi == "ψ":  # softmax, remark 5: e^(net_i) / Σ_k e^(net_k)
        e = np.exp(args["net"][:, 0])
        total = n(e.sum())
        return [Markup(f"ψ{nt.matrix(args['net'])}"),
                nt.cells([[Markup(f'<span class="frac"><span class="fn">{n(v)}</span>'
                                  f'<span class="fd">{total}</span></span>')] for v in e])]
    if fam == "a":
        return [nt.cells([[f"{phi}({n(v)})"] for v in args["net"][:, 0]])]
    if fam == "delta" and "dL_da" in args:
        return [nt.cells([[f"{n(g)} · φ′({n(z)})"] for g, z in zip(args["dL_da"][:, 0], args["net"][:, 0])])]
    if fam == "delta":  # softmax + cross-entropy: (Σ_j y_j) a − y
        ys = " + ".join(n(v) for v in args["y"][:, 0])
        return [Markup(f"({ys}) {nt.sym(step.args['a'])} − {nt.matrix(args['y'])}")]
    if fam == "dL_da" and "y" in args:
        return [Markup(f"{nt.sym(step.args['a'])} − {nt.matrix(args['y'])}")]
    if fam == "W_new":
        return [Markup(f"{nt.sym(step.args['W'])} − {n(args['c'][0, 0])} · {nt.matrix(args['dL_dW'])}")]
    return []


def _explain(step: PlannedStep, values: dict[str, np.ndarray]) -> str:
    if step.family == "dL_da" and "dL_dX" in step.args:
        dropped = nt.number(values[step.args["dL_dX"]][0, 0])
        return f"The first coordinate ({dropped}) is redundant: it corresponds to the constant input 1, which encodes the bias. We omit it:"
    text = step.step.explain
    return text[:1].upper() + text[1:] + ":" if text else ""


def key_problem(sp: StudentProblem) -> dict[str, Any]:
    """What a key shows of one problem: every planned step with formula, middle terms and value."""
    p = sp.problem
    values = {**p.givens(), **sp.answers}
    steps, phase = [], None
    for step in plan(p.depth, p.loss):
        formula = step.formula
        if step.family == "a":
            formula = formula.replace("φ", _act_symbol(p, step))
        steps.append({
            "name": step.name,
            "phase_title": PHASE_TITLES[step.step.phase] if step.step.phase != phase else "",
            "explain": _explain(step, values),
            "symbol": nt.math(step.symbol),
            "formula": nt.math(formula),
            "expansion": _expansion(p, step, values),
            "value": nt.matrix(values[step.name], label=step.name),
        })
        phase = step.step.phase
    return {**_problem_facts(p), "steps": steps}


CSS_MARK = "/*bpdrill-css*/"


def _page(template: str, paper: str, **context: Any) -> str:
    """A page's HTML with a marker where the shared CSS goes (see :func:`self_contained`)."""
    return environment().get_template(template).render(paper=paper, css=Markup(CSS_MARK), **context)


def self_contained(html: str, fonts: str = HTML_FONTS) -> str:
    """The page as written beside its PDF: the shared CSS inlined, the fonts taken from the week's
    ``fonts/`` folder by a relative address (the folder can be posted or moved as a whole)."""
    return html.replace(CSS_MARK, stylesheet(fonts), 1)


def page_html(template: str, paper: str = "a4", **context: Any) -> str:
    """Any page of the shared stack (``templates/``, the sheets' CSS and fonts), e.g. the grader's
    class report; :func:`self_contained` for the file, :func:`write_page_pdf` for its PDF."""
    return _page(template, paper, **context)


def week_title(week: Week) -> str:
    return week.title or "Backpropagation"


@lru_cache(maxsize=1)
def form_assets() -> dict[str, Markup]:
    """The sheet form's CSS and its one script (inlined: the page needs no other file)."""
    return {kind: Markup((TEMPLATES / f"sheet-form.{ext}").read_text(encoding="utf-8"))
            for kind, ext in (("css", "css"), ("script", "js"))}


def sheet_html(week: Week, student: Student, paper: str = "a4", form: bool = False) -> str:
    """A student's sheet (givens, drawing, empty answer grids); :func:`self_contained` for the file.

    ``form``: the page as a form to fill in, a text box in every cell of every answer grid, a
    script that checks and keeps what is typed and saves the filled answer template (the HTML
    file written beside the PDF; the PDF is rendered from the page without it)."""
    several = len(student.problems) > 1
    problems = [sheet_problem(week, sp, k if form else None, several) for k, sp in enumerate(student.problems, start=1)]
    return _page("sheet.html", paper, title=week_title(week), student=student, problems=problems,
                 form=form_assets() if form else None)


def key_html(week: Week, student: Student, paper: str = "a4") -> str:
    """A student's worked answer key; :func:`self_contained` for the file."""
    return _page("key.html", paper, title=week_title(week), student=student,
                 problems=[key_problem(sp) for sp in student.problems])


def _flat(m: np.ndarray) -> str:
    return "; ".join(", ".join(nt.number(v, COMPACT_DIGITS) for v in row) for row in np.asarray(m))


def section_of(student: Student) -> str:
    """The student's section from a roster column named like Section (or Group), else ''."""
    for pattern in ("section", "group"):
        for col, value in student.columns.items():
            if pattern in col.lower():
                return str(value).strip()
    return ""


@lru_cache(maxsize=1)
def _collation_key() -> Callable[[str], tuple[int, ...]]:
    """The Unicode Collation Algorithm's order (pyuca; DUCET, no locale): Ångström with the As,
    Łukasz beside Lukas, whatever the code points say. Built once per process (~0.3 s)."""
    from pyuca import Collator

    return Collator().sort_key


def print_order(students: Iterable[Student]) -> list[Student]:
    """Sorted by section, then surname (when the roster has a surname column, else the name as
    written), then id: the order of the combined PDFs, in the Unicode collation order."""
    key = _collation_key()
    return sorted(students, key=lambda s: (key(section_of(s)), section_of(s),
                                           key(surname_first(s.columns) or s.name), s.name, s.id))


def compact_html(week: Week, students: Sequence[Student], paper: str = "a4") -> str:
    """Every student's asked entries, one line per quantity (names padded to line the values up)."""
    rows = []
    for s in print_order(students):
        several = len(s.problems) > 1
        names = [(f"{k}:{n}" if several else n, sp.answers[n])
                 for k, sp in enumerate(s.problems, start=1) for n in asked_names(sp.answers, week.asked)]
        width = max((len(n) for n, _ in names), default=0) + 1
        rows.append({"id": s.id, "name": s.name, "variant": s.variant, "section": section_of(s),
                     "answers": [{"name": n.ljust(width, "\u00a0"), "text": _flat(v)} for n, v in names]})
    return _page("keys-compact.html", paper, title=week_title(week), students=rows)


# ---------------------------------------------------------------- edge: HTML → PDF, processes

_SVG = re.compile(r"<svg\b(?P<attrs>[^>]*)>.*?</svg>", re.S)


@lru_cache(maxsize=256)
def _svg_image(svg: str, attrs: str) -> str:
    cls = re.search(r' class="([^"]*)"', attrs)
    title = re.search(r"<title>([^<]*)</title>", svg)  # escaped text: as it is in an attribute
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return (f'<img class="{cls[1] if cls else ""}" alt="{title[1] if title else ""}" '
            f'src="data:image/svg+xml;base64,{data}">')


def svg_as_images(html: str) -> str:
    """The page's inline SVGs (drawing, answer grids) as ``data:`` images with their titles as alt text,
    for weasyprint only (the HTML written beside the PDF keeps them inline).

    Weasyprint parses an inline SVG anew in every page, an image once per run (:class:`PdfWriter`'s
    cache, by address): the grids of a shape and a week's drawing are the same for every student.
    The same pages, tagged alike (a Figure with the title as /Alt).
    """
    return _SVG.sub(lambda m: _svg_image(m[0], m["attrs"]), html)


class PdfWriter:
    """One process's weasyprint set-up, shared by all its documents: fonts, the parsed CSS (default: the
    sheets' and keys'; ``css=""`` for pages that carry their own), the images. ``svg_images``: hand the
    page's inline SVGs to weasyprint as images (:func:`svg_as_images`; sheets and keys)."""

    def __init__(self, css: str | None = None, svg_images: bool = True) -> None:
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration

        self.fonts = FontConfiguration()
        css = stylesheet() if css is None else css
        self.stylesheets = [CSS(string=css, font_config=self.fonts, base_url=str(TEMPLATES))] if css else []
        self.svg_images = svg_images
        self.images: dict[str, Any] = {}  # weasyprint's image cache, by address: see svg_as_images

    def write(self, html: str, target: Path) -> int:
        """Render a page from :func:`_page` (CSS not inlined: it is parsed once, here) into ``target``,
        whole or not at all."""
        from weasyprint import HTML

        page = svg_as_images(html) if self.svg_images else html
        doc = HTML(string=page, base_url=str(TEMPLATES)).render(
            font_config=self.fonts, stylesheets=self.stylesheets, cache=self.images, **PDF_OPTIONS)
        with atomic_output(Path(target)) as f:
            doc.write_pdf(f, finisher=_plain_xref, **PDF_OPTIONS)
        return len(doc.pages)


def write_page_pdf(html: str, target: Path) -> int:
    """A page from :func:`page_html` as a PDF (pages written)."""
    return PdfWriter(svg_images=False).write(html, target)


def _plain_xref(document: Any, pdf: Any) -> None:
    """Write the PDF's objects one by one (streams stay compressed), not packed in one object stream.

    Reading an object stream means parsing it whole, with the tag tree's hundreds of small objects,
    to reach the catalog; with plain objects :func:`_assemble` reads only the pages it copies
    (3.5 instead of 7.5 ms per student with pikepdf, bookmarks aside), and weasyprint writes them faster (-1.5%
    instructions per student). The file is bigger by the uncompressed tag tree, ~40 kB.
    """
    import pydyf

    pdf.write = lambda output, version, identifier, compress: pydyf.PDF.write(pdf, output, version, identifier, False)


_WORKER: dict[str, Any] = {}


def _render_student(pdf: PdfWriter, folder: Path, week: Week, student: Student, paper: str, fresh: bool) -> bool:
    """A student's sheet and key, PDF then HTML beside it (the sheet's as a form); False if both were up to date.

    The HTML is written after its PDF, so an HTML file that equals the page made now means its
    PDF was finished from that very page (same record, templates, CSS and paper): it is kept,
    unless ``fresh``. A re-run after an interruption renders only what is missing or changed."""
    rendered = False
    for kind, html, page in (("sheets", sheet_html(week, student, paper), sheet_html(week, student, paper, form=True)),
                             ("keys", key_html(week, student, paper), None)):
        page, target = self_contained(page or html), folder / kind / f"{student.file}.pdf"
        if not fresh and _complete_pdf(target) and _text_of(target.with_suffix(".html")) == page:
            continue
        pdf.write(html, target)
        write_text_atomic(target.with_suffix(".html"), page)
        rendered = True
    return rendered


def _complete_pdf(path: Path) -> bool:
    """A PDF file that ends as a PDF does (``%%EOF``): not emptied or cut short since it was written."""
    try:
        with open(path, "rb") as f:
            f.seek(max(0, path.stat().st_size - 1024))
            return b"%%EOF" in f.read()
    except OSError:
        return False


def _text_of(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


GC_THRESHOLD = (10_000, 50, 100)  # Python's: (700, 10, 10)


@contextmanager
def _few_collections():
    """Fewer garbage collections while rendering: what is set up so far (weasyprint, fonts, CSS, the
    record) is frozen out of them, and the young generation is collected every 10,000 allocations, not
    700 (weasyprint makes many short-lived objects; -3% instructions per student). Restored after."""
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLD)
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


def _init_worker(week_json: dict[str, Any]) -> None:
    """A pool worker's week and weasyprint set-up: inherited when the pool forks (with the parent's
    frozen objects and collection threshold), else made here."""
    if "pdf" not in _WORKER:
        _WORKER["week"] = week_from_json(week_json)
        _WORKER["pdf"] = PdfWriter()
        gc.freeze()
        gc.set_threshold(*GC_THRESHOLD)


def _render_chunk(folder: str, ids: list[str], paper: str, fresh: bool) -> list[bool]:
    week: Week = _WORKER["week"]
    by_id = {s.id: s for s in week.students}
    return [_render_student(_WORKER["pdf"], Path(folder), week, by_id[i], paper, fresh) for i in ids]


def parse_shard(text: str | None) -> tuple[int, int] | None:
    """``"2/8"`` → ``(2, 8)`` (``--shard``); UsageError unless 1 ≤ K ≤ N."""
    if text is None:
        return None
    m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if not m or not 1 <= int(m[1]) <= int(m[2]):
        raise UsageError(f"--shard: expected K/N with 1 ≤ K ≤ N (e.g. 2/8), got {text!r}")
    return int(m[1]), int(m[2])


def shard_of(students: Sequence[Student], shard: tuple[int, int] | None) -> list[Student]:
    """The K-th of N slices (1-based) of the roster, in record order; all without a shard."""
    if shard is None:
        return list(students)
    k, n = shard
    return [s for i, s in enumerate(students) if i % n == k - 1]


def _chunks(items: list[str], jobs: int) -> list[list[str]]:
    """Small enough that the workers finish together (about 8 chunks each), at most 16 students."""
    size = max(1, min(16, len(items) // (jobs * 8)))
    return [items[i:i + size] for i in range(0, len(items), size)]


def process_pool(jobs: int, initializer: Callable[..., None] | None = None, initargs: tuple = ()) -> ProcessPoolExecutor:
    """The one way pages are made in parallel: forked workers where the platform forks (they inherit
    what the parent set up: weasyprint, the week, the results), else spawned ones that
    ``initializer(*initargs)`` sets up."""
    fork = "fork" in multiprocessing.get_all_start_methods()
    return ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork") if fork else None,
                               initializer=initializer, initargs=initargs)


def render_week(folder: Path, week: Week, *, jobs: int | None = None, shard: tuple[int, int] | None = None,
                paper: str | None = None, progress: Progress | None = None, only: Collection[str] | None = None,
                fresh: bool = False) -> int:
    """Every student's sheet and key (PDF + HTML); then, unless sharded, the combined PDFs.

    ``paper``: a4 or letter; None keeps the week's own (:func:`week_paper`), so rendering a
    Letter week again without saying so keeps it Letter. The paper used is recorded in
    ``DIR/render.json``.

    A student whose PDFs are up to date is not rendered again unless ``fresh`` (see
    :func:`_render_student`); returns how many students were rendered. With several jobs, one
    pool of processes renders ``keys-compact.pdf`` and the students in chunks, then assembles
    ``sheets.pdf`` and ``keys.pdf`` side by side.
    """
    folder = Path(folder)
    paper = paper or week_paper(folder, week)
    if paper not in PAPERS:
        raise UsageError(f"--paper: must be one of {', '.join(PAPERS)}, got {paper!r}")
    check_jobs(jobs)
    for kind in KINDS:
        (folder / kind).mkdir(parents=True, exist_ok=True)
    copy_fonts(folder)
    write_text_atomic(folder / RENDER_STAMP, json.dumps({"paper": paper}) + "\n")
    students = [s for s in shard_of(week.students, shard) if only is None or s.id in only]  # only: these ids
    jobs = max(1, jobs or os.cpu_count() or 1)
    advance = counter(progress, "rendering", len(students))
    if jobs == 1 or len(students) <= 1:
        pdf = PdfWriter()
        rendered = 0
        with _few_collections():
            for s in students:
                rendered += _render_student(pdf, folder, week, s, paper, fresh)
                advance()
            if shard is None:
                combine(folder, week, paper, pdf)
        return rendered
    ids = [s.id for s in students]
    # set up weasyprint once, here: forked workers inherit it (and its imports) instead of each repeating it
    _WORKER.update(week=week, pdf=PdfWriter())
    try:
        with _few_collections(), process_pool(min(jobs, len(ids)), _init_worker, (week_to_json(week),)) as pool:
            # keys-compact needs only the record: it goes first, off the end of the run
            done = [pool.submit(_write_compact, str(folder), paper)] if shard is None else []
            futures = [pool.submit(_render_chunk, str(folder), chunk, paper, fresh) for chunk in _chunks(ids, jobs)]
            rendered = 0
            for f in as_completed(futures):
                advance(len(f.result()))
                rendered += sum(f.result())
            if shard is None:
                parts = _parts(folder, week)
                done += [pool.submit(_assemble, paths, folder / f"{kind}.pdf", True, combined_title(week, kind)) for kind, paths in parts.items()]
            for f in done:
                f.result()
        return rendered
    finally:
        _WORKER.clear()


def key_pdf_path(folder: Path, file: str | None = None) -> Path:
    """Where ``key --format pdf`` writes by default: everyone's keys, or one student's (``file``)."""
    return folder / (f"key-{file}.pdf" if file is not None else "key.pdf")


def remove_rendered(folder: Path, files: Iterable[str]) -> int:
    """Delete the sheets and keys (PDF and HTML) of the students with these file names; returns
    how many had files. Nothing else in ``folder`` is touched."""
    had = 0
    for file in files:
        paths = [folder / kind / f"{file}{ext}" for kind in KINDS for ext in (".pdf", ".html")]
        had += any(p.is_file() for p in paths)
        for p in paths:
            p.unlink(missing_ok=True)
    return had


def remove_week_pdfs(folder: Path, files: Iterable[str]) -> None:
    """Delete the PDFs made from a whole week: the combined ones, and ``key --format pdf``'s (of
    everyone, and of the students with these file names). A replaced week's must not pass for
    the new one's; ``render`` makes the combined ones again."""
    for path in [folder / name for name in COMBINED_FILES] + [key_pdf_path(folder)] + [key_pdf_path(folder, f) for f in files]:
        path.unlink(missing_ok=True)


def combined_title(week: Week, kind: str) -> str:
    """The document title of ``sheets.pdf`` or ``keys.pdf`` (``kind``)."""
    return f"{COMBINED_TITLES[kind]} · {week_title(week)}"



def _assemble(parts: Iterable[Path], output: Path, duplex: bool = True, title: str | None = None) -> None:
    """Concatenate PDFs; with ``duplex`` each part starts on an odd page (a blank page after odd counts).

    A print file: the parts' tag trees are not carried over (the pages lose their ``/StructParents``),
    only the document language (the first part's) and ``title`` are kept.
    """
    import io

    import pikepdf

    out = pikepdf.Pdf.new()
    bookmarks: list[Any] = []
    for part in parts:
        try:
            if not _complete_pdf(part):
                raise pikepdf.PdfError("cut short: it does not end with %%EOF")
            src = pikepdf.Pdf.open(io.BytesIO(part.read_bytes()))  # in memory: no file left open per part
        except (pikepdf.PdfError, OSError) as e:
            raise DamagedPdf(f"{part}: not a readable PDF ({e}); render it again: "
                             f"bpdrill render {part.parent.parent}") from None
        if "/Lang" not in out.Root and "/Lang" in src.Root:
            out.Root.Lang = pikepdf.String(str(src.Root.Lang))
        first = len(out.pages)
        for page in src.pages:
            out.pages.append(page)
            if "/StructParents" in out.pages[-1]:
                del out.pages[-1].StructParents
        with src.open_outline() as outline:
            bookmarks += _bookmarks(outline.root, src, out, first)
        if duplex and len(src.pages) % 2:
            x0, y0, x1, y1 = (float(v) for v in src.pages[-1].mediabox)
            out.add_blank_page(page_size=(x1 - x0, y1 - y0))
    with out.open_outline() as outline:
        outline.root.extend(bookmarks)
    if title:
        out.docinfo["/Title"] = title
        out.docinfo["/Creator"] = "bpdrill"
        out.Root.ViewerPreferences = pikepdf.Dictionary(DisplayDocTitle=True)
    with atomic_output(output) as f:
        out.save(f)


def _bookmarks(items: Iterable[Any], src: Any, out: Any, first: int) -> list[Any]:
    """A part's bookmarks (weasyprint's, from its headings), pointing to its pages in ``out``,
    where they start at page ``first``: the page is replaced by its copy, the view kept."""
    import pikepdf

    pages = {page.obj.objgen: i for i, page in enumerate(src.pages)}
    copied = []
    for item in items:
        dest = item.destination
        new = pikepdf.OutlineItem(item.title)
        if isinstance(dest, pikepdf.Array) and len(dest) and dest[0].objgen in pages:
            new.destination = pikepdf.Array([out.pages[first + pages[dest[0].objgen]].obj, *list(dest)[1:]])
        new.children.extend(_bookmarks(item.children, src, out, first))
        copied.append(new)
    return copied


def _parts(folder: Path, week: Week) -> dict[str, list[Path]]:
    """The per-student PDFs of ``sheets.pdf`` and ``keys.pdf``, in print order; all must exist."""
    order = print_order(week.students)
    parts = {kind: [folder / kind / f"{s.file}.pdf" for s in order] for kind in ("keys", "sheets")}
    missing = [p for paths in parts.values() for p in paths if not p.is_file()]
    if missing:
        raise UsageError(f"{missing[0]}: not rendered yet ({len(missing)} missing; run 'bpdrill render' "
                         f"for every shard first)")
    return parts


def _write_compact(folder: str, paper: str, week: Week | None = None, pdf: PdfWriter | None = None) -> None:
    """``keys-compact.pdf``; in a pool worker, with the worker's week and weasyprint set-up."""
    week = week or _WORKER["week"]
    pdf = pdf or _WORKER.get("pdf") or PdfWriter()
    pdf.write(compact_html(week, week.students, paper), Path(folder) / "keys-compact.pdf")


def paper_of(pdf_path: Path) -> str:
    """The paper (one of :data:`PAPERS`) nearest to the size of a PDF's first page."""
    import pikepdf

    with pikepdf.Pdf.open(pdf_path) as pdf:
        x0, y0, x1, y1 = (float(v) for v in pdf.pages[0].mediabox)
    size = (x1 - x0, y1 - y0)
    return min(PAPERS, key=lambda p: sum(abs(a - b) for a, b in zip(PAPER_POINTS[p], size)))


def week_paper(folder: Path, week: Week) -> str:
    """The paper a week's folder was rendered on: recorded in ``render.json`` by :func:`render_week`,
    else (a week rendered before that record) the size of a per-student sheet, else a4."""
    try:
        paper = json.loads((Path(folder) / RENDER_STAMP).read_text(encoding="utf-8")).get("paper")
        if paper in PAPERS:
            return paper
    except (OSError, ValueError, AttributeError):
        pass
    sheets = [Path(folder) / "sheets" / f"{s.file}.pdf" for s in week.students]
    first = next((p for p in sheets if p.is_file()), None)
    try:
        return paper_of(first) if first is not None else "a4"
    except Exception:  # noqa: BLE001 - a damaged PDF: the default
        return "a4"


def combine(folder: Path, week: Week, paper: str | None = None, pdf: PdfWriter | None = None) -> None:
    """``sheets.pdf`` and ``keys.pdf`` from the per-student PDFs, and ``keys-compact.pdf``.

    Without ``paper``, ``keys-compact.pdf`` takes the week's paper (:func:`week_paper`).
    """
    folder = Path(folder)
    parts = _parts(folder, week)
    for kind, paths in parts.items():
        _assemble(paths, folder / f"{kind}.pdf", title=combined_title(week, kind))
    paper = paper or week_paper(folder, week)
    _write_compact(str(folder), paper, week, pdf)


def write_keys_pdf(week: Week, students: list[Student], output: Path, paper: str = "a4") -> None:
    """The keys of the given students in one PDF (each from an odd page when there are several)."""
    import tempfile

    output = Path(output)
    pdf = PdfWriter()
    if len(students) == 1:
        pdf.write(key_html(week, students[0], paper), output)
        return
    with tempfile.TemporaryDirectory() as tmp:
        parts = []
        for i, s in enumerate(print_order(students)):
            part = Path(tmp) / f"{i}.pdf"
            pdf.write(key_html(week, s, paper), part)
            parts.append(part)
        _assemble(parts, output, title=combined_title(week, "keys"))
