"""SQLAlchemy 2: the ORM (a new ``Session`` per operation: it has an identity map) and, for
the dict workloads, Core (``connection.execute(select(...)).mappings()``), sync and async.

Engines: ``pool_size`` connections, no overflow; drivers psycopg / asyncpg, PyMySQL /
asyncmy, pysqlite / aiosqlite (with the pragmas twinsql uses: ``synchronous=NORMAL``,
busy timeout). Sessions use ``expire_on_commit=False`` (the setting SQLAlchemy's asyncio
documentation prescribes; without it reading a key after commit costs a SELECT). Everything
else is SQLAlchemy's default — including the transaction it opens around every session,
which ``pg_stat_statements`` shows as BEGIN … ROLLBACK/COMMIT.
"""

from __future__ import annotations

from typing import Any

import dataset
from config import with_scheme
from sqlalchemy import create_engine, delete, event, insert, select, update
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.orm import selectinload, sessionmaker

from libs.common import lock_order
from libs.sqla_models import Account, Item, Transfer, User, Wide

_SCHEMES = {  # backend -> (sync, async)
    "sqlite": ("sqlite", "sqlite+aiosqlite"),
    "postgresql": ("postgresql+psycopg", "postgresql+asyncpg"),
    "mysql": ("mysql+pymysql", "mysql+asyncmy"),
}
_ITEM_FIELDS = dataset.ITEM_COLUMNS[1:]
_USERS_CORE = select(*User.__table__.columns).order_by(User.id)


def _sqlite_pragmas(engine: Any) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA busy_timeout = 5000")
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.close()


def _users_query(limit: int) -> Any:
    return select(User).order_by(User.id).limit(limit)


def _page_query(age: int, offset: int) -> Any:
    return select(User).where(User.age == age).order_by(User.id).limit(20).offset(offset)


def _eager_query(lo: int, hi: int) -> Any:
    where = (User.id >= lo) & (User.id <= hi)
    return select(User).where(where).order_by(User.id).options(selectinload(User.posts))


def _bulk_update(lo: int, hi: int) -> Any:
    return update(Item).where(Item.id >= lo, Item.id <= hi).values(age=Item.age + 1)


class SQLAlchemy:
    def __init__(self, backend: str, url: str, pool_size: int) -> None:
        self.engine = create_engine(with_scheme(url, _SCHEMES[backend][0]),
                                    pool_size=pool_size, max_overflow=0)  # fmt: skip
        if backend == "sqlite":
            _sqlite_pragmas(self.engine)
        self.session = sessionmaker(self.engine, expire_on_commit=False)

    def get_user(self, pk: int) -> Any:
        with self.session() as s:
            return s.get(User, pk)

    def users(self, limit: int) -> list[Any]:
        with self.session() as s:
            return list(s.scalars(_users_query(limit)).all())

    def user_dicts(self, limit: int) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(m) for m in conn.execute(_USERS_CORE.limit(limit)).mappings()]

    def wide(self, limit: int) -> list[Any]:
        with self.session() as s:
            return list(s.scalars(select(Wide).order_by(Wide.id).limit(limit)).all())

    def page(self, age: int, offset: int) -> list[Any]:
        with self.session() as s:
            return list(s.scalars(_page_query(age, offset)).all())

    def insert_item(self, values: tuple[Any, ...]) -> int:
        with self.session() as s, s.begin():
            item = Item(**dict(zip(_ITEM_FIELDS, values)))
            s.add(item)
            s.flush()
            return item.id

    def bulk_insert(self, rows: list[tuple[Any, ...]]) -> None:
        with self.session() as s, s.begin():
            s.execute(insert(Item), [dict(zip(dataset.ITEM_COLUMNS, r)) for r in rows])

    def rms(self, pk: int) -> None:
        with self.session() as s, s.begin():
            item = s.get(Item, pk)
            assert item is not None
            item.age += 1

    def bulk_update(self, lo: int, hi: int) -> None:
        with self.session() as s, s.begin():
            s.execute(_bulk_update(lo, hi))

    def delete_item(self, pk: int) -> int:
        with self.session() as s, s.begin():
            return int(s.execute(delete(Item).where(Item.id == pk)).rowcount)  # type: ignore[attr-defined]

    def users_with_posts(self, lo: int, hi: int) -> list[Any]:
        with self.session() as s:
            return list(s.scalars(_eager_query(lo, hi)).all())

    def transfer(self, a: int, b: int, amount: int) -> None:
        with self.session() as s, s.begin():
            accounts = {pk: s.get(Account, pk, with_for_update=True) for pk in lock_order(a, b)}
            accounts[a].balance -= amount  # type: ignore[union-attr]
            accounts[b].balance += amount  # type: ignore[union-attr]
            s.add(Transfer(src=a, dst=b, amount=amount))

    def close(self) -> None:
        self.engine.dispose()


class AsyncSQLAlchemy:
    def __init__(self, backend: str, url: str, pool_size: int) -> None:
        self.engine = create_async_engine(with_scheme(url, _SCHEMES[backend][1]),
                                          pool_size=pool_size, max_overflow=0)  # fmt: skip
        if backend == "sqlite":
            _sqlite_pragmas(self.engine.sync_engine)
        self.session = async_sessionmaker(self.engine, expire_on_commit=False)

    async def get_user(self, pk: int) -> Any:
        async with self.session() as s:
            return await s.get(User, pk)

    async def users(self, limit: int) -> list[Any]:
        async with self.session() as s:
            return list((await s.scalars(_users_query(limit))).all())

    async def user_dicts(self, limit: int) -> list[dict[str, Any]]:
        async with self.engine.connect() as conn:
            result = await conn.execute(_USERS_CORE.limit(limit))
            return [dict(m) for m in result.mappings()]

    async def wide(self, limit: int) -> list[Any]:
        async with self.session() as s:
            return list((await s.scalars(select(Wide).order_by(Wide.id).limit(limit))).all())

    async def page(self, age: int, offset: int) -> list[Any]:
        async with self.session() as s:
            return list((await s.scalars(_page_query(age, offset))).all())

    async def insert_item(self, values: tuple[Any, ...]) -> int:
        async with self.session() as s, s.begin():
            item = Item(**dict(zip(_ITEM_FIELDS, values)))
            s.add(item)
            await s.flush()
            return item.id

    async def bulk_insert(self, rows: list[tuple[Any, ...]]) -> None:
        async with self.session() as s, s.begin():
            await s.execute(insert(Item), [dict(zip(dataset.ITEM_COLUMNS, r)) for r in rows])

    async def rms(self, pk: int) -> None:
        async with self.session() as s, s.begin():
            item = await s.get(Item, pk)
            assert item is not None
            item.age += 1

    async def bulk_update(self, lo: int, hi: int) -> None:
        async with self.session() as s, s.begin():
            await s.execute(_bulk_update(lo, hi))

    async def delete_item(self, pk: int) -> int:
        async with self.session() as s, s.begin():
            result = await s.execute(delete(Item).where(Item.id == pk))
            return int(result.rowcount)  # type: ignore[attr-defined]

    async def users_with_posts(self, lo: int, hi: int) -> list[Any]:
        async with self.session() as s:
            return list((await s.scalars(_eager_query(lo, hi))).all())

    async def transfer(self, a: int, b: int, amount: int) -> None:
        async with self.session() as s, s.begin():
            accounts = {pk: await s.get(Account, pk, with_for_update=True)
                        for pk in lock_order(a, b)}  # fmt: skip
            accounts[a].balance -= amount  # type: ignore[union-attr]
            accounts[b].balance += amount  # type: ignore[union-attr]
            s.add(Transfer(src=a, dst=b, amount=amount))

    async def close(self) -> None:
        await self.engine.dispose()


def open_client(impl: str, backend: str, url: str, pool_size: int, variant: str) -> Any:
    return SQLAlchemy(backend, url, pool_size)


async def open_async_client(
    impl: str, backend: str, url: str, pool_size: int, variant: str
) -> Any:
    return AsyncSQLAlchemy(backend, url, pool_size)
