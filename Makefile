# twinsql — the two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-dev
DEMO_STAMP := $(VENV)/.installed-demo

.PHONY: demo test lint typecheck generate check-generated unit bench clean topology topology-down

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

# pyright (strict, configured in pyproject.toml) checks the static typing tests in
# tests/typing as a user's code would be checked; it comes from npm (`make pyright`).
PYRIGHT_VERSION := 1.1.414

typecheck: $(STAMP) pyright
	$(VENV)/bin/mypy
	pyright

.PHONY: pyright
pyright:
	@pyright --version 2>/dev/null | grep -q "$(PYRIGHT_VERSION)" || \
		npm install --global --no-fund --no-audit pyright@$(PYRIGHT_VERSION)

## generate: regenerate _sync/ from _async/ after editing async sources
generate: $(STAMP)
	$(PY) tools/unasync.py

check-generated: $(STAMP)
	$(PY) tools/unasync.py --check

## unit: the pure tests only (no database)
unit: $(STAMP)
	$(PY) -m pytest tests/core tests/tools

BENCH_VENV := bench/.venv
BENCH_PY := $(BENCH_VENV)/bin/python
BENCH_STAMP := $(BENCH_VENV)/.installed-bench
BENCH_DEPS := "sqlalchemy[asyncio]>=2" tortoise-orm piccolo peewee aiosqlite matplotlib fastapi uvicorn httpx

$(BENCH_STAMP): pyproject.toml
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_PY) -m pip install --quiet --upgrade pip
	$(BENCH_PY) -m pip install --quiet -e ".[all]" $(BENCH_DEPS)
	touch $@

## bench: every workload, 3 repetitions, both servers needed for their tables (~30 min):
##        bench/RESULTS.md, bench/DETAILS.md, bench/results.png, bench/results.json
bench: $(BENCH_STAMP)
	$(BENCH_PY) bench/run.py

## bench-quick: a subset (W1, W2 10k, W5, W6 10k, W9), 1 repetition, in about two minutes;
##              writes to bench/_work/quick/ so that the committed results stay the full run's
.PHONY: bench-quick
bench-quick: $(BENCH_STAMP)
	$(BENCH_PY) bench/run.py --quick --out bench/_work/quick

## topology: start (or reuse) the scale-out servers the replica and PgBouncer tests use:
##           a PostgreSQL primary + streaming replica, a MariaDB primary + GTID replica and
##           PgBouncer in transaction mode, on free local ports (needs root; ~15 s from scratch)
topology:
	$(PYTHON) tools/topology.py up

## test-pgbouncer: the PostgreSQL tests of the connection, ORM and batcher suites once more,
##                 through PgBouncer in transaction mode with pooler=pgbouncer (needs `make
##                 topology`; the tests that kill a server session by its pid are left out:
##                 behind a pooler a client has no server session of its own to kill; nor the
##                 migrations, which need a session lock and refuse a pooler)
.PHONY: test-pgbouncer
test-pgbouncer: $(STAMP)
	TWINSQL_TEST_POSTGRESQL_URL="$$($(PY) tools/topology.py get pgbouncer_url)?pooler=pgbouncer" \
	  $(PY) -m pytest tests/_async tests/_sync \
	  -k "(psycopg or asyncpg) and not killed_idle_connection and not replicas and not pgbouncer and not test_migrations"

## topology-down: stop and remove everything `make topology` started
topology-down:
	$(PYTHON) tools/topology.py down

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
