"""The async SQLite driver's memory of long reads (no sync twin: the sync driver runs
every statement inline). A read that ran past the inline budget goes straight to the
worker thread next time; what one database learnt must not change how another runs."""

from __future__ import annotations

from pathlib import Path

import twinsql
from twinsql.connection.url import parse_url
from twinsql.drivers.base import ConnectOptions
from twinsql.drivers.sqlite_async import INLINE_BUDGET, AsyncSqliteConnection, AsyncSqliteDriver

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
