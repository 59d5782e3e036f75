# The two commands of the README:
#   make demo   set up and run sayso on the bundled example article
#   make test   set up and run the whole test suite (what CI runs)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
EXAMPLE ?= examples/audio-recording-report.txt

.PHONY: setup demo test lint bench clean

$(BIN)/sayso: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(BIN)/sayso

setup: $(BIN)/sayso

demo: setup
	$(BIN)/sayso analyze $(EXAMPLE)

test: setup
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check src tests benchmarks

bench: setup
	$(BIN)/python benchmarks/throughput.py

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .ruff_cache
