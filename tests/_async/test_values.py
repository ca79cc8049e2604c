# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""Value round-trips through bound parameters, on every backend.

PostgreSQL returns every type natively. MySQL/MariaDB and SQLite have no native UUID,
boolean or JSON type (and SQLite none for dates and times): there the connection layer
returns the stored form (text, 0/1) and the ORM converts by field type. Each expectation
below says which form comes back where.
"""

from __future__ import annotations

import datetime
import decimal
import json
import uuid
from typing import Any

import twinsql
from tests._async.helpers import fresh_table

UTC = datetime.timezone.utc
HOSTILE = "'); DROP TABLE values_rt; -- \" ` \\ \x01 ? :name %s $1 ‮ 😀 \u00e9"

VALUES: dict[str, Any] = {
    "int_v": 2_147_483_647,
    "big_v": 9_223_372_036_854_775_807,
    "float_v": 1.5e300,
    "dec_v": decimal.Decimal("12345.678901"),
    "text_v": "Grüße, 世界 — ünïcödé",
    "bytes_v": bytes(range(256)),
    "bool_v": True,
    "date_v": datetime.date(2024, 2, 29),
    "dt_v": datetime.datetime(2024, 2, 29, 23, 59, 58, 123456, tzinfo=UTC),
    "time_v": datetime.time(13, 14, 15, 250000),
    "uuid_v": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "json_v": {"a": [1, 2, {"b": None}], "s": "x\"y'z"},
    "null_v": None,
}
KINDS = {
    "int_v": "bigint",
    "big_v": "bigint",
    "float_v": "float",
    "dec_v": "decimal",
    "text_v": "text",
    "bytes_v": "bytes",
    "bool_v": "bool",
    "date_v": "date",
    "dt_v": "datetime",
    "time_v": "time",
    "uuid_v": "uuid",
    "json_v": "json",
    "null_v": "text",
}


def normalise(dialect: str, column: str, value: Any) -> Any:
    """The Python value the stored form stands for."""
    if dialect == "postgresql" or value is None:
        return value
    if column == "dec_v":
        return decimal.Decimal(str(value))
    if column == "bool_v":
        assert value in (0, 1)
        return bool(value)
    if column == "uuid_v":
        return uuid.UUID(value)
    if column == "json_v":
        return json.loads(value)
    if dialect == "mysql":
        if column == "dt_v":
            # DATETIME has no zone: the value is stored as UTC wall time.
            assert value.tzinfo is None
            return value.replace(tzinfo=UTC)
        if column == "time_v" and isinstance(value, datetime.timedelta):
            return (datetime.datetime.min + value).time()
        return value
    if column == "date_v":
        return datetime.date.fromisoformat(value)
    if column == "dt_v":
        return datetime.datetime.fromisoformat(value)
    if column == "time_v":
        return datetime.time.fromisoformat(value)
    return value


async def test_every_type_round_trips(db: twinsql.AsyncDatabase) -> None:
    table = await fresh_table(db, "values_rt", {"id": "pk", **KINDS})
    columns = list(VALUES)
    placeholders = ", ".join("?" for _ in columns)
    await db.execute_non_query(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})",
        tuple(VALUES.values()),
    )
    row = await db.fetch_one(f"SELECT {', '.join(columns)} FROM {table}")
    assert row is not None
    assert list(row) == columns
    for column, expected in VALUES.items():
        got = normalise(db.dialect.name, column, row[column])
        assert got == expected, (column, row[column])
    if db.dialect.name == "postgresql":
        assert row["bool_v"] is True
        assert isinstance(row["dec_v"], decimal.Decimal)


async def test_hostile_string_round_trips_unchanged(db: twinsql.AsyncDatabase) -> None:
    table = await fresh_table(db, "values_hostile", {"id": "pk", "s": "text"})
    await db.execute_non_query(f"INSERT INTO {table} (s) VALUES (?)", (HOSTILE,))
    assert await db.execute_scalar(f"SELECT s FROM {table} WHERE s = ?", (HOSTILE,)) == HOSTILE
    assert await db.execute_scalar(f"SELECT COUNT(*) FROM {table}") == 1


async def test_literal_percent_and_question_mark_in_strings(db: twinsql.AsyncDatabase) -> None:
    row = await db.fetch_one("SELECT '100%' AS pct, 'why?' AS q, ':nope' AS c, ? + 0 AS p", (5,))
    assert row == {"pct": "100%", "q": "why?", "c": ":nope", "p": 5}
    assert await db.execute_scalar("SELECT '50%'") == "50%"


async def test_null_parameter_in_comparison(db: twinsql.AsyncDatabase) -> None:
    assert await db.execute_scalar("SELECT COALESCE(?, 'fallback')", (None,)) == "fallback"
