"""bpdrill's core: problems, the steps of backpropagation, the solver, the week's record, its pages.

The public surface:

    from generator import parse_problem, solve, plan, STEPS, ACTIVATIONS
    from generator import generate_week          # the whole of ``bpdrill generate``
"""

from .version import __version__

from .activations import ACTIVATIONS, Activation
from .errors import BpdrillError, ProblemError
from .problem import Layer, Problem, parse_problem, parse_problems
from .solver import Solution, solve
from .steps import DEFAULT_ASKED, FAMILIES, STEPS, Mistake, PlannedStep, Step, parse_name, plan, symbol_of
from .workflow import Generated, generate_week

__all__ = [
    "ACTIVATIONS", "Activation", "Layer", "Problem", "ProblemError", "parse_problem", "parse_problems",
    "Solution", "solve", "DEFAULT_ASKED", "FAMILIES", "STEPS", "Mistake", "PlannedStep", "Step",
    "parse_name", "plan", "symbol_of", "__version__", "BpdrillError", "generate_week", "Generated",
]
