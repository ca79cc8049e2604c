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
