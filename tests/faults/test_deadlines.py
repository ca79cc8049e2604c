"""Deadlines and cancellations against real servers, through the fault proxy, in both modes.

Each fault is set through ``tests.faultproxy`` (no random sleeps). Each test asserts the call
returned within its timeout plus 0.25 s (an upper bound on a guarantee), the exact exception
class, and that none of the pool's own server sessions, identified by their ids, is still
running the statement afterwards.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import twinsql
from tests import support
from tests.conftest import require_server
from tests.faultproxy import BLACKHOLE, STALL, FaultProxy

TIMEOUT = 0.5
BOUND = TIMEOUT + 0.25
SERVER_BACKENDS = ["psycopg", "asyncpg", "mysql"]
MODES = ["sync", "async"]


def cases(backends: list[str]) -> list[tuple[str, str]]:
    return [(b, m) for b in backends for m in MODES if not (b == "asyncpg" and m == "sync")]


@pytest.fixture
def proxy() -> Iterator[None]:
    yield None


def server_url(backend: str) -> str:
    require_server(backend)
    return support.url_for(backend, "")


def proxied(backend: str) -> tuple[FaultProxy, str]:
    url = server_url(backend)
    parsed = twinsql.parse_url(url)
    fault = FaultProxy(parsed.host or "127.0.0.1", parsed.port or 0)
    return fault, fault.url(url)


def sleep_sql(backend: str, seconds: float) -> str:
    return f"SELECT pg_sleep({seconds})" if backend != "mysql" else f"SELECT SLEEP({seconds})"


def running(backend: str, ids: list[int]) -> int:
    """How many of the sessions ``ids`` are still running a statement (seen from a fresh
    admin connection, straight to the server)."""
    if not ids:
        return 0
    listed = ", ".join(str(int(i)) for i in ids)
    with twinsql.connect(server_url(backend), pool_size=1, max_overflow=0) as admin:
        if backend == "mysql":
            sql = ("SELECT COUNT(*) FROM information_schema.PROCESSLIST "
                   f"WHERE ID IN ({listed}) AND COMMAND = 'Query'")  # fmt: skip
        else:
            sql = ("SELECT COUNT(*) FROM pg_stat_activity "
                   f"WHERE pid IN ({listed}) AND state = 'active'")  # fmt: skip
        return int(admin.execute_scalar(sql))


def settled(backend: str, ids: list[int], within: float = 1.0) -> int:
    """Sessions of ``ids`` still running after waiting up to ``within`` seconds for them."""
    deadline = time.monotonic() + within
    while True:
        left = running(backend, ids)
        if left == 0 or time.monotonic() > deadline:
            return left
        time.sleep(0.05)


# -- a stalled link with statement_timeout ------------------------------------------------


@pytest.mark.parametrize(("backend", "mode"), cases(SERVER_BACKENDS))
def test_stalled_link_statement_timeout(backend: str, mode: str) -> None:
    fault, url = proxied(backend)
    sid_sql = support.session_id_sql("mysql" if backend == "mysql" else "postgresql")
    assert sid_sql is not None
    with fault:
        if mode == "sync":
            with twinsql.connect(url, statement_timeout=TIMEOUT) as db:
                sid = int(db.execute_scalar(sid_sql))
                fault.mode = STALL
                start = time.monotonic()
                with pytest.raises(twinsql.StatementTimeout):
                    db.execute_scalar("SELECT 1")
                elapsed = time.monotonic() - start
        else:

            async def run() -> tuple[int, float]:
                async with twinsql.connect_async(url, statement_timeout=TIMEOUT) as db:
                    sid = int(await db.execute_scalar(sid_sql))
                    fault.mode = STALL
                    start = time.monotonic()
                    with pytest.raises(twinsql.StatementTimeout):
                        await db.execute_scalar("SELECT 1")
                    return sid, time.monotonic() - start

            sid, elapsed = asyncio.run(run())
    assert elapsed <= BOUND, elapsed
    assert settled(backend, [sid]) == 0


# -- a server that accepts TCP and never answers, with connect_timeout --------------------


@pytest.mark.parametrize(("backend", "mode"), cases(SERVER_BACKENDS))
def test_blackholed_server_connect_timeout(backend: str, mode: str) -> None:
    fault, url = proxied(backend)
    fault.mode = BLACKHOLE
    with fault:
        start = time.monotonic()
        with pytest.raises(twinsql.ConnectionLost):
            if mode == "sync":
                with twinsql.connect(url, connect_timeout=TIMEOUT) as db:
                    db.execute_scalar("SELECT 1")
            else:

                async def run() -> None:
                    async with twinsql.connect_async(url, connect_timeout=TIMEOUT) as db:
                        await db.execute_scalar("SELECT 1")

                asyncio.run(run())
        elapsed = time.monotonic() - start
    assert elapsed <= BOUND, elapsed


# -- the caller cancels mid-statement -----------------------------------------------------


@pytest.mark.parametrize("backend", SERVER_BACKENDS)
def test_wait_for_returns_and_the_server_stops(backend: str) -> None:
    url = server_url(backend)
    sid_sql = support.session_id_sql("mysql" if backend == "mysql" else "postgresql")
    assert sid_sql is not None

    async def run() -> tuple[int, float]:
        async with twinsql.connect_async(url) as db, db.connection() as conn:
            sid = int(await conn.execute_scalar(sid_sql))
            start = time.monotonic()
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(conn.execute_scalar(sleep_sql(backend, 3)), TIMEOUT)
            return sid, time.monotonic() - start

    sid, elapsed = asyncio.run(run())
    assert elapsed <= BOUND, elapsed
    assert settled(backend, [sid]) == 0


@pytest.mark.parametrize("backend", SERVER_BACKENDS)
def test_ten_cancelled_sleeps_leave_no_session_running(backend: str) -> None:
    url = server_url(backend)
    sid_sql = support.session_id_sql("mysql" if backend == "mysql" else "postgresql")
    assert sid_sql is not None
    ids: list[int] = []
    all_started = asyncio.Event()

    async def one(db: twinsql.AsyncDatabase) -> None:
        async with db.connection() as conn:
            ids.append(int(await conn.execute_scalar(sid_sql)))
            if len(ids) == 10:
                all_started.set()
            await conn.execute_scalar(sleep_sql(backend, 3))

    async def run() -> float:
        async with twinsql.connect_async(url, pool_size=5, max_overflow=5) as db:
            tasks = [asyncio.create_task(one(db)) for _ in range(10)]
            await all_started.wait()
            await asyncio.sleep(0.1)
            start = time.monotonic()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            return time.monotonic() - start

    elapsed = asyncio.run(run())
    assert elapsed <= 0.25, elapsed
    assert len(set(ids)) == 10
    assert settled(backend, ids) == 0


# -- a long SQLite query under statement_timeout -------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_sqlite_long_query_statement_timeout(mode: str, tmp_path: Path) -> None:
    url = support.url_for("sqlite", str(tmp_path / "t.db"))
    sql = ("WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s) "
           "SELECT COUNT(*) FROM s")  # fmt: skip
    start = time.monotonic()
    with pytest.raises(twinsql.StatementTimeout):
        if mode == "sync":
            with twinsql.connect(url, statement_timeout=TIMEOUT) as db:
                db.execute_scalar(sql)
        else:

            async def run() -> None:
                async with twinsql.connect_async(url, statement_timeout=TIMEOUT) as db:
                    await db.execute_scalar(sql)

            asyncio.run(run())
    assert time.monotonic() - start <= BOUND


# -- an idle pooled connection killed by an admin ------------------------------------------


@pytest.mark.parametrize(("backend", "mode"), cases(["psycopg", "mysql"]))
def test_idle_connection_killed_is_replaced(backend: str, mode: str) -> None:
    url = server_url(backend)
    dialect = "mysql" if backend == "mysql" else "postgresql"
    sid_sql = support.session_id_sql(dialect)
    assert sid_sql is not None
    kill = support.kill_sql(dialect)

    def admin_kill(sid: int) -> None:
        # Called from the async case too: a short blocking admin call, allowed on purpose.
        with twinsql.connect(
            url, pool_size=1, max_overflow=0, allow_sync_in_event_loop=True
        ) as admin:
            admin.execute(kill, (sid,))

    if mode == "sync":
        with twinsql.connect(url, pool_size=1, max_overflow=0) as db:
            sid = int(db.execute_scalar(sid_sql))
            admin_kill(sid)
            time.sleep(0.05)  # the server's goodbye reaches the client socket
            assert int(db.execute_scalar(sid_sql)) != sid
    else:

        async def run() -> None:
            async with twinsql.connect_async(url, pool_size=1, max_overflow=0) as db:
                sid = int(await db.execute_scalar(sid_sql))
                admin_kill(sid)
                await asyncio.sleep(0.05)
                assert int(await db.execute_scalar(sid_sql)) != sid

        asyncio.run(run())
