"""Pure tests of twinsql.orm.aggregates: each backend's aggregate values typed as the
field's Python type."""

from __future__ import annotations

import datetime
import decimal

from tests.orm_models import Ledger, Moment, User
from twinsql import Count
from twinsql.orm.aggregates import aggregate_reader, convert_rows
from twinsql.sql.functions import Avg, Max, Min, Sum

D = decimal.Decimal
LEDGER = Ledger.__twinsql__


def read(expr: object, value: object, dialect: str = "sqlite") -> object:
    reader = aggregate_reader(LEDGER, expr, dialect)  # type: ignore[arg-type]
    assert reader is not None
    return reader(value)


def test_sums_are_the_fields_type() -> None:
    # SQLite's REAL sum of 0.1 + 0.2, PostgreSQL's numeric sum of a bigint.
    assert read(Sum("price"), 0.30000000000000004) == D("0.30")
    assert str(read(Sum("price"), 0.30000000000000004)) == "0.30"
    assert read(Sum("qty"), D("12"), "postgresql") == 12
    assert type(read(Sum("qty"), D("12"), "postgresql")) is int
    assert type(read(Sum("ratio"), 1, "sqlite")) is float
    assert read(Sum("price"), D("1.50"), "mysql") == D("1.50")


def test_averages_are_decimal_for_decimals_and_float_otherwise() -> None:
    assert read(Avg("price"), 1.5) == D("1.5")
    assert type(read(Avg("qty"), D("2.5000"), "mysql")) is float


def test_min_and_max_are_the_fields_type() -> None:
    assert read(Max("on"), "2024-02-29") == datetime.date(2024, 2, 29)
    assert read(Min("price"), 9.99) == D("9.99")
    assert read(Min("qty"), 3, "mysql") == 3
    reader = aggregate_reader(Moment.__twinsql__, Max("aware"), "sqlite")
    assert reader is not None
    assert reader("2024-01-01 08:00:00+00:00") == datetime.datetime(
        2024, 1, 1, 8, tzinfo=datetime.timezone.utc
    )


def test_none_stays_none_and_other_expressions_are_left_alone() -> None:
    assert read(Sum("price"), None) is None
    assert aggregate_reader(LEDGER, Count("id"), "sqlite") is None
    assert aggregate_reader(LEDGER, Sum(Ledger.c.qty * 2), "sqlite") is None
    assert aggregate_reader(LEDGER, Max(User.c.age), "sqlite") is None
    assert aggregate_reader(LEDGER, Max("id").over(partition_by="qty"), "sqlite") is None


def test_aggregate_rows_convert_the_known_field_aggregates() -> None:
    named = {"n": Count("id"), "total": Sum("price"), "last": Max("on")}
    rows = [{"qty": 1, "n": 2, "total": 3.3, "last": "2024-01-02"}]
    assert convert_rows(LEDGER, named, rows, "sqlite") == [
        {"qty": 1, "n": 2, "total": D("3.30"), "last": datetime.date(2024, 1, 2)}
    ]


def test_sqlite_decimals_are_exact_to_15_significant_digits() -> None:
    reader = aggregate_reader(LEDGER, Max("amount"), "sqlite")
    assert reader is not None
    # 15 significant digits come back exactly, set to the field's 4 places.
    assert str(reader(float("12345678901.2345"))) == "12345678901.2345"
    assert str(reader(float("0.1"))) == "0.1000"
    # Beyond 15 significant digits the REAL has already lost them: rounded to 15.
    assert str(reader(float("1234567890123.4567"))) == "1234567890123.4600"
    # An integer is kept exactly, whatever its size.
    assert str(reader(2**62)) == f"{2**62}.0000"
