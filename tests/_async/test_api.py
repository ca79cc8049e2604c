# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""The database API on every backend: execute, fetch_one, scalar, non-query, many, stream,
pinned connections, the one-shot helpers and SQL logging."""

from __future__ import annotations

import logging
import tracemalloc

import pytest

import twinsql
from tests import support
from tests._async.helpers import fresh_table


async def test_execute_returns_dicts_in_column_order(
    db: twinsql.AsyncDatabase, backend: str
) -> None:
    table = await fresh_table(db, "api_people", {"id": "pk", "name": "text", "age": "bigint"})
    inserted = await db.execute_many(
        f"INSERT INTO {table} (name, age) VALUES (?, ?)",
        [("ada", 36), ("grace", 45), ("linus", 28)],
    )
    # asyncpg's executemany reports no row counts, so the count is unknown (-1) there alone.
    assert inserted == (-1 if backend == "asyncpg" else 3)
    rows = await db.execute(f"SELECT age, name, id FROM {table} WHERE age > ? ORDER BY age", (30,))
    assert [list(r) for r in rows] == [["age", "name", "id"]] * 2
    assert [(r["name"], r["age"]) for r in rows] == [("ada", 36), ("grace", 45)]


async def test_named_parameters_and_fetch_one(db: twinsql.AsyncDatabase) -> None:
    table = await fresh_table(db, "api_named", {"id": "pk", "name": "text"})
    await db.execute_non_query(f"INSERT INTO {table} (name) VALUES (:name)", {"name": "x"})
    row = await db.fetch_one(f"SELECT name FROM {table} WHERE name = :name", {"name": "x"})
    assert row == {"name": "x"}
    assert await db.fetch_one(f"SELECT name FROM {table} WHERE name = ?", ("nope",)) is None


async def test_scalar_and_non_query(db: twinsql.AsyncDatabase) -> None:
    table = await fresh_table(db, "api_scalar", {"id": "pk", "n": "bigint"})
    assert await db.execute_scalar(f"SELECT COUNT(*) FROM {table}") == 0
    await db.execute_many(f"INSERT INTO {table} (n) VALUES (?)", [(i,) for i in range(10)])
    assert await db.execute_non_query(f"UPDATE {table} SET n = n + 1 WHERE n >= ?", (5,)) == 5
    assert await db.execute_scalar(f"SELECT SUM(n) FROM {table}") == sum(range(10)) + 5
    assert await db.execute_scalar(f"SELECT n FROM {table} WHERE n < ?", (-1,)) is None
    assert await db.execute(f"DELETE FROM {table} WHERE n < ?", (3,)) == []


async def test_execute_many_empty_is_a_no_op(db: twinsql.AsyncDatabase) -> None:
    table = await fresh_table(db, "api_many_empty", {"id": "pk", "n": "bigint"})
    assert await db.execute_many(f"INSERT INTO {table} (n) VALUES (?)", []) == 0


async def test_stream_is_chunked_and_memory_bounded(db: twinsql.AsyncDatabase) -> None:
    total = 200_000
    sql = support.series_sql(db.dialect.name)
    count = 0
    checksum = 0
    tracemalloc.start()
    try:
        async for row in db.stream(sql, (total,), chunk_size=500):
            count += 1
            checksum += row["n"]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == total
    assert checksum == total * (total + 1) // 2
    # 200k rows as dicts would take tens of MB; chunks of 500 stay far below.
    assert peak < 8 * 1024 * 1024, peak


async def test_stream_stopped_early_frees_the_connection(db: twinsql.AsyncDatabase) -> None:
    sql = support.series_sql(db.dialect.name)
    rows = db.stream(sql, (100_000,), chunk_size=100)
    seen = []
    async for row in rows:
        seen.append(row["n"])
        if len(seen) == 5:
            break
    await rows.aclose()
    assert seen == [1, 2, 3, 4, 5]
    assert db.pool_stats().checked_out == 0
    assert await db.execute_scalar("SELECT 1") == 1


async def test_pinned_connection_keeps_session_state(db: twinsql.AsyncDatabase) -> None:
    async with db.connection() as conn:
        await fresh_table(conn, "api_pinned", {"id": "pk", "n": "bigint"})
        await conn.execute_non_query("INSERT INTO api_pinned (n) VALUES (?)", (7,))
        # The database's own methods run on the pinned connection inside the block.
        assert await db.execute_scalar("SELECT n FROM api_pinned") == 7
        assert db.pool_stats().checked_out == 1
    assert db.pool_stats().checked_out == 0


async def test_one_shot_helpers(url: str) -> None:
    assert await twinsql.execute_scalar_async(url, "SELECT ? + 1", (41,)) == 42
    rows = await twinsql.execute_async(url, "SELECT ? AS a", ("x",))
    assert rows == [{"a": "x"}]


async def test_context_manager_closes_the_pool(url: str) -> None:
    async with twinsql.connect_async(url) as db:
        assert await db.execute_scalar("SELECT 1") == 1
    assert db.closed
    with pytest.raises(twinsql.PoolClosed):
        await db.execute("SELECT 1")


async def test_echo_logs_sql_and_hides_parameters(
    url: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with twinsql.connect_async(url, echo=True, hide_parameters=True) as db:
        with caplog.at_level(logging.DEBUG, logger="twinsql.sql"):
            await db.execute("SELECT ? AS secret_value", ("hunter2-sentinel",))
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name == "twinsql.sql")
    assert "SELECT ? AS secret_value" in logged
    assert "hunter2-sentinel" not in logged
    caplog.clear()
    async with twinsql.connect_async(url, echo=True) as db:
        # Parameters are logged at DEBUG (echo enables INFO: the statements).
        with caplog.at_level(logging.DEBUG, logger="twinsql.sql"):
            await db.execute("SELECT ? AS shown_value", ("visible-sentinel",))
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name == "twinsql.sql")
    assert "visible-sentinel" in logged


async def test_statement_timeout(url: str, backend: str) -> None:
    async with twinsql.connect_async(url, statement_timeout=0.2) as db:
        slow = {
            "postgresql": "SELECT pg_sleep(2)",
            "mysql": "SELECT MAX(MD5(seq)) FROM seq_1_to_100000000",
            "sqlite": (
                "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s "
                "WHERE n < 100000000) SELECT COUNT(*) FROM s"
            ),
        }[db.dialect.name]
        with pytest.raises(twinsql.StatementTimeout) as info:
            await db.execute(slow)
        assert isinstance(info.value, twinsql.QueryCanceled)
        # The connection is usable (or was replaced) afterwards.
        assert await db.execute_scalar("SELECT 1") == 1
