# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""Helpers for the integration tests that do I/O (so they exist in both modes)."""

from __future__ import annotations

import functools
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import twinsql
from tests import support


async def fresh_table(
    db: twinsql.AsyncDatabase | twinsql.AsyncConnection,
    name: str,
    columns: dict[str, str],
) -> str:
    """(Re)create table ``name`` with ``columns`` (column -> portable kind or raw type)."""
    dialect = db.dialect
    quoted = dialect.quote_identifier(name)
    await db.execute_non_query(f"DROP TABLE IF EXISTS {quoted}")
    parts = []
    for column, kind in columns.items():
        try:
            sql_type = support.col(dialect.name, kind)
        except KeyError:
            sql_type = kind
        parts.append(f"{dialect.quote_identifier(column)} {sql_type}")
    await db.execute_non_query(f"CREATE TABLE {quoted} ({', '.join(parts)})")
    return quoted


async def session_id(db: twinsql.AsyncDatabase | twinsql.AsyncConnection) -> int | None:
    """The server session id of the connection that runs this call (None for SQLite)."""
    sql = support.session_id_sql(db.dialect.name)
    if sql is None:
        return None
    return int(await db.execute_scalar(sql))


_IS_ASYNC = True


async def run_concurrently(calls: list[Any]) -> list[Any]:
    """Run zero-argument callables at once: tasks in the async suite, threads in the sync
    one. Exceptions are returned, not raised."""
    if _IS_ASYNC:
        import asyncio  # here, not at the top: the sync twin drops this branch and needs none

        return list(await asyncio.gather(*(call() for call in calls), return_exceptions=True))
    results: list[Any] = []
    with ThreadPoolExecutor(len(calls)) as pool:
        futures = [pool.submit(call) for call in calls]
        for future in futures:
            try:
                results.append(future.result())
            except Exception as exc:
                results.append(exc)
    return results


class _AsyncMeetingPoint:
    """``wait()`` returns once ``parties`` callers are waiting (asyncio.Barrier is 3.11+)."""

    def __init__(self, parties: int) -> None:
        import asyncio

        self.parties = parties
        self.arrived = 0
        self.everyone = asyncio.Event()

    async def wait(self) -> None:
        self.arrived += 1
        if self.arrived >= self.parties:
            self.everyone.set()
        await self.everyone.wait()


def meeting_point(parties: int) -> Any:
    """A barrier for ``parties`` callers run by ``run_concurrently``: tasks in the async
    suite, threads in the sync one; both wait with ``(await) gate.wait()``."""
    if _IS_ASYNC:
        return _AsyncMeetingPoint(parties)
    import threading

    return threading.Barrier(parties)


async def run_in_children(calls: list[Any]) -> list[Any]:
    """Run zero-argument callables at once in children that inherit the caller's context:
    tasks in the async suite, threads given a copy of the context in the sync one.
    Exceptions are returned, not raised."""
    if _IS_ASYNC:
        return await run_concurrently(calls)
    import contextvars

    return await run_concurrently(
        [functools.partial(contextvars.copy_context().run, call) for call in calls]
    )
