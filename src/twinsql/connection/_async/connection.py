# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""Connection layer, I/O: one database connection and the query methods every caller uses.

``AsyncConnection`` wraps one native driver connection. It translates placeholders and keeps
the transaction state machine (``twinsql.connection.txn``). Every call that does I/O goes
through the connection's ``CallGuard``, the one owner of the rules around a call: refuse a
statement in a failed transaction, refuse a broken connection and a second concurrent user
(``ConcurrentUseError``), echo the SQL, turn driver errors into twinsql errors carrying the
SQL, and record when a call was interrupted mid-I/O so that the pool discards the connection
instead of handing a half-read reply to the next caller.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import Any, Final

from twinsql import errors
from twinsql._compat import UseGuard, monotonic
from twinsql.connection import checkpoints
from twinsql.connection.observe import Observer
from twinsql.connection.txn import TransactionStack
from twinsql.drivers.base import AsyncDriverConnection, AsyncStream, CopyUnsupported, DriverResult
from twinsql.drivers.deadline import CLIENT_GRACE, Armed
from twinsql.sql import violations
from twinsql.sql.dialects import Dialect
from twinsql.sql.lexer import Lexer
from twinsql.sql.placeholders import ParamStyle, compile_sql

__all__ = ["AsyncConnection", "ConnectionSettings", "Prepared", "Row", "prepare_statement"]

Row = dict[str, Any]
Params = Sequence[Any] | Mapping[str, Any] | None
# SQL in the driver's placeholder style, and the positional values to bind.
Prepared = tuple[str, Sequence[Any]]

# Statements at INFO whenever this logger is enabled for INFO, their parameters at DEBUG
# (never with hide_parameters); ``echo=True`` enables it (``echo_to_stdout``).
sql_logger = logging.getLogger("twinsql.sql")
sql_log_enabled = sql_logger.isEnabledFor
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

_IS_ASYNC = True
if _IS_ASYNC:
    from twinsql.drivers.deadline import arm_on_loop as arm_deadline
else:
    from twinsql.drivers.deadline import arm_on_watchdog as arm_deadline  # noqa: E402, RUF100


def prepare_statement(sql: str, params: Params, style: ParamStyle, lexer: Lexer) -> Prepared:
    """Translate placeholders and bind values; every check happens here, before any I/O."""
    compiled = compile_sql(sql, style, lexer)
    return compiled.text, compiled.bind(params)


def scrub_values(message: str, params: Params) -> str:
    """Replace the text of each string parameter (of 3+ characters) in ``message``."""
    values = params.values() if isinstance(params, Mapping) else (params or ())
    for value in values:
        if isinstance(value, str) and len(value) >= 3:
            message = message.replace(value, "***")
    return message


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


class ConnectionSettings:
    """What every connection of one database shares: logging, message hygiene, the
    client-side bound on each call (``statement_timeout``; ``None``: no timer is armed) and
    the observer told about each call (``None``: nothing watches)."""

    __slots__ = ("echo", "hide_parameters", "observer", "secrets", "statement_timeout")

    def __init__(
        self,
        *,
        echo: bool,
        hide_parameters: bool,
        secrets: Sequence[str],
        statement_timeout: float | None = None,
    ) -> None:
        self.echo = echo
        self.hide_parameters = hide_parameters
        self.statement_timeout = statement_timeout
        self.observer: Observer | None = None
        # Strings scrubbed from every message (the password, raw and percent-encoded).
        self.secrets = tuple(s for s in secrets if s)

    def scrub(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

    def log(self, sql: str, params: Params) -> None:
        sql_logger.info("%s", sql)
        if params and not self.hide_parameters and sql_log_enabled(logging.DEBUG):
            sql_logger.debug("parameters: %s", self.scrub(errors.format_params(params)))


class CallGuard:
    """The rules around every I/O call of one connection, each kept here once.

    A call starts with ``statement(...)`` or ``control(...)``, which refuse it or take the
    connection for it, and runs inside ``with``; leaving the block maps a driver error to a
    twinsql error, marks the connection after an interruption, and frees it::

        with self.calls.statement(sql, params):
            result = await self.raw.execute(text, values)

    One guard per connection is reused for every call: what ``statement``/``control`` record
    belongs to the call that holds the connection, and a refused call records nothing.

    With a statement timeout configured, the call runs under a client-side deadline (the
    timeout plus ``CLIENT_GRACE``, so that the server's own timeout answers first when the
    link works): when it fires, the driver's ``abort()`` stops the call, which raises
    ``StatementTimeout``, and the connection is discarded. Without one, no timer is armed.
    """

    __slots__ = (
        "_commit",
        "_connection",
        "_control",
        "_enter",
        "_limit",
        "_observed",
        "_observer",
        "_params",
        "_settings",
        "_sql",
        "_stack",
        "_timer",
        "expired",
        "release",
    )

    def __init__(self, connection: AsyncConnection, use: UseGuard) -> None:
        self._connection = connection
        self._stack = connection.transaction_stack
        self._settings = connection.settings
        # Both are the use lock's own C methods: taking and freeing the connection costs no
        # Python frame on the per-statement path.
        self._enter = use.enter
        self.release: Callable[[], None] = use.exit
        self._sql = ""
        self._params: Params = None
        self._control = False
        self._commit = False
        limit = self._settings.statement_timeout
        self._limit = None if limit is None else limit + CLIENT_GRACE
        self._timer: Armed | None = None
        # The observer of the current call and its handle (set only while one watches).
        self._observer: Observer | None = None
        self._observed: object = None
        # Set by the deadline when it fired during the current call.
        self.expired = False

    def statement(
        self, sql: str, params: Params, shown: Params = None, *, bounded: bool = True
    ) -> CallGuard:
        """Take the connection for a statement: refused inside a failed transaction, on a
        broken connection and while another call runs. ``params`` go into errors; the echo
        log shows ``shown`` instead when given (a summary of many parameter sets).
        ``bounded=False``: no deadline (a stream, whose consumer sets the pace)."""
        stack = self._stack
        if stack.depth:
            refusal = stack.refusal()
            if refusal is not None:
                raise errors.TransactionAborted(
                    refusal, sql=sql, params=params, hide_parameters=self._settings.hide_parameters
                )
        if self._connection.broken or not self._enter():
            raise self._refused(sql)
        self._sql, self._params, self._control, self._commit = sql, params, False, False
        if sql_log_enabled(logging.INFO):
            self._settings.log(sql, params if shown is None else shown)
        if self._settings.observer is not None:
            self._observe(sql, params, False)
        if self._limit is not None and bounded:
            self._arm(self._limit)
        return self

    def control(self, sql: str, *, is_commit: bool) -> CallGuard:
        """Take the connection for a transaction-control statement: exempt from the
        failed-transaction refusal (it is what ends the failed level), and its failure is
        not a statement failure of the level. A broken link during a COMMIT leaves the
        outcome unknown."""
        if self._connection.broken or not self._enter():
            raise self._refused(sql)
        self._sql, self._params, self._control, self._commit = sql, None, True, is_commit
        if sql_log_enabled(logging.INFO):
            self._settings.log(sql, None)
        if self._settings.observer is not None:
            self._observe(sql, None, True)
        if self._limit is not None:
            self._arm(self._limit)
        return self

    def _observe(self, sql: str, params: Params, control: bool) -> None:
        observer = self._settings.observer
        assert observer is not None
        self._observed = observer.call_started(sql, params, control)
        self._observer = observer

    def observed(self, error: BaseException | None) -> None:
        """Tell the observer of the current call, if any, that it ended with ``error``."""
        observer = self._observer
        if observer is not None:
            self._observer = None
            observer.call_ended(self._observed, error)

    def _arm(self, seconds: float) -> None:
        self.expired = False
        self._timer = arm_deadline(seconds, self._expire)

    def _expire(self) -> None:
        """The deadline fired: stop the call (the server is asked to stop the statement)."""
        self.expired = True
        raw = self._connection.raw
        if not raw.clean_after_interrupt:
            self._connection.broken = True
        raw.abort()

    def _disarm(self) -> None:
        timer = self._timer
        if timer is not None:
            self._timer = None
            timer.cancel()

    # ``statement``/``control`` did the entering. ``with`` still calls __enter__: a C callable
    # taking no argument keeps that free of a Python frame (nothing uses ``as``).
    __enter__ = staticmethod(tuple)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._timer is not None:
            self._disarm()
        if exc is None:
            # The observer first: once released, the connection's next call (another
            # user's, in a shared block) reuses these fields.
            if self._observer is not None:
                self.observed(None)
            self.release()
            return
        try:
            if isinstance(exc, Exception):
                self.fail(exc)
            else:
                self.interrupted()
        except BaseException as error:
            self.observed(error)
            raise
        else:
            self.observed(exc)
        finally:
            self.release()

    def fail(self, exc: Exception) -> None:
        """Raise the twinsql error for ``exc``, raised by the driver during the call; return
        when ``exc`` is not the driver's to map (the caller re-raises it unchanged)."""
        conn = self._connection
        raw = conn.raw
        stack = conn.transaction_stack
        if self.expired:
            raise self._timed_out(exc) from exc
        if isinstance(exc, CopyUnsupported):
            # COPY cannot carry these columns; the connection is sound. If the server had
            # begun the COPY, the transaction has failed.
            if exc.aborted:
                stack.statement_failed("COPY failed", raw.in_transaction)
            return
        info = raw.classify_error(exc)
        if info is None:
            if not raw.clean_after_interrupt:
                conn.broken = True
            return
        if issubclass(info.cls, errors.ConnectionLost):
            conn.broken = True
        elif stack.depth and not self._control:
            stack.statement_failed(info.cls.__name__, raw.in_transaction)
        settings = conn.settings
        sql, params = self._sql, self._params
        message = settings.scrub(info.message)
        if settings.hide_parameters:
            # Some servers quote the statement with its values filled in (MySQL's
            # "near '…'" after client-side interpolation): hide the values there too.
            message = scrub_values(message, params)
        error = info.cls(
            message,
            sql=sql,
            params=params,
            hide_parameters=settings.hide_parameters,
            sqlstate=info.sqlstate,
            driver_error=exc,
        )
        if info.violation is not None and isinstance(error, errors.IntegrityError):
            violations.apply(error, violations.locate(info.violation, sql, raw.dialect.lexer))
        if self._commit and isinstance(error, errors.ConnectionLost):
            raise errors.CommitOutcomeUnknown(
                "the connection broke after COMMIT was sent: the transaction may or may "
                f"not have been committed ({error.message})",
                sql=sql,
                driver_error=exc,
            ) from exc
        raise error from exc

    def interrupted(self) -> None:
        """A cancellation, timeout or interrupt arrived during I/O: a driver that cannot
        tell where its reply stopped makes the connection unusable; otherwise the statement
        failed inside its level."""
        conn = self._connection
        raw = conn.raw
        if not raw.clean_after_interrupt:
            # The server may still be running the statement: ask it to stop (in the
            # background), and never reuse the link.
            conn.broken = True
            raw.abort()
        elif conn.transaction_stack.depth:
            conn.transaction_stack.statement_failed("interrupted", raw.in_transaction)

    def _timed_out(self, exc: BaseException) -> errors.Error:
        """The error of a call stopped by its deadline: a ``StatementTimeout`` (for a
        COMMIT, whose outcome is then unknown, ``CommitOutcomeUnknown``)."""
        conn = self._connection
        raw = conn.raw
        if not raw.clean_after_interrupt:
            conn.broken = True
        elif conn.transaction_stack.depth and not self._control:
            conn.transaction_stack.statement_failed("StatementTimeout", raw.in_transaction)
        limit = self._settings.statement_timeout
        if self._commit:
            return errors.CommitOutcomeUnknown(
                f"no reply to COMMIT within the statement timeout ({limit:g}s): the "
                "transaction may or may not have been committed",
                sql=self._sql,
                driver_error=exc,
            )
        return errors.StatementTimeout(
            f"the statement did not complete within statement_timeout ({limit:g}s); the "
            "server was asked to stop it and the connection was discarded",
            sql=self._sql,
            params=self._params,
            hide_parameters=self._settings.hide_parameters,
            driver_error=exc,
        )

    def _refused(self, sql: str) -> errors.Error:
        if self._connection.broken:
            return errors.InterfaceError(
                "this connection broke during an earlier operation and cannot be used", sql=sql
            )
        return errors.ConcurrentUseError(
            "this connection is already running an operation for another task or thread; "
            "give each concurrent task its own connection (the database's methods do)",
            sql=sql,
        )


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
        try:
            with self.calls.statement(sql, params):
                if checkpoints.hook is not None:
                    checkpoints.hook(checkpoints.QUERY)
                return await self.raw.execute(prepared[0], prepared[1])
        except errors.IntegrityError as error:
            lookup = violations.lookup_sql(error, self.dialect)
            if lookup is not None:
                await self._complete_violation(error, lookup)
            raise

    async def _complete_violation(self, error: errors.IntegrityError, lookup: str) -> None:
        """Read from the catalog what ``error``'s message did not say (which columns a
        MySQL duplicate key covers, SQLite's index and foreign-key names). A control call:
        a transaction the error failed does not refuse it; if it fails, ``error`` is raised
        as it is."""
        text, values = self._prepare(lookup, (error.table,))
        try:
            with self.calls.control(lookup, is_commit=False):
                result = await self.raw.execute(text, values)
        except errors.Error:
            return
        violations.complete(error, result.rows)

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
