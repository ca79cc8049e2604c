"""Driver layer: MySQL and MariaDB over PyMySQL (sync).

Everything but the calls that do I/O is shared with the asyncmy adapter and lives in
``drivers.mysql`` (options, values, error classification, the connection's base class).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from twinsql.connection.url import DatabaseURL
from twinsql.drivers.base import (
    ConnectOptions,
    DriverResult,
    Rows,
    Stream,
    cancels_abandoned_stream,
    release_frames,
)
from twinsql.drivers.mysql import MySQLConnectionBase, MySQLDriverBase, adapt_params, session_setup

try:
    import pymysql
    from pymysql import MySQLError
    from pymysql.cursors import SSCursor
except ImportError:  # pragma: no cover - exercised only without the extra installed
    pymysql = None

__all__ = ["PyMySQLConnection", "PyMySQLDriver"]


class PyMySQLConnection(MySQLConnectionBase):
    """One PyMySQL connection in autocommit mode."""

    def execute(self, sql: str, params: Sequence[Any]) -> DriverResult:
        cursor = self._cursor
        cursor.execute(sql, adapt_params(params) if params else None)
        description = cursor.description
        if description is None:
            return DriverResult(None, [], cursor.rowcount, cursor.lastrowid or None)
        rows = list(cursor.fetchall())
        return DriverResult(tuple([d[0] for d in description]), rows, cursor.rowcount)

    def execute_many(self, sql: str, seq_of_params: Rows) -> int:
        if not seq_of_params:
            return 0
        count = self._cursor.executemany(sql, [adapt_params(p) for p in seq_of_params])
        return int(count) if count is not None else -1

    def stream(self, sql: str, params: Sequence[Any], chunk_size: int) -> Stream[DriverResult]:
        cut_short = cancels_abandoned_stream(sql, self.in_transaction)
        cursor = self._conn.cursor(SSCursor)
        ended = False
        try:
            cursor.execute(sql, adapt_params(params) if params else None)
            columns = tuple([d[0] for d in cursor.description or ()])
            while columns:
                rows = cursor.fetchmany(chunk_size)
                ended = len(rows) < chunk_size
                if rows:
                    yield DriverResult(columns, list(rows))
                if ended:
                    return
            ended = True
        finally:
            if self._conn.open:
                if cut_short and not ended:
                    # Abandoned early: one more chunk in search of the end, then the connection
                    # is given up (see the module docstring of drivers.mysql).
                    ended = len(cursor.fetchmany(chunk_size)) < chunk_size
                if ended or not cut_short:
                    cursor.close()  # reads and drops whatever is left
                else:
                    self._close_under(cursor)

    def _close_under(self, cursor: Any) -> None:
        """Close the connection with ``cursor``'s result still unread. The result is marked
        finished first: PyMySQL's finalizers would otherwise try to read its rest from the
        closed socket."""
        result = getattr(cursor, "_result", None)
        if result is not None:
            result.unbuffered_active = False
        self.terminate()

    @property
    def closed(self) -> bool:
        return not self._conn.open

    def ping(self) -> None:
        self._conn.ping(reconnect=False)

    def close(self) -> None:
        if self._conn.open:
            self._conn.close()

    def terminate(self) -> None:
        self._conn._force_close()  # closes the socket without sending QUIT


class PyMySQLDriver(MySQLDriverBase):
    """Opens PyMySQL connections."""

    name = "pymysql"
    package = "PyMySQL"
    native_error = MySQLError if pymysql is not None else None

    def connect(self, url: DatabaseURL, options: ConnectOptions) -> PyMySQLConnection:
        kwargs = self.connect_kwargs(url, options)
        conn = None
        try:
            conn = pymysql.connect(**kwargs)
            for statement in session_setup(conn.get_server_info(), options):
                with conn.cursor() as cursor:
                    cursor.execute(statement)
        except BaseException as exc:
            if conn is not None:
                conn._force_close()
            if isinstance(exc, (MySQLError, OSError)):
                raise self.connect_failed(exc, url) from exc
            release_frames(exc)
            raise
        return PyMySQLConnection(conn, MySQLError)
