# twinsql — the two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-dev
DEMO_STAMP := $(VENV)/.installed-demo

.PHONY: demo test lint typecheck generate check-generated unit bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(DEMO_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	touch $@

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[all]" --group dev
	touch $@ $(DEMO_STAMP)

## demo: create .venv, install, run the quickstart on the embedded SQLite default
demo: $(DEMO_STAMP)
	$(PY) examples/quickstart.py

## test: create .venv with dev tools, lint, check the generated code, run every test
test: $(STAMP) lint typecheck check-generated
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests tools examples $(wildcard bench)
	$(VENV)/bin/lint-imports

typecheck: $(STAMP)
	$(VENV)/bin/mypy

## generate: regenerate _sync/ from _async/ after editing async sources
generate: $(STAMP)
	$(PY) tools/unasync.py

check-generated: $(STAMP)
	$(PY) tools/unasync.py --check

## unit: the pure tests only (no database)
unit: $(STAMP)
	$(PY) -m pytest tests/core tests/tools

bench: $(STAMP)
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
