"""The gradebook back into the LMS: ``canvas.csv``, ``moodle.csv`` and ``moodle-feedback.zip``.

The rows come from grades.csv as written (so a partial regrade exports every student, the
regraded and the kept ones alike); the formats are ``grader.lms``'s pure functions. Every
roster student gets a row: a student without a grade (nothing handed in, or a file that could
not be read, and no points from an override) gets a blank grade, which neither LMS treats as
an error and both leave unchanged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

from generator.record import Week, write_text_atomic
from generator.steps import parse_name

from .lms import canvas_csv, moodle_csv, moodle_feedback_zip, neutralize, number_cell
from .identify import internal_note
from .ingest import plural
from .reports import CANVAS_FILE, FEEDBACK_DIR, MOODLE_FILE, MOODLE_ZIP, Table

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


def write_lms_files(week: Week, grades: Table, outdir: Path, assignment: str,
                    folders: Mapping[str, str], feedback_suffix: str | None) -> Exported:
    """canvas.csv and moodle.csv always; moodle-feedback.zip when Moodle participant folders were
    seen in the submissions and feedback files were written (``feedback_suffix`` ".html"/".pdf")."""
    by_id = {row.get("student_id", ""): row for row in grades}
    rows = {s.id: by_id.get(neutralize(s.id), {}) for s in week.students}
    points = {sid: lms_points(row) for sid, row in rows.items()}
    feedback_files = {}
    if feedback_suffix:
        for s in week.students:
            path = outdir / FEEDBACK_DIR / f"{s.file}{feedback_suffix}"
            if path.is_file():
                feedback_files[s.id] = path
    students: Sequence = week.students
    write_text_atomic(outdir / CANVAS_FILE, canvas_csv(students, points, assignment))
    written = [outdir / CANVAS_FILE, outdir / MOODLE_FILE]
    notes = [f"Canvas column: {assignment!r}"]
    zipped: Mapping[str, str] = {}  # student id → folder: the students whose feedback file Moodle attaches
    if folders:
        if not feedback_files:
            notes.append(f"Moodle folders seen, but no feedback files were written (--feedback none): no {MOODLE_ZIP}")
        else:
            fz = moodle_feedback_zip({sid: {f"feedback{feedback_suffix}": p.read_bytes()} for sid, p in feedback_files.items()},
                                     folders)
            (outdir / MOODLE_ZIP).write_bytes(fz.data)
            written.append(outdir / MOODLE_ZIP)
            zipped = fz.folders
            notes.append(f"{MOODLE_ZIP}: feedback of {plural(len(fz.folders), 'student')} in their Moodle participant folders")
            if fz.skipped:
                notes.append(f"not in {MOODLE_ZIP} (no Moodle folder seen; upload from {outdir / FEEDBACK_DIR}/ one by one): "
                             + ", ".join(sid for sid, _ in fz.skipped))
    texts = {sid: feedback_line(row, sid in zipped) for sid, row in rows.items()}
    write_text_atomic(outdir / MOODLE_FILE, moodle_csv(students, points, texts))
    return Exported(tuple(written), tuple(notes))
