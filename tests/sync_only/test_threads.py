"""The sync API under threads (no async twin: tasks are tested in tests/async_only)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import twinsql
from tests import support
from tests.conftest import require_server


@pytest.fixture(params=support.backends(is_async=False))
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    require_server(request.param)
    return support.url_for(request.param, str(tmp_path / "test.db"))


@pytest.fixture
def db(url: str) -> Iterator[twinsql.Database]:
    database = twinsql.connect(url, pool_size=2, max_overflow=1, pool_timeout=20)
    try:
        yield database
    finally:
        database.close()


def test_many_threads_share_a_small_pool(db: twinsql.Database) -> None:
    def work(i: int) -> int:
        return int(db.execute_scalar("SELECT ? + 0", (i,)))

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(work, range(400)))
    assert results == list(range(400))
    stats = db.pool_stats()
    assert stats.checked_out == 0 and stats.size <= 3, stats


def test_one_connection_used_by_two_threads_is_refused(db: twinsql.Database) -> None:
    slow = f"SELECT COUNT(*) FROM ({support.series_sql(db.dialect.name)}) AS s"
    started = threading.Event()
    outcome: list[object] = []
    with db.connection() as conn:
        guard = conn._guard  # hold the connection as if a statement were running
        assert guard.enter()
        started.set()

        def intruder() -> None:
            try:
                conn.execute_scalar(slow, (10,))
            except twinsql.ConcurrentUseError as exc:
                outcome.append(exc)

        thread = threading.Thread(target=intruder)
        thread.start()
        thread.join()
        guard.exit()
        assert len(outcome) == 1 and isinstance(outcome[0], twinsql.ConcurrentUseError)
        assert conn.execute_scalar(slow, (10,)) == 10


def test_transactions_in_threads_are_isolated(db: twinsql.Database) -> None:
    db.execute_non_query("DROP TABLE IF EXISTS thread_txn")
    db.execute_non_query("CREATE TABLE thread_txn (n INTEGER)")

    def work(i: int) -> None:
        with db.transaction() as conn:
            conn.execute_non_query("INSERT INTO thread_txn (n) VALUES (?)", (i,))
            # The database's methods in this thread use this thread's transaction.
            assert db.execute_scalar("SELECT COUNT(*) FROM thread_txn WHERE n = ?", (i,)) == 1

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(work, range(40)))
    assert db.execute_scalar("SELECT COUNT(*) FROM thread_txn") == 40
