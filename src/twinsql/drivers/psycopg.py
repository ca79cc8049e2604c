"""Driver layer: PostgreSQL over psycopg 3, sync (``PsycopgDriver``) and async
(``AsyncPsycopgDriver``).

One base class holds everything the two connections share; the sync and async classes hold
only the calls that do I/O, awaited in the async one.

Each connection is opened in autocommit mode, so the shell's ``BEGIN``/``COMMIT`` are the
only transaction control, and ``in_transaction`` reads libpq's transaction status (no I/O).

Choices, and why:

* One cursor per connection, reused by ``execute``: a cursor is cheap but not free, and
  ``execute`` is the hot path. Rows are psycopg's default tuples; psycopg prepares a
  statement server-side after ``prepare_threshold`` runs (option ``prepare_threshold``;
  ``none`` disables it, as PgBouncer in transaction mode before 1.21 needs).
* ``dict`` and ``list`` parameters are dumped as ``jsonb`` (a dumper registered on the
  connection), so JSON values bind directly; json/jsonb columns load as Python objects.
  Python lists are therefore not sent as PostgreSQL arrays.
* ``stream`` uses libpq's chunked-rows mode (``Cursor.stream(size=...)``): one statement,
  memory bounded by ``chunk_size`` rows. A consumer that stops early leaves the connection
  clean: outside a transaction a ``SELECT`` is cancelled; inside a transaction, or for any
  other statement, the rest of the result is read and dropped, so the transaction stays
  usable and the statement's outcome does not depend on how far it was read.
* Extra URL options must be libpq connection keywords (``sslmode``, ``application_name``,
  ...) or ``prepare_threshold``; anything else is a ``ConfigurationError``. asyncpg's
  ``ssl`` and ``statement_cache_size`` are understood too (as ``sslmode`` and as the size of
  psycopg's prepared-statement cache, ``0`` disabling it), because sync code on a
  ``postgresql+asyncpg`` URL runs on psycopg.
"""

from __future__ import annotations

import asyncio
import math
import select
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from itertools import islice
from typing import Any

from twinsql import errors
from twinsql.connection.url import DatabaseURL
from twinsql.drivers import postgresql
from twinsql.drivers.base import (
    AsyncStream,
    ConnectOptions,
    DriverResult,
    ErrorInfo,
    Names,
    Rows,
    Stream,
    cancels_abandoned_stream,
    connecting,
    hide_password,
)
from twinsql.drivers.deadline import CANCEL_WAIT, LinkBreaker, in_background
from twinsql.sql.dialects import PSYCOPG_MAX_PARAMS
from twinsql.sql.placeholders import ParamStyle
from twinsql.sql.violations import postgresql_violation

try:
    import psycopg
    from psycopg import pq, waiting
    from psycopg import sql as pgsql
    from psycopg.types.json import JsonbDumper
except ImportError:  # pragma: no cover - exercised only without the extra installed
    psycopg = None  # type: ignore[assignment]

__all__ = ["AsyncPsycopgConnection", "AsyncPsycopgDriver", "PsycopgConnection", "PsycopgDriver"]

_INSTALL_HINT = "the psycopg package is not installed: install twinsql[postgresql]"
# libpq transaction status: INTRANS (2) and INERROR (3) mean a transaction block is open.
_IN_TRANSACTION = (2, 3)
_IDLE = 0
_ACTIVE = 1
_TUPLES_OK = 2  # ExecStatus of a result that carries rows
# Connection failures carry no SQLSTATE in libpq; the server's FATAL text tells these apart
# from a network failure, which would otherwise be retried as ConnectionLost.
_CONNECT_FAILURES: tuple[tuple[str, str, type[errors.Error], str], ...] = (
    ("password authentication failed", "", errors.OperationalError, "28P01"),
    ("no pg_hba.conf entry", "", errors.OperationalError, "28000"),
    ('FATAL:  role "', "does not exist", errors.OperationalError, "28000"),
    ('FATAL:  database "', "does not exist", errors.ProgrammingError, "3D000"),
)
_SSL_ALIASES = {"true": "require", "false": "disable"}
_libpq_keywords: frozenset[str] | None = None


_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


def _is_control(sql: str) -> bool:
    """The shell's transaction-control statements (generated text, upper case)."""
    return sql[:1] in "BCRS" and sql.startswith(_CONTROL)


def _keywords() -> frozenset[str]:
    global _libpq_keywords
    if _libpq_keywords is None:
        _libpq_keywords = frozenset(o.keyword.decode() for o in pq.Conninfo.get_defaults())
    return _libpq_keywords


def _connect_kwargs(
    url: DatabaseURL, options: ConnectOptions
) -> tuple[dict[str, Any], int | None]:
    """``psycopg.connect`` keyword arguments (the password passed as a keyword, never in a
    DSN string), and the prepared-statement cache size when the URL sets one."""
    if psycopg is None:
        raise errors.ConfigurationError(_INSTALL_HINT)
    kwargs: dict[str, Any] = {"autocommit": True}
    for key, value in (
        ("host", url.host), ("port", url.port), ("user", url.username),
        ("password", url.password), ("dbname", url.database),
    ):
        if value is not None:
            kwargs[key] = value
    if options.connect_timeout:
        kwargs["connect_timeout"] = max(1, math.ceil(options.connect_timeout))
    prepared_max: int | None = None
    server_options = []
    if options.statement_timeout:
        milliseconds = postgresql.statement_timeout_ms(options.statement_timeout)
        server_options.append(f"-c statement_timeout={milliseconds}")
    extra = options.extra
    for key, value in extra.items():
        if key == "prepare_threshold":
            kwargs[key] = None if value.lower() in ("", "none") else _int_option(key, value)
        elif key == "statement_cache_size":  # asyncpg's option, for a URL both drivers use
            size = _int_option(key, value)
            if size <= 0 and "prepare_threshold" not in extra:
                kwargs["prepare_threshold"] = None
            elif size > 0:
                prepared_max = size
        elif key == "ssl":  # asyncpg's spelling of sslmode
            kwargs["sslmode"] = _SSL_ALIASES.get(value.lower(), value)
        elif key == "options":
            server_options.insert(0, value)
        elif key in _keywords() and key != "password":
            kwargs[key] = value
        else:
            raise errors.ConfigurationError(
                f"unknown option {key!r} for postgresql+psycopg: expected a libpq keyword "
                "(sslmode, application_name, ...), prepare_threshold, statement_cache_size "
                "or ssl"
            )
    if server_options:
        kwargs["options"] = " ".join(server_options)
    return kwargs, prepared_max


def _int_option(key: str, value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise errors.ConfigurationError(f"option {key} must be an integer, got {value!r}")


def _message(exc: BaseException) -> str:
    diag = getattr(exc, "diag", None)
    primary = diag.message_primary if diag is not None else None
    if primary:
        return postgresql.with_detail(primary, diag.message_detail if diag is not None else None)
    return str(exc).strip() or type(exc).__name__


def classify_psycopg_error(exc: BaseException) -> ErrorInfo | None:
    """Classify a psycopg (or socket) exception; ``None`` when it is neither."""
    if psycopg is not None and isinstance(exc, psycopg.Error):
        message = _message(exc)
        sqlstate = exc.sqlstate
        if sqlstate:
            diag = exc.diag
            violation = postgresql_violation(
                sqlstate,
                diag.constraint_name,
                diag.table_name,
                diag.column_name,
                diag.message_detail,
            )
            return postgresql.server_error(sqlstate, message, violation)
        if isinstance(exc, psycopg.OperationalError):
            # No SQLSTATE: the connection failed or broke ("server closed the connection
            # unexpectedly", "the connection is closed", "connection timeout expired").
            for fragment, also, cls, state in _CONNECT_FAILURES:
                if fragment in message and also in message:
                    return ErrorInfo(cls, message, state)
            return ErrorInfo(errors.ConnectionLost, message, None)
        if isinstance(exc, psycopg.InterfaceError):
            return ErrorInfo(errors.InterfaceError, message, None)
        for name in ("IntegrityError", "DataError", "ProgrammingError"):
            if isinstance(exc, getattr(psycopg, name)):
                return ErrorInfo(getattr(errors, name), message, None)
        if isinstance(exc, psycopg.NotSupportedError):
            return ErrorInfo(errors.ProgrammingError, message, None)
        return ErrorInfo(errors.DatabaseError, message, None)
    if isinstance(exc, (OSError, EOFError)):
        return ErrorInfo(errors.ConnectionLost, str(exc) or type(exc).__name__, None)
    return None


_CONNECT_ERRORS = (psycopg.Error, OSError)


def _connect_error(exc: BaseException, url: DatabaseURL) -> errors.Error:
    info = classify_psycopg_error(exc) or ErrorInfo(errors.ConnectionLost, str(exc), None)
    return info.cls(hide_password(info.message, url), sqlstate=info.sqlstate, driver_error=exc)


def _configured(conn: Any, prepared_max: int | None) -> Any:
    """A new connection with twinsql's settings: ``dict``/``list`` dumped as jsonb, and the
    prepared-statement cache size the URL asked for."""
    conn.adapters.register_dumper(dict, JsonbDumper)
    conn.adapters.register_dumper(list, JsonbDumper)
    if prepared_max is not None:
        conn.prepared_max = prepared_max
    return conn


def _columns(result: Any, encoding: str) -> tuple[str, ...] | None:
    """Column names of a result, or ``None`` when it has no rows (a command). Read from the
    PGresult directly: three times cheaper than building ``cursor.description``."""
    if result is None or result.status != _TUPLES_OK:
        return None
    fname = result.fname
    return tuple([fname(i).decode(encoding) for i in range(result.nfields)])


def _copy_statement(
    schema: str | None, table: str, columns: Sequence[str] | None
) -> pgsql.Composed:
    """``COPY schema.table (columns) FROM STDIN`` with every name quoted by psycopg (text
    format: the server parses each value by its column type, as it does an INSERT's)."""
    name = pgsql.Identifier(schema, table) if schema else pgsql.Identifier(table)
    cols: pgsql.Composable = pgsql.SQL("")
    if columns:
        cols = pgsql.SQL(" ({})").format(pgsql.SQL(", ").join(map(pgsql.Identifier, columns)))
    return pgsql.SQL("COPY {}{} FROM STDIN").format(name, cols)


def _raise_unless_no_result(exc: BaseException) -> None:
    """Re-raise ``exc`` unless it is psycopg's complaint that a streamed statement returned
    no rows (DDL, a plain UPDATE): the statement ran, and like the other drivers the stream
    just yields nothing."""
    if getattr(exc, "sqlstate", None) is not None or "didn't produce a result" not in str(exc):
        raise exc


def _names(cursor: Any) -> tuple[str, ...]:
    """The column names of a stream's result, once it has rows."""
    return tuple([c.name for c in cursor.description or ()])


def _copied(cursor: Any, rows: Rows) -> int:
    """The row count of a finished COPY (the rows given, when the server reported none)."""
    return cursor.rowcount if cursor.rowcount >= 0 else len(rows)


def _read_to_end(rows: Iterator[Any]) -> None:
    """Read and drop the rest of a stream so its statement completes normally; an error
    now belongs to the session (INERROR, or a closed connection)."""
    try:
        for _ in rows:
            pass
    except Exception:
        pass


async def _read_to_end_async(rows: AsyncIterator[Any]) -> None:
    """``_read_to_end`` for an async stream."""
    try:
        async for _ in rows:
            pass
    except Exception:
        pass


def _send_cancel(pgconn: Any) -> None:
    """Ask the server to stop the statement running on ``pgconn``'s session, waiting at
    most ``CANCEL_WAIT`` (libpq's cancel connection, driven without blocking)."""
    deadline = time.monotonic() + CANCEL_WAIT
    cancel = pgconn.cancel_conn()
    try:
        cancel.start()
        while True:
            status = cancel.poll()
            if status == pq.PollingStatus.OK:
                return
            if status == pq.PollingStatus.FAILED:
                raise OSError(cancel.get_error_message())
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no answer to the cancel request")
            fd = cancel.socket
            reading = status == pq.PollingStatus.READING
            select.select([fd] if reading else [], [] if reading else [fd], [], remaining)
    finally:
        cancel.finish()


class _PsycopgTraits(postgresql.PostgreSQLTraits):
    paramstyle: ParamStyle = "format"


class _PsycopgConnection(_PsycopgTraits):
    """What the sync and the async connection share: everything but the awaited calls."""

    max_params = PSYCOPG_MAX_PARAMS
    clean_after_interrupt = False
    _conn: Any
    _cursor: Any

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self._cursor = conn.cursor()
        self._encoding = conn.info.encoding  # client_encoding: twinsql never changes it
        self._link = LinkBreaker(conn.pgconn.socket)
        self._aborted = False
        conn.on_interrupt = self.abort

    @property
    def in_transaction(self) -> bool:
        return self._conn.pgconn.transaction_status in _IN_TRANSACTION

    @property
    def closed(self) -> bool:
        """Closed, or found ended by the server while idle (then closed here): a session
        the server terminated is replaced before any byte of a statement is sent."""
        if self._conn.closed:
            return True
        if self._conn.pgconn.transaction_status == _IDLE and self._link.peer_gone():
            self.terminate()
            return True
        return False

    def abort(self) -> None:
        """Ask the server to cancel the running statement (in the background) and break
        the link, so the waiting call fails at once (see ``drivers.base``)."""
        if self._aborted or self._conn.closed:
            return
        self._aborted = True
        pgconn = self._conn.pgconn
        if pgconn.transaction_status == _ACTIVE:
            in_background(lambda: _send_cancel(pgconn), "cancel-request")
        self._link.break_link()

    def terminate(self) -> None:
        # PQfinish: closes the socket at once (the Terminate message it writes is not
        # waited for); safe for the async class too, since nothing is awaited.
        self._conn.pgconn.finish()
        self._link.close()

    def classify_error(self, exc: BaseException) -> ErrorInfo | None:
        return classify_psycopg_error(exc)

    def _open_stream(
        self, sql: str, params: Sequence[Any], chunk_size: int
    ) -> tuple[Any, Any, bool]:
        """A new cursor for ``stream``, its row generator, and whether a consumer that stops
        early must have the rest read (anything but a SELECT outside a transaction, which
        is cancelled instead)."""
        drain = not cancels_abandoned_stream(sql, self.in_transaction)
        cursor = self._conn.cursor()
        return cursor, cursor.stream(sql, params or None, size=max(1, chunk_size)), drain

    def _still_running(self, drain: bool) -> bool:
        """Whether an ended stream's statement must be read to its end before closing."""
        return drain and self._conn.pgconn.transaction_status == _ACTIVE


class PsycopgConnection(_PsycopgConnection):
    """One sync psycopg connection in autocommit mode."""

    _conn: psycopg.Connection[Any]
    _cursor: psycopg.Cursor[Any]

    def execute(self, sql: str, params: Sequence[Any]) -> DriverResult:
        cursor = self._cursor
        # No parameters: None, so psycopg skips scanning the text for placeholders.
        # Transaction control is never prepared: a prepared BEGIN/COMMIT disappears from
        # pg_stat_statements, hiding the transactions from monitoring.
        cursor.execute(sql, params or None, prepare=False if _is_control(sql) else None)
        columns = _columns(cursor.pgresult, self._encoding)
        if columns is None:
            return DriverResult(None, [], cursor.rowcount)
        return DriverResult(columns, cursor.fetchall(), cursor.rowcount)

    def execute_many(self, sql: str, seq_of_params: Rows) -> int:
        self._cursor.executemany(sql, seq_of_params)
        return self._cursor.rowcount

    def copy_rows(self, schema: str | None, table: str, columns: Names, rows: Rows) -> int:
        """COPY ``rows`` into the table (see ``drivers.base``); returns the row count."""
        with self._cursor.copy(_copy_statement(schema, table, columns)) as copy:
            write_row = copy.write_row
            for row in rows:
                write_row(row)
        return _copied(self._cursor, rows)

    def copy_text(self, schema: str | None, table: str, columns: Names, data: str) -> int:
        """COPY rows given in COPY's text format (see ``drivers.base``); the row count."""
        with self._cursor.copy(_copy_statement(schema, table, columns)) as copy:
            copy.write(data)
        return self._cursor.rowcount

    def stream(self, sql: str, params: Sequence[Any], chunk_size: int) -> Stream[DriverResult]:
        cursor, rows, drain = self._open_stream(sql, params, chunk_size)
        try:
            for chunk in iter(lambda: list(islice(rows, chunk_size)), []):
                yield DriverResult(_names(cursor), chunk)
        except psycopg.ProgrammingError as exc:
            _raise_unless_no_result(exc)
        finally:
            if self._still_running(drain):
                _read_to_end(rows)
            rows.close()  # psycopg cancels a statement still running, then drains
            cursor.close()

    def ping(self) -> None:
        self._cursor.execute("SELECT 1")

    def close(self) -> None:
        self._conn.close()
        self._link.close()


class AsyncPsycopgConnection(_PsycopgConnection):
    """One async psycopg connection in autocommit mode."""

    _conn: psycopg.AsyncConnection[Any]
    _cursor: psycopg.AsyncCursor[Any]

    async def execute(self, sql: str, params: Sequence[Any]) -> DriverResult:
        cursor = self._cursor
        await cursor.execute(sql, params or None, prepare=False if _is_control(sql) else None)
        columns = _columns(cursor.pgresult, self._encoding)
        if columns is None:
            return DriverResult(None, [], cursor.rowcount)
        return DriverResult(columns, await cursor.fetchall(), cursor.rowcount)

    async def execute_many(self, sql: str, seq_of_params: Rows) -> int:
        await self._cursor.executemany(sql, seq_of_params)
        return self._cursor.rowcount

    async def copy_rows(self, schema: str | None, table: str, columns: Names, rows: Rows) -> int:
        """COPY ``rows`` into the table (see ``drivers.base``); returns the row count."""
        async with self._cursor.copy(_copy_statement(schema, table, columns)) as copy:
            write_row = copy.write_row
            for row in rows:
                await write_row(row)
        return _copied(self._cursor, rows)

    async def copy_text(self, schema: str | None, table: str, columns: Names, data: str) -> int:
        """COPY rows given in COPY's text format (see ``drivers.base``); the row count."""
        async with self._cursor.copy(_copy_statement(schema, table, columns)) as copy:
            await copy.write(data)
        return self._cursor.rowcount

    async def stream(
        self, sql: str, params: Sequence[Any], chunk_size: int
    ) -> AsyncStream[DriverResult]:
        cursor, rows, drain = self._open_stream(sql, params, chunk_size)
        try:
            chunk: list[Sequence[Any]] = []
            async for row in rows:
                chunk.append(row)
                if len(chunk) >= chunk_size:
                    yield DriverResult(_names(cursor), chunk)
                    chunk = []
            if chunk:
                yield DriverResult(_names(cursor), chunk)
        except psycopg.ProgrammingError as exc:
            _raise_unless_no_result(exc)
        finally:
            if self._still_running(drain):
                await _read_to_end_async(rows)
            await rows.aclose()
            await cursor.close()

    async def ping(self) -> None:
        await self._cursor.execute("SELECT 1")

    async def close(self) -> None:
        await self._conn.close()
        self._link.close()


if psycopg is not None:

    class _NativeConnection(psycopg.Connection[Any]):
        """psycopg's connection, with the hook its adapter sets for an interrupted call."""

        on_interrupt: Any = None

    class _NativeAsyncConnection(psycopg.AsyncConnection[Any]):
        """psycopg's async connection, but a cancelled call returns at once. psycopg's own
        handling sends a cancel request and then waits up to 5 s for it and 5 s more for the
        statement to end, in the cancelled task; here the adapter's ``abort`` sends the
        request in the background and breaks the link instead (the shell discards the
        connection after any interrupted call)."""

        on_interrupt: Any = None

        async def wait(self, gen: Any, interval: float = 0.1, timeout: float | None = None) -> Any:
            if self.pgconn.pipeline_status != pq.PipelineStatus.OFF:
                # A pipeline (executemany) must be read to its end after a cancellation:
                # psycopg's own handling does that.
                return await super().wait(gen, interval, timeout)
            try:
                return await waiting.wait_async(
                    gen, self.pgconn.socket, interval=interval, timeout=timeout
                )
            except asyncio.CancelledError:
                if self.on_interrupt is not None:
                    self.on_interrupt()
                raise


def _connect_within(kwargs: dict[str, Any], timeout: float | None) -> Any:
    """A sync psycopg connection, the whole connect bounded by ``timeout`` seconds. libpq
    rounds its own ``connect_timeout`` to whole seconds of at least 2, so the connect runs
    on a short-lived thread that is waited for ``timeout`` only; a connection it completes
    too late is closed there."""
    if not timeout:
        return _NativeConnection.connect(**kwargs)
    executor = ThreadPoolExecutor(1, thread_name_prefix="twinsql-connect")
    future = executor.submit(_NativeConnection.connect, **kwargs)
    executor.shutdown(wait=False)
    try:
        return future.result(timeout)
    except FutureTimeout:
        future.add_done_callback(_close_late)
        raise psycopg.OperationalError(f"connection timeout expired after {timeout:g}s") from None


def _close_late(future: Any) -> None:
    if not future.cancelled() and future.exception() is None:
        future.result().close()


class PsycopgDriver(_PsycopgTraits):
    """Opens sync psycopg connections."""

    name = "psycopg"

    def connect(self, url: DatabaseURL, options: ConnectOptions) -> PsycopgConnection:
        kwargs, prepared_max = _connect_kwargs(url, options)
        with connecting(url, _CONNECT_ERRORS, _connect_error):
            conn = _connect_within(kwargs, options.connect_timeout)
        return PsycopgConnection(_configured(conn, prepared_max))


class AsyncPsycopgDriver(_PsycopgTraits):
    """Opens async psycopg connections."""

    name = "psycopg"

    async def connect(self, url: DatabaseURL, options: ConnectOptions) -> AsyncPsycopgConnection:
        kwargs, prepared_max = _connect_kwargs(url, options)
        with connecting(url, _CONNECT_ERRORS, _connect_error):
            connect = _NativeAsyncConnection.connect(**kwargs)
            if options.connect_timeout:
                try:
                    conn = await asyncio.wait_for(connect, options.connect_timeout)
                except asyncio.TimeoutError:
                    raise psycopg.OperationalError(
                        f"connection timeout expired after {options.connect_timeout:g}s"
                    ) from None
            else:
                conn = await connect
        return AsyncPsycopgConnection(_configured(conn, prepared_max))
