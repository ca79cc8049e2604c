"""The libraries measured: one ``Impl`` per (library, mode), and how a cell opens its client.

``kind`` is ``raw`` (a driver used directly: the baseline), ``twinsql`` or ``peer``.
``module`` is imported by the cell process only, so a cell loads nothing but its own
library. ``variants`` are the ways a library has of doing one workload that are all
measured (the baseline is the fastest; twinsql's and the peers' are shown side by side).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Impl:
    name: str
    title: str
    mode: str  # "sync" | "async"
    kind: str  # "raw" | "twinsql" | "peer"
    module: str
    opener: str = "open_client"
    dist: str = ""  # the distribution whose version is reported

    def open(self, backend: str, url: str, pool_size: int, variant: str) -> Any:
        """The client (sync) or a coroutine resolving to it (async)."""
        module = importlib.import_module(self.module)
        return getattr(module, self.opener)(self.name, backend, url, pool_size, variant)


IMPLS: dict[str, Impl] = {
    i.name: i
    for i in (
        Impl("sqlite3", "sqlite3", "sync", "raw", "libs.raw_sync"),
        Impl("psycopg", "psycopg", "sync", "raw", "libs.raw_sync", dist="psycopg"),
        Impl("pymysql", "PyMySQL", "sync", "raw", "libs.raw_sync", dist="PyMySQL"),
        Impl("aiosqlite", "aiosqlite", "async", "raw", "libs.raw_async", dist="aiosqlite"),
        Impl("asyncpg", "asyncpg", "async", "raw", "libs.raw_async", dist="asyncpg"),
        Impl("psycopg-async", "psycopg (async)", "async", "raw", "libs.raw_async",
             dist="psycopg"),
        Impl("asyncmy", "asyncmy", "async", "raw", "libs.raw_async", dist="asyncmy"),
        Impl("twinsql", "twinsql", "sync", "twinsql", "libs.tw", dist="twinsql"),
        Impl("twinsql-async", "twinsql", "async", "twinsql", "libs.tw", "open_async_client",
             dist="twinsql"),
        Impl("sqlalchemy", "SQLAlchemy", "sync", "peer", "libs.sqla", dist="SQLAlchemy"),
        Impl("sqlalchemy-async", "SQLAlchemy", "async", "peer", "libs.sqla",
             "open_async_client", dist="SQLAlchemy"),
        Impl("peewee", "peewee", "sync", "peer", "libs.peewee_lib", dist="peewee"),
        Impl("peewee-async", "peewee", "async", "peer", "libs.peewee_lib", "open_async_client",
             dist="peewee"),
        Impl("tortoise", "Tortoise ORM", "async", "peer", "libs.tortoise_lib",
             dist="tortoise-orm"),
        Impl("piccolo", "Piccolo", "async", "peer", "libs.piccolo_lib", dist="piccolo"),
    )
}  # fmt: skip

PEERS = ("sqlalchemy", "tortoise", "piccolo", "peewee")  # library names, display order
