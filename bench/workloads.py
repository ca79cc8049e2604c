"""Workload definitions per library: one small client class per (library, mode).

Every client exposes the same two operations, so the timing loop in ``cell.py`` is the same
code for all of them:

* ``select1()`` — W0: run ``SELECT 1`` and return the value (one round trip).
* ``fetch_dicts(sql)`` — W2: run the query and return every row as a dict in column order.

Raw clients hold one driver connection (and, where the driver has one, one reused cursor)
for the whole cell, in autocommit mode as twinsql's connections are, with the driver's
default statement preparation. twinsql clients use ``pool_size=1, max_overflow=0``, so each
call checks the single connection out of the pool and back in, as an application would.

Raw W2 has up to two *variants* (how rows become dicts); ``run.py`` measures both and
compares twinsql with the faster one:

* ``zip``: the driver's default tuple rows + ``dict(zip(columns, row))``.
* ``factory``: the driver's own dict rows — psycopg ``dict_row``, PyMySQL/asyncmy
  ``DictCursor``, asyncpg ``dict(record)``; sqlite3/aiosqlite have no dict factory, so
  there it is the C ``sqlite3.Row`` factory + ``dict(zip(row.keys(), row))`` (which lets
  aiosqlite fetch in one thread hop via ``execute_fetchall``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

Row = dict[str, Any]


class SyncClient(Protocol):
    def select1(self) -> Any: ...
    def fetch_dicts(self, sql: str) -> list[Row]: ...
    def close(self) -> None: ...


class AsyncClient(Protocol):
    async def select1(self) -> Any: ...
    async def fetch_dicts(self, sql: str) -> list[Row]: ...
    async def close(self) -> None: ...


def sqlite_path(url: str) -> str:
    """The file path of a ``sqlite:////abs/path`` or ``sqlite:///rel/path`` URL."""
    return url.split("sqlite:///", 1)[1]


def mysql_kwargs(url: str) -> dict[str, Any]:
    """PyMySQL/asyncmy connect keywords for a ``mysql://user:pass@host:port/db`` URL."""
    parts = urlsplit(url)
    return {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 3306,
        "user": unquote(parts.username or "root"),
        "password": unquote(parts.password or ""),
        "database": parts.path.lstrip("/"),
        "autocommit": True,
        "charset": "utf8mb4",
    }


# -- sync raw drivers --------------------------------------------------------------------


class Sqlite3Client:
    """sqlite3, autocommit, one reused cursor."""

    def __init__(self, url: str, variant: str) -> None:
        self._conn = sqlite3.connect(sqlite_path(url), isolation_level=None)
        if variant == "factory":
            self._conn.row_factory = sqlite3.Row
        self._cur = self._conn.cursor()
        self._factory = variant == "factory"

    def select1(self) -> Any:
        return self._cur.execute("SELECT 1").fetchall()[0][0]

    def fetch_dicts(self, sql: str) -> list[Row]:
        rows = self._cur.execute(sql).fetchall()
        if self._factory:
            if not rows:
                return []
            keys = rows[0].keys()
            return [dict(zip(keys, row)) for row in rows]
        cols = [d[0] for d in self._cur.description]
        return [dict(zip(cols, row)) for row in rows]

    def close(self) -> None:
        self._conn.close()


class PsycopgClient:
    """psycopg 3 sync, autocommit, one reused cursor (``dict_row`` for ``factory``)."""

    def __init__(self, url: str, variant: str) -> None:
        import psycopg
        from psycopg.rows import dict_row

        self._conn = psycopg.connect(url, autocommit=True)
        self._cur = self._conn.cursor()
        self._dcur = self._conn.cursor(row_factory=dict_row)
        self._factory = variant == "factory"

    def select1(self) -> Any:
        cur = self._cur
        cur.execute("SELECT 1")
        return cur.fetchall()[0][0]

    def fetch_dicts(self, sql: str) -> list[Row]:
        if self._factory:
            self._dcur.execute(sql)
            return self._dcur.fetchall()
        cur = self._cur
        cur.execute(sql)
        rows = cur.fetchall()
        cols = [d.name for d in cur.description or ()]
        return [dict(zip(cols, row)) for row in rows]

    def close(self) -> None:
        self._conn.close()


class PyMySQLClient:
    """PyMySQL, autocommit, one reused cursor (``DictCursor`` for ``factory``)."""

    def __init__(self, url: str, variant: str) -> None:
        import pymysql
        import pymysql.cursors

        self._conn = pymysql.connect(**mysql_kwargs(url))
        self._cur = self._conn.cursor()
        self._dcur = self._conn.cursor(pymysql.cursors.DictCursor)
        self._factory = variant == "factory"

    def select1(self) -> Any:
        cur = self._cur
        cur.execute("SELECT 1")
        return cur.fetchall()[0][0]

    def fetch_dicts(self, sql: str) -> list[Row]:
        if self._factory:
            self._dcur.execute(sql)
            return list(self._dcur.fetchall())
        cur = self._cur
        cur.execute(sql)
        rows = cur.fetchall()
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, row)) for row in rows]

    def close(self) -> None:
        self._conn.close()


class TwinsqlClient:
    """twinsql ``Database`` (pool of exactly one connection)."""

    def __init__(self, url: str, variant: str) -> None:
        import twinsql

        self._db = twinsql.connect(url, pool_size=1, max_overflow=0)
        self._key = next(iter(self._db.execute("SELECT 1")[0]))  # "1" or "?column?"

    def select1(self) -> Any:
        return self._db.execute("SELECT 1")[0][self._key]

    def fetch_dicts(self, sql: str) -> list[Row]:
        return self._db.execute(sql)

    def close(self) -> None:
        self._db.close()


# -- async raw drivers -------------------------------------------------------------------


class AiosqliteClient:
    """aiosqlite, autocommit. ``zip``: cursor + description (three thread hops);
    ``factory``: ``sqlite3.Row`` + ``execute_fetchall`` (one hop)."""

    def __init__(self, url: str, variant: str) -> None:
        self._path = sqlite_path(url)
        self._factory = variant == "factory"
        self._conn: Any = None

    async def open(self) -> None:
        import aiosqlite

        self._conn = await aiosqlite.connect(self._path, isolation_level=None)
        if self._factory:
            self._conn.row_factory = sqlite3.Row

    async def select1(self) -> Any:
        rows = await self._conn.execute_fetchall("SELECT 1")
        return rows[0][0]

    async def fetch_dicts(self, sql: str) -> list[Row]:
        if self._factory:
            rows = list(await self._conn.execute_fetchall(sql))
            if not rows:
                return []
            keys = rows[0].keys()
            return [dict(zip(keys, row)) for row in rows]
        async with self._conn.execute(sql) as cur:
            rows = await cur.fetchall()
            cols = [d[0] for d in cur.description]
        return [dict(zip(cols, row)) for row in rows]

    async def close(self) -> None:
        await self._conn.close()


class AsyncpgClient:
    """asyncpg, one connection, its default prepared-statement cache.
    ``zip``: ``dict(zip(keys, record))``; ``factory``: ``dict(record)``."""

    def __init__(self, url: str, variant: str) -> None:
        self._url = url
        self._factory = variant == "factory"
        self._conn: Any = None

    async def open(self) -> None:
        import asyncpg  # type: ignore[import-untyped]

        self._conn = await asyncpg.connect(self._url)

    async def select1(self) -> Any:
        return (await self._conn.fetch("SELECT 1"))[0][0]

    async def fetch_dicts(self, sql: str) -> list[Row]:
        records = await self._conn.fetch(sql)
        if self._factory:
            return [dict(r) for r in records]
        if not records:
            return []
        keys = list(records[0].keys())
        return [dict(zip(keys, r)) for r in records]

    async def close(self) -> None:
        await self._conn.close()


class AsyncPsycopgClient:
    """psycopg 3 async, autocommit, one reused cursor (``dict_row`` for ``factory``)."""

    def __init__(self, url: str, variant: str) -> None:
        self._url = url
        self._factory = variant == "factory"
        self._conn: Any = None

    async def open(self) -> None:
        import psycopg
        from psycopg.rows import dict_row

        self._conn = await psycopg.AsyncConnection.connect(self._url, autocommit=True)
        self._cur = self._conn.cursor()
        self._dcur = self._conn.cursor(row_factory=dict_row)

    async def select1(self) -> Any:
        cur = self._cur
        await cur.execute("SELECT 1")
        return (await cur.fetchall())[0][0]

    async def fetch_dicts(self, sql: str) -> list[Row]:
        if self._factory:
            await self._dcur.execute(sql)
            return list(await self._dcur.fetchall())
        cur = self._cur
        await cur.execute(sql)
        rows = await cur.fetchall()
        cols = [d.name for d in cur.description or ()]
        return [dict(zip(cols, row)) for row in rows]

    async def close(self) -> None:
        await self._conn.close()


class AsyncmyClient:
    """asyncmy, autocommit, one reused cursor (``DictCursor`` for ``factory``)."""

    def __init__(self, url: str, variant: str) -> None:
        self._kwargs = mysql_kwargs(url)
        self._factory = variant == "factory"
        self._conn: Any = None

    async def open(self) -> None:
        import asyncmy
        from asyncmy.cursors import DictCursor

        self._conn = await asyncmy.connect(**self._kwargs)
        self._cur = self._conn.cursor()
        self._dcur = self._conn.cursor(DictCursor)

    async def select1(self) -> Any:
        cur = self._cur
        await cur.execute("SELECT 1")
        return (await cur.fetchall())[0][0]

    async def fetch_dicts(self, sql: str) -> list[Row]:
        if self._factory:
            await self._dcur.execute(sql)
            return list(await self._dcur.fetchall())
        cur = self._cur
        await cur.execute(sql)
        rows = await cur.fetchall()
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, row)) for row in rows]

    async def close(self) -> None:
        self._conn.close()


class AsyncTwinsqlClient:
    """twinsql ``AsyncDatabase`` (pool of exactly one connection)."""

    def __init__(self, url: str, variant: str) -> None:
        self._url = url
        self._db: Any = None
        self._key = ""

    async def open(self) -> None:
        import twinsql

        self._db = twinsql.connect_async(self._url, pool_size=1, max_overflow=0)
        self._key = next(iter((await self._db.execute("SELECT 1"))[0]))

    async def select1(self) -> Any:
        return (await self._db.execute("SELECT 1"))[0][self._key]

    async def fetch_dicts(self, sql: str) -> list[Row]:
        result: list[Row] = await self._db.execute(sql)
        return result

    async def close(self) -> None:
        await self._db.close()


# -- registry ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Impl:
    """One library in one mode: how to open its client and which W2 variants it has."""

    name: str
    mode: str  # "sync" | "async"
    raw: bool
    variants: tuple[str, ...]
    factory: Callable[[str, str], Any]

    def open_sync(self, url: str, variant: str) -> SyncClient:
        client: SyncClient = self.factory(url, variant)
        return client

    async def open_async(self, url: str, variant: str) -> AsyncClient:
        client = self.factory(url, variant)
        opener: Callable[[], Awaitable[None]] = client.open
        await opener()
        return client  # type: ignore[no-any-return]


IMPLS: dict[str, Impl] = {
    impl.name: impl
    for impl in (
        Impl("sqlite3", "sync", True, ("zip", "factory"), Sqlite3Client),
        Impl("psycopg", "sync", True, ("zip", "factory"), PsycopgClient),
        Impl("pymysql", "sync", True, ("zip", "factory"), PyMySQLClient),
        Impl("twinsql", "sync", False, ("-",), TwinsqlClient),
        Impl("aiosqlite", "async", True, ("zip", "factory"), AiosqliteClient),
        Impl("asyncpg", "async", True, ("zip", "factory"), AsyncpgClient),
        Impl("psycopg-async", "async", True, ("zip", "factory"), AsyncPsycopgClient),
        Impl("asyncmy", "async", True, ("zip", "factory"), AsyncmyClient),
        Impl("twinsql-async", "async", False, ("-",), AsyncTwinsqlClient),
    )
}


@dataclass(frozen=True)
class Workload:
    """A workload: ``limit`` rows per op (0 for W0), ops and warm-up ops, full and quick."""

    name: str
    title: str
    limit: int
    ops: int
    quick_ops: int
    warmup: int


WORKLOADS: dict[str, Workload] = {
    w.name: w
    for w in (
        Workload("w0", "W0 SELECT 1", 0, 5_000, 5_000, 500),
        Workload("w2_100", "W2 100 rows → dicts", 100, 1_000, 500, 100),
        Workload("w2_10k", "W2 10 000 rows → dicts", 10_000, 30, 15, 3),
    )
}
