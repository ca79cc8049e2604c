"""A cancelled task on async SQLite stops running statements (async only: threads cannot be
cancelled).

The driver runs short statements inline, where nothing suspends, and a cancellation is
delivered only at a suspension: the driver's periodic yield (before an inline statement,
never after one) is where it takes effect. So a flush cancelled early sends at most
``YIELD_EVERY`` more statements (sooner when the driver's time budget runs out), not all
the rest, and the ledger accounts for every statement. 400 one-row inserts need far more
than ``YIELD_EVERY`` statements, so the outcome does not depend on timing."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

import twinsql
from tests.async_only.test_batcher_cancellation import (
    CancelWhenSending,
    consistent,
    inserts,
    make_table,
    stored,
)

STATEMENTS = 400


async def test_a_cancelled_batcher_stops_sending_at_the_next_yield(tmp_path: Path) -> None:
    db = twinsql.connect_async(f"sqlite:///{tmp_path / 'cancel.db'}", pool_size=3)
    try:
        table = await make_table(db, "cancelled")
        batcher = twinsql.AsyncSQLBatcher(db, max_bytes=300, collector=CancelWhenSending(at=3))
        task = asyncio.create_task(batcher.process_statements(inserts(table, range(STATEMENTS))))
        with pytest.raises(asyncio.CancelledError):
            await task
        rows = await stored(db, table)
        report = batcher.report
        consistent(report, rows)
        assert len(rows) < STATEMENTS
        assert report.pending > 0
    finally:
        await db.close()
