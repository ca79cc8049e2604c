"""Raw async MySQL/MariaDB driver: asyncmy. See ``raw_async`` for the rules it follows."""

from __future__ import annotations

from typing import Any

from config import url_parts

from libs.common import (
    ItemRow,
    PostRow,
    UserRow,
    WideRow,
    attach_posts,
    in_list,
    lock_order,
    sql_for,
)


class Asyncmy:
    style = "format"

    def __init__(self, url: str, pool_size: int, variant: str) -> None:
        self.pool_size, self.variant = pool_size, variant
        p = url_parts(url)
        self.kwargs = {
            "host": p["host"], "port": p["port"], "user": p["user"],
            "password": p["password"], "database": p["database"], "autocommit": True,
            "charset": "utf8mb4",
        }  # fmt: skip
        self.q = sql_for(self.style)

    async def open(self) -> None:
        import asyncmy
        from asyncmy.cursors import DictCursor

        self.conn = await asyncmy.connect(**self.kwargs)
        self.cur = self.conn.cursor()
        self.dcur = self.conn.cursor(DictCursor)
        self.pool = None
        if self.pool_size > 1:
            self.pool = await asyncmy.create_pool(
                minsize=self.pool_size, maxsize=self.pool_size, **self.kwargs
            )

    async def _all(self, sql: str, params: Any) -> Any:
        cur = self.cur
        await cur.execute(sql, params)
        return await cur.fetchall()

    async def select1(self) -> Any:
        cur = self.cur
        await cur.execute("SELECT 1")
        return (await cur.fetchall())[0][0]

    async def get_user(self, pk: int) -> UserRow:
        if self.pool is None:
            return UserRow(*(await self._all(self.q["get_user"], (pk,)))[0])
        async with self.pool.acquire() as conn, conn.cursor() as cur:
            await cur.execute(self.q["get_user"], (pk,))
            return UserRow(*await cur.fetchone())

    async def users(self, limit: int) -> list[UserRow]:
        return [UserRow(*r) for r in await self._all(self.q["users"], (limit,))]

    async def user_dicts(self, limit: int) -> list[dict[str, Any]]:
        if self.variant == "factory":
            await self.dcur.execute(self.q["users"], (limit,))
            return list(await self.dcur.fetchall())
        rows = await self._all(self.q["users"], (limit,))
        cols = [d[0] for d in self.cur.description]
        return [dict(zip(cols, r)) for r in rows]

    async def wide(self, limit: int) -> list[Any]:
        return [WideRow(*r) for r in await self._all(self.q["wide"], (limit,))]

    async def page(self, age: int, offset: int) -> list[UserRow]:
        return [UserRow(*r) for r in await self._all(self.q["page"], (age, 20, offset))]

    async def insert_item(self, values: tuple[Any, ...]) -> int:
        cur = self.cur
        await cur.execute(self.q["insert_item"], values)
        return int(cur.lastrowid)

    async def bulk_insert(self, rows: list[tuple[Any, ...]]) -> None:
        await self.conn.begin()
        await self.cur.executemany(self.q["bulk_item"], rows)  # multi-row VALUES
        await self.conn.commit()

    async def rms(self, pk: int) -> None:
        item = ItemRow(*(await self._all(self.q["get_item"], (pk,)))[0])
        item.age += 1
        await self.cur.execute(self.q["set_age"], (item.age, item.id))

    async def bulk_update(self, lo: int, hi: int) -> None:
        await self.cur.execute(self.q["bulk_update"], (lo, hi))

    async def delete_item(self, pk: int) -> int:
        return int(await self.cur.execute(self.q["delete_item"], (pk,)))

    async def users_with_posts(self, lo: int, hi: int) -> list[UserRow]:
        users = [UserRow(*r) for r in await self._all(self.q["users_range"], (lo, hi))]
        ids = [u.id for u in users]
        sql = "SELECT id, user_id, title, body, likes FROM bench_posts WHERE user_id IN "
        posts = [PostRow(*r) for r in await self._all(sql + in_list(len(ids), "format"), ids)]
        return attach_posts(users, posts)

    async def transfer(self, a: int, b: int, amount: int) -> None:
        q = self.q
        assert self.pool is not None
        async with self.pool.acquire() as conn:
            await conn.begin()
            try:
                async with conn.cursor() as cur:
                    balances = {}
                    for pk in lock_order(a, b):
                        await cur.execute(q["lock_balance"], (pk,))
                        balances[pk] = (await cur.fetchone())[0]
                    await cur.execute(q["set_balance"], (balances[a] - amount, a))
                    await cur.execute(q["set_balance"], (balances[b] + amount, b))
                    await cur.execute(q["insert_transfer"], (a, b, amount))
                await conn.commit()
            except BaseException:
                await conn.rollback()
                raise

    async def close(self) -> None:
        self.conn.close()
        if self.pool is not None:
            self.pool.close()
            await self.pool.wait_closed()
