"""twinsql batcher example: a bulk load with a ledger, in both modes.

Run with ``python examples/batcher.py`` (SQLite file ``twinsql-batcher.db``), or against a
server: ``DATABASE_URL=postgresql://postgres@127.0.0.1/test python examples/batcher.py``.

It loads 10 000 rows (merged into multi-row INSERTs, or COPY on PostgreSQL), then a list in
which two rows break a constraint — once stopping at the first error, once isolating errors
— and prints each ledger. The async part shows ``reconcile`` for unknown commit outcomes.
"""

from __future__ import annotations

import asyncio
import os
import time

import twinsql
from twinsql import AsyncSQLBatcher, LedgerEntry, ListQueryCollector, SQLBatcher

URL = os.environ.get("DATABASE_URL", "sqlite:///twinsql-batcher.db")
TABLE = (
    "CREATE TABLE readings (id BIGINT PRIMARY KEY, sensor VARCHAR(32) NOT NULL, "
    "value DOUBLE PRECISION NOT NULL CHECK (value >= 0), note VARCHAR(100))"
)
INSERT = "INSERT INTO readings (id, sensor, value, note) VALUES (?, ?, ?, ?)"


def rows(start: int, stop: int, bad: tuple[int, ...] = ()) -> list[tuple[str, tuple[object, ...]]]:
    return [
        (INSERT, (i, f"s{i % 7}", -1.0 if i in bad else i * 0.25, None)) for i in range(start, stop)
    ]


def sync_part() -> None:
    print(f"== sync SQLBatcher on {twinsql.parse_url(URL).redacted()}")
    with twinsql.connect(URL) as db:
        db.execute_non_query("DROP TABLE IF EXISTS readings")
        db.execute_non_query(TABLE)

        collector = ListQueryCollector()
        started = time.perf_counter()
        report = SQLBatcher(db, collector=collector).process_statements(rows(0, 10_000))
        kinds = {r["metadata"]["kind"] for r in collector.get_all()}
        print(f"bulk load: {report.summary()} in {time.perf_counter() - started:.2f}s, "
              f"{report.batches} batches, sent as {sorted(kinds)}")  # fmt: skip

        stopping = SQLBatcher(db, max_bytes=2_000)
        report = stopping.process_statements(rows(20_000, 20_200, bad=(20_070, 20_090)))
        print("stop at the first error:\n" + report.summary(limit=3))
        print(f"  still queued: {stopping.pending}; dropped by reset(): {len(stopping.reset())}")

        report = SQLBatcher(db, isolate_errors=True).process_statements(
            rows(30_000, 30_100, bad=(30_042, 30_077))
        )
        print("isolate errors:\n" + report.summary(limit=3))
        print(f"rows stored: {db.execute_scalar('SELECT COUNT(*) FROM readings')}")


async def async_part() -> None:
    print("== async AsyncSQLBatcher")
    async with twinsql.connect_async(URL) as db:

        async def read_back(entries: list[LedgerEntry]) -> list[bool]:
            """For statements whose COMMIT reply was lost: are their ids stored?"""
            ids = [entry.params[0] for entry in entries]
            marks = ", ".join(["?"] * len(ids))
            found = {r["id"] for r in await db.execute(
                f"SELECT id FROM readings WHERE id IN ({marks})", ids)}  # fmt: skip
            return [i in found for i in ids]

        async with AsyncSQLBatcher(db, reconcile=read_back) as batcher:
            for sql, params in rows(40_000, 40_500):
                if await batcher.add_statement(sql, params):
                    await batcher.flush()  # a batch's worth is queued
        print(f"context manager: {batcher.report.summary()}")


if __name__ == "__main__":
    sync_part()
    asyncio.run(async_part())
