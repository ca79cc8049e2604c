"""Concurrency primitives for the I/O layers, each in an async and a sync form.

Every I/O module is written once, as async code, and its sync twin is generated from it:
``async``/``await`` are dropped and each async name is replaced by its sync counterpart.
For that to work every primitive the I/O code uses exists here twice, with the same method
names and behaviour: an async form built on asyncio (``AsyncSlots``, ``async_sleep``,
``async_running_loop``, ``async_task_identity``, ``AsyncReturns``) and a sync form built on
threading (``Slots``, ``sleep``, ``running_loop``, ``task_identity``, ``Returns``).
``UseGuard`` and ``monotonic`` serve both as they are.

``Slots`` is written here rather than taken from asyncio because the pool needs a counting
semaphore whose acquire has a timeout and survives cancellation without losing a permit:
``asyncio.wait_for(sem.acquire(), t)`` can drop a permit when the timeout and the grant race
(CPython bpo-42130), and Python 3.10 has no ``asyncio.timeout``.
"""

from __future__ import annotations

import asyncio
import functools
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

__all__ = [
    "AsyncReturns",
    "AsyncSlots",
    "Returns",
    "Slots",
    "UseGuard",
    "async_running_loop",
    "async_sleep",
    "async_task_identity",
    "monotonic",
    "running_loop",
    "sleep",
    "task_identity",
]

monotonic = time.monotonic

_T = TypeVar("_T")
# What a callback handed to the I/O layer returns: awaited in the async form, a plain value
# in the generated sync one (``Returns[int]`` is ``int`` to a type checker).
AsyncReturns = Awaitable[_T]
Returns = Annotated[_T, "returned directly"]


class AsyncSlots:
    """A FIFO counting semaphore for one event loop: ``acquire(timeout)`` returns False on
    timeout; a waiter cancelled after being granted a slot hands it back."""

    __slots__ = ("_free", "_waiters")

    def __init__(self, count: int) -> None:
        self._free = count
        self._waiters: deque[asyncio.Future[bool]] = deque()

    def try_acquire(self) -> bool:
        """Take a free slot without waiting (no coroutine on the fast path)."""
        if self._free > 0 and not self._waiters:
            self._free -= 1
            return True
        return False

    async def acquire(self, timeout: float | None) -> bool:
        if self.try_acquire():
            return True
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[bool] = loop.create_future()
        self._waiters.append(waiter)
        timer = None if timeout is None else loop.call_later(timeout, _expire, waiter)
        try:
            granted = await waiter
        except BaseException:
            # Cancelled. If release() had already granted us the slot, pass it on, or the
            # pool would shrink by one permit for every unlucky cancellation.
            if waiter.done() and not waiter.cancelled() and waiter.result():
                self.release()
            raise
        finally:
            if timer is not None:
                timer.cancel()
        return granted

    def release(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(True)
                return
        self._free += 1

    @property
    def waiting(self) -> int:
        return sum(1 for w in self._waiters if not w.done())


def _expire(waiter: asyncio.Future[bool]) -> None:
    if not waiter.done():
        waiter.set_result(False)


class Slots:
    """The thread-based twin of ``AsyncSlots``. Not ``threading.Semaphore``: that one is
    written in Python on top of a Condition and costs microseconds on the uncontended
    path; here a free slot is one C-level lock round."""

    __slots__ = ("_condition", "_free", "_lock", "_waiting")

    def __init__(self, count: int) -> None:
        self._free = count
        self._waiting = 0
        self._lock = threading.Lock()
        self._condition = threading.Condition(self._lock)

    def try_acquire(self) -> bool:
        with self._lock:
            if self._free > 0:
                self._free -= 1
                return True
            return False

    def acquire(self, timeout: float | None) -> bool:
        with self._lock:
            if self._free > 0:
                self._free -= 1
                return True
            deadline = None if timeout is None else time.monotonic() + timeout
            self._waiting += 1
            try:
                while self._free <= 0:
                    remaining = None if deadline is None else deadline - time.monotonic()
                    if remaining is not None and remaining <= 0:
                        return False
                    self._condition.wait(remaining)
                self._free -= 1
                return True
            finally:
                self._waiting -= 1

    def release(self) -> None:
        with self._lock:
            self._free += 1
            if self._waiting:
                self._condition.notify()

    @property
    def waiting(self) -> int:
        return self._waiting


class UseGuard:
    """Detects two tasks or threads using one connection at once.

    A non-blocking lock, taken for the length of one operation: a second user finds it held
    and is refused instead of interleaving its bytes into the first one's reply. Used by both
    modes; taking it involves no I/O and no await. ``enter``/``exit`` are the lock's own C
    methods (no Python frame on the hot path).
    """

    __slots__ = ("_lock", "enter", "exit")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.enter: Callable[[], bool] = functools.partial(self._lock.acquire, False)
        self.exit: Callable[[], None] = self._lock.release

    @property
    def busy(self) -> bool:
        return self._lock.locked()


async def async_sleep(seconds: float) -> None:
    await asyncio.sleep(seconds)


def sleep(seconds: float) -> None:
    time.sleep(seconds)


def async_running_loop() -> object | None:
    """The running event loop (an async database binds itself to the loop it starts on)."""
    return asyncio.get_running_loop()


def running_loop() -> object | None:
    """Sync twin of ``async_running_loop``: the event loop running on this thread, if any
    (a sync database binds to no loop, and refuses to block a running one)."""
    return asyncio._get_running_loop()


def async_task_identity() -> object | None:
    """The current asyncio task, or None outside a task (the owner of a pinned connection)."""
    return asyncio.current_task()


def task_identity() -> object | None:
    """The current thread's identity: the sync mode's unit of concurrency."""
    return threading.get_ident()
