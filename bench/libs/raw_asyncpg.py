"""Raw async PostgreSQL drivers: asyncpg (the ORM tables' baseline) and psycopg 3 async
(the connection-layer workloads). See ``raw_async`` for the rules they follow."""

from __future__ import annotations

from typing import Any

from libs.common import (
    ItemRow,
    PostRow,
    UserRow,
    WideRow,
    attach_posts,
    lock_order,
    sql_for,
)


class Asyncpg:
    style = "numeric"

    def __init__(self, url: str, pool_size: int, variant: str) -> None:
        self.url, self.pool_size, self.variant = url, pool_size, variant
        self.q = sql_for(self.style)

    async def open(self) -> None:
        import asyncpg  # type: ignore[import-untyped]

        self.conn = await asyncpg.connect(self.url)
        self.pool = None
        if self.pool_size > 1:
            extra: dict[str, Any] = {}
            if self.variant == "noreset":
                extra["reset"] = _no_reset
            self.pool = await asyncpg.create_pool(
                self.url, min_size=self.pool_size, max_size=self.pool_size, **extra
            )

    async def select1(self) -> Any:
        return (await self.conn.fetch("SELECT 1"))[0][0]

    async def get_user(self, pk: int) -> UserRow:
        if self.pool is None:
            row = await self.conn.fetchrow(self.q["get_user"], pk)
        else:
            async with self.pool.acquire() as conn:
                row = await conn.fetchrow(self.q["get_user"], pk)
        return UserRow(*row)

    async def users(self, limit: int) -> list[UserRow]:
        return [UserRow(*r) for r in await self.conn.fetch(self.q["users"], limit)]

    async def user_dicts(self, limit: int) -> list[dict[str, Any]]:
        records = await self.conn.fetch(self.q["users"], limit)
        if self.variant == "factory":
            return [dict(r) for r in records]
        keys = list(records[0].keys()) if records else []
        return [dict(zip(keys, r)) for r in records]

    async def wide(self, limit: int) -> list[Any]:
        return [WideRow(*r) for r in await self.conn.fetch(self.q["wide"], limit)]

    async def page(self, age: int, offset: int) -> list[UserRow]:
        return [UserRow(*r) for r in await self.conn.fetch(self.q["page"], age, 20, offset)]

    async def insert_item(self, values: tuple[Any, ...]) -> int:
        return int(await self.conn.fetchval(self.q["insert_item"] + " RETURNING id", *values))

    async def bulk_insert(self, rows: list[tuple[Any, ...]]) -> None:
        conn = self.conn
        async with conn.transaction():
            if self.variant == "copy":
                await conn.copy_records_to_table(
                    "bench_items", records=rows,
                    columns=["id", "name", "email", "age", "score", "active"],
                )  # fmt: skip
            elif self.variant == "unnest":
                await conn.execute(
                    "INSERT INTO bench_items (id, name, email, age, score, active) SELECT * "
                    "FROM unnest($1::int[], $2::text[], $3::text[], $4::int[], $5::float8[], "
                    "$6::bool[])", *(list(c) for c in zip(*rows)),
                )  # fmt: skip
            else:
                await conn.executemany(self.q["bulk_item"], rows)

    async def rms(self, pk: int) -> None:
        item = ItemRow(*await self.conn.fetchrow(self.q["get_item"], pk))
        item.age += 1
        await self.conn.execute(self.q["set_age"], item.age, item.id)

    async def bulk_update(self, lo: int, hi: int) -> None:
        await self.conn.execute(self.q["bulk_update"], lo, hi)

    async def delete_item(self, pk: int) -> int:
        status = await self.conn.execute(self.q["delete_item"], pk)
        return int(status.rsplit(" ", 1)[-1])

    async def users_with_posts(self, lo: int, hi: int) -> list[UserRow]:
        users = [UserRow(*r) for r in await self.conn.fetch(self.q["users_range"], lo, hi)]
        records = await self.conn.fetch(
            "SELECT id, user_id, title, body, likes FROM bench_posts WHERE user_id = ANY($1)",
            [u.id for u in users],
        )
        return attach_posts(users, [PostRow(*r) for r in records])

    async def transfer(self, a: int, b: int, amount: int) -> None:
        q = self.q
        assert self.pool is not None
        async with self.pool.acquire() as conn, conn.transaction():
            balances = {}
            for pk in lock_order(a, b):
                balances[pk] = await conn.fetchval(q["lock_balance"], pk)
            await conn.execute(q["set_balance"], balances[a] - amount, a)
            await conn.execute(q["set_balance"], balances[b] + amount, b)
            await conn.execute(q["insert_transfer"], a, b, amount)

    async def close(self) -> None:
        await self.conn.close()
        if self.pool is not None:
            await self.pool.close()


async def _no_reset(conn: Any) -> None:
    return None


class PsycopgAsync:
    """psycopg 3 async: the connection-layer workloads only (twinsql's psycopg async
    driver is compared with it; the ORM tables use asyncpg)."""

    def __init__(self, url: str, pool_size: int, variant: str) -> None:
        self.url, self.variant = url, variant
        self.q = sql_for("format")

    async def open(self) -> None:
        import psycopg
        from psycopg.rows import dict_row

        self.conn = await psycopg.AsyncConnection.connect(self.url, autocommit=True)
        self.cur = self.conn.cursor()
        self.dcur = self.conn.cursor(row_factory=dict_row)

    async def select1(self) -> Any:
        cur = self.cur
        await cur.execute("SELECT 1")
        return (await cur.fetchall())[0][0]

    async def get_user(self, pk: int) -> UserRow:
        cur = self.cur
        await cur.execute(self.q["get_user"], (pk,))
        return UserRow(*await cur.fetchone())

    async def user_dicts(self, limit: int) -> list[dict[str, Any]]:
        if self.variant == "factory":
            await self.dcur.execute(self.q["users"], (limit,))
            return list(await self.dcur.fetchall())
        cur = self.cur
        await cur.execute(self.q["users"], (limit,))
        rows = await cur.fetchall()
        cols = [d.name for d in cur.description or ()]
        return [dict(zip(cols, r)) for r in rows]

    async def close(self) -> None:
        await self.conn.close()
