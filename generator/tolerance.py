"""Per-entry tolerances, computed when a week is generated and stored in its record.

PLACEHOLDER (owned by the grader work): a flat relative + absolute tolerance. The grader
issue replaces this with tolerances that follow how honest 4-significant-digit rounding
propagates through the chain of steps.
"""

from __future__ import annotations

import numpy as np

from .solver import Solution


def entry_tolerances(solution: Solution) -> dict[str, np.ndarray]:
    """Absolute tolerance for every entry of every quantity of ``solution``."""
    return {name: 1e-3 * np.abs(solution[name]) + 1e-4 for name in solution.names}
