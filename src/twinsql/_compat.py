"""Concurrency primitives for the I/O layers, each in an async and a sync form.

Every I/O module is written once, as async code, and its sync twin is generated from it:
``async``/``await`` are dropped and each async name is replaced by its sync counterpart.
For that to work every primitive the I/O code uses exists here twice, with the same method
names and behaviour: an async form built on asyncio (``AsyncSlots``, ``async_sleep``,
``async_call_within``, ``async_running_loop``, ``async_task_identity``, ``AsyncReturns``,
``AsyncShareLock``) and a sync form built on threading (``Slots``, ``sleep``, ``call_within``,
``running_loop``, ``task_identity``, ``Returns``, ``ShareLock``).
``UseGuard`` and ``monotonic`` serve both as they are.

``Slots`` is written here rather than taken from asyncio because the pool needs a counting
semaphore whose acquire has a timeout and survives cancellation without losing a permit:
``asyncio.wait_for(sem.acquire(), t)`` can drop a permit when the timeout and the grant race
(CPython bpo-42130), and Python 3.10 has no ``asyncio.timeout``. Both forms are FIFO and
hand a released slot straight to the longest waiter.

asyncio is imported inside the async forms, never at module level: the sync mode (and so
``twinsql load``) runs without it, and importing it (with ssl, socket and subprocess) is a
large share of a short command's start-up. The sync forms that look at a loop find asyncio
in ``sys.modules`` or not at all: no loop can exist before asyncio is imported.
"""

from __future__ import annotations

import functools
import sys
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

if TYPE_CHECKING:
    import asyncio

__all__ = [
    "AsyncReturns",
    "AsyncShareLock",
    "AsyncSlots",
    "Returns",
    "ShareLock",
    "Slots",
    "UseGuard",
    "async_call_within",
    "async_running_loop",
    "async_sleep",
    "async_spawn",
    "async_submit_to_loop",
    "async_task_identity",
    "call_within",
    "loop_closed",
    "monotonic",
    "running_loop",
    "sleep",
    "spawn",
    "submit_to_loop",
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
    timeout; a waiter cancelled after being granted a slot hands it back. ``held`` counts
    the slots taken and not yet released."""

    __slots__ = ("_capacity", "_free", "_waiters")

    def __init__(self, count: int) -> None:
        self._capacity = count
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
        import asyncio

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
        """Free a slot: handed straight to the longest waiter, if any (so a releasing task
        cannot take it back first), else counted free."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(True)
                return
        self._free += 1

    @property
    def waiting(self) -> int:
        return sum(1 for w in self._waiters if not w.done())

    @property
    def held(self) -> int:
        return self._capacity - self._free


def _expire(waiter: asyncio.Future[bool]) -> None:
    if not waiter.done():
        waiter.set_result(False)


class _ThreadWaiter:
    """One thread waiting for a slot: a lock held until the slot is granted to it."""

    __slots__ = ("granted", "lock")

    def __init__(self) -> None:
        self.granted = False
        self.lock = threading.Lock()
        self.lock.acquire()


class Slots:
    """The thread-based twin of ``AsyncSlots``, FIFO as well: a released slot is handed to
    the longest-waiting thread, never re-taken by the releasing one, so no thread starves
    and none times out while the pool is healthy. Not ``threading.Semaphore``: that one is
    neither FIFO nor cheap (Python code over a Condition); here a free slot is one C-level
    lock round, and a waiter sleeps on a lock of its own."""

    __slots__ = ("_capacity", "_free", "_lock", "_waiters")

    def __init__(self, count: int) -> None:
        self._capacity = count
        self._free = count
        self._lock = threading.Lock()
        # Never empty while a slot is free: ``release`` hands a slot to a waiter first.
        self._waiters: deque[_ThreadWaiter] = deque()

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
            if timeout is not None and timeout <= 0:
                return False
            waiter = _ThreadWaiter()
            self._waiters.append(waiter)
        try:
            if waiter.lock.acquire(True, -1 if timeout is None else timeout):
                return True
        except BaseException:
            self._withdraw(waiter, keep=False)
            raise
        # Timed out, unless the grant arrived between the timeout and now: then keep it.
        return self._withdraw(waiter, keep=True)

    def _withdraw(self, waiter: _ThreadWaiter, *, keep: bool) -> bool:
        """Stop waiting; whether the slot was granted meanwhile (and is kept). A granted
        slot that is not kept passes on, so an interrupted waiter loses no permit."""
        with self._lock:
            if not waiter.granted:
                self._waiters.remove(waiter)
                return False
        if not keep:
            self.release()
        return keep

    def release(self) -> None:
        """Free a slot: handed straight to the longest waiter, if any, else counted free."""
        with self._lock:
            if self._waiters:
                waiter = self._waiters.popleft()
                waiter.granted = True
                waiter.lock.release()
            else:
                self._free += 1

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    @property
    def held(self) -> int:
        return self._capacity - self._free


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


class AsyncShareLock:
    """Takes turns on a connection that several tasks may use (a shared pinned block): one
    task at a time, FIFO, re-entrant for the task that holds it (a block it opened may run
    statements of its own)."""

    __slots__ = ("_depth", "_holder", "_lock")

    def __init__(self) -> None:
        import asyncio

        self._lock = asyncio.Lock()
        self._holder: object | None = None
        self._depth = 0

    async def acquire(self) -> None:
        import asyncio

        me = asyncio.current_task()
        if self._depth and self._holder is me:
            self._depth += 1
            return
        await self._lock.acquire()
        self._holder, self._depth = me, 1

    def release(self) -> None:
        self._depth -= 1
        if not self._depth:
            self._holder = None
            self._lock.release()


class ShareLock:
    """Sync twin of ``AsyncShareLock``: threads take turns, re-entrant for the holder."""

    __slots__ = ("_lock",)

    def __init__(self) -> None:
        self._lock = threading.RLock()

    def acquire(self) -> None:
        self._lock.acquire()

    def release(self) -> None:
        self._lock.release()


async def async_sleep(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)


def sleep(seconds: float) -> None:
    time.sleep(seconds)


def async_spawn(call: Callable[[], Awaitable[None]]) -> Callable[[], None]:
    """Run ``call()`` in the background (a task on the running loop); return what stops it
    (cancels the task). The caller keeps no reference: the loop holds the task."""
    import asyncio

    task = asyncio.ensure_future(call())
    _background.add(task)
    task.add_done_callback(_background.discard)
    return task.cancel  # type: ignore[return-value]


def spawn(call: Callable[[], None]) -> Callable[[], None]:
    """Sync twin of ``async_spawn``: ``call()`` in a daemon thread. A thread cannot be
    stopped from outside: the returned function does nothing and the call runs to its end
    (callers keep background calls short and bounded)."""
    threading.Thread(target=call, daemon=True, name="twinsql-background").start()
    return _nothing


def _nothing() -> None:
    return None


# Tasks started by async_spawn: asyncio keeps only weak references to running tasks.
_background: set[asyncio.Future[None]] = set()


def async_running_loop() -> object | None:
    """The running event loop (an async database binds itself to the loop it starts on)."""
    import asyncio

    return asyncio.get_running_loop()


def running_loop() -> object | None:
    """Sync twin of ``async_running_loop``: the event loop running on this thread, if any
    (a sync database binds to no loop, and refuses to block a running one). None when
    asyncio was never imported: no loop can run before it is."""
    if "asyncio" not in sys.modules:
        return None
    import asyncio

    return asyncio._get_running_loop()


def loop_closed(loop: object | None) -> bool:
    """Whether ``loop`` is an event loop that has been closed (its sockets are gone)."""
    if "asyncio" not in sys.modules:  # no loop exists before asyncio is imported
        return False
    import asyncio

    return isinstance(loop, asyncio.AbstractEventLoop) and loop.is_closed()


def async_submit_to_loop(loop: object | None, call: Callable[[], Awaitable[object]]) -> bool:
    """Run ``call()`` on ``loop``, running in another thread, without waiting for it; False
    when ``loop`` is not running (nothing is scheduled)."""
    if "asyncio" not in sys.modules:  # no loop exists before asyncio is imported
        return False
    import asyncio

    if not (isinstance(loop, asyncio.AbstractEventLoop) and loop.is_running()):
        return False

    async def run() -> None:
        await call()

    asyncio.run_coroutine_threadsafe(run(), loop)
    return True


def submit_to_loop(loop: object | None, call: Callable[[], object]) -> bool:
    """Sync twin of ``async_submit_to_loop``: sync connections belong to no loop, so there
    is never one to hand the call to."""
    return False


def async_task_identity() -> object | None:
    """The current asyncio task, or None outside a task (the owner of a pinned connection)."""
    import asyncio

    return asyncio.current_task()


def task_identity() -> object | None:
    """The current thread's identity: the sync mode's unit of concurrency."""
    return threading.get_ident()


async def async_call_within(
    call: Callable[[], Awaitable[_T]], timeout: float, abandon: Callable[[_T], object]
) -> _T | None:
    """``await call()``, or None once ``timeout`` seconds pass first. The late call is then
    cancelled in the background (as it is when the caller itself is cancelled), and should
    it still return a value, ``abandon`` gets that value (to close it)."""
    import asyncio

    task = asyncio.ensure_future(call())
    try:
        done, _ = await asyncio.wait((task,), timeout=max(timeout, 0.0))
    except BaseException:
        _abandon_task(task, abandon)
        raise
    if done:
        return task.result()
    _abandon_task(task, abandon)
    return None


def _abandon_task(task: asyncio.Future[_T], abandon: Callable[[_T], object]) -> None:
    task.cancel()

    def settle(done: asyncio.Future[_T]) -> None:
        # Retrieving the exception keeps asyncio from logging it as never retrieved.
        if not done.cancelled() and done.exception() is None:
            abandon(done.result())

    task.add_done_callback(settle)


class _Handoff:
    """The outcome of a call made in a helper thread, and whether its caller gave up."""

    __slots__ = ("abandoned", "error", "finished", "lock", "value")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.finished = False
        self.abandoned = False
        self.value: Any = None
        self.error: BaseException | None = None

    def give_up(self) -> bool:
        """The caller stops waiting: True if the call had already finished (its outcome is
        the caller's); else the value it returns later is abandoned by the helper thread."""
        with self.lock:
            if not self.finished:
                self.abandoned = True
                return False
        return True


def call_within(
    call: Callable[[], _T], timeout: float, abandon: Callable[[_T], object]
) -> _T | None:
    """Sync twin of ``async_call_within``: ``call()`` in a helper thread, its value, or None
    once ``timeout`` seconds pass first. A thread cannot be cancelled: a late call runs on,
    and ``abandon`` gets the value it returns."""
    handoff = _Handoff()
    done = threading.Event()

    def run() -> None:
        try:
            value, error = call(), None
        except BaseException as exc:
            value, error = None, exc
        with handoff.lock:
            late = handoff.abandoned
            handoff.finished = True
            handoff.value, handoff.error = value, error
        done.set()
        if late and error is None:
            abandon(value)  # type: ignore[arg-type]

    threading.Thread(target=run, name="twinsql-call-within", daemon=True).start()
    try:
        done.wait(max(timeout, 0.0))
    except BaseException:
        # Interrupted while waiting: nothing the call returns may leak.
        if handoff.give_up() and handoff.error is None:
            abandon(handoff.value)
        raise
    if not handoff.give_up():
        return None
    if handoff.error is not None:
        raise handoff.error
    value: _T = handoff.value
    return value
