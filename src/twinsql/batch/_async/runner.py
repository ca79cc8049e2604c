# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""Batch feature, I/O: running planned batches on one session, and keeping the ledger exact.

The runner's ``run_session`` drains the batcher's queue on one session (one pinned
connection) until it is empty or something stops it. What happens to each statement:

* ``transaction="per_batch"``: each batch is BEGIN … COMMIT. Its statements become
  ``applied`` only when COMMIT is acknowledged. A permanent error (constraint, bad value, bad
  SQL) rolls the batch back: the failing statement is ``rejected``, the others stay
  ``pending`` and the run stops. With ``isolate_errors`` every unit runs under a savepoint:
  a failing statement is rolled back to it and rejected, and the batch goes on.
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
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from twinsql import errors
from twinsql.batch._async.adapters import AsyncBatchSession
from twinsql.batch._async.collector import AsyncQueryCollector
from twinsql.batch.ledger import Ledger, LedgerCounts, Outcome, StatementState
from twinsql.batch.plan import Batch, Limits, PlanOptions, Unit, plan_batch, values_units
from twinsql.batch.queue import Queued, StatementQueue
from twinsql.batch.resilience import is_statement_error
from twinsql.drivers.base import CopyUnsupported

__all__ = ["AsyncBatchRunner", "Stop", "UnknownOutcome"]


class Stop(Exception):
    """The run stopped on ``error`` (a statement's permanent error, or a refusal); the
    ledger is already up to date. Internal: the batcher raises ``error`` itself."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = error


class UnknownOutcome(Exception):
    """Statements whose outcome is unknown (held aside in ``items``); ``error`` is the
    ``CommitOutcomeUnknown`` to raise if nothing reconciles them."""

    def __init__(self, items: list[Queued], error: errors.Error) -> None:
        super().__init__(str(error))
        self.items = items
        self.error = error


class _Failed(Exception):
    """A statement failed permanently in stop mode (inside a transaction, before rollback)."""

    def __init__(self, index: int, error: BaseException, removed: bool = False) -> None:
        super().__init__(str(error))
        self.index = index
        self.error = error
        self.removed = removed


class AsyncBatchRunner:
    """Runs batches for one batcher; see the module docstring."""

    def __init__(
        self,
        *,
        ledger: Ledger,
        queue: StatementQueue,
        mode: str,
        isolate: bool,
        options: Callable[[AsyncBatchSession | None], tuple[Limits, PlanOptions]],
        collector: AsyncQueryCollector | None,
        metadata: dict[str, Any] | None,
        attempt: int,
        batch_number: int,
        results: dict[int, Any] | None,
        on_commit: Callable[[], None],
        progress: Callable[[LedgerCounts], None] | None,
        copy_refused: set[str],
        keep_below: int = 0,
    ) -> None:
        self.ledger = ledger
        self.queue = queue
        self.mode = mode
        self.isolate = isolate
        self._options = options
        self.collector = collector
        self.metadata = metadata
        self.attempt = attempt
        self.batches = batch_number  # batches started so far (numbering for collectors)
        self.results = results
        self._on_commit = on_commit
        self._progress = progress
        # Stop once the queue holds less than this (a partial batch waits for more).
        self.keep_below = keep_below
        # The batcher's statement texts whose COPY its server refused: the same set the
        # batcher hands the planner as PlanOptions.copy_refused.
        self._copy_refused = copy_refused
        self._limits: Limits | None = None
        self._plan: PlanOptions | None = None

    # -- the loop -----------------------------------------------------------------------

    async def run_session(self, session: AsyncBatchSession) -> None:
        self._limits, self._plan = self._options(session)
        if self.mode == "whole":
            await self._whole(session)
            return
        while self.queue and self.queue.size >= self.keep_below:
            try:
                batch = self._next(0)
                if batch is None:
                    continue  # a statement was refused before sending; go on
                if not batch.units:
                    return
                self.batches += 1
                observer = session.observer
                if observer is not None:
                    attributes = {"twinsql.batch.number": self.batches,
                                  "twinsql.batch.statements": batch.count}  # fmt: skip
                    with observer.operation("batch", "batch", attributes):
                        await self._send(session, batch)
                else:
                    await self._send(session, batch)
            except _Failed as failed:
                raise self._stop(failed) from None
            self._on_commit()

    async def _send(self, session: AsyncBatchSession, batch: Batch) -> None:
        if batch.autocommit or self.mode == "none":
            for unit in batch.units:
                await self._unit(session, unit, Outcome(), transactional=False)
        else:
            await self._transaction(session, batch)

    async def dry_run(self) -> None:
        """Plan every queued statement and collect what would be sent; nothing runs and
        every statement stays pending."""
        self._limits, self._plan = self._options(None)
        while self.queue and self.queue.size >= self.keep_below:
            try:
                batch = self._next(0)
            except _Failed:
                continue  # refused and recorded; a dry run plans the rest anyway
            if batch is None:
                continue
            if not batch.units:
                return
            self.batches += 1
            for unit in batch.units:
                await self._collect(unit, dry_run=True)
            self.queue.pop_front(batch.count)

    # -- planning -----------------------------------------------------------------------

    def _next(self, skip: int) -> Batch | None:
        """The next batch; None after refusing a statement that alone breaks a limit."""
        assert self._limits is not None and self._plan is not None
        batch = plan_batch(self.queue, skip, self._limits, self._plan)
        if batch.reject is None:
            return batch
        index, error = batch.reject
        sql, params = self.queue.remove(index)
        self.ledger.mark(index, StatementState.REJECTED, sql=sql, params=params, error=error)
        if self.results is not None:
            self.results[index] = error
        self._report_progress()
        if not self.isolate:
            raise _Failed(index, error, removed=True)
        return None

    # -- transactions -------------------------------------------------------------------

    async def _transaction(self, session: AsyncBatchSession, batch: Batch) -> None:
        outcome = Outcome(results=self.results is not None)
        await session.begin()
        try:
            for unit in batch.units:
                await self._unit(session, unit, outcome, transactional=True)
        except _Failed as failed:
            await session.rollback_all()
            raise self._stop(failed) from None
        except Exception:
            await session.rollback_all()
            raise
        await self._commit(session, outcome, batch.count)

    async def _whole(self, session: AsyncBatchSession) -> None:
        outcome = Outcome(results=self.results is not None)
        ran = 0
        await session.begin()
        try:
            while True:
                batch = self._next(ran)
                if batch is None:
                    continue
                if not batch.units:
                    break
                if batch.autocommit:
                    unit = batch.units[0]
                    shape, _, params = unit.statement(unit.lo)
                    raise _Failed(unit.first, errors.ArgumentError(
                        "this statement runs only outside a transaction (it commits "
                        "implicitly on MySQL; a SQLite PRAGMA), so it cannot run inside "
                        "transaction='whole'; run it separately",
                        sql=shape.sql, params=params,
                    ))  # fmt: skip
                self.batches += 1
                for unit in batch.units:
                    await self._unit(session, unit, outcome, transactional=True)
                ran += batch.count
        except _Failed as failed:
            await session.rollback_all()
            raise self._stop(failed) from None
        except Exception:
            await session.rollback_all()
            raise
        if ran:
            await self._commit(session, outcome, ran)
        else:
            await session.rollback_all()

    async def _commit(self, session: AsyncBatchSession, outcome: Outcome, count: int) -> None:
        try:
            await session.commit()
        except errors.CommitOutcomeUnknown as exc:
            raise self._unknown(outcome, count, exc) from None
        except errors.Error:
            raise  # the transaction did not commit: its statements stay pending
        except BaseException as exc:
            # Interrupted while COMMIT was on its way: it may or may not have committed.
            self._unknown(outcome, count, _unknown_error(exc, "COMMIT"))
            raise
        outcome.settle(self.ledger)
        self.queue.pop_front(count)
        if self.results is not None and outcome.results:
            self.results.update(outcome.results)
        self._report_progress()

    def _unknown(self, outcome: Outcome, count: int, error: errors.Error) -> UnknownOutcome:
        """The batch's COMMIT has an unknown outcome: statements rejected inside it stay
        rejected (rolled back to their savepoints either way); the rest become unknown and
        are held aside for reconciliation."""
        rejected = {index for index, _, _, _ in outcome.rejected}
        items = self.queue.take_front(count)
        for index, failure, sql, params in outcome.rejected:
            self.ledger.mark(index, StatementState.REJECTED, sql=sql, params=params, error=failure)
        held = [item for item in items if item.number not in rejected]
        for item in held:
            self.ledger.mark(item.number, StatementState.UNKNOWN, sql=item.shape.sql,
                             params=item.params, error=error)  # fmt: skip
        self._report_progress()
        return UnknownOutcome(held, error)

    def _stop(self, failed: _Failed) -> Stop:
        if not failed.removed:
            sql, params = self.queue.remove(failed.index)
            self.ledger.mark(failed.index, StatementState.REJECTED, sql=sql, params=params,
                             error=failed.error)  # fmt: skip
            if self.results is not None:
                self.results[failed.index] = failed.error
            self._report_progress()
        return Stop(failed.error)

    # -- units --------------------------------------------------------------------------

    async def _unit(
        self, session: AsyncBatchSession, unit: Unit, outcome: Outcome, *, transactional: bool
    ) -> None:
        if not transactional and unit.run.shape_at(unit.lo).parts is not None:
            # Several statements in one entry: atomic even in autocommit mode.
            await self._atomic(session, unit)
            return
        guarded = transactional and (self.isolate or unit.count > 1)
        if guarded:
            await session.begin()  # a savepoint
        await self._collect(unit)
        try:
            result = await session.run(unit)
        except CopyUnsupported:
            # Nothing of the unit happened; this batcher uses multi-row INSERTs for this
            # statement from now on.
            self._copy_refused.add(unit.run.shape.sql)
            if guarded:
                await session.rollback()
            await self._replace(session, unit, outcome, transactional)
            return
        except errors.Error as exc:
            if not is_statement_error(exc):
                unknown = None if transactional else self._autocommit_failure(unit, exc)
                if unknown is not None:
                    raise unknown from exc
                raise
            if guarded:
                await session.rollback()
            if unit.count > 1:
                await self._split(session, unit, outcome, transactional)
                return
            shape, _, params = unit.statement(unit.lo)
            if not self.isolate:
                raise _Failed(unit.first, exc) from None
            if transactional:
                outcome.reject(unit.first, exc, shape.sql, params)
            else:
                self._settle_now(unit, outcome, exc=exc)
            return
        except BaseException as exc:
            if not transactional:
                self._autocommit_failure(unit, exc)
            raise
        if guarded:
            await session.commit()  # RELEASE SAVEPOINT
        if transactional:
            outcome.ran(unit.first, unit.first + unit.count, result)
        else:
            self._settle_now(unit, outcome, result=result)

    async def _atomic(self, session: AsyncBatchSession, unit: Unit) -> None:
        outcome = Outcome(results=self.results is not None)
        await session.begin()
        try:
            await self._unit(session, unit, outcome, transactional=True)
        except Exception:
            await session.rollback_all()
            raise
        await self._commit(session, outcome, unit.count)

    async def _split(
        self, session: AsyncBatchSession, unit: Unit, outcome: Outcome, transactional: bool
    ) -> None:
        """Run a failed multi-statement unit again, one statement per round trip."""
        for offset in range(unit.lo, unit.hi):
            shape, bound, _ = unit.statement(offset)
            single = Unit("single", unit.run, offset, offset + 1, shape.compiled.text, bound)
            await self._unit(session, single, outcome, transactional=transactional)

    async def _replace(
        self, session: AsyncBatchSession, unit: Unit, outcome: Outcome, transactional: bool
    ) -> None:
        """Run a COPY unit the driver could not take as multi-row INSERTs instead."""
        assert self._limits is not None and self._plan is not None
        template = unit.run.shape.template
        assert template is not None
        for part in values_units(unit.run, unit.lo, unit.hi, template, self._limits,
                                 self._plan.style):  # fmt: skip
            await self._unit(session, part, outcome, transactional=transactional)

    def _settle_now(
        self, unit: Unit, outcome: Outcome, *, result: Any = None, exc: BaseException | None = None
    ) -> None:
        """Autocommit: the unit's outcome is final as soon as it returns."""
        first = unit.first
        if exc is None:
            self.ledger.applied_range(first, first + unit.count)
            if self.results is not None and unit.count == 1:
                self.results[first] = result
        else:
            shape, _, params = unit.statement(unit.lo)
            self.ledger.mark(first, StatementState.REJECTED, sql=shape.sql, params=params,
                             error=exc)  # fmt: skip
            if self.results is not None:
                self.results[first] = exc
        self.queue.pop_front(unit.count)
        self._report_progress()

    def _autocommit_failure(self, unit: Unit, exc: BaseException) -> UnknownOutcome | None:
        """An autocommit unit failed for a reason not its own. A broken connection (or an
        interruption) mid-statement leaves its outcome unknown: its statements are held
        aside as unknown and the ``UnknownOutcome`` to raise is returned. A deadlock, a
        serialization failure or a refusal means it did not run: pending (None)."""
        if isinstance(exc, errors.Error) and not isinstance(
            exc, (errors.ConnectionLost, errors.CommitOutcomeUnknown)
        ):
            return None
        return self._unknown(Outcome(), unit.count, _unknown_error(exc, "an autocommit statement"))

    # -- reporting ----------------------------------------------------------------------

    async def _collect(self, unit: Unit, *, dry_run: bool = False) -> None:
        if self.collector is None:
            return
        metadata: dict[str, Any] = {
            "batch": self.batches,
            "kind": unit.kind,
            "indices": (unit.first, unit.first + unit.count - 1),
            "statements": unit.count,
            "params": unit.params,
            "attempt": self.attempt,
            "dry_run": dry_run,
        }
        if self.metadata:
            metadata.update(self.metadata)
        await self.collector.collect(unit.sql, metadata)

    def _report_progress(self) -> None:
        if self._progress is not None:
            self._progress(self.ledger.counts())


def _unknown_error(exc: BaseException, what: str) -> errors.CommitOutcomeUnknown:
    if isinstance(exc, errors.CommitOutcomeUnknown):
        return exc
    message = (
        f"{what} was interrupted ({type(exc).__name__}) after it was sent: it may or may not "
        "have been applied"
    )
    driver = exc.driver_error if isinstance(exc, errors.Error) else exc
    return errors.CommitOutcomeUnknown(message, driver_error=driver)
