"""Cancellation at each named checkpoint leaks nothing and logs nothing alarming.

For every point (waiting for the pool, connecting, mid-query, during COMMIT, during a
release), a task is cancelled at exactly that point, several times over. Afterwards the
pool has nothing checked out, every connection it holds answers its own query (no stale
reply), every server session the pool opened is gone within a second of ``close()``
(counted by their ids: other sessions on the server are none of this test's business), no
``twinsql`` logger wrote a WARNING and asyncio reported no exception "never retrieved".
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

import twinsql
from tests import support
from tests.conftest import require_server
from tests.faults.cancelpoints import SessionRecorder, cancel_current, interrupt_at, sessions_gone
from twinsql.connection import checkpoints

POOL_SIZE = 2
ROUNDS = 5


@pytest.fixture(params=support.backends(is_async=True))
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    require_server(request.param)
    return support.url_for(request.param, str(tmp_path / "test.db"))


def slow_query(dialect: str) -> str:
    if dialect == "postgresql":
        return "SELECT ? * 2 AS v FROM (SELECT pg_sleep(0.005)) AS s"
    if dialect == "mysql":
        return "SELECT ? * 2 AS v FROM (SELECT SLEEP(0.005)) AS s"
    return (
        "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 5000) "
        "SELECT ? * 2 AS v FROM (SELECT COUNT(*) FROM s)"
    )


async def wait_for_pool(db: twinsql.AsyncDatabase) -> None:
    """Fill the pool from other tasks, then check out: the checkout has to wait."""
    held = [await db._pool.acquire() for _ in range(POOL_SIZE)]
    try:
        await db.execute_scalar("SELECT 1")
    finally:
        for conn in held:
            await db._pool.release(conn)


async def connect(db: twinsql.AsyncDatabase) -> None:
    """Check out with no idle connection: the pool opens one."""
    idle = [await db._pool.acquire() for _ in range(db.pool_stats().idle)]
    for conn in idle:
        conn.broken = True  # discarded on return
        await db._pool.release(conn)
    await db.execute_scalar("SELECT 1")


async def query(db: twinsql.AsyncDatabase) -> None:
    await db.execute_scalar(slow_query(db.dialect.name), (1,))


async def commit(db: twinsql.AsyncDatabase) -> None:
    async with db.transaction() as conn:
        await conn.execute_non_query("INSERT INTO cancel_points (n) VALUES (?)", (1,))


async def release(db: twinsql.AsyncDatabase) -> None:
    """Leave a transaction open in a pinned block: the return rolls it back."""
    async with db.connection() as conn:
        await conn.transaction().begin()
        await conn.execute_non_query("INSERT INTO cancel_points (n) VALUES (?)", (2,))


SCENARIOS: dict[str, Callable[[twinsql.AsyncDatabase], Awaitable[None]]] = {
    checkpoints.POOL_WAIT: wait_for_pool,
    checkpoints.CONNECTING: connect,
    checkpoints.QUERY: query,
    checkpoints.COMMIT: commit,
    checkpoints.RELEASE: release,
}


@pytest.mark.parametrize("point", checkpoints.POINTS)
async def test_cancel_at_each_point(point: str, url: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    db = twinsql.connect_async(url, pool_size=POOL_SIZE, max_overflow=0, pool_timeout=10)
    recorder = SessionRecorder.install(db)
    try:
        await db.execute_non_query("DROP TABLE IF EXISTS cancel_points")
        await db.execute_non_query("CREATE TABLE cancel_points (n INTEGER)")
        for _ in range(ROUNDS):
            cancelled = pytest.raises(asyncio.CancelledError)
            with interrupt_at(point, cancel_current) as fired, cancelled:
                await asyncio.create_task(SCENARIOS[point](db))
            assert fired == [point]
            assert db.pool_stats().checked_out == 0, db.pool_stats()
        # Every connection left answers its own query, not a reply meant for another.
        count = POOL_SIZE * 3
        values = await asyncio.gather(
            *(db.execute_scalar(slow_query(db.dialect.name), (i,)) for i in range(count))
        )
        assert [int(v) for v in values] == [i * 2 for i in range(count)]
        assert db.pool_stats().checked_out == 0
    finally:
        await db.close()
    if support.session_id_sql(db.dialect.name) is not None:
        assert recorder.ids, "no session recorded"
        assert await sessions_gone(url, recorder.ids) == 0
    gc.collect()
    await asyncio.sleep(0.05)
    gc.collect()
    warnings = [
        r for r in caplog.records if r.name.startswith("twinsql") and r.levelno >= logging.WARNING
    ]
    assert warnings == []
    unretrieved = [r for r in caplog.records if "never retrieved" in r.getMessage()]
    assert unretrieved == []
