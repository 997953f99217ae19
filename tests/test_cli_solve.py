"""`bpdrill solve` as a user runs it: the three formats and every kind of bad problem."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import numpy as np
import pytest

from generator import solve
from helpers import invoke
from autograd_ref import reference


def test_json_format_maps_every_quantity(runner, seed_mse_path, seed_mse):
    r = invoke(runner, "solve", seed_mse_path, "--format", "json")
    assert r.exit_code == 0, r.stderr
    out = json.loads(r.stdout)
    sol = solve(seed_mse)
    assert list(out) == list(sol.names)
    for name in sol.names:
        np.testing.assert_array_equal(np.array(out[name]), sol[name])


def test_json_list_in_list_out_equals_autodiff(runner, tmp_path):
    problems = [
        {"x": [0.5, -1], "y": [0, 1, 0],
         "layers": [{"W": [[0.1, 0.2, -0.3], [0.4, -0.5, 0.6]], "activation": "tanh"},
                    {"W": [[0.1, 0.2, 0.3], [-0.1, 0.5, 0.2], [0.3, -0.3, 0.1]], "activation": "softmax"}],
         "loss": "cross_entropy", "learning_rate": 0.5},
        {"x": [2], "y": [0.3],
         "layers": [{"W": [[0.5, -1.0]], "activation": "relu"}, {"W": [[0.2, 0.7]], "activation": "identity"}],
         "loss": "mse", "learning_rate": 0.1},
    ]
    f = tmp_path / "two.json"
    f.write_text(json.dumps(problems))
    r = invoke(runner, "solve", f, "--format", "json")
    assert r.exit_code == 0, r.stderr
    out = json.loads(r.stdout)
    assert isinstance(out, list) and len(out) == 2
    for got, pj in zip(out, problems):
        ref = reference(pj)
        assert set(got) == set(ref)
        for name, m in got.items():
            np.testing.assert_allclose(m, ref[name], rtol=1e-9, atol=1e-12)


def test_csv_carries_the_same_numbers_at_full_precision(runner, seed_ce_path, seed_ce):
    r = invoke(runner, "solve", seed_ce_path, "--format", "csv")
    assert r.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert list(rows[0]) == ["problem", "quantity", "row", "col", "value"]
    sol = solve(seed_ce)
    assert len(rows) == sum(sol[n].size for n in sol.names)
    for row in rows:
        assert row["problem"] == "1"
        assert float(row["value"]) == sol[row["quantity"]][int(row["row"]) - 1, int(row["col"]) - 1]


def test_text_format_is_the_worked_solution_in_seed_order(runner, seed_mse_path):
    r = invoke(runner, "solve", seed_mse_path)
    assert r.exit_code == 0
    text = r.stdout
    order = ["net^[1]", "a^[1]", "X^[2]", "net^[2]", "a^[2]", "∂L/∂a^[2]", "δ^[2]", "∂L/∂W^[2]", "W̃^[2]",
             "∂L/∂X^[2]", "∂L/∂a^[1]", "δ^[1]", "∂L/∂W^[1]", "W̃^[1]"]
    positions = [text.index(f"\n{sym} = ") for sym in order]
    assert positions == sorted(positions)
    for number in ("0.47502081", "-0.11033497", "0.1610335", "-0.39763617", "0.075114246"):
        assert number in text


BAD = [
    ("not json", "{x: 1", "not valid JSON"),
    ("missing key", {"x": [1], "y": [1], "layers": [{"W": [[1, 1]], "activation": "sigmoid"}], "loss": "mse"}, "missing key 'learning_rate'"),
    ("wrong W shape", {"x": [1, 0], "y": [1], "layers": [{"W": [[1, 1]], "activation": "sigmoid"}], "loss": "mse", "learning_rate": 0.1}, "layers[0].W: expected 3 columns"),
    ("ragged W", {"x": [1], "y": [1], "layers": [{"W": [[1, 1], [1]], "activation": "sigmoid"}], "loss": "mse", "learning_rate": 0.1}, "layers[0].W: rows have different lengths"),
    ("y size", {"x": [1], "y": [1, 0], "layers": [{"W": [[1, 1]], "activation": "sigmoid"}], "loss": "mse", "learning_rate": 0.1}, "y: expected 1 values"),
    ("softmax not last", {"x": [1], "y": [1], "layers": [{"W": [[1, 1]], "activation": "softmax"}, {"W": [[1, 1]], "activation": "sigmoid"}], "loss": "mse", "learning_rate": 0.1}, "layers[0].activation: softmax is allowed in the last layer only"),
    ("ce without softmax", {"x": [1], "y": [1], "layers": [{"W": [[1, 1]], "activation": "sigmoid"}], "loss": "cross_entropy", "learning_rate": 0.1}, "cross_entropy needs softmax"),
    ("softmax without ce", {"x": [1], "y": [1], "layers": [{"W": [[1, 1]], "activation": "softmax"}], "loss": "mse", "learning_rate": 0.1}, "softmax in the last layer needs loss cross_entropy"),
    ("unknown activation", {"x": [1], "y": [1], "layers": [{"W": [[1, 1]], "activation": "gelu"}], "loss": "mse", "learning_rate": 0.1}, "layers[0].activation: unknown activation 'gelu'"),
    ("non-numeric", {"x": ["a"], "y": [1], "layers": [{"W": [[1, 1]], "activation": "sigmoid"}], "loss": "mse", "learning_rate": 0.1}, "x[0]: expected a number"),
    ("non-finite", '{"x": [NaN], "y": [1], "layers": [{"W": [[1, 1]], "activation": "sigmoid"}], "loss": "mse", "learning_rate": 0.1}', "x[0]: expected a finite number"),
    ("infinite weight", '{"x": [1], "y": [1], "layers": [{"W": [[1, Infinity]], "activation": "sigmoid"}], "loss": "mse", "learning_rate": 0.1}', "layers[0].W[0][1]: expected a finite number"),
    ("lr zero", {"x": [1], "y": [1], "layers": [{"W": [[1, 1]], "activation": "sigmoid"}], "loss": "mse", "learning_rate": 0}, "learning_rate: must be > 0"),
    ("lr negative", {"x": [1], "y": [1], "layers": [{"W": [[1, 1]], "activation": "sigmoid"}], "loss": "mse", "learning_rate": -0.1}, "learning_rate: must be > 0"),
    ("unknown loss", {"x": [1], "y": [1], "layers": [{"W": [[1, 1]], "activation": "sigmoid"}], "loss": "hinge", "learning_rate": 0.1}, "loss: unknown loss 'hinge'"),
    ("no layers", {"x": [1], "y": [1], "layers": [], "loss": "mse", "learning_rate": 0.1}, "layers: expected a non-empty list"),
    ("list item bad", [{"x": [1], "y": [1], "layers": [{"W": [[1, 1]], "activation": "sigmoid"}], "loss": "mse", "learning_rate": 0.1}, {"x": [1]}], "problem 2: missing key 'y'"),
    ("not an object", "42", "expected a problem object"),
    ("empty file", "", "not valid JSON"),
]


@pytest.mark.parametrize("label,content,message", BAD, ids=[b[0] for b in BAD])
def test_bad_problem_exits_2_with_one_clear_line(runner, tmp_path, label, content, message):
    f = tmp_path / "bad.json"
    f.write_text(content if isinstance(content, str) else json.dumps(content))
    r = invoke(runner, "solve", f)
    assert r.exit_code == 2
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert str(f) in lines[0] and message in lines[0], lines[0]


def test_missing_file_and_real_process_without_traceback(tmp_path):
    """The installed console script, as a user runs it: exit 2, one line, no traceback."""
    bad = tmp_path / "bad.json"
    bad.write_bytes(b"\xff\xfe\x00garbage")
    for path in (tmp_path / "nope.json", bad):
        p = subprocess.run([sys.executable, "-c", "from generator.cli import main; main()", "solve", str(path)],
                           capture_output=True, text=True)
        assert p.returncode == 2
        assert "Traceback" not in p.stderr
        assert p.stderr.startswith("bpdrill: error: ") and str(path) in p.stderr
