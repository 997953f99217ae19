import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from generator import parse_problem
from generator.cli import app

DATA = Path(__file__).resolve().parent.parent / "generator" / "data"


@pytest.fixture
def seed_mse_path() -> Path:
    return DATA / "seed-sigmoid-mse.json"


@pytest.fixture
def seed_ce_path() -> Path:
    return DATA / "seed-softmax-ce.json"


@pytest.fixture
def seed_mse(seed_mse_path):
    return parse_problem(json.loads(seed_mse_path.read_text()))


@pytest.fixture
def seed_ce(seed_ce_path):
    return parse_problem(json.loads(seed_ce_path.read_text()))


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def invoke(runner: CliRunner, *args: str):
    """Run the bpdrill CLI in-process; returns the click Result (exit_code, stdout, stderr)."""
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)
