"""What is measured: the comparison tables (groups), their cells, and what is "n/a" and why.

A ``Group`` is one table of ``RESULTS.md``: one backend, one mode, twinsql on one driver,
its raw baseline(s) and the peers. A ``Cell`` is one process run by ``run.py``. A library
that cannot run a workload on a backend is not run at all; the reason is shown instead of
a number (``na_reason``). Libraries with several ways of doing a workload (``variants``)
get one cell per variant.
"""

from __future__ import annotations

from dataclasses import dataclass

from config import with_scheme
from impls import IMPLS
from workloads import WORKLOADS, Workload


@dataclass(frozen=True)
class Group:
    key: str
    backend: str
    mode: str
    driver: str  # the driver twinsql runs on here
    twinsql: str  # impl name
    twinsql_scheme: str | None  # e.g. "postgresql+asyncpg" (None: the plain URL)
    baselines: tuple[str, ...]  # raw impls; the first one that runs a workload is its base
    peers: tuple[str, ...]
    workloads: tuple[str, ...] | None = None  # None: every workload of this mode/backend


GROUPS = (
    Group("sqlite-sync", "sqlite", "sync", "sqlite3", "twinsql", None, ("sqlite3",),
          ("sqlalchemy", "peewee")),
    Group("sqlite-async", "sqlite", "async", "sqlite3 (inline)", "twinsql-async", None,
          ("sqlite3", "aiosqlite"),
          ("sqlalchemy-async", "tortoise", "piccolo", "peewee-async")),
    Group("postgresql-sync", "postgresql", "sync", "psycopg", "twinsql", None, ("psycopg",),
          ("sqlalchemy", "peewee")),
    Group("postgresql-async", "postgresql", "async", "asyncpg", "twinsql-async",
          "postgresql+asyncpg", ("asyncpg",),
          ("sqlalchemy-async", "tortoise", "piccolo", "peewee-async")),
    Group("postgresql-async-psycopg", "postgresql", "async", "psycopg", "twinsql-async", None,
          ("psycopg-async",), (), workloads=("w0", "w2d_100", "w2d_10k")),
    Group("mysql-sync", "mysql", "sync", "PyMySQL", "twinsql", None, ("pymysql",),
          ("sqlalchemy", "peewee")),
    Group("mysql-async", "mysql", "async", "asyncmy", "twinsql-async", None, ("asyncmy",),
          ("sqlalchemy-async", "tortoise", "piccolo", "peewee-async")),
)  # fmt: skip

# Columns of the sync tables for peers without a native sync API.
SYNC_ABSENT = {
    "tortoise": "no sync API",
    "piccolo": "no native sync API (run_sync starts an event loop per call)",
}


@dataclass(frozen=True)
class Cell:
    impl: str
    backend: str
    workload: str
    variant: str
    url: str  # the library's URL (the RTT proxy's port is substituted at run time)

    @property
    def key(self) -> str:
        scheme = self.url.split("://", 1)[0]
        return f"{self.impl}|{scheme}|{self.workload}|{self.variant}"


def variants(impl: str, w: Workload, backend: str, batcher: bool) -> tuple[str, ...]:
    kind = IMPLS[impl].kind
    if kind == "raw" and w.dicts:
        return ("zip", "factory")
    if kind == "raw" and w.op == "bulk_insert" and impl in ("psycopg", "asyncpg"):
        return ("executemany", "unnest", "copy")
    if impl == "asyncpg" and w.op == "get_user" and w.concurrency:
        return ("pool", "noreset")
    if impl == "asyncpg" and w.op == "transfer":
        return ("noreset",)  # the strict baseline: no reset query on release
    if kind == "twinsql" and w.op == "bulk_insert":
        return ("insert_many", "batcher") if batcher else ("insert_many",)
    return ("-",)


def na_reason(impl: str, backend: str, w: Workload) -> str | None:
    """Why ``impl`` has no figure for ``w`` on ``backend`` (None: it is measured)."""
    if impl == "piccolo" and backend == "mysql":
        return "Piccolo has no MySQL backend"
    if impl == "peewee-async" and backend == "mysql":
        return "pwasyncio's MySQL database needs aiomysql (not in the bench environment)"
    if IMPLS[impl].kind == "raw" and IMPLS[impl].mode == "sync" and w.concurrency and (
            w.op != "transfer"):  # fmt: skip
        return "sync driver: no concurrent tasks"
    if impl == "psycopg-async" and w.name not in ("w0", "w2d_100", "w2d_10k"):
        return "connection-layer comparison only"
    return None


def group_workloads(g: Group, quick: bool, selected: list[str] | None) -> list[Workload]:
    out = []
    for w in WORKLOADS.values():
        if g.mode not in w.modes or g.backend not in w.backends:
            continue
        if g.workloads is not None and w.name not in g.workloads:
            continue
        if selected is not None and w.name not in selected:
            continue
        if quick and not w.quick and selected is None:
            continue
        out.append(w)
    return out


def block(g: Group, w: Workload, urls: dict[str, str], batcher: bool) -> list[Cell]:
    """The cells of one (group, workload) comparison: twinsql, raw baselines, peers."""
    url = urls[g.backend]
    tw_url = with_scheme(url, g.twinsql_scheme) if g.twinsql_scheme else url
    cells = [Cell(g.twinsql, g.backend, w.name, v, tw_url)
             for v in variants(g.twinsql, w, g.backend, batcher)]  # fmt: skip
    impls = list(g.baselines) + (list(g.peers) if w.peers else [])
    for impl in impls:
        if na_reason(impl, g.backend, w) is None:
            cells += [Cell(impl, g.backend, w.name, v, url)
                      for v in variants(impl, w, g.backend, batcher)]  # fmt: skip
    return cells
