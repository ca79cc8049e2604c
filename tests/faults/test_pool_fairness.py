"""The sync pool under threads: FIFO fairness and a race-free checkout and return.

Sixteen threads share four connections. A fair pool serves them in turn: over a soak every
thread gets about as many calls as any other, and on a healthy pool nobody waits long enough
to time out. Under a one-microsecond switch interval (every bytecode a possible thread
switch, as on free-threaded CPython) checkout and return must never corrupt the pool.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import twinsql
from tests import support
from tests.conftest import require_server

THREADS = 16
POOL_SIZE = 4


@pytest.fixture(params=support.backends(is_async=False))
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    require_server(request.param)
    return support.url_for(request.param, str(tmp_path / "test.db"))


@pytest.fixture
def db(url: str) -> Iterator[twinsql.Database]:
    database = twinsql.connect(url, pool_size=POOL_SIZE, max_overflow=0, pool_timeout=5)
    try:
        yield database
    finally:
        database.close()


def hammer(db: twinsql.Database, seconds: float) -> tuple[list[int], list[BaseException]]:
    """Every thread runs one-statement calls until ``seconds`` pass; the calls per thread
    and every error raised."""
    calls = [0] * THREADS
    failures: list[BaseException] = []
    start = threading.Barrier(THREADS)
    stop_at = [0.0]

    def work(index: int) -> None:
        start.wait()
        if index == 0:
            stop_at[0] = time.monotonic() + seconds
        while stop_at[0] == 0.0:
            time.sleep(0)
        while time.monotonic() < stop_at[0]:
            try:
                assert db.execute_scalar("SELECT ?", (index,)) == index
            except BaseException as exc:
                failures.append(exc)
                return
            calls[index] += 1

    threads = [threading.Thread(target=work, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return calls, failures


def test_sixteen_threads_are_served_in_turn(db: twinsql.Database) -> None:
    calls, failures = hammer(db, 3.0)
    assert failures == []
    assert min(calls) > 0, calls
    assert max(calls) / min(calls) <= 1.5, calls
    stats = db.pool_stats()
    assert stats.timeouts == 0 and stats.checked_out == 0, stats
    assert stats.idle <= POOL_SIZE, stats


def test_no_error_under_a_one_microsecond_switch_interval(db: twinsql.Database) -> None:
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        calls, failures = hammer(db, 2.0)
    finally:
        sys.setswitchinterval(previous)
    assert failures == []
    assert min(calls) > 0, calls
    stats = db.pool_stats()
    assert stats.checked_out == 0 and stats.waiting == 0 and stats.timeouts == 0, stats
    assert stats.idle <= POOL_SIZE, stats
    # Every connection left in the pool still answers its own query.
    assert [db.execute_scalar("SELECT ?", (i,)) for i in range(8)] == list(range(8))
