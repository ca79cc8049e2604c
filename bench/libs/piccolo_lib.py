"""Piccolo (async; no MySQL backend): its tables and the client.

PostgreSQL: ``PostgresEngine`` with an asyncpg pool of ``pool_size`` (asyncpg's default
reset on release). SQLite: ``SQLiteEngine`` as Piccolo ships it — it opens a new aiosqlite
connection (and so a new thread) for every query outside a transaction and offers no hook
for pragmas (so ``synchronous`` stays at SQLite's default). Dicts come from ``select()``;
objects from ``objects()``. Piccolo has no reverse-relation prefetch: W9 is its two ORM
queries joined by hand. Its multi-row ``insert`` sends one statement, which would exceed
the drivers' parameter limits at 10 000 rows, so W6 sends chunks of 5 000 rows in one
transaction.
"""

from __future__ import annotations

from typing import Any

import dataset
from config import sqlite_path, url_parts
from piccolo.columns import BigInt, Boolean, DoublePrecision, ForeignKey, Integer, Timestamptz
from piccolo.columns import Varchar as Text
from piccolo.table import Table

from libs.common import lock_order


class User(Table, tablename="bench_users"):
    name = Text(length=100)
    email = Text(length=100)
    age = Integer()
    score = DoublePrecision()
    active = Boolean()
    created_at = Timestamptz()


class Post(Table, tablename="bench_posts"):
    user_id = ForeignKey(references=User)
    title = Text(length=100)
    body = Text(length=400)
    likes = Integer()


def _wide_namespace() -> dict[str, Any]:
    ns: dict[str, Any] = {c: Integer() for c in dataset.WIDE_INTS}
    ns.update({c: DoublePrecision() for c in dataset.WIDE_FLOATS})
    ns.update({c: Text(length=100) for c in dataset.WIDE_TEXTS})
    return ns


Wide: Any = type("Wide", (Table,), _wide_namespace(), tablename="bench_wide")


class Item(Table, tablename="bench_items"):
    name = Text(length=100)
    email = Text(length=100)
    age = Integer()
    score = DoublePrecision()
    active = Boolean()


class Account(Table, tablename="bench_accounts"):
    owner = Text(length=100)
    balance = BigInt()


class Transfer(Table, tablename="bench_transfers"):
    src = Integer()
    dst = Integer()
    amount = BigInt()


TABLES = (User, Post, Wide, Item, Account, Transfer)
_CHUNK = 5_000


class PiccoloClient:
    def __init__(self, engine: Any) -> None:
        self.engine = engine

    async def get_user(self, pk: int) -> Any:
        return await User.objects().get(User.id == pk)

    async def users(self, limit: int) -> list[Any]:
        return await User.objects().order_by(User.id).limit(limit)

    async def user_dicts(self, limit: int) -> list[dict[str, Any]]:
        return await User.select().order_by(User.id).limit(limit)  # type: ignore[no-any-return]

    async def wide(self, limit: int) -> list[Any]:
        return await Wide.objects().order_by(Wide.id).limit(limit)  # type: ignore[no-any-return]

    async def page(self, age: int, offset: int) -> list[Any]:
        query = User.objects().where(User.age == age).order_by(User.id).limit(20).offset(offset)
        return await query

    async def insert_item(self, values: tuple[Any, ...]) -> int:
        item = Item(**dict(zip(dataset.ITEM_COLUMNS[1:], values)))
        await item.save()
        return int(item.id)

    async def bulk_insert(self, rows: list[tuple[Any, ...]]) -> None:
        items = [Item(**dict(zip(dataset.ITEM_COLUMNS, r))) for r in rows]
        async with self.engine.transaction():
            for start in range(0, len(items), _CHUNK):
                await Item.insert(*items[start : start + _CHUNK])

    async def rms(self, pk: int) -> None:
        item = await Item.objects().get(Item.id == pk)
        item.age += 1
        await item.save()

    async def bulk_update(self, lo: int, hi: int) -> None:
        await Item.update({Item.age: Item.age + 1}).where((Item.id >= lo) & (Item.id <= hi))

    async def delete_item(self, pk: int) -> None:
        await Item.delete().where(Item.id == pk)

    async def users_with_posts(self, lo: int, hi: int) -> list[Any]:
        users = await User.objects().where((User.id >= lo) & (User.id <= hi)).order_by(User.id)
        by_id = {}
        for user in users:
            user.posts = []
            by_id[user.id] = user
        for post in await Post.objects().where(Post.user_id.is_in(list(by_id))):
            by_id[post.user_id].posts.append(post)
        return users

    async def transfer(self, a: int, b: int, amount: int) -> None:
        async with self.engine.transaction():
            accounts = {}
            for pk in lock_order(a, b):
                query = Account.objects().where(Account.id == pk).lock_rows()
                accounts[pk] = await query.first()
            accounts[a].balance -= amount
            accounts[b].balance += amount
            await accounts[a].save([Account.balance])
            await accounts[b].save([Account.balance])
            await Transfer.insert(Transfer(src=a, dst=b, amount=amount))

    async def close(self) -> None:
        if getattr(self.engine, "pool", None) is not None:
            await self.engine.close_connection_pool()


async def open_client(impl: str, backend: str, url: str, pool_size: int, variant: str) -> Any:
    if backend == "sqlite":
        from piccolo.engine.sqlite import SQLiteEngine

        engine: Any = SQLiteEngine(path=sqlite_path(url))
    else:
        from piccolo.engine.postgres import PostgresEngine

        p = url_parts(url)
        config = {k: p[k] for k in ("host", "port", "user", "database")}
        if p["password"]:
            config["password"] = p["password"]
        engine = PostgresEngine(config=config)
        await engine.start_connection_pool(min_size=pool_size, max_size=pool_size)
    for table in TABLES:
        table._meta.db = engine
    return PiccoloClient(engine)
