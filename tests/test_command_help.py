"""--help as a user reads it at any terminal width: whole option names, no <bool> on flags, and
grade's --out naming every file it writes."""

import re

import pytest

from helpers import invoke


@pytest.mark.parametrize("command", ["solve", "generate", "key", "render", "combine", "grade", "demo"])
def test_help_shows_whole_option_names_and_no_placeholder_on_flags(runner, command):
    text = invoke(runner, command, "--help").stdout
    assert not re.search(r"--[\w-]+…", text) and "<bool>" not in text and "╭" not in text, text
    if command == "generate":
        assert "--hidden-activation" in text and "--name-column" in text


def test_grade_help_names_every_file_it_writes(runner):
    text = " ".join(invoke(runner, "grade", "--help").stdout.split())
    for name in ("grades.csv", "canvas.csv", "moodle.csv", "moodle-feedback.zip", "canvas-feedback.zip", "run.json"):
        assert name.replace("-", "- ") in text or name in text, name


@pytest.mark.parametrize("command, usage", [
    (["solve"], "bpdrill solve [OPTIONS] PROBLEM.json"),
    (["grade"], "bpdrill grade [OPTIONS] DIR SUBMISSION..."),
    (["mail", "sheets"], "bpdrill mail sheets [OPTIONS] DIR"),
])
def test_usage_lines_name_required_arguments_plainly(runner, command, usage):
    text = invoke(runner, *command, "--help").stdout
    assert f"Usage: {usage}" in text and "{" not in text.splitlines()[0], text
