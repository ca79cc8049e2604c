"""Driver layer: the client-side bound on a call, in both modes, and the tools an adapter
uses to stop a call in progress.

A server-side statement timeout stops the work on the server but cannot help when the link
or the server itself stalls: the client then waits for a reply that never comes. So when a
timeout is configured, the connection layer also arms a client-side timer around the call;
when it fires, the adapter's ``abort()`` asks the server to stop the statement (in the
background, bounded) and breaks the link, so the waiting call fails at once.

* Async mode: ``arm_on_loop`` is ``loop.call_later`` (no task per call).
* Sync mode: ``arm_on_watchdog`` puts the deadline in the heap of one shared watchdog
  thread (no thread per call). Firing and disarming take the same lock, so once
  ``cancel()`` has returned the callback has either run to its end or never will.

``LinkBreaker`` holds a duplicate of a connection's socket, so the link can be shut down
from any thread (the blocked read then returns at once) and an idle link can be checked for
a server that went away, without touching the native driver's own socket object.

asyncio and socket are imported where they are used: a sync load over SQLite arms no loop
timer and breaks no socket link, and should not pay for importing either.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import os
import select
import threading
import time
from collections.abc import Callable
from typing import Protocol

__all__ = [
    "CANCEL_WAIT",
    "CLIENT_GRACE",
    "Armed",
    "LinkBreaker",
    "arm_on_loop",
    "arm_on_watchdog",
    "in_background",
]

logger = logging.getLogger("twinsql.pool")

# How long after the server-side timeout the client gives up on the reply: the server's own
# timeout normally answers first and leaves the connection usable; past this, the link is
# presumed stalled and broken.
CLIENT_GRACE = 0.05
# How long a server-side cancel (a cancel request, KILL QUERY from a side connection) may
# take in the background before it is abandoned; the caller never waits for it.
CANCEL_WAIT = 2.0


class Armed(Protocol):
    """An armed deadline: ``cancel()`` disarms it (a no-op once it fired)."""

    def cancel(self) -> object: ...


def arm_on_loop(seconds: float, callback: Callable[[], None]) -> Armed:
    """Async mode: call ``callback`` on the running loop after ``seconds``."""
    import asyncio

    return asyncio.get_running_loop().call_later(seconds, callback)


class _Deadline:
    __slots__ = ("callback", "live")

    def __init__(self, callback: Callable[[], None]) -> None:
        self.callback = callback
        self.live = True

    def cancel(self) -> None:
        with _WATCHDOG.lock:
            self.live = False


class _Watchdog:
    """One daemon thread firing the deadlines of every sync call, earliest first."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._wake = threading.Condition(self.lock)
        self._heap: list[tuple[float, int, _Deadline]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def arm(self, seconds: float, callback: Callable[[], None]) -> _Deadline:
        deadline = _Deadline(callback)
        when = _monotonic() + seconds
        with self.lock:
            heapq.heappush(self._heap, (when, next(self._order), deadline))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="twinsql-watchdog", daemon=True
                )
                self._thread.start()
            elif self._heap[0][2] is deadline:
                self._wake.notify()
        return deadline

    def _run(self) -> None:
        with self.lock:
            while True:
                heap = self._heap
                while heap and not heap[0][2].live:
                    heapq.heappop(heap)  # disarmed: dropped lazily
                if not heap:
                    self._wake.wait()
                    continue
                delay = heap[0][0] - _monotonic()
                if delay > 0:
                    self._wake.wait(delay)
                    continue
                deadline = heapq.heappop(heap)[2]
                deadline.live = False
                try:
                    deadline.callback()
                except Exception:  # pragma: no cover - an adapter's abort must not raise
                    logger.exception("aborting a call past its deadline failed")


_monotonic = time.monotonic
_WATCHDOG = _Watchdog()


def arm_on_watchdog(seconds: float, callback: Callable[[], None]) -> Armed:
    """Sync mode: call ``callback`` on the shared watchdog thread after ``seconds``."""
    return _WATCHDOG.arm(seconds, callback)


def in_background(work: Callable[[], object], name: str) -> None:
    """Run ``work`` on a daemon thread and forget it (a bounded server-side cancel, which
    must never hold up the caller); a failure is only logged."""

    def run() -> None:
        try:
            work()
        except Exception as exc:
            logger.info("%s failed: %r", name, exc)

    threading.Thread(target=run, name=f"twinsql-{name}", daemon=True).start()


class LinkBreaker:
    """A duplicate of a connection's socket descriptor (see the module docstring)."""

    __slots__ = ("_poll", "_sock")

    def __init__(self, fileno: int | None) -> None:
        import socket

        # None: no socket to watch (the breaker does nothing, the link is never "gone").
        self._sock = None if fileno is None else socket.socket(fileno=os.dup(fileno))
        # A poll object registered once: checking an idle link costs one syscall.
        self._poll = select.poll()
        if self._sock is not None:
            self._poll.register(self._sock, select.POLLIN | select.POLLPRI)

    def break_link(self) -> None:
        """Shut the link down both ways: any read or write on it, in any thread, fails or
        sees the end of the stream at once."""
        sock = self._sock
        if sock is not None:
            import socket

            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def peer_gone(self) -> bool:
        """On an idle link, whether the server has spoken or hung up: an idle session is
        sent nothing, so pending bytes or the end of the stream mean it was ended."""
        return self._sock is not None and bool(self._poll.poll(0))

    def close(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            sock.close()
