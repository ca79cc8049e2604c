"""The raw async drivers used directly — aiosqlite, asyncpg, psycopg 3 async, asyncmy.

Sequential workloads hold one connection (autocommit; asyncpg's default statement cache,
psycopg's default prepare threshold). W4 and W10 use a pool of 10: the driver's own where
it has one (``asyncpg.create_pool`` — variant ``pool`` with its reset query on every
release, variant ``noreset`` without it, as the fastest published asyncpg setups run;
``asyncmy.create_pool``), else a queue of 10 held connections. Records become the slots
dataclasses of ``common``; dicts as in ``raw_sync``.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator
from typing import Any

from config import sqlite_path

from libs.common import (
    ItemRow,
    PostRow,
    UserRow,
    WideRow,
    attach_posts,
    in_list,
    sql_for,
)


class _QueuePool:
    """A fixed set of held connections handed out in turn."""

    def __init__(self, conns: list[Any]) -> None:
        self.conns = conns
        self.queue: asyncio.Queue[Any] = asyncio.Queue()
        for conn in conns:
            self.queue.put_nowait(conn)

    @contextlib.asynccontextmanager
    async def acquire(self) -> AsyncIterator[Any]:
        conn = await self.queue.get()
        try:
            yield conn
        finally:
            self.queue.put_nowait(conn)


class Aiosqlite:
    style = "qmark"

    def __init__(self, url: str, pool_size: int, variant: str) -> None:
        self.path, self.pool_size, self.variant = sqlite_path(url), pool_size, variant
        self.q = sql_for(self.style)

    async def _connect(self) -> Any:
        import aiosqlite

        conn = await aiosqlite.connect(self.path, isolation_level=None)
        await conn.execute("PRAGMA busy_timeout = 5000")
        await conn.execute("PRAGMA synchronous = NORMAL")
        if self.variant == "factory":
            conn.row_factory = sqlite3.Row
        return conn

    async def open(self) -> None:
        self.conn = await self._connect()
        self.pool = None
        if self.pool_size > 1:
            self.pool = _QueuePool([await self._connect() for _ in range(self.pool_size)])

    async def select1(self) -> Any:
        return (await self.conn.execute_fetchall("SELECT 1"))[0][0]

    async def get_user(self, pk: int) -> UserRow:
        if self.pool is None:
            rows = await self.conn.execute_fetchall(self.q["get_user"], (pk,))
        else:
            async with self.pool.acquire() as conn:
                rows = await conn.execute_fetchall(self.q["get_user"], (pk,))
        return UserRow(*rows[0])

    async def _all(self, sql: str, params: tuple[Any, ...]) -> Any:
        return await self.conn.execute_fetchall(sql, params)

    async def users(self, limit: int) -> list[UserRow]:
        return [UserRow(*r) for r in await self._all(self.q["users"], (limit,))]

    async def user_dicts(self, limit: int) -> list[dict[str, Any]]:
        if self.variant == "factory":
            rows = list(await self._all(self.q["users"], (limit,)))
            keys = rows[0].keys() if rows else []
            return [dict(zip(keys, r)) for r in rows]
        async with self.conn.execute(self.q["users"], (limit,)) as cur:
            rows = await cur.fetchall()
            cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r)) for r in rows]

    async def wide(self, limit: int) -> list[Any]:
        return [WideRow(*r) for r in await self._all(self.q["wide"], (limit,))]

    async def page(self, age: int, offset: int) -> list[UserRow]:
        return [UserRow(*r) for r in await self._all(self.q["page"], (age, 20, offset))]

    async def insert_item(self, values: tuple[Any, ...]) -> int:
        cur = await self.conn.execute(self.q["insert_item"], values)
        return int(cur.lastrowid)

    async def bulk_insert(self, rows: list[tuple[Any, ...]]) -> None:
        await self.conn.execute("BEGIN")
        await self.conn.executemany(self.q["bulk_item"], rows)
        await self.conn.execute("COMMIT")

    async def rms(self, pk: int) -> None:
        item = ItemRow(*(await self._all(self.q["get_item"], (pk,)))[0])
        item.age += 1
        await self.conn.execute(self.q["set_age"], (item.age, item.id))

    async def bulk_update(self, lo: int, hi: int) -> None:
        await self.conn.execute(self.q["bulk_update"], (lo, hi))

    async def delete_item(self, pk: int) -> int:
        cur = await self.conn.execute(self.q["delete_item"], (pk,))
        return int(cur.rowcount)

    async def users_with_posts(self, lo: int, hi: int) -> list[UserRow]:
        users = [UserRow(*r) for r in await self._all(self.q["users_range"], (lo, hi))]
        ids = tuple(u.id for u in users)
        sql = "SELECT id, user_id, title, body, likes FROM bench_posts WHERE user_id IN "
        posts = [PostRow(*r) for r in await self._all(sql + in_list(len(ids), "qmark"), ids)]
        return attach_posts(users, posts)

    async def close(self) -> None:
        await self.conn.close()
        for conn in self.pool.conns if self.pool else ():
            await conn.close()


async def open_client(impl: str, backend: str, url: str, pool_size: int, variant: str) -> Any:
    if impl == "aiosqlite":
        client: Any = Aiosqlite(url, pool_size, variant)
    elif impl == "asyncmy":
        from libs.raw_asyncmy import Asyncmy

        client = Asyncmy(url, pool_size, variant)
    else:
        from libs.raw_asyncpg import Asyncpg, PsycopgAsync

        client = (Asyncpg if impl == "asyncpg" else PsycopgAsync)(url, pool_size, variant)
    await client.open()
    return client
