"""Batch feature, pure: the batch engine — what the runner does next, decided from what
happened.

The engine owns every decision of a flush attempt on one session: which batch comes next
(``plan``), the transactions and savepoints around it, what becomes of each statement when
a step succeeds or fails (every ledger transition), when a failed merged unit is re-run row
by row, when COPY gives way to multi-row INSERTs, when an outcome is unknown, and which
session statements are replayed on a connection. It performs no I/O: it hands out
*actions* and is fed their *outcomes*, so "what happens to statement k if X fails at step
Y" is answered here and tested with scripted outcomes, without a database.

Actions (what to do next): ``Replay`` (a session statement on a new connection),
``Refresh`` (read the session's planning state again), ``Begin`` (the transaction, or a
savepoint inside it), ``Collect`` (hand a unit to the query collector), ``Run(unit)``,
``Commit`` (COMMIT, or RELEASE of the innermost savepoint), ``Rollback`` (the innermost
level), ``RollbackAll`` (never fails), and ``Done``.

Outcomes: ``Ok(value)``, ``Failed(error, broken)`` (the error the action raised; ``broken``:
the connection is unusable since), ``Cancelled(exc)`` (the task was interrupted during the
action). A ``CommitOutcomeUnknown`` from ``Commit`` is a ``Failed`` like any other: the
engine knows what it means there. ``send`` returns the next action, or raises what ends the
attempt: ``Stop`` (a statement's permanent error stopped the run; the ledger is up to date),
``UnknownOutcome`` (statements whose COMMIT outcome is unknown, held aside), or the error
itself (a batch error: the batch is pending, the batcher retries or gives up), or the
interruption of a ``Cancelled``.

See ``twinsql.batch._async.runner`` for the rules each decision follows (its docstring is
the user-facing account); the runner is the short loop that performs the actions.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, MutableMapping
from dataclasses import dataclass
from typing import Any

from twinsql import errors
from twinsql.batch.actions import (
    Action,
    Begin,
    Cancelled,
    Collect,
    Commit,
    CopyRefused,
    Done,
    Failed,
    Ok,
    Refresh,
    Replay,
    Rollback,
    RollbackAll,
    Run,
)
from twinsql.batch.ledger import Ledger, LedgerCounts, Outcome, StatementState
from twinsql.batch.plan import Batch, Limits, PlanOptions, Unit, plan_batch, values_units
from twinsql.batch.queue import Queued, StatementQueue
from twinsql.batch.resilience import is_statement_error
from twinsql.batch.session import SessionLog
from twinsql.batch.statements import Shape

__all__ = [
    "Action",
    "BatchEngine",
    "Begin",
    "Cancelled",
    "Collect",
    "Commit",
    "CopyRefused",
    "Done",
    "EngineSettings",
    "Failed",
    "Ok",
    "Refresh",
    "Replay",
    "Rollback",
    "RollbackAll",
    "Run",
    "Stop",
    "UnknownOutcome",
]


# -- what ends an attempt -----------------------------------------------------------------


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


_Steps = Generator[Action, Any, None]


@dataclass(frozen=True, slots=True)
class EngineSettings:
    """What a batcher gives the engine of each flush attempt: its ledger and queue, its
    transaction mode (``isolate``: reject a failing statement and go on), the collectors'
    metadata, the attempt's number, where per-statement results go, what to call after each
    COMMIT and on progress, the texts whose COPY its server refused, the size below which
    a partial batch waits for more (``keep_below``), and the session statements applied so
    far with the version of them each connection has (``session_log``, ``seen``)."""

    ledger: Ledger
    queue: StatementQueue
    mode: str
    isolate: bool
    metadata: dict[str, Any] | None
    attempt: int
    results: dict[int, Any] | None
    on_commit: Callable[[], None]
    progress: Callable[[LedgerCounts], None] | None
    copy_refused: set[str]
    keep_below: int = 0
    session_log: SessionLog | None = None
    seen: MutableMapping[object, int] | None = None


class BatchEngine:
    """The decisions of one flush attempt (see the module docstring). ``options`` gives the
    limits and planning options of the session as it stands (it is asked again after a
    ``Refresh``); ``collect``: a collector takes each batch's statements; ``batch_number``:
    the batches started before this attempt. ``key`` identifies the session's connection
    for replay; ``broken`` says whether the connection is unusable."""

    def __init__(
        self,
        settings: EngineSettings,
        *,
        options: Callable[[], tuple[Limits, PlanOptions]],
        collect: bool,
        batch_number: int,
    ) -> None:
        self.ledger = settings.ledger
        self.queue = settings.queue
        self.mode = settings.mode
        self.isolate = settings.isolate
        self._options = options
        self._collecting = collect
        self.metadata = settings.metadata
        self.attempt = settings.attempt
        self.batches = batch_number  # batches started so far (numbering for collectors)
        self.batch_statements = 0  # how many statements the batch started last holds
        self.results = settings.results
        self._on_commit = settings.on_commit
        self._progress = settings.progress
        # Stop once the queue holds less than a batch of this many bytes (a partial batch
        # waits for more; see StatementQueue.holds_batch).
        self.keep_below = settings.keep_below
        # The batcher's statement texts whose COPY its server refused: the same set the
        # batcher hands the planner as PlanOptions.copy_refused.
        self._copy_refused = settings.copy_refused
        self._limits: Limits | None = None
        self._plan: PlanOptions | None = None
        # The batcher's applied session statements, and the version of them each
        # connection has (see batch.session).
        log, seen = settings.session_log, settings.seen
        self._log = log if log is not None else SessionLog()
        self._seen: MutableMapping[object, int] = seen if seen is not None else {}
        # What a statement that ran may have changed in the session: re-read, re-plan.
        self._stale_mode = self._stale_tables = False
        self._recheck: set[str] = set()  # tables whose engine a DDL may have set
        self._key: object = None
        self._steps: _Steps | None = None

    # -- driving ------------------------------------------------------------------------

    def start(self, key: object) -> Action:
        """Begin an attempt on the connection identified by ``key``: the first action."""
        self._key = key
        self._steps = self._session()
        return self._advance(lambda steps: next(steps))

    def start_dry_run(self) -> Action:
        """Plan every queued statement and collect what would be sent (``Collect``
        actions only); nothing runs and every statement stays pending."""
        self._steps = self._dry_run()
        return self._advance(lambda steps: next(steps))

    def send(self, outcome: Ok | Failed | Cancelled) -> Action:
        """Feed the outcome of the last action; the next action (see the module
        docstring for what it raises)."""
        if isinstance(outcome, Ok):
            return self._advance(lambda steps: steps.send(outcome.value))
        if isinstance(outcome, Failed):
            self._broken = self._broken or outcome.broken
            error = outcome.error
        else:
            error = outcome.exc
        return self._advance(lambda steps: steps.throw(error))

    def _advance(self, step: Callable[[_Steps], Action]) -> Action:
        assert self._steps is not None
        try:
            return step(self._steps)
        except StopIteration:
            return Done()

    _broken = False

    # -- the loop -----------------------------------------------------------------------

    def _session(self) -> _Steps:
        yield from self._replay()
        self._limits, self._plan = self._options()
        if self.mode == "whole":
            yield from self._whole()
            return
        while self.queue.holds_batch(self.keep_below):
            try:
                batch = self._next(0)
                if batch is None:
                    continue  # a statement was refused before sending; go on
                if not batch.units:
                    return
                self.batches += 1
                self.batch_statements = batch.count
                if batch.autocommit or self.mode == "none":
                    for unit in batch.units:
                        yield from self._unit(unit, Outcome(), transactional=False)
                else:
                    yield from self._transaction(batch)
            except _Failed as failed:
                raise self._stop(failed) from None
            self._on_commit()
            yield from self._replan()

    def _dry_run(self) -> _Steps:
        self._limits, self._plan = self._options()
        while self.queue.holds_batch(self.keep_below):
            try:
                batch = self._next(0)
            except _Failed:
                continue  # refused and recorded; a dry run plans the rest anyway
            if batch is None:
                continue
            if not batch.units:
                return
            self.batches += 1
            self.batch_statements = batch.count
            for unit in batch.units:
                yield from self._collect(unit, dry_run=True)
            self.queue.pop_front(batch.count)

    def _replay(self) -> _Steps:
        """Run the applied session statements on a connection that has not seen them all,
        before anything else."""
        version = self._log.version
        if not version or self._seen.get(self._key) == version:
            return
        for shape, bound, params in self._log.entries():
            yield Replay(shape, bound, params)
        self._seen[self._key] = version
        yield Refresh()

    def _replan(self) -> _Steps:
        """After a session statement (or MySQL DDL) ran: read the session again (MySQL's
        sql_mode, its tables that cannot roll back) and plan what follows with it."""
        if self._stale_mode or self._stale_tables or self._recheck:
            names = () if self._stale_tables else tuple(sorted(self._recheck))
            yield Refresh(mode=self._stale_mode, tables=self._stale_tables, names=names)
            self._stale_mode = self._stale_tables = False
            self._recheck.clear()
            self._limits, self._plan = self._options()

    def _record(self, entries: list[tuple[Any, Any, Any]]) -> None:
        """Session statements that are now applied: kept for replay on other connections
        (this one has them all: it was brought up to date when the session began)."""
        if not entries:
            return
        for shape, bound, params in entries:
            self._log.record(shape, bound, params)
        self._seen[self._key] = self._log.version

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

    def _transaction(self, batch: Batch) -> _Steps:
        outcome = Outcome(results=self.results is not None)
        yield Begin()
        try:
            for unit in batch.units:
                yield from self._unit(unit, outcome, transactional=True)
        except _Failed as failed:
            yield RollbackAll()
            raise self._stop(failed) from None
        except Exception:
            yield RollbackAll()
            raise
        yield from self._commit(outcome, batch.count)

    def _whole(self) -> _Steps:
        outcome = Outcome(results=self.results is not None)
        ran = 0
        yield Begin()
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
                        "implicitly on MySQL, the server refuses it in a transaction block, "
                        "it writes a table that cannot roll back, or it is a SQLite PRAGMA), "
                        "so it cannot run inside transaction='whole'; run it separately",
                        sql=shape.sql, params=params,
                    ))  # fmt: skip
                self.batches += 1
                self.batch_statements = batch.count
                for unit in batch.units:
                    yield from self._unit(unit, outcome, transactional=True)
                ran += batch.count
                yield from self._replan()
        except _Failed as failed:
            yield RollbackAll()
            raise self._stop(failed) from None
        except Exception:
            yield RollbackAll()
            raise
        if ran:
            yield from self._commit(outcome, ran)
        else:
            yield RollbackAll()

    def _commit(self, outcome: Outcome, count: int) -> _Steps:
        try:
            yield Commit()
        except errors.CommitOutcomeUnknown as exc:
            raise self._unknown(outcome, count, exc) from None
        except (errors.Error, GeneratorExit):
            raise  # the transaction did not commit: its statements stay pending
        except BaseException as exc:
            # Interrupted while COMMIT was on its way: it may or may not have committed.
            self._unknown(outcome, count, _unknown_error(exc, "COMMIT"))
            raise
        outcome.settle(self.ledger)
        self._record(outcome.session)
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

    def _unit(self, unit: Unit, outcome: Outcome, *, transactional: bool) -> _Steps:
        if not transactional and unit.run.shape_at(unit.lo).parts is not None:
            # Several statements in one entry: atomic even in autocommit mode.
            yield from self._atomic(unit)
            return
        guarded = transactional and (self.isolate or unit.count > 1)
        if guarded:
            yield Begin()  # a savepoint
        yield from self._collect(unit)
        try:
            result = yield Run(unit)
        except CopyRefused:
            # Nothing of the unit happened; this batcher uses multi-row INSERTs for this
            # statement from now on.
            self._copy_refused.add(unit.run.shape.sql)
            if guarded:
                yield Rollback()
            yield from self._replace(unit, outcome, transactional)
            return
        except errors.Error as exc:
            if not is_statement_error(exc) or self._broken:
                unknown = None if transactional else self._autocommit_failure(unit, exc)
                if unknown is not None:
                    raise unknown from exc
                raise
            if guarded:
                yield Rollback()
            if unit.count > 1:
                yield from self._split(unit, outcome, transactional)
                return
            shape, _, params = unit.statement(unit.lo)
            if not self.isolate:
                raise _Failed(unit.first, exc) from None
            if transactional:
                outcome.reject(unit.first, exc, shape.sql, params)
            else:
                self._settle_now(unit, exc=exc)
            return
        except GeneratorExit:
            raise  # the engine is dropped: nothing happened to decide on
        except BaseException as exc:
            if not transactional:
                self._autocommit_failure(unit, exc)
            raise
        if guarded:
            yield Commit()  # RELEASE SAVEPOINT
        shape = unit.run.shape_at(unit.lo)
        changed = unit.count == 1 and shape.session
        if changed and "sql_mode" in shape.sql.lower():
            self._stale_mode = True
        if shape.implicit_commit or shape.verb == "USE":
            self._tables_changed(shape)
        if transactional:
            outcome.ran(unit.first, unit.first + unit.count, result)
            if changed:
                outcome.session.append(unit.statement(unit.lo))
        else:
            if changed:
                self._record([unit.statement(unit.lo)])
            self._settle_now(unit, result=result)

    def _tables_changed(self, shape: Shape) -> None:
        """MySQL: what a statement that ran may have changed in which tables cannot roll
        back. A new database (USE) or renamed tables: all are read again; a table created,
        or altered with an ENGINE clause: that one. Other DDL leaves engines as they are (a
        dropped table stays listed until a CREATE of its name reads it again)."""
        target = shape.target
        if shape.verb in ("USE", "RENAME") or (target is not None and "." in target):
            self._stale_tables = True
        elif target is not None and (shape.verb == "CREATE" or "ENGINE" in shape.sql.upper()):
            self._recheck.add(target)

    def _atomic(self, unit: Unit) -> _Steps:
        outcome = Outcome(results=self.results is not None)
        yield Begin()
        try:
            yield from self._unit(unit, outcome, transactional=True)
        except Exception:
            yield RollbackAll()
            raise
        yield from self._commit(outcome, unit.count)

    def _split(self, unit: Unit, outcome: Outcome, transactional: bool) -> _Steps:
        """Run a failed multi-statement unit again, one statement per round trip."""
        for offset in range(unit.lo, unit.hi):
            shape, bound, _ = unit.statement(offset)
            single = Unit("single", unit.run, offset, offset + 1, shape.compiled.text, bound)
            yield from self._unit(single, outcome, transactional=transactional)

    def _replace(self, unit: Unit, outcome: Outcome, transactional: bool) -> _Steps:
        """Run a COPY unit the driver could not take as multi-row INSERTs instead."""
        assert self._limits is not None and self._plan is not None
        template = unit.run.shape.template
        assert template is not None
        for part in values_units(unit.run, unit.lo, unit.hi, template, self._limits,
                                 self._plan.style):  # fmt: skip
            yield from self._unit(part, outcome, transactional=transactional)

    def _settle_now(
        self, unit: Unit, *, result: Any = None, exc: BaseException | None = None
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

    def _collect(self, unit: Unit, *, dry_run: bool = False) -> _Steps:
        if not self._collecting:
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
        yield Collect(unit, metadata)

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
