"""Driver layer: one adapter per native driver, and the registry that picks one for a URL
and a mode.

The connection layer asks for ``async_driver_for(url)`` or ``driver_for(url)`` (the
generated sync twin of the async call). A driver module is imported only when chosen, so a
SQLite user needs no PostgreSQL or MySQL package installed. Where a native library has a
sync and an async API (psycopg), or two libraries share a protocol (PyMySQL and asyncmy),
one base class holds the logic and the sync and async classes only the calls that do I/O.
"""

from __future__ import annotations

import importlib
from typing import cast

from twinsql.connection.url import DatabaseURL
from twinsql.drivers.base import AsyncDriver, Driver
from twinsql.errors import ConfigurationError

__all__ = ["async_driver_for", "driver_for"]

# (backend, pinned driver or None) -> (module, class). The first entry per backend is the default.
_SYNC: dict[tuple[str, str | None], tuple[str, str]] = {
    ("sqlite", None): ("sqlite", "SqliteDriver"),
    ("sqlite", "sqlite3"): ("sqlite", "SqliteDriver"),
    ("postgresql", None): ("psycopg", "PsycopgDriver"),
    ("postgresql", "psycopg"): ("psycopg", "PsycopgDriver"),
    ("mysql", None): ("pymysql", "PyMySQLDriver"),
    ("mysql", "pymysql"): ("pymysql", "PyMySQLDriver"),
}
_ASYNC: dict[tuple[str, str | None], tuple[str, str]] = {
    ("sqlite", None): ("sqlite_async", "AsyncSqliteDriver"),
    ("sqlite", "sqlite3"): ("sqlite_async", "AsyncSqliteDriver"),
    ("postgresql", None): ("psycopg", "AsyncPsycopgDriver"),
    ("postgresql", "psycopg"): ("psycopg", "AsyncPsycopgDriver"),
    ("postgresql", "asyncpg"): ("asyncpg", "AsyncpgDriver"),
    ("mysql", None): ("asyncmy", "AsyncmyDriver"),
    ("mysql", "asyncmy"): ("asyncmy", "AsyncmyDriver"),
}
# A driver pinned in the URL for one mode serves the other mode through the backend default
# (postgresql+asyncpg:// used by sync code runs on psycopg, mysql+asyncmy:// on PyMySQL), so
# one URL can serve a model bound to both a sync and an async database.
_SYNC_FALLBACK = {"asyncpg", "asyncmy"}
_ASYNC_FALLBACK = {"pymysql"}
# Driver names a URL may spell that twinsql has no adapter for.
_UNSUPPORTED = {
    "mysqlclient": "twinsql has no mysqlclient (MySQLdb) adapter; use mysql:// (PyMySQL for "
    "sync code, asyncmy for async code), or pin one with mysql+pymysql:// or mysql+asyncmy://",
}


_Table = dict[tuple[str, str | None], tuple[str, str]]


def _load(table: _Table, url: DatabaseURL, mode: str) -> object:
    if url.driver in _UNSUPPORTED:
        raise ConfigurationError(f"{url.backend}+{url.driver}:// is not supported: "
                                 f"{_UNSUPPORTED[url.driver]}")  # fmt: skip
    key = (url.backend, url.driver)
    if key not in table:
        fallback = _SYNC_FALLBACK if mode == "sync" else _ASYNC_FALLBACK
        if url.driver in fallback:
            key = (url.backend, None)
        else:
            raise ConfigurationError(
                f"no {mode} driver {url.driver!r} for {url.backend}; "
                f"available: {sorted({d for b, d in table if b == url.backend and d})}"
            )
    module_name, class_name = table[key]
    module = importlib.import_module(f"twinsql.drivers.{module_name}")
    return getattr(module, class_name)()


def async_driver_for(url: DatabaseURL) -> AsyncDriver:
    """The async driver for ``url`` (its pinned driver, or the backend's default)."""
    return cast(AsyncDriver, _load(_ASYNC, url, "async"))


def driver_for(url: DatabaseURL) -> Driver:
    """The sync driver for ``url`` (its pinned driver, or the backend's default)."""
    return cast(Driver, _load(_SYNC, url, "sync"))
