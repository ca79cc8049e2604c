"""Tortoise ORM (async only): its models of the benchmark tables and the client.

Connections: asyncpg and asyncmy pools of ``pool_size`` (``minsize=maxsize``; Tortoise's
asyncpg pool keeps asyncpg's reset query on release), one aiosqlite connection on SQLite
(Tortoise has no SQLite pool) with the pragmas twinsql uses. Dicts come from
``.values(...)``; bulk insert is ``bulk_create``; eager loading is ``prefetch_related``;
``save()`` writes every field (Tortoise tracks no dirty fields).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import dataset
from config import sqlite_path
from tortoise import Tortoise, fields
from tortoise.expressions import F
from tortoise.models import Model
from tortoise.transactions import in_transaction

from libs.common import lock_order


class User(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100)
    email = fields.CharField(max_length=100)
    age = fields.IntField()
    score = fields.FloatField()
    active = fields.BooleanField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "bench_users"


class Post(Model):
    id = fields.IntField(primary_key=True)
    user: Any = fields.ForeignKeyField("models.User", related_name="posts")
    title = fields.CharField(max_length=100)
    body = fields.CharField(max_length=400)
    likes = fields.IntField()

    class Meta:
        table = "bench_posts"


def _wide_namespace() -> dict[str, Any]:
    ns: dict[str, Any] = {"id": fields.IntField(primary_key=True), "__module__": __name__}
    ns.update({c: fields.IntField() for c in dataset.WIDE_INTS})
    ns.update({c: fields.FloatField() for c in dataset.WIDE_FLOATS})
    ns.update({c: fields.CharField(max_length=100) for c in dataset.WIDE_TEXTS})
    ns["Meta"] = type("Meta", (), {"table": "bench_wide"})
    return ns


Wide: Any = type("Wide", (Model,), _wide_namespace())


class Item(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100)
    email = fields.CharField(max_length=100)
    age = fields.IntField()
    score = fields.FloatField()
    active = fields.BooleanField()

    class Meta:
        table = "bench_items"


class Account(Model):
    id = fields.IntField(primary_key=True)
    owner = fields.CharField(max_length=100)
    balance = fields.BigIntField()

    class Meta:
        table = "bench_accounts"


class Transfer(Model):
    id = fields.IntField(primary_key=True)
    src = fields.IntField()
    dst = fields.IntField()
    amount = fields.BigIntField()

    class Meta:
        table = "bench_transfers"


def _db_url(backend: str, url: str, pool_size: int) -> str:
    if backend == "sqlite":
        return f"sqlite://{sqlite_path(url)}?synchronous=NORMAL&busy_timeout=5000"
    parts = urlsplit(url)
    scheme = "asyncpg" if backend == "postgresql" else "mysql"
    return f"{scheme}://{parts.netloc}{parts.path}?minsize={pool_size}&maxsize={pool_size}"


class TortoiseClient:
    async def get_user(self, pk: int) -> Any:
        return await User.get(id=pk)

    async def users(self, limit: int) -> list[Any]:
        return await User.all().order_by("id").limit(limit)

    async def user_dicts(self, limit: int) -> list[dict[str, Any]]:
        query = User.all().order_by("id").limit(limit).values(*dataset.USER_COLUMNS)
        return await query  # type: ignore[no-any-return]

    async def wide(self, limit: int) -> list[Any]:
        return await Wide.all().order_by("id").limit(limit)  # type: ignore[no-any-return]

    async def page(self, age: int, offset: int) -> list[Any]:
        return await User.filter(age=age).order_by("id").limit(20).offset(offset)

    async def insert_item(self, values: tuple[Any, ...]) -> int:
        item = await Item.create(**dict(zip(dataset.ITEM_COLUMNS[1:], values)))
        return int(item.id)

    async def bulk_insert(self, rows: list[tuple[Any, ...]]) -> None:
        cols = dataset.ITEM_COLUMNS
        await Item.bulk_create([Item(**dict(zip(cols, r))) for r in rows])

    async def rms(self, pk: int) -> None:
        item = await Item.get(id=pk)
        item.age += 1
        await item.save()

    async def bulk_update(self, lo: int, hi: int) -> None:
        await Item.filter(id__gte=lo, id__lte=hi).update(age=F("age") + 1)

    async def delete_item(self, pk: int) -> int:
        return int(await Item.filter(id=pk).delete())

    async def users_with_posts(self, lo: int, hi: int) -> list[Any]:
        query = User.filter(id__gte=lo, id__lte=hi).order_by("id").prefetch_related("posts")
        return await query

    async def transfer(self, a: int, b: int, amount: int) -> None:
        async with in_transaction():
            accounts = {pk: await Account.select_for_update().get(id=pk)
                        for pk in lock_order(a, b)}  # fmt: skip
            accounts[a].balance -= amount
            accounts[b].balance += amount
            await accounts[a].save(update_fields=["balance"])
            await accounts[b].save(update_fields=["balance"])
            await Transfer.create(src=a, dst=b, amount=amount)

    async def close(self) -> None:
        await Tortoise.close_connections()


async def open_client(impl: str, backend: str, url: str, pool_size: int, variant: str) -> Any:
    await Tortoise.init(db_url=_db_url(backend, url, pool_size), modules={"models": [__name__]})
    return TortoiseClient()
