# Every target sets up what it needs itself: a fresh clone needs only `make demo` or `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast bench soak lint setup-services setup-fast clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q -U pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

# The demo needs only the CJK font of the evidence certificate beyond Python.
demo: $(STAMP)
	bash scripts/setup/50-fonts.sh
	$(BIN)/sunlight demo

# Real components for the suite (PostgreSQL, ...) are installed here when absent; the tests start them.
setup-services:
	bash scripts/setup/services.sh

# What the fast tier needs beyond Python: Node.js (the page's verifier is tested in it) and the
# certificate's font and readers. Both scripts do nothing when everything is there.
setup-fast:
	bash scripts/setup/30-node.sh
	bash scripts/setup/50-fonts.sh

# The fast tier (unit, vector and security tests that start no service, about a minute on both
# cores), then every other test: tests/conftest.py marks the tier `fast`, so each test runs once.
test-fast: $(STAMP) setup-fast
	$(BIN)/pytest -m fast -n 2 tests/unit tests/vectors tests/security

test: test-fast setup-services
	$(BIN)/pytest -m "not fast"

bench: $(STAMP) setup-services
	$(BIN)/python -m bench

# sunlight serve under a steady load for 10 minutes (SOAK_ARGS="--minutes 2" for a short run).
soak: $(STAMP) setup-services
	$(BIN)/python -m bench.soak $(SOAK_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

clean:
	rm -rf $(VENV) sunlight-data
