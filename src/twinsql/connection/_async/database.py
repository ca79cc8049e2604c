# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""Connection layer, I/O: ``AsyncDatabase``, the pooled entry point, and the one-shot helpers.

``connect_async(url)`` (sync: ``connect``) builds a database without any I/O: options are validated
and the driver chosen now, connections open on first use. Each method checks a connection
out of the pool, runs one statement and returns the connection. Inside ``db.transaction()``
or ``db.connection()`` the database's methods use that block's connection instead; the pin
lives in a context variable, so it follows the task (or thread) that opened the block.

Concurrency contract: a child task started inside such a block inherits the context but not
the right to the connection. Its calls raise ``ConcurrentUseError`` instead of silently
joining (or silently leaving) the parent's transaction.

Event loops: an ``AsyncDatabase`` belongs to the event loop it is first used on; use from
another loop raises ``WrongEventLoopError`` (its connections' sockets belong to the first
loop). Create one database per loop, e.g. per thread that runs ``asyncio.run``.
"""

from __future__ import annotations

import contextvars
import itertools
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from twinsql import errors
from twinsql._compat import async_running_loop, async_task_identity
from twinsql.connection import pooler
from twinsql.connection._async.connection import (
    AsyncConnection,
    ConnectionSettings,
    Params,
    Prepared,
    Row,
    as_dicts,
    echo_to_stdout,
    first_dict,
    first_value,
    prepare_statement,
)
from twinsql.connection._async.pool import AsyncPool
from twinsql.connection._async.replicas import AsyncReplicaSet
from twinsql.connection._async.transaction import AsyncTransaction
from twinsql.connection.disposition import KEEP_IDLE
from twinsql.connection.options import DatabaseOptions, PoolStats, resolve_options
from twinsql.connection.routing import (
    NodeStats,
    Override,
    SameNode,
    replica_urls,
    split_scale_options,
)
from twinsql.connection.url import DatabaseURL, parse_url
from twinsql.drivers import async_driver_for
from twinsql.drivers.base import AsyncDriver, AsyncStream, ConnectOptions, DriverResult
from twinsql.sql.dialects import Dialect
from twinsql.sql.placeholders import ParamStyle

__all__ = [
    "AsyncDatabase",
    "connect_async",
    "execute_async",
    "execute_scalar_async",
]

_database_ids = itertools.count(1)
_IS_ASYNC = True


class _Pin:
    """The connection a block pinned, and the task or thread that owns it."""

    __slots__ = ("connection", "owner")

    def __init__(self, connection: AsyncConnection, owner: object | None) -> None:
        self.connection = connection
        self.owner = owner


class AsyncDatabase:
    """A pooled database. Every method has the same name and behaviour in ``Database``."""

    def __init__(self, url: str | DatabaseURL | None = None, **options: Any) -> None:
        self._url = parse_url(url)
        scale, url_options, options = split_scale_options(self._url.options, options)
        resolved, driver_options = resolve_options(
            url_options, options, memory_sqlite=self._url.is_memory
        )
        self._options = resolved
        if resolved.echo:
            echo_to_stdout()
        self._driver = async_driver_for(self._url)
        if scale.pooler is not None:
            if self._url.backend != "postgresql":
                raise errors.ConfigurationError("pooler='pgbouncer' needs a PostgreSQL URL")
            driver_options = pooler.driver_options(self._driver.name, driver_options)
        self._style = self._driver.paramstyle
        self._lexer = self._driver.dialect.lexer
        password = self._url.password or ""
        self._settings = ConnectionSettings(
            echo=resolved.echo,
            hide_parameters=resolved.hide_parameters,
            secrets=(password, quote(password, safe="")) if password else (),
            statement_timeout=resolved.statement_timeout,
            pooler=scale.pooler,
        )
        connect_options = ConnectOptions(
            connect_timeout=resolved.connect_timeout,
            # Behind a pooler the server-side timeout is set per transaction, never for the
            # session (a startup parameter would stay with a server connection others use).
            statement_timeout=None if scale.pooler else resolved.statement_timeout,
            extra=driver_options,
        )
        self._pool = AsyncPool(self._driver, self._url, resolved, connect_options, self._settings)
        self._pinned: contextvars.ContextVar[_Pin | None] = contextvars.ContextVar(
            f"twinsql_pin_{next(_database_ids)}", default=None
        )
        self._loop: object | None = None
        self._replicas: AsyncReplicaSet | None = None
        if scale.replicas:
            replicas = [
                AsyncDatabase(u, **options, pooler=scale.pooler)
                for u in replica_urls(self._url, scale)
            ]
            self._replicas = AsyncReplicaSet(self, replicas, scale)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._url.redacted()!r})"

    @property
    def dialect(self) -> Dialect:
        return self._driver.dialect

    @property
    def driver(self) -> AsyncDriver:
        """The driver adapter and its traits (for twinsql's own layers; not a stable
        public API)."""
        return self._driver

    @property
    def options(self) -> DatabaseOptions:
        return self._options

    @property
    def url(self) -> DatabaseURL:
        """The parsed URL (its repr and str hide the password)."""
        return self._url

    @property
    def paramstyle(self) -> ParamStyle:
        """The driver's placeholder style (what statements are compiled to)."""
        return self._style

    @property
    def closed(self) -> bool:
        return self._pool.closed

    def pool_stats(self) -> PoolStats:
        return self._pool.stats()

    def node_stats(self) -> list[NodeStats]:
        """Per node (the primary first, then each replica): its pool, its health and the
        reads it served."""
        if self._replicas is None:
            return [NodeStats(self._url.redacted(), "primary", True, True, None, 0, 0, 0, 0, "",
                              self._pool.stats())]  # fmt: skip
        return self._replicas.stats(self._pool.stats())

    # -- routing (databases with replicas; no-ops without) --------------------------------

    def primary(self) -> Override | SameNode:
        """``with db.primary():`` — every statement of the block goes to the primary."""
        return SameNode(None) if self._replicas is None else self._replicas.router.primary()

    def replica(self) -> Override | SameNode:
        """``with db.replica():`` — the block's reads go to a replica even right after a
        write; a statement that can write raises ``ReplicaWriteError`` before it is sent."""
        return SameNode(None) if self._replicas is None else self._replicas.router.replica()

    def same_node(self) -> SameNode:
        """Reads of the block go to the node that served its first read."""
        return SameNode(None) if self._replicas is None else self._replicas.router.same_node()

    # -- statements -----------------------------------------------------------------------

    async def execute(self, sql: str, params: Params = None) -> list[Row]:
        """Run one statement; return its rows as dicts in column order."""
        return as_dicts(await self.execute_result(sql, params))

    async def fetch_one(self, sql: str, params: Params = None) -> Row | None:
        """The first row as a dict, or None."""
        return first_dict(await self.execute_result(sql, params))

    async def execute_scalar(self, sql: str, params: Params = None) -> Any:
        """The first column of the first row, or None."""
        return first_value(await self.execute_result(sql, params))

    async def execute_non_query(self, sql: str, params: Params = None) -> int:
        """Run a statement for its effect; return the affected-row count."""
        return (await self.execute_result(sql, params)).rowcount

    async def execute_result(self, sql: str, params: Params = None) -> DriverResult:
        """Run one statement; return the driver's result itself (columns and positional
        rows). Internal: the ORM hydrates models from it without a dict per row first."""
        prepared = prepare_statement(sql, params, self._style, self._lexer)
        pin = self._pinned.get()
        if pin is not None:
            return await self._pinned_connection(pin).run_prepared(prepared, sql, params)
        if self._replicas is not None:
            return await self._replicas.execute_result(
                sql, params, lambda: self._execute_pooled(prepared, sql, params)
            )
        return await self._execute_pooled(prepared, sql, params)

    async def _execute_pooled(
        self, prepared: Prepared, sql: str, params: Params
    ) -> DriverResult:
        loop = async_running_loop()
        if loop is not self._loop:
            self._check_loop(loop)
        pool = self._pool
        # The awaits are the cost of the async path: skip them when nothing waits.
        conn = pool.checkout_nowait() or await pool.acquire()
        try:
            return await conn.run_prepared(prepared, sql, params)
        finally:
            if pool.release_nowait(conn) is not KEEP_IDLE:
                await pool.release(conn)

    async def execute_many(self, sql: str, seq_of_params: Sequence[Params]) -> int:
        """Run one statement per parameter set; return the affected-row count."""
        conn, pooled = await self._checkout()
        try:
            return await conn.execute_many(sql, seq_of_params)
        finally:
            if self._replicas is not None:
                self._replicas.router.note_write()
            if pooled:
                await self._pool.release(conn)

    async def stream(
        self, sql: str, params: Params = None, *, chunk_size: int = 1000
    ) -> AsyncStream[Row]:
        """Yield rows with bounded memory; the connection is held until iteration ends.
        Stop early with ``contextlib.aclosing`` (async) or by closing the generator."""
        if self._replicas is not None and self._pinned.get() is None:
            index = self._replicas.route(sql)
            if index is not None:
                rows = self._replicas.replica(index).stream(sql, params, chunk_size=chunk_size)
                started = False
                try:
                    async for row in rows:
                        started = True
                        yield row
                    return
                except errors.Error as exc:
                    # Before its first row a stream can move to the primary; after, it can't.
                    if started or not self._replicas.failed(index, exc):
                        raise
                finally:
                    await rows.aclose()
        conn, pooled = await self._checkout()
        try:
            rows = conn.stream(sql, params, chunk_size=chunk_size)
            try:
                async for row in rows:
                    yield row
            finally:
                await rows.aclose()
        finally:
            if pooled:
                await self._pool.release(conn)

    # -- blocks ---------------------------------------------------------------------------

    def transaction(
        self, isolation: str | None = None, *, readonly: bool = False
    ) -> AsyncDatabaseTransaction:
        """A context manager giving a connection: commit on success, roll back on an
        exception; nested blocks are savepoints. The database's methods inside the block run
        on its connection."""
        return AsyncDatabaseTransaction(self, isolation, readonly)

    def connection(self) -> AsyncPinnedConnection:
        """A context manager holding one pooled connection for a block
        (session settings, temporary tables); the database's methods use it too."""
        return AsyncPinnedConnection(self)

    async def close(self) -> None:
        """Close the pool. Connections still checked out close when they are returned."""
        if self._replicas is not None:
            await self._replicas.close()
        await self._pool.close()

    async def __aenter__(self) -> AsyncDatabase:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # -- internals ------------------------------------------------------------------------

    def _check_loop(self, loop: object | None) -> None:
        if _IS_ASYNC:
            if self._loop is None:
                self._loop = loop
            elif loop is not self._loop:
                raise errors.WrongEventLoopError(
                    f"{self!r} was first used on another event loop; its connections belong "
                    "to that loop. Create one database per event loop."
                )
        elif loop is not None and not self._options.allow_sync_in_event_loop:
            raise errors.InterfaceError(
                f"{self!r} was called on a thread that is running an event loop: the call "
                "would block the loop until the database answers. Use an AsyncDatabase there "
                "(models: the async_ methods, e.g. await User.async_find(...)), or move the "
                "call to a thread (asyncio.to_thread), or allow it: "
                "connect(url, allow_sync_in_event_loop=True)"
            )

    async def _checkout(self) -> tuple[AsyncConnection, bool]:
        """The pinned connection of this block (not pooled), or one from the pool."""
        pin = self._pinned.get()
        if pin is not None:
            return self._pinned_connection(pin), False
        loop = async_running_loop()
        if loop is not self._loop:
            self._check_loop(loop)
        return await self._pool.acquire(), True

    def _pinned_connection(self, pin: _Pin) -> AsyncConnection:
        if pin.owner != async_task_identity():
            raise errors.ConcurrentUseError(
                "this task was started inside a transaction() or connection() block of "
                "another task; it may not use that block's connection. Run the statements in "
                "the block's own task, or give the child task its own transaction."
            )
        return pin.connection

    async def _pin(self) -> tuple[AsyncConnection, contextvars.Token[_Pin | None] | None]:
        """Pin a connection for a block: reuse this context's pin, or check one out."""
        pin = self._pinned.get()
        if pin is not None:
            return self._pinned_connection(pin), None
        self._check_loop(async_running_loop())
        if self._replicas is not None:
            # A block runs on the primary, and its writes open the read-your-writes window.
            self._replicas.router.note_write()
        conn = await self._pool.acquire()
        return conn, self._pinned.set(_Pin(conn, async_task_identity()))

    async def _unpin(
        self, conn: AsyncConnection, token: contextvars.Token[_Pin | None] | None
    ) -> None:
        if token is None:
            return
        try:
            self._pinned.reset(token)
        except ValueError:
            # Exited from another context (a generator moved between tasks): just clear.
            self._pinned.set(None)
        if self._replicas is not None:
            self._replicas.router.note_write()
        await self._pool.release(conn)


class AsyncDatabaseTransaction:
    """The context manager returned by the database's ``transaction()``."""

    def __init__(self, db: AsyncDatabase, isolation: str | None, readonly: bool) -> None:
        self._db = db
        # Validated now, before any I/O: a bad level never costs a checkout.
        self._isolation = None if isolation is None else db.dialect.normalize_isolation(isolation)
        self._readonly = readonly
        self._conn: AsyncConnection | None = None
        self._token: contextvars.Token[_Pin | None] | None = None
        self._transaction: AsyncTransaction | None = None

    async def __aenter__(self) -> AsyncConnection:
        conn, token = await self._db._pin()
        try:
            self._transaction = await conn.transaction(
                self._isolation, readonly=self._readonly
            ).begin()
        except BaseException:
            await self._db._unpin(conn, token)
            raise
        self._conn, self._token = conn, token
        return conn

    async def __aexit__(self, *exc_info: Any) -> None:
        assert self._conn is not None and self._transaction is not None
        try:
            await self._transaction.__aexit__(*exc_info)
        finally:
            await self._db._unpin(self._conn, self._token)


class AsyncPinnedConnection:
    """The context manager returned by the database's ``connection()``."""

    def __init__(self, db: AsyncDatabase) -> None:
        self._db = db
        self._conn: AsyncConnection | None = None
        self._token: contextvars.Token[_Pin | None] | None = None

    async def __aenter__(self) -> AsyncConnection:
        self._conn, self._token = await self._db._pin()
        return self._conn

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._conn is not None
        await self._db._unpin(self._conn, self._token)


def connect_async(url: str | DatabaseURL | None = None, **options: Any) -> AsyncDatabase:
    """Create a database for ``url`` (or ``DATABASE_URL``). No I/O happens here; usable
    directly or as a context manager that closes it."""
    return AsyncDatabase(url, **options)


async def execute_async(
    url: str | DatabaseURL | None, sql: str, params: Params = None, **options: Any
) -> list[Row]:
    """One-shot: open a database, run one statement, close it, return the rows."""
    async with AsyncDatabase(url, pool_size=1, max_overflow=0, **options) as db:
        return await db.execute(sql, params)


async def execute_scalar_async(
    url: str | DatabaseURL | None, sql: str, params: Params = None, **options: Any
) -> Any:
    """One-shot: open a database, run one statement, close it, return the first value."""
    async with AsyncDatabase(url, pool_size=1, max_overflow=0, **options) as db:
        return await db.execute_scalar(sql, params)
