"""The raw sync drivers used directly — sqlite3, psycopg 3, PyMySQL: the sync baselines.

A client holds one connection (autocommit, as twinsql's are) and one reused cursor for the
sequential workloads; W10's worker threads get one connection each (a pool of 10 held
connections, the cheapest possible pool). Records become the slots dataclasses of
``common`` (the object floor); dicts come from ``dict(zip())`` or, for the ``factory``
variant, the driver's own dict rows. SQLite connections use WAL with
``synchronous=NORMAL`` and a busy timeout, the settings twinsql applies itself.
"""

from __future__ import annotations

import sqlite3
import threading
from typing import Any

from config import sqlite_path, url_parts

from libs.common import (
    ItemRow,
    PostRow,
    UserRow,
    WideRow,
    attach_posts,
    in_list,
    lock_order,
    sql_for,
)

_ITEM_TYPES = ["int4", "text", "text", "int4", "float8", "bool"]
_UNNEST = (
    "INSERT INTO bench_items (id, name, email, age, score, active) SELECT * FROM "
    "unnest(%s::int[], %s::text[], %s::text[], %s::int[], %s::float8[], %s::bool[])"
)


class _DBAPI:
    """The operations, written once over a DB-API connection and cursor."""

    style = "format"

    def __init__(self, url: str, pool_size: int, variant: str) -> None:
        self.url = url
        self.variant = variant
        self.q = sql_for(self.style)
        self.conn = self.connect()
        self.cur = self.conn.cursor()
        self._local = threading.local()

    def connect(self) -> Any:
        raise NotImplementedError

    def select1(self) -> Any:
        cur = self.cur
        cur.execute("SELECT 1")
        return cur.fetchall()[0][0]

    def get_user(self, pk: int) -> UserRow:
        cur = self.cur
        cur.execute(self.q["get_user"], (pk,))
        return UserRow(*cur.fetchone())

    def users(self, limit: int) -> list[UserRow]:
        cur = self.cur
        cur.execute(self.q["users"], (limit,))
        return [UserRow(*r) for r in cur.fetchall()]

    def user_dicts(self, limit: int) -> list[dict[str, Any]]:
        cur = self.cur
        cur.execute(self.q["users"], (limit,))
        rows = cur.fetchall()
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r)) for r in rows]

    def wide(self, limit: int) -> list[Any]:
        cur = self.cur
        cur.execute(self.q["wide"], (limit,))
        return [WideRow(*r) for r in cur.fetchall()]

    def page(self, age: int, offset: int) -> list[UserRow]:
        cur = self.cur
        cur.execute(self.q["page"], (age, 20, offset))
        return [UserRow(*r) for r in cur.fetchall()]

    def insert_item(self, values: tuple[Any, ...]) -> int:
        cur = self.cur
        cur.execute(self.q["insert_item"], values)
        return int(cur.lastrowid)

    def rms(self, pk: int) -> None:
        cur = self.cur
        cur.execute(self.q["get_item"], (pk,))
        item = ItemRow(*cur.fetchone())
        item.age += 1
        cur.execute(self.q["set_age"], (item.age, item.id))

    def bulk_update(self, lo: int, hi: int) -> None:
        self.cur.execute(self.q["bulk_update"], (lo, hi))

    def delete_item(self, pk: int) -> int:
        cur = self.cur
        cur.execute(self.q["delete_item"], (pk,))
        return int(cur.rowcount)

    def posts_of(self, cur: Any, ids: list[int]) -> list[Any]:
        cur.execute(
            f"SELECT id, user_id, title, body, likes FROM bench_posts WHERE user_id IN "
            f"{in_list(len(ids), self.style)}",
            ids,
        )
        return cur.fetchall()

    def users_with_posts(self, lo: int, hi: int) -> list[UserRow]:
        cur = self.cur
        cur.execute(self.q["users_range"], (lo, hi))
        users = [UserRow(*r) for r in cur.fetchall()]
        posts = [PostRow(*r) for r in self.posts_of(cur, [u.id for u in users])]
        return attach_posts(users, posts)

    def worker_conn(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self.connect()
        return conn

    def close(self) -> None:
        self.conn.close()


class Sqlite3(_DBAPI):
    style = "qmark"

    def connect(self) -> Any:
        conn = sqlite3.connect(sqlite_path(self.url), isolation_level=None,
                               check_same_thread=False)  # fmt: skip
        conn.execute("PRAGMA busy_timeout = 5000")
        conn.execute("PRAGMA synchronous = NORMAL")
        if self.variant == "factory":
            conn.row_factory = sqlite3.Row
        return conn

    def user_dicts(self, limit: int) -> list[dict[str, Any]]:
        if self.variant != "factory":
            return super().user_dicts(limit)
        rows = self.cur.execute(self.q["users"], (limit,)).fetchall()
        if not rows:
            return []
        keys = rows[0].keys()
        return [dict(zip(keys, r)) for r in rows]

    def bulk_insert(self, rows: list[tuple[Any, ...]]) -> None:
        cur = self.cur
        cur.execute("BEGIN")
        cur.executemany(self.q["bulk_item"], rows)
        cur.execute("COMMIT")


class Psycopg(_DBAPI):
    def connect(self) -> Any:
        import psycopg

        return psycopg.connect(self.url, autocommit=True)

    def __init__(self, url: str, pool_size: int, variant: str) -> None:
        super().__init__(url, pool_size, variant)
        from psycopg.rows import dict_row

        self.dcur = self.conn.cursor(row_factory=dict_row)

    def user_dicts(self, limit: int) -> list[dict[str, Any]]:
        if self.variant != "factory":
            return super().user_dicts(limit)
        self.dcur.execute(self.q["users"], (limit,))
        return self.dcur.fetchall()

    def insert_item(self, values: tuple[Any, ...]) -> int:
        cur = self.cur
        cur.execute(self.q["insert_item"] + " RETURNING id", values)
        return int(cur.fetchone()[0])

    def posts_of(self, cur: Any, ids: list[int]) -> list[Any]:
        cur.execute("SELECT id, user_id, title, body, likes FROM bench_posts "
                    "WHERE user_id = ANY(%s)", (ids,))  # fmt: skip
        return cur.fetchall()

    def bulk_insert(self, rows: list[tuple[Any, ...]]) -> None:
        cur = self.cur
        with self.conn.transaction():
            if self.variant == "copy":
                with cur.copy("COPY bench_items (id, name, email, age, score, active) FROM "
                              "STDIN (FORMAT BINARY)") as copy:  # fmt: skip
                    copy.set_types(_ITEM_TYPES)
                    for row in rows:
                        copy.write_row(row)
            elif self.variant == "unnest":
                cur.execute(_UNNEST, [list(c) for c in zip(*rows)])
            else:
                cur.executemany(self.q["bulk_item"], rows)

    def transfer(self, a: int, b: int, amount: int) -> None:
        conn = self.worker_conn()
        q = self.q
        with conn.transaction(), conn.cursor() as cur:
            balances = {}
            for pk in lock_order(a, b):
                cur.execute(q["lock_balance"], (pk,))
                balances[pk] = cur.fetchone()[0]
            cur.execute(q["set_balance"], (balances[a] - amount, a))
            cur.execute(q["set_balance"], (balances[b] + amount, b))
            cur.execute(q["insert_transfer"], (a, b, amount))


class PyMySQL(_DBAPI):
    def connect(self) -> Any:
        import pymysql

        p = url_parts(self.url)
        return pymysql.connect(
            host=p["host"], port=p["port"], user=p["user"], password=p["password"],
            database=p["database"], autocommit=True, charset="utf8mb4",
        )  # fmt: skip

    def __init__(self, url: str, pool_size: int, variant: str) -> None:
        super().__init__(url, pool_size, variant)
        import pymysql.cursors

        self.dcur = self.conn.cursor(pymysql.cursors.DictCursor)

    def user_dicts(self, limit: int) -> list[dict[str, Any]]:
        if self.variant != "factory":
            return super().user_dicts(limit)
        self.dcur.execute(self.q["users"], (limit,))
        return list(self.dcur.fetchall())

    def bulk_insert(self, rows: list[tuple[Any, ...]]) -> None:
        self.conn.begin()
        self.cur.executemany(self.q["bulk_item"], rows)  # PyMySQL: multi-row VALUES ≤ 1 MB
        self.conn.commit()

    def transfer(self, a: int, b: int, amount: int) -> None:
        conn = self.worker_conn()
        q = self.q
        conn.begin()
        try:
            with conn.cursor() as cur:
                balances = {}
                for pk in lock_order(a, b):
                    cur.execute(q["lock_balance"], (pk,))
                    balances[pk] = cur.fetchone()[0]
                cur.execute(q["set_balance"], (balances[a] - amount, a))
                cur.execute(q["set_balance"], (balances[b] + amount, b))
                cur.execute(q["insert_transfer"], (a, b, amount))
            conn.commit()
        except BaseException:
            conn.rollback()
            raise


CLIENTS = {"sqlite3": Sqlite3, "psycopg": Psycopg, "pymysql": PyMySQL}


def open_client(impl: str, backend: str, url: str, pool_size: int, variant: str) -> Any:
    return CLIENTS[impl](url, pool_size, variant)
