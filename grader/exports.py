"""The gradebook back into the LMS: ``canvas.csv``, ``moodle.csv``, ``moodle-feedback.zip`` and
``canvas-feedback.zip``.

The rows come from grades.csv as written (so a partial regrade exports every student, the
regraded and the kept ones alike); the formats, and what each LMS's importer makes of them, are
``grader.lms``'s. A student without a grade (nothing handed in, or a file that could not be read,
and no points from an override) gets a blank cell in ``canvas.csv`` (Canvas leaves the score as
it is) and no row in ``moodle.csv`` (Moodle would erase the grade of an empty cell) — or 0 in
both with the config's ``[lms] missing = "zero"``. Every LMS file the run lists is written by
it: a feedback zip it cannot write again is removed (the run says so; ``--only`` keeps a copy
in ``previous-<time>/``), never left stale.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

from generator.record import Week, atomic_output, write_text_atomic
from generator.steps import parse_name

from .lms import canvas_column, canvas_csv, canvas_feedback_zip, moodle_csv, moodle_feedback_zip, neutralize, number_cell
from .identify import internal_note
from .ingest import plural
from .reports import CANVAS_FILE, CANVAS_ZIP, FEEDBACK_DIR, MOODLE_FILE, MOODLE_ZIP, Table

FEEDBACK_CHARS = 1000  # Moodle's feedback cell: one line, kept short


def lms_points(row: Mapping[str, str]) -> float | None:
    """The grade to export: the points of a graded student (or points an override gave), else None."""
    try:
        points = float(row.get("points") or "")
    except ValueError:
        return None
    return points if row.get("status") == "graded" or points > 0 else None


def rounded(number: str) -> str:
    """A number from grades.csv as the grade column writes it (at most 4 decimals)."""
    try:
        return number_cell(float(number))
    except ValueError:
        return number


def is_identifier(word: str) -> bool:
    """A quantity name or a file name, written as it is: ``dL_dX2[1,1]``, ``net1``, ``loss``, ``s667.csv:``."""
    word = word.rstrip(":,;")
    if any(c.isdigit() or c in "_.[" for c in word):
        return True
    try:
        parse_name(word)
    except ValueError:
        return False
    return True


def sentence(text: str) -> str:
    """``text`` as a sentence: capital first letter (unless the first word is an identifier,
    which keeps its case), closing period."""
    text = text.strip()
    if not text:
        return ""
    first = text[:1] if is_identifier(text.split()[0]) else text[:1].upper()
    return first + text[1:] + ("" if text.endswith((".", "!", "?", "…")) else ".")


LOCAL_PATH = re.compile(r"(?<![\w.])(?:/|[A-Za-z]:[\\/])(?:[^\s;,()]*[\\/!])?([^\s;,()\\/!]+)")


def base_name(source: str) -> str:
    """``/tmp/subs/s667.csv``, ``canvas.zip!folder/s667.csv`` → ``s667.csv``."""
    return re.split(r"[\\/!]", source)[-1] or source


def without_paths(message: str, files: Sequence[str] = ()) -> str:
    """``message`` with the student's files (``files``: their sources as grading names them) and
    any other local path by their base names: where a file was on the instructor's disk is not
    the student's business."""
    for source in sorted(files, key=len, reverse=True):
        message = message.replace(source, base_name(source))
    return LOCAL_PATH.sub(lambda m: m.group(1), message)


def student_sentences(messages: Sequence[str], files: Sequence[str] = ()) -> list[str]:
    """Messages as the student reads them: sentences, without local paths; notes on whose the
    file is (``identify.internal_note``) stay with the instructor."""
    return [sentence(without_paths(m, files)) for m in messages if m.strip() and not internal_note(m)]


def student_messages(message: str, files: str = "") -> str:
    """grades.csv's message (`` | ``-joined) and files (``;``-joined) as sentences for the student."""
    return " ".join(student_sentences(message.split(" | "), files.split(";") if files else ()))


def feedback_line(row: Mapping[str, str], has_file: bool) -> str:
    """One line for Moodle's feedback column; ``has_file``: a feedback file goes to the student
    with it (``moodle-feedback.zip``)."""
    status, message = row.get("status", ""), student_messages(row.get("message") or "", row.get("files") or "")
    if status == "missing" and lms_points(row) is None:
        text = "No submission was found."
    elif status == "unreadable" and lms_points(row) is None:
        text = "Your submission could not be read." + (f" {message}" if message else "")
    else:
        text = f"{rounded(row.get('points') or '0')} of {row.get('max_points')} points ({row.get('percent')}%)."
        if message:
            text += f" {message}"
    if has_file:
        text += " The attached feedback file shows every entry."
    return text if len(text) <= FEEDBACK_CHARS else text[: FEEDBACK_CHARS - 1] + "…"


@dataclass(frozen=True)
class Exported:
    written: tuple[Path, ...]
    notes: tuple[str, ...]  # for the summary
    column: str = ""  # canvas.csv's assignment column
    warnings: tuple[str, ...] = ()  # e.g. the column would create a new Canvas assignment


def points_possible(rows: Mapping[str, Mapping[str, str]]) -> float | None:
    """The week's max_points when every student has the same (Canvas's Points Possible row), else None."""
    maxima = {r.get("max_points") for r in rows.values() if r.get("max_points")}
    try:
        return float(maxima.pop()) if len(maxima) == 1 else None
    except ValueError:
        return None


def _feedback_zip(outdir: Path, name: str, build, files: Mapping[str, Mapping[str, bytes]], names: Mapping[str, str],
                  what: str, notes: list[str], written: list[Path]) -> Mapping[str, str]:
    """Write one LMS's feedback zip (``build``: ``lms.moodle_feedback_zip`` or ``canvas_feedback_zip``)
    when the submissions carried that LMS's names and feedback files were written; else remove an
    earlier one so no stale zip is left listed. Returns student id → where their file went."""
    target = outdir / name
    if not names or not files:
        if names:
            notes.append(f"{what} names seen, but no feedback files were written (--feedback none): no {name}")
        if target.exists():
            target.unlink()
            notes.append(f"{name}: removed — this run could not write it again, and an earlier one would be stale")
        return {}
    fz = build(files, names)
    with atomic_output(target) as f:
        f.write(fz.data)
    written.append(target)
    notes.append(f"{name}: feedback of {plural(len(fz.folders), 'student')} under the names {what}'s import reads")
    if fz.skipped:
        notes.append(f"not in {name} (no {what} submission seen; upload from {outdir / FEEDBACK_DIR}/ one by one): "
                     + ", ".join(sid for sid, _ in fz.skipped))
    return fz.folders


def write_lms_files(week: Week, grades: Table, outdir: Path, assignment: str,
                    folders: Mapping[str, str], feedback_suffix: str | None, missing: str = "unchanged",
                    canvas_names: Mapping[str, str] | None = None) -> Exported:
    """canvas.csv and moodle.csv always; moodle-feedback.zip / canvas-feedback.zip when Moodle
    participant folders / Canvas file names were seen (``folders``, ``canvas_names``: student id →
    the name) and feedback files were written (``feedback_suffix`` ".html"/".pdf").
    ``missing``: ``"unchanged"`` (no grade: blank in Canvas, no row in Moodle) or ``"zero"``."""
    by_id = {row.get("student_id", ""): row for row in grades}
    rows = {s.id: by_id.get(neutralize(s.id), {}) for s in week.students}
    points = {sid: lms_points(row) for sid, row in rows.items()}
    if missing == "zero":
        points = {sid: 0.0 if p is None else p for sid, p in points.items()}
    feedback_files: dict[str, Mapping[str, bytes]] = {}
    if feedback_suffix:
        for s in week.students:
            path = outdir / FEEDBACK_DIR / f"{s.file}{feedback_suffix}"
            if path.is_file():
                feedback_files[s.id] = {f"feedback{feedback_suffix}": path.read_bytes()}
    students: Sequence = week.students
    id_column = week.roster.get("id_column")
    from generator.roster import column_kind

    col = canvas_column(assignment, week.roster.get("columns") or ())
    maximum = points_possible(rows)
    write_text_atomic(outdir / CANVAS_FILE, canvas_csv(students, points, col.header, maximum,
                                                       column_kind(id_column) if id_column else None))
    written = [outdir / CANVAS_FILE, outdir / MOODLE_FILE]
    notes = [f"Canvas column: {col.header!r}" + (" (an assignment of the roster's Canvas export)" if col.known else "")
             + f"; max_points {number_cell(maximum) if maximum is not None else 'differs between students (see grades.csv)'}"]
    zipped = _feedback_zip(outdir, MOODLE_ZIP, moodle_feedback_zip, feedback_files, folders, "Moodle", notes, written)
    _feedback_zip(outdir, CANVAS_ZIP, canvas_feedback_zip, feedback_files, canvas_names or {}, "Canvas", notes, written)
    texts = {sid: feedback_line(row, sid in zipped) for sid, row in rows.items()}
    sheet = moodle_csv(students, points, texts, id_column=id_column)
    write_text_atomic(outdir / MOODLE_FILE, sheet.text)
    notes.append(f"Moodle identifies students by {sheet.header!r}"
                 + (f"; no row for {plural(len(sheet.no_grade), 'student')} without a grade (Moodle keeps what it has; "
                    f"[lms] missing = \"zero\" gives them 0)" if sheet.no_grade else ""))
    if sheet.no_identifier:
        notes.append(f"not in {MOODLE_FILE} (no {sheet.header} in the roster; enter by hand): " + ", ".join(sheet.no_identifier))
    return Exported(tuple(written), tuple(notes), col.header, (col.warning,) if col.warning else ())
