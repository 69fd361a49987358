# Developer shortcuts; CI runs .ci/run, which does `make`-free the same steps.
PY ?= python3.11
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

# The C engine under valgrind on the test world: durable's own code must show no invalid reads.
valgrind:
	PYTHONMALLOC=malloc valgrind --error-limit=no $(BIN)/parity check --as-of 2026-11-26 \
	  --profiles tests/data/world/lab_profiles --rules tests/data/world/rules 2>&1 >/dev/null \
	  | grep -E 'Invalid (read|write)' -A12 | grep -c durable_rules || true
