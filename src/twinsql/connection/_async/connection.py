# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""Connection layer, I/O: one database connection and the query methods every caller uses.

``AsyncConnection`` wraps one native driver connection. It translates placeholders and keeps
the transaction state machine (``twinsql.connection.txn``). Every call that does I/O goes
through the connection's ``CallGuard`` (``calls``), the one owner of the rules around a
call.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from typing import Any, Final

from twinsql import errors
from twinsql._compat import UseGuard, monotonic
from twinsql.connection import checkpoints
from twinsql.connection._async.calls import (
    CallGuard,
    ConnectionSettings,
    Params,
    sql_logger,
)
from twinsql.connection.txn import TransactionStack
from twinsql.drivers.base import AsyncDriverConnection, AsyncStream, DriverResult
from twinsql.drivers.postgresql import statement_timeout_ms
from twinsql.sql import violations
from twinsql.sql.dialects import Dialect
from twinsql.sql.lexer import Lexer
from twinsql.sql.placeholders import ParamStyle, compile_sql

__all__ = [
    "AsyncConnection",
    "ConnectionSettings",
    "Params",
    "Prepared",
    "Row",
    "prepare_statement",
]

Row = dict[str, Any]
# SQL in the driver's placeholder style, and the positional values to bind.
Prepared = tuple[str, Sequence[Any]]

# ``echo=True`` enables ``twinsql.sql`` (see ``calls``) through ``echo_to_stdout``.
pool_logger = logging.getLogger("twinsql.pool")
_echo_handler: list[logging.Handler] = []


def echo_to_stdout() -> None:
    """What ``echo=True`` does: enable ``twinsql.sql`` for INFO and, when no handler would
    receive its records, print them to stdout."""
    if sql_logger.getEffectiveLevel() > logging.INFO:
        sql_logger.setLevel(logging.INFO)
    if not sql_logger.hasHandlers() and not _echo_handler:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(message)s"))
        sql_logger.addHandler(handler)
        _echo_handler.append(handler)


def prepare_statement(sql: str, params: Params, style: ParamStyle, lexer: Lexer) -> Prepared:
    """Translate placeholders and bind values; every check happens here, before any I/O."""
    compiled = compile_sql(sql, style, lexer)
    return compiled.text, compiled.bind(params)


def as_dicts(result: DriverResult) -> list[Row]:
    columns = result.columns
    if columns is None:
        return []
    return [dict(zip(columns, row)) for row in result.rows]


def first_dict(result: DriverResult) -> Row | None:
    if result.columns is None or not result.rows:
        return None
    return dict(zip(result.columns, result.rows[0]))


def first_value(result: DriverResult) -> Any:
    return result.rows[0][0] if result.rows else None


class AsyncConnection:
    """One pooled connection. Obtain it with ``db.connection()`` (pinned) or implicitly
    through the database's methods; do not share it between tasks at once.

    ``raw`` (the driver adapter), ``settings``, ``transaction_stack`` and ``calls`` are for
    twinsql's own layers, not a stable public API.
    """

    def __init__(self, raw: AsyncDriverConnection, settings: ConnectionSettings) -> None:
        self.raw: Final = raw
        self.dialect: Final[Dialect] = raw.dialect
        # The most values one statement may bind (the driver's limit).
        self.max_params: Final[int] = raw.max_params
        self.settings: Final = settings
        self._guard = UseGuard()
        self.transaction_stack: Final = TransactionStack()
        self.calls: Final = CallGuard(self, self._guard)
        self._style = raw.paramstyle
        self._lexer = raw.dialect.lexer
        self.created_at = monotonic()
        # Set when an operation was interrupted mid-I/O or the link broke: never reuse.
        self.broken = False
        # Behind a transaction pooler: session settings, applied as SET LOCAL per transaction.
        self.session_settings: dict[str, str] = {}

    def __repr__(self) -> str:
        state = "broken" if self.broken else ("in transaction" if self.in_transaction else "idle")
        return f"<{type(self).__name__} {self._lexer} {state}>"

    @property
    def in_transaction(self) -> bool:
        """Whether the server has a transaction open on this connection."""
        return self.raw.in_transaction

    # -- queries --------------------------------------------------------------------------

    async def execute(self, sql: str, params: Params = None) -> list[Row]:
        """Run one statement; return its rows as dicts in column order ([] for none)."""
        return as_dicts(await self.run_prepared(self._prepare(sql, params), sql, params))

    async def fetch_one(self, sql: str, params: Params = None) -> Row | None:
        """The first row as a dict, or None when the statement returned no row."""
        return first_dict(await self.run_prepared(self._prepare(sql, params), sql, params))

    async def execute_scalar(self, sql: str, params: Params = None) -> Any:
        """The first column of the first row, or None when there is no row."""
        return first_value(await self.run_prepared(self._prepare(sql, params), sql, params))

    async def execute_non_query(self, sql: str, params: Params = None) -> int:
        """Run a statement for its effect; return the affected-row count (-1 if unknown)."""
        return (await self.run_prepared(self._prepare(sql, params), sql, params)).rowcount

    async def execute_many(self, sql: str, seq_of_params: Sequence[Params]) -> int:
        """Run one statement once per parameter set; return the affected-row count."""
        compiled = compile_sql(sql, self._style, self._lexer)
        bound = [compiled.bind(params) for params in seq_of_params]
        if not bound:
            return 0
        with self.calls.statement(sql, None, [f"{len(bound)} parameter sets"]):
            return await self.raw.execute_many(compiled.text, bound)

    async def stream(
        self, sql: str, params: Params = None, *, chunk_size: int = 1000
    ) -> AsyncStream[Row]:
        """Yield rows one by one with memory bounded by ``chunk_size`` (a server-side cursor
        or chunked fetch). The connection is busy until the iteration ends or is closed."""
        if chunk_size < 1:
            raise errors.ArgumentError(f"chunk_size must be >= 1, got {chunk_size!r}")
        compiled = compile_sql(sql, self._style, self._lexer)
        bound = compiled.bind(params)
        calls = self.calls.statement(sql, params, bounded=False)
        chunks = self.raw.stream(compiled.text, bound, chunk_size)
        completed = False
        try:
            async for chunk in chunks:
                columns = chunk.columns
                assert columns is not None
                for row in chunk.rows:
                    yield dict(zip(columns, row))
            completed = True
        except Exception as exc:
            try:
                calls.fail(exc)
            except BaseException as error:
                calls.observed(error)
                raise
            calls.observed(exc)
            raise
        finally:
            # The connection stays taken across the yields. A stream stopped early, or by an
            # error or a cancellation, lets the driver clean up its cursor first: only a
            # failing clean-up leaves the connection in an unknown state.
            try:
                if not completed:
                    await chunks.aclose()
            except BaseException as exc:
                calls.interrupted()
                calls.observed(exc)
                raise
            finally:
                calls.observed(None)  # a no-op once the failure was reported
                calls.release()

    @property
    def can_copy(self) -> bool:
        """Whether the driver can COPY rows in (PostgreSQL's fastest bulk path)."""
        return self.raw.can_copy

    async def copy_rows(
        self,
        table: str,
        columns: Sequence[str] | None,
        rows: Sequence[Sequence[Any]],
        *,
        schema: str | None = None,
    ) -> int:
        """``COPY table (columns) FROM STDIN`` of positional rows (names unquoted: the
        driver quotes them; ``None``: every column); the row count. Raises
        ``CopyUnsupported`` when COPY cannot carry these columns (then, if its ``aborted``
        is set, the transaction has failed)."""
        with self.calls.statement(f"COPY {table} FROM STDIN", None, [f"{len(rows)} rows"]):
            count: int = await self.raw.copy_rows(  # type: ignore[attr-defined]
                schema, table, columns, rows
            )
            return count

    async def copy_text(
        self, table: str, columns: Sequence[str] | None, data: str, *, schema: str | None = None
    ) -> int:
        """``COPY table (columns) FROM STDIN`` of rows in COPY's text format (each ending in
        a newline; names unquoted: the driver quotes them); the row count."""
        with self.calls.statement(f"COPY {table} FROM STDIN", None, [f"{len(data)} bytes"]):
            count: int = await self.raw.copy_text(  # type: ignore[attr-defined]
                schema, table, columns, data
            )
            return count

    def transaction(
        self, isolation: str | None = None, *, readonly: bool = False
    ) -> AsyncTransaction:
        """A transaction on this connection (a savepoint when one is already open)."""
        return AsyncTransaction(self, isolation, readonly)

    # -- for twinsql's own layers ---------------------------------------------------------

    async def run_prepared(self, prepared: Prepared, sql: str, params: Params) -> DriverResult:
        """Run a statement already in the driver's placeholder style, with its values bound,
        and return the driver's result; ``sql``/``params`` are the caller's, for errors and
        the echo log. Internal: the database, the ORM and the batcher run statements here."""
        if self.settings.pooler is not None:
            return await self._run_pooled(prepared, sql, params)
        try:
            with self.calls.statement(sql, params):
                if checkpoints.hook is not None:
                    checkpoints.hook(checkpoints.QUERY)
                return await self.raw.execute(prepared[0], prepared[1])
        except errors.DatabaseError as exc:
            if isinstance(exc, errors.IntegrityError):
                lookup = violations.lookup_sql(exc, self.dialect)
                if lookup is not None:
                    await self._complete_violation(exc, lookup)
            elif not self.settings.warned and self.dialect.name == "postgresql":
                self._hint_pooler(exc)
            raise

    async def _complete_violation(self, error: errors.IntegrityError, lookup: str) -> None:
        """Read from the catalog what ``error``'s message did not say (which columns a
        MySQL duplicate key covers, SQLite's index and foreign-key names). A control call:
        a transaction the error failed does not refuse it; if it fails, ``error`` is raised
        as it is."""
        text, values = self._prepare(lookup, (error.table,))
        try:
            with self.calls.control(lookup, is_commit=False, watched=False):
                result = await self.raw.execute(text, values)
        except errors.Error:
            return
        violations.complete(error, result.rows)

    # ``connection.pooler`` is imported in the methods that apply it: only a database behind
    # a pooler, or a PostgreSQL error that looks like one, needs its rules.

    def _hint_pooler(self, exc: errors.DatabaseError) -> None:
        from twinsql.connection import pooler

        if pooler.looks_like_pgbouncer(exc.sqlstate, exc.message):
            self.settings.warned = True
            pool_logger.warning("%s", pooler.PGBOUNCER_HINT)

    async def _run_pooled(self, prepared: Prepared, sql: str, params: Params) -> DriverResult:
        """``run_prepared`` behind a transaction pooler (see ``connection.pooler``)."""
        from twinsql.connection import pooler

        in_transaction = self.in_transaction
        decision = pooler.decide(sql, in_transaction)
        if decision.action == "refuse":
            raise errors.PoolerUnsupported(decision.message, sql=sql)
        if decision.action == "remember":
            if decision.name == "ALL":
                self.session_settings.clear()
            elif decision.local is None:
                self.session_settings.pop(decision.name, None)
            else:
                self.session_settings[decision.name] = decision.local
            if not in_transaction or decision.local is None:
                return DriverResult(None, [], 0)
            prepared, sql = (decision.local, ()), decision.local
        elif self.session_settings and not in_transaction:
            # The settings apply inside a transaction only: give the statement one.
            async with self.transaction():
                return await self._run_pooled(prepared, sql, params)
        with self.calls.statement(sql, params):
            if checkpoints.hook is not None:
                checkpoints.hook(checkpoints.QUERY)
            return await self.raw.execute(prepared[0], prepared[1])

    def pooler_begin_statements(self) -> tuple[str, ...]:
        """What follows BEGIN behind a transaction pooler (nothing otherwise)."""
        if self.settings.pooler is None:
            return ()
        timeout = self.settings.statement_timeout
        milliseconds = None if timeout is None else statement_timeout_ms(timeout)
        from twinsql.connection import pooler

        return pooler.begin_statements(milliseconds, self.session_settings)

    async def send_control(self, sql: str, *, is_commit: bool = False) -> None:
        """Send a transaction-control statement (BEGIN, COMMIT, SAVEPOINT …): generated SQL
        with no parameters. Internal: for transactions and the pool."""
        with self.calls.control(sql, is_commit=is_commit):
            await self.raw.execute(sql, ())

    async def reset_transaction(self) -> None:
        """Roll back whatever transaction a caller left open, every level with it, and
        forget the levels. Internal: the pool does this before keeping such a connection."""
        await self.send_control("ROLLBACK")
        self.transaction_stack.reset()

    def _prepare(self, sql: str, params: Params) -> Prepared:
        return prepare_statement(sql, params, self._style, self._lexer)


from twinsql.connection._async.transaction import AsyncTransaction  # noqa: E402  (cycle: txn uses us)
