"""Pure tests of twinsql.sql.table: TableInfo normalisation, hashability and errors,
and the per-dialect SQL cache behind it."""

from __future__ import annotations

import dataclasses

import pytest

from twinsql.errors import ArgumentError, InvalidIdentifierError
from twinsql.sql import FrozenColumns, TableInfo
from twinsql.sql.dialects import MYSQL, POSTGRESQL, SQLITE
from twinsql.sql.table import quoter, table_sql

USERS = TableInfo("users", ("id", "name", "email"), {"name": "user_name"}, "id")


def test_columns_are_completed_in_field_order() -> None:
    assert dict(USERS.columns) == {"id": "id", "name": "user_name", "email": "email"}
    assert list(USERS.columns) == ["id", "name", "email"]
    assert isinstance(USERS.columns, FrozenColumns)


def test_columns_default_to_field_names_and_primary_key_to_id() -> None:
    info = TableInfo("t", ("id", "a"))
    assert dict(info.columns) == {"id": "id", "a": "a"}
    assert info.primary_key == "id"


def test_columns_accept_pairs_and_lists() -> None:
    info = TableInfo("t", ["id", "a"], [("a", "col_a")], "id")  # type: ignore[arg-type]
    assert info.fields == ("id", "a")
    assert info.column("a") == "col_a"


def test_hashable_and_compared_by_value() -> None:
    same = TableInfo("users", ("id", "name", "email"), {"name": "user_name", "id": "id"}, "id")
    assert same == USERS
    assert hash(same) == hash(USERS)
    assert {USERS: 1}[same] == 1
    other = TableInfo("users", ("id", "name", "email"), {}, "id")
    assert other != USERS


def test_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        USERS.name = "x"  # type: ignore[misc]


def test_frozen_columns_is_a_read_only_mapping() -> None:
    columns = FrozenColumns({"a": "b"})
    assert columns == {"a": "b"}
    assert columns != {"a": "c"}
    assert "a" in columns and len(columns) == 1
    with pytest.raises(TypeError):
        columns["a"] = "c"  # type: ignore[index]
    assert "FrozenColumns" in repr(columns)


def test_column_lookup_and_unknown_field_message() -> None:
    assert USERS.column("name") == "user_name"
    with pytest.raises(InvalidIdentifierError) as info:
        USERS.column("x")
    assert str(info.value) == "unknown field 'x' on users; known fields: id, name, email"
    with pytest.raises(InvalidIdentifierError):
        USERS.column(None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"name": "", "fields": ("id",)}, InvalidIdentifierError),
        ({"name": 5, "fields": ("id",)}, InvalidIdentifierError),
        ({"name": "t", "fields": ()}, ArgumentError),
        ({"name": "t", "fields": "id"}, ArgumentError),
        ({"name": "t", "fields": ("id", "id")}, ArgumentError),
        ({"name": "t", "fields": ("id", "")}, InvalidIdentifierError),
        ({"name": "t", "fields": ("id", 3)}, InvalidIdentifierError),
        ({"name": "t", "fields": ("id",), "columns": {"x": "y"}}, InvalidIdentifierError),
        ({"name": "t", "fields": ("id",), "columns": {"id": ""}}, InvalidIdentifierError),
        ({"name": "t", "fields": ("a",)}, InvalidIdentifierError),  # primary key "id" missing
        ({"name": "t", "fields": ("a",), "primary_key": "b"}, InvalidIdentifierError),
    ],
)
def test_bad_table_info(kwargs: dict[str, object], error: type[Exception]) -> None:
    with pytest.raises(error):
        TableInfo(**kwargs)  # type: ignore[arg-type]


def test_table_sql_is_cached_per_dialect() -> None:
    info = TableInfo("users", ("id", "name"), {"name": "user_name"}, "id")
    first = table_sql(info, POSTGRESQL)
    assert table_sql(info, POSTGRESQL) is first
    assert first.name == '"users"'
    assert first.cols == {"id": '"id"', "name": '"user_name"'}
    assert first.sel == {"id": '"id"', "name": '"user_name" AS "name"'}
    assert first.all_qsel == '"users"."id", "users"."user_name" AS "name"'
    mysql = table_sql(info, MYSQL)
    assert mysql.all_sel == "`id`, `user_name` AS `name`"
    assert table_sql(info, SQLITE) is not first


def test_table_sql_quotes_hostile_names() -> None:
    info = TableInfo('we"ird`t', ("id", "x"), {"x": 'a"b`c'}, "id")
    assert table_sql(info, SQLITE).name == '"we""ird`t"'
    assert table_sql(info, SQLITE).cols["x"] == '"a""b`c"'
    assert table_sql(info, MYSQL).name == "`we\"ird``t`"
    assert table_sql(info, MYSQL).cols["x"] == '`a"b``c`'


def test_table_sql_rejects_names_the_backend_cannot_hold() -> None:
    info = TableInfo("t" * 64, ("id",))
    assert table_sql(info, MYSQL).name == "`" + "t" * 64 + "`"
    with pytest.raises(InvalidIdentifierError):
        table_sql(info, POSTGRESQL)  # 64 bytes > 63
    with pytest.raises(InvalidIdentifierError):
        table_sql(TableInfo("t", ("id", "a\x00b")), SQLITE)


def test_quoter_caches_and_validates() -> None:
    quote = quoter(SQLITE)
    assert quoter(SQLITE) is quote
    assert quote('a"b') == '"a""b"'
    with pytest.raises(InvalidIdentifierError):
        quote("")
    with pytest.raises(InvalidIdentifierError):
        quote(["x"])  # type: ignore[arg-type]
