"""``bpdrill generate`` and ``bpdrill key`` as library functions: a week's folder from options.

    from generator import generate_week
    made = generate_week("week48", roster="roster.csv", seed="2026-W48", pdf=False)
    made.week.students[0].problems[0].answers["delta1"]

:func:`generate_week` draws every student's problems (``week``), writes the record and the
answer templates into the folder whole or not at all, and renders the sheets and keys
(``render``). It prints nothing: it returns the week, who was added, and its notes, and reports
long work through a ``progress(what, done, total)`` callback. Bad input raises a
:class:`~generator.errors.BpdrillError` whose message is one line.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, Sequence

from .version import __version__
from .answers import answer_csv, template_rows, write_answer_workbooks
from .config import merge, parse_asked, parse_layers, read_config
from .errors import ProblemError, RecordError, RosterError, UsageError, check_jobs, read_text
from .problem import Problem, parse_problems
from .progress import Note, Progress, counter, warning
from .record import RECORD_FILE, Student, Week, asked_names, read_week, write_text_atomic, write_week
from .roster import IdIndex, read_roster
from .sampler import SampleOptions, check_options, sampler_version
from .steps import DEFAULT_ASKED
from .week import (WeekOptions, add_students, build_week, options_from_record, shared_variants, split_new,
                   undetectable_mistakes)

ANSWERS_DIR = "answers"
PAPERS = ("a4", "letter")


def default_seed(today: _dt.date | None = None) -> str:
    """This ISO week, e.g. ``2026-W48``: a new set each week, the same all week."""
    year, week, _ = (today or _dt.date.today()).isocalendar()
    return f"{year}-W{week:02d}"


def read_problem_file(path: Path) -> tuple[Any, list[Problem]]:
    """A problem file (one problem or a list) as read and as validated problems."""
    raw = read_text(Path(path))
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as e:
        raise ProblemError(f"{path}: not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})") from None
    try:
        return data, parse_problems(data)
    except ProblemError as e:
        raise ProblemError(f"{path}: {e}") from None


# ---- the options ----

@dataclass(frozen=True)
class GenerateOptions:
    """What ``bpdrill generate`` is asked, as given (None: not given; the config or the default decides)."""

    roster: Path | None = None
    id_column: str | None = None
    name_column: str | None = None
    config: Path | None = None
    seed: str | None = None
    layers: str | None = None
    hidden_activation: str | None = None
    output: str | None = None
    learning_rate: float | None = None
    problems: int | None = None
    from_file: Path | None = None
    title: str | None = None
    asked: str | list[str] | None = None
    xlsx: bool | None = None
    add: Path | None = None  # add these students to the week in the folder
    force: bool = False
    pdf: bool | None = None
    jobs: int | None = None
    paper: str | None = None  # None: the week's own when it was rendered before (``render.week_paper``), else a4

    SAMPLING = ("layers", "hidden_activation", "output", "learning_rate", "problems", "from_file", "seed", "title",
                "asked", "xlsx")

    def flags(self) -> dict[str, Any]:
        """The week's options given here, under the config file's keys."""
        keys = {"from_file": "from"}
        return {keys.get(f.name, f.name): getattr(self, f.name) for f in fields(self)
                if f.name in ("roster", "id_column", "name_column") + self.SAMPLING}

    def check(self) -> None:
        if self.paper is not None and self.paper not in PAPERS:
            raise UsageError(f"--paper: expected {' or '.join(PAPERS)}, got {self.paper!r}")
        check_jobs(self.jobs)
        if self.add is not None:
            given = [k for k in self.SAMPLING if getattr(self, k) is not None] + (["config"] if self.config else [])
            if given:
                flag = "from" if given[0] == "from_file" else given[0]
                raise UsageError(f"--add-students uses the week's own options; drop --{flag.replace('_', '-')}")


def week_options(o: dict[str, Any]) -> tuple[WeekOptions, list[Note]]:
    """Week options from merged config + flags; validated, messages name the option."""
    notes: list[Note] = []
    layers = parse_layers(o["layers"]) if "layers" in o else SampleOptions().layers
    sample = SampleOptions(
        layers=layers,
        hidden_activation=o.get("hidden_activation", SampleOptions.hidden_activation),
        output=o.get("output", SampleOptions.output),
        learning_rate=float(o.get("learning_rate", SampleOptions.learning_rate)),
    )
    problems = o.get("problems", 1)
    if problems < 1:
        raise UsageError(f"--problems: must be at least 1, got {problems}")
    fixed, fixed_source = (), None
    if o.get("from"):
        fixed_source = str(o["from"])
        _, fixed = read_problem_file(Path(fixed_source))
        if "problems" in o and o["problems"] != len(fixed):
            notes.append(warning(f"--problems {o['problems']} is not used: --from gives everyone the {len(fixed)} problem"
                                 f"{'s' * (len(fixed) != 1)} of {fixed_source}"))
    else:
        check_options(sample)
    seed = str(o["seed"]) if o.get("seed") is not None else default_seed()
    options = WeekOptions(
        seed=seed,
        title=o.get("title") or f"Backpropagation — {seed}",
        sample=sample,
        problems=problems,
        asked=parse_asked(o["asked"]) if "asked" in o else DEFAULT_ASKED,
        fixed=tuple(fixed),
        fixed_source=fixed_source,
        xlsx=bool(o.get("xlsx", False)),
    )
    return options, notes


# ---- the week's folder ----

def write_answer_template(folder: Path, week: Week, student: Student) -> Path:
    """``folder/<file>.csv``: the student's blank answer template (``folder`` is a fresh staging folder)."""
    name = f"{student.file}.csv"
    if os.path.basename(name) != name or student.file in ("", ".", ".."):  # belt and braces: names are safe
        raise UsageError(f"{student.file!r}: refusing a file name that is a path")
    path = folder / name
    path.write_text(answer_csv(week, [student]), encoding="utf-8", newline="")
    return path


def cpu_count() -> int:
    """The CPUs this process may use (its affinity where the system tells it, e.g. in a container)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def write_answer_templates(folder: Path, week: Week, students: Sequence[Student] | None = None) -> list[Path]:
    """The templates of ``students`` (default: everyone): CSV, and the Excel workbook too when the
    week asks for it (in parallel processes, one per CPU). Returns the files written."""
    students = week.students if students is None else students
    written = [write_answer_template(folder, week, s) for s in students]
    if week.options.get("xlsx"):
        jobs = [(folder / f"{s.file}.xlsx", template_rows(week, s)) for s in students]
        written += write_answer_workbooks(jobs, workers=cpu_count(), title=week.title)
    return written


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
        raise UsageError(f"{out}: exists and is not a folder (--out)")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise UsageError(f"{out}: folder is not empty (use --force to replace its week)")


# ---- generate ----

@dataclass(frozen=True)
class Generated:
    """What a ``generate`` run did: the whole week, who was added (``--add-students``), the notes."""

    week: Week
    out: Path
    added: tuple[Student, ...] | None = None  # None: a new week
    had_pdfs: bool = False
    replaced: tuple[str, ...] = ()  # --force: the file names of the replaced week's students
    rendered: int | None = None  # students whose PDFs were rendered; None: no rendering asked
    notes: tuple[Note, ...] = ()

    def summary(self) -> str:
        """One line: how many students, problems and where the files are."""
        week = self.week
        n = len(week.students)
        per = len(week.students[0].problems) if week.students else 0
        what = f"{'now ' if self.added is not None else ''}{n} student{'s' * (n != 1)}"
        return (f"{self.out}: {what}, {per} problem{'s' * (per != 1)} each, seed {week.seed!r}; "
                f"record {RECORD_FILE}, answer templates in {ANSWERS_DIR}/")


def generate_week(
    out: str | Path,
    *,
    roster: str | Path | None = None,
    id_column: str | None = None,
    name_column: str | None = None,
    config: str | Path | None = None,
    seed: str | None = None,
    layers: str | None = None,
    hidden_activation: str | None = None,
    output: str | None = None,
    learning_rate: float | None = None,
    problems: int | None = None,
    from_file: str | Path | None = None,
    title: str | None = None,
    asked: str | list[str] | None = None,
    xlsx: bool | None = None,
    add: str | Path | None = None,
    force: bool = False,
    pdf: bool | None = None,
    jobs: int | None = None,
    paper: str | None = None,
    progress: Progress | None = None,
) -> Generated:
    """Generate a week's folder ``out``: the record, the answer templates, and the sheets and keys
    (PDF + HTML) unless ``pdf=False``. Everything ``bpdrill generate`` does.

    ``add``: add the students of that roster to the existing week in ``out`` (with its own seed
    and options; no one else changes); only their files are written, and their PDFs rendered
    when the week has PDFs (or ``pdf=True``). ``progress(what, done, total)`` hears of long work.
    """
    path = lambda p: None if p is None else Path(p)  # noqa: E731
    options = GenerateOptions(
        roster=path(roster), id_column=id_column, name_column=name_column, config=path(config), seed=seed, layers=layers,
        hidden_activation=hidden_activation, output=output, learning_rate=learning_rate, problems=problems,
        from_file=path(from_file), title=title, asked=asked, xlsx=xlsx, add=path(add), force=force, pdf=pdf,
        jobs=jobs, paper=paper,
    )
    return run_generate(Path(out), options, progress)


def run_generate(out: Path, options: GenerateOptions, progress: Progress | None = None) -> Generated:
    """:func:`generate_week` with its options in one object."""
    options.check()
    try:
        made = _add_to_week(out, options, progress) if options.add is not None else _new_week(out, options, progress)
    except OSError as e:
        raise UsageError(f"{e.filename or out}: {e.strerror or e}") from None
    week = made.week
    if not week.options.get("from") and week.roster.get("source"):  # a roster's students, each their own problems
        shared = [warning(f"students {', '.join(group)} share the same problems (variant {week.student(group[0]).variant})")
                  for group in shared_variants(week.students)]
        made = replace(made, notes=made.notes + tuple(shared))
    if made.added is None:
        exact, near = undetectable_mistakes(week)
        blind = [Note(f"mistakes that {what}:\n" + "\n".join(f"  {line}" for line in lines))
                 for lines, what in ((exact, "give exactly the right value on some asked entries (no problem can tell them)"),
                                     (near, "stay within the tolerance of honest 4-digit work on some asked entries"))
                 if lines]
        made = replace(made, notes=made.notes + tuple(blind))
    return render_made(made, options, progress)


def _new_week(out: Path, options: GenerateOptions, progress: Progress | None) -> Generated:
    o = merge(dict(read_config(options.config).generate), options.flags())
    for option in ("id_column", "name_column"):
        if o.get(option) and not o.get("roster"):
            raise UsageError(f"--{option.replace('_', '-')}: needs --roster")
    _check_out(out, options.force)
    notes: list[Note] = []
    replaced = _students_of_week_in(out, notes)
    week_opts, more = week_options(o)
    notes += more
    students = read_roster(Path(o["roster"]), o.get("id_column"), o.get("name_column")) if o.get("roster") else None
    notes += [warning(n) for n in (students.notes if students else ())]
    week = build_week(
        students.entries if students else None,
        week_opts,
        students.info() if students else None,
        version=__version__,
        created=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        progress=counter(progress, "drawing problems", len(students.entries) if students else 1),
    )
    write_week_folder(out, week)
    return Generated(week, out, replaced=replaced, notes=tuple(notes))


def _add_to_week(out: Path, options: GenerateOptions, progress: Progress | None) -> Generated:
    more = options.add
    week = read_week(out)
    roster = read_roster(more, options.id_column, options.name_column)
    entries, already = split_new(week, roster.entries)
    had_pdfs = (out / "sheets").is_dir() and any(_has_pdfs(out, s) for s in week.students)
    notes: list[Note] = []
    if already:
        notes.append(Note(f"{more}: {len(already)} of its {len(roster.entries)} students are already in the week "
                          f"and stay as they are"))
        zeros = [(e, known) for e, known in already if e.id.isdigit() and e.id != known]
        if zeros:
            e, known = zeros[0]
            notes.append(warning(f"{more}: {len(zeros)} of them by an id with its leading zeros lost (line {e.line}: "
                                 f"{e.id} is {known}, e.g. by Excel); their record keeps the week's id"))
    if not entries:
        return Generated(week, out, (), had_pdfs, notes=tuple(notes))
    new_week = add_students(week, entries, roster.info(), counter(progress, "drawing problems", len(entries)))
    added = new_week.students[len(week.students):]
    then, now = week.options.get("sampler", 1), sampler_version(options_from_record(week).sample)
    if not week.options.get("from") and then > now:  # an older sampler draws as it did; a newer one is unknown here
        notes.append(warning(f"{out}: the week was drawn by sampler {then}, this bpdrill draws by sampler {now}: the new "
                             "students' problems are hand-friendly but not the ones they would have got on the first day"))
    write_week_folder(out, new_week, added)
    return Generated(new_week, out, tuple(added), had_pdfs, notes=tuple(notes))


def _students_of_week_in(out: Path, notes: list[Note]) -> tuple[str, ...]:
    """The file names of the students of the week already in ``out`` (being replaced), if any."""
    if not (out / RECORD_FILE).is_file():
        return ()
    try:
        return tuple(s.file for s in read_week(out).students)
    except RecordError as e:
        notes.append(warning(f"{e}; the replaced week's sheets and keys, if any, are left in {out}"))
        return ()


def _has_pdfs(out: Path, student: Student) -> bool:
    return all((out / kind / f"{student.file}.pdf").is_file() for kind in ("sheets", "keys"))


def clear_replaced(made: Generated, pdf: bool | None) -> list[Note]:
    """The replaced week's sheets and keys must not pass for the new week's: remove those of
    students no longer in it (with ``--no-pdf``, everyone's), the combined PDFs and ``key``'s PDFs.
    The files of a student still in the week are rendered again if they changed, else kept."""
    if not made.replaced:
        return []
    from .render import remove_rendered, remove_week_pdfs

    now = {s.file for s in made.week.students}
    gone = [f for f in made.replaced if pdf is False or f not in now]
    n = remove_rendered(made.out, gone)
    remove_week_pdfs(made.out, made.replaced)
    if not n:
        return []
    who = f"{n} student{'s' * (n != 1)}" + (" no longer in the week" if pdf is not False else "")
    return [Note(f"removed the replaced week's sheets and keys of {who}")]


def render_made(made: Generated, options: GenerateOptions, progress: Progress | None = None) -> Generated:
    """Render what the run needs: a new week unless ``pdf`` is False; after ``--add-students``,
    when the week had PDFs (or ``pdf`` is True), the students without them (the new ones),
    then the combined PDFs again. ``pdf=False`` (``--no-pdf``) renders nothing. A replaced week's
    PDFs go first (:func:`clear_replaced`)."""
    pdf = options.pdf
    notes = list(made.notes) + clear_replaced(made, pdf)
    if pdf is False or (made.added is not None and pdf is None and not made.had_pdfs):
        return replace(made, notes=tuple(notes))
    only = None
    if made.added is not None and made.had_pdfs:
        only = {s.id for s in made.week.students if not _has_pdfs(made.out, s)} | {s.id for s in made.added}
    from .render import render_week

    try:
        rendered = render_week(made.out, made.week, jobs=options.jobs, paper=options.paper, progress=progress,
                               only=only)
    except OSError as e:
        raise UsageError(f"{e.filename or made.out}: {e.strerror or e}") from None
    return replace(made, notes=tuple(notes), rendered=rendered)


# ---- key ----

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


def key_students(week: Week, student: str | None, folder: Path) -> list[Student]:
    """Everyone, or the one student ``--student`` names."""
    if student is None:
        return list(week.students)
    try:  # read as every command reads an id (an e-mail without case, leading zeros lost)
        return [week.student(IdIndex([s.id for s in week.students]).find(student, "--student"))]
    except RosterError as e:
        raise UsageError(f"{e} ({folder / RECORD_FILE})") from None


KEY_FORMATS = ("json", "csv", "pdf")


def write_key(folder: Path, *, student: str | None = None, format: str = "json", output: Path | None = None,
              paper: str | None = None) -> tuple[Path | None, str]:
    """The answer key of the week in ``folder`` (``bpdrill key``), from its record: json (id → problems
    and asked answers), csv (the filled-in answer template) or pdf (the worked keys; ``paper`` None:
    the week's own, ``render.week_paper``). Returns the file written (None: nothing written) and the
    text (json, csv) when no ``output`` is given."""
    if format not in KEY_FORMATS:
        raise UsageError(f"--format: expected {', '.join(KEY_FORMATS)}, got {format!r}")
    folder = Path(folder)
    week = read_week(folder)
    students = key_students(week, student, folder)
    if format == "pdf":
        from .render import key_pdf_path, week_paper, write_keys_pdf

        target = Path(output) if output is not None else key_pdf_path(folder, students[0].file if student is not None else None)
        if target.is_dir():
            raise UsageError(f"{target}: is a folder; give --output a file name, e.g. {target / 'key.pdf'}")
        try:
            write_keys_pdf(week, students, target, paper=paper or week_paper(folder, week))
        except OSError as e:
            raise UsageError(f"{target}: cannot write: {e.strerror or e}") from None
        return target, ""
    text = key_json(week, students) if format == "json" else answer_csv(week, students, filled=True)
    if output is None:
        return None, text
    try:
        write_text_atomic(Path(output), text)
    except OSError as e:
        raise UsageError(f"{output}: cannot write: {e.strerror or e}") from None
    return Path(output), text
