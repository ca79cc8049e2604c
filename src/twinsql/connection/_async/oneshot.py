# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""Connection layer, I/O: the one-shot helpers — open a database, run one statement,
close it (``execute_async``, ``execute_scalar_async``; sync: ``execute``,
``execute_scalar``)."""

from __future__ import annotations

from typing import Any

from twinsql.connection._async.connection import Params, Row
from twinsql.connection._async.database import AsyncDatabase
from twinsql.connection.url import DatabaseURL

__all__ = ["execute_async", "execute_scalar_async"]


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
