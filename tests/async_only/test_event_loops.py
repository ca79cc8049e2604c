"""One ``AsyncDatabase`` over several event loops: a pool per loop, the pools of closed loops
dropped, ``close()`` reaching every loop's pool (no sync twin: sync connections belong to
no loop)."""

from __future__ import annotations

import asyncio
import threading

import pytest

import twinsql
from tests import support
from tests.faults.cancelpoints import sessions_gone


def _session_or_one(db: twinsql.AsyncDatabase) -> str:
    return support.session_id_sql(db.dialect.name) or "SELECT 1"


def test_a_database_serves_one_event_loop_after_another(url: str) -> None:
    db = twinsql.connect_async(url, pool_size=2, max_overflow=0)
    sql = _session_or_one(db)
    first = asyncio.run(db.execute_scalar(sql))
    # A new loop (the old one is closed): a pool of its own, no WrongEventLoopError.
    second = asyncio.run(db.execute_scalar(sql))
    stats = db.pool_stats()
    assert (stats.opened, stats.idle, stats.checked_out) == (1, 1, 0), stats
    if support.session_id_sql(db.dialect.name) is not None:
        assert first != second
        # The first loop's connection was terminated when the second loop came.
        assert asyncio.run(sessions_gone(url, [first], within=5)) == 0
    asyncio.run(db.close())
    assert db.closed
    if support.session_id_sql(db.dialect.name) is not None:
        assert asyncio.run(sessions_gone(url, [second], within=5)) == 0
    with pytest.raises(twinsql.PoolClosed):
        asyncio.run(db.execute_scalar("SELECT 1"))


def test_two_loops_in_two_threads_at_once(url: str) -> None:
    db = twinsql.connect_async(url, pool_size=2, max_overflow=0)
    both_running = threading.Barrier(2, timeout=30)
    results: dict[int, list[int]] = {}
    failures: list[BaseException] = []

    async def work(base: int) -> list[int]:
        await db.execute_scalar("SELECT 1")
        # Both loops now hold a pool of the one database.
        await asyncio.to_thread(both_running.wait)
        return [int(await db.execute_scalar("SELECT ? + 0", (base + i,))) for i in range(50)]

    def thread(base: int) -> None:
        try:
            results[base] = asyncio.run(work(base))
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=thread, args=(base,)) for base in (0, 1000)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert results == {0: list(range(50)), 1000: list(range(1000, 1050))}
    asyncio.run(db.close())
    with pytest.raises(twinsql.PoolClosed):
        asyncio.run(db.execute_scalar("SELECT 1"))


def test_close_from_a_loop_reaches_a_pool_of_a_loop_still_running(url: str) -> None:
    db = twinsql.connect_async(url, pool_size=1, max_overflow=0)
    sql = _session_or_one(db)
    loop = asyncio.new_event_loop()
    runner = threading.Thread(target=loop.run_forever)
    runner.start()
    try:
        elsewhere = asyncio.run_coroutine_threadsafe(db.execute_scalar(sql), loop).result(30)
        here = asyncio.run(db.execute_scalar(sql))
        asyncio.run(db.close())
        if support.session_id_sql(db.dialect.name) is not None:
            # Both pools closed their connection: the running loop's on that loop.
            assert asyncio.run(sessions_gone(url, [elsewhere, here], within=5)) == 0
        closed = asyncio.run_coroutine_threadsafe(db.execute_scalar("SELECT 1"), loop)
        with pytest.raises(twinsql.PoolClosed):
            closed.result(30)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        runner.join()
        loop.close()


async def test_a_shared_block_refuses_a_task_of_another_loop(url: str) -> None:
    async with twinsql.connect_async(url) as db, db.transaction(shared=True):
        # asyncio.to_thread copies this context into the thread, pin included.
        with pytest.raises(twinsql.WrongEventLoopError):
            await asyncio.to_thread(asyncio.run, db.execute_scalar("SELECT 1"))
        assert await db.execute_scalar("SELECT 1") == 1
