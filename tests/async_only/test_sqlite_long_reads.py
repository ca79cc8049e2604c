"""The async SQLite driver's memory of long reads (no sync twin: the sync driver runs
every statement inline). A read that ran past the inline budget twice in a row goes straight
to the worker thread; what one database learnt must not change how another runs."""

from __future__ import annotations

from pathlib import Path

import twinsql
from twinsql.connection.url import parse_url
from twinsql.drivers.base import ConnectOptions
from twinsql.drivers.sqlite_async import (
    INLINE_BUDGET,
    LONG_AFTER,
    AsyncSqliteConnection,
    AsyncSqliteDriver,
)

# Counts 200k rows: tens of milliseconds, far past the inline budget.
SLOW = (
    "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 200000) "
    "SELECT COUNT(*) FROM s"
)


def _raw(conn: twinsql.AsyncConnection) -> AsyncSqliteConnection:
    raw = conn.raw
    assert isinstance(raw, AsyncSqliteConnection)
    return raw


async def test_long_reads_are_remembered_per_database(tmp_path: Path) -> None:
    assert INLINE_BUDGET < 0.01
    first = twinsql.connect_async(f"sqlite:///{tmp_path / 'first.db'}")
    second = twinsql.connect_async(f"sqlite:///{tmp_path / 'second.db'}")
    try:
        async with first.connection() as conn:
            assert await conn.execute_scalar(SLOW) == 200000
            assert list(_raw(conn).long_reads) == [SLOW]
        async with second.connection() as conn:
            assert _raw(conn).long_reads == {}  # the other database learnt nothing
            assert await conn.execute_scalar(SLOW) == 200000
            assert list(_raw(conn).long_reads) == [SLOW]
    finally:
        await first.close()
        await second.close()


async def test_connections_of_one_driver_share_the_memory(tmp_path: Path) -> None:
    url = parse_url(f"sqlite:///{tmp_path / 'db.sqlite'}")
    driver, other = AsyncSqliteDriver(), AsyncSqliteDriver()
    a = await driver.connect(url, ConnectOptions())
    b = await driver.connect(url, ConnectOptions())
    c = await other.connect(url, ConnectOptions())
    try:
        await a.execute(SLOW, ())
        assert list(b.long_reads) == [SLOW]  # learnt once for the whole database
        assert c.long_reads == {}
    finally:
        for conn in (a, b, c):
            await conn.close()


async def test_a_read_goes_to_the_worker_only_after_two_overruns_in_a_row(
    tmp_path: Path,
) -> None:
    url = parse_url(f"sqlite:///{tmp_path / 'db.sqlite'}")
    conn = await AsyncSqliteDriver().connect(url, ConnectOptions())
    try:
        await conn.execute(SLOW, ())
        assert conn.long_reads == {SLOW: 1}  # once may be the machine's fault: still inline
        await conn.execute(SLOW, ())
        assert conn.long_reads == {SLOW: LONG_AFTER}  # twice in a row: the worker from now on
        fast = "SELECT 1"
        conn.long_reads[fast] = 1  # one overrun of a read that then fits the budget
        await conn.execute(fast, ())
        assert fast not in conn.long_reads  # forgotten: it was not the read's fault
    finally:
        await conn.close()
