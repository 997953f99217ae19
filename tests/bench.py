"""`make bench`: how fast a week is made, measured here and now (it quotes no figure it did not measure).

In one run, each a whole process (start-up included), interleaved over --rounds rounds so that other
work on the machine slows all of them alike:
  - `bpdrill generate --jobs 1` and `--jobs N` (N: all cores) for --students students: the record,
    answer templates, every sheet and key, sheets.pdf, keys.pdf, keys-compact.pdf;
  - weasyprint alone rendering the very HTML files that generate wrote (sheets/*.html, keys/*.html),
    one Python process, same PDF/UA option: the floor our run is compared with;
then `bpdrill generate --no-pdf` for 1,000 students and `bpdrill grade` of their 1,000 submissions
with HTML feedback. It prints whether weasyprint used HarfBuzz's font subsetter and the load average
before and after: with other work running the wall-clock times grow (CPU times less so).
A benchmark, not a test: it prints numbers and never fails on them.

    python tests/bench.py [--students 20] [--rounds 2] [--class-size 1000]
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

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
    return [str(exe)] + list(args) if exe.exists() else [sys.executable, "-c", "from generator.cli import main; main()", *args]


def write_roster(path: Path, n: int) -> Path:
    path.write_text("id,name,Section\n" + "".join(f"s{i:04d},Student {i},{'AB'[i % 2]}\n" for i in range(n)))
    return path


def write_submissions(week: Path, folder: Path) -> None:
    """Every student's answer file from the week's key; every third student has one entry wrong."""
    key = subprocess.run(bpdrill("key", str(week), "--format", "csv"), check=True, capture_output=True, text=True).stdout
    header, *rows = list(csv.reader(key.splitlines()))
    by_id: dict[str, list[list[str]]] = {}
    for row in rows:
        by_id.setdefault(row[0], []).append(row)
    folder.mkdir()
    for n, (sid, own) in enumerate(by_id.items()):
        if n % 3 == 0:
            own[-1][-1] = str(float(own[-1][-1]) + 1)
        with open(folder / f"{sid}.csv", "w", newline="") as f:
            csv.writer(f).writerows([header, *own])


def weasyprint_version() -> str:
    from importlib.metadata import version

    return version("weasyprint")


def subsetter_used() -> bool:
    sys.path.insert(0, str(ROOT))
    from generator.subsetter import found

    return found()


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            return next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--class-size", type=int, default=1000)
    args = ap.parse_args()
    n, jobs = args.students, os.cpu_count() or 1
    load_before = os.getloadavg()
    runs: dict[str, list[tuple[float, float]]] = {"jobs1": [], "jobsN": [], "alone": [], "nopdf": [], "grade": []}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        roster = write_roster(tmp / "roster.csv", n)
        big = write_roster(tmp / "class.csv", args.class_size)
        for r in range(args.rounds):
            def generate(out: Path, *more: str) -> tuple[float, float]:
                return timed(bpdrill("generate", "--out", str(out), "--seed", "bench", "--no-progress", *more))

            week = tmp / f"w1-{r}"
            runs["jobs1"].append(generate(week, "--roster", str(roster), "--jobs", "1"))
            runs["jobsN"].append(generate(tmp / f"wN-{r}", "--roster", str(roster), "--jobs", str(jobs)))
            html = sorted(str(p) for kind in ("sheets", "keys") for p in (week / kind).glob("*.html"))
            alone = tmp / f"alone-{r}"
            alone.mkdir()
            runs["alone"].append(timed([sys.executable, "-c", WEASYPRINT_ALONE, str(alone), *html]))
            runs["nopdf"].append(generate(tmp / f"class-{r}", "--roster", str(big), "--no-pdf"))
        submissions = tmp / "submissions"
        write_submissions(tmp / "class-0", submissions)
        for r in range(args.rounds):
            runs["grade"].append(timed(bpdrill("grade", str(tmp / "class-0"), str(submissions),
                                               "--out", str(tmp / f"grades-{r}"), "--feedback", "html")))
    load_after = os.getloadavg()

    def median(key: str, i: int) -> float:
        return statistics.median(t[i] for t in runs[key])

    print(f"bpdrill bench, {time.strftime('%Y-%m-%d %H:%M %Z')}, {platform.node()}: {jobs} cores, "
          f"{cpu_model()}, Python {platform.python_version()}, weasyprint {weasyprint_version()}")
    print(f"load average (1, 5, 15 min) before {' '.join(f'{v:.2f}' for v in load_before)}, "
          f"after {' '.join(f'{v:.2f}' for v in load_after)} (other work slows wall-clock times)")
    print(f"HarfBuzz font subsetter used by weasyprint: {'yes' if subsetter_used() else 'NO (apt-get install libharfbuzz-subset0)'}")
    print(f"median of {args.rounds} interleaved rounds, whole processes:")
    print(f"{'':44}{'wall s/student':>15}{'CPU s/student':>15}")
    for key, label in (("jobs1", "generate --jobs 1"), ("jobsN", f"generate --jobs {jobs}"),
                       ("alone", "weasyprint alone, the same HTML")):
        print(f"  {label + f' ({n} students)':42}{median(key, 0) / n:15.3f}{median(key, 1) / n:15.3f}")
    print(f"  generate --jobs 1 / weasyprint alone: {median('jobs1', 0) / median('alone', 0):.2f}x wall, "
          f"{median('jobs1', 1) / median('alone', 1):.2f}x CPU (the run also writes the record, templates and combined PDFs)")
    print(f"{'':44}{'wall s':>15}{'CPU s':>15}")
    print(f"  {f'generate --no-pdf, {args.class_size} students':42}{median('nopdf', 0):15.2f}{median('nopdf', 1):15.2f}")
    print(f"  {f'grade {args.class_size} submissions, HTML feedback':42}{median('grade', 0):15.2f}{median('grade', 1):15.2f}")


if __name__ == "__main__":
    main()
