"""Driver layer: MySQL and MariaDB over PyMySQL (sync).

Everything but the calls that do I/O is shared with the asyncmy adapter and lives in
``drivers.mysql`` (options, values, error classification, the connection's base class).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from twinsql.connection.url import DatabaseURL
from twinsql.drivers.base import ConnectOptions, DriverResult, Rows, Stream, connecting
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
        cursor = self._conn.cursor(SSCursor)
        try:
            cursor.execute(sql, adapt_params(params) if params else None)
            columns = tuple([d[0] for d in cursor.description or ()])
            while columns and (rows := cursor.fetchmany(chunk_size)):
                yield DriverResult(columns, list(rows))
                if len(rows) < chunk_size:
                    return
        finally:
            if self._conn.open:
                cursor.close()  # reads and drops the rest of an abandoned result

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
        with connecting(url, self.connect_errors, self.connect_failed):
            conn = pymysql.connect(**kwargs)
        with connecting(url, self.connect_errors, self.connect_failed, close=conn._force_close):
            for statement in session_setup(conn.get_server_info(), options):
                with conn.cursor() as cursor:
                    cursor.execute(statement)
        return PyMySQLConnection(conn, MySQLError)
