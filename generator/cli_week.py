"""generate and key commands (the week's folder).

:func:`generate_week` is the whole of ``bpdrill generate`` short of rendering, as a plain
function (``bpdrill demo`` calls it); the typer commands below are thin wrappers.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import shutil
import sys
import tempfile
import time
from enum import Enum
from pathlib import Path
from dataclasses import dataclass
from typing import Any, Sequence

import typer

from . import __version__
from .cli import app, read_problem_file
from .cli_render import Paper
from .config import ConfigError, merge, parse_asked, parse_layers, read_config
from .errors import UserError, fail, warn
from .record import RECORD_FILE, RecordError, Student, Week, asked_names, read_week, write_text_atomic, write_week
from .roster import RosterError, read_roster
from .sampler import SampleOptions, SamplerError, check_options, sampler_version
from .steps import DEFAULT_ASKED
from .week import (WeekOptions, add_students, answer_csv, build_week, options_from_record, shared_variants, split_new,
                   undetectable_mistakes)

ANSWERS_DIR = "answers"
SAMPLING_FLAGS = ("layers", "hidden_activation", "output", "learning_rate", "problems", "from", "seed", "title", "asked", "xlsx")


def default_seed(today: _dt.date | None = None) -> str:
    """This ISO week, e.g. ``2026-W48``: a new set each week, the same all week."""
    year, week, _ = (today or _dt.date.today()).isocalendar()
    return f"{year}-W{week:02d}"


# ---- the week's folder (the edge) ----

def write_answer_template(folder: Path, week: Week, student: Student) -> Path:
    """``folder/<file>.csv``: the student's blank answer template (``folder`` is a fresh staging folder)."""
    name = f"{student.file}.csv"
    if os.path.basename(name) != name or student.file in ("", ".", ".."):  # belt and braces: names are safe
        raise UserError(f"{student.file!r}: refusing a file name that is a path")
    path = folder / name
    path.write_text(answer_csv(week, [student]), encoding="utf-8", newline="")
    return path


def write_answer_templates(folder: Path, week: Week, students: Sequence[Student] | None = None) -> list[Path]:
    """The templates of ``students`` (default: everyone): CSV, and the Excel workbook too when the
    week asks for it (in parallel processes, one per CPU). Returns the files written."""
    students = week.students if students is None else students
    written = [write_answer_template(folder, week, s) for s in students]
    if week.options.get("xlsx"):
        from grader.xlsx import template_rows, write_answer_workbooks

        jobs = [(folder / f"{s.file}.xlsx", template_rows(week, s)) for s in students]
        written += write_answer_workbooks(jobs, workers=cpu_count(), title=week.title)
    return written


def cpu_count() -> int:
    """The CPUs this process may use (its affinity where the system tells it, e.g. in a container)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def write_week_folder(out: Path, week: Week, added: Sequence[Student] | None = None) -> None:
    """Write ``week.json`` and ``answers/`` into ``out`` whole or not at all.

    Everything is written into a staging folder inside ``out`` first, then moved into place
    (the record last); a previous week's ``week.json`` and ``answers/`` are replaced, any
    other file in ``out`` is left alone. ``added``: students just added to the week in ``out``:
    only their templates are written (beside the others') with the new record.
    """
    out.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".bpdrill-staging-", dir=out))
    try:
        answers = stage / ANSWERS_DIR
        answers.mkdir()
        written = write_answer_templates(answers, week, added)
        write_week(stage, week)
        _usual_permissions(stage)
        if added is not None:
            _move_in_added(out, stage, written)
            return
        old = stage / "previous"
        old.mkdir()
        moved = []
        try:
            for name in (ANSWERS_DIR, RECORD_FILE):
                if (out / name).exists():
                    os.replace(out / name, old / name)
                    moved.append(name)
            os.replace(answers, out / ANSWERS_DIR)
            os.replace(stage / RECORD_FILE, out / RECORD_FILE)
        except OSError:
            for name in moved:  # put the previous week back
                if (out / name).exists():
                    shutil.rmtree(out / name) if (out / name).is_dir() else (out / name).unlink()
                os.replace(old / name, out / name)
            raise
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _move_in_added(out: Path, stage: Path, written: list[Path]) -> None:
    """New students' templates into ``out/answers/``, then the record; all taken back on failure."""
    (out / ANSWERS_DIR).mkdir(exist_ok=True)
    moved: list[Path] = []
    try:
        for path in written:
            os.replace(path, out / ANSWERS_DIR / path.name)
            moved.append(out / ANSWERS_DIR / path.name)
        os.replace(stage / RECORD_FILE, out / RECORD_FILE)
    except OSError:
        for path in moved:
            path.unlink(missing_ok=True)
        raise


def _usual_permissions(folder: Path) -> None:
    """Temporary files are private (0600); the week's files get the usual ones (umask)."""
    umask = os.umask(0)
    os.umask(umask)
    for path in folder.rglob("*"):
        path.chmod((0o777 if path.is_dir() else 0o666) & ~umask)


def _check_out(out: Path, force: bool) -> None:
    if out.exists() and not out.is_dir():
        raise UserError(f"{out}: exists and is not a folder (--out)")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise UserError(f"{out}: folder is not empty (use --force to replace its week)")


def _options(o: dict[str, Any]) -> WeekOptions:
    """Week options from merged config + flags; validated, messages name the option."""
    layers = parse_layers(o["layers"]) if "layers" in o else SampleOptions().layers
    sample = SampleOptions(
        layers=layers,
        hidden_activation=o.get("hidden_activation", SampleOptions.hidden_activation),
        output=o.get("output", SampleOptions.output),
        learning_rate=float(o.get("learning_rate", SampleOptions.learning_rate)),
    )
    problems = o.get("problems", 1)
    if problems < 1:
        raise UserError(f"--problems: must be at least 1, got {problems}")
    fixed, fixed_source = (), None
    if o.get("from"):
        fixed_source = str(o["from"])
        _, fixed = read_problem_file(Path(fixed_source))
        if "problems" in o and o["problems"] != len(fixed):
            warn(f"--problems {o['problems']} is not used: --from gives everyone the {len(fixed)} problem"
                 f"{'s' * (len(fixed) != 1)} of {fixed_source}")
    else:
        check_options(sample)
    seed = str(o["seed"]) if o.get("seed") is not None else default_seed()
    return WeekOptions(
        seed=seed,
        title=o.get("title") or f"Backpropagation — {seed}",
        sample=sample,
        problems=problems,
        asked=parse_asked(o["asked"]) if "asked" in o else DEFAULT_ASKED,
        fixed=tuple(fixed),
        fixed_source=fixed_source,
        xlsx=bool(o.get("xlsx", False)),
    )


def generate_week(
    out: Path,
    *,
    roster: Path | None = None,
    id_column: str | None = None,
    config: Path | None = None,
    seed: str | None = None,
    layers: str | None = None,
    hidden_activation: str | None = None,
    output: str | None = None,
    learning_rate: float | None = None,
    problems: int | None = None,
    from_file: Path | None = None,
    title: str | None = None,
    asked: str | list[str] | None = None,
    xlsx: bool | None = None,
    add: Path | None = None,
    force: bool = False,
    pdf: bool | None = None,
    jobs: int | None = None,
    paper: str = "a4",
    progress: bool = True,
) -> Week:
    """Generate a week's folder ``out`` (record, answer templates, and PDFs unless ``pdf=False``).

    Everything ``bpdrill generate`` does, as a plain function; returns the week.
    ``add``: add the students of that roster to the existing week in ``out`` (its own seed
    and options; no one else changes); only their files are written, and their PDFs rendered
    when the week has PDFs (or ``pdf=True``). Raises :class:`UserError` with a one-line message.
    """
    made = _generate(
        Path(out), roster=roster, id_column=id_column, config=config, seed=seed, layers=layers,
        hidden_activation=hidden_activation, output=output, learning_rate=learning_rate, problems=problems,
        from_file=from_file, title=title, asked=asked, xlsx=xlsx, add=add, force=force, progress=progress,
    )
    render_made(Path(out), made, pdf, jobs=jobs, paper=paper, progress=progress)
    return made.week


@dataclass(frozen=True)
class Made:
    """What a ``generate`` run wrote: the whole week, and, for ``--add-students``, who was added
    and whether the week already had PDFs before."""

    week: Week
    added: tuple[Student, ...] | None = None  # None: a new week
    had_pdfs: bool = False
    replaced: tuple[str, ...] = ()  # --force: the file names of the replaced week's students


def _students_of_week_in(out: Path) -> tuple[str, ...]:
    """The file names of the students of the week already in ``out`` (being replaced), if any."""
    if not (out / RECORD_FILE).is_file():
        return ()
    try:
        return tuple(s.file for s in read_week(out).students)
    except RecordError as e:
        warn(f"{e}; the replaced week's sheets and keys, if any, are left in {out}")
        return ()


def clear_replaced(out: Path, made: Made, pdf: bool | None) -> None:
    """The replaced week's sheets and keys must not pass for the new week's: remove those of
    students no longer in it (with ``--no-pdf``, everyone's), the combined PDFs and ``key``'s PDFs.
    The files of a student still in the week are rendered again if they changed, else kept
    (``render_week``)."""
    if not made.replaced:
        return
    from .render import remove_rendered, remove_week_pdfs

    now = {s.file for s in made.week.students}
    gone = [f for f in made.replaced if pdf is False or f not in now]
    n = remove_rendered(out, gone)
    remove_week_pdfs(out, made.replaced)
    if n:
        who = f"{n} student{'s' * (n != 1)}" + (" no longer in the week" if pdf is not False else "")
        typer.echo(f"removed the replaced week's sheets and keys of {who}", err=True)


def _has_pdfs(out: Path, student: Student) -> bool:
    return all((out / kind / f"{student.file}.pdf").is_file() for kind in ("sheets", "keys"))


def render_made(out: Path, made: Made, pdf: bool | None, *, jobs: int | None = None, paper: str = "a4",
                progress: bool = True) -> None:
    """Render what the run needs: a new week unless ``pdf`` is False; after ``--add-students``,
    when the week had PDFs (or ``pdf`` is True), the students without them (the new ones),
    then the combined PDFs again. ``pdf=False`` (``--no-pdf``) renders nothing. A replaced week's
    PDFs go first (:func:`clear_replaced`)."""
    clear_replaced(out, made, pdf)
    if pdf is False or (made.added is not None and pdf is None and not made.had_pdfs):
        return
    only = None
    if made.added is not None and made.had_pdfs:
        only = {s.id for s in made.week.students if not _has_pdfs(out, s)} | {s.id for s in made.added}
    render_pdfs(out, made.week, jobs=jobs, paper=paper, progress=progress, only=only)


def _generate(
    out: Path,
    *,
    roster: Path | None,
    id_column: str | None,
    config: Path | None,
    seed: str | None,
    layers: str | None,
    hidden_activation: str | None,
    output: str | None,
    learning_rate: float | None,
    problems: int | None,
    from_file: Path | None,
    title: str | None,
    asked: str | list[str] | None,
    xlsx: bool | None,
    add: Path | None,
    force: bool,
    progress: bool = True,
) -> Made:
    flags = {
        "roster": roster, "id_column": id_column, "seed": seed, "layers": layers,
        "hidden_activation": hidden_activation, "output": output, "learning_rate": learning_rate,
        "problems": problems, "from": from_file, "title": title, "asked": asked, "xlsx": xlsx,
    }
    try:
        if add is not None:
            given = [k for k in SAMPLING_FLAGS if flags[k] is not None] + (["config"] if config else [])
            if given:
                raise UserError(f"--add-students uses the week's own options; drop --{given[0].replace('_', '-')}")
            return _add_to_week(out, add, id_column, progress)
        o = merge(read_config(config) if config else {}, flags)
        if o.get("id_column") and not o.get("roster"):
            raise UserError("--id-column: needs --roster")
        _check_out(out, force)
        replaced = _students_of_week_in(out)
        options = _options(o)
        students = read_roster(Path(o["roster"]), o.get("id_column")) if o.get("roster") else None
        with SlowProgress(len(students.entries) if students else 1, shown=progress) as bar:
            week = build_week(
                students.entries if students else None,
                options,
                students.info() if students else None,
                version=__version__,
                created=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
                progress=bar,
            )
        write_week_folder(out, week)
        return Made(week, replaced=replaced)
    except (ConfigError, RosterError, SamplerError, RecordError) as e:
        raise UserError(str(e)) from None
    except OSError as e:
        raise UserError(f"{e.filename or out}: {e.strerror or e}") from None


class SlowProgress:
    """A progress bar for drawing the students' problems: transient, on a terminal only, and only
    once the work has taken a second (a usual week takes less)."""

    def __init__(self, total: int, after: float = 1.0, shown: bool = True) -> None:
        self.total, self.after, self.done, self.shown = total, after, 0, shown
        self.start = time.monotonic()
        self.bar: Any = None

    def __enter__(self) -> "SlowProgress":
        return self

    def __call__(self) -> None:
        self.done += 1
        if self.bar is None and self.shown and time.monotonic() - self.start > self.after and sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self.bar = Progress(TextColumn("drawing problems"), BarColumn(), MofNCompleteColumn(),
                                TimeRemainingColumn(), console=Console(stderr=True), transient=True)
            self.bar.start()
            self.task = self.bar.add_task("draw", total=self.total, completed=self.done)
        elif self.bar is not None:
            self.bar.advance(self.task)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


def _add_to_week(out: Path, more: Path, id_column: str | None, progress: bool = True) -> Made:
    week = read_week(out)
    roster = read_roster(more, id_column)
    entries, already = split_new(week, roster.entries)
    had_pdfs = (out / "sheets").is_dir() and any(_has_pdfs(out, s) for s in week.students)
    if already:
        typer.echo(f"{more}: {len(already)} of its {len(roster.entries)} students are already in the week "
                   f"and stay as they are", err=True)
        zeros = [(e, known) for e, known in already if e.id.isdigit() and e.id != known]
        if zeros:
            e, known = zeros[0]
            warn(f"{more}: {len(zeros)} of them by an id with its leading zeros lost (line {e.line}: {e.id} is "
                 f"{known}, e.g. by Excel); their record keeps the week's id")
    if not entries:
        return Made(week, (), had_pdfs)
    with SlowProgress(len(entries), shown=progress) as bar:
        new_week = add_students(week, entries, roster.info(), bar)
    added = new_week.students[len(week.students):]
    then, now = week.options.get("sampler", 1), sampler_version(options_from_record(week).sample)
    if not week.options.get("from") and then > now:  # an older sampler draws as it did; a newer one is unknown here
        warn(f"{out}: the week was drawn by sampler {then}, this bpdrill draws by sampler {now}: the new students' "
             "problems are hand-friendly but not the ones they would have got on the first day")
    write_week_folder(out, new_week, added)
    return Made(new_week, added, had_pdfs)


# ---- the commands ----

def _summary(out: Path, week: Week, added: bool = False) -> None:
    n = len(week.students)
    per = len(week.students[0].problems) if week.students else 0
    what = f"{'now ' if added else ''}{n} student{'s' * (n != 1)}"
    typer.echo(f"{out}: {what}, {per} problem{'s' * (per != 1)} each, seed {week.seed!r}; "
               f"record {RECORD_FILE}, answer templates in {ANSWERS_DIR}/")
    if not week.options.get("from") and week.roster.get("source"):
        for group in shared_variants(week.students):
            warn(f"students {', '.join(group)} share the same problems (variant {week.student(group[0]).variant})")
    exact, near = ([], []) if added else undetectable_mistakes(week)
    for lines, what in ((exact, "give exactly the right value on some asked entries (no problem can tell them)"),
                        (near, "stay within the tolerance of honest 4-digit work on some asked entries")):
        if lines:
            typer.echo(f"mistakes that {what}:")
            typer.echo("".join(f"  {line}\n" for line in lines), nl=False)


def render_pdfs(out: Path, week: Week, *, jobs: int | None = None, paper: str = "a4", progress: bool = True,
                only: set[str] | None = None) -> None:
    """Sheets and keys for the week (``generator.render``; ``only``: just these students, then the
    combined PDFs); one line if rendering is unavailable."""
    try:
        from .render import render_week
    except ImportError:
        typer.echo("PDF rendering is not available in this version; skipped (the week itself is complete)")
        return
    try:
        render_week(out, week, jobs=jobs, paper=paper, progress=progress, only=only)
    except ValueError as e:
        raise UserError(str(e)) from None
    except OSError as e:
        raise UserError(f"{e.filename or out}: {e.strerror or e}") from None


@app.command()
def generate(
    out: Path = typer.Option(..., "--out", "-o", metavar="DIR", help="The week's folder (created; must be empty unless --force)."),
    roster: Path = typer.Option(None, "--roster", metavar="ROSTER.csv", help="Class roster CSV (LMS export or hand-made). Without it: one shared variant for the whole class."),
    id_column: str = typer.Option(None, "--id-column", metavar="NAME", help="The roster's id column (default: detected, institution ids first)."),
    seed: str = typer.Option(None, "--seed", help="Any text, e.g. 2026-W48; same seed + options + id → same problems (default: this ISO week)."),
    config: Path = typer.Option(None, "--config", metavar="CONFIG.toml", help="Options from a TOML file; flags override it."),
    layers: str = typer.Option(None, "--layers", help="Layer sizes: input, hidden…, output (default 2,2,2)."),
    hidden_activation: str = typer.Option(None, "--hidden-activation", help="sigmoid (default), tanh or relu."),
    output: str = typer.Option(None, "--output", help="sigmoid (default, loss mse) or softmax (loss cross-entropy)."),
    learning_rate: float = typer.Option(None, "--learning-rate", help="The learning rate c (default 0.1)."),
    problems: int = typer.Option(None, "--problems", help="Problems per student (default 1)."),
    from_file: Path = typer.Option(None, "--from", metavar="PROBLEM.json", help="Every student gets these fixed problems (e.g. the worked example)."),
    title: str = typer.Option(None, "--title", help="Title printed on the sheets."),
    xlsx: bool = typer.Option(None, "--xlsx/--no-xlsx", help="Also write answers/<file>.xlsx, an Excel answer workbook, beside each CSV template."),
    add_students_file: Path = typer.Option(None, "--add-students", metavar="MORE.csv", help="Add these students to the existing week in DIR (those already in it stay as they are); no one else changes."),
    force: bool = typer.Option(False, "--force", help="Replace the week in a non-empty DIR."),
    pdf: bool = typer.Option(None, "--pdf/--no-pdf", help="Render sheets and keys (--no-pdf: only the record and answer templates). "
                             "With --add-students: the new students' only, when the week has PDFs (default)."),
    jobs: int = typer.Option(None, "--jobs", "-j", help="Parallel rendering processes (default: the CPUs)."),
    paper: Paper = typer.Option(Paper.a4, "--paper", help="Paper size for the PDFs."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show progress bars (on a terminal)."),
) -> None:
    """Generate a week's problem set: every student's own problems, answers and answer template."""
    try:
        made = _generate(
            out, roster=roster, id_column=id_column, config=config, seed=seed, layers=layers,
            hidden_activation=hidden_activation, output=output, learning_rate=learning_rate,
            problems=problems, from_file=from_file, title=title, asked=None, xlsx=xlsx, add=add_students_file,
            force=force, progress=progress,
        )
        _summary(out, made.week, added=add_students_file is not None)
        render_made(out, made, pdf, jobs=jobs, paper=paper.value, progress=progress)
    except UserError as e:
        raise fail(str(e))


class KeyFormat(str, Enum):
    json = "json"
    csv = "csv"
    pdf = "pdf"


def key_json(week: Week, students: list[Student]) -> str:
    """Student id → [{"problem": …, "answers": {asked quantity: matrix}}] (pure)."""
    data = {
        s.id: [
            {
                "problem": sp.problem.to_json(),
                "answers": {n: sp.answers[n].tolist() for n in asked_names(sp.answers, week.asked)},
            }
            for sp in s.problems
        ]
        for s in students
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


@app.command()
def key(
    folder: Path = typer.Argument(..., metavar="DIR", help="The week's folder (made by 'bpdrill generate')."),
    student: str = typer.Option(None, "--student", metavar="ID", help="Only this student (default: everyone)."),
    format: KeyFormat = typer.Option(KeyFormat.json, "--format", "-f", help="json: id → problems and asked answers; csv: the filled-in answer template (a complete, correct submission); pdf: the worked keys."),
    output: Path = typer.Option(None, "--output", "-o", metavar="FILE", help="Write here instead of standard output (pdf: default DIR/key.pdf or DIR/key-<file>.pdf)."),
    paper: Paper = typer.Option(Paper.a4, "--paper", help="Paper size for --format pdf."),
) -> None:
    """The answer key of a week, from its record (never from the random generator again)."""
    try:
        week = read_week(folder)
    except RecordError as e:
        raise fail(str(e))
    if student is not None:
        try:
            students = [week.student(student.strip())]
        except KeyError:
            raise fail(f"--student: no student with id {student!r} in {folder / RECORD_FILE}")
    else:
        students = list(week.students)
    if format is KeyFormat.pdf:
        try:
            from .render import key_pdf_path, write_keys_pdf
        except ImportError:
            raise fail("--format pdf: PDF rendering is not available in this version")
        target = output or key_pdf_path(folder, students[0].file if student is not None else None)
        if target.is_dir():
            raise fail(f"{target}: is a folder; give --output a file name, e.g. {target / 'key.pdf'}")
        try:
            write_keys_pdf(week, students, target, paper=paper.value)
        except OSError as e:
            raise fail(f"{target}: cannot write: {e.strerror or e}")
        typer.echo(f"wrote {target}", err=True)
        return
    text = key_json(week, students) if format is KeyFormat.json else answer_csv(week, students, filled=True)
    if output is None:
        sys.stdout.write(text)
        return
    try:
        write_text_atomic(output, text)
    except OSError as e:
        raise fail(f"{output}: cannot write: {e.strerror or e}")
    typer.echo(f"wrote {output}", err=True)
