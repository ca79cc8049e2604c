"""Driver layer: MySQL and MariaDB over asyncmy (async; sync code on a ``mysql+asyncmy`` URL
runs on PyMySQL).

The async twin of the PyMySQL adapter, and deliberately the same in everything observable:
it shares that module's connection options, parameter conversion (``dict``/``list`` → JSON
text, tz-aware ``datetime`` → naive UTC) and error classification, so both MySQL drivers
raise the same class and read back the same Python types (``UUID`` as ``str``, ``bool`` as
``int``, TIME as ``timedelta``).

* Connections are opened with ``autocommit=True``, ``utf8mb4`` and ``FOUND_ROWS``;
  ``in_transaction`` is asyncmy's ``get_transaction_status()``, the ``SERVER_STATUS_IN_TRANS``
  bit of the last status the server sent (asyncmy updates it after every statement,
  result sets included). No I/O.
* asyncmy's text protocol is used (``stmt_cache_size`` stays 0): its binary protocol reads
  FLOAT columns differently from PyMySQL, and parity between the two matters more here.
* ``stream`` uses an unbuffered ``SSCursor``; a consumer that stops early has the rest of
  the result read and dropped, leaving the connection clean.
* ``terminate`` closes the transport without sending QUIT. A cancelled read makes asyncmy
  close the connection itself, so ``closed`` is then already true.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from typing import Any

from twinsql import errors
from twinsql.connection.url import DatabaseURL
from twinsql.drivers.base import ConnectOptions, DriverResult, ErrorInfo
from twinsql.drivers.pymysql import (
    INSTALL_HINT,
    SERVER_STATUS_IN_TRANS,
    adapt_params,
    classify_mysql_error,
    connect_error,
    mysql_connect_kwargs,
    statement_timeout_sql,
)
from twinsql.sql.dialects import MYSQL, MYSQL_MAX_PARAMS
from twinsql.sql.placeholders import ParamStyle

try:
    import asyncmy
    from asyncmy.cursors import SSCursor
    from asyncmy.errors import MySQLError
except ImportError:  # pragma: no cover - exercised only without the extra installed
    asyncmy = None  # type: ignore[assignment]

__all__ = ["AsyncmyConnection", "AsyncmyDriver"]

_ER_LOCK_DEADLOCK = 1213


class AsyncmyConnection:
    """One asyncmy connection in autocommit mode."""

    dialect = MYSQL
    paramstyle: ParamStyle = "format"
    max_params = MYSQL_MAX_PARAMS
    clean_after_interrupt = False

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self._cursor = conn.cursor()

    @property
    def in_transaction(self) -> bool:
        return bool(self._conn.get_transaction_status())

    @property
    def closed(self) -> bool:
        return not self._conn.connected

    def _deadlock(self, exc: BaseException) -> None:
        # After a deadlock the server has rolled back; the error packet carries no status.
        if exc.args and exc.args[0] == _ER_LOCK_DEADLOCK:
            self._conn.server_status &= ~SERVER_STATUS_IN_TRANS

    async def execute(self, sql: str, params: Sequence[Any]) -> DriverResult:
        cursor = self._cursor
        try:
            await cursor.execute(sql, adapt_params(params) if params else None)
        except MySQLError as exc:
            self._deadlock(exc)
            raise
        description = cursor.description
        if description is None:
            return DriverResult(None, [], cursor.rowcount, cursor.lastrowid or None)
        rows = await cursor.fetchall()
        return DriverResult(tuple([d[0] for d in description]), list(rows), cursor.rowcount)

    async def execute_many(self, sql: str, seq_of_params: Sequence[Sequence[Any]]) -> int:
        if not seq_of_params:
            return 0
        try:
            count = await self._cursor.executemany(sql, [adapt_params(p) for p in seq_of_params])
        except MySQLError as exc:
            self._deadlock(exc)
            raise
        return int(count) if count is not None else -1

    async def stream(
        self, sql: str, params: Sequence[Any], chunk_size: int
    ) -> AsyncGenerator[DriverResult, None]:
        cursor = self._conn.cursor(SSCursor)
        try:
            await cursor.execute(sql, adapt_params(params) if params else None)
            if cursor.description is None:
                return
            columns = tuple([d[0] for d in cursor.description])
            while True:
                rows = await cursor.fetchmany(chunk_size)
                if rows:
                    yield DriverResult(columns, list(rows))
                if len(rows) < chunk_size:
                    return
        except MySQLError as exc:
            self._deadlock(exc)
            raise
        finally:
            if self._conn.connected:
                await cursor.close()  # reads and drops the rest of an abandoned result

    async def ping(self) -> None:
        await self._conn.ping(reconnect=False)

    async def close(self) -> None:
        if self._conn.connected:
            await self._conn.ensure_closed()  # sends QUIT, then closes

    def terminate(self) -> None:
        self._conn.close()  # closes the transport without QUIT

    def classify_error(self, exc: BaseException) -> ErrorInfo | None:
        return classify_mysql_error(exc, MySQLError if asyncmy is not None else None)


class AsyncmyDriver:
    """Opens asyncmy connections."""

    name = "asyncmy"
    dialect = MYSQL
    paramstyle: ParamStyle = "format"

    async def connect(self, url: DatabaseURL, options: ConnectOptions) -> AsyncmyConnection:
        if asyncmy is None:
            raise errors.ConfigurationError(INSTALL_HINT.format("asyncmy"))
        kwargs = mysql_connect_kwargs(url, options, "asyncmy")
        conn: Any = None
        try:
            conn = await asyncmy.connect(**kwargs)
            if options.statement_timeout:
                async with conn.cursor() as cursor:
                    await cursor.execute(
                        statement_timeout_sql(conn.get_server_info(), options.statement_timeout)
                    )
        except (MySQLError, OSError) as exc:
            if conn is not None:
                conn.close()
            raise connect_error(exc, url, MySQLError) from exc
        return AsyncmyConnection(conn)
