# Every target sets up what it needs itself: a fresh clone needs only `make demo` or `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench soak lint setup-services clean

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

test: $(STAMP) setup-services
	$(BIN)/pytest

bench: $(STAMP) setup-services
	$(BIN)/python -m bench

# sunlight serve under a steady load for 10 minutes (SOAK_ARGS="--minutes 2" for a short run).
soak: $(STAMP) setup-services
	$(BIN)/python -m bench.soak $(SOAK_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) sunlight-data
