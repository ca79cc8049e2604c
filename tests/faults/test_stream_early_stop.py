"""A consumer that stops a ``stream`` early gets its connection back into the pool at once,
on every backend and in both modes, and the next user of that connection (or of the one
that replaced it) never reads the abandoned result's rows.

"At once" is tested against a result so large (a hundred million rows, generated lazily by
the server) that reading its rest would take minutes on any backend. Inside a transaction
the transaction must survive the early stop."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

import twinsql
from tests import support
from tests.conftest import require_server
from twinsql import AsyncDatabase

HUGE = 100_000_000
CHUNK = 1000
# Releasing must not read the rest of the result: reading it would take minutes.
AT_ONCE_SECONDS = 5.0


def _dialect(backend: str) -> str:
    return "postgresql" if support.SERVER_OF[backend] == "postgresql" else backend


def huge_sql(dialect: str) -> str:
    """A SELECT of ``HUGE`` integers ``n`` that the server produces as they are read (not
    materialised first, as ``FROM generate_series`` would be)."""
    if dialect == "postgresql":
        return f"SELECT generate_series(1, {HUGE}) AS n"
    if dialect == "mysql":
        return f"SELECT seq AS n FROM seq_1_to_{HUGE}"
    return (
        "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s "
        f"WHERE n < {HUGE}) SELECT n FROM s"
    )


def table_sql(dialect: str) -> str:
    return f"CREATE TABLE early_stop (id {support.col(dialect, 'bigint')} PRIMARY KEY)"


# -- async ------------------------------------------------------------------------------


@pytest.fixture(params=support.backends(is_async=True))
async def adb(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncDatabase]:
    backend: str = request.param
    require_server(backend)
    url = support.url_for(backend, str(tmp_path / "test.db"))
    db = twinsql.connect_async(url, pool_size=1, max_overflow=0, pool_timeout=5)
    try:
        yield db
    finally:
        await db.close()


async def test_async_stream_stopped_early_releases_its_connection_at_once(
    adb: AsyncDatabase,
) -> None:
    dialect = adb.dialect.name
    rows = adb.stream(huge_sql(dialect), chunk_size=CHUNK)
    seen = []
    async for row in rows:
        seen.append(row["n"])
        if len(seen) == 5:
            break
    started = time.perf_counter()
    await rows.aclose()
    assert time.perf_counter() - started < AT_ONCE_SECONDS
    assert adb.pool_stats().checked_out == 0
    assert seen == [1, 2, 3, 4, 5]
    # The one connection the pool may hold is clean: no rows of the abandoned result.
    assert await adb.execute_scalar("SELECT 1") == 1
    sql = support.series_sql(dialect)
    assert [row["n"] async for row in adb.stream(sql, (3,))] == [1, 2, 3]


async def test_async_stream_stopped_with_less_than_a_chunk_left_keeps_its_connection(
    adb: AsyncDatabase,
) -> None:
    sql = support.series_sql(adb.dialect.name)
    rows = adb.stream(sql, (CHUNK + CHUNK // 2,), chunk_size=CHUNK)
    async for _ in rows:
        break
    await rows.aclose()
    assert await adb.execute_scalar("SELECT 1") == 1
    stats = adb.pool_stats()
    assert (stats.checked_out, stats.opened, stats.discarded) == (0, 1, 0)


async def test_async_stream_stopped_early_in_a_transaction_keeps_the_transaction(
    adb: AsyncDatabase,
) -> None:
    dialect = adb.dialect.name
    await adb.execute_non_query("DROP TABLE IF EXISTS early_stop")
    await adb.execute_non_query(table_sql(dialect))
    async with adb.transaction():
        await adb.execute_non_query("INSERT INTO early_stop (id) VALUES (1)")
        rows = adb.stream(support.series_sql(dialect), (5 * CHUNK,), chunk_size=CHUNK)
        async for _ in rows:
            break
        await rows.aclose()
        await adb.execute_non_query("INSERT INTO early_stop (id) VALUES (2)")
    assert await adb.execute_scalar("SELECT COUNT(*) FROM early_stop") == 2
    assert adb.pool_stats().discarded == 0


# -- sync -------------------------------------------------------------------------------


@pytest.fixture(params=support.backends(is_async=False))
def sdb(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[twinsql.Database]:
    backend: str = request.param
    require_server(backend)
    url = support.url_for(backend, str(tmp_path / "test.db"))
    db = twinsql.connect(url, pool_size=1, max_overflow=0, pool_timeout=5)
    try:
        yield db
    finally:
        db.close()


def test_sync_stream_stopped_early_releases_its_connection_at_once(
    sdb: twinsql.Database,
) -> None:
    dialect = sdb.dialect.name
    seen = []
    started = 0.0
    for row in sdb.stream(huge_sql(dialect), chunk_size=CHUNK):
        seen.append(row["n"])
        if len(seen) == 5:
            started = time.perf_counter()
            break  # the generator is closed as the loop lets go of it
    assert time.perf_counter() - started < AT_ONCE_SECONDS
    assert sdb.pool_stats().checked_out == 0
    assert seen == [1, 2, 3, 4, 5]
    assert sdb.execute_scalar("SELECT 1") == 1
    assert [row["n"] for row in sdb.stream(support.series_sql(dialect), (3,))] == [1, 2, 3]


def test_sync_stream_stopped_with_less_than_a_chunk_left_keeps_its_connection(
    sdb: twinsql.Database,
) -> None:
    sql = support.series_sql(sdb.dialect.name)
    for _ in sdb.stream(sql, (CHUNK + CHUNK // 2,), chunk_size=CHUNK):
        break
    assert sdb.execute_scalar("SELECT 1") == 1
    stats = sdb.pool_stats()
    assert (stats.checked_out, stats.opened, stats.discarded) == (0, 1, 0)


def test_sync_stream_stopped_early_in_a_transaction_keeps_the_transaction(
    sdb: twinsql.Database,
) -> None:
    dialect = sdb.dialect.name
    sdb.execute_non_query("DROP TABLE IF EXISTS early_stop")
    sdb.execute_non_query(table_sql(dialect))
    with sdb.transaction():
        sdb.execute_non_query("INSERT INTO early_stop (id) VALUES (1)")
        for _ in sdb.stream(support.series_sql(dialect), (5 * CHUNK,), chunk_size=CHUNK):
            break
        sdb.execute_non_query("INSERT INTO early_stop (id) VALUES (2)")
    assert sdb.execute_scalar("SELECT COUNT(*) FROM early_stop") == 2
    assert sdb.pool_stats().discarded == 0
