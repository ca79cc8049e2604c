"""Cancelling a flush (async only: threads cannot be cancelled).

A flush is cancelled at named points — as the k-th unit of statements is being sent, for
several k, so some cancellations land between batches and some mid-statement. After
each cancellation the ledger must be consistent: the counts add up, every statement applied
is in the table, nothing is in the table twice, and the only statements that may be in the
table without being ``applied`` are the ``unknown`` ones (cancelled while COMMIT was on its
way). The batcher stays usable: the pending statements are sent by the next flush.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

import twinsql
from twinsql import AsyncSQLBatcher


@pytest.fixture
async def db(url: str) -> AsyncIterator[twinsql.AsyncDatabase]:
    database = twinsql.connect_async(url, pool_size=3, max_overflow=0, pool_timeout=20)
    try:
        yield database
    finally:
        await database.close()


async def make_table(db: twinsql.AsyncDatabase, name: str) -> str:
    quoted = db.dialect.quote_identifier(name)
    await db.execute_non_query(f"DROP TABLE IF EXISTS {quoted}")
    await db.execute_non_query(
        f"CREATE TABLE {quoted} (id BIGINT PRIMARY KEY, k VARCHAR(64) NOT NULL UNIQUE, n INTEGER)"
    )
    return quoted


def inserts(table: str, ids: range) -> list[tuple[str, Any]]:
    sql = f"INSERT INTO {table} (id, k, n) VALUES (?, ?, ?)"
    return [(sql, (i, f"key-{i}", i)) for i in ids]


async def stored(db: twinsql.AsyncDatabase, table: str) -> set[int]:
    rows = await db.execute(f"SELECT id FROM {table}")
    ids = [int(r["id"]) for r in rows]
    assert len(ids) == len(set(ids))
    return set(ids)


class CancelWhenSending(twinsql.AsyncQueryCollector):
    """Cancels the task that flushes as it is about to send its ``at``-th unit of statements
    (the batcher reports each unit to its collector just before sending it), so the
    cancellation lands at that point on every backend, whatever the timing."""

    def __init__(self, at: int) -> None:
        super().__init__()
        self.at = at
        self.seen = 0

    async def collect(self, query: str, metadata: dict[str, Any] | None = None) -> None:
        self.seen += 1
        if self.seen == self.at:
            task = asyncio.current_task()
            assert task is not None
            task.cancel()


def consistent(report: twinsql.BatchReport, rows: set[int]) -> None:
    assert report.applied + report.rejected + report.pending + report.unknown == report.submitted
    applied = set(report.indices("applied"))
    assert applied <= rows <= applied | set(report.indices("unknown")), report.summary()


@pytest.mark.parametrize("mode", ["per_batch", "none", "whole"])
async def test_cancelled_flush_leaves_the_ledger_consistent(
    db: twinsql.AsyncDatabase, mode: str
) -> None:
    table = await make_table(db, f"bc_{mode}")
    total = 0
    cancelled = 0
    for round_ in range(12):
        cancel_at = CancelWhenSending(at=1 + round_ % 6)
        batcher = AsyncSQLBatcher(
            db, max_bytes=400, transaction=mode, merge_inserts=round_ % 2 == 0,
            collector=cancel_at,
        )  # fmt: skip
        base = round_ * 100
        for sql, params in inserts(table, range(base, base + 60)):
            await batcher.add_statement(sql, params)
        task = asyncio.create_task(batcher.flush())
        try:
            await task
        except asyncio.CancelledError:
            cancelled += 1
        report = batcher.report
        consistent(report, {i - base for i in await stored(db, table) if base <= i < base + 60})
        # The batcher is still usable: what is pending is sent now, exactly once.
        cancel_at.at = 0
        await batcher.flush()
        report = batcher.report
        assert report.pending == 0 and report.rejected == 0
        rows = {i - base for i in await stored(db, table) if base <= i < base + 60}
        consistent(report, rows)
        total += len(rows)
    assert cancelled == 12
    assert db.pool_stats().checked_out == 0


async def test_cancelled_inside_the_context_manager_sends_nothing(
    db: twinsql.AsyncDatabase,
) -> None:
    table = await make_table(db, "bc_context")

    async def work(batcher_box: list[AsyncSQLBatcher]) -> None:
        async with AsyncSQLBatcher(db) as batcher:
            batcher_box.append(batcher)
            for sql, params in inserts(table, range(5)):
                await batcher.add_statement(sql, params)
            await asyncio.sleep(10)

    box: list[AsyncSQLBatcher] = []
    task = asyncio.create_task(work(box))
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await stored(db, table) == set()
    assert box[0].report.pending == 5


async def test_cancelled_process_statements_reports_on_the_batcher(
    db: twinsql.AsyncDatabase,
) -> None:
    table = await make_table(db, "bc_process")
    batcher = AsyncSQLBatcher(db, max_bytes=300, collector=CancelWhenSending(at=3))
    task = asyncio.create_task(batcher.process_statements(inserts(table, range(400))))
    with pytest.raises(asyncio.CancelledError):
        await task
    consistent(batcher.report, await stored(db, table))
