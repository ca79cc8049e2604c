"""Prepare one backend: its database, the tables, and the read data set (loaded once).

The read tables are loaded through twinsql's own bulk path (``Model.insert_many``: multi-row
INSERTs chunked under the backend's parameter limit, one transaction per call) and only
when ``bench_meta`` does not record the current ``dataset.VERSION`` with the expected row
counts; otherwise they are reused as they are. After a load the tables are analysed, so
that every library meets the same query plans. The write tables are (re)created empty when
missing; each cell resets the ones it uses.
"""

from __future__ import annotations

import time
from typing import Any

import dataset
from admin import Admin

READ_TABLES = {  # table -> expected rows
    "bench_users": dataset.N_USERS,
    "bench_posts": dataset.N_POSTS,
    "bench_wide": dataset.N_WIDE,
}
WRITE_TABLES = ("bench_items", "bench_accounts", "bench_transfers")
_CHUNK = 20_000


def _is_current(admin: Admin) -> bool:
    if not admin.table_exists("bench_meta"):
        return False
    version = admin.scalar(f"SELECT v FROM bench_meta WHERE k = {admin.ph}", ("version",))
    if version != dataset.VERSION:
        return False
    return all(
        admin.table_exists(t) and admin.scalar(f"SELECT COUNT(*) FROM {t}") == n
        for t, n in READ_TABLES.items()
    )


def _drop_all(admin: Admin) -> None:
    for table in ("bench_meta", *WRITE_TABLES, "bench_wide", "bench_posts", "bench_users"):
        admin.execute(f"DROP TABLE IF EXISTS {table}")


def _create(admin: Admin, tables: Any) -> None:
    statements = dataset.ddl(admin.backend)
    for table in tables:
        for sql in statements[table]:
            admin.execute(sql)


def _load_rows(url: str, backend: str, log: Any) -> None:
    from libs.tw_models import BenchModel, Post, User, Wide

    import twinsql

    aware = backend == "postgresql"
    with twinsql.connect(url, pool_size=1, max_overflow=0) as db:
        BenchModel.bind(db)
        jobs = (
            (User, dataset.USER_COLUMNS, dataset.N_USERS, lambda i: dataset.user_row(i, aware)),
            (Post, dataset.POST_COLUMNS, dataset.N_POSTS, dataset.post_row),
            (Wide, dataset.WIDE_COLUMNS, dataset.N_WIDE, dataset.wide_row),
        )
        for model, columns, total, make in jobs:
            started = time.perf_counter()
            for start in range(1, total + 1, _CHUNK):
                stop = min(total + 1, start + _CHUNK)
                model.insert_many([dict(zip(columns, make(i))) for i in range(start, stop)])
            took = time.perf_counter() - started
            log(f"{backend}: loaded {total} rows into {model.__table_name__} with "
                f"{model.__name__}.insert_many in {took:.1f} s")


def _verify(admin: Admin) -> None:
    checks = (
        ("bench_users", dataset.USER_COLUMNS, range(1, 1001), dataset.users_checksum),
        ("bench_posts", dataset.POST_COLUMNS, range(1, 1001), dataset.posts_checksum),
        ("bench_wide", dataset.WIDE_COLUMNS, range(1, dataset.N_WIDE + 1), dataset.wide_checksum),
    )
    for table, columns, ids, expected in checks:
        rows = admin.rows(
            f"SELECT {', '.join(columns)} FROM {table} WHERE id <= {admin.ph} ORDER BY id",
            (ids[-1],),
        )
        got = dataset.checksum(rows)
        if got != expected(ids):
            raise RuntimeError(f"{table}: checksum {got} differs from the generated data's")


def prepare(backend: str, url: str, log: Any) -> dict[str, Any]:
    """Make the backend ready; return what was done and how long it took."""
    started = time.perf_counter()
    with Admin(backend, url) as admin:
        if backend == "sqlite":  # persistent; every library's connections then use WAL
            admin.rows("PRAGMA journal_mode = WAL")
        if _is_current(admin):
            state = "reused"
        else:
            log(f"{backend}: loading the data set (once; reused by later runs)")
            _drop_all(admin)
            _create(admin, ("bench_users", "bench_posts", "bench_wide"))
            _load_rows(url, backend, log)
            admin.execute("ANALYZE" if backend != "mysql" else
                          "ANALYZE TABLE bench_users, bench_posts, bench_wide")  # fmt: skip
            _create(admin, ("bench_meta",))
            admin.execute(f"INSERT INTO bench_meta (k, v) VALUES ({admin.ph}, {admin.ph})",
                          ("version", dataset.VERSION))  # fmt: skip
            state = "loaded"
        missing = [t for t in WRITE_TABLES if not admin.table_exists(t)]
        _create(admin, missing)
        _verify(admin)
        if backend == "sqlite":
            version = "SQLite " + str(admin.scalar("SELECT sqlite_version()"))
        else:
            version = str(admin.scalar("SELECT version()")).split(" on ")[0]
    return {"data": state, "server": version, "prepare_s": round(time.perf_counter() - started, 1)}
