"""Driver layer: MySQL and MariaDB over asyncmy (async; sync code on a ``mysql+asyncmy`` URL
runs on PyMySQL).

Everything but the calls that do I/O is shared with the PyMySQL adapter and lives in
``drivers.mysql``, so both MySQL drivers behave the same in everything observable: the same
options, the same values sent and read back, the same error classes.

* asyncmy's text protocol is used (``stmt_cache_size`` stays 0): its binary protocol reads
  FLOAT columns differently from PyMySQL, and parity between the two matters more here.
* ``terminate`` closes the transport without sending QUIT. A cancelled read makes asyncmy
  close the connection itself, so ``closed`` is then already true.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from twinsql.connection.url import DatabaseURL
from twinsql.drivers.base import AsyncStream, ConnectOptions, DriverResult, Rows, connecting
from twinsql.drivers.mysql import MySQLConnectionBase, MySQLDriverBase, adapt_params, session_setup

try:
    import asyncmy
    from asyncmy.cursors import SSCursor
    from asyncmy.errors import MySQLError
except ImportError:  # pragma: no cover - exercised only without the extra installed
    asyncmy = None  # type: ignore[assignment]

__all__ = ["AsyncmyConnection", "AsyncmyDriver"]


class AsyncmyConnection(MySQLConnectionBase):
    """One asyncmy connection in autocommit mode."""

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
        cursor = self._conn.cursor(SSCursor)
        try:
            await cursor.execute(sql, adapt_params(params) if params else None)
            columns = tuple([d[0] for d in cursor.description or ()])
            while columns and (rows := await cursor.fetchmany(chunk_size)):
                yield DriverResult(columns, list(rows))
                if len(rows) < chunk_size:
                    return
        finally:
            if self._conn.connected:
                await cursor.close()  # reads and drops the rest of an abandoned result

    @property
    def closed(self) -> bool:
        return not self._conn.connected

    async def ping(self) -> None:
        await self._conn.ping(reconnect=False)

    async def close(self) -> None:
        if self._conn.connected:
            await self._conn.ensure_closed()  # sends QUIT, then closes

    def terminate(self) -> None:
        self._conn.close()  # closes the transport without QUIT


class AsyncmyDriver(MySQLDriverBase):
    """Opens asyncmy connections."""

    name = "asyncmy"
    package = "asyncmy"
    native_error = MySQLError if asyncmy is not None else None

    async def connect(self, url: DatabaseURL, options: ConnectOptions) -> AsyncmyConnection:
        kwargs = self.connect_kwargs(url, options)
        with connecting(url, self.connect_errors, self.connect_failed):
            conn = await asyncmy.connect(**kwargs)
        with connecting(url, self.connect_errors, self.connect_failed, close=conn.close):
            for statement in session_setup(conn.get_server_info(), options):
                async with conn.cursor() as cursor:
                    await cursor.execute(statement)
        return AsyncmyConnection(conn, MySQLError)
