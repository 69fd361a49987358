# Developer shortcuts; CI runs .ci/run, which does `make`-free the same steps.
PY ?= python3.11
export CPPFLAGS = -DPyEval_CallObject=PyObject_CallObject
VENV = .venv
BIN = $(VENV)/bin

.PHONY: dev lint fmt test check bench valgrind

dev:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -e '.[test]'

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

fmt:
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test:
	$(BIN)/python -m pytest

check: lint test

bench:
	$(BIN)/python benchmarks/bench_check.py --labs 300 --indicators 60 --rules 120 --double
	$(BIN)/python benchmarks/bench_sources.py

# The C engine under valgrind on the test world: durable's own code must show no errors (CI runs this).
valgrind:
	VENV=$(VENV) bash .ci/valgrind
