# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""Batch feature, I/O: ``AsyncSQLBatcher`` (sync twin: ``SQLBatcher``), the statement batcher.

Statements (a SQL string, or ``(sql, params)``) are checked when they are added — bound
against their placeholders, refused when a string holds two statements, when they are
transaction control (the batcher owns the transactions) or when one alone exceeds a limit —
and queued in order. ``flush`` sends the queue in size-bounded batches through the target
(``batch.plan`` plans them, ``runner`` runs them) and keeps a ledger in which
every statement ends ``applied``, ``rejected``, ``pending`` or ``unknown``
(``batch.ledger``).

Failures, and what the batcher does about them:

* a statement's permanent error: see ``runner`` (rejected; the run stops unless
  ``isolate_errors``). ``flush`` raises that error; ``process_statements`` reports it;
* a transient error before COMMIT was sent (connection lost, serialization failure,
  deadlock): the batch was rolled back, so it is retried on a fresh connection after an
  exponential backoff with jitter (``RetryPolicy``), never after it committed;
* COMMIT sent and its reply lost: the statements are ``unknown``; ``reconcile`` (if given)
  is asked which were applied (e.g. by reading back idempotency keys); those it says were
  not are retried; what it cannot tell stays unknown and ``CommitOutcomeUnknown`` is raised;
* the database unreachable: the ``CircuitBreaker`` opens after a few failures, and calls
  fail fast with ``CircuitOpenError`` while it is open. Nothing is dropped: the statements
  stay queued (pending) for the next ``flush``.

A retry, or the next flush, may run on another connection: the session statements applied
so far (``SET``, ``USE``, ``PRAGMA`` …) run there first (``batch.session``), so the script's
session state holds wherever its statements run.

The context manager flushes on a normal exit and then raises ``BatchIncomplete`` unless
every statement was applied; on an exception (or a cancellation) it sends nothing and logs
how many statements were left pending (``batcher.report`` lists them). After a run stopped
on an error, a later ``flush()`` (explicit) sends what is still queued; ``reset()`` drops
it and returns it. A batcher is not safe for concurrent use by several tasks or threads.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable, Iterable, Sequence, Sized
from types import TracebackType
from typing import Any, Literal

from twinsql import errors
from twinsql._compat import async_sleep
from twinsql.batch._async.adapters import AsyncBatchAdapter, AsyncBatchSession
from twinsql.batch._async.collector import AsyncQueryCollector
from twinsql.batch._async.generic import AsyncGenericAdapter, async_adapter_for
from twinsql.batch._async.runner import AsyncBatchRunner, Stop, UnknownOutcome
from twinsql.batch.attempts import Attempts, settle_verdicts
from twinsql.batch.engine import EngineSettings
from twinsql.batch.intake import Intake, Refusal, split_item
from twinsql.batch.ledger import (
    BatchIncomplete,
    BatchReport,
    Ledger,
    LedgerCounts,
    LedgerEntry,
    StatementState,
)
from twinsql.batch.plan import Limits, PlanOptions, adjusted_max_bytes
from twinsql.batch.queue import StatementQueue
from twinsql.batch.resilience import CircuitBreaker, CircuitState, RetryPolicy
from twinsql.batch.session import SessionLog
from twinsql.batch.statements import Shape, analyze
from twinsql.sql.lexer import Lexer

__all__ = ["AsyncSQLBatcher"]

logger = logging.getLogger("twinsql.batcher")

_IS_ASYNC = True
_MODES = ("per_batch", "whole", "none")
Statement = Any  # a SQL string or a (sql, params) pair


def _jitter() -> float:
    """A uniform draw in [0, 1) that spreads a retry's backoff; ``random`` is imported on
    the first retry, so that a run that never retries does not pay for importing it."""
    import random

    return random.random()


class AsyncSQLBatcher:
    """The statement batcher; see the module docstring and README "Batcher".

    * ``target``: a twinsql database, a URL (the batcher opens its own database and closes
      it with ``close()`` or the context manager), or an adapter of the batcher's mode (the
      generic or the PostgreSQL adapter, …).
    * ``max_bytes``: the budget of one batch, in nominal bytes (SQL text and values; an
      INSERT that can share a multi-row statement counts its row; a statement larger than
      it is a batch of its own); with
      ``auto_adjust_for_columns`` it is scaled by ``reference_column_count`` / the first
      INSERT's column count, clamped to ``[min_adjustment_factor, max_adjustment_factor]``.
      Statements sent also stay under the driver's parameter limit, the adapter's
      ``max_query_size`` and MySQL's ``max_allowed_packet``.
    * ``batch_mode=False``: one statement per batch. ``merge_inserts``: same-shape INSERTs
      become multi-row INSERTs (COPY on PostgreSQL from ``copy_min_rows`` rows; None: never).
    * ``transaction``: ``"per_batch"``, ``"whole"`` (one per flush) or ``"none"``
      (autocommit); ``isolate_errors``: a savepoint per unit, so a failing statement is
      rejected alone and the rest goes on.
    * ``retry`` (``RetryPolicy``), ``circuit_breaker`` (``CircuitBreaker``; share one
      between batchers of one database), ``collector`` (a query collector),
      ``progress`` (called with ``LedgerCounts`` as batches settle), ``dry_run``.
    * ``reconcile(entries) -> [True | False | None, …]``: for statements whose COMMIT
      outcome is unknown (``LedgerEntry`` with ``sql`` and ``params``), say which were
      applied (True), which were not (False: they are retried) and which it cannot tell
      (None: they stay unknown). May be async in the async batcher.
    * ``allow_multiple``: a string of several statements is accepted as one entry, its
      statements sent one by one in one transaction.
    """

    def __init__(
        self,
        target: Any,
        max_bytes: int = 1_000_000,
        batch_mode: bool = True,
        merge_inserts: bool = True,
        auto_adjust_for_columns: bool = False,
        reference_column_count: int = 10,
        min_adjustment_factor: float = 0.5,
        max_adjustment_factor: float = 2.0,
        dry_run: bool = False,
        transaction: Literal["per_batch", "whole", "none"] = "per_batch",
        isolate_errors: bool = False,
        retry: RetryPolicy | None = None,
        circuit_breaker: CircuitBreaker | None = None,
        collector: AsyncQueryCollector | None = None,
        progress: Callable[[LedgerCounts], None] | None = None,
        *,
        reconcile: Callable[..., Any] | None = None,
        allow_multiple: bool = False,
        copy_min_rows: int | None = 100,
    ) -> None:
        if transaction not in _MODES:
            raise errors.ArgumentError(
                f"transaction must be one of {', '.join(_MODES)}, not {transaction!r}"
            )
        if not isinstance(max_bytes, int) or max_bytes < 1:
            raise errors.ArgumentError(f"max_bytes must be an int >= 1, got {max_bytes!r}")
        if not 0 < min_adjustment_factor <= max_adjustment_factor:
            raise errors.ArgumentError(
                "need 0 < min_adjustment_factor <= max_adjustment_factor, got "
                f"{min_adjustment_factor!r} and {max_adjustment_factor!r}"
            )
        if reference_column_count < 1:
            raise errors.ArgumentError("reference_column_count must be >= 1")
        self._adapter: AsyncBatchAdapter
        self._adapter, self._owns_adapter = async_adapter_for(target)
        self.max_bytes = max_bytes
        self.batch_mode = batch_mode
        self.merge_inserts = merge_inserts
        self.auto_adjust_for_columns = auto_adjust_for_columns
        self.reference_column_count = reference_column_count
        self.min_adjustment_factor = min_adjustment_factor
        self.max_adjustment_factor = max_adjustment_factor
        self.dry_run = dry_run
        self.transaction = transaction
        self.isolate_errors = isolate_errors
        self.retry = retry if retry is not None else RetryPolicy()
        self.circuit_breaker = circuit_breaker if circuit_breaker is not None else CircuitBreaker()
        self.collector = collector
        self.progress = progress
        self.reconcile = reconcile
        self.allow_multiple = allow_multiple
        self.copy_min_rows = copy_min_rows
        self.column_count: int | None = None
        self._style = self._adapter.paramstyle
        self._lexer: Lexer = self._adapter.dialect.lexer
        self._transactional_ddl = self._adapter.dialect.capabilities.transactional_ddl
        self._ledger = Ledger()
        self._queue = StatementQueue()
        self._intake = self._new_intake()
        self._batches = 0
        self._retries = 0
        self._stopped: BaseException | None = None
        self._closed = False
        # Statement texts whose COPY this batcher's server refused: the runner adds to it,
        # the planner reads it (PlanOptions.copy_refused). Kept across reset(): it is
        # knowledge of the server, not of the queue.
        self._copy_refused: set[str] = set()
        # The session statements applied so far, replayed on each connection that lacks
        # them (batch.session); which version each connection has, held weakly.
        self._session_log = SessionLog()
        self._seen: weakref.WeakKeyDictionary[object, int] = weakref.WeakKeyDictionary()

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} {self._adapter!r} transaction={self.transaction} "
            f"queued={len(self._queue)}>"
        )

    # -- the sizing API ------------------------------------------------------------------

    @property
    def adjustment_factor(self) -> float:
        if not self.auto_adjust_for_columns or not self.column_count:
            return 1.0
        factor = self.reference_column_count / self.column_count
        return min(max(factor, self.min_adjustment_factor), self.max_adjustment_factor)

    def get_adjusted_max_bytes(self) -> int:
        """``max_bytes``, scaled by the column count of the first INSERT when
        ``auto_adjust_for_columns`` is on (hard limits are enforced separately)."""
        if not self.auto_adjust_for_columns:
            return self.max_bytes
        return adjusted_max_bytes(
            self.max_bytes, self.column_count, self.reference_column_count,
            self.min_adjustment_factor, self.max_adjustment_factor,
        )  # fmt: skip

    def detect_column_count(self, sql: str) -> int | None:
        """The number of columns an INSERT writes (from its structure), else None."""
        try:
            shape = analyze(sql, self._style, self._lexer)
        except errors.ArgumentError:
            return None
        return shape.template.column_count if shape.template is not None else None

    def update_adjustment_factor(self, sql: str) -> None:
        """Take the column count from ``sql`` if none is known yet."""
        if self.column_count is None:
            self.column_count = self.detect_column_count(sql)

    @property
    def current_size(self) -> int:
        """Nominal bytes of the statements queued."""
        return self._queue.size

    @property
    def current_batch(self) -> list[str]:
        """The SQL of the statements queued, in order."""
        return [sql for _, sql, _ in self._queue.items()]

    @property
    def pending(self) -> int:
        """Statements queued (pending)."""
        return len(self._queue)

    @property
    def report(self) -> BatchReport:
        """The ledger of every statement since the batcher was created or reset."""
        return self._report(0)

    @property
    def adapter(self) -> AsyncBatchAdapter:
        return self._adapter

    # -- adding statements ---------------------------------------------------------------

    async def add_statement(
        self, sql: str, params: Any = None, *, allow_multiple: bool | None = None
    ) -> bool:
        """Queue one statement; return True when the queue holds a batch's worth (time to
        ``flush``). Raises before queueing anything for a statement that can never run:
        two statements in one string (unless ``allow_multiple``), parameters that do not
        match its placeholders, transaction control, or a single statement over a limit."""
        self._check_open()
        self._intake.add(
            sql, params, self.allow_multiple if allow_multiple is None else allow_multiple
        )
        return self._queue.holds_batch(self.get_adjusted_max_bytes())

    def _new_intake(self) -> Intake:
        adapter = self._adapter
        return Intake(
            self._ledger, self._queue, style=self._style, lexer=self._lexer,
            transactional_ddl=self._transactional_ddl, max_params=adapter.max_params,
            max_query_size=adapter.max_query_size, on_shape=self._on_shape,
        )  # fmt: skip

    def _on_shape(self, shape: Shape) -> None:
        # The first INSERT's column count fixes the adjustment factor.
        if self.auto_adjust_for_columns and self.column_count is None and shape.template:
            self.column_count = shape.template.column_count

    # -- running -------------------------------------------------------------------------

    async def flush(
        self,
        query_collector: AsyncQueryCollector | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> int:
        """Send everything queued; return how many statements this flush applied (0 in a
        dry run). Raises the error that stopped it early (the ledger, ``report``, says what
        became of each statement)."""
        self._check_open()
        before = self._ledger.count(StatementState.APPLIED)
        self._stopped = None
        try:
            await self._drain(query_collector, metadata, None)
        except BaseException as exc:
            self._stopped = exc
            raise
        return self._ledger.count(StatementState.APPLIED) - before

    async def process_statements(
        self,
        statements: Iterable[Statement],
        query_collector: AsyncQueryCollector | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> BatchReport:
        """Add and send ``statements`` (flushing as the batches fill; an iterator is read
        as it goes) and return their ledger. A statement refused before sending is recorded
        as rejected (and, unless ``isolate_errors``, ends the run after the statements before
        it were sent). When the run stops early, ``report.error`` says why, the statements
        not yet committed stay queued (pending) and the rest of ``statements`` is not read;
        no statement-level error is raised. For an input with a length (a list, a tuple)
        every statement is in the report: those never read are ``pending`` after the last
        one read (the four counts add up to the input; ``pending_statements()`` gives them
        back), though the batcher itself holds only what it read. Fails fast with
        ``CircuitOpenError`` when the breaker is open."""
        self._check_open()
        if self.circuit_breaker.state is CircuitState.OPEN:
            self.circuit_breaker.before_call()  # raises: nothing consumed
        start = len(self._ledger)
        queued_before = self._queue.first_index()
        if queued_before is not None:
            start = min(start, queued_before)
        self._stopped = None
        whole = self.transaction == "whole"
        limit = self.get_adjusted_max_bytes()
        error: BaseException | None = None
        items = iter(statements)
        try:
            while True:
                try:
                    done = self._intake.feed(items, None if whole else limit, self.allow_multiple)
                except Refusal as refusal:
                    # Refused before sending: on the ledger as rejected, with its error.
                    index = self._ledger.submit()
                    self._ledger.mark(index, StatementState.REJECTED, sql=refusal.sql,
                                      params=refusal.params, error=refusal.error)  # fmt: skip
                    if self.isolate_errors:
                        continue
                    await self._drain(query_collector, metadata, None)  # what came before it
                    error = refusal.error
                    break
                # Mid-stream, send only full batches; the rest waits for more statements.
                await self._drain(query_collector, metadata, None, full_only=not done)
                if done:
                    break
        except errors.Error as exc:
            error = exc
        self._stopped = error
        unread: list[tuple[str, Any]] = []
        if isinstance(statements, Sized) and not isinstance(statements, str):
            unread = [_unread(item) for item in items]
        return self._report(start, error, unread)

    async def process_batch(self, statements: Sequence[Statement]) -> list[Any]:
        """Send ``statements`` one per round trip (no merging) and return their results in
        order: rows (a list of dicts) for a statement that returns rows, else its
        affected-row count; for a statement rejected under ``isolate_errors``, its error.
        Every statement is checked before any is queued; the error that stops the run is
        raised (after what is queued before them is sent)."""
        self._check_open()
        checked = [split_item(item) for item in statements]
        for sql, params in checked:  # every statement checked before any is queued
            self._intake.shape(sql, self.allow_multiple, params is None).bind(params)
        first = len(self._ledger)
        for sql, params in checked:
            self._intake.add(sql, params, self.allow_multiple)
        results: dict[int, Any] = {}
        self._stopped = None
        try:
            await self._drain(None, None, results)
        except BaseException as exc:
            self._stopped = exc
            raise
        return [results.get(index) for index in range(first, first + len(checked))]

    # Other names for the same call, kept for code written against them.
    process_stream = process_statements
    process_chunk = process_statements

    async def reset(self) -> list[tuple[str, Any]]:
        """Drop everything queued and start a new ledger; return the dropped (pending)
        statements as ``(sql, params)`` so that nothing disappears unseen."""
        dropped = [(sql, params) for _, sql, params in self._queue.clear()]
        self._ledger = Ledger()
        self._intake = self._new_intake()
        self._batches = self._retries = 0
        self._stopped = None
        self.column_count = None
        return dropped

    async def close(self) -> None:
        """Close what the batcher opened (the database of a URL target). Statements still
        queued are not sent; they stay in ``report`` as pending."""
        if self._closed:
            return
        self._closed = True
        if self._owns_adapter:
            await self._adapter.close()

    async def __aenter__(self) -> AsyncSQLBatcher:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc is not None:
                if self._queue:
                    logger.warning(
                        "%s exited with %s; %d statement(s) left pending and not sent "
                        "(see batcher.report)", type(self).__name__, type(exc).__name__,
                        len(self._queue),
                    )  # fmt: skip
                return
            if self._stopped is None:
                await self.flush()
            report = self.report
            if not report.ok:
                raise BatchIncomplete(report)
        finally:
            await self.close()

    # -- internals -----------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise errors.InterfaceError("this batcher is closed")

    def _report(
        self,
        start: int,
        error: BaseException | None = None,
        unread: Sequence[tuple[str, Any]] = (),
    ) -> BatchReport:
        pending = {index: (sql, params) for index, sql, params in self._queue.items()
                   if index >= start}  # fmt: skip
        return self._ledger.report(
            start, pending=pending, error=error if error is not None else self._stopped,
            batches=self._batches, retries=self._retries, dry_run=self.dry_run, unread=unread,
        )  # fmt: skip

    def _options(self, session: AsyncBatchSession | None) -> tuple[Limits, PlanOptions]:
        adapter = self._adapter
        if session is None:  # a dry run: the limits known without connecting
            max_params, max_statement = adapter.max_params, adapter.max_query_size
            can_copy = False
        else:
            max_params, max_statement = session.max_params, session.max_statement_bytes
            can_copy = session.can_copy
        limits = Limits(
            self.get_adjusted_max_bytes(), max_params, max_statement, adapter.interpolates_values
        )
        plan = PlanOptions(
            style=self._style,
            merge_inserts=self.merge_inserts and (session is None or session.merge_safe),
            batch_mode=self.batch_mode,
            # executemany needs a unit that fails as a whole: inside a transaction only.
            executemany=self.transaction != "none"
            and not isinstance(adapter, AsyncGenericAdapter),
            executemany_inserts=not adapter.rewrites_executemany,
            copy=can_copy and self.copy_min_rows is not None,
            copy_min_rows=self.copy_min_rows or 0,
            copy_refused=self._copy_refused,
            nontransactional=frozenset() if session is None else session.nontransactional,
        )  # fmt: skip
        return limits, plan

    async def _drain(
        self,
        collector: AsyncQueryCollector | None,
        metadata: dict[str, Any] | None,
        results: dict[int, Any] | None,
        *,
        full_only: bool = False,
    ) -> None:
        """Send the queue (with ``full_only``, only while it holds a full batch), retrying
        transient failures; raise what stops it."""
        budget = self.get_adjusted_max_bytes() if full_only else 0
        if not self._queue.holds_batch(budget):
            return
        options = self._singles_options if results is not None else self._options
        attempts = Attempts(self.retry, self.circuit_breaker)
        while self._queue.holds_batch(budget):
            settings = EngineSettings(
                ledger=self._ledger, queue=self._queue, mode=self.transaction,
                isolate=self.isolate_errors, metadata=metadata, attempt=attempts.attempt,
                results=results, on_commit=attempts.committed, progress=self.progress,
                copy_refused=self._copy_refused, keep_below=budget,
                session_log=self._session_log, seen=self._seen,
            )  # fmt: skip
            runner = AsyncBatchRunner(
                settings, options=options, batch_number=self._batches,
                collector=collector if collector is not None else self.collector,
            )  # fmt: skip
            if self.dry_run:
                try:
                    await runner.dry_run()
                finally:
                    self._batches = runner.batches
                return
            attempts.begin()
            retries = attempts.retries
            try:
                async with self._adapter.session() as session:
                    await runner.run_session(session)
            except Stop as stop:
                attempts.answered()
                raise stop.error from stop.error.__cause__
            except UnknownOutcome as unknown:
                attempts.unknown(unknown.error)
                if await self._reconcile(unknown):
                    # Some statements proved not applied went back to the queue: retry.
                    delay = attempts.again(_jitter())
                    if delay is None:
                        raise unknown.error from unknown.error.__cause__
                    await async_sleep(delay)
            except errors.Error as exc:
                delay = attempts.failed(exc, _jitter())
                if delay is None:
                    raise
                await async_sleep(delay)
            else:
                attempts.answered()
            finally:
                self._batches = runner.batches
                self._retries += attempts.retries - retries

    def _singles_options(self, session: AsyncBatchSession | None) -> tuple[Limits, PlanOptions]:
        limits, plan = self._options(session)
        return limits, PlanOptions(style=plan.style, merge_inserts=False, batch_mode=True,
                                   executemany=False, copy=False, singles_only=True)  # fmt: skip

    async def _reconcile(self, unknown: UnknownOutcome) -> bool:
        """Ask ``reconcile`` which of the unknown statements were applied: applied ones are
        recorded, not-applied ones go back to the front of the queue (pending, to be
        retried; returns True when there are any); if anything stays unknown, raise the
        ``CommitOutcomeUnknown``."""
        items = unknown.items
        verdicts: Sequence[bool | None] = [None] * len(items)
        if self.reconcile is not None and items:
            entries = [self._ledger_entry(item.number) for item in items]
            verdicts = list(await _resolve(self.reconcile(entries)))
        retry, unresolved = settle_verdicts(self._ledger, self._queue, items, verdicts)
        if self.progress is not None:
            self.progress(self._ledger.counts())
        if unresolved:
            raise unknown.error from unknown.error.__cause__
        return retry

    def _ledger_entry(self, index: int) -> LedgerEntry:
        sql, params = self._ledger.held(index) or (None, None)
        return LedgerEntry(index, self._ledger.state(index), sql, params,
                           self._ledger.error(index))  # fmt: skip


def _unread(item: Any) -> tuple[str, Any]:
    """An input item never read, as ``(sql, params)`` for the report."""
    try:
        return split_item(item)
    except errors.ArgumentError:
        return repr(item), None


async def _resolve(value: Any) -> Any:
    """``reconcile`` may be a plain or (for the async batcher) an async callable."""
    if hasattr(value, "__await__"):
        if not _IS_ASYNC:
            raise errors.ArgumentError("reconcile returned an awaitable to the sync SQLBatcher")
        return await value
    return value
