import json
from pathlib import Path

import pytest
from helpers import DATA, canvas_week_in
from typer.testing import CliRunner

from generator import parse_problem


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


@pytest.fixture
def canvas_week(tmp_path):
    """Anna 00123, Jan 00456 and Zoe 02002 on a Canvas roster, in tmp_path/week."""
    return canvas_week_in(tmp_path / "week")
