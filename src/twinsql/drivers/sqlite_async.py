"""Driver layer: async SQLite without a thread hop per call.

SQLite runs in-process, so "async" only has to mean "does not stall the event loop for
long". A thread hop per call (aiosqlite's design) costs ~65 µs on our machines against ~3 µs
for a point query, so this adapter does what was measured to be ~1.1× the sync driver:

* A **read** (``sql.readonly.is_read_only``) runs inline on the event loop under a time budget
  (``INLINE_BUDGET``). sqlite3's progress handler interrupts it past the budget, and the
  statement is re-run from the start on this connection's own worker thread, where it may
  take as long as it needs while the loop serves other tasks. Re-running a read is harmless.
  A read that ran past the budget twice in a row is remembered and goes straight to the
  worker thread from then on (once is not enough: a point read pre-empted by the operating
  system on a busy machine overruns once and would otherwise pay a thread hop forever).
  The memory belongs to the driver, of which each database has its own: one database's slow
  reads never change how another runs its statements.
* A **write** is never re-run after a partial execution (an interrupted write inside a
  transaction rolls the whole transaction back). Single writes run inline: an index update
  is microseconds, and a hop would multiply its cost twentyfold. ``execute_many`` runs on
  the worker thread: a bulk load is where a write takes long enough to matter to other
  tasks, and the one hop is spread over all its rows.
* Inline statements never suspend, so a task running them back to back would keep every
  other task of the loop waiting, and a cancellation (delivered only at a suspension) would
  never take effect. Before an inline statement the task therefore yields to the loop
  (``asyncio.sleep(0)``) when ``YIELD_EVERY`` statements have run inline since the task
  last suspended, or when the previous statement started more than ``YIELD_AFTER`` after
  that. The clock read is the one that armed the previous statement's deadlines, so the
  check costs a counter and a comparison. Yielding before a statement, never after it,
  means a cancellation delivered there finds the statement not yet run.
* Operations on one connection stay strictly ordered: a worker operation that is still
  running (its awaiting task was cancelled) is waited for before the next one starts.
* When the awaiting task is cancelled during a worker operation, ``interrupt()`` stops the
  statement, so a cancelled long scan does not keep the connection or the thread busy.
* Locks are never waited for on the loop: the connection has no busy timeout, and a
  statement refused with SQLITE_BUSY (which did not run at all, so re-running it is safe) is
  retried on the worker thread for up to ``busy_timeout``. Waiting inline would freeze the
  very loop on which the lock holder must run to commit.
"""

from __future__ import annotations

import asyncio
import functools
import sqlite3
import time
from collections.abc import AsyncGenerator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from twinsql.connection.url import DatabaseURL
from twinsql.drivers.base import ConnectOptions, DriverResult, ErrorInfo, Rows
from twinsql.drivers.sqlite import (
    BudgetExceeded,
    SqliteConnection,
    SqliteTraits,
    busy_timeout_ms,
    is_busy,
    open_sqlite,
)
from twinsql.sql.dialects import SQLITE
from twinsql.sql.readonly import is_read_only

__all__ = [
    "INLINE_BUDGET",
    "YIELD_AFTER",
    "YIELD_EVERY",
    "AsyncSqliteConnection",
    "AsyncSqliteDriver",
]

T = TypeVar("T")

# Half a millisecond on the loop is the longest a read may hold up other tasks.
INLINE_BUDGET = 0.0005
# A task that runs statements inline lets the loop run other tasks after at most this much
# time (seconds) or this many statements, whichever comes first. A yield costs about as much
# as one point query, so the count keeps its cost around 1% for the fastest statements and
# bounds how many statements a cancelled task still runs, whatever the clock says.
YIELD_AFTER = 0.001
YIELD_EVERY = 64


@functools.lru_cache(maxsize=2048)
def _is_read(sql: str) -> bool:
    return is_read_only(sql, SQLITE.lexer)


# How many long reads a database remembers; past it, the oldest is forgotten.
_LONG_READS_MAX = 1024
# Consecutive overruns of the inline budget after which a read runs on the worker thread.
LONG_AFTER = 2


def _remember_long(long_reads: dict[str, int], sql: str) -> None:
    if sql not in long_reads and len(long_reads) >= _LONG_READS_MAX:
        long_reads.pop(next(iter(long_reads)))
    long_reads[sql] = long_reads.get(sql, 0) + 1


class AsyncSqliteConnection(SqliteTraits):
    """An ``SqliteConnection`` driven from the event loop (see the module docstring).
    ``long_reads``: the reads that ran past the inline budget and how many times in a row,
    shared by the connections of one database (its driver's), in the order they were found."""

    clean_after_interrupt = True

    def __init__(
        self, sync: SqliteConnection, busy_ms: int, long_reads: dict[str, int] | None = None
    ) -> None:
        self._sync = sync
        self._busy_ms = busy_ms
        self.long_reads: dict[str, int] = {} if long_reads is None else long_reads
        self.max_params = sync.max_params
        self._executor: ThreadPoolExecutor | None = None
        # A worker operation whose awaiting task was cancelled; the next operation waits for it.
        self._unfinished: asyncio.Future[Any] | None = None
        sync.install_progress_handler()
        self._resumed()

    @property
    def in_transaction(self) -> bool:
        return self._sync.in_transaction

    @property
    def closed(self) -> bool:
        return self._sync.closed

    async def execute(self, sql: str, params: Sequence[Any]) -> DriverResult:
        self._inline_count += 1
        if self._inline_count > YIELD_EVERY or self._sync.started_at > self._yield_at:
            await asyncio.sleep(0)  # let the other tasks run (see the module docstring)
            self._resumed()
        await self._settle()
        try:
            if not _is_read(sql):
                return self._sync.execute(sql, params)
            overruns = self.long_reads.get(sql)
            if overruns is not None and overruns >= LONG_AFTER:
                return await self._on_worker(self._sync.execute, sql, params)
            try:
                result = self._sync.execute(sql, params, budget=INLINE_BUDGET)
                if overruns is not None:
                    del self.long_reads[sql]  # it fit this time: the overrun was not the read's
                return result
            except BudgetExceeded:
                _remember_long(self.long_reads, sql)
                return await self._on_worker(self._sync.execute, sql, params)
        except sqlite3.OperationalError as exc:
            if not is_busy(exc):
                raise
        return await self._on_worker(self._sync.execute_waiting, sql, params, self._busy_ms)

    async def execute_many(self, sql: str, seq_of_params: Rows) -> int:
        # On the worker: a bulk write can be long, and it may have to wait for a lock.
        await self._settle()
        return await self._on_worker(
            self._sync.execute_many_waiting, sql, seq_of_params, self._busy_ms
        )

    async def stream(
        self, sql: str, params: Sequence[Any], chunk_size: int
    ) -> AsyncGenerator[DriverResult, None]:
        await self._settle()
        chunks = self._sync.stream(sql, params, chunk_size)
        try:
            while True:
                # Each chunk is fetched on the worker: a chunk of a big scan can take long,
                # and one hop per chunk is amortised over chunk_size rows.
                chunk = await self._on_worker(next, chunks, None)
                if chunk is None:
                    return
                yield chunk
        finally:
            await self._settle()
            chunks.close()

    async def ping(self) -> None:
        await self._settle()
        self._sync.ping()

    async def close(self) -> None:
        await self._settle()
        self.terminate()

    def abort(self) -> None:
        self._sync.interrupt()

    def terminate(self) -> None:
        if self._unfinished is not None and not self._unfinished.done():
            self._sync.interrupt()
        if self._executor is not None:
            self._executor.shutdown(wait=False)
            self._executor = None
        if self._unfinished is None or self._unfinished.done():
            self._sync.close()
        else:
            # The worker still holds the connection: close it once the interrupted call ends.
            self._unfinished.add_done_callback(lambda _f: self._sync.close())

    def classify_error(self, exc: BaseException) -> ErrorInfo | None:
        return self._sync.classify_error(exc)

    def _resumed(self) -> None:
        """The task has just let the loop run: a new run of inline work starts."""
        self._inline_count = 0
        self._yield_at = time.perf_counter() + YIELD_AFTER

    async def _on_worker(self, fn: Callable[..., T], *args: Any) -> T:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="twinsql-sqlite")
        future = asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            if not future.done():
                self._sync.interrupt()
                self._unfinished = future
                future.add_done_callback(_retrieve)  # whoever settles it, or nobody
            raise
        finally:
            self._resumed()  # the task was suspended while the worker ran

    async def _settle(self) -> None:
        """Wait for a cancelled worker operation to finish (ordering), ignoring its outcome."""
        unfinished = self._unfinished
        if unfinished is not None:
            if not unfinished.done():
                # Cleared only once it is done: a caller cancelled while waiting here leaves it
                # recorded, so the next statement waits for it too instead of running beside it.
                await asyncio.wait([unfinished])
            self._unfinished = None
            if not unfinished.cancelled():
                unfinished.exception()  # consumed: it was reported to the cancelled caller


def _retrieve(future: asyncio.Future[Any]) -> None:
    """Mark the outcome of an abandoned worker call seen: it was reported to the cancelled
    caller, and asyncio would otherwise log it as never retrieved if the connection is
    terminated before anything waits for it."""
    if not future.cancelled():
        future.exception()


class AsyncSqliteDriver(SqliteTraits):
    """Opens ``AsyncSqliteConnection``s for ``sqlite://`` URLs; its connections share one
    memory of long reads (a database has a driver of its own, so this is per database)."""

    name = "sqlite3"

    def __init__(self) -> None:
        self._long_reads: dict[str, int] = {}

    async def connect(self, url: DatabaseURL, options: ConnectOptions) -> AsyncSqliteConnection:
        # Opening a file is a few syscalls; doing it inline keeps connect free of a hop.
        raw = open_sqlite(url, options, wait_for_locks=False)
        return AsyncSqliteConnection(
            SqliteConnection(raw, options.statement_timeout),
            busy_timeout_ms(options),
            self._long_reads,
        )
