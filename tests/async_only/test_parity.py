"""Parity: the same scenarios through the sync API and the async API give the same answers.

Each scenario is written once against a small ``Side`` interface and run twice on the same
server — through ``Database`` (and the ORM's sync methods), then through ``AsyncDatabase``
(and the ``async_`` methods) — on freshly created tables each time. The two runs must agree
exactly: the same rows, the same Python types of every value, the same exception classes and
the same SQL text sent (captured from the ``twinsql.sql`` echo logger).

A side is one mode on one backend; the pairs compared are the ones that share a backend:
SQLite (sqlite3 both ways), PostgreSQL (psycopg sync against psycopg async, and against
asyncpg) and MariaDB (PyMySQL against asyncmy).
"""

from __future__ import annotations

import datetime
import decimal
import logging
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

import twinsql
from tests import support
from tests.conftest import require_server
from tests.orm_models import ALL_MODELS, Order, OrderItem, OrmBase, User

# (sync backend, async backend) pairs on one server.
PAIRS = [("sqlite", "sqlite"), ("psycopg", "psycopg"), ("psycopg", "asyncpg"), ("mysql", "mysql")]


class Side:
    """One mode of the API behind one awaitable interface, so a scenario is written once.

    ``call(obj, "find", …)`` runs ``obj.find(…)`` on the sync side and
    ``await obj.async_find(…)`` on the async side; database methods keep their names."""

    def __init__(self, database: twinsql.Database | twinsql.AsyncDatabase) -> None:
        self.database = database
        self.is_async = isinstance(database, twinsql.AsyncDatabase)

    async def db(self, method: str, *args: Any, **kwargs: Any) -> Any:
        result = getattr(self.database, method)(*args, **kwargs)
        return await result if self.is_async else result

    async def call(self, obj: Any, method: str, *args: Any, **kwargs: Any) -> Any:
        if self.is_async:
            return await getattr(obj, "async_" + method)(*args, **kwargs)
        return getattr(obj, method)(*args, **kwargs)

    async def stream(self, sql: str, chunk_size: int) -> list[dict[str, Any]]:
        if isinstance(self.database, twinsql.AsyncDatabase):
            return [row async for row in self.database.stream(sql, chunk_size=chunk_size)]
        return list(self.database.stream(sql, chunk_size=chunk_size))

    async def in_transaction(self, body: Callable[[], Awaitable[None]]) -> None:
        if isinstance(self.database, twinsql.AsyncDatabase):
            async with self.database.transaction():
                await body()
        else:
            with self.database.transaction():
                await body()

    async def close(self) -> None:
        await self.db("close")


Scenario = Callable[[Side], Awaitable[Any]]


def typed(value: Any) -> Any:
    """``value`` with the type of every leaf kept, so ``1 == 1.0 == True`` cannot pass."""
    if isinstance(value, dict):
        return {key: typed(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [typed(item) for item in value]
    if isinstance(value, twinsql.Model):
        return (type(value).__name__, typed(value.model_dump()))
    return (type(value).__name__, value)


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.sql: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.sql.append(str(record.args[0]) if record.args else record.getMessage())


@contextmanager
def captured_sql() -> Iterator[list[str]]:
    logger = logging.getLogger("twinsql.sql")
    handler = _Capture()
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield handler.sql
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)


async def outcome(scenario: Scenario, side: Side) -> tuple[Any, list[str]]:
    """What a scenario returned (or the class of what it raised), and the SQL it sent."""
    with captured_sql() as sql:
        try:
            result: Any = typed(await scenario(side))
        except twinsql.Error as exc:
            result = ("raised", type(exc).__name__)
    return result, sql


# -- scenarios: the connection layer ------------------------------------------------------


async def fresh(side: Side, name: str, columns: str) -> str:
    table = side.database.dialect.quote_identifier(name)
    await side.db("execute_non_query", f"DROP TABLE IF EXISTS {table}")
    await side.db("execute_non_query", f"CREATE TABLE {table} ({columns})")
    return table


async def rows_and_types(side: Side) -> Any:
    table = await fresh(side, "parity_values", "id INTEGER PRIMARY KEY, n BIGINT, x DOUBLE "
                        "PRECISION, s VARCHAR(40), d DATE, dec DECIMAL(12, 3)")  # fmt: skip
    day = datetime.date(2024, 2, 29)
    written = await side.db(
        "execute_non_query",
        f"INSERT INTO {table} (id, n, x, s, d, dec) VALUES (?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?)",
        (1, 2**40, 1.5, "é", day, decimal.Decimal("12.5"), 2, None, None, None, None, None),
    )
    rows = await side.db("execute", f"SELECT n, x, s, d, dec, id FROM {table} ORDER BY id")
    one = await side.db("fetch_one", f"SELECT s FROM {table} WHERE id = :id", {"id": 1})
    none = await side.db("fetch_one", f"SELECT s FROM {table} WHERE id = ?", (99,))
    count = await side.db("execute_scalar", f"SELECT COUNT(*) FROM {table}")
    return {"written": written, "rows": rows, "one": one, "none": none, "count": count}


async def updates_and_streams(side: Side) -> Any:
    table = await fresh(side, "parity_stream", "id INTEGER PRIMARY KEY, v INTEGER")
    await side.db("execute_many", f"INSERT INTO {table} (id, v) VALUES (?, ?)",
                  [(i, i * i) for i in range(25)])  # fmt: skip
    update = f"UPDATE {table} SET v = v + 1 WHERE id < ?"
    changed = await side.db("execute_non_query", update, (10,))
    streamed = await side.stream(f"SELECT id, v FROM {table} ORDER BY id", chunk_size=7)
    return {"changed": changed, "streamed": streamed}


async def nested_transactions(side: Side) -> Any:
    table = await fresh(side, "parity_tx", "id INTEGER PRIMARY KEY")

    async def inner() -> None:
        await side.db("execute_non_query", f"INSERT INTO {table} (id) VALUES (2)")
        raise RuntimeError("roll the savepoint back")

    async def outer() -> None:
        await side.db("execute_non_query", f"INSERT INTO {table} (id) VALUES (1)")
        with pytest.raises(RuntimeError):
            await side.in_transaction(inner)
        await side.db("execute_non_query", f"INSERT INTO {table} (id) VALUES (3)")

    await side.in_transaction(outer)
    return await side.db("execute", f"SELECT id FROM {table} ORDER BY id")


def raising(sql: str, params: Any = None, method: str = "execute") -> Scenario:
    async def scenario(side: Side) -> Any:
        table = await fresh(side, "parity_err", "id INTEGER PRIMARY KEY, s VARCHAR(5) NOT NULL")
        await side.db("execute_non_query", f"INSERT INTO {table} (id, s) VALUES (1, 'a')")
        return await side.db(method, sql.format(t=table), params)

    scenario.__name__ = f"raises_on_{sql.split()[0].lower()}"
    return scenario


ERRORS = [
    raising("INSERT INTO {t} (id, s) VALUES (?, ?)", (1, "b"), "execute_non_query"),  # unique
    raising("INSERT INTO {t} (id, s) VALUES (?, ?)", (2, None), "execute_non_query"),  # not null
    raising("SELEC id FROM {t}"),  # syntax
    raising("SELECT id FROM {t} WHERE id = ?", (1, 2)),  # parameter count
    raising("SELECT id FROM {t}; SELECT 1"),  # two statements
    raising("SELECT nope FROM {t}"),  # unknown column
]

# -- scenarios: the ORM ---------------------------------------------------------------------


async def orm_round_trip(side: Side) -> Any:
    if side.is_async:
        await twinsql.drop_all_async(side.database, ALL_MODELS)  # type: ignore[arg-type]
        await twinsql.create_all_async(side.database, ALL_MODELS)  # type: ignore[arg-type]
    else:
        twinsql.drop_all(side.database, ALL_MODELS)  # type: ignore[arg-type]
        twinsql.create_all(side.database, ALL_MODELS)  # type: ignore[arg-type]
    OrmBase.bind(side.database)
    ada = await side.call(User, "create", name="Ada", email="ada@example.com", age=36)
    bob = await side.call(User, "create", name="Bob", email="bob@example.com", age=17, score=2.5)
    order = await side.call(Order, "create", user_id=ada.id, total=decimal.Decimal("19.99"))
    items = [OrderItem(order_id=order.id, sku=f"sku-{i}", qty=i) for i in range(3)]
    await side.call(OrderItem, "insert_many", items)
    found = await side.call(User, "find", bob.id)
    found.age = 18
    await side.call(found, "save")
    adults = await side.call(User.query().where(User.c.age >= 18).order_by("-name"), "all")
    eager = await side.call(User.query().with_("orders", "orders.items").order_by("id"), "all")
    eager_view = [
        (u.name, [(o.total, [(i.sku, i.qty) for i in o.items]) for o in u.orders]) for u in eager
    ]
    stats = await side.call(
        User.query().group_by("status").order_by("status"), "aggregate",
        n=twinsql.Count("id"), oldest=twinsql.Max("age"),
    )  # fmt: skip
    total = await side.call(Order.query(), "sum", "total")
    page = await side.call(User.query().order_by("id"), "paginate", 1, 1)
    missing = await side.call(User, "find", 10_000)
    deleted = await side.call(User.query().where(name="Bob"), "delete")
    left = await side.call(User.query(), "count")
    return {
        "adults": adults, "eager": eager_view, "stats": stats, "total": total,
        "page": (page.items, page.total), "missing": missing, "deleted": deleted, "left": left,
    }  # fmt: skip


async def orm_errors(side: Side) -> Any:
    if side.is_async:
        await twinsql.drop_all_async(side.database, [User])  # type: ignore[arg-type]
        await twinsql.create_all_async(side.database, [User])  # type: ignore[arg-type]
    else:
        twinsql.drop_all(side.database, [User])  # type: ignore[arg-type]
        twinsql.create_all(side.database, [User])  # type: ignore[arg-type]
    OrmBase.bind(side.database)
    await side.call(User, "create", name="Ada", email="ada@example.com")
    outcomes = []
    for attempt in (
        lambda: side.call(User, "create", name="Eve", email="ada@example.com"),
        lambda: side.call(User, "find_or_fail", 424242),
        lambda: side.call(User.query().where(name="nobody"), "one"),
    ):
        try:
            await attempt()
        except twinsql.Error as exc:
            outcomes.append(type(exc).__name__)
    return outcomes


SCENARIOS: list[Scenario] = [
    rows_and_types, updates_and_streams, nested_transactions, *ERRORS, orm_round_trip, orm_errors,
]  # fmt: skip


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.__name__)
@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: f"{p[0]}-{p[1]}")
async def test_sync_and_async_agree(
    pair: tuple[str, str], scenario: Scenario, tmp_path: Any
) -> None:
    sync_backend, async_backend = pair
    require_server(sync_backend)
    path = str(tmp_path / "parity.db")
    # The sync side runs inside this test's event loop on purpose (the two sides' outcomes
    # are compared in one function): it opts out of the refusal of blocking calls.
    sync_url = support.url_for(sync_backend, path)
    sync_side = Side(twinsql.connect(sync_url, echo=True, allow_sync_in_event_loop=True))
    try:
        sync_result, sync_sql = await outcome(scenario, sync_side)
    finally:
        await sync_side.close()
    async_side = Side(twinsql.connect_async(support.url_for(async_backend, path), echo=True))
    try:
        async_result, async_sql = await outcome(scenario, async_side)
    finally:
        await async_side.close()
    # Every logged statement shows `?` marks, whatever the driver's style: the two sides log
    # the same text even where their drivers differ (`%s` against `$1`).
    assert async_result == sync_result
    assert async_sql == sync_sql
    assert sync_sql, "the scenario sent no SQL"
