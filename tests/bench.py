"""`make bench`: how fast sheets and keys render, beside weasyprint alone and R/exams.

For N students (default 20), each as a whole process in the same run:
  - `bpdrill generate --jobs 1` and `--jobs 2` (the whole weekly run: record, answer templates,
    every sheet and key, sheets.pdf, keys.pdf, keys-compact.pdf; the speedup of two processes);
  - weasyprint alone rendering the very HTML files that generate wrote (sheets/*.html,
    keys/*.html), one Python process, same PDF/UA option: the floor our run is compared with;
and, in this process, seconds per student and per page for sheets and for keys separately.
The load average is printed before and after: other work on the machine skews the numbers.
A benchmark, not a test: it prints numbers and never fails on them.

    python tests/bench.py [--students N]
"""

from __future__ import annotations

import argparse
import os
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


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def bpdrill(*args: str) -> list[str]:
    exe = BIN / "bpdrill"
    return [str(exe)] + list(args) if exe.exists() else [sys.executable, "-m", "generator.cli", *args]


def per_kind(folder: Path) -> dict[str, tuple[float, int]]:
    """Seconds and pages for all sheets, then all keys, rendered in this process (HTML → PDF)."""
    from generator.record import read_week
    from generator.render import _Pdf, key_html, sheet_html

    week = read_week(folder)
    pdf = _Pdf()
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for kind, make in (("sheets", sheet_html), ("keys", key_html)):
            seconds, pages = 0.0, 0
            for s in week.students:
                start = time.perf_counter()
                pages += pdf.write(make(week, s), Path(tmp) / "x.pdf")
                seconds += time.perf_counter() - start
            out[kind] = (seconds, pages)
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
    print(f"{'':34}{'s/student':>11}{'s/page':>9}{'pages':>7}")
    for kind, (sec, pages) in kinds.items():
        print(f"  {kind + ' (in-process, HTML→PDF)':32}{sec / n:11.3f}{sec / pages:9.3f}{pages:7d}")
    total_pages = sum(p for _, p in kinds.values())
    print(f"  {'generate --jobs 1 (whole run)':32}{t1 / n:11.3f}{t1 / total_pages:9.3f}")
    print(f"  {'generate --jobs 2 (whole run)':32}{t2 / n:11.3f}{t2 / total_pages:9.3f}")
    print(f"  {'weasyprint alone, same HTML':32}{tw / n:11.3f}{tw / total_pages:9.3f}")
    print(f"  {'R/exams (LaTeX), for reference':32}{R_EXAMS:11.3f}")
    print(f"generate --jobs 1 / weasyprint alone: {t1 / tw:.2f}x (goal ≤ 1.3x, at most 1.5x; the run also makes "
          f"the record, combines sheets.pdf, keys.pdf and renders keys-compact.pdf)")
    print(f"speedup of --jobs 2 over --jobs 1: {t1 / t2:.2f}x (goal ≥ 1.35x, near 2x on 2 free cores)")
    print(f"per student on one core vs R/exams: {t1 / n:.2f} s vs {R_EXAMS} s ({R_EXAMS / (t1 / n):.1f}x faster)")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
