# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""The same answer on every backend: datetimes with and without zones, decimals, typed
aggregates, and relations loaded with a limit per parent."""

from __future__ import annotations

import datetime
import decimal

import twinsql
from tests.orm_models import Ledger, Moment, OrmBase

UTC = datetime.timezone.utc
PLUS2 = datetime.timezone(datetime.timedelta(hours=2))
D = decimal.Decimal


async def test_aware_datetimes_compare_and_sort_as_instants(orm_db: twinsql.AsyncDatabase) -> None:
    # 07:00+02:00 is 05:00 UTC: before 05:30 and 06:00 UTC, whatever its text looks like.
    at = {
        "a": datetime.datetime(2024, 1, 1, 7, 0, tzinfo=PLUS2),
        "b": datetime.datetime(2024, 1, 1, 6, 0, tzinfo=UTC),
        "c": datetime.datetime(2024, 1, 1, 5, 30, 0, 250000, tzinfo=UTC),
    }
    for label, value in at.items():
        await Moment.async_create(label=label, aware=value)
    ordered = await Moment.query().order_by("aware").async_all()
    assert [m.label for m in ordered] == ["a", "c", "b"]
    assert [m.aware for m in ordered] == [at["a"], at["c"], at["b"]]
    assert all(m.aware is not None and m.aware.tzinfo is UTC for m in ordered)
    after = datetime.datetime(2024, 1, 1, 7, 15, tzinfo=PLUS2)  # 05:15 UTC
    later = await Moment.query().where(Moment.c.aware > after).order_by("label").async_all()
    assert [m.label for m in later] == ["b", "c"]
    assert await Moment.query().async_max("aware") == at["b"]


async def test_naive_datetimes_read_naive(orm_db: twinsql.AsyncDatabase) -> None:
    first = datetime.datetime(2022, 3, 11)
    await Moment.async_create(label="x", naive=first)
    await Moment.async_create(label="y", naive=datetime.datetime(2022, 3, 12, 0, 0, 0, 500000))
    loaded = await Moment.query().where(label="x").async_one()
    assert loaded.naive == first and loaded.naive.tzinfo is None
    assert loaded.naive < datetime.datetime(2022, 3, 12)  # naive with naive: no TypeError
    assert await Moment.query().async_min("naive") == first
    found = await Moment.query().where(Moment.c.naive > first).async_all()
    assert [m.label for m in found] == ["y"]


async def test_a_naive_column_of_an_existing_schema_reads_naive(
    orm_db: twinsql.AsyncDatabase,
) -> None:
    dialect = orm_db.dialect.name
    column = {"postgresql": "TIMESTAMP", "mysql": "DATETIME", "sqlite": "TIMESTAMP"}[dialect]
    await orm_db.execute_non_query("DROP TABLE IF EXISTS legacy_invoices")
    await orm_db.execute_non_query(
        f"CREATE TABLE legacy_invoices (id INTEGER PRIMARY KEY, invoice_date {column})"
    )
    await orm_db.execute_non_query(
        "INSERT INTO legacy_invoices (id, invoice_date) VALUES (1, '2022-03-11 00:00:00')"
    )

    class LegacyInvoice(OrmBase):
        __table_name__ = "legacy_invoices"
        id: int
        invoice_date: datetime.datetime

    try:
        raw = await orm_db.execute_scalar("SELECT invoice_date FROM legacy_invoices")
        invoice = await LegacyInvoice.async_find_or_fail(1)
        assert invoice.invoice_date == datetime.datetime(2022, 3, 11)
        assert invoice.invoice_date < datetime.datetime(2022, 3, 12)
        if dialect != "sqlite":  # SQLite returns the text itself
            assert raw == invoice.invoice_date
    finally:
        await orm_db.execute_non_query("DROP TABLE legacy_invoices")


async def test_decimals_round_trip_exactly(orm_db: twinsql.AsyncDatabase) -> None:
    if orm_db.dialect.name == "sqlite":
        # SQLite keeps 15 significant digits of a decimal (a REAL): exact up to there.
        exact = D("12345678901.2345")
        rounded = (D("1234567890123.4567"), D("1234567890123.4600"))
    else:
        exact = D("1234567890123456789012345678901234.5678")  # 38 digits
        rounded = (D("1234567890123.4567"), D("1234567890123.4567"))
    first = await Ledger.async_create(amount=exact)
    second = await Ledger.async_create(amount=rounded[0])
    assert (await Ledger.async_find_or_fail(first.id)).amount == exact
    assert str((await Ledger.async_find_or_fail(second.id)).amount) == str(rounded[1])


async def test_typed_aggregates(orm_db: twinsql.AsyncDatabase) -> None:
    rows = [
        Ledger(amount=D("1"), price=D("0.10"), qty=2, ratio=0.5, on=datetime.date(2024, 1, 2)),
        Ledger(amount=D("2"), price=D("0.20"), qty=3, ratio=1.5, on=datetime.date(2024, 3, 4)),
    ]
    await Ledger.async_insert_many(rows)
    query = Ledger.query()
    total = await query.async_sum("price")
    assert type(total) is D and total == D("0.30")
    assert await query.async_min("price") == D("0.10")
    mean = await query.async_average("price")
    assert type(mean) is D and mean == D("0.15")
    qty = await query.async_sum("qty")
    assert type(qty) is int and qty == 5
    mean_qty = await query.async_average("qty")
    assert type(mean_qty) is float and mean_qty == 2.5
    ratio = await query.async_sum("ratio")
    assert type(ratio) is float and ratio == 2.0
    assert await query.async_max("on") == datetime.date(2024, 3, 4)
    assert await query.where(qty=99).async_sum("price") is None
    grouped = await (
        Ledger.query()
        .group_by("qty")
        .order_by("qty")
        .async_aggregate(n=twinsql.Count("id"), total=twinsql.Sum("price"), last=twinsql.Max("on"))
    )
    assert [(int(r["n"]), r["total"], r["last"]) for r in grouped] == [
        (1, D("0.10"), datetime.date(2024, 1, 2)),
        (1, D("0.20"), datetime.date(2024, 3, 4)),
    ]
    assert all(type(r["total"]) is D for r in grouped)
