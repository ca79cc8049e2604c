"""Pure tests of twinsql.sql.dml: golden INSERT (multi-row, RETURNING, upserts),
UPDATE (bound values, expression assignments, RETURNING) and DELETE per dialect, and the
errors raised before any I/O."""

from __future__ import annotations

import pytest

from twinsql.errors import ArgumentError, InvalidIdentifierError
from twinsql.sql import (
    Col,
    OnConflict,
    Select,
    TableInfo,
    compile_delete,
    compile_insert,
    compile_update,
    raw,
)
from twinsql.sql.dialects import MYSQL, POSTGRESQL, SQLITE

USERS = TableInfo("users", ("id", "name", "email", "age"), {"name": "user_name"}, "id")
ACCOUNTS = TableInfo("accounts", ("id", "owner", "balance"), {}, "id")


# --- INSERT ------------------------------------------------------------------------------------


def test_insert_one_and_many_rows() -> None:
    assert compile_insert(USERS, ("name", "email"), 1, SQLITE) == (
        'INSERT INTO "users" ("user_name", "email") VALUES (?, ?)'
    )
    assert compile_insert(USERS, ["name", "email", "age"], 3, POSTGRESQL) == (
        'INSERT INTO "users" ("user_name", "email", "age") VALUES (?, ?, ?), (?, ?, ?), (?, ?, ?)'
    )
    assert compile_insert(USERS, ("email",), 2, MYSQL) == (
        "INSERT INTO `users` (`email`) VALUES (?), (?)"
    )


def test_insert_many_rows_is_linear() -> None:
    sql = compile_insert(USERS, ("name", "email"), 10_000, SQLITE)
    assert sql.count("(?, ?)") == 10_000 and sql.count("?") == 20_000


def test_insert_without_fields() -> None:
    assert compile_insert(USERS, (), 1, SQLITE) == 'INSERT INTO "users" DEFAULT VALUES'
    assert compile_insert(USERS, (), 1, POSTGRESQL) == 'INSERT INTO "users" DEFAULT VALUES'
    assert compile_insert(USERS, (), 2, MYSQL) == "INSERT INTO `users` () VALUES (), ()"
    with pytest.raises(ArgumentError, match="one row"):
        compile_insert(USERS, (), 2, POSTGRESQL)
    with pytest.raises(ArgumentError, match="one row"):
        compile_insert(USERS, (), 1, SQLITE, on_conflict=OnConflict((), "nothing"))


def test_insert_returning() -> None:
    expected = 'INSERT INTO "users" ("email") VALUES (?) RETURNING "id", "user_name" AS "name"'
    assert compile_insert(USERS, ("email",), 1, SQLITE, returning=("id", "name")) == expected
    assert compile_insert(USERS, ("email",), 1, POSTGRESQL, returning=["id", "name"]) == expected
    with pytest.raises(ArgumentError, match="RETURNING is not available on mysql"):
        compile_insert(USERS, ("email",), 1, MYSQL, returning=("id",))


@pytest.mark.parametrize(
    ("conflict", "on_conflict", "on_duplicate"),
    [
        (OnConflict(("email",), "nothing"), ' ON CONFLICT ("email") DO NOTHING',
         " ON DUPLICATE KEY UPDATE `id` = `id`"),
        (OnConflict((), "nothing"), " ON CONFLICT DO NOTHING",
         " ON DUPLICATE KEY UPDATE `id` = `id`"),
        (OnConflict(("email",), "update"),
         ' ON CONFLICT ("email") DO UPDATE SET "user_name" = EXCLUDED."user_name", "age" = '
         'EXCLUDED."age"',
         " ON DUPLICATE KEY UPDATE `user_name` = VALUES(`user_name`), `age` = VALUES(`age`)"),
        (OnConflict(["email"], "update", ["age"]),
         ' ON CONFLICT ("email") DO UPDATE SET "age" = EXCLUDED."age"',
         " ON DUPLICATE KEY UPDATE `age` = VALUES(`age`)"),
        (OnConflict(("name", "age"), "update", ("email",)),
         ' ON CONFLICT ("user_name", "age") DO UPDATE SET "email" = EXCLUDED."email"',
         " ON DUPLICATE KEY UPDATE `email` = VALUES(`email`)"),
    ],
)  # fmt: skip
def test_upserts_per_dialect(conflict: OnConflict, on_conflict: str, on_duplicate: str) -> None:
    fields = ("name", "email", "age")
    base = 'INSERT INTO "users" ("user_name", "email", "age") VALUES (?, ?, ?), (?, ?, ?)'
    for dialect in (SQLITE, POSTGRESQL):
        assert compile_insert(USERS, fields, 2, dialect, on_conflict=conflict) == base + on_conflict
    assert compile_insert(USERS, fields, 2, MYSQL, on_conflict=conflict) == (
        base.replace('"', "`") + on_duplicate
    )


def test_upsert_with_returning() -> None:
    sql = compile_insert(USERS, ("email", "age"), 1, POSTGRESQL, returning=("id",),
                         on_conflict=OnConflict(("email",), "update"))  # fmt: skip
    assert sql == (
        'INSERT INTO "users" ("email", "age") VALUES (?, ?) ON CONFLICT ("email") DO UPDATE SET '
        '"age" = EXCLUDED."age" RETURNING "id"'
    )


def test_upsert_errors() -> None:
    with pytest.raises(ArgumentError, match="'nothing' or 'update'"):
        OnConflict(("email",), "replace")  # type: ignore[arg-type]
    with pytest.raises(ArgumentError, match="target"):
        OnConflict((), "update")
    with pytest.raises(ArgumentError, match="takes no update_fields"):
        OnConflict(("email",), "nothing", ("age",))
    with pytest.raises(ArgumentError):
        OnConflict("email", "nothing")  # type: ignore[arg-type]
    fields = ("email", "age")
    with pytest.raises(ArgumentError, match="does not set"):
        compile_insert(
            USERS, fields, 1, SQLITE, on_conflict=OnConflict(("email",), "update", ("name",))
        )
    with pytest.raises(ArgumentError, match="no field left"):
        compile_insert(USERS, ("email",), 1, SQLITE, on_conflict=OnConflict(("email",), "update"))
    with pytest.raises(InvalidIdentifierError, match="known fields"):
        compile_insert(USERS, fields, 1, SQLITE, on_conflict=OnConflict(("mail",), "nothing"))
    with pytest.raises(ArgumentError):
        compile_insert(USERS, fields, 1, SQLITE, on_conflict="nothing")  # type: ignore[arg-type]  # fmt: skip


@pytest.mark.parametrize("rows", [0, -1, True, "2", 1.0, None])
def test_insert_rows_must_be_a_positive_int(rows: object) -> None:
    with pytest.raises(ArgumentError, match="rows"):
        compile_insert(USERS, ("email",), rows, SQLITE)  # type: ignore[arg-type]


def test_insert_field_errors() -> None:
    with pytest.raises(InvalidIdentifierError, match="unknown field 'mail' on users"):
        compile_insert(USERS, ("mail",), 1, SQLITE)
    with pytest.raises(ArgumentError, match="twice"):
        compile_insert(USERS, ("email", "email"), 1, SQLITE)
    with pytest.raises(ArgumentError):
        compile_insert(USERS, "email", 1, SQLITE)
    with pytest.raises(InvalidIdentifierError):
        compile_insert(USERS, ("email",), 1, SQLITE, returning=("password",))


# --- UPDATE ------------------------------------------------------------------------------------


def test_update_binds_values_then_where() -> None:
    assert compile_update(USERS, {"name": "x", "age": None}, Col("id") == 7, SQLITE) == (
        'UPDATE "users" SET "user_name" = ?, "age" = ? WHERE "id" = ?',
        ["x", None, 7],
    )


def test_update_with_expression_assignment() -> None:
    sql, params = compile_update(
        ACCOUNTS, {"balance": Col("balance") - 10}, (Col("id") == 1) & (Col("balance") >= 10),
        MYSQL,
    )  # fmt: skip
    assert sql == (
        "UPDATE `accounts` SET `balance` = `balance` - ? WHERE `id` = ? AND `balance` >= ?"
    )
    assert params == [10, 1, 10]


def test_update_returning_and_no_where() -> None:
    returning = ("id", "balance")
    assert compile_update(ACCOUNTS, {"owner": "z"}, None, POSTGRESQL, returning=returning) == (
        'UPDATE "accounts" SET "owner" = ? RETURNING "id", "balance"',
        ["z"],
    )
    assert compile_update(USERS, {"age": 1}, raw("age IS NULL"), SQLITE, returning=("name",)) == (
        'UPDATE "users" SET "age" = ? WHERE age IS NULL RETURNING "user_name" AS "name"',
        [1],
    )
    with pytest.raises(ArgumentError, match="RETURNING"):
        compile_update(USERS, {"age": 1}, None, MYSQL, returning=("id",))  # fmt: skip


def test_update_with_subquery_condition() -> None:
    sub = Select(ACCOUNTS, columns=(Col("owner"),), where=Col("balance") < 0)
    assert compile_update(USERS, {"age": 0}, Col("name").in_(sub), POSTGRESQL) == (
        'UPDATE "users" SET "age" = ? WHERE "user_name" IN (SELECT "owner" FROM "accounts" '
        'WHERE "balance" < ?)',
        [0, 0],
    )


def test_update_errors() -> None:
    with pytest.raises(ArgumentError, match="at least one"):
        compile_update(USERS, {}, None, SQLITE)
    with pytest.raises(InvalidIdentifierError, match="known fields: id, name, email, age"):
        compile_update(USERS, {"admin": True}, None, SQLITE)
    with pytest.raises(InvalidIdentifierError):
        compile_update(USERS, {'age" = 0 --': 1}, None, SQLITE)
    with pytest.raises(ArgumentError, match="condition"):
        compile_update(USERS, {"age": 1}, "id = 1", SQLITE)  # type: ignore[arg-type]
    with pytest.raises(InvalidIdentifierError):
        compile_update(USERS, {"age": Col("nope")}, None, SQLITE)


# --- DELETE ------------------------------------------------------------------------------------


def test_delete() -> None:
    assert compile_delete(USERS, Col("age") < 18, SQLITE) == (
        'DELETE FROM "users" WHERE "age" < ?',
        [18],
    )
    assert compile_delete(USERS, None, MYSQL) == ("DELETE FROM `users`", [])
    assert compile_delete(USERS, Col("name") == "x", POSTGRESQL, returning=("id", "name")) == (
        'DELETE FROM "users" WHERE "user_name" = ? RETURNING "id", "user_name" AS "name"',
        ["x"],
    )
    with pytest.raises(ArgumentError, match="RETURNING"):
        compile_delete(USERS, None, MYSQL, returning=("id",))
