# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""The same fault raises the same class on every backend, and bad input fails before I/O."""

from __future__ import annotations

import logging

import pytest

import twinsql
from tests import support
from tests._async.helpers import fresh_table


@pytest.fixture
async def tables(db: twinsql.AsyncDatabase) -> tuple[str, str]:
    await db.execute_non_query("DROP TABLE IF EXISTS err_child")
    parent = await fresh_table(db, "err_parent", {"id": "pk", "code": "bigint UNIQUE"})
    pk = support.col(db.dialect.name, "pk")
    # A table-level FOREIGN KEY: MySQL ignores the column-level REFERENCES form.
    await db.execute_non_query(
        f"CREATE TABLE err_child (id {pk}, parent_id INTEGER NOT NULL, "
        "qty INTEGER CHECK (qty > 0), FOREIGN KEY (parent_id) REFERENCES err_parent (id))"
    )
    child = "err_child"
    await db.execute_non_query(f"INSERT INTO {parent} (code) VALUES (?)", (1,))
    return parent, child


async def test_unique_violation(db: twinsql.AsyncDatabase, tables: tuple[str, str]) -> None:
    parent, _ = tables
    with pytest.raises(twinsql.UniqueViolation) as info:
        await db.execute_non_query(f"INSERT INTO {parent} (code) VALUES (?)", (1,))
    assert isinstance(info.value, twinsql.IntegrityError)
    assert info.value.__cause__ is info.value.driver_error is not None
    assert f"INSERT INTO {parent}" in str(info.value)


async def test_foreign_key_violation(db: twinsql.AsyncDatabase, tables: tuple[str, str]) -> None:
    _, child = tables
    with pytest.raises(twinsql.ForeignKeyViolation):
        await db.execute_non_query(
            f"INSERT INTO {child} (parent_id, qty) VALUES (?, ?)", (999, 1)
        )


async def test_not_null_violation(db: twinsql.AsyncDatabase, tables: tuple[str, str]) -> None:
    _, child = tables
    with pytest.raises(twinsql.NotNullViolation):
        await db.execute_non_query(
            f"INSERT INTO {child} (parent_id, qty) VALUES (?, ?)", (None, 1)
        )


async def test_check_violation(db: twinsql.AsyncDatabase, tables: tuple[str, str]) -> None:
    parent, child = tables
    parent_id = await db.execute_scalar(f"SELECT id FROM {parent}")
    with pytest.raises(twinsql.CheckViolation):
        await db.execute_non_query(
            f"INSERT INTO {child} (parent_id, qty) VALUES (?, ?)", (parent_id, -5)
        )


async def test_syntax_error_is_programming_error_with_the_sql(db: twinsql.AsyncDatabase) -> None:
    with pytest.raises(twinsql.ProgrammingError) as info:
        await db.execute("SELEC broken FROM nowhere WHERE x = ?", (1,))
    assert "SELEC broken FROM nowhere" in str(info.value)
    assert "Parameters: (1)" in str(info.value)
    # A server-side error leaves the connection clean: it is reused.
    assert await db.execute_scalar("SELECT 1") == 1


async def test_unknown_table_is_programming_error(db: twinsql.AsyncDatabase) -> None:
    with pytest.raises(twinsql.ProgrammingError):
        await db.execute("SELECT * FROM no_such_table_twinsql")


async def test_hide_parameters_hides_them_in_errors(url: str) -> None:
    async with twinsql.connect_async(url, hide_parameters=True) as db:
        with pytest.raises(twinsql.ProgrammingError) as info:
            await db.execute("SELEC ? AS x", ("private-sentinel",))
    assert "private-sentinel" not in str(info.value)
    assert "[parameters hidden]" in str(info.value)


async def test_serialization_failure_is_mapped(db: twinsql.AsyncDatabase) -> None:
    if db.dialect.name != "postgresql":
        pytest.skip("SQLSTATE injection with DO blocks is PostgreSQL's")
    with pytest.raises(twinsql.SerializationFailure):
        await db.execute("DO $$ BEGIN RAISE EXCEPTION 'x' USING ERRCODE = '40001'; END $$")
    with pytest.raises(twinsql.DeadlockDetected):
        await db.execute("DO $$ BEGIN RAISE EXCEPTION 'x' USING ERRCODE = '40P01'; END $$")


async def test_wrong_parameter_count_fails_before_io(db: twinsql.AsyncDatabase) -> None:
    with pytest.raises(twinsql.ParameterError) as info:
        await db.execute("SELECT ? + ?", (1,))
    assert "2" in str(info.value)
    with pytest.raises(twinsql.ParameterError):
        await db.execute("SELECT :a", {"b": 1})
    with pytest.raises(twinsql.ParameterError):
        await db.execute("SELECT ?, :a", (1,))
    with pytest.raises(twinsql.ParameterError):
        await db.execute("SELECT ?", "a")  # type: ignore[arg-type]
    # Nothing was sent, so no connection was even opened.
    assert db.pool_stats().opened == 0


async def test_two_statements_are_rejected_before_io(db: twinsql.AsyncDatabase) -> None:
    with pytest.raises(twinsql.MultipleStatementsError):
        await db.execute("SELECT 1; DROP TABLE err_parent")
    assert db.pool_stats().opened == 0


async def test_unknown_option_is_a_clear_error(url: str) -> None:
    with pytest.raises(twinsql.ConfigurationError) as info:
        twinsql.connect_async(url, pool_sise=3)
    assert "pool_sise" in str(info.value)


async def test_password_never_in_logs(
    backend: str, caplog: pytest.LogCaptureFixture
) -> None:
    if backend == "sqlite":
        pytest.skip("SQLite URLs carry no password")
    sentinel = "Zx9-sentinel-pw"
    base = support.url_for(backend, "")
    scheme, rest = base.split("://", 1)
    user, _, tail = rest.rpartition("@")
    bad = f"{scheme}://{user or 'root'}:{sentinel}@127.0.0.1:9/{tail.split('/', 1)[-1]}"
    with caplog.at_level(logging.DEBUG):
        db = twinsql.connect_async(bad, echo=True, connect_timeout=2)
        with pytest.raises(twinsql.Error) as info:
            await db.execute("SELECT 1")
        await db.close()
    everything = " ".join(r.getMessage() for r in caplog.records)
    assert sentinel not in everything
    assert sentinel not in f"{info.value} {info.value!r} {db!r} {db.url!r}"
