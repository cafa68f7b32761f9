# Quick start: `make run` (set up, index corpus/, serve the search page) and `make test` (set up, run the tests).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup run build test clean

$(BIN)/wenku: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

setup: $(BIN)/wenku

build: setup
	$(BIN)/wenku build

run: build
	$(BIN)/wenku info
	$(BIN)/wenku search "新能源 产业园" -k 3

test: setup
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) index test-artifacts
