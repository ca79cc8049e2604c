"""twinsql: the connection layer (W0, W2 dicts) and the ORM (every other workload), in
both modes, at the current working tree.

``Database`` / ``AsyncDatabase`` with ``pool_size`` connections and no overflow (1 for the
sequential workloads, so every call checks the connection out of the pool and back, as an
application does). Bulk insert (W6) has two variants: ``insert_many`` (the ORM's chunked
multi-row INSERTs) and ``batcher`` (``SQLBatcher.process_statements``, which merges the
INSERTs and uses COPY on PostgreSQL), the latter only when the batcher is importable.
"""

from __future__ import annotations

from typing import Any

import dataset

import twinsql
from libs.common import SQL, lock_order
from libs.tw_models import Account, BenchModel, Item, Transfer, User, Wide

_ITEM_FIELDS = dataset.ITEM_COLUMNS[1:]
_BULK_FIELDS = dataset.ITEM_COLUMNS


def _range(lo: int, hi: int) -> Any:
    return (User.c.id >= lo) & (User.c.id <= hi)


class Twinsql:
    """Sync API (``twinsql.connect`` → ``Database``)."""

    def __init__(self, url: str, pool_size: int, variant: str) -> None:
        self.db = twinsql.connect(url, pool_size=pool_size, max_overflow=0)
        self.variant = variant
        BenchModel.bind(self.db)
        self.key = next(iter(self.db.execute("SELECT 1")[0]))  # "1" or "?column?"

    def select1(self) -> Any:
        return self.db.execute("SELECT 1")[0][self.key]

    def get_user(self, pk: int) -> Any:
        return User.find(pk)

    def users(self, limit: int) -> list[Any]:
        return User.query().order_by("id").limit(limit).all()

    def user_dicts(self, limit: int) -> list[dict[str, Any]]:
        return self.db.execute(SQL["users"], (limit,))

    def wide(self, limit: int) -> list[Any]:
        return Wide.query().order_by("id").limit(limit).all()  # type: ignore[no-any-return]

    def page(self, age: int, offset: int) -> list[Any]:
        return User.query().where(age=age).order_by("id").limit(20).offset(offset).all()

    def insert_item(self, values: tuple[Any, ...]) -> int:
        item = Item.create(**dict(zip(_ITEM_FIELDS, values)))
        assert item.id is not None
        return item.id

    def bulk_insert(self, rows: list[tuple[Any, ...]]) -> None:
        if self.variant == "batcher":
            sql = SQL["bulk_item"]
            report = twinsql.SQLBatcher(self.db).process_statements((sql, r) for r in rows)
            if report.error is not None or not report.ok:
                raise RuntimeError(f"batcher did not apply every row: {report.error!r}")
        else:
            Item.insert_many([dict(zip(_BULK_FIELDS, r)) for r in rows])

    def rms(self, pk: int) -> None:
        item = Item.find(pk)
        assert item is not None
        item.age += 1
        item.save()

    def bulk_update(self, lo: int, hi: int) -> None:
        Item.query().where(Item.c.id >= lo, Item.c.id <= hi).update(age=Item.c.age + 1)

    def delete_item(self, pk: int) -> int:
        return int(Item.query().where(id=pk).delete())

    def users_with_posts(self, lo: int, hi: int) -> list[Any]:
        return User.query().where(_range(lo, hi)).order_by("id").with_("posts").all()

    def transfer(self, a: int, b: int, amount: int) -> None:
        with Account.transaction():
            accounts = {}
            for pk in lock_order(a, b):
                accounts[pk] = Account.query().where(id=pk).for_update().one()
            accounts[a].balance -= amount
            accounts[b].balance += amount
            accounts[a].save()
            accounts[b].save()
            Transfer.create(src=a, dst=b, amount=amount)

    def close(self) -> None:
        self.db.close()


class AsyncTwinsql:
    """Async API (``twinsql.connect_async`` → ``AsyncDatabase``)."""

    def __init__(self, url: str, pool_size: int, variant: str) -> None:
        self.db = twinsql.connect_async(url, pool_size=pool_size, max_overflow=0)
        self.variant = variant
        BenchModel.bind(self.db)

    async def open(self) -> None:
        self.key = next(iter((await self.db.execute("SELECT 1"))[0]))

    async def select1(self) -> Any:
        return (await self.db.execute("SELECT 1"))[0][self.key]

    async def get_user(self, pk: int) -> Any:
        return await User.async_find(pk)

    async def users(self, limit: int) -> list[Any]:
        return await User.query().order_by("id").limit(limit).async_all()

    async def user_dicts(self, limit: int) -> list[dict[str, Any]]:
        return await self.db.execute(SQL["users"], (limit,))

    async def wide(self, limit: int) -> list[Any]:
        return await Wide.query().order_by("id").limit(limit).async_all()  # type: ignore[no-any-return]

    async def page(self, age: int, offset: int) -> list[Any]:
        query = User.query().where(age=age).order_by("id").limit(20).offset(offset)
        return await query.async_all()

    async def insert_item(self, values: tuple[Any, ...]) -> int:
        item = await Item.async_create(**dict(zip(_ITEM_FIELDS, values)))
        assert item.id is not None
        return item.id

    async def bulk_insert(self, rows: list[tuple[Any, ...]]) -> None:
        if self.variant == "batcher":
            sql = SQL["bulk_item"]
            batcher = twinsql.AsyncSQLBatcher(self.db)
            report = await batcher.process_statements((sql, r) for r in rows)
            if report.error is not None or not report.ok:
                raise RuntimeError(f"batcher did not apply every row: {report.error!r}")
        else:
            await Item.async_insert_many([dict(zip(_BULK_FIELDS, r)) for r in rows])

    async def rms(self, pk: int) -> None:
        item = await Item.async_find(pk)
        assert item is not None
        item.age += 1
        await item.async_save()

    async def bulk_update(self, lo: int, hi: int) -> None:
        query = Item.query().where(Item.c.id >= lo, Item.c.id <= hi)
        await query.async_update(age=Item.c.age + 1)

    async def delete_item(self, pk: int) -> int:
        return int(await Item.query().where(id=pk).async_delete())

    async def users_with_posts(self, lo: int, hi: int) -> list[Any]:
        query = User.query().where(_range(lo, hi)).order_by("id").with_("posts")
        return await query.async_all()

    async def transfer(self, a: int, b: int, amount: int) -> None:
        async with Account.async_transaction():
            accounts = {}
            for pk in lock_order(a, b):
                accounts[pk] = await Account.query().where(id=pk).for_update().async_one()
            accounts[a].balance -= amount
            accounts[b].balance += amount
            await accounts[a].async_save()
            await accounts[b].async_save()
            await Transfer.async_create(src=a, dst=b, amount=amount)

    async def close(self) -> None:
        await self.db.close()


def open_client(impl: str, backend: str, url: str, pool_size: int, variant: str) -> Any:
    return Twinsql(url, pool_size, variant)


async def open_async_client(
    impl: str, backend: str, url: str, pool_size: int, variant: str
) -> Any:
    client = AsyncTwinsql(url, pool_size, variant)
    await client.open()
    return client
