# The two commands of the README:
#   make demo   set up and run sayso on the bundled example article
#   make test   set up and run the whole test suite (what CI runs)
# and, while working, `make test-fast`: the suite without the slow, Spark and browser tests
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
EXAMPLE ?= examples/audio-recording-report.txt

.PHONY: setup test-fast demo test lint bench clean

$(BIN)/sayso: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(BIN)/sayso

setup: $(BIN)/sayso

# everything but the slow tests (training, worker processes, whole corpora), Spark and the browser
test-fast: setup
	$(BIN)/python -m pytest -q -m "not slow and not spark and not browser"

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
