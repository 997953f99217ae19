# The README's two commands: `make demo` and `make test`. Each creates .venv and installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test bench install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed
	@$(BIN)/python -m generator.subsetter

demo: install
	$(BIN)/bpdrill demo --out bpdrill-demo --force

test: install
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python tests/bench.py

clean:
	rm -rf $(VENV) build *.egg-info bpdrill-demo
