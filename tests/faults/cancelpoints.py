"""Shared by the cancellation tests: interrupt a call at a named checkpoint, and know the
server sessions a pool opened.

``interrupt_at(point, task)`` installs a checkpoint hook that cancels ``task`` (the
current task when it reaches ``point``) once. ``SessionRecorder`` wraps a database's driver
so that every connection its pool opens reports its server session id right after it opens.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import twinsql
from tests import support
from twinsql.connection import checkpoints


@contextmanager
def interrupt_at(point: str, action: Any) -> Iterator[list[str]]:
    """Call ``action()`` the first time ``point`` is reached while armed; yields the list of
    points at which it fired (to assert that it did)."""
    fired: list[str] = []

    def hook(reached: str) -> None:
        if reached == point and not fired:
            fired.append(reached)
            action()

    previous = checkpoints.install(hook)
    try:
        yield fired
    finally:
        checkpoints.install(previous)


def cancel_current() -> None:
    task = asyncio.current_task()
    assert task is not None
    task.cancel()


class SessionRecorder:
    """Stands in for a database's driver: opens connections through it and records the
    server session id of each one (nothing on SQLite)."""

    def __init__(self, driver: Any) -> None:
        self._driver = driver
        self._sql = support.session_id_sql(driver.dialect.name)
        self.ids: list[int] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._driver, name)

    async def connect(self, url: Any, options: Any) -> Any:
        raw = await self._driver.connect(url, options)
        if self._sql is not None:
            try:
                result = await raw.execute(self._sql, ())
            except BaseException:
                raw.terminate()
                raise
            self.ids.append(int(result.rows[0][0]))
        return raw

    @classmethod
    def install(cls, db: twinsql.AsyncDatabase) -> SessionRecorder:
        recorder = cls(db._pool._driver)
        db._pool._driver = recorder  # type: ignore[assignment]
        return recorder


async def live_sessions(url: str, ids: list[int]) -> int:
    """How many of the server sessions ``ids`` still exist (asked on a session of its own)."""
    if not ids:
        return 0
    listed = ", ".join(str(int(i)) for i in ids)
    backend = twinsql.parse_url(url).backend
    sql = (
        f"SELECT COUNT(*) FROM pg_stat_activity WHERE pid IN ({listed})"
        if backend == "postgresql"
        else f"SELECT COUNT(*) FROM information_schema.processlist WHERE id IN ({listed})"
    )
    return int(await twinsql.execute_scalar_async(url, sql))


async def sessions_gone(url: str, ids: list[int], within: float = 1.0) -> int:
    """Wait up to ``within`` seconds for the sessions ``ids`` to end; how many are left."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        left = await live_sessions(url, ids)
        if left == 0 or loop.time() >= deadline:
            return left
        await asyncio.sleep(0.05)
