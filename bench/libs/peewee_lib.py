"""peewee 4: the sync API (psycopg 3, PyMySQL, sqlite3) and the async one
(``playhouse.pwasyncio``: the sync ORM run in a greenlet over asyncpg or aiosqlite; its
MySQL database needs aiomysql, which is not part of the benchmark environment).

peewee keeps one connection per thread (sync) or per task (async, from a pool of
``pool_size``) and runs outside transactions in autocommit mode. Dicts come from
``.dicts()``; eager loading is ``prefetch``; ``save()`` writes every field (peewee's
default); bulk insert is ``insert_many`` in chunks of 1 000 rows inside ``atomic()``, as
peewee's documentation recommends.
"""

from __future__ import annotations

from typing import Any

import dataset
import peewee as pw
from config import sqlite_path, url_parts

from libs.common import lock_order
from libs.peewee_models import make_models

_PRAGMAS = {"synchronous": "NORMAL", "busy_timeout": 5000}
_CHUNK = 1_000


def _server_kwargs(url: str) -> dict[str, Any]:
    p = url_parts(url)
    return {"host": p["host"], "port": p["port"], "user": p["user"],
            "password": p["password"] or None}  # fmt: skip


def _range(m: Any, lo: int, hi: int) -> Any:
    return (m.User.id >= lo) & (m.User.id <= hi)


class Peewee:
    def __init__(self, backend: str, url: str) -> None:
        if backend == "sqlite":
            self.db: Any = pw.SqliteDatabase(sqlite_path(url), pragmas=_PRAGMAS)
        elif backend == "postgresql":
            self.db = pw.PostgresqlDatabase(url_parts(url)["database"], **_server_kwargs(url))
        else:
            self.db = pw.MySQLDatabase(url_parts(url)["database"], charset="utf8mb4",
                                       **_server_kwargs(url))  # fmt: skip
        self.m = make_models(pw.Model, self.db)
        self.db.connect()

    def get_user(self, pk: int) -> Any:
        return self.m.User.get_by_id(pk)

    def users(self, limit: int) -> list[Any]:
        return list(self.m.User.select().order_by(self.m.User.id).limit(limit))

    def user_dicts(self, limit: int) -> list[dict[str, Any]]:
        return list(self.m.User.select().order_by(self.m.User.id).limit(limit).dicts())

    def wide(self, limit: int) -> list[Any]:
        return list(self.m.Wide.select().order_by(self.m.Wide.id).limit(limit))

    def page(self, age: int, offset: int) -> list[Any]:
        u = self.m.User
        return list(u.select().where(u.age == age).order_by(u.id).limit(20).offset(offset))

    def insert_item(self, values: tuple[Any, ...]) -> int:
        return int(self.m.Item.create(**dict(zip(dataset.ITEM_COLUMNS[1:], values))).id)

    def bulk_insert(self, rows: list[tuple[Any, ...]]) -> None:
        item = self.m.Item
        fields = [getattr(item, c) for c in dataset.ITEM_COLUMNS]
        with self.db.atomic():
            for start in range(0, len(rows), _CHUNK):
                item.insert_many(rows[start : start + _CHUNK], fields=fields).execute()

    def rms(self, pk: int) -> None:
        item = self.m.Item.get_by_id(pk)
        item.age += 1
        item.save()

    def bulk_update(self, lo: int, hi: int) -> None:
        i = self.m.Item
        i.update(age=i.age + 1).where((i.id >= lo) & (i.id <= hi)).execute()

    def delete_item(self, pk: int) -> int:
        return int(self.m.Item.delete().where(self.m.Item.id == pk).execute())

    def users_with_posts(self, lo: int, hi: int) -> list[Any]:
        m = self.m
        users = m.User.select().where(_range(m, lo, hi)).order_by(m.User.id)
        return list(pw.prefetch(users, m.Post.select()))

    def transfer(self, a: int, b: int, amount: int) -> None:
        acc = self.m.Account
        with self.db.atomic():
            accounts = {pk: acc.select().where(acc.id == pk).for_update().get()
                        for pk in lock_order(a, b)}  # fmt: skip
            accounts[a].balance -= amount
            accounts[b].balance += amount
            accounts[a].save(only=[acc.balance])
            accounts[b].save(only=[acc.balance])
            self.m.Transfer.create(src=a, dst=b, amount=amount)

    def close(self) -> None:
        self.db.close()


class AsyncPeewee:
    def __init__(self, backend: str, url: str, pool_size: int) -> None:
        from playhouse import pwasyncio

        if backend == "sqlite":
            self.db: Any = pwasyncio.AsyncSqliteDatabase(
                sqlite_path(url), pragmas=_PRAGMAS, pool_size=pool_size, pool_min_size=1)
        else:
            self.db = pwasyncio.AsyncPostgresqlDatabase(
                url_parts(url)["database"], pool_size=pool_size, pool_min_size=1,
                **_server_kwargs(url))  # fmt: skip
        self.m = make_models(pwasyncio.AsyncModel, self.db)

    async def get_user(self, pk: int) -> Any:
        return await self.m.User.aget_by_id(pk)

    async def users(self, limit: int) -> list[Any]:
        return await self.db.list(self.m.User.select().order_by(self.m.User.id).limit(limit))  # type: ignore[no-any-return]

    async def user_dicts(self, limit: int) -> list[dict[str, Any]]:
        query = self.m.User.select().order_by(self.m.User.id).limit(limit).dicts()
        return await self.db.list(query)  # type: ignore[no-any-return]

    async def wide(self, limit: int) -> list[Any]:
        return await self.db.list(self.m.Wide.select().order_by(self.m.Wide.id).limit(limit))  # type: ignore[no-any-return]

    async def page(self, age: int, offset: int) -> list[Any]:
        u = self.m.User
        query = u.select().where(u.age == age).order_by(u.id).limit(20).offset(offset)
        return await self.db.list(query)  # type: ignore[no-any-return]

    async def insert_item(self, values: tuple[Any, ...]) -> int:
        item = await self.m.Item.acreate(**dict(zip(dataset.ITEM_COLUMNS[1:], values)))
        return int(item.id)

    async def bulk_insert(self, rows: list[tuple[Any, ...]]) -> None:
        item = self.m.Item
        fields = [getattr(item, c) for c in dataset.ITEM_COLUMNS]
        async with self.db.atomic():
            for start in range(0, len(rows), _CHUNK):
                chunk = rows[start : start + _CHUNK]
                await self.db.aexecute(item.insert_many(chunk, fields=fields))

    async def rms(self, pk: int) -> None:
        item = await self.m.Item.aget_by_id(pk)
        item.age += 1
        await item.asave()

    async def bulk_update(self, lo: int, hi: int) -> None:
        i = self.m.Item
        await self.db.aexecute(i.update(age=i.age + 1).where((i.id >= lo) & (i.id <= hi)))

    async def delete_item(self, pk: int) -> int:
        return int(await self.db.aexecute(self.m.Item.delete().where(self.m.Item.id == pk)))

    async def users_with_posts(self, lo: int, hi: int) -> list[Any]:
        m = self.m
        users = m.User.select().where(_range(m, lo, hi)).order_by(m.User.id)
        return list(await self.db.aprefetch(users, m.Post.select()))

    async def transfer(self, a: int, b: int, amount: int) -> None:
        acc = self.m.Account
        async with self.db.atomic():
            accounts = {pk: await self.db.get(acc.select().where(acc.id == pk).for_update())
                        for pk in lock_order(a, b)}  # fmt: skip
            accounts[a].balance -= amount
            accounts[b].balance += amount
            await accounts[a].asave(only=[acc.balance])
            await accounts[b].asave(only=[acc.balance])
            await self.m.Transfer.acreate(src=a, dst=b, amount=amount)

    async def close(self) -> None:
        await self.db.close_pool()


def open_client(impl: str, backend: str, url: str, pool_size: int, variant: str) -> Any:
    return Peewee(backend, url)


async def open_async_client(
    impl: str, backend: str, url: str, pool_size: int, variant: str
) -> Any:
    client = AsyncPeewee(backend, url, pool_size)
    await client.db.aconnect()
    return client
