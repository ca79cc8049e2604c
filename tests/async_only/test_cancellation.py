"""Cancellation safety of the async API (no sync twin: threads cannot be cancelled).

The data-leak class of bug (asyncmy #103: a cancelled read left the stream mid-reply and the
next query returned the previous request's rows) is tested directly: cancel many in-flight
queries at random moments, then check every pooled connection answers its own query, and
that every server session the pool opened is gone (``tests/faults/test_cancel_points.py``
cancels at each named point instead of at random moments).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator

import pytest

import twinsql
from tests.faults.cancelpoints import SessionRecorder, sessions_gone


@pytest.fixture
async def db(url: str) -> AsyncIterator[twinsql.AsyncDatabase]:
    database = twinsql.connect_async(url, pool_size=5, max_overflow=0, pool_timeout=20)
    try:
        yield database
    finally:
        await database.close()


def slow_query(dialect: str) -> str:
    """A query that takes a few milliseconds and returns a value derived from its input."""
    if dialect == "postgresql":
        return "SELECT ? * 2 AS v FROM (SELECT pg_sleep(0.002)) AS s"
    if dialect == "mysql":
        return "SELECT ? * 2 AS v FROM (SELECT SLEEP(0.002)) AS s"
    return (
        "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 3000) "
        "SELECT ? * 2 AS v FROM (SELECT COUNT(*) FROM s)"
    )


async def test_cancel_200_in_flight_queries(db: twinsql.AsyncDatabase, url: str) -> None:
    rng = random.Random(20261121)
    sql = slow_query(db.dialect.name)
    # The pool's own sessions, by id: other sessions on the server are not this test's.
    recorder = SessionRecorder.install(db)

    async def one(i: int) -> int:
        return int(await db.execute_scalar(sql, (i,)))

    for round_ in range(20):
        tasks = [asyncio.create_task(one(round_ * 10 + i)) for i in range(10)]
        await asyncio.sleep(rng.uniform(0, 0.004))
        for task in tasks:
            if rng.random() < 0.7:
                task.cancel()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        for i, result in enumerate(results):
            if not isinstance(result, BaseException):
                assert result == (round_ * 10 + i) * 2
            else:
                assert isinstance(result, asyncio.CancelledError), result

    stats = db.pool_stats()
    assert stats.checked_out == 0, stats
    # Every connection still in the pool answers its own query, not a stale reply.
    values = await asyncio.gather(*(one(1000 + i) for i in range(20)))
    assert values == [(1000 + i) * 2 for i in range(20)]
    await db.close()
    assert await sessions_gone(url, recorder.ids) == 0


async def test_cancelled_waiter_loses_no_slot(url: str) -> None:
    async with twinsql.connect_async(url, pool_size=1, max_overflow=0, pool_timeout=5) as db:
        held = await db._pool.acquire()
        waiters = [asyncio.create_task(db.execute_scalar("SELECT 1")) for _ in range(5)]
        await asyncio.sleep(0.01)
        for waiter in waiters[:4]:
            waiter.cancel()
        await db._pool.release(held)
        assert await waiters[4] == 1
        await asyncio.gather(*waiters, return_exceptions=True)
        # The one slot is free again: a checkout succeeds immediately.
        assert await asyncio.wait_for(db.execute_scalar("SELECT 2"), 2) == 2
        assert db.pool_stats().checked_out == 0


async def test_cancelled_transaction_rolls_back(db: twinsql.AsyncDatabase) -> None:
    await db.execute_non_query("DROP TABLE IF EXISTS cancel_txn")
    await db.execute_non_query("CREATE TABLE cancel_txn (n INTEGER)")
    sql = slow_query(db.dialect.name)

    async def work() -> None:
        async with db.transaction():
            await db.execute_non_query("INSERT INTO cancel_txn (n) VALUES (?)", (1,))
            for i in range(1000):
                await db.execute_scalar(sql, (i,))

    task = asyncio.create_task(work())
    await asyncio.sleep(0.02)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await db.execute_scalar("SELECT COUNT(*) FROM cancel_txn") == 0
    assert db.pool_stats().checked_out == 0


async def test_concurrent_use_of_one_connection_is_refused(db: twinsql.AsyncDatabase) -> None:
    sql = slow_query(db.dialect.name)
    async with db.connection() as conn:
        first = asyncio.create_task(conn.execute_scalar(sql, (1,)))
        await asyncio.sleep(0)
        if not first.done():
            with pytest.raises(twinsql.ConcurrentUseError):
                await conn.execute_scalar(sql, (2,))
        assert await first == 2


async def test_child_task_may_not_join_the_parents_transaction(
    db: twinsql.AsyncDatabase,
) -> None:
    async with db.transaction():
        with pytest.raises(twinsql.ConcurrentUseError):
            await asyncio.create_task(db.execute_scalar("SELECT 1"))
        assert await db.execute_scalar("SELECT 1") == 1


async def test_gather_outside_a_transaction_uses_separate_connections(
    db: twinsql.AsyncDatabase,
) -> None:
    sql = slow_query(db.dialect.name)
    results = await asyncio.gather(*(db.execute_scalar(sql, (i,)) for i in range(12)))
    assert results == [i * 2 for i in range(12)]
