"""Driver layer: MySQL and MariaDB over asyncmy (async; sync code on a ``mysql+asyncmy`` URL
runs on PyMySQL).

Everything but the calls that do I/O is shared with the PyMySQL adapter and lives in
``drivers.mysql``, so both MySQL drivers behave the same in everything observable: the same
options, the same values sent and read back, the same error classes.

* asyncmy's text protocol is used (``stmt_cache_size`` stays 0): its binary protocol reads
  FLOAT columns differently from PyMySQL, and parity between the two matters more here.
* ``terminate`` closes the transport without sending QUIT. A cancelled read makes asyncmy
  close the connection itself, so ``closed`` is then already true.
* asyncmy copies whatever the socket delivers into its receive buffer for as long as the
  server sends, with no limit, and parses every complete row it finds there: a stream whose
  consumer pauses would have the whole result read into memory (~100 MB for a million
  one-integer rows). ``stream`` therefore pauses the transport's reading while the consumer
  holds a chunk and resumes it when the next chunk is asked for; the server then waits on
  TCP flow control, as it does for the blocking PyMySQL. asyncmy has no public call for
  this, so the transport is read from its connection's ``_transport``; if that is ever
  missing, streams still work, without the bound.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from twinsql import errors
from twinsql.connection.url import DatabaseURL
from twinsql.drivers.base import (
    AsyncStream,
    ConnectOptions,
    DriverResult,
    Rows,
    cancels_abandoned_stream,
    connecting,
    shut_down_transport,
)
from twinsql.drivers.deadline import CANCEL_WAIT, in_background
from twinsql.drivers.mysql import MySQLConnectionBase, MySQLDriverBase, adapt_params, session_setup

try:
    import asyncmy
    from asyncmy.cursors import SSCursor
    from asyncmy.errors import MySQLError
except ImportError:  # pragma: no cover - exercised only without the extra installed
    asyncmy = None  # type: ignore[assignment]

__all__ = ["AsyncmyConnection", "AsyncmyDriver"]


logger = logging.getLogger("twinsql.pool")


async def _kill_query(connect_kwargs: dict[str, Any], thread_id: int) -> None:
    """``KILL QUERY`` the statement of session ``thread_id`` from a side connection, within
    ``CANCEL_WAIT``. Run on a thread of its own with its own loop: the caller's loop may
    be ending (``asyncio.run`` returning right after a cancellation would cancel a task
    left on it)."""
    try:
        side = await asyncio.wait_for(asyncmy.connect(**connect_kwargs), CANCEL_WAIT)
        try:
            async with side.cursor() as cursor:
                await asyncio.wait_for(cursor.execute(f"KILL QUERY {int(thread_id)}"), CANCEL_WAIT)
        finally:
            side.close()
    except Exception as exc:
        logger.info("KILL QUERY %s failed: %r", thread_id, exc)


def _set_reading(conn: Any, reading: bool) -> None:
    """Pause or resume reading from the server's socket (see the module docstring)."""
    transport = getattr(conn, "_transport", None)
    if transport is None or transport.is_closing():
        return
    if reading:
        transport.resume_reading()
    else:
        transport.pause_reading()


class AsyncmyConnection(MySQLConnectionBase):
    """One asyncmy connection in autocommit mode."""

    def __init__(self, conn: Any, connect_kwargs: dict[str, Any]) -> None:
        super().__init__(conn, MySQLError)
        self._connect_kwargs = connect_kwargs
        self._thread_id = conn.thread_id()
        self._aborted = False

    def abort(self) -> None:
        """``KILL QUERY`` in the background and close the link (see ``drivers.base``)."""
        if self._aborted:
            return
        self._aborted = True
        kwargs, thread_id = self._connect_kwargs, self._thread_id
        in_background(lambda: asyncio.run(_kill_query(kwargs, thread_id)), "kill-query")
        self._conn.close()

    async def execute(self, sql: str, params: Sequence[Any]) -> DriverResult:
        cursor = self._cursor
        await cursor.execute(sql, adapt_params(params) if params else None)
        description = cursor.description
        if description is None:
            return DriverResult(None, [], cursor.rowcount, cursor.lastrowid or None)
        rows = list(await cursor.fetchall())
        return DriverResult(tuple([d[0] for d in description]), rows, cursor.rowcount)

    async def execute_many(self, sql: str, seq_of_params: Rows) -> int:
        if not seq_of_params:
            return 0
        count = await self._cursor.executemany(sql, [adapt_params(p) for p in seq_of_params])
        return int(count) if count is not None else -1

    async def stream(
        self, sql: str, params: Sequence[Any], chunk_size: int
    ) -> AsyncStream[DriverResult]:
        cut_short = cancels_abandoned_stream(sql, self.in_transaction)
        conn = self._conn
        cursor = conn.cursor(SSCursor)
        ended = failed = False
        try:
            await cursor.execute(sql, adapt_params(params) if params else None)
            columns = tuple([d[0] for d in cursor.description or ()])
            while columns:
                rows = await cursor.fetchmany(chunk_size)
                ended = len(rows) < chunk_size
                if rows:
                    _set_reading(conn, False)  # the consumer holds a chunk: read no further
                    try:
                        yield DriverResult(columns, list(rows))
                    finally:
                        _set_reading(conn, True)
                if ended:
                    return
            ended = True
        except Exception:
            # The statement or the link failed: there is nothing left to read, and reading
            # would replace the error with asyncmy's own complaint about the cursor.
            failed = True
            raise
        finally:
            if conn.connected and not failed:
                if cut_short and not ended:
                    # Abandoned early: one more chunk in search of the end, then the connection
                    # is given up (see the module docstring of drivers.mysql).
                    ended = len(await cursor.fetchmany(chunk_size)) < chunk_size
                if ended or not cut_short:
                    await cursor.close()  # reads and drops whatever is left
                else:
                    self.terminate()

    @property
    def closed(self) -> bool:
        """Closed, or found ended by the server while idle (then closed here): the event loop
        has already seen the server hang up, so a session killed while idle is replaced
        before any byte of a statement is sent."""
        if not self._conn.connected:
            return True
        transport = getattr(self._conn, "_transport", None)  # asyncmy has no public link state
        if transport is not None and transport.is_closing():
            self.terminate()
            return True
        return False

    async def ping(self) -> None:
        await self._conn.ping(reconnect=False)

    async def close(self) -> None:
        if self._conn.connected:
            await self._conn.ensure_closed()  # sends QUIT, then closes

    def terminate(self) -> None:
        transport = self._conn._transport
        try:
            self._conn.close()  # closes the transport without QUIT
        except RuntimeError:
            shut_down_transport(transport)  # its event loop is closed


class AsyncmyDriver(MySQLDriverBase):
    """Opens asyncmy connections."""

    name = "asyncmy"
    package = "asyncmy"
    native_error = MySQLError if asyncmy is not None else None

    async def connect(self, url: DatabaseURL, options: ConnectOptions) -> AsyncmyConnection:
        kwargs = self.connect_kwargs(url, options)
        timeout = options.connect_timeout
        with connecting(url, self.connect_errors, self.connect_failed):
            # asyncmy bounds only the TCP connect by connect_timeout: bound the handshake too.
            try:
                conn = await asyncio.wait_for(asyncmy.connect(**kwargs), timeout)
            except asyncio.TimeoutError:
                raise errors.ConnectionLost(
                    f"connection timeout expired after {timeout:g}s"
                ) from None
        with connecting(url, self.connect_errors, self.connect_failed, close=conn.close):
            for statement in session_setup(conn.get_server_info(), options):
                async with conn.cursor() as cursor:
                    await cursor.execute(statement)
        return AsyncmyConnection(conn, kwargs)
