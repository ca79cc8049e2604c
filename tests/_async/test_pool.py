# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""The pool: limits, timeouts, killed connections, rollback on return, no reset query."""

from __future__ import annotations

import time

import pytest

import twinsql
from tests import support
from tests._async.helpers import session_id
from twinsql._compat import async_sleep

_IS_ASYNC = True


async def test_exhaustion_raises_pool_timeout_at_the_timeout(url: str) -> None:
    async with twinsql.connect_async(url, pool_size=1, max_overflow=1, pool_timeout=0.3) as db:
        # Two checkouts fill pool_size + max_overflow.
        first = await db._pool.acquire()
        second = await db._pool.acquire()
        started = time.monotonic()
        with pytest.raises(twinsql.PoolTimeout) as info:
            await db.execute_scalar("SELECT 1")
        waited = time.monotonic() - started
        assert 0.25 <= waited < 2.0, waited
        assert "pool_size=1" in str(info.value)
        assert db.pool_stats().timeouts == 1
        await db._pool.release(first)
        await db._pool.release(second)
        assert await db.execute_scalar("SELECT 1") == 1
        stats = db.pool_stats()
        assert stats.checked_out == 0 and stats.idle == 1, stats


async def test_overflow_connections_are_closed_on_return(url: str) -> None:
    async with twinsql.connect_async(url, pool_size=1, max_overflow=2) as db:
        conns = [await db._pool.acquire() for _ in range(3)]
        assert db.pool_stats().checked_out == 3
        for conn in conns:
            await db._pool.release(conn)
        stats = db.pool_stats()
        assert stats.idle == 1 and stats.size == 1, stats


async def test_killed_idle_connection_is_replaced_with_pre_ping(
    url: str, backend: str, admin: twinsql.AsyncDatabase
) -> None:
    if backend == "sqlite":
        pytest.skip("SQLite has no server session to kill")
    async with twinsql.connect_async(url, pool_size=1, max_overflow=0, pool_pre_ping=True) as db:
        victim = await session_id(db)
        await admin.execute(support.kill_sql(db.dialect.name), (victim,))
        # The next checkout pings, finds the corpse and opens a fresh connection.
        assert await db.execute_scalar("SELECT 1") == 1
        assert await session_id(db) != victim
        assert db.pool_stats().discarded >= 1


async def gone_from_server(admin: twinsql.AsyncDatabase, session: int | None) -> None:
    """Wait (at most 5 s) until the server no longer lists ``session``."""
    sql = (
        "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = ?"
        if admin.dialect.name == "mysql"
        else "SELECT COUNT(*) FROM pg_stat_activity WHERE pid = ?"
    )
    deadline = time.monotonic() + 5
    while int(await admin.execute_scalar(sql, (session,))) and time.monotonic() < deadline:
        await async_sleep(0.01)
    assert int(await admin.execute_scalar(sql, (session,))) == 0


async def test_killed_idle_connection_without_pre_ping(
    url: str, backend: str, admin: twinsql.AsyncDatabase
) -> None:
    if backend == "sqlite":
        pytest.skip("SQLite has no server session to kill")
    async with twinsql.connect_async(url, pool_size=1, max_overflow=0) as db:
        victim = await session_id(db)
        await admin.execute(support.kill_sql(db.dialect.name), (victim,))
        await gone_from_server(admin, victim)
        await async_sleep(0.05)  # the server's goodbye reaches this process's socket
        # Found dead at checkout, before any byte of the statement was sent: replaced.
        assert await db.execute_scalar("SELECT 1") == 1
        # The broken connection was discarded, never handed out again.
        assert await db.execute_scalar("SELECT 1") == 1
        assert await session_id(db) != victim


async def test_clean_return_sends_no_reset_query(url: str, backend: str) -> None:
    if backend != "mysql":
        pytest.skip("exact per-session statement counters exist on MySQL/MariaDB only")
    async with twinsql.connect_async(url, pool_size=1, max_overflow=0) as db:
        before = await statements_sent(db)
        for _ in range(5):
            await db.execute_scalar("SELECT 1")
        after = await statements_sent(db)
        # 5 SELECT 1 plus the counting query itself: nothing hidden around them.
        assert after - before == 6, (before, after)


async def statements_sent(db: twinsql.AsyncDatabase) -> int:
    """Statements this session has sent (MariaDB counts every one, hidden ones included)."""
    row = await db.fetch_one("SHOW SESSION STATUS LIKE 'Questions'")
    assert row is not None
    return int(row["Value"])


async def test_pool_repr_and_errors_hide_the_password(backend: str) -> None:
    sentinel = "S3ntinel-Pa55"
    if backend == "sqlite":
        pytest.skip("SQLite URLs carry no password")
    base = support.url_for(backend, "")
    scheme, rest = base.split("://", 1)
    host_part = rest.split("@", 1)[-1]
    user = rest.split("@", 1)[0] if "@" in rest else "nobody"
    # A port nothing listens on: the connect fails, and the message must not leak.
    bad = f"{scheme}://{user}:{sentinel}@127.0.0.1:9/{host_part.split('/', 1)[-1]}"
    db = twinsql.connect_async(bad, connect_timeout=2)
    assert sentinel not in repr(db) and sentinel not in str(db.url)
    with pytest.raises(twinsql.ConnectionLost) as info:
        await db.execute("SELECT 1")
    rendered = f"{info.value!s} {info.value!r} {info.value.__cause__!s}"
    assert sentinel not in rendered
    await db.close()


async def test_pool_recycle_replaces_old_connections(url: str) -> None:
    async with twinsql.connect_async(url, pool_size=1, max_overflow=0, pool_recycle=0.05) as db:
        assert await db.execute_scalar("SELECT 1") == 1
        assert db.pool_stats().opened == 1
        await async_sleep(0.1)
        assert await db.execute_scalar("SELECT 1") == 1
        stats = db.pool_stats()
        assert stats.opened == 2 and stats.discarded == 1, stats


async def test_connection_left_broken_is_never_reused(db: twinsql.AsyncDatabase) -> None:
    async with db.connection() as conn:
        conn.broken = True  # as after an interrupted read
        first = conn
    async with db.connection() as conn:
        assert conn is not first
    assert db.pool_stats().discarded == 1
