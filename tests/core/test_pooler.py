"""The transaction-pooling rules without a database: what is refused, what becomes
SET LOCAL, the driver options, and the signs of PgBouncer."""

from __future__ import annotations

import pytest

from twinsql import errors
from twinsql.connection.pooler import (
    begin_statements,
    decide,
    driver_options,
    looks_like_pgbouncer,
)


@pytest.mark.parametrize(
    "sql",
    [
        "LISTEN jobs",
        "  unlisten *",
        "SELECT pg_advisory_lock(1)",
        "select pg_try_advisory_lock_shared(1, 2)",
        "SELECT pg_advisory_unlock_all()",
        "CREATE TEMPORARY TABLE t (id int)",
        "create temp table t as select 1",
        "DECLARE c CURSOR WITH HOLD FOR SELECT 1",
        "PREPARE q AS SELECT 1",
        "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY",
    ],
)
def test_what_needs_a_session_is_refused(sql: str) -> None:
    decision = decide(sql, in_transaction=False)
    assert decision.action == "refuse" and "pooler='pgbouncer'" in decision.message


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 'pg_advisory_lock(1)'",  # inside a string
        "SELECT 1 -- LISTEN x",
        "SELECT pg_advisory_xact_lock(1)",
        "NOTIFY jobs",
        "SET LOCAL work_mem = '64MB'",
        "SELECT * FROM templates",
        "PREPARE TRANSACTION 'x'",
    ],
)
def test_what_a_transaction_pooler_allows_runs(sql: str) -> None:
    assert decide(sql, in_transaction=True).action == "run"


def test_a_temporary_table_dropped_at_commit_is_allowed_inside_a_transaction() -> None:
    sql = "CREATE TEMP TABLE t (id int) ON COMMIT DROP"
    assert decide(sql, in_transaction=True).action == "run"
    assert decide(sql, in_transaction=False).action == "refuse"


def test_session_settings_become_set_local() -> None:
    decision = decide("SET search_path TO app, public", in_transaction=False)
    assert (decision.action, decision.name) == ("remember", "search_path")
    assert decision.local == "SET LOCAL search_path = app, public"
    assert decide("set session work_mem = '8MB';", True).local == "SET LOCAL work_mem = '8MB'"
    reset = decide("RESET search_path", in_transaction=False)
    assert (reset.action, reset.name, reset.local) == ("remember", "search_path", None)
    assert decide("RESET ALL", in_transaction=False).name == "ALL"


def test_begin_statements() -> None:
    settings = {"search_path": "SET LOCAL search_path = app"}
    assert begin_statements(500, settings) == (
        "SET LOCAL statement_timeout = 500",
        "SET LOCAL search_path = app",
    )
    assert begin_statements(None, {}) == ()


def test_driver_options_name_no_prepared_statements() -> None:
    assert driver_options("psycopg", {"sslmode": "disable"}) == {
        "sslmode": "disable",
        "prepare_threshold": "none",
    }
    assert driver_options("asyncpg", {}) == {"statement_cache_size": "0"}
    with pytest.raises(errors.ConfigurationError, match="prepare_threshold=5"):
        driver_options("psycopg", {"prepare_threshold": "5"})
    with pytest.raises(errors.ConfigurationError, match="statement_cache_size=100"):
        driver_options("asyncpg", {"statement_cache_size": "100"})


def test_signs_of_pgbouncer() -> None:
    assert looks_like_pgbouncer("26000", 'prepared statement "_pg3_0" does not exist')
    assert looks_like_pgbouncer("42P05", 'prepared statement "_pg3_0" already exists')
    assert looks_like_pgbouncer(None, "unsupported startup parameter: options")
    assert not looks_like_pgbouncer("42P01", 'relation "x" does not exist')


def test_the_mode_needs_postgresql() -> None:
    import twinsql

    with pytest.raises(errors.ConfigurationError, match="needs a PostgreSQL URL"):
        twinsql.connect("mysql://root@127.0.0.1/x", pooler="pgbouncer")
    with pytest.raises(errors.ConfigurationError, match="pooler must be one of"):
        twinsql.connect("postgresql://u@h/d?pooler=odyssey")
