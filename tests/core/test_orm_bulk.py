"""Pure tests of twinsql.orm.bulk: the shared preparation of bulk inserts (hooks, owned
values, the fields sent) and the statements of an upsert."""

from __future__ import annotations

import datetime
from typing import Any

import pydantic
import pytest

import twinsql
from twinsql.orm import bulk
from twinsql.orm.state import is_persisted, state_of
from twinsql.sql.dialects import MYSQL, POSTGRESQL, SQLITE
from twinsql.sql.dml import OnConflict

NOW = datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=datetime.timezone.utc)


class BItem(twinsql.TimestampsMixin, twinsql.OptimisticLockMixin):
    __table_name__ = "b_items"
    id: int | None = None
    sku: str
    qty: int = 1

    def before_save(self) -> None:
        CALLS.append(("before_save", self.sku))

    def before_create(self) -> None:
        CALLS.append(("before_create", self.sku))

    def after_create(self) -> None:
        CALLS.append(("after_create", self.sku))

    def after_save(self) -> None:
        CALLS.append(("after_save", self.sku))


CALLS: list[tuple[str, str]] = []


@pytest.fixture(autouse=True)
def no_calls_yet() -> None:
    CALLS.clear()


def test_bulk_values_prepares_every_record() -> None:
    given = BItem(sku="a", qty=2)
    records, fields, rows = bulk.bulk_values(BItem, [given, {"sku": "b"}], NOW)
    assert records[0] is given
    assert records[1] == BItem(sku="b", qty=1, created_at=NOW, updated_at=NOW, version=1)
    # The key is left to the database: unset on every record.
    assert fields == ("version", "created_at", "updated_at", "sku", "qty")
    assert rows == [(1, NOW, NOW, "a", 2), (1, NOW, NOW, "b", 1)]
    assert CALLS == [
        ("before_save", "a"),
        ("before_create", "a"),
        ("before_save", "b"),
        ("before_create", "b"),
    ]
    assert not any(is_persisted(r) for r in records)


def test_a_key_given_on_one_record_is_sent_for_all() -> None:
    _, fields, rows = bulk.bulk_values(BItem, [{"sku": "a", "id": 7}, {"sku": "b"}], NOW)
    assert fields == ("version", "created_at", "updated_at", "id", "sku", "qty")
    assert [row[3] for row in rows] == [7, None]


def test_mappings_are_validated() -> None:
    with pytest.raises(pydantic.ValidationError):
        bulk.bulk_values(BItem, [{"qty": 1}], NOW)


def test_no_rows() -> None:
    fields = ("version", "created_at", "updated_at", "sku", "qty")
    assert bulk.bulk_values(BItem, [], NOW) == ([], fields, [])


def test_bulk_saved_marks_and_runs_the_after_hooks() -> None:
    records, _, _ = bulk.bulk_values(BItem, [{"sku": "a"}, {"sku": "b"}], NOW)
    CALLS.clear()
    state_of(records[0]).dirty.add("qty")
    bulk.bulk_saved(records)
    assert all(is_persisted(r) for r in records)
    assert state_of(records[0]).dirty == set()
    assert CALLS == [
        ("after_create", "a"),
        ("after_save", "a"),
        ("after_create", "b"),
        ("after_save", "b"),
    ]


def test_copy_is_tried_from_the_threshold_on_where_the_connection_has_it() -> None:
    assert bulk.copies(True, bulk.COPY_MIN_ROWS)
    assert not bulk.copies(True, bulk.COPY_MIN_ROWS - 1)
    assert not bulk.copies(False, 10_000)


def upsert(rows: list[tuple[Any, ...]], max_params: int, dialect: Any) -> list[Any]:
    fields = ("sku", "qty")
    conflict = OnConflict(("sku",), "update", ("qty",))
    return list(
        bulk.upsert_statements(BItem.__twinsql__, fields, rows, dialect, max_params, conflict)
    )


def test_upserts_are_chunked_under_the_parameter_limit() -> None:
    rows = [("a", 1), ("b", 2), ("c", 3)]
    # 5 parameters allow 2 rows of 2 fields per statement.
    assert upsert(rows, 5, POSTGRESQL) == [
        (
            'INSERT INTO "b_items" ("sku", "qty") VALUES (?, ?), (?, ?) '
            'ON CONFLICT ("sku") DO UPDATE SET "qty" = EXCLUDED."qty"',
            ["a", 1, "b", 2],
        ),
        (
            'INSERT INTO "b_items" ("sku", "qty") VALUES (?, ?) '
            'ON CONFLICT ("sku") DO UPDATE SET "qty" = EXCLUDED."qty"',
            ["c", 3],
        ),
    ]
    assert upsert(rows, 1000, MYSQL) == [
        (
            "INSERT INTO `b_items` (`sku`, `qty`) VALUES (?, ?), (?, ?), (?, ?) "
            "ON DUPLICATE KEY UPDATE `qty` = VALUES(`qty`)",
            ["a", 1, "b", 2, "c", 3],
        )
    ]


def test_an_upsert_statement_holds_at_least_one_and_at_most_1000_rows() -> None:
    many = [(f"s{i}", i) for i in range(2500)]
    assert [len(params) // 2 for _, params in upsert(many, 1_000_000, SQLITE)] == [
        1000,
        1000,
        500,
    ]
    assert [len(params) for _, params in upsert(many[:2], 1, SQLITE)] == [2, 2]
    assert upsert([], 100, SQLITE) == []


def test_an_upsert_without_a_conflict_clause_is_a_plain_insert() -> None:
    statements = list(
        bulk.upsert_statements(BItem.__twinsql__, ("sku",), [("a",)], SQLITE, 100, None)
    )
    assert statements == [('INSERT INTO "b_items" ("sku") VALUES (?)', ["a"])]


def test_an_upsert_counts_the_rows_inserted_or_updated_on_every_backend() -> None:
    update = OnConflict(("sku",), "update", ("qty",))
    nothing = OnConflict(("sku",), "nothing")
    # One existing row updated, one inserted: PostgreSQL and SQLite report 2, MySQL 3.
    assert bulk.upsert_count(update, POSTGRESQL, 2, 2) == 2
    assert bulk.upsert_count(update, SQLITE, 2, 2) == 2
    assert bulk.upsert_count(update, MYSQL, 2, 3) == 2
    # Nothing updated: PostgreSQL and SQLite count the inserted rows; MySQL cannot tell a
    # skipped row from an inserted one and counts every row given.
    assert bulk.upsert_count(nothing, POSTGRESQL, 2, 1) == 1
    assert bulk.upsert_count(nothing, MYSQL, 2, 2) == 2
    assert bulk.upsert_count(None, MYSQL, 3, 3) == 3
    assert bulk.upsert_count(None, SQLITE, 3, -1) == 0
