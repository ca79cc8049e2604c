"""Pure: reading the constraint, table and columns out of each backend's integrity error."""

from __future__ import annotations

import pytest

from twinsql import errors
from twinsql.sql.dialects import MYSQL, POSTGRESQL, SQLITE
from twinsql.sql.violations import (
    Violation,
    complete,
    locate,
    lookup_sql,
    mysql_violation,
    postgresql_violation,
    sqlite_violation,
    statement_table,
)


@pytest.mark.parametrize(
    ("sql", "lexer", "table"),
    [
        ("INSERT INTO users (a) VALUES (?)", "postgresql", "users"),
        ('insert into public."Odd ""Name""" values (1)', "postgresql", 'Odd "Name"'),
        ("INSERT IGNORE INTO db.`t` VALUES (1)", "mysql", "t"),
        ("REPLACE INTO t VALUES (1)", "mysql", "t"),
        ("UPDATE LOW_PRIORITY IGNORE t SET a = 1", "mysql", "t"),
        ("INSERT OR REPLACE INTO [t x] VALUES (1)", "sqlite", "t x"),
        ("/* c */ DELETE FROM t WHERE a = 1", "sqlite", "t"),
        ("SELECT * FROM t", "sqlite", None),
        ("WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x", "postgresql", None),
        ("INSERT INTO 't", "sqlite", None),
    ],
)
def test_statement_table(sql: str, lexer: str, table: str | None) -> None:
    assert statement_table(sql, lexer) == table


def test_postgresql_unique_columns_come_from_the_key_not_the_values() -> None:
    detail = "Key (a, \"b, c\")=(1, 'x)=(y') already exists."
    assert postgresql_violation("23505", "uq", "t", None, detail) == Violation(
        "uq", "t", ("a", "b, c")
    )


def test_postgresql_delete_of_a_referenced_row_leaves_the_columns_unknown() -> None:
    detail = 'Key (id)=(1) is still referenced from table "child".'
    assert postgresql_violation("23503", "fk", "child", None, detail) == Violation("fk", "child")


def test_postgresql_not_null_and_other_classes() -> None:
    assert postgresql_violation("23502", None, "t", "c", None) == Violation(None, "t", ("c",))
    assert postgresql_violation("42601", None, None, None, None) is None


def test_mysql_messages() -> None:
    assert mysql_violation(1062, "Duplicate entry 'it''s' for key 'uq'") == Violation("uq")
    fk = (
        "Cannot add or update a child row: a foreign key constraint fails (`db`.`child`, "
        "CONSTRAINT `fk` FOREIGN KEY (`p`, `q`) REFERENCES `parent` (`id`, `k`))"
    )
    assert mysql_violation(1452, fk) == Violation("fk", "child", ("p", "q"))
    assert mysql_violation(1048, "Column 'x' cannot be null") == Violation(None, None, ("x",))
    assert mysql_violation(4025, "CONSTRAINT `ck` failed for `db`.`t`") == Violation("ck")
    assert mysql_violation(1064, "syntax") is None


def test_sqlite_messages() -> None:
    assert sqlite_violation("UNIQUE constraint failed: t.a, t.b") == Violation(
        None, "t", ("a", "b")
    )
    assert sqlite_violation("CHECK constraint failed: ck") == Violation("ck")
    assert sqlite_violation("FOREIGN KEY constraint failed") == Violation()


def test_locate_adds_the_statement_table_and_strips_its_prefix() -> None:
    found = locate(Violation("t.uq"), "INSERT INTO t (a) VALUES (?)", "mysql")
    assert found == Violation("uq", "t")
    assert locate(Violation("c", "u"), "INSERT INTO t VALUES (1)", "mysql") == Violation("c", "u")


def test_lookups_complete_unique_and_foreign_key_errors() -> None:
    error = errors.UniqueViolation("dup")
    error.constraint, error.table = "uq", "t"
    assert lookup_sql(error, MYSQL) == MYSQL.unique_keys_sql
    assert lookup_sql(error, POSTGRESQL) is None
    complete(error, [("PRIMARY", "id"), ("uq", "b"), ("uq", "a")])
    assert error.columns == ("b", "a")

    by_columns = errors.UniqueViolation("dup")
    by_columns.table, by_columns.columns = "t", ("a",)
    complete(by_columns, [("sqlite_autoindex_t_1", "a"), ("ix", "a"), ("ix2", "b")])
    assert by_columns.constraint == "ix"

    fk = errors.ForeignKeyViolation("fk")
    fk.table = "t"
    assert lookup_sql(fk, SQLITE) == SQLITE.foreign_keys_sql
    complete(fk, [(0, "p"), (0, "q")])
    assert fk.columns == ("p", "q")
    ambiguous = errors.ForeignKeyViolation("fk")
    ambiguous.table = "t"
    complete(ambiguous, [(0, "p"), (1, "q")])
    assert ambiguous.columns == ()
