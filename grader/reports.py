"""Stage 6: the gradebook as files and a summary.

- ``grades.csv``: one row per roster student (submitted or not);
- ``details.csv``: one row per student × asked entry;
- the summary (rich): mean, distribution, most-missed quantities, files not understood.

Rows are built by pure functions (:func:`grades_rows`, :func:`details_rows`,
:func:`summary_facts`); text cells are neutralized against spreadsheet formula injection
(:func:`safe_cell`). Moving old results aside and comparing with them sit at the edge.
"""

from __future__ import annotations

import csv
import io
import shutil
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from generator.formats import fmt_number
from generator.record import write_text_atomic

from .judge import CORRECT
from .parse import parse_number
from .pipeline import Gradebook, StudentResult

GRADES_FILE, DETAILS_FILE, FEEDBACK_DIR, SUMMARY_FILE = "grades.csv", "details.csv", "feedback", "summary.txt"
RESULT_NAMES = (GRADES_FILE, DETAILS_FILE, FEEDBACK_DIR, SUMMARY_FILE)
GRADES_COLUMNS = ("student_id", "name", "points", "max_points", "percent", "status", "flags", "files", "message")
DETAILS_COLUMNS = ("student_id", "problem", "quantity", "row", "col", "expected", "submitted", "verdict", "credit", "note")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    """Text a spreadsheet will not run: a cell starting with = + - @ that is not a number gets a ' ."""
    kind = type(value)
    if kind is float:
        return repr(value)
    if kind is int:
        return str(value)
    text = "" if value is None else str(value)
    if text[:1] in FORMULA_START and text and parse_number(text, decimal_comma=True)[0] is None:
        return "'" + text
    return text


def _num(v: float, digits: int = 6) -> str:
    return fmt_number(round(v, 6), digits)


def grades_rows(book: Gradebook) -> list[tuple[str, ...]]:
    rows = []
    for r in book.results:
        rows.append((r.student.id, r.student.name, _num(r.points), _num(r.max_points), _num(r.percent, 5), r.status,
                     ";".join(r.flags), ";".join(r.files), " | ".join(r.messages)))
    return rows


def details_rows(book: Gradebook) -> Iterable[tuple[Any, ...]]:
    for r in book.results:
        for e in r.entries:
            yield (r.student.id, e.problem, e.quantity, e.row, e.col, e.expected, e.submitted, e.verdict,
                   _num(e.credit), e.note)


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for row in rows:
        w.writerow([safe_cell(c) for c in row])
    return buf.getvalue()


def write_reports(book: Gradebook, outdir: Path) -> None:
    write_text_atomic(outdir / GRADES_FILE, to_csv(GRADES_COLUMNS, grades_rows(book)))
    write_text_atomic(outdir / DETAILS_FILE, to_csv(DETAILS_COLUMNS, details_rows(book)))


# ---- old results ----

def holds_results(outdir: Path) -> bool:
    return any((outdir / n).exists() for n in RESULT_NAMES)


def move_previous(outdir: Path, now: float | None = None) -> Path:
    """Move the result files of an earlier run into ``OUTDIR/previous-<time>/``; returns it."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now if now is not None else time.time()))
    target = outdir / f"previous-{stamp}"
    n = 1
    while target.exists():
        n += 1
        target = outdir / f"previous-{stamp}-{n}"
    target.mkdir()
    for name in RESULT_NAMES:
        if (outdir / name).exists():
            shutil.move(str(outdir / name), str(target / name))
    return target


def read_grades(path: Path) -> dict[str, tuple[str, str]]:
    """student_id → (percent, status) from a grades.csv; {} when unreadable."""
    try:
        with open(path, encoding="utf-8", newline="") as f:
            return {row["student_id"].lstrip("'"): (row.get("percent", ""), row.get("status", "")) for row in csv.DictReader(f)}
    except (OSError, KeyError, csv.Error, UnicodeDecodeError):
        return {}


@dataclass(frozen=True)
class Change:
    student_id: str
    before: str
    after: str


def changes(old: Mapping[str, tuple[str, str]], book: Gradebook) -> list[Change]:
    out = []
    for r in book.results:
        after = (_num(r.percent, 5), r.status)
        before = old.get(r.student.id)
        if before != after:
            fmt = lambda x: "new" if x is None else f"{x[0]}% ({x[1]})"  # noqa: E731
            out.append(Change(r.student.id, fmt(before), fmt(after)))
    return out


# ---- summary ----

def summary_facts(book: Gradebook, top: int = 5) -> dict[str, Any]:
    results = book.results
    graded = [r for r in results if r.status == "graded"]
    percents = [r.percent for r in results]
    bins = Counter(min(int(p // 10), 9) for p in percents)
    missed: Counter[str] = Counter()
    for r in graded:
        for q in {e.quantity for e in r.entries if e.verdict != CORRECT}:
            missed[q] += 1
    return {
        "students": len(results),
        "status": Counter(r.status for r in results),
        "mean": sum(percents) / len(percents) if percents else 0.0,
        "mean_graded": sum(r.percent for r in graded) / len(graded) if graded else 0.0,
        "distribution": [(f"{10 * b}–{10 * b + 10}", bins.get(b, 0)) for b in range(10)],
        "missed": [(q, n, n / len(graded)) for q, n in missed.most_common(top)] if graded else [],
        "not_understood": [(f.source, f.outcome, f.reason) for f in book.not_understood],
        "flagged": [(r.student.id, ";".join(r.flags)) for r in results if r.flags],
    }


def print_summary(book: Gradebook, outdir: Path, console: Any, extra: Sequence[str] = ()) -> None:
    from rich.table import Table

    f = summary_facts(book)
    status = ", ".join(f"{n} {s}" for s, n in sorted(f["status"].items()))
    console.print(f"[bold]{book.week.title or 'Week'}[/bold]: {f['students']} students — {status}")
    console.print(f"mean {f['mean']:.1f}% over all students; {f['mean_graded']:.1f}% over those graded")
    width = max((n for _, n in f["distribution"]), default=0) or 1
    dist = Table(title="distribution (percent)", show_header=False, box=None)
    for label, n in f["distribution"]:
        dist.add_row(label, "█" * round(30 * n / width), str(n))
    console.print(dist)
    if f["missed"]:
        t = Table(title="most-missed quantities", box=None)
        t.add_column("quantity")
        t.add_column("students with a wrong or missing entry", justify="right")
        for q, n, share in f["missed"]:
            t.add_row(q, f"{n} ({100 * share:.0f}%)")
        console.print(t)
    if f["not_understood"]:
        t = Table(title="files not understood", box=None)
        t.add_column("file", overflow="fold")
        t.add_column("what")
        t.add_column("why", overflow="fold")
        for src, what, why in f["not_understood"][:50]:
            t.add_row(src, what, why)
        console.print(t)
        if len(f["not_understood"]) > 50:
            console.print(f"… and {len(f['not_understood']) - 50} more (see {outdir / SUMMARY_FILE})")
    for line in extra:
        console.print(line)
    console.print(f"results: {outdir / GRADES_FILE}, {outdir / DETAILS_FILE}, {outdir / FEEDBACK_DIR}/")


def result_line(r: StudentResult) -> str:
    return f"{r.student.id}: {_num(r.percent, 5)}% ({r.status})"
