# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""Batch feature, I/O: running planned batches on one session, and keeping the ledger exact.

The runner's ``run_session`` drains the batcher's queue on one session (one pinned
connection) until it is empty or something stops it. It is a short loop: the batch engine
(``twinsql.batch.engine``, pure) decides every step and every ledger transition; the runner
performs the steps on the session and feeds their outcomes back. What happens to each
statement:

* ``transaction="per_batch"``: each batch is BEGIN … COMMIT. Its statements become
  ``applied`` only when COMMIT is acknowledged. A permanent error (constraint, bad value, bad
  SQL, a limit the statement breaks) rolls the batch back: the failing statement is
  ``rejected``, the others stay ``pending`` and the run stops. With ``isolate_errors`` every
  unit runs under a savepoint: a failing statement is rolled back to it and rejected, and
  the batch goes on.
* ``transaction="whole"``: one transaction for the whole flush, the same rules.
* ``transaction="none"``: every unit commits by itself (autocommit); a failing statement is
  rejected and the run stops (or goes on, with ``isolate_errors``).

A multi-statement unit (a multi-row INSERT, a COPY, an ``executemany``) runs under a
savepoint; when it fails with a statement error, it is rolled back to that savepoint and its
statements are run one by one, so the error lands on the statement that caused it (and a
merge the server did not accept — rows of different widths, a view that takes no COPY —
costs time, not correctness).

Errors that are not the statement's (a broken connection, a deadlock, a lock timeout) fail
the batch: it is rolled back (or the broken connection is dropped, and the server rolls
back), its statements stay pending, and the error goes to the batcher, which retries or
stops. When COMMIT was sent and its reply lost (or the task was cancelled during it), the
batch's statements become ``unknown``; so does an autocommit unit interrupted mid-flight.

Before anything else on a connection that lacks them, the session statements the batcher
has applied (``SET``, ``USE`` …) run again (``batch.session``); after one runs, the session
is read again (MySQL's ``sql_mode``) and what follows is planned with it.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from twinsql.batch._async.adapters import AsyncBatchSession
from twinsql.batch._async.collector import AsyncQueryCollector
from twinsql.batch.engine import (
    Action,
    BatchEngine,
    Begin,
    Cancelled,
    Collect,
    Commit,
    CopyRefused,
    Done,
    EngineSettings,
    Failed,
    Ok,
    Refresh,
    Replay,
    Rollback,
    RollbackAll,
    Run,
    Stop,
    UnknownOutcome,
)
from twinsql.batch.plan import Limits, PlanOptions
from twinsql.connection.observe import Observer
from twinsql.drivers.base import CopyUnsupported

__all__ = ["AsyncBatchRunner", "Stop", "UnknownOutcome"]


class AsyncBatchRunner:
    """Runs batches for one batcher; see the module docstring."""

    def __init__(
        self,
        settings: EngineSettings,
        *,
        options: Callable[[AsyncBatchSession | None], tuple[Limits, PlanOptions]],
        collector: AsyncQueryCollector | None,
        batch_number: int,
    ) -> None:
        self.collector = collector
        self._options = options
        self._settings = settings
        self.batches = batch_number  # batches started so far (numbering for collectors)

    async def run_session(self, session: AsyncBatchSession) -> None:
        engine = self._engine(lambda: self._options(session))
        spans = _BatchSpans(session.observer)
        try:
            action = engine.start(session.key)
            while not isinstance(action, Done):
                spans.follow(engine.batches, engine.batch_statements)
                try:
                    value = await self._perform(session, action)
                except CopyUnsupported:
                    action = engine.send(Failed(CopyRefused()))
                except Exception as exc:
                    action = engine.send(Failed(exc, session.broken))
                except BaseException as exc:
                    action = engine.send(Cancelled(exc))
                else:
                    action = engine.send(Ok(value))
        finally:
            spans.close()
            self.batches = engine.batches

    async def dry_run(self) -> None:
        """Plan every queued statement and collect what would be sent; nothing runs and
        every statement stays pending."""
        engine = self._engine(lambda: self._options(None))
        try:
            action = engine.start_dry_run()
            while isinstance(action, Collect):
                await self._collect(action)
                action = engine.send(Ok())
        finally:
            self.batches = engine.batches

    def _engine(self, options: Callable[[], tuple[Limits, PlanOptions]]) -> BatchEngine:
        return BatchEngine(self._settings, options=options, collect=self.collector is not None,
                           batch_number=self.batches)  # fmt: skip

    async def _perform(self, session: AsyncBatchSession, action: Action) -> Any:
        """Do what the engine asked; its result (a unit's rows or count) or its error."""
        if isinstance(action, Run):
            return await session.run(action.unit)
        if isinstance(action, Begin):
            return await session.begin()
        if isinstance(action, Commit):
            return await session.commit()
        if isinstance(action, Rollback):
            return await session.rollback()
        if isinstance(action, RollbackAll):
            return await session.rollback_all()
        if isinstance(action, Collect):
            return await self._collect(action)
        if isinstance(action, Replay):
            return await session.replay(action.shape, action.bound, action.params)
        assert isinstance(action, Refresh), action
        return await session.refresh(mode=action.mode, tables=action.tables, names=action.names)

    async def _collect(self, action: Collect) -> None:
        if self.collector is not None:
            await self.collector.collect(action.unit.sql, action.metadata)


class _BatchSpans:
    """One observed operation per batch: opened when the engine starts a batch, closed when
    the next one starts or the session's work ends (its statements and its COMMIT inside)."""

    def __init__(self, observer: Observer | None) -> None:
        self._observer = observer
        self._number = -1
        self._open: AbstractContextManager[Any] | None = None

    def follow(self, number: int, statements: int) -> None:
        if self._observer is None or number == self._number:
            return
        self.close()
        self._number = number
        attributes = {"twinsql.batch.number": number, "twinsql.batch.statements": statements}
        self._open = self._observer.operation("batch", "batch", attributes)
        self._open.__enter__()

    def close(self) -> None:
        if self._open is not None:
            opened, self._open = self._open, None
            opened.__exit__(None, None, None)
