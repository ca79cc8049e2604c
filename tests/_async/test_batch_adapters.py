# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""Batcher targets: the generic adapter (DB-API or callables) and the named PG adapter."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

import twinsql
from tests._async.helpers import fresh_table
from twinsql import (
    AsyncDatabaseAdapter,
    AsyncGenericAdapter,
    AsyncListQueryCollector,
    AsyncPostgreSQLAdapter,
    AsyncSQLBatcher,
)

COLUMNS = {"id": "BIGINT PRIMARY KEY", "k": "VARCHAR(64) NOT NULL UNIQUE",
           "n": "INTEGER CHECK (n >= 0)"}  # fmt: skip


def inserts(table: str, ids: range, bad: tuple[int, ...] = ()) -> list[tuple[str, Any]]:
    sql = f"INSERT INTO {table} (id, k, n) VALUES (?, ?, ?)"
    return [(sql, (i, f"k{i}", -1 if i in bad else i)) for i in ids]


async def test_generic_adapter_over_a_pinned_twinsql_connection(db: twinsql.AsyncDatabase) -> None:
    table = await fresh_table(db, "ga_conn", COLUMNS)
    async with db.connection() as conn:
        adapter = AsyncGenericAdapter(conn, dialect=db.dialect, paramstyle="qmark")
        batcher = AsyncSQLBatcher(adapter, isolate_errors=True)
        report = await batcher.process_statements(inserts(table, range(10), bad=(4,)))
        assert report.indices("rejected") == [4] and report.applied == 9, report.summary()
        # twinsql's own errors pass through the adapter with their classes
        assert isinstance(report.entry(4).error, twinsql.CheckViolation)
        results = await batcher.process_batch([f"SELECT COUNT(*) AS c FROM {table}"])
        assert results == [[{"c": 9}]]
        assert not conn.in_transaction
    assert int(await db.execute_scalar(f"SELECT COUNT(*) FROM {table}")) == 9


async def test_generic_adapter_over_a_dbapi_connection(tmp_path: Path) -> None:
    """Any DB-API connection (sqlite3 here, in autocommit mode), sync calls in both modes."""
    raw = sqlite3.connect(str(tmp_path / "generic.db"), isolation_level=None)
    raw.execute("CREATE TABLE g (id INTEGER PRIMARY KEY, k TEXT UNIQUE, n INTEGER CHECK (n >= 0))")
    closed: list[bool] = []
    adapter = AsyncGenericAdapter(
        raw, close_func=lambda: closed.append(True), max_query_size=10_000
    )
    assert adapter.dialect.name == "sqlite" and adapter.paramstyle == "qmark"
    async with AsyncSQLBatcher(adapter, max_bytes=500) as batcher:
        report = await batcher.process_statements(inserts("g", range(50)))
        assert report.ok and report.batches > 1
    failing = AsyncSQLBatcher(adapter)
    report = await failing.process_statements(inserts("g", range(100, 110), bad=(105,)))
    # sqlite3's IntegrityError mapped by its DB-API class; the batch rolled back
    assert isinstance(report.entry(report.indices("rejected")[0]).error, twinsql.IntegrityError)
    assert report.indices("rejected") == [5] and report.applied == 0
    assert raw.execute("SELECT COUNT(*) FROM g").fetchone()[0] == 50
    await adapter.close()
    assert closed == [True]
    raw.close()


async def test_generic_adapter_over_an_execute_function(db: twinsql.AsyncDatabase) -> None:
    table = await fresh_table(db, "ga_func", COLUMNS)
    seen: list[str] = []
    async with db.connection() as conn:

        async def execute(sql: str, params: Any) -> Any:
            seen.append(sql)
            if sql.startswith("SELECT"):
                return await conn.execute(sql, params)
            return await conn.execute_non_query(sql, params)

        adapter = AsyncGenericAdapter(execute_func=execute, dialect=db.dialect.name)
        report = await AsyncSQLBatcher(adapter, transaction="none").process_statements(
            inserts(table, range(3))
        )
        assert report.ok
    # On MySQL the batcher first asks whether sql_mode is strict (it is, on the test server)
    asked = ["SELECT @@SESSION.sql_mode"] if db.dialect.name == "mysql" else []
    assert seen == [
        *asked,
        f"INSERT INTO {table} (id, k, n) VALUES (?, ?, ?), (?, ?, ?), (?, ?, ?)",
    ]


async def test_max_query_size_holds_even_when_columns_double_the_budget(
    db: twinsql.AsyncDatabase,
) -> None:
    """auto_adjust_for_columns never pushes a batch past the adapter's limit."""
    table = await fresh_table(db, "ga_limit", COLUMNS)
    collector = AsyncListQueryCollector()
    adapter = AsyncDatabaseAdapter(db, max_query_size=1500)
    batcher = AsyncSQLBatcher(adapter, max_bytes=1000, auto_adjust_for_columns=True,
                              collector=collector, copy_min_rows=None)  # fmt: skip
    report = await batcher.process_statements(inserts(table, range(300)))
    assert report.ok and batcher.get_adjusted_max_bytes() == 2000
    for record in await collector.get_all():
        params = record["metadata"]["params"]
        values = sum(len(v) if isinstance(v, str) else 8 for v in params)
        assert len(record["query"]) + values <= 1500
    assert int(await db.execute_scalar(f"SELECT COUNT(*) FROM {table}")) == 300


async def test_postgresql_adapter_is_a_thin_constructor(url: str, backend: str) -> None:
    if backend not in ("psycopg", "asyncpg"):
        with pytest.raises(twinsql.ConfigurationError):
            AsyncPostgreSQLAdapter(url)
        return
    adapter = AsyncPostgreSQLAdapter(url, min_size=1, max_size=2, max_query_size=1_000_000)
    table = await fresh_table(adapter.database, "pg_adapter", COLUMNS)
    async with AsyncSQLBatcher(adapter) as batcher:
        await batcher.process_statements(inserts(table, range(300)))
    assert int(await adapter.database.execute_scalar(f"SELECT COUNT(*) FROM {table}")) == 300
    assert adapter.database.options.pool_size == 2
    await adapter.close()
    assert adapter.database.closed
    with pytest.raises(twinsql.ArgumentError):
        AsyncPostgreSQLAdapter(url, min_size=5, max_size=2)
