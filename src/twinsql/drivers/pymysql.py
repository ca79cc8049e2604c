"""Driver layer: MySQL and MariaDB over PyMySQL (sync).

Everything but the calls that do I/O is shared with the asyncmy adapter and lives in
``drivers.mysql`` (options, values, error classification, the connection's base class).
"""

from __future__ import annotations

import socket
from collections.abc import Sequence
from typing import Any

from twinsql.connection.url import DatabaseURL
from twinsql.drivers.base import (
    ConnectOptions,
    DriverResult,
    Rows,
    Stream,
    cancels_abandoned_stream,
    connecting,
)
from twinsql.drivers.deadline import CANCEL_WAIT, LinkBreaker, arm_on_watchdog, in_background
from twinsql.drivers.mysql import MySQLConnectionBase, MySQLDriverBase, adapt_params, session_setup

try:
    import pymysql
    from pymysql import MySQLError
    from pymysql.cursors import SSCursor
except ImportError:  # pragma: no cover - exercised only without the extra installed
    pymysql = None

__all__ = ["PyMySQLConnection", "PyMySQLDriver"]


def _kill_query(connect_kwargs: dict[str, Any], thread_id: int) -> None:
    """``KILL QUERY`` the statement of session ``thread_id`` from a side connection, within
    ``CANCEL_WAIT``."""
    side = pymysql.connect(
        **{**connect_kwargs, "connect_timeout": CANCEL_WAIT, "read_timeout": CANCEL_WAIT,
           "write_timeout": CANCEL_WAIT, "defer_connect": False}
    )  # fmt: skip
    try:
        with side.cursor() as cursor:
            cursor.execute(f"KILL QUERY {int(thread_id)}")
    finally:
        side.close()


def _open_socket(kwargs: dict[str, Any], timeout: float | None) -> socket.socket:
    """The connected socket PyMySQL is handed (so that the adapter holds the link and can
    break it from another thread); the TCP connect bounded by ``timeout``."""
    if "unix_socket" in kwargs:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        sock.connect(kwargs["unix_socket"])
    else:
        sock = socket.create_connection((kwargs["host"], kwargs["port"]), timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    sock.settimeout(None)
    return sock


class PyMySQLConnection(MySQLConnectionBase):
    """One PyMySQL connection in autocommit mode."""

    def __init__(
        self,
        conn: Any,
        native_error: type[BaseException],
        link: LinkBreaker | None = None,
        connect_kwargs: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(conn, native_error)
        # The link twinsql opened for PyMySQL (None: a connection made elsewhere).
        self._link = link or LinkBreaker(None)
        self._connect_kwargs = connect_kwargs or {}
        self._aborted = False

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
        """Closed, or found ended by the server while idle (then closed here): a session
        the server killed is replaced before any byte of a statement is sent."""
        if not self._conn.open:
            return True
        if self._link.peer_gone():  # False without a link of its own
            self.terminate()
            return True
        return False

    def abort(self) -> None:
        """``KILL QUERY`` in the background and break the link (any thread; see
        ``drivers.base``)."""
        if self._aborted:
            return
        self._aborted = True
        thread_id = self._conn.thread_id()
        kwargs = self._connect_kwargs
        in_background(lambda: _kill_query(kwargs, thread_id), "kill-query")
        self._link.break_link()

    def ping(self) -> None:
        self._conn.ping(reconnect=False)

    def close(self) -> None:
        if self._conn.open:
            self._conn.close()
        self._link.close()

    def terminate(self) -> None:
        self._conn._force_close()  # closes the socket without sending QUIT
        self._link.close()


class PyMySQLDriver(MySQLDriverBase):
    """Opens PyMySQL connections."""

    name = "pymysql"
    package = "PyMySQL"
    native_error = MySQLError if pymysql is not None else None

    def connect(self, url: DatabaseURL, options: ConnectOptions) -> PyMySQLConnection:
        kwargs = self.connect_kwargs(url, options)
        timeout = options.connect_timeout
        with connecting(url, self.connect_errors, self.connect_failed):
            conn = pymysql.connect(**kwargs, defer_connect=True)
            sock = _open_socket(kwargs, timeout)
            link = LinkBreaker(sock.fileno())
            # The handshake has no timeout of its own: the watchdog breaks the link if the
            # server accepted the connection but does not answer in time.
            armed = arm_on_watchdog(timeout, link.break_link) if timeout else None
            try:
                conn.connect(sock)
            except BaseException:
                link.close()
                sock.close()
                raise
            finally:
                if armed is not None:
                    armed.cancel()
        with connecting(url, self.connect_errors, self.connect_failed, close=conn._force_close):
            for statement in session_setup(conn.get_server_info(), options):
                with conn.cursor() as cursor:
                    cursor.execute(statement)
        return PyMySQLConnection(conn, MySQLError, link, kwargs)
