"""`make bench`: how fast sheets and keys render, beside weasyprint alone and R/exams.

For N students (default 20), each as a whole process in the same run:
  - `bpdrill generate --jobs 1` and `--jobs 2` (the whole weekly run: record, answer templates,
    every sheet and key, sheets.pdf, keys.pdf, keys-compact.pdf; the speedup of two processes);
  - weasyprint alone rendering the very HTML files that generate wrote (sheets/*.html,
    keys/*.html), one Python process, same PDF/UA option: the floor our run is compared with;
and, in this process, seconds per student and per page for sheets and for keys separately; then
`bpdrill generate --no-pdf` for 1,000 students of a 2-2-2 week (drawing every mistake apart included;
before sampler 3 it took about 1.4 s of CPU on these machines, and should stay within twice that).
The load average is printed before and after: other work on the machine skews the numbers.
A benchmark, not a test: it prints numbers and never fails on them.

    python tests/bench.py [--students N]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
R_EXAMS = 1.4  # s per student, sheet + solution (LaTeX), on these machines

WEASYPRINT_ALONE = """
import sys
from pathlib import Path
from weasyprint import HTML
for f in sys.argv[2:]:
    HTML(filename=f).write_pdf(Path(sys.argv[1]) / (Path(f).parent.name + "-" + Path(f).stem + ".pdf"), pdf_variant="pdf/ua-1")
"""


def cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(cmd: list[str]) -> tuple[float, float]:
    """Wall-clock and CPU seconds of a whole process (its worker processes included)."""
    start, cpu = time.perf_counter(), cpu_of_children()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start, cpu_of_children() - cpu


def bpdrill(*args: str) -> list[str]:
    exe = BIN / "bpdrill"
    return [str(exe)] + list(args) if exe.exists() else [sys.executable, "-m", "generator.cli", *args]


def per_kind(folder: Path) -> dict[str, tuple[float, float, int]]:
    """Wall and CPU seconds and pages for all sheets, then all keys, rendered in this process (HTML → PDF)."""
    from generator.record import read_week
    from generator.render import PdfWriter, key_html, sheet_html

    week = read_week(folder)
    pdf = PdfWriter()
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for kind, make in (("sheets", sheet_html), ("keys", key_html)):
            seconds, cpu, pages = 0.0, 0.0, 0
            for s in week.students:
                start, start_cpu = time.perf_counter(), time.process_time()
                pages += pdf.write(make(week, s), Path(tmp) / "x.pdf")
                seconds += time.perf_counter() - start
                cpu += time.process_time() - start_cpu
            out[kind] = (seconds, cpu, pages)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", type=int, default=20)
    n = ap.parse_args().students
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        roster = tmp / "roster.csv"
        roster.write_text("id,name,Section\n" + "".join(f"s{i:04d},Student {i},{'AB'[i % 2]}\n" for i in range(n)))
        week = tmp / "week"
        load = os.getloadavg()[0]

        def generate(out: Path, jobs: int) -> float:
            return timed(bpdrill("generate", "--out", str(out), "--roster", str(roster), "--seed", "bench",
                                 "--jobs", str(jobs)))

        t1 = generate(week, 1)
        t2 = generate(tmp / "week2", 2)
        html = sorted(str(p) for kind in ("sheets", "keys") for p in (week / kind).glob("*.html"))
        alone_out = tmp / "alone"
        alone_out.mkdir()
        tw = timed([sys.executable, "-c", WEASYPRINT_ALONE, str(alone_out), *html])
        kinds = per_kind(week)

    print(f"bpdrill generate, {n} students (A4, tagged PDF/UA-1), whole processes in one run; "
          f"load average {load:.2f} before, {os.getloadavg()[0]:.2f} after (2 free cores: < 0.5)")
    print("(wall-clock seconds; CPU seconds, all processes included, are steadier when the machine is busy)")
    print(f"{'':34}{'s/student':>11}{'CPU s/st.':>11}{'s/page':>9}{'pages':>7}")
    for kind, (sec, cpu, pages) in kinds.items():
        print(f"  {kind + ' (in-process, HTML→PDF)':32}{sec / n:11.3f}{cpu / n:11.3f}{sec / pages:9.3f}{pages:7d}")
    total_pages = sum(p for *_, p in kinds.values())
    for label, (sec, cpu) in (("generate --jobs 1 (whole run)", t1), ("generate --jobs 2 (whole run)", t2),
                              ("weasyprint alone, same HTML", tw)):
        print(f"  {label:32}{sec / n:11.3f}{cpu / n:11.3f}{sec / total_pages:9.3f}")
    print(f"  {'R/exams (LaTeX), for reference':32}{R_EXAMS:11.3f}")
    print(f"generate --jobs 1 / weasyprint alone: {t1[0] / tw[0]:.2f}x wall, {t1[1] / tw[1]:.2f}x CPU (goal ≤ 1.3x, "
          f"at most 1.5x; the run also makes the record, combines sheets.pdf, keys.pdf, renders keys-compact.pdf)")
    print(f"speedup of --jobs 2 over --jobs 1: {t1[0] / t2[0]:.2f}x (goal ≥ 1.35x, near 2x on 2 free cores)")
    print(f"per student on one core vs R/exams: {t1[0] / n:.2f} s vs {R_EXAMS} s ({R_EXAMS / (t1[0] / n):.1f}x faster)")


DRAWING_BEFORE = 1.4  # CPU s of `generate --no-pdf` for 1,000 students of 2-2-2 before sampler 3


def drawing() -> None:
    """`generate --no-pdf` for 1,000 students of a 2-2-2 week: drawing, tolerances, record, templates."""
    with tempfile.TemporaryDirectory() as tmp:
        roster = Path(tmp) / "roster.csv"
        roster.write_text("id,name\n" + "".join(f"s{i:04d},Student {i}\n" for i in range(1000)))
        sec, cpu = timed(bpdrill("generate", "--no-pdf", "--no-progress", "--out", str(Path(tmp) / "week"),
                                 "--roster", str(roster), "--seed", "bench"))
    print(f"generate --no-pdf, 1,000 students of 2-2-2: {sec:.2f} s wall, {cpu:.2f} s CPU "
          f"({cpu / DRAWING_BEFORE:.2f}x the {DRAWING_BEFORE} s CPU before sampler 3; goal ≤ 2x)")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
    drawing()
