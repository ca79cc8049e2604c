"""The same answer on every backend: one scenario set run on SQLite, PostgreSQL (psycopg
and asyncpg) and MariaDB, each result compared with the value computed in Python — and so
with every other backend's.

Where the parity suite compares the two modes on one backend, this part compares the
backends: the Python types of values read back (datetimes with and without zones,
decimals), typed aggregates, upsert counts, relations eager-loaded with a limit per parent
and CTEs over models whose columns are named unlike their fields. A scenario runs on fresh
tables of every backend in turn; a backend whose server does not answer skips the test
(fails it under CI), so a pass always means all four agreed.
"""

from __future__ import annotations

import datetime
import decimal
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

import twinsql
from tests import support
from tests.async_only.test_parity import typed
from tests.conftest import require_server
from tests.orm_models import (
    ALL_MODELS,
    Event,
    Kind,
    Ledger,
    Moment,
    Order,
    OrmBase,
    Staff,
    User,
)

D = decimal.Decimal
UTC = datetime.timezone.utc
PLUS2 = datetime.timezone(datetime.timedelta(hours=2))
BACKENDS = support.backends(is_async=True)
Scenario = Callable[[twinsql.AsyncDatabase], Awaitable[Any]]


async def on_every_backend(scenario: Scenario, tmp_path: Path) -> dict[str, Any]:
    """``typed`` results of ``scenario`` per backend, each on freshly created tables."""
    for backend in BACKENDS:
        require_server(backend)
    results: dict[str, Any] = {}
    for backend in BACKENDS:
        url = support.url_for(backend, str(tmp_path / "cross.db"))
        async with twinsql.connect_async(url, pool_size=2) as db:
            await twinsql.drop_all_async(db, ALL_MODELS)
            await twinsql.create_all_async(db, ALL_MODELS)
            OrmBase.bind(db)
            try:
                results[backend] = typed(await scenario(db))
            finally:
                await twinsql.drop_all_async(db, ALL_MODELS)
    return results


async def same_everywhere(scenario: Scenario, expected: Any, tmp_path: Path) -> None:
    results = await on_every_backend(scenario, tmp_path)
    wanted = typed(expected)
    assert {backend: wanted for backend in results} == results


# -- scenarios -------------------------------------------------------------------------------

EVENT_ID = uuid.UUID("12345678-1234-5678-1234-567812345678")
EVENT_AT = datetime.datetime(2024, 5, 17, 12, 30, 15, 123000, tzinfo=PLUS2)


async def types_round_trip(db: twinsql.AsyncDatabase) -> Any:
    await Event.async_create(
        id=EVENT_ID, kind=Kind.VIEW, payload={"a": [1, 2]}, at=EVENT_AT, flag=True,
        amount=D("12.345"),
    )  # fmt: skip
    loaded = await Event.async_find_or_fail(EVENT_ID)
    return loaded.model_dump()


async def test_types_round_trip(tmp_path: Path) -> None:
    expected = {
        "id": EVENT_ID,
        "kind": Kind.VIEW,
        "payload": {"a": [1, 2]},
        "at": EVENT_AT.astimezone(UTC),
        "flag": True,
        "amount": D("12.345"),
    }
    await same_everywhere(types_round_trip, expected, tmp_path)


MOMENTS = {
    "a": datetime.datetime(2024, 1, 1, 7, 0, tzinfo=PLUS2),
    "b": datetime.datetime(2024, 1, 1, 6, 0, tzinfo=UTC),
    "c": datetime.datetime(2024, 1, 1, 5, 30, 0, 250000, tzinfo=UTC),
}
CUT = datetime.datetime(2024, 1, 1, 7, 15, tzinfo=PLUS2)  # 05:15 UTC
NAIVE = {
    "a": datetime.datetime(2022, 3, 11),
    "b": datetime.datetime(2022, 3, 11, 0, 0, 0, 1),
    "c": datetime.datetime(2021, 12, 31, 23, 59, 59),
}


async def datetimes(db: twinsql.AsyncDatabase) -> Any:
    for label in MOMENTS:
        await Moment.async_create(label=label, aware=MOMENTS[label], naive=NAIVE[label])
    by_aware = await Moment.query().order_by("aware").async_all()
    by_naive = await Moment.query().order_by("naive").async_all()
    after = await Moment.query().where(Moment.c.aware > CUT).order_by("label").async_all()
    naive_after = Moment.query().where(Moment.c.naive >= NAIVE["a"]).order_by("label")
    return {
        "by_aware": [(m.label, m.aware) for m in by_aware],
        "by_naive": [(m.label, m.naive) for m in by_naive],
        "after": [m.label for m in after],
        "naive_after": [m.label for m in await naive_after.async_all()],
        "max_aware": await Moment.query().async_max("aware"),
        "min_naive": await Moment.query().async_min("naive"),
    }


async def test_datetimes_with_and_without_zones(tmp_path: Path) -> None:
    aware_order = sorted(MOMENTS, key=lambda label: MOMENTS[label])
    expected = {
        "by_aware": [(label, MOMENTS[label].astimezone(UTC)) for label in aware_order],
        "by_naive": [(label, NAIVE[label]) for label in sorted(NAIVE, key=NAIVE.__getitem__)],
        "after": sorted(k for k, v in MOMENTS.items() if v > CUT),
        "naive_after": sorted(k for k, v in NAIVE.items() if v >= NAIVE["a"]),
        "max_aware": max(MOMENTS.values()).astimezone(UTC),
        "min_naive": min(NAIVE.values()),
    }
    await same_everywhere(datetimes, expected, tmp_path)


PRICES = [D("0.10"), D("0.20"), D("19.99"), D("1234567.89")]
# 15 significant digits: the widest decimal every backend (SQLite's REAL too) keeps exactly.
AMOUNTS = [D("12345678901.2345"), D("0.0001"), D("-98765432.1000"), D("1")]


async def decimals_and_aggregates(db: twinsql.AsyncDatabase) -> Any:
    await Ledger.async_insert_many(
        Ledger(amount=a, price=p, qty=i, ratio=i / 2, on=datetime.date(2024, 1, 1 + i))
        for i, (a, p) in enumerate(zip(AMOUNTS, PRICES, strict=True))
    )
    query = Ledger.query()
    grouped = await (
        Ledger.query()
        .group_by("qty")
        .order_by("qty")
        .async_aggregate(total=twinsql.Sum("price"), top=twinsql.Max("amount"))
    )
    return {
        "amounts": [r.amount for r in await query.order_by("id").async_all()],
        "sum_price": await query.async_sum("price"),
        "sum_amount": await query.async_sum("amount"),
        "avg_price": await query.async_average("price"),
        "min_price": await query.async_min("price"),
        "max_on": await query.async_max("on"),
        "sum_qty": await query.async_sum("qty"),
        "avg_qty": await query.async_average("qty"),
        "sum_ratio": await query.async_sum("ratio"),
        "ordered": [r.amount for r in await query.order_by("-amount").async_all()],
        "over_one": [r.amount for r in await query.where(Ledger.c.amount > 1).async_all()],
        "grouped": [(r["qty"], r["total"], r["top"]) for r in grouped],
    }


async def test_decimals_and_typed_aggregates(tmp_path: Path) -> None:
    expected = {
        "amounts": AMOUNTS,
        "sum_price": sum(PRICES),
        "sum_amount": sum(AMOUNTS),
        "avg_price": sum(PRICES) / len(PRICES),
        "min_price": min(PRICES),
        "max_on": datetime.date(2024, 1, 4),
        "sum_qty": 6,
        "avg_qty": 1.5,
        "sum_ratio": 3.0,
        "ordered": sorted(AMOUNTS, reverse=True),
        "over_one": [a for a in AMOUNTS if a > 1],
        "grouped": [(i, p, a) for i, (a, p) in enumerate(zip(AMOUNTS, PRICES, strict=True))],
    }
    await same_everywhere(decimals_and_aggregates, expected, tmp_path)


async def upsert_counts(db: twinsql.AsyncDatabase) -> Any:
    await User.async_create(name="old", email="a@x.io", age=1)
    query = User.query().on_conflict("email")
    rows = [{"name": "new", "email": "a@x.io", "age": 2}, {"name": "b", "email": "b@x.io"}]
    updated = await query.do_update("name", "age").async_insert_many(rows)
    unchanged = await query.do_update("name").async_insert_many([rows[0]])
    users = await User.query().order_by("email").async_all()
    return {
        "updated": updated,
        "unchanged": unchanged,
        "users": [(u.email, u.name, u.age) for u in users],
    }


async def test_upsert_counts(tmp_path: Path) -> None:
    expected = {
        "updated": 2,  # one row updated, one inserted
        "unchanged": 1,
        "users": [("a@x.io", "new", 2), ("b@x.io", "b", 0)],
    }
    await same_everywhere(upsert_counts, expected, tmp_path)


ORDERS_PER_USER = [1, 4, 0, 3, 5]


async def eager_refined(db: twinsql.AsyncDatabase) -> Any:
    for index, count in enumerate(ORDERS_PER_USER):
        user = await User.async_create(name=f"u{index}", email=f"u{index}@x.io")
        for n in range(count):
            await Order.async_create(user_id=user.id, total=D(n * 7 % 5) + D(index) / 10)
    top = await (
        User.query()
        .with_(("orders", lambda q: q.where(Order.c.total > 0).order_by("-total").limit(2)))
        .order_by("id")
        .async_all()
    )
    return [[o.total for o in u.orders] for u in top]


async def test_eager_loading_with_a_limit_per_parent(tmp_path: Path) -> None:
    expected = []
    for index, count in enumerate(ORDERS_PER_USER):
        totals = [D(n * 7 % 5) + D(index) / 10 for n in range(count)]
        expected.append(sorted((t for t in totals if t > 0), reverse=True)[:2])
    await same_everywhere(eager_refined, expected, tmp_path)


async def cte_on_mapped_columns(db: twinsql.AsyncDatabase) -> Any:
    boss = await Staff.async_create(name="boss")
    mid = await Staff.async_create(name="mid", reports_to=boss.id)
    await Staff.async_create(name="low", reports_to=mid.id)
    await Staff.async_create(name="apart")
    walk = Staff.query().where(name="boss").union_all(
        Staff.query().join_cte("chain", lambda chain: Staff.c.reports_to == chain.id)
    )
    chain = Staff.query().with_cte("chain", walk, recursive=True).from_cte("chain")
    return [s.name for s in await chain.order_by("name").async_all()]


async def test_ctes_on_mapped_columns(tmp_path: Path) -> None:
    await same_everywhere(cte_on_mapped_columns, ["boss", "low", "mid"], tmp_path)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_decimals_keep_38_digits_where_the_backend_has_a_decimal_type(
    backend: str, tmp_path: Path
) -> None:
    """The one documented difference: SQLite keeps 15 significant digits (rounded there)."""
    require_server(backend)
    wide = D("1234567890123456789012345678901234.5678")
    async with twinsql.connect_async(support.url_for(backend, str(tmp_path / "w.db"))) as db:
        await twinsql.drop_all_async(db, ALL_MODELS)
        await twinsql.create_all_async(db, ALL_MODELS)
        OrmBase.bind(db)
        try:
            row = await Ledger.async_create(amount=wide)
            read = (await Ledger.async_find_or_fail(row.id)).amount
        finally:
            await twinsql.drop_all_async(db, ALL_MODELS)
    if backend == "sqlite":
        assert str(read) == "1234567890123460000000000000000000.0000"
    else:
        assert read == wide
