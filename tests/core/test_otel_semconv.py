"""What the telemetry says about a statement and an error, without a database: no literal
value ever reaches db.query.text, one query shape is one text, and the summary names the
operation and its tables."""

from __future__ import annotations

import sqlite3

import pytest

import twinsql
from twinsql.otel.semconv import database_attributes, error_attributes, query_shape


@pytest.mark.parametrize(
    ("sql", "lexer", "text"),
    [
        ("SELECT * FROM t WHERE a = 'x' AND b = 42 AND c = 4.5e3", "sqlite",
         "SELECT * FROM t WHERE a = ? AND b = ? AND c = ?"),
        ("SELECT * FROM t WHERE a = 3.25", "postgresql", "SELECT * FROM t WHERE a = ?"),
        ('SELECT * FROM t WHERE a = "secret"', "mysql", "SELECT * FROM t WHERE a = ?"),
        ('SELECT "col 1" FROM "t1" WHERE id = ?', "postgresql",
         'SELECT "col 1" FROM "t1" WHERE id = ?'),
        ("SELECT $q$it's$q$, E'a\\'b' FROM t", "postgresql", "SELECT ?, ? FROM t"),
        ("SELECT x /* 'hidden' */ FROM t -- 99\n", "sqlite", "SELECT x FROM t"),
        ("SELECT x FROM t WHERE id IN (?, ?, ?) OR k in (1,2)", "sqlite",
         "SELECT x FROM t WHERE id IN (?) OR k in (?)"),
        ("INSERT INTO t (a, b) VALUES (?, ?), (?, ?), (?, ?)", "mysql",
         "INSERT INTO t (a, b) VALUES (?, ?)"),
        ("SELECT x FROM t2 WHERE y = :name AND z = $1", "postgresql",
         "SELECT x FROM t2 WHERE y = :name AND z = $1"),
        ("SELECT 'unterminated", "sqlite", "?"),
    ],
)  # fmt: skip
def test_query_text_keeps_no_value(sql: str, lexer: str, text: str) -> None:
    assert query_shape(sql, lexer).text == text


@pytest.mark.parametrize(
    ("sql", "summary", "operation", "collection"),
    [
        ('SELECT "id" FROM "users" WHERE "id" = ?', "SELECT users", "SELECT", "users"),
        ("select * from public.users u join orders o on o.uid = u.id", "SELECT public.users orders",
         "SELECT", None),
        ("INSERT INTO `logs` (m) VALUES (?)", "INSERT logs", "INSERT", "logs"),
        ("UPDATE accounts SET balance = balance - ? WHERE id = ?", "UPDATE accounts", "UPDATE",
         "accounts"),
        ("DELETE FROM t WHERE id = ?", "DELETE t", "DELETE", "t"),
        ("SAVEPOINT sp_3", "SAVEPOINT", "SAVEPOINT", None),
        ("SELECT 1", "SELECT", "SELECT", None),
    ],
)  # fmt: skip
def test_summary_operation_and_collection(
    sql: str, summary: str, operation: str, collection: str | None
) -> None:
    shape = query_shape(sql, "mysql" if "`" in sql else "postgresql")
    assert (shape.summary, shape.operation, shape.collection) == (summary, operation, collection)


def test_database_attributes() -> None:
    url = twinsql.parse_url("postgresql://u:secret@db.internal/app")
    assert database_attributes(url) == {
        "db.system.name": "postgresql",
        "db.namespace": "app",
        "server.address": "db.internal",
        "server.port": 5432,
    }
    sqlite = database_attributes(twinsql.parse_url("sqlite:///data/app.db"))
    assert sqlite == {"db.system.name": "sqlite", "db.namespace": "data/app.db"}


def test_error_attributes() -> None:
    pg = twinsql.UniqueViolation("duplicate", sqlstate="23505")
    assert error_attributes(pg) == {
        "error.type": "twinsql.errors.UniqueViolation",
        "db.response.status_code": "23505",
    }
    mysql = twinsql.UniqueViolation(
        "duplicate", sqlstate="23000", driver_error=Exception(1062, "Duplicate entry")
    )
    assert error_attributes(mysql)["db.response.status_code"] == "1062"
    native = sqlite3.IntegrityError("UNIQUE constraint failed")
    native.sqlite_errorcode = 2067  # type: ignore[attr-defined]
    lite = twinsql.UniqueViolation("duplicate", driver_error=native)
    assert error_attributes(lite)["db.response.status_code"] == "2067"
    assert error_attributes(TimeoutError()) == {"error.type": "builtins.TimeoutError"}
