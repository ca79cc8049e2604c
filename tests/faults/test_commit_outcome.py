"""What a caller can know when a COMMIT is interrupted.

``CommitOutcomeUnknown`` is not a ``ConnectionLost``: a handler that retries after a lost
connection must not re-run work that may have committed. A task cancelled while its COMMIT
is in flight (or a thread interrupted there) gets the interruption itself, and the work may
or may not be committed: ``run_in_transaction`` re-raises it without a second attempt, and
the batcher records the batch's statements as ``unknown`` and sends nothing again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

import twinsql
from tests import support
from tests.conftest import require_server
from tests.faults.cancelpoints import cancel_current, interrupt_at
from twinsql.connection import checkpoints


class Interrupted(BaseException):
    """Stands in for an interruption of a thread (as KeyboardInterrupt would)."""


def raise_interrupted() -> None:
    raise Interrupted


def test_commit_outcome_unknown_is_not_a_connection_lost() -> None:
    assert not issubclass(twinsql.CommitOutcomeUnknown, twinsql.ConnectionLost)
    assert issubclass(twinsql.CommitOutcomeUnknown, twinsql.OperationalError)
    assert issubclass(twinsql.ConnectionLost, twinsql.OperationalError)


# The server backends: async SQLite runs a short COMMIT inline, without giving the event
# loop a chance to deliver the cancellation before it completes.
@pytest.fixture(params=[b for b in support.backends(is_async=True) if b != "sqlite"])
def async_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    require_server(request.param)
    return support.url_for(request.param, str(tmp_path / "test.db"))


@pytest.fixture(params=support.backends(is_async=False))
def sync_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    require_server(request.param)
    return support.url_for(request.param, str(tmp_path / "test.db"))


@pytest.fixture
def sync_db(sync_url: str) -> Iterator[twinsql.Database]:
    with twinsql.connect(sync_url, pool_size=2, max_overflow=0) as db:
        db.execute_non_query("DROP TABLE IF EXISTS commit_outcome")
        db.execute_non_query("CREATE TABLE commit_outcome (n INTEGER)")
        yield db


async def fresh(url: str) -> twinsql.AsyncDatabase:
    db = twinsql.connect_async(url, pool_size=2, max_overflow=0)
    await db.execute_non_query("DROP TABLE IF EXISTS commit_outcome")
    await db.execute_non_query("CREATE TABLE commit_outcome (n INTEGER)")
    return db


async def test_run_in_transaction_does_not_retry_a_cancelled_commit(async_url: str) -> None:
    db = await fresh(async_url)
    calls: list[int] = []

    async def work(conn: twinsql.AsyncConnection) -> None:
        calls.append(1)
        await conn.execute_non_query("INSERT INTO commit_outcome (n) VALUES (?)", (1,))

    try:
        with interrupt_at(checkpoints.COMMIT, cancel_current) as fired:
            task = asyncio.create_task(twinsql.run_in_transaction_async(work, db))
            with pytest.raises(asyncio.CancelledError):
                await task
        assert fired == [checkpoints.COMMIT] and calls == [1]
        assert db.pool_stats().checked_out == 0
    finally:
        await db.close()


async def test_batcher_marks_a_cancelled_commit_unknown(async_url: str) -> None:
    db = await fresh(async_url)
    try:
        batcher = twinsql.AsyncSQLBatcher(db)
        statements = [("INSERT INTO commit_outcome (n) VALUES (?)", (i,)) for i in range(10)]
        with interrupt_at(checkpoints.COMMIT, cancel_current) as fired:
            task = asyncio.create_task(batcher.process_statements(statements))
            with pytest.raises(asyncio.CancelledError):
                await task
        assert fired == [checkpoints.COMMIT]
        report = batcher.report
        assert report.unknown == 10 and report.applied == 0 and report.retries == 0
        assert db.pool_stats().checked_out == 0
    finally:
        await db.close()


def test_sync_run_in_transaction_does_not_retry_an_interrupted_commit(
    sync_db: twinsql.Database,
) -> None:
    calls: list[int] = []

    def work(conn: twinsql.Connection) -> None:
        calls.append(1)
        conn.execute_non_query("INSERT INTO commit_outcome (n) VALUES (?)", (1,))

    with interrupt_at(checkpoints.COMMIT, raise_interrupted) as fired, pytest.raises(Interrupted):
        twinsql.run_in_transaction(work, sync_db)
    assert fired == [checkpoints.COMMIT] and calls == [1]
    assert sync_db.pool_stats().checked_out == 0


def test_sync_batcher_marks_an_interrupted_commit_unknown(sync_db: twinsql.Database) -> None:
    batcher = twinsql.SQLBatcher(sync_db)
    statements = [("INSERT INTO commit_outcome (n) VALUES (?)", (i,)) for i in range(10)]
    with interrupt_at(checkpoints.COMMIT, raise_interrupted) as fired, pytest.raises(Interrupted):
        batcher.process_statements(statements)
    assert fired == [checkpoints.COMMIT]
    report = batcher.report
    assert report.unknown == 10 and report.applied == 0 and report.retries == 0
    assert sync_db.pool_stats().checked_out == 0
