# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""I/O shell: one database connection and the query methods every caller uses.

A connection wraps one native driver connection. It translates placeholders, refuses
a second concurrent user (``ConcurrentUseError``), keeps the transaction state machine
(``core.txn``), turns driver errors into twinsql errors carrying the SQL, and records when an
operation was interrupted mid-I/O so that the pool discards the connection instead of handing
a half-read reply to the next caller.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from twinsql import errors
from twinsql._compat import UseGuard, monotonic
from twinsql.connection.txn import TransactionStack
from twinsql.drivers.base import AsyncDriverConnection, AsyncStream, CopyUnsupported, DriverResult
from twinsql.sql.dialects import Dialect
from twinsql.sql.lexer import Lexer
from twinsql.sql.placeholders import ParamStyle, compile_sql

__all__ = ["AsyncConnection", "Prepared", "Row", "ShellSettings", "prepare_statement"]

Row = dict[str, Any]
Params = Sequence[Any] | Mapping[str, Any] | None
# SQL in the driver's placeholder style, and the positional values to bind.
Prepared = tuple[str, Sequence[Any]]

sql_logger = logging.getLogger("twinsql.sql")


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


class ShellSettings:
    """What every connection of one database shares: logging and message hygiene."""

    __slots__ = ("echo", "hide_parameters", "secrets")

    def __init__(self, *, echo: bool, hide_parameters: bool, secrets: Sequence[str]) -> None:
        self.echo = echo
        self.hide_parameters = hide_parameters
        # Strings scrubbed from every message (the password, raw and percent-encoded).
        self.secrets = tuple(s for s in secrets if s)

    def scrub(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

    def log(self, sql: str, params: Params) -> None:
        if self.hide_parameters or not params:
            sql_logger.info("%s", sql)
        else:
            sql_logger.info("%s  %s", sql, self.scrub(errors.format_params(params)))


class AsyncConnection:
    """One pooled connection. Obtain it with ``db.connection()`` (pinned) or implicitly
    through the database's methods; do not share it between tasks at once."""

    def __init__(self, raw: AsyncDriverConnection, settings: ShellSettings) -> None:
        self._raw = raw
        self._settings = settings
        self._guard = UseGuard()
        self._stack = TransactionStack()
        self._style = raw.paramstyle
        self._lexer = raw.dialect.lexer
        self.created_at = monotonic()
        # Set when an operation was interrupted mid-I/O or the link broke: never reuse.
        self.broken = False

    def __repr__(self) -> str:
        state = "broken" if self.broken else ("in transaction" if self.in_transaction else "idle")
        return f"<{type(self).__name__} {self._lexer} {state}>"

    @property
    def dialect(self) -> Dialect:
        return self._raw.dialect

    @property
    def raw(self) -> AsyncDriverConnection:
        """The driver adapter (for twinsql's own layers; not a stable public API)."""
        return self._raw

    @property
    def in_transaction(self) -> bool:
        return self._raw.in_transaction

    @property
    def max_params(self) -> int:
        return self._raw.max_params

    # -- queries --------------------------------------------------------------------------

    async def execute(self, sql: str, params: Params = None) -> list[Row]:
        """Run one statement; return its rows as dicts in column order ([] for none)."""
        return as_dicts(await self._run(self._prepare(sql, params), sql, params))

    async def fetch_one(self, sql: str, params: Params = None) -> Row | None:
        """The first row as a dict, or None when the statement returned no row."""
        return first_dict(await self._run(self._prepare(sql, params), sql, params))

    async def execute_scalar(self, sql: str, params: Params = None) -> Any:
        """The first column of the first row, or None when there is no row."""
        return first_value(await self._run(self._prepare(sql, params), sql, params))

    async def execute_non_query(self, sql: str, params: Params = None) -> int:
        """Run a statement for its effect; return the affected-row count (-1 if unknown)."""
        return (await self._run(self._prepare(sql, params), sql, params)).rowcount

    async def execute_many(self, sql: str, seq_of_params: Sequence[Params]) -> int:
        """Run one statement once per parameter set; return the affected-row count."""
        compiled = compile_sql(sql, self._style, self._lexer)
        bound = [compiled.bind(params) for params in seq_of_params]
        if not bound:
            return 0
        self._check_refusal(sql, None)
        self._enter(sql)
        try:
            if self._settings.echo:
                self._settings.log(sql, [f"{len(bound)} parameter sets"])
            return await self._raw.execute_many(compiled.text, bound)
        except Exception as exc:
            error = self._failure(exc, sql, None)
            if error is None:
                raise
            raise error from exc
        except BaseException:
            self._interrupted()
            raise
        finally:
            self._guard.exit()

    async def stream(
        self, sql: str, params: Params = None, *, chunk_size: int = 1000
    ) -> AsyncStream[Row]:
        """Yield rows one by one with memory bounded by ``chunk_size`` (a server-side cursor
        or chunked fetch). The connection is busy until the iteration ends or is closed."""
        if chunk_size < 1:
            raise errors.ArgumentError(f"chunk_size must be >= 1, got {chunk_size!r}")
        compiled = compile_sql(sql, self._style, self._lexer)
        bound = compiled.bind(params)
        self._check_refusal(sql, params)
        self._enter(sql)
        if self._settings.echo:
            self._settings.log(sql, params)
        chunks = self._raw.stream(compiled.text, bound, chunk_size)
        completed = False
        try:
            async for chunk in chunks:
                columns = chunk.columns
                assert columns is not None
                for row in chunk.rows:
                    yield dict(zip(columns, row))
            completed = True
        except Exception as exc:
            error = self._failure(exc, sql, params)
            if error is None:
                raise
            raise error from exc
        finally:
            try:
                if not completed:
                    # The consumer stopped early, or an error/cancellation arrived: let the
                    # driver clean up its cursor; if that fails the state is unknown.
                    await chunks.aclose()
            except BaseException:
                self._interrupted()
                raise
            finally:
                self._guard.exit()

    @property
    def can_copy(self) -> bool:
        """Whether the driver can COPY rows in (PostgreSQL's fastest bulk path)."""
        return self._raw.can_copy

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
        sql = f"COPY {table} FROM STDIN"
        self._check_refusal(sql, None)
        self._enter(sql)
        try:
            if self._settings.echo:
                self._settings.log(sql, [f"{len(rows)} rows"])
            count: int = await self._raw.copy_rows(  # type: ignore[attr-defined]
                schema, table, columns, rows
            )
            return count
        except CopyUnsupported as exc:
            if exc.aborted:
                self._stack.statement_failed("COPY failed", self._raw.in_transaction)
            raise
        except Exception as exc:
            error = self._failure(exc, sql, None)
            if error is None:
                raise
            raise error from exc
        except BaseException:
            self._interrupted()
            raise
        finally:
            self._guard.exit()

    def transaction(
        self, isolation: str | None = None, *, readonly: bool = False
    ) -> AsyncTransaction:
        """A transaction on this connection (a savepoint when one is already open)."""
        return AsyncTransaction(self, isolation, readonly)

    # -- internals shared with transaction.py and pool.py ---------------------------------

    def _prepare(self, sql: str, params: Params) -> Prepared:
        return prepare_statement(sql, params, self._style, self._lexer)

    async def _run(self, prepared: Prepared, sql: str, params: Params) -> DriverResult:
        """Run a prepared statement; ``sql``/``params`` are the caller's, for errors and logs."""
        self._check_refusal(sql, params)
        self._enter(sql)
        try:
            if self._settings.echo:
                self._settings.log(sql, params)
            return await self._raw.execute(prepared[0], prepared[1])
        except Exception as exc:
            error = self._failure(exc, sql, params)
            if error is None:
                raise
            raise error from exc
        except BaseException:
            self._interrupted()
            raise
        finally:
            self._guard.exit()

    async def _control(self, sql: str, *, is_commit: bool = False) -> None:
        """Send a transaction-control statement (BEGIN, COMMIT, SAVEPOINT …): generated SQL
        with no parameters, exempt from the failed-transaction refusal."""
        self._enter(sql)
        try:
            if self._settings.echo:
                self._settings.log(sql, None)
            await self._raw.execute(sql, ())
        except Exception as exc:
            error = self._failure(exc, sql, None, in_control=True)
            if error is None:
                raise
            if is_commit and isinstance(error, errors.ConnectionLost):
                raise errors.CommitOutcomeUnknown(
                    "the connection broke after COMMIT was sent: the transaction may or may "
                    f"not have been committed ({error.message})",
                    sql=sql,
                    driver_error=exc,
                ) from exc
            raise error from exc
        except BaseException:
            self._interrupted()
            raise
        finally:
            self._guard.exit()

    def _enter(self, sql: str) -> None:
        if self.broken:
            raise errors.InterfaceError(
                "this connection broke during an earlier operation and cannot be used", sql=sql
            )
        if not self._guard.enter():
            raise errors.ConcurrentUseError(
                "this connection is already running an operation for another task or thread; "
                "give each concurrent task its own connection (the database's methods do)",
                sql=sql,
            )

    def _check_refusal(self, sql: str, params: Params) -> None:
        if self._stack._levels:
            refusal = self._stack.refusal()
            if refusal is not None:
                raise errors.TransactionAborted(
                    refusal, sql=sql, params=params, hide_parameters=self._settings.hide_parameters
                )

    def _failure(
        self, exc: Exception, sql: str, params: Params, *, in_control: bool = False
    ) -> errors.Error | None:
        """The twinsql error for a driver exception (None: not the driver's; re-raise it)."""
        info = self._raw.classify_error(exc)
        if info is None:
            if not self._raw.clean_after_interrupt:
                self.broken = True
            return None
        if issubclass(info.cls, errors.ConnectionLost):
            self.broken = True
        elif self._stack.depth and not in_control:
            self._stack.statement_failed(info.cls.__name__, self._raw.in_transaction)
        message = self._settings.scrub(info.message)
        if self._settings.hide_parameters:
            # Some servers quote the statement with its values filled in (MySQL's
            # "near '…'" after client-side interpolation): hide the values there too.
            message = scrub_values(message, params)
        return info.cls(
            message,
            sql=sql,
            params=params,
            hide_parameters=self._settings.hide_parameters,
            sqlstate=info.sqlstate,
            driver_error=exc,
        )

    def _interrupted(self) -> None:
        """A cancellation, timeout or interrupt arrived during I/O."""
        if not self._raw.clean_after_interrupt:
            self.broken = True
        elif self._stack.depth:
            self._stack.statement_failed("interrupted", self._raw.in_transaction)


from twinsql.connection._async.transaction import AsyncTransaction  # noqa: E402  (cycle: txn uses us)
