"""Pure tests of twinsql.sql.readonly: the lexical test that a statement cannot write."""

from __future__ import annotations

import pytest

from twinsql.sql.lexer import LEXERS, Lexer
from twinsql.sql.placeholders import compile_sql
from twinsql.sql.readonly import is_read_only

READ_ONLY = [
    "SELECT 1",
    "select * from t where a = ?",
    "  -- lead\n/* c */ SELECT 1;",
    "(SELECT 1) UNION (SELECT 2)",
    "VALUES (1), (2)",
    "WITH x AS (SELECT 1) SELECT * FROM x",
    "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT * FROM r",
    "SELECT replace(name, 'a', 'b'), 'DELETE', \"update\" FROM t -- insert",
    "EXPLAIN SELECT 1",
    "EXPLAIN QUERY PLAN DELETE FROM t",
    "SHOW TABLES",
    "PRAGMA user_version",
    "PRAGMA main.table_info(t)",
    "pragma integrity_check",
]
WRITES = [
    "INSERT INTO t VALUES (1)",
    "UPDATE t SET a = 1",
    "DELETE FROM t",
    "REPLACE INTO t VALUES (1)",
    "CREATE TABLE t (a int)",
    "BEGIN",
    "SELECT * FROM t FOR UPDATE",
    "SELECT * FROM t FOR SHARE",
    "SELECT * FROM t FOR NO KEY UPDATE",
    "SELECT * FROM t LOCK IN SHARE MODE",
    "SELECT * INTO t2 FROM t",
    "WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d",
    "WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x",
    "WITH x AS (SELECT 1) REPLACE INTO t SELECT * FROM x",
    "WITH x AS (SELECT 1) MERGE INTO t USING x ON true WHEN MATCHED THEN DELETE",
    "EXPLAIN ANALYZE DELETE FROM t",
    "EXPLAIN (ANALYZE, BUFFERS) SELECT 1",
    "PRAGMA journal_mode = WAL",
    "PRAGMA journal_mode(WAL)",
    "PRAGMA optimize",
    "PRAGMA wal_checkpoint",
    "SELECT 1; DELETE FROM t",
    "",
    "-- only a comment",
    "(",
]


@pytest.mark.parametrize("sql", READ_ONLY)
@pytest.mark.parametrize("lexer", LEXERS)
def test_read_only(sql: str, lexer: Lexer) -> None:
    assert is_read_only(sql, lexer) is True
    if "?" in sql or not sql.strip().endswith(";"):
        assert compile_sql(sql, "format", lexer).is_read_only is True


@pytest.mark.parametrize("sql", WRITES)
@pytest.mark.parametrize("lexer", LEXERS)
def test_not_read_only(sql: str, lexer: Lexer) -> None:
    assert is_read_only(sql, lexer) is False
