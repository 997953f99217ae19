"""Every mistake told apart, surveyed on 1,000 generated students (250 each of 2-2-2 sigmoid, 2-3-2
softmax, 3-4-4-2 tanh, 2-3-2 relu; default options): for every asked entry and applicable mistake,
is the mistaken value outside the stored tolerance, or listed by `generate`? A survey, not a test:

    python tests/separation_survey.py [--students 250]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from helpers import blind_spots, listed, roster  # noqa: E402

from generator.sampler import SampleOptions  # noqa: E402
from generator.week import WeekOptions, build_week, undetectable_mistakes  # noqa: E402

SHAPES = [SampleOptions((2, 2, 2)), SampleOptions((2, 3, 2), output="softmax"),
          SampleOptions((3, 4, 4, 2), "tanh"), SampleOptions((2, 3, 2), "relu")]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", type=int, default=250)
    n = ap.parse_args().students
    for opts in SHAPES:
        start = time.process_time()
        week = build_week(roster(n), WeekOptions("survey", "t", opts))
        seconds = time.process_time() - start
        spots = blind_spots(week)
        exact_lines, near_lines = undetectable_mistakes(week)
        unlisted = {(q, k) for _, q, k, exact in spots} - listed(exact_lines) - listed(near_lines)
        near = Counter((q, k) for _, q, k, exact in spots if not exact)
        name = f"{'-'.join(map(str, opts.layers))} {opts.hidden_activation}/{opts.output}"
        print(f"{name}: {n} students in {seconds:.1f} s CPU; (student, quantity, mistake) within tolerance, not "
              f"exact: {sum(near.values())} {dict(near.most_common(4))}; exactly right: "
              f"{sum(exact for *_, exact in spots)}; not listed by generate: {len(unlisted)}")


if __name__ == "__main__":
    main()
