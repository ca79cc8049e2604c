# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""Connection layer, I/O: ``AsyncDatabase``, the pooled entry point, and the one-shot helpers.

``connect_async(url)`` (sync: ``connect``) builds a database without any I/O: options are validated
and the driver chosen now, connections open on first use. Each method checks a connection
out of the pool, runs one statement and returns the connection. Inside ``db.transaction()``
or ``db.connection()`` the database's methods use that block's connection instead; the pin
lives in a context variable, so it follows the task (or thread) that opened the block.

Concurrency contract: a child task (or a thread given a copy of the context) started inside
such a block inherits the context but not the right to the connection. Its calls raise
``ConcurrentUseError`` instead of silently joining (or silently leaving) the parent's
transaction. A block opened with ``shared=True`` grants that right: every task or thread that
inherits its context may use the block's connection, one operation at a time (a lock; a nested
block holds it from its SAVEPOINT to its end, so no other user's statement lands inside it).

Event loops: an ``AsyncDatabase`` keeps one pool per event loop (a connection's socket belongs
to the loop that opened it). Used from a new loop, it opens a pool there; a pool whose loop
has been closed is dropped (its connections terminated without I/O) when the next new loop
comes, and ``close()`` closes the pools of every loop. A shared block used from another loop
raises ``WrongEventLoopError``.
"""

from __future__ import annotations

import contextvars
import itertools
import threading
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from twinsql import errors
from twinsql._compat import (
    AsyncShareLock,
    async_running_loop,
    async_task_identity,
    loop_closed,
)
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
from twinsql.connection._async.pins import Hold, Pin
from twinsql.connection._async.pool import AsyncPool
from twinsql.connection._async.transaction import AsyncTransaction
from twinsql.connection.disposition import KEEP_IDLE
from twinsql.connection.observe import (
    Observer,
    end_operation,
    start_operation,
    with_observer,
    without_observer,
)
from twinsql.connection.options import DatabaseOptions, PoolStats, resolve_options
from twinsql.connection.scale import replica_urls, split_scale_options
from twinsql.connection.url import DatabaseURL, parse_url
from twinsql.drivers import async_driver_for
from twinsql.drivers.base import AsyncDriver, AsyncStream, ConnectOptions, DriverResult
from twinsql.sql.dialects import Dialect
from twinsql.sql.placeholders import ParamStyle

if TYPE_CHECKING:
    # Imported where they are used: a database without replicas (or a pooler) never needs
    # the router, the replica set or the pooler rules, and does not pay for importing them.
    from twinsql.connection._async.replicas import AsyncReplicaSet
    from twinsql.connection.routing import NodeStats, Override, SameNode

__all__ = [
    "AsyncDatabase",
    "connect_async",
]

_database_ids = itertools.count(1)
_IS_ASYNC = True


def _no_routing() -> SameNode:
    """What ``primary()``, ``replica()`` and ``same_node()`` return without replicas: a block
    that changes nothing (every statement already goes to the one node)."""
    from twinsql.connection.routing import SameNode

    return SameNode(None)


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
            from twinsql.connection import pooler

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
        self._connect_options = connect_options
        self._pool = self._new_pool()
        self._pinned: contextvars.ContextVar[Pin | None] = contextvars.ContextVar(
            f"twinsql_pin_{next(_database_ids)}", default=None
        )
        # ``_pool`` serves ``_loop``; the pools of other live loops are in ``_loop_pools``.
        self._loop: object | None = None
        self._loop_pools: dict[object, AsyncPool] = {}
        self._loops_lock = threading.Lock()
        # What watches this database's calls and operations (None: nothing does; a plain
        # attribute, so that each hook point costs one comparison with None).
        self.observer: Observer | None = None
        self._replicas: AsyncReplicaSet | None = None
        if scale.replicas:
            from twinsql.connection._async.replicas import AsyncReplicaSet

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

    # -- observers ------------------------------------------------------------------------

    def add_observer(self, observer: Observer) -> None:
        """Tell ``observer`` about every call and operation of this database from now on
        (tracing, a test's statement capture); several observers may watch at once."""
        self._set_observer(with_observer(self.observer, observer))

    def remove_observer(self, observer: Observer) -> None:
        self._set_observer(without_observer(self.observer, observer))

    def _set_observer(self, observer: Observer | None) -> None:
        # The connections read it from the shared settings, the layers above from here.
        self._settings.observer = observer
        self.observer = observer
        if self._replicas is not None:
            # Reads a replica serves are this database's calls too.
            for replica in self._replicas.databases():
                replica._set_observer(observer)

    def node_stats(self) -> list[NodeStats]:
        """Per node (the primary first, then each replica): its pool, its health and the
        reads it served."""
        if self._replicas is None:
            from twinsql.connection.routing import NodeStats

            return [NodeStats(self._url.redacted(), "primary", True, True, None, 0, 0, 0, 0, "",
                              self._pool.stats())]  # fmt: skip
        return self._replicas.stats(self._pool.stats())

    # -- routing (databases with replicas; no-ops without) --------------------------------

    def primary(self) -> Override | SameNode:
        """``with db.primary():`` — every statement of the block goes to the primary."""
        if self._replicas is None:
            return _no_routing()
        return self._replicas.router.primary()

    def replica(self) -> Override | SameNode:
        """``with db.replica():`` — the block's reads go to a replica even right after a
        write; a statement that can write raises ``ReplicaWriteError`` before it is sent."""
        if self._replicas is None:
            return _no_routing()
        return self._replicas.router.replica()

    def same_node(self) -> SameNode:
        """Reads of the block go to the node that served its first read."""
        if self._replicas is None:
            return _no_routing()
        return self._replicas.router.same_node()

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
            if pin.lock is None:
                return await self._pinned_connection(pin).run_prepared(prepared, sql, params)
            await self._take_turn(pin)
            try:
                return await pin.connection.run_prepared(prepared, sql, params)
            finally:
                pin.lock.release()
        if self._replicas is not None:
            return await self._replicas.execute_result(
                sql, params, lambda: self._execute_pooled(prepared, sql, params)
            )
        return await self._execute_pooled(prepared, sql, params)

    async def _execute_pooled(
        self, prepared: Prepared, sql: str, params: Params
    ) -> DriverResult:
        loop = async_running_loop()
        pool = self._pool if loop is self._loop else self._pool_for(loop)
        # The awaits are the cost of the async path: skip them when nothing waits.
        conn = pool.checkout_nowait() or await pool.acquire()
        try:
            return await conn.run_prepared(prepared, sql, params)
        finally:
            if pool.release_nowait(conn) is not KEEP_IDLE:
                await pool.release(conn)

    async def execute_many(self, sql: str, seq_of_params: Sequence[Params]) -> int:
        """Run one statement per parameter set; return the affected-row count."""
        conn, pool, lock = await self._checkout()
        try:
            return await conn.execute_many(sql, seq_of_params)
        finally:
            if self._replicas is not None:
                self._replicas.router.note_write()
            await self._checkin(conn, pool, lock)

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
        conn, pool, lock = await self._checkout()
        try:
            rows = conn.stream(sql, params, chunk_size=chunk_size)
            try:
                async for row in rows:
                    yield row
            finally:
                await rows.aclose()
        finally:
            await self._checkin(conn, pool, lock)

    # -- blocks ---------------------------------------------------------------------------

    def transaction(
        self, isolation: str | None = None, *, readonly: bool = False, shared: bool = False
    ) -> AsyncDatabaseTransaction:
        """A context manager giving a connection: commit on success, roll back on an
        exception; nested blocks are savepoints. The database's methods inside the block run
        on its connection. ``shared=True`` (outermost block): tasks or threads that inherit
        this context may use the connection too, one operation at a time."""
        return AsyncDatabaseTransaction(self, isolation, readonly, shared)

    def connection(self, *, shared: bool = False) -> AsyncPinnedConnection:
        """A context manager holding one pooled connection for a block
        (session settings, temporary tables); the database's methods use it too.
        ``shared=True``: as for ``transaction()``."""
        return AsyncPinnedConnection(self, shared)

    async def close(self) -> None:
        """Close the pool (every event loop's), and the replicas'. Connections still checked
        out close when they are returned."""
        if self._replicas is not None:
            await self._replicas.close()
        if _IS_ASYNC:
            # Only event loops have pools of their own to close elsewhere.
            from twinsql.connection._async.pins import close_elsewhere

            with self._loops_lock:
                others = list(self._loop_pools.items())
                self._loop_pools.clear()
            here = async_running_loop()
            for loop, pool in others:
                if loop is here:
                    await pool.close()
                else:
                    close_elsewhere(loop, pool)
            if self._loop is not None and self._loop is not here:
                close_elsewhere(self._loop, self._pool)
                return
        await self._pool.close()

    async def __aenter__(self) -> AsyncDatabase:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # -- internals ------------------------------------------------------------------------

    def _new_pool(self) -> AsyncPool:
        return AsyncPool(
            self._driver, self._url, self._options, self._connect_options, self._settings
        )

    def _pool_for(self, loop: object | None) -> AsyncPool:
        """The pool serving ``loop``, which is not ``_loop`` (async: another event loop;
        sync: a thread running an event loop, refused unless allowed)."""
        if _IS_ASYNC:
            with self._loops_lock:
                return self._switch_loop(loop)
        if loop is not None and not self._options.allow_sync_in_event_loop:
            raise errors.InterfaceError(
                f"{self!r} was called on a thread that is running an event loop: the call "
                "would block the loop until the database answers. Use an AsyncDatabase there "
                "(models: the async_ methods, e.g. await User.async_find(...)), or move the "
                "call to a thread (asyncio.to_thread), or allow it: "
                "connect(url, allow_sync_in_event_loop=True)"
            )
        return self._pool

    def _switch_loop(self, loop: object | None) -> AsyncPool:
        """Async only, under ``_loops_lock``: the first loop takes the first pool; a later
        loop gets a pool of its own, and becomes the main one once the previous main loop
        is closed. Pools of closed loops are dropped here."""
        if self._loop is None:
            self._loop = loop
            return self._pool
        if self._pool.closed:
            return self._pool  # a closed database: its pool refuses every checkout
        for other in [other for other in self._loop_pools if loop_closed(other)]:
            self._loop_pools.pop(other).forget()
        pool = self._loop_pools.pop(loop, None) or self._new_pool()
        if loop_closed(self._loop):
            self._pool.forget()
            # ``_pool`` first: a reader that sees the new ``_loop`` sees its pool.
            self._pool = pool
            self._loop = loop
        else:
            self._loop_pools[loop] = pool
        return pool

    async def _checkout(
        self,
    ) -> tuple[AsyncConnection, AsyncPool | None, AsyncShareLock | None]:
        """The pinned connection of this block (no pool; with the lock taken when it is
        shared), or one from the pool of the running loop."""
        pin = self._pinned.get()
        if pin is not None:
            if pin.lock is None:
                return self._pinned_connection(pin), None, None
            await self._take_turn(pin)
            return pin.connection, None, pin.lock
        loop = async_running_loop()
        pool = self._pool if loop is self._loop else self._pool_for(loop)
        return await pool.acquire(), pool, None

    async def _checkin(
        self, conn: AsyncConnection, pool: AsyncPool | None, lock: AsyncShareLock | None
    ) -> None:
        if lock is not None:
            lock.release()
        if pool is not None:
            await pool.release(conn)

    async def _take_turn(self, pin: Pin) -> None:
        """Wait for the shared connection (a task of another loop is refused: the
        connection's socket belongs to the loop that opened it)."""
        assert pin.lock is not None
        if _IS_ASYNC and async_running_loop() is not pin.loop:
            raise errors.WrongEventLoopError(
                "this shared transaction() or connection() block was opened on another "
                "event loop; its connection can only be used there"
            )
        await pin.lock.acquire()

    def _pinned_connection(self, pin: Pin) -> AsyncConnection:
        if pin.owner != async_task_identity():
            raise errors.ConcurrentUseError(
                "this task was started inside a transaction() or connection() block of "
                "another task; it may not use that block's connection. Run the statements in "
                "the block's own task, or give the child task its own transaction."
            )
        return pin.connection

    async def _pin(self, shared: bool) -> Hold:
        """Pin a connection for a block: reuse this context's pin (a nested block; in a
        shared one, holding the lock until the block ends), or check one out."""
        pin = self._pinned.get()
        if pin is not None:
            if pin.lock is None:
                return Hold(self._pinned_connection(pin), None, None)
            await self._take_turn(pin)
            return Hold(pin.connection, None, pin)
        if self._replicas is not None:
            # A block runs on the primary, and its writes open the read-your-writes window.
            self._replicas.router.note_write()
        loop = async_running_loop()
        pool = self._pool if loop is self._loop else self._pool_for(loop)
        conn = await pool.acquire()
        lock = AsyncShareLock() if shared else None
        pin = Pin(conn, async_task_identity(), pool, lock, loop)
        return Hold(conn, self._pinned.set(pin), pin)

    async def _unpin(self, hold: Hold) -> None:
        """End a block: a nested shared block gives its turn back; the outermost block
        returns the connection to its pool."""
        pin = hold.pin
        if hold.token is None:
            if pin is not None and pin.lock is not None:
                pin.lock.release()
            return
        assert pin is not None
        try:
            self._pinned.reset(hold.token)
        except ValueError:
            # Exited from another context (a generator moved between tasks): just clear.
            self._pinned.set(None)
        if self._replicas is not None:
            self._replicas.router.note_write()
        await pin.pool.release(hold.connection)


class AsyncDatabaseTransaction:
    """The context manager returned by the database's ``transaction()``."""

    def __init__(
        self, db: AsyncDatabase, isolation: str | None, readonly: bool, shared: bool = False
    ) -> None:
        self._db = db
        # Validated now, before any I/O: a bad level never costs a checkout.
        self._isolation = None if isolation is None else db.dialect.normalize_isolation(isolation)
        self._readonly = readonly
        self._shared = shared
        self._hold: Hold | None = None
        self._transaction: AsyncTransaction | None = None
        self._traced: AbstractContextManager[Any] | None = None

    async def __aenter__(self) -> AsyncConnection:
        hold = await self._db._pin(self._shared)
        lock = hold.outer_lock
        observer = self._db.observer
        if observer is not None:
            self._trace(observer, hold)
        try:
            if lock is not None:
                await lock.acquire()
            try:
                self._transaction = await hold.connection.transaction(
                    self._isolation, readonly=self._readonly
                ).begin()
            finally:
                if lock is not None:
                    lock.release()
        except BaseException as exc:
            await self._db._unpin(hold)
            if self._traced is not None:
                end_operation(self._traced, exc)
            raise
        self._hold = hold
        return hold.connection

    def _trace(self, observer: Observer, hold: Hold) -> None:
        """Open the block's operation (a transaction, or a savepoint when nested)."""
        attributes: dict[str, Any] = {"twinsql.transaction.readonly": self._readonly}
        if self._isolation is not None:
            attributes["twinsql.transaction.isolation"] = self._isolation
        name = "transaction" if hold.token is not None else "savepoint"
        self._traced = start_operation(observer.operation("transaction", name, attributes))

    async def __aexit__(self, *exc_info: Any) -> None:
        hold = self._hold
        assert hold is not None and self._transaction is not None
        lock = hold.outer_lock
        try:
            if lock is not None:
                # Wait for the operation another user may be running, then end the block.
                await lock.acquire()
            try:
                await self._transaction.__aexit__(*exc_info)
            finally:
                if lock is not None:
                    lock.release()
        finally:
            await self._db._unpin(hold)
            if self._traced is not None:
                end_operation(self._traced, exc_info[1])


class AsyncPinnedConnection:
    """The context manager returned by the database's ``connection()``."""

    def __init__(self, db: AsyncDatabase, shared: bool = False) -> None:
        self._db = db
        self._shared = shared
        self._hold: Hold | None = None

    async def __aenter__(self) -> AsyncConnection:
        self._hold = await self._db._pin(self._shared)
        return self._hold.connection

    async def __aexit__(self, *exc_info: object) -> None:
        hold = self._hold
        assert hold is not None
        lock = hold.outer_lock
        if lock is not None:
            await lock.acquire()
            lock.release()
        await self._db._unpin(hold)


def connect_async(url: str | DatabaseURL | None = None, **options: Any) -> AsyncDatabase:
    """Create a database for ``url`` (or ``DATABASE_URL``). No I/O happens here; usable
    directly or as a context manager that closes it."""
    return AsyncDatabase(url, **options)
