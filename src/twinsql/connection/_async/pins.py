# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""Connection layer, I/O: what a block of ``AsyncDatabase`` holds — the pinned connection
with its owner, pool and share lock (``Pin``), one block's hold on it (``Hold``) — and how a
pool of another event loop is closed."""

from __future__ import annotations

import contextvars

from twinsql._compat import AsyncShareLock, async_submit_to_loop
from twinsql.connection._async.connection import AsyncConnection
from twinsql.connection._async.pool import AsyncPool

__all__ = ["Hold", "Pin", "close_elsewhere"]


class Pin:
    """The connection a block pinned, the pool it came from, and who may use it: the task or
    thread that owns it, or (``lock`` set: a shared block) whoever takes the lock."""

    __slots__ = ("connection", "lock", "loop", "owner", "pool")

    def __init__(
        self,
        connection: AsyncConnection,
        owner: object | None,
        pool: AsyncPool,
        lock: AsyncShareLock | None,
        loop: object | None,
    ) -> None:
        self.connection = connection
        self.owner = owner
        self.pool = pool
        self.lock = lock
        self.loop = loop


class Hold:
    """What one block holds: the connection, the token of the pin it set (the outermost
    block), and the pin (None for a nested block of an unshared pin)."""

    __slots__ = ("connection", "pin", "token")

    def __init__(
        self,
        connection: AsyncConnection,
        token: contextvars.Token[Pin | None] | None,
        pin: Pin | None,
    ) -> None:
        self.connection = connection
        self.token = token
        self.pin = pin

    @property
    def outer_lock(self) -> AsyncShareLock | None:
        """The lock of a shared block this hold opened (the outermost one): taken only
        while its BEGIN and its end are sent, so other users run between."""
        if self.token is None or self.pin is None:
            return None
        return self.pin.lock


def close_elsewhere(loop: object | None, pool: AsyncPool) -> None:
    """Close a pool of a loop that is not running this code: on that loop when it runs (its
    sockets belong to it), else drop its connections without I/O."""
    if not async_submit_to_loop(loop, pool.close):
        pool.forget()
