"""Stage 6: the gradebook as files and a summary.

- ``grades.csv``: one row per roster student (submitted or not);
- ``details.csv``: one row per student × asked entry;
- the summary (rich): mean, distribution, most-missed quantities, files not understood.

Rows are built by pure functions (:func:`grades_rows`, :func:`details_rows`,
:func:`summary_facts`); text cells are neutralized against spreadsheet formula injection
(``lms.neutralize``, the one neutralizer). Moving old results aside and comparing with them sit at the edge.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from generator.formats import fmt_number
from generator.record import write_text_atomic

from .ingest import listing, plural
from .judge import CORRECT
from .late import late_cell
from .lms import neutralize
from .identify import same_id
from .results import OTHER_VARIANT, OTHER_WEEK, Gradebook, IdConflict, OtherWork

Table = list[dict[str, str]]  # a CSV read back: one dict per row, by header name

GRADES_FILE, DETAILS_FILE, FEEDBACK_DIR, SUMMARY_FILE = "grades.csv", "details.csv", "feedback", "summary.txt"
CANVAS_FILE, MOODLE_FILE, MOODLE_ZIP = "canvas.csv", "moodle.csv", "moodle-feedback.zip"
CANVAS_ZIP = "canvas-feedback.zip"
LMS_FILES = (CANVAS_FILE, MOODLE_FILE, MOODLE_ZIP, CANVAS_ZIP)
REPORT_HTML, REPORT_PDF = "report.html", "report.pdf"
# what a run writes (and --force moves aside); overrides.csv is an input and never among them
RESULT_NAMES = (GRADES_FILE, DETAILS_FILE, FEEDBACK_DIR, SUMMARY_FILE, *LMS_FILES, REPORT_HTML, REPORT_PDF,
                "run.json")  # runoptions.RUN_FILE
GRADES_COLUMNS = ("student_id", "name", "points", "max_points", "percent", "status", "flags", "files", "message", "late")
DETAILS_COLUMNS = ("student_id", "problem", "quantity", "row", "col", "expected", "submitted", "verdict", "credit", "note",
                   "override", "diagnosis")


def grade_number(v: float, digits: int = 6) -> str:
    """A number as grades.csv writes it (points 11.375, not 11.37): the one format of points shown
    to anyone — grades.csv, the feedback page, the run's summary."""
    return fmt_number(round(v, 6), digits)


def grades_rows(book: Gradebook) -> list[tuple[str, ...]]:
    rows = []
    for r in book.results:
        rows.append((r.student.id, r.student.name, grade_number(r.points), grade_number(r.max_points), grade_number(r.percent, 5), r.status,
                     ";".join(r.flags), listing(r.files, sep=";"), " | ".join(r.messages + r.adjustments),
                     late_cell(r.lateness)))
    return rows


def details_rows(book: Gradebook) -> Iterable[tuple[Any, ...]]:
    for r in book.results:
        for e in r.entries:
            yield (r.student.id, e.problem, e.quantity, e.row, e.col, e.expected, e.submitted, e.verdict,
                   grade_number(e.credit), e.note, e.override, e.diagnosis)


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for row in rows:
        w.writerow([neutralize(c) for c in row])
    return buf.getvalue()


def merge_students(book: Gradebook, header: Sequence[str], new_rows: Iterable[Sequence[Any]], old: Table) -> list[Sequence[Any]]:
    """Rows in roster order: the rows of the students in ``book``, the ``old`` rows of everyone
    else (as read, so they are written back byte for byte); a student no longer on the roster
    is dropped."""
    regraded = {neutralize(r.student.id) for r in book.results}
    new: dict[str, list[Sequence[Any]]] = {}
    for row in new_rows:
        new.setdefault(neutralize(row[0]), []).append(row)
    kept: dict[str, list[Sequence[Any]]] = {}
    for d in old:
        kept.setdefault(d.get("student_id", ""), []).append([d.get(h) or "" for h in header])
    return [row for sid in (neutralize(s.id) for s in book.week.students)
            for row in (new.get(sid, []) if sid in regraded else kept.get(sid, []))]


def write_reports(book: Gradebook, outdir: Path, earlier: Path | None = None) -> tuple[Table, Table]:
    """grades.csv and details.csv; with ``earlier`` (a partial regrade) the students not in
    ``book`` keep their rows from the results there. Returns both files' rows as written (the
    whole merged class), so that what reads them next need not read them back."""
    grades = merge_students(book, GRADES_COLUMNS, grades_rows(book), read_table(earlier / GRADES_FILE) if earlier else [])
    details = merge_students(book, DETAILS_COLUMNS, details_rows(book), read_table(earlier / DETAILS_FILE) if earlier else [])
    grades_text, details_text = to_csv(GRADES_COLUMNS, grades), to_csv(DETAILS_COLUMNS, details)
    write_text_atomic(outdir / GRADES_FILE, grades_text)
    write_text_atomic(outdir / DETAILS_FILE, details_text)
    return list(csv.DictReader(io.StringIO(grades_text))), list(csv.DictReader(io.StringIO(details_text)))


def write_class_report(week: Any, grades: Table, details: Table, outdir: Path, week_dir: Path) -> list[str]:
    """report.html and report.pdf (``classreport``) from the tables as written; returns notes
    ("" when all went well), e.g. when weasyprint cannot make the PDF here."""
    import os

    from generator.render import FONTS, page_html, self_contained, write_page_pdf

    from .classreport import class_report, page_context

    report = class_report(week, grades, details)
    html = page_html("report.html", **page_context(report))
    fonts = week_dir.resolve() / "fonts"
    where = Path(os.path.relpath(fonts, outdir.resolve())).as_posix() if fonts.is_dir() else FONTS.as_uri()
    write_text_atomic(outdir / REPORT_HTML, self_contained(html, where))
    try:
        write_page_pdf(html, outdir / REPORT_PDF)
    except ImportError as e:  # weasyprint's system libraries missing: the HTML report stands alone
        return [f"{REPORT_PDF} not written: {e}"]
    return []


# ---- old results ----

def holds_results(outdir: Path) -> bool:
    return any((outdir / n).exists() for n in RESULT_NAMES)


def move_previous(outdir: Path, now: float | None = None, copy: bool = False) -> Path:
    """Move (or ``copy``) the result files of an earlier run into ``OUTDIR/previous-<time>/``;
    returns it. ``overrides.csv`` is an input, not a result: it stays where it is."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now if now is not None else time.time()))
    target = outdir / f"previous-{stamp}"
    n = 1
    while target.exists():
        n += 1
        target = outdir / f"previous-{stamp}-{n}"
    target.mkdir()
    for name in RESULT_NAMES:
        source = outdir / name
        if not source.exists():
            continue
        if not copy:
            shutil.move(str(source), str(target / name))
        elif source.is_dir():
            shutil.copytree(source, target / name)
        else:
            shutil.copy2(source, target / name)
    return target


def read_table(path: Path) -> Table:
    """The rows of a CSV bpdrill wrote (e.g. an earlier grades.csv); [] when it cannot be read."""
    try:
        with open(path, encoding="utf-8", newline="") as f:
            return list(csv.DictReader(f))
    except (OSError, csv.Error, UnicodeDecodeError):
        return []


@dataclass(frozen=True)
class Change:
    student_id: str
    before: str
    after: str
    delta: str  # "+2.5 points", "" when the points did not change or are unknown

    def __str__(self) -> str:
        return f"{self.student_id}: {self.before} → {self.after}" + (f", {self.delta}" if self.delta else "")


def _points(row: Mapping[str, str] | None) -> float | None:
    try:
        return float(row["points"]) if row else None
    except (KeyError, TypeError, ValueError):
        return None


def changes(old: Table, new: Table) -> list[Change]:
    """Whose grade (percent or status) differs between two grades.csv tables, and by how much."""
    before = {r.get("student_id", ""): r for r in old}
    out = []
    for r in new:
        sid = r.get("student_id", "")
        b = before.get(sid)
        if b is not None and (b.get("percent"), b.get("status")) == (r.get("percent"), r.get("status")):
            continue
        p0, p1 = _points(b), _points(r)
        delta = f"{'+' if p1 - p0 >= 0 else '−'}{grade_number(abs(p1 - p0))} points" if p0 is not None and p1 is not None and p0 != p1 else ""
        fmt = lambda x: "new" if x is None else f"{x.get('percent', '')}% ({x.get('status', '')})"  # noqa: E731
        out.append(Change(sid.removeprefix("'") if sid[1:2] in ("=", "+", "-", "@") else sid, fmt(b), fmt(r), delta))
    return out


# ---- summary ----

SHOWN_NOT_UNDERSTOOD = 10  # files not understood named one by one in the summary; the rest counted by reason


def reason_kind(reason: str) -> str:
    """A reason with its particulars (numbers, quoted text) left out: what files are grouped by."""
    return re.sub(r"'[^']*'|\"[^\"]*\"|\d[\d,.]*", "…", reason)


def group_reasons(files: Sequence[tuple[str, str, str]]) -> list[tuple[str, int]]:
    """(an example reason, how many files) per kind of reason, most frequent first."""
    example: dict[str, str] = {}
    counts: Counter[str] = Counter()
    for _, what, why in files:
        kind = f"{what}: {reason_kind(why)}"
        example.setdefault(kind, f"{what}: {why}")
        counts[kind] += 1
    return [(example[k], n) for k, n in counts.most_common()]


@dataclass(frozen=True)
class ClassRow:
    """One student as the summary counts them: from a result, or from rows written earlier."""

    status: str
    percent: float
    flags: str  # ";"-joined
    missed: frozenset[str]  # quantities with an entry that is not correct
    student_id: str = ""


def class_rows(book: Gradebook) -> list[ClassRow]:
    return [ClassRow(r.status, r.percent, ";".join(r.flags), frozenset(e.quantity for e in r.entries if e.verdict != CORRECT),
                     r.student.id) for r in book.results]


def class_rows_from_tables(grades: Table, details: Table) -> list[ClassRow]:
    """The whole class from grades.csv and details.csv as written (a partial regrade merged in)."""
    missed: dict[str, set[str]] = {}
    for d in details:
        if d.get("verdict") != CORRECT:
            missed.setdefault(d.get("student_id", ""), set()).add(d.get("quantity", ""))
    rows = []
    for g in grades:
        try:
            percent = float(g.get("percent") or 0)
        except ValueError:
            percent = 0.0
        sid = g.get("student_id", "")
        rows.append(ClassRow(g.get("status", ""), percent, g.get("flags", ""), frozenset(missed.get(sid, ())), sid))
    return rows


SHOWN_ATTENTION = 20  # id conflicts and integrity findings spelled out in the summary; the rest counted


def _mangled(column: str, sid: str) -> str:
    """How a spreadsheet may have turned ``sid`` into ``column`` ("" if it does not look so)."""
    if same_id(column, sid):
        return "Excel may have eaten a leading zero"
    try:
        return "Excel may have read the id as a number" if float(column) == float(sid) else ""
    except ValueError:
        return ""


def conflict_line(c: IdConflict, status: Mapping[str, str]) -> str:
    """One id conflict as the instructor needs it: the file, what its column and its name say,
    whose grade it went to, and what to do (``status``: student id → graded/missing/…)."""
    by_name = c.name_says == c.graded_as  # the column named no one on the roster (or several)
    if c.uploaded_by is not None and c.uploaded_by == c.name_says and not by_name:
        return upload_line(c, status)
    said = f"its student_id column says {c.column}" if c.column else "its rows name several students"
    if by_name:
        said += f" ({'; '.join(filter(None, ('not on the roster', _mangled(c.column, c.graded_as))))})" if c.column else ""
        said += f", its name says {c.graded_as}"
    elif c.name_says is not None:
        why = _mangled(c.column, c.name_says)
        said += f", its name says {c.name_says}" + (f" ({why})" if why else "")
    how = "by its name" if by_name else "the column counts"
    took = f"graded for {c.graded_as} ({how})" if c.counted else \
        f"taken for {c.graded_as} ({how}) but not graded: another file of {c.graded_as} counts"
    line = f"{c.file}: {said} — {took}"
    if c.name_says is not None and not by_name:
        other = c.name_says
        line += f"; {other} " + ("has no submission" if status.get(other) == "missing" else "is graded from another file")
        line += (f". If it belongs to {other}, write {other} in its student_id column (as text, so that leading zeros"
                 f" stay) and grade again; if it belongs to {c.graded_as}, nothing to do")
    else:
        line += (f". If it does not belong to {c.graded_as}, write the right id in its student_id column and grade"
                 " again; if it does, nothing to do")
    return line + "."


def upload_line(c: IdConflict, status: Mapping[str, str]) -> str:
    """A file one student uploaded whose column names another: it never replaces the named
    student's own upload (``pipeline.choose_file``), so it counts only when they have none."""
    up, sid = c.uploaded_by, c.graded_as
    took = f"graded for {sid} (the column counts)" if c.counted else f"not graded: {sid}'s own upload counts"
    has = "has no submission" if status.get(up) == "missing" else "is graded from another file"
    return (f"{c.file}: its student_id column says {c.column or 'several students'}, its name says {up} (the LMS's"
            f" uploader) — {took}; {up} {has}. " + (f"{sid} uploaded no file of their own. " if c.counted else "")
            + f"If it is {up}'s own work, write {up} in its student_id column (as text, so that leading zeros stay)"
            f" and grade again; if {up} handed in {sid}'s file, "
            + (f"check with {sid} that it is theirs." if c.counted else f"{sid}'s grade stands and {up} handed in nothing of their own."))


def other_work_line(w: OtherWork, names: Mapping[str, str]) -> str:
    """A submission the integrity check found, as the instructor needs it: whose key it fits."""
    who = lambda sid: f"{sid} ({names[sid]})" if names.get(sid) else sid  # noqa: E731
    line = f"{w.file}: graded for {who(w.student_id)}, {w.right} of {w.asked} entries right"
    if w.other is not None:
        return (line + f"; of the {w.apart} entries where their keys differ, {w.fits} fit the key of {who(w.other)}"
                f" — {w.other}'s problems handed in under {w.student_id}'s id? Compare it with {w.other}'s work"
                " and sheet; overrides.csv can set the grade.")
    return (line + f"; it matches no key of this week (another week's sheet?), and its numbers do not follow from"
            f" {w.student_id}'s own givens (W, x). Check the file.")


ATTENTION_KINDS = {  # flag → (what one is called, what several are called)
    "id-conflict": ("id conflict", "id conflicts"),
    OTHER_VARIANT: ("file that fits another student's key", "files that fit another student's key"),
    OTHER_WEEK: ("file that fits no key of this week", "files that fit no key of this week"),
}


def attention_lines(book: Gradebook, rows: Sequence[ClassRow]) -> list[tuple[str, str]]:
    """What the instructor should check, as (flag, line): every id conflict of this run's files,
    every file the integrity check found, then students flagged so in an earlier run (a partial
    regrade's summary of the whole class)."""
    status = {r.student_id: r.status for r in rows}
    names = {s.id: s.name for s in book.week.students}
    lines = [("id-conflict", conflict_line(c, status)) for c in book.conflicts]
    lines += [(w.flag, other_work_line(w, names)) for w in book.other_work]
    regraded = {r.student.id for r in book.results}
    lines += [(flag, f"{r.student_id}: flagged {flag} in an earlier run; its message in {GRADES_FILE} says more")
              for flag in ATTENTION_KINDS for r in rows
              if r.student_id not in regraded and flag in r.flags.split(";")]
    return lines


def attention_heading(lines: Sequence[tuple[str, str]]) -> str:
    """``needs attention: 2 id conflicts, 1 file that fits another student's key (flags … in grades.csv)``."""
    kinds = Counter(flag for flag, _ in lines)
    said = ", ".join(f"{n} {ATTENTION_KINDS[f][n != 1]}" for f, n in kinds.items())
    return f"needs attention: {said} (flag{'s' if len(kinds) > 1 else ''} {', '.join(kinds)} in {GRADES_FILE})"


def most_missed(missed: Counter[str], book: Gradebook) -> list[tuple[str, int]]:
    """``missed`` most first; ties in the seed's order of the quantities (then by name), so the
    summary is the same on every run."""
    order = {q: i for i, q in enumerate(dict.fromkeys(
        q for s in book.week.students for sp in s.problems for q in sp.answers))}
    return sorted(missed.items(), key=lambda qn: (-qn[1], order.get(qn[0], len(order)), qn[0]))


def summary_facts(book: Gradebook, top: int = 5, rows: Sequence[ClassRow] | None = None) -> dict[str, Any]:
    """What the summary says about ``rows`` (default: the students in ``book``)."""
    results = class_rows(book) if rows is None else list(rows)
    graded = [r for r in results if r.status == "graded"]
    percents = [r.percent for r in results]
    bins = Counter(min(int(p // 10), 9) for p in percents)
    missed: Counter[str] = Counter(q for r in graded for q in r.missed)
    # a student's unreadable file first (it decides a grade), then files no one owns
    not_understood = sorted(((f.source, f.outcome, f.reason) for f in book.not_understood),
                            key=lambda f: f[1] == "not understood")
    return {
        "students": len(results),
        "status": Counter(r.status for r in results),
        "mean": sum(percents) / len(percents) if percents else 0.0,
        "mean_graded": sum(r.percent for r in graded) / len(graded) if graded else None,
        "distribution": [(f"{10 * b}–{10 * b + 10}", bins.get(b, 0)) for b in range(10)],
        "missed": [(q, n, n / len(graded)) for q, n in most_missed(missed, book)[:top]] if graded else [],
        "not_understood": not_understood,
        "reasons": group_reasons(not_understood),
        "flagged": [(r.student_id, r.flags) for r in results if r.flags],
        "attention": attention_lines(book, results),
    }


def _table(title: str, rows: Sequence[Sequence[str]], header: Sequence[str] | None = None,
           right: Sequence[int] = ()) -> list[str]:
    """A plain-text table: a title line, then columns padded to their widths (``right``: right-aligned)."""
    body = [list(header)] + [list(r) for r in rows] if header else [list(r) for r in rows]
    widths = [max(len(r[i]) for r in body) for i in range(len(body[0]))] if body else []
    cell = lambda i, t: t.rjust(widths[i]) if i in right else t.ljust(widths[i])  # noqa: E731
    return [title] + ["  " + "  ".join(cell(i, t) for i, t in enumerate(r)).rstrip() for r in body]


def summary_text(book: Gradebook, outdir: Path, extra: Sequence[str] = (), partial: bool = False,
                 rows: Sequence[ClassRow] | None = None, lms_written: Sequence[Path] | None = None) -> str:
    """The summary of ``rows`` (default: the students in ``book``) as plain text; ``partial``: they
    are only the students regraded by --only, and the summary says so. ``lms_written``: the LMS
    files this run wrote, the only ones listed "for the LMS"."""
    f = summary_facts(book, rows=rows)
    out: list[str] = []
    status = ", ".join(f"{n} {s}" for s, n in sorted(f["status"].items()))
    who = plural(f["students"], "student") + (" regraded (--only; summary.txt has the whole class)" if partial else "")
    out.append(f"{book.week.title or 'Week'}: {who} — {status}")
    graded = "nobody graded" if f["mean_graded"] is None else f"{f['mean_graded']:.1f}% over those graded"
    out.append(f"mean {f['mean']:.1f}% over {'the students regraded' if partial else 'all students'}; {graded}")
    width = max((n for _, n in f["distribution"]), default=0) or 1
    out += _table("distribution (percent)",
                  [(label, "█" * round(30 * n / width), str(n)) for label, n in f["distribution"]], right=(0,))
    if f["missed"]:
        out += _table("most-missed quantities", [(q, f"{n} ({100 * share:.0f}%)") for q, n, share in f["missed"]],
                      header=("quantity", "students with a wrong or missing entry"), right=(1,))
    files = f["not_understood"]
    if files:
        out += _table(f"files not understood ({len(files)})", [list(x) for x in files[:SHOWN_NOT_UNDERSTOOD]],
                      header=("file", "what", "why"))
        if len(files) > SHOWN_NOT_UNDERSTOOD:
            out.append(f"… and {len(files) - SHOWN_NOT_UNDERSTOOD} more; all {len(files)} by reason:")
            out += [f"  {n:>6}  {example}" for example, n in f["reasons"][:SHOWN_NOT_UNDERSTOOD]]
            if len(f["reasons"]) > SHOWN_NOT_UNDERSTOOD:
                rest = sum(n for _, n in f["reasons"][SHOWN_NOT_UNDERSTOOD:])
                out.append(f"  {rest:>6}  for {len(f['reasons']) - SHOWN_NOT_UNDERSTOOD} other reasons")
    attention = f["attention"]
    if attention:
        out.append(attention_heading(attention))
        out += [f"  {line}" for _, line in attention[:SHOWN_ATTENTION]]
        if len(attention) > SHOWN_ATTENTION:
            out.append(f"  … and {len(attention) - SHOWN_ATTENTION} more: the flags in {GRADES_FILE}")
    out += list(extra)
    written = [outdir / GRADES_FILE, outdir / DETAILS_FILE] + ([f"{outdir / FEEDBACK_DIR}/"] if (outdir / FEEDBACK_DIR).is_dir() else [])
    written += [outdir / n for n in (REPORT_HTML, REPORT_PDF) if (outdir / n).is_file()]
    out.append(f"results: {', '.join(map(str, written))}")
    lms = [str(p) for p in lms_written] if lms_written is not None else [
        str(outdir / n) for n in LMS_FILES if (outdir / n).exists()]
    if lms:
        out.append(f"for the LMS: {', '.join(lms)}")
    return "\n".join(out) + "\n"
