# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""Connection layer, I/O: the connection pool.

Written here rather than taken from a driver (asyncpg.Pool, psycopg_pool) because one pool has
to behave the same over five drivers in two modes, and because of three rules the driver
pools do not all keep:

* **No reset query on a clean return.** A connection that comes back outside a transaction
  goes straight to the idle list; one left inside a transaction is rolled back first (a reset
  on every return would cost a round trip per statement).
* **Discard on unknown state.** A connection whose operation was interrupted mid-I/O (a
  cancellation, a timeout, a broken link, an exception of unknown origin) is closed, never
  handed to the next caller, who could otherwise read the previous caller's rows.
* **Cancellation-safe checkout and return.** Slots are counted by a ``_compat`` counter,
  which never loses a permit to a cancelled waiter; every path that has taken a slot gives it
  back in ``finally``; a rollback on return that is itself cancelled terminates the connection
  rather than leaking it.
* **Fair and bounded checkout.** Waiters are served first come, first served (a returning
  caller cannot take its slot back ahead of them, in either mode), and ``pool_timeout``
  bounds the whole checkout: the wait for a slot and the opening of a new connection. A
  connection whose opening outlives the checkout is closed in the background.
* **Thread-safe without a lock of its own.** The slot counter owns the only lock (sync
  mode); the idle list is a deque, whose single ``append``/``pop`` are atomic, and the count
  of checked-out connections is the slot counter's (``held``), so checkout and return stay a
  lock round each.

What becomes of a returning connection is decided in one place, the pure
``twinsql.connection.disposition``; both return paths (``release_nowait``, ``release``) ask it.

Capacity: at most ``pool_size + max_overflow`` connections are checked out at once; at most
``pool_size`` are kept idle (overflow connections are closed on return). Connections are
opened lazily. The idle list is LIFO so the warmest connection is reused first.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import replace

from twinsql import errors
from twinsql._compat import AsyncSlots, async_call_within, monotonic
from twinsql.connection import checkpoints
from twinsql.connection._async.connection import AsyncConnection, ConnectionSettings
from twinsql.connection.disposition import (
    KEEP_IDLE,
    ROLL_BACK_THEN_KEEP,
    ReturnDisposition,
    return_disposition,
)
from twinsql.connection.options import DatabaseOptions, PoolStats
from twinsql.connection.url import DatabaseURL
from twinsql.drivers.base import AsyncDriver, AsyncDriverConnection, ConnectOptions

__all__ = ["AsyncPool"]

logger = logging.getLogger("twinsql.pool")


class AsyncPool:
    """A pool of connections to one database."""

    def __init__(
        self,
        driver: AsyncDriver,
        url: DatabaseURL,
        options: DatabaseOptions,
        connect_options: ConnectOptions,
        settings: ConnectionSettings,
    ) -> None:
        self._driver = driver
        self._url = url
        self._options = options
        if connect_options.connect_timeout is None and options.pool_timeout > 0:
            # A connect the checkout gave up on must still end (a thread cannot be
            # cancelled): the driver's own bound, a little past the checkout's own.
            connect_options = replace(connect_options, connect_timeout=options.pool_timeout + 1)
        self._connect_options = connect_options
        self._settings = settings
        self._slots = AsyncSlots(options.pool_size + options.max_overflow)
        self._plain_checkout = options.pool_recycle is None and not options.pool_pre_ping
        self._idle: deque[AsyncConnection] = deque()
        self._closed = False
        self._opened = 0
        self._discarded = 0
        self._timeouts = 0

    @property
    def closed(self) -> bool:
        return self._closed

    def stats(self) -> PoolStats:
        idle = len(self._idle)
        checked_out = self._slots.held
        return PoolStats(
            size=idle + checked_out,
            checked_out=checked_out,
            idle=idle,
            waiting=self._slots.waiting,
            pool_size=self._options.pool_size,
            max_overflow=self._options.max_overflow,
            opened=self._opened,
            discarded=self._discarded,
            timeouts=self._timeouts,
        )

    async def acquire(self) -> AsyncConnection:
        """Check out a connection; ``PoolTimeout`` once ``pool_timeout`` seconds pass
        (waiting for a slot and opening a new connection together)."""
        if self._closed:
            raise errors.PoolClosed("the database has been closed")
        started = monotonic()
        deadline = started + self._options.pool_timeout
        if not self._slots.try_acquire():
            checkpoints.reached(checkpoints.POOL_WAIT)
            if not await self._slots.acquire(self._options.pool_timeout):
                raise self._timed_out("no connection became free")
        try:
            conn = None
            if self._plain_checkout:
                # The common case: no recycling or pre-ping to do, a warm connection waiting.
                conn = self._pop_idle()
                if conn is not None and conn.raw.closed:
                    await self._discard(conn)
                    conn = None
            if conn is None:
                conn = await self._take_idle()
                if conn is None:
                    conn = await self._open(deadline)
        except BaseException:
            self._slots.release()
            raise
        observer = self._settings.observer
        if observer is not None:
            observer.event("pool.wait", {"seconds": monotonic() - started})
        return conn

    def checkout_nowait(self) -> AsyncConnection | None:
        """A warm idle connection at once, or None (then ``acquire``). No coroutine: the
        common checkout costs a few attribute look-ups in both modes."""
        if not (self._plain_checkout and self._idle and not self._closed):
            return None
        if not self._slots.try_acquire():
            return None
        try:
            conn = self._idle.pop()
        except IndexError:
            # Another thread took the last idle connection after the test above.
            self._slots.release()
            return None
        if conn.raw.closed:
            # Leave the corpse for acquire(), which can await its disposal.
            self._idle.append(conn)
            self._slots.release()
            return None
        return conn

    def release_nowait(self, conn: AsyncConnection) -> ReturnDisposition:
        """Return ``conn`` at once when it goes straight back to the idle list, and say
        what it needs: anything but ``KEEP_IDLE`` is left to ``release`` (a rollback, a
        discard, an overflow close). No coroutine: the common return costs one decision."""
        disposition = return_disposition(
            conn.broken,
            self._closed,
            conn.raw,
            conn.transaction_stack.depth,
            len(self._idle),
            self._options.pool_size,
        )
        if disposition is KEEP_IDLE:
            self._idle.append(conn)
            self._slots.release()
        return disposition

    async def release(self, conn: AsyncConnection) -> None:
        """Return a connection: rolled back if left in a transaction, discarded if broken."""
        checkpoints.reached(checkpoints.RELEASE)
        disposition = self.release_nowait(conn)
        if disposition is ROLL_BACK_THEN_KEEP:
            try:
                await conn.reset_transaction()
            except Exception as exc:
                # A link found dead here is routine (it is discarded either way); any other
                # failure to roll back is worth a warning.
                level = logging.INFO if isinstance(exc, errors.ConnectionLost) else logging.WARNING
                logger.log(level, "rollback on return failed, discarding the connection: %r", exc)
                conn.broken = True
            except BaseException:
                # Cancelled mid-rollback: the state is unknown; drop the connection.
                conn.broken = True
                await self._close_returned(conn)
                raise
            # Decided again, out of the transaction now (or broken by a failed rollback).
            disposition = self.release_nowait(conn)
        if disposition is not KEEP_IDLE:
            await self._close_returned(conn)

    async def close(self) -> None:
        """Close idle connections now; checked-out ones are closed when they come back."""
        self._closed = True
        while (conn := self._pop_idle()) is not None:
            await self._discard(conn)

    def forget(self) -> None:
        """Close without I/O: the event loop that owned these connections' sockets is gone
        (or not running), so nothing can be awaited on them. Idle connections are
        terminated; checked-out ones are closed when they come back."""
        self._closed = True
        while (conn := self._pop_idle()) is not None:
            conn.broken = True
            self._discarded += 1
            try:
                conn.raw.terminate()
            except Exception as exc:
                # A transport of a closed loop may refuse even to abort; the socket is
                # released when the object goes.
                logger.debug("terminating a connection of a closed loop: %r", exc)

    def _pop_idle(self) -> AsyncConnection | None:
        """The newest idle connection, or None (another thread may empty the list between a
        test and a pop: the pop alone is atomic)."""
        try:
            return self._idle.pop()
        except IndexError:
            return None

    def _timed_out(self, what: str) -> errors.PoolTimeout:
        options = self._options
        self._timeouts += 1
        return errors.PoolTimeout(
            f"{what} within {options.pool_timeout:g}s "
            f"(pool_size={options.pool_size}, max_overflow={options.max_overflow}, "
            f"{self._slots.held} checked out); raise pool_size or return connections sooner"
        )

    async def _take_idle(self) -> AsyncConnection | None:
        recycle = self._options.pool_recycle
        while (conn := self._pop_idle()) is not None:
            if conn.raw.closed or (recycle is not None and monotonic() - conn.created_at > recycle):
                await self._discard(conn)
                continue
            if self._options.pool_pre_ping:
                try:
                    await conn.raw.ping()
                except Exception as exc:
                    logger.info("pre-ping failed, replacing the connection: %r", exc)
                    conn.broken = True
                    await self._discard(conn)
                    continue
                except BaseException:
                    conn.broken = True
                    await self._discard(conn)
                    raise
            return conn
        return None

    async def _open(self, deadline: float) -> AsyncConnection:
        """Open a new connection by ``deadline``, else ``PoolTimeout``; one that opens too
        late is terminated by whoever sees it finish."""
        checkpoints.reached(checkpoints.CONNECTING)
        driver, url, connect_options = self._driver, self._url, self._connect_options
        raw = await async_call_within(
            lambda: driver.connect(url, connect_options), deadline - monotonic(), _terminate
        )
        if raw is None:
            raise self._timed_out("no new connection could be opened")
        self._opened += 1
        return AsyncConnection(raw, self._settings)

    async def _close_returned(self, conn: AsyncConnection) -> None:
        """Close a returning connection the pool does not keep, and free its slot."""
        try:
            await self._discard(conn)
        finally:
            self._slots.release()

    async def _discard(self, conn: AsyncConnection) -> None:
        self._discarded += 1
        raw = conn.raw
        if raw.closed:
            return
        if conn.broken:
            # terminate() closes the socket without waiting on the server: it cannot hang,
            # and a cancellation cannot stop it half-way.
            raw.terminate()
            return
        conn.broken = True
        try:
            await raw.close()
        except Exception as exc:
            logger.info("graceful close failed: %r", exc)
            raw.terminate()
        except BaseException:
            raw.terminate()
            raise


def _terminate(raw: AsyncDriverConnection) -> None:
    """Close a connection nobody waits for any more, without waiting on the server."""
    raw.terminate()
