"""A thin administrative connection on each backend's raw sync driver.

Used outside every timed region: by the runner to create the benchmark database, the
tables and the statement statistics, and by a cell to reset its write tables, to prepare
the rows a workload needs and to verify what the workload did (counts, sums). It never
goes through twinsql or a peer, so what it does cannot flatter or penalise either.
Placeholders are the driver's own (``ph``: ``?`` for sqlite3, ``%s`` otherwise).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

from config import sqlite_path, url_parts


class Admin:
    """Autocommit connection: ``execute``, ``rows``, ``scalar``, ``executemany``."""

    def __init__(self, backend: str, url: str, *, timeout: float = 10.0) -> None:
        self.backend = backend
        self.ph = "?" if backend == "sqlite" else "%s"
        if backend == "sqlite":
            self._conn: Any = sqlite3.connect(sqlite_path(url), isolation_level=None)
        elif backend == "postgresql":
            import psycopg

            self._conn = psycopg.connect(url, autocommit=True, connect_timeout=int(timeout))
        else:
            import pymysql

            p = url_parts(url)
            self._conn = pymysql.connect(
                host=p["host"], port=p["port"], user=p["user"], password=p["password"],
                database=p["database"] or None, autocommit=True, charset="utf8mb4",
                connect_timeout=timeout,
            )  # fmt: skip

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        cur = self._conn.cursor()
        try:
            cur.execute(sql, tuple(params))
            return int(cur.rowcount)
        finally:
            cur.close()

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        cur = self._conn.cursor()
        try:
            cur.execute(sql, tuple(params))
            return [tuple(r) for r in cur.fetchall()]
        finally:
            cur.close()

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        rows = self.rows(sql, params)
        return rows[0][0] if rows else None

    def executemany(self, sql: str, seq: Iterable[Sequence[Any]]) -> None:
        """Many rows in one transaction."""
        cur = self._conn.cursor()
        try:
            if self.backend == "sqlite":
                cur.execute("BEGIN")
            elif self.backend == "postgresql":
                with self._conn.transaction():
                    cur.executemany(sql, list(seq))
                return
            else:
                self._conn.begin()
            cur.executemany(sql, list(seq))
            self._conn.commit()
        finally:
            cur.close()

    def truncate(self, table: str) -> None:
        """Empty ``table`` and restart its generated keys at 1."""
        if self.backend == "postgresql":
            self.execute(f"TRUNCATE {table} RESTART IDENTITY")
        elif self.backend == "mysql":
            self.execute(f"TRUNCATE TABLE {table}")
        else:
            self.execute(f"DELETE FROM {table}")
            if self.scalar("SELECT name FROM sqlite_master WHERE name = 'sqlite_sequence'"):
                self.execute("DELETE FROM sqlite_sequence WHERE name = ?", (table,))

    def table_exists(self, table: str) -> bool:
        if self.backend == "sqlite":
            sql = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
        elif self.backend == "postgresql":
            sql = "SELECT 1 FROM pg_tables WHERE schemaname = current_schema() AND tablename = %s"
        else:
            sql = "SELECT 1 FROM information_schema.tables WHERE table_schema = DATABASE() "
            sql += "AND table_name = %s"
        return bool(self.rows(sql, (table,)))

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Admin:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def create_database(backend: str, base_url: str, name: str) -> bool:
    """Create database ``name`` on the server of ``base_url`` if it is missing; True when
    it was created."""
    with Admin(backend, base_url) as admin:
        if backend == "postgresql":
            if admin.scalar("SELECT 1 FROM pg_database WHERE datname = %s", (name,)):
                return False
            admin.execute(f'CREATE DATABASE "{name}"')
        else:
            if admin.scalar("SELECT 1 FROM information_schema.schemata WHERE schema_name = %s",
                            (name,)):  # fmt: skip
                return False
            admin.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    return True
