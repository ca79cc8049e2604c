"""The batcher's statement analysis: shapes, transaction control, run keys (no database)."""

from __future__ import annotations

import dataclasses

import pytest

from twinsql.batch.statements import analyze
from twinsql.errors import MultipleStatementsError, ParameterError


def test_analyze_checks_like_compile_sql() -> None:
    with pytest.raises(MultipleStatementsError):
        analyze("INSERT INTO t VALUES (1); DROP TABLE t", "qmark", "sqlite")
    shape = analyze(
        "INSERT INTO t VALUES (1); DROP TABLE t", "qmark", "sqlite", allow_multiple=True
    )
    assert shape.template is None
    with pytest.raises(ParameterError):
        analyze("SELECT ? + :a", "qmark", "sqlite")


@pytest.mark.parametrize(
    "sql",
    ["BEGIN", "begin transaction", "COMMIT", "ROLLBACK TO SAVEPOINT x", "START TRANSACTION",
     "SAVEPOINT a", "RELEASE SAVEPOINT a", "END", "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE",
     "SET autocommit = 0", "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY"],
)  # fmt: skip
def test_transaction_control_is_flagged(sql: str) -> None:
    assert analyze(sql, "qmark", "sqlite").control


@pytest.mark.parametrize("sql", ["SET search_path = x", "SELECT 'BEGIN'", "UPDATE t SET a = 1"])
def test_other_statements_are_not_control(sql: str) -> None:
    assert not analyze(sql, "qmark", "postgresql").control


def test_implicit_commit_only_without_transactional_ddl() -> None:
    assert analyze(
        "CREATE TABLE x (a INT)", "format", "mysql", transactional_ddl=False
    ).implicit_commit
    assert not analyze("CREATE TABLE x (a INT)", "format", "postgresql").implicit_commit
    assert not analyze("INSERT INTO x VALUES (1)", "format", "mysql",
                       transactional_ddl=False).implicit_commit  # fmt: skip


def test_literal_inserts_share_a_key_parameterised_ones_their_text() -> None:
    one = analyze("INSERT INTO t VALUES (1, 'a')", "qmark", "sqlite")
    two = analyze("INSERT INTO t VALUES (2, 'b')", "qmark", "sqlite")
    assert one.key == two.key
    p1 = analyze("INSERT INTO t VALUES (?, 'a')", "qmark", "sqlite")
    p2 = analyze("INSERT INTO t VALUES (?, 'b')", "qmark", "sqlite")
    assert p1.key != p2.key


def test_shapes_are_shared_and_cannot_change() -> None:
    """The analysis cache hands the same Shape to every batcher on every database: nothing
    may alter it (what one batcher learns is kept by that batcher)."""
    sql = "INSERT INTO shared (a) VALUES (?)"
    shape = analyze(sql, "numeric", "postgresql")
    assert analyze(sql, "numeric", "postgresql") is shape
    with pytest.raises(dataclasses.FrozenInstanceError):
        shape.key = "other"  # type: ignore[misc]
    assert shape.template is not None
    with pytest.raises(dataclasses.FrozenInstanceError):
        shape.template.key = ("a", "b")  # type: ignore[misc]


@pytest.mark.parametrize(
    ("sql", "lexer", "alone"),
    [
        ("CREATE INDEX CONCURRENTLY i ON t (a)", "postgresql", True),
        ("CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a)", "postgresql", True),
        ("DROP INDEX CONCURRENTLY i", "postgresql", True),
        ("REINDEX TABLE CONCURRENTLY t", "postgresql", True),
        ("VACUUM (ANALYZE) t", "postgresql", True),
        ("CREATE DATABASE d", "postgresql", True),
        ("DROP DATABASE IF EXISTS d", "postgresql", True),
        ("ALTER TYPE mood ADD VALUE 'happy'", "postgresql", True),
        ("ALTER SYSTEM SET work_mem = '8MB'", "postgresql", True),
        ("CREATE TABLESPACE s LOCATION '/x'", "postgresql", True),
        ("CREATE INDEX i ON t (a)", "postgresql", False),
        ("ALTER TYPE mood RENAME VALUE 'a' TO 'b'", "postgresql", False),
        ("CREATE TABLE t (a int)", "postgresql", False),
        ("VACUUM", "sqlite", True),
        ("PRAGMA foreign_keys = OFF", "sqlite", True),
        ("CREATE DATABASE d", "mysql", True),  # an implicit commit
    ],
)
def test_statements_that_run_outside_a_transaction(sql: str, lexer: str, alone: bool) -> None:
    style = "numeric" if lexer == "postgresql" else "qmark"
    shape = analyze(sql, style, lexer, transactional_ddl=lexer != "mysql")  # type: ignore[arg-type]
    assert shape.outside_transaction is alone


@pytest.mark.parametrize(
    ("sql", "lexer", "session"),
    [
        ("SET search_path = app", "postgresql", True),
        ("SET SESSION statement_timeout = 0", "postgresql", True),
        ("SET LOCAL search_path = app", "postgresql", False),
        ("SELECT pg_catalog.set_config('search_path', '', false)", "postgresql", True),
        ("SELECT 1", "postgresql", False),
        ("RESET search_path", "postgresql", True),
        ("SET NAMES utf8mb4", "mysql", True),
        ("/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='' */", "mysql", True),
        ("USE other", "mysql", True),
        ("SET GLOBAL max_connections = 10", "mysql", False),
        ("SET @@global.max_connections = 10", "mysql", False),
        ("PRAGMA foreign_keys = OFF", "sqlite", True),
        ("INSERT INTO t VALUES (1)", "sqlite", False),
    ],
)
def test_statements_that_change_the_session(sql: str, lexer: str, session: bool) -> None:
    style = "numeric" if lexer == "postgresql" else "qmark"
    assert analyze(sql, style, lexer).session is session  # type: ignore[arg-type]
