"""bpdrill's core: problems, the steps of backpropagation, the solver, the week's record.

The public surface:

    from generator import parse_problem, solve, plan, STEPS, ACTIVATIONS
"""

__version__ = "0.1.0"

from .activations import ACTIVATIONS, Activation
from .problem import Layer, Problem, ProblemError, parse_problem, parse_problems
from .solver import Solution, solve
from .steps import DEFAULT_ASKED, FAMILIES, STEPS, Mistake, PlannedStep, Step, parse_name, plan, symbol_of

__all__ = [
    "ACTIVATIONS", "Activation", "Layer", "Problem", "ProblemError", "parse_problem", "parse_problems",
    "Solution", "solve", "DEFAULT_ASKED", "FAMILIES", "STEPS", "Mistake", "PlannedStep", "Step",
    "parse_name", "plan", "symbol_of", "__version__",
]
