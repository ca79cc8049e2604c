"""Driver layer: PostgreSQL over asyncpg (async only; sync code on a ``postgresql+asyncpg``
URL runs on psycopg).

asyncpg has no autocommit switch to set: outside an explicit ``BEGIN`` every statement
commits by itself, and ``in_transaction`` is asyncpg's protocol-level transaction status.

Choices, and why:

* ``execute`` runs prepared statements from a per-connection LRU cache keyed by the SQL
  text (option ``statement_cache_size``, default 100; ``0`` disables it and uses unnamed
  statements, as PgBouncer in transaction mode needs; psycopg's ``prepare_threshold=none``
  means the same). The cache entry keeps the column names, so an empty result still has
  its columns. A statement invalidated by a schema change is re-prepared and retried once
  when no transaction is open (inside one, the server has already aborted the
  transaction, so the error is raised).
* Parameter-less commands that can never return rows (``BEGIN``, ``COMMIT``, ``SAVEPOINT``,
  DDL, ``SET`` ...) go through the simple-query protocol: one round trip, nothing prepared.
* Rows are asyncpg ``Record`` objects, not converted: they index, iterate, compare equal to
  tuples and ``zip`` with the column names like tuples, and converting 10k rows costs more
  than the rest of the call. They are not ``tuple`` instances.
* ``execute_many`` uses asyncpg's pipelined ``executemany``, which reports no row counts:
  it returns -1.
* ``stream`` uses a server-side portal (``PreparedStatement.cursor``) fetching
  ``chunk_size`` rows per round trip. A portal needs a transaction: outside one, the
  stream opens its own (``BEGIN``) and commits it when the stream ends, completed or
  abandoned (so a streamed ``INSERT ... RETURNING`` keeps its effect), or rolls it back on
  an error. Inside the caller's transaction an abandoned portal is closed, and the
  transaction stays usable.
* json and jsonb use ``json.dumps``/``json.loads`` codecs: ``dict``/``list`` parameters bind,
  columns load as Python objects, and a ``str`` parameter is taken as JSON text, as psycopg
  takes it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from twinsql import errors
from twinsql.connection.url import DatabaseURL
from twinsql.drivers import postgresql
from twinsql.drivers.base import (
    AsyncStream,
    ConnectOptions,
    CopyUnsupported,
    DriverResult,
    ErrorInfo,
    Names,
    Rows,
    connecting,
    hide_password,
    shut_down_transport,
)
from twinsql.drivers.deadline import CANCEL_WAIT, in_background
from twinsql.sql.dialects import ASYNCPG_MAX_PARAMS, POSTGRESQL
from twinsql.sql.placeholders import ParamStyle
from twinsql.sql.violations import postgresql_violation

try:
    import asyncpg  # type: ignore[import-untyped]
    from asyncpg import exceptions as pgexc

    # Errors from a cached statement that a re-prepare can fix (see _reprepare).
    _STALE = (
        pgexc.InvalidCachedStatementError, pgexc.OutdatedSchemaCacheError, pgexc.InterfaceError
    )
except ImportError:  # pragma: no cover - exercised only without the extra installed
    asyncpg = None

__all__ = ["AsyncpgConnection", "AsyncpgDriver"]

logger = logging.getLogger("twinsql.pool")


async def _cancel_backend(connect_kwargs: dict[str, Any], pid: int) -> None:
    """Ask the server to stop what session ``pid`` is running, from a side connection (asyncpg
    has no public cancel request), waiting at most ``CANCEL_WAIT``. Run on a thread of its
    own with its own loop: the caller's loop may be ending (``asyncio.run`` returning
    right after a cancellation would cancel a task left on it)."""
    try:
        side = await asyncio.wait_for(asyncpg.connect(**connect_kwargs), CANCEL_WAIT)
        try:
            await asyncio.wait_for(
                side.execute(f"SELECT pg_cancel_backend({int(pid)})"), CANCEL_WAIT
            )
        finally:
            side.terminate()
    except Exception as exc:
        logger.info("cancelling session %s failed: %r", pid, exc)


_INSTALL_HINT = "the asyncpg package is not installed: install twinsql[asyncpg]"
_DEFAULT_CACHE_SIZE = 100
_SSL_MODES = frozenset({"disable", "allow", "prefer", "require", "verify-ca", "verify-full"})
# libpq-style options asyncpg reads from a DSN query string (never the password).
_DSN_OPTIONS = frozenset({
    "sslrootcert", "sslcert", "sslkey", "sslcrl", "sslpassword", "ssl_min_protocol_version",
    "ssl_max_protocol_version", "krbsrvname", "gsslib",
})
_KNOWN_OPTIONS = _DSN_OPTIONS | {
    "ssl", "sslmode", "statement_cache_size", "application_name", "target_session_attrs",
    "prepare_threshold",
}
# First keywords of statements that never return rows.
_COMMANDS = frozenset({
    "ABORT", "ALTER", "ANALYZE", "BEGIN", "CHECKPOINT", "CLOSE", "CLUSTER", "COMMENT",
    "COMMIT", "CREATE", "DEALLOCATE", "DISCARD", "DO", "DROP", "END", "GRANT", "LISTEN",
    "LOCK", "NOTIFY", "REFRESH", "REINDEX", "RELEASE", "RESET", "REVOKE", "ROLLBACK",
    "SAVEPOINT", "SET", "START", "TRUNCATE", "UNLISTEN", "VACUUM",
})
_FIRST_WORD = re.compile(r"\s*([A-Za-z]+)")


def _is_command(sql: str) -> bool:
    match = _FIRST_WORD.match(sql)
    return match is not None and match.group(1).upper() in _COMMANDS


def _rowcount(status: str | None) -> int:
    """The row count in a command tag: ``UPDATE 3``, ``INSERT 0 5``, ``SELECT 10``."""
    if status:
        last = status.rpartition(" ")[2]
        if last.isdigit():
            return int(last)
    return -1


def _json_encode(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _text_only(pg_type: Any) -> bool:
    """Types twinsql gives text codecs (json, jsonb), and arrays of them."""
    return pg_type.name in ("json", "jsonb", "_json", "_jsonb")


def classify_asyncpg_error(exc: BaseException) -> ErrorInfo | None:
    """Classify an asyncpg (or socket) exception; ``None`` when it is neither."""
    if asyncpg is None:
        return None
    if isinstance(exc, (pgexc.PostgresError, pgexc.InterfaceError)):
        message = str(exc.args[0]) if exc.args else type(exc).__name__
        message = postgresql.with_detail(message, getattr(exc, "detail", None))
        sqlstate = getattr(exc, "sqlstate", None)
        if isinstance(exc, pgexc.PostgresError) or sqlstate:  # 08003: connection gone
            violation = postgresql_violation(
                sqlstate,
                getattr(exc, "constraint_name", None),
                getattr(exc, "table_name", None),
                getattr(exc, "column_name", None),
                getattr(exc, "detail", None),
            )
            return postgresql.server_error(sqlstate, message, violation)
        if isinstance(exc, pgexc.ClientConfigurationError):
            return ErrorInfo(errors.ConfigurationError, message, None)
        if isinstance(exc, ValueError):  # asyncpg's client-side DataError: a bad argument
            return ErrorInfo(errors.DataError, message, None)
        if "connection is closed" in message or "connection was closed" in message:
            return ErrorInfo(errors.ConnectionLost, message, None)
        return ErrorInfo(errors.InterfaceError, message, None)
    if isinstance(exc, pgexc.OutdatedSchemaCacheError):  # a type changed under a statement
        return ErrorInfo(errors.OperationalError, str(exc), None)
    if isinstance(exc, pgexc.InternalClientError):
        # The protocol state machine is broken: a ProtocolError, or "cannot switch to state
        # N; another operation (2) is in progress" when the server's FATAL goodbye (after
        # pg_terminate_backend) arrived between two statements. The connection is unusable.
        return ErrorInfo(errors.ConnectionLost, str(exc), None)
    if isinstance(exc, (OSError, EOFError, asyncio.TimeoutError)):
        return ErrorInfo(errors.ConnectionLost, str(exc) or type(exc).__name__, None)
    return None


# What ``classify_asyncpg_error`` recognises when a connect fails.
_CONNECT_ERRORS: tuple[type[BaseException], ...] = (
    (pgexc.PostgresError, pgexc.InterfaceError, pgexc.InternalClientError)
    if asyncpg is not None
    else ()
) + (OSError, EOFError, asyncio.TimeoutError)


def _connect_error(exc: BaseException, url: DatabaseURL) -> errors.Error:
    info = classify_asyncpg_error(exc) or ErrorInfo(errors.ConnectionLost, str(exc), None)
    message = hide_password(info.message, url)
    return info.cls(message, sqlstate=info.sqlstate, driver_error=exc)


class _AsyncpgTraits(postgresql.PostgreSQLTraits):
    paramstyle: ParamStyle = "numeric"


class AsyncpgConnection(_AsyncpgTraits):
    """One asyncpg connection, its own statements committing unless a transaction is open."""

    max_params = ASYNCPG_MAX_PARAMS
    clean_after_interrupt = False

    def __init__(self, conn: Any, cache_size: int, connect_kwargs: dict[str, Any]) -> None:
        self._conn = conn
        self._connect_kwargs = connect_kwargs
        self._aborted = False
        self._cache_size = cache_size
        # sql -> (PreparedStatement, column names or None when it returns no rows)
        self._cache: OrderedDict[str, tuple[Any, tuple[str, ...] | None]] = OrderedDict()
        # (schema, table, columns) -> whether every column has a binary COPY encoder.
        self._copyable: dict[tuple[str | None, str, tuple[str, ...] | None], bool] = {}

    @property
    def in_transaction(self) -> bool:
        return bool(self._conn.is_in_transaction())

    @property
    def closed(self) -> bool:
        return bool(self._conn.is_closed())

    async def _prepare(self, sql: str) -> tuple[Any, tuple[str, ...] | None]:
        stmt = await self._conn.prepare(sql)
        attributes = stmt.get_attributes()
        entry = (stmt, tuple([a.name for a in attributes]) if attributes else None)
        if self._cache_size:
            self._cache[sql] = entry
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return entry

    async def _statement(self, sql: str) -> tuple[Any, tuple[str, ...] | None]:
        entry = self._cache.get(sql)
        if entry is None:
            return await self._prepare(sql)
        self._cache.move_to_end(sql)
        return entry

    async def _reprepare(self, sql: str, exc: BaseException) -> tuple[Any, tuple[str, ...] | None]:
        """After ``exc`` from a cached statement: re-prepare it if the statement went stale
        (schema change) and no transaction is open; otherwise re-raise ``exc``."""
        stale = not isinstance(exc, pgexc.InterfaceError) or "statement is closed" in str(exc)
        if not stale:
            raise exc
        self._cache.pop(sql, None)
        if self._conn.is_in_transaction():
            raise exc
        return await self._prepare(sql)

    async def execute(self, sql: str, params: Sequence[Any]) -> DriverResult:
        entry = self._cache.get(sql)
        if entry is None:
            if not params and _is_command(sql):
                return DriverResult(None, [], _rowcount(await self._conn.execute(sql)))
            entry = await self._prepare(sql)
        else:
            self._cache.move_to_end(sql)
        stmt, columns = entry
        try:
            rows = await stmt.fetch(*params)
        except _STALE as exc:
            stmt, columns = await self._reprepare(sql, exc)
            rows = await stmt.fetch(*params)
        if columns is not None:
            # Every row was fetched, so the count in the tag (SELECT n, UPDATE n with
            # RETURNING ...) is the number of rows: skip parsing it.
            return DriverResult(columns, rows, len(rows))
        return DriverResult(None, rows, _rowcount(stmt.get_statusmsg()))

    async def execute_many(self, sql: str, seq_of_params: Rows) -> int:
        if not seq_of_params:
            return 0
        stmt, _ = await self._statement(sql)
        try:
            await stmt.executemany(seq_of_params)
        except _STALE as exc:
            stmt, _ = await self._reprepare(sql, exc)
            await stmt.executemany(seq_of_params)
        return -1  # asyncpg's executemany reports no row counts

    async def copy_rows(self, schema: str | None, table: str, columns: Names, rows: Rows) -> int:
        """COPY ``rows`` into the table with ``copy_records_to_table`` (binary format; see
        ``drivers.base``). json/jsonb columns use twinsql's text codecs, which binary COPY
        cannot carry: checked first, from the columns' types, so nothing is sent then."""
        key = (schema, table, tuple(columns) if columns else None)
        copyable = self._copyable.get(key)
        if copyable is None:
            name = POSTGRESQL.quote_identifier(table)
            if schema:
                name = f"{POSTGRESQL.quote_identifier(schema)}.{name}"
            cols = ", ".join(map(POSTGRESQL.quote_identifier, columns)) if columns else "*"
            intro = await self._conn.prepare(f"SELECT {cols} FROM {name} LIMIT 0")
            copyable = not any(
                _text_only(attribute.type) for attribute in intro.get_attributes()
            )
            self._copyable[key] = copyable
        if not copyable:
            raise CopyUnsupported(f"a column of {table} has no binary COPY format here")
        try:
            status = await self._conn.copy_records_to_table(
                table, records=rows, columns=list(columns) if columns else None,
                schema_name=schema,
            )  # fmt: skip
        except pgexc.InternalClientError as exc:
            if "binary format" not in str(exc):
                raise
            self._copyable[key] = False
            raise CopyUnsupported(str(exc), aborted=True) from exc
        count = _rowcount(status)
        return count if count >= 0 else len(rows)

    async def copy_text(self, schema: str | None, table: str, columns: Names, data: str) -> int:
        """COPY rows given in COPY's text format (see ``drivers.base``); the row count."""
        # A memoryview: asyncpg would read bytes as a file path.
        status = await self._conn.copy_to_table(
            table, source=memoryview(data.encode()), schema_name=schema, format="text",
            columns=list(columns) if columns else None,
        )  # fmt: skip
        return _rowcount(status)

    async def stream(
        self, sql: str, params: Sequence[Any], chunk_size: int
    ) -> AsyncStream[DriverResult]:
        conn = self._conn
        own_transaction = not conn.is_in_transaction()
        if own_transaction:
            await conn.execute("BEGIN")
        end: str | None = "COMMIT"
        cursor = None
        try:
            stmt, columns = await self._statement(sql)
            if columns is None:  # no rows to stream: just run it
                await stmt.fetch(*params)
                return
            cursor = await stmt.cursor(*params)
            while True:
                rows = await cursor.fetch(chunk_size)
                if rows:
                    yield DriverResult(columns, rows)
                if len(rows) < chunk_size:
                    return
        except GeneratorExit:
            raise  # abandoned early: the statement ran, commit our transaction
        except asyncio.CancelledError:
            end = None  # protocol state unknown: no I/O, the shell discards the connection
            raise
        except BaseException as exc:
            end = "ROLLBACK"
            if isinstance(exc, _STALE):
                self._cache.pop(sql, None)  # re-prepared by the next use
            raise
        finally:
            if end is not None and not conn.is_closed():
                if own_transaction:
                    await conn.execute(end)  # also closes the portal
                elif cursor is not None and end == "COMMIT":
                    # Close the portal now rather than when the caller's transaction ends.
                    # asyncpg has no public call for it; this is what its own cursor
                    # iterator uses.
                    close_portal = getattr(cursor, "_close_portal", None)
                    if close_portal is not None:
                        await close_portal(None)

    async def ping(self) -> None:
        await self._conn.execute("SELECT 1")

    async def close(self) -> None:
        await self._conn.close()

    def terminate(self) -> None:
        transport = self._conn._transport
        try:
            self._conn.terminate()
        except RuntimeError:
            shut_down_transport(transport)  # its event loop is closed

    def abort(self) -> None:
        """Cancel the running statement from a side connection (in the background) and
        close the link, so the waiting call fails at once (see ``drivers.base``)."""
        if self._aborted:
            return
        self._aborted = True
        kwargs, pid = self._connect_kwargs, self._conn.get_server_pid()
        in_background(lambda: asyncio.run(_cancel_backend(kwargs, pid)), "cancel-request")
        self._conn.terminate()

    def classify_error(self, exc: BaseException) -> ErrorInfo | None:
        return classify_asyncpg_error(exc)


def _connect_kwargs(url: DatabaseURL, options: ConnectOptions) -> tuple[dict[str, Any], int]:
    kwargs: dict[str, Any] = {
        "host": url.host, "port": url.port, "user": url.username,
        "password": url.password, "database": url.database,
    }
    if options.connect_timeout:
        kwargs["timeout"] = options.connect_timeout
    server_settings: dict[str, str] = {}
    if options.statement_timeout:
        milliseconds = postgresql.statement_timeout_ms(options.statement_timeout)
        server_settings["statement_timeout"] = str(milliseconds)
    cache_size = _DEFAULT_CACHE_SIZE
    dsn_options: dict[str, str] = {}
    for key, value in options.extra.items():
        if key == "statement_cache_size":
            try:
                cache_size = int(value)
            except ValueError:
                raise errors.ConfigurationError(
                    f"option statement_cache_size must be an integer, got {value!r}"
                )
            if cache_size < 0:
                raise errors.ConfigurationError("option statement_cache_size must be >= 0")
        elif key in ("ssl", "sslmode"):
            lowered = value.lower()
            if lowered in _SSL_MODES:
                kwargs["ssl"] = lowered
            elif lowered in ("true", "false"):
                kwargs["ssl"] = lowered == "true"
            else:
                raise errors.ConfigurationError(
                    f"option {key} must be one of {sorted(_SSL_MODES)}, got {value!r}"
                )
        elif key == "prepare_threshold":  # psycopg's option, for a URL both drivers use
            if value.lower() in ("", "none") and "statement_cache_size" not in options.extra:
                cache_size = 0  # "never prepare": the PgBouncer setting
        elif key == "application_name":
            server_settings[key] = value
        elif key == "target_session_attrs":
            kwargs[key] = value
        elif key in _DSN_OPTIONS:
            dsn_options[key] = value
        else:
            raise errors.ConfigurationError(
                f"unknown option {key!r} for postgresql+asyncpg: expected one of "
                f"{', '.join(sorted(_KNOWN_OPTIONS))}"
            )
    kwargs["statement_cache_size"] = cache_size
    if server_settings:
        kwargs["server_settings"] = server_settings
    if dsn_options:  # host, user and password stay keywords: explicit keywords win
        kwargs["dsn"] = "postgresql://?" + urlencode(dsn_options)
    return kwargs, cache_size


class AsyncpgDriver(_AsyncpgTraits):
    """Opens asyncpg connections."""

    name = "asyncpg"

    async def connect(self, url: DatabaseURL, options: ConnectOptions) -> AsyncpgConnection:
        if asyncpg is None:
            raise errors.ConfigurationError(_INSTALL_HINT)
        kwargs, cache_size = _connect_kwargs(url, options)
        with connecting(url, _CONNECT_ERRORS, _connect_error):
            conn = await asyncpg.connect(**kwargs)
        try:
            for typename in ("json", "jsonb"):
                await conn.set_type_codec(
                    typename, encoder=_json_encode, decoder=json.loads, schema="pg_catalog"
                )
        except BaseException:
            conn.terminate()
            raise
        return AsyncpgConnection(conn, cache_size, kwargs)
