"""Pure tests of twinsql.sql.script: where statements of a script begin and end."""

from __future__ import annotations

import pytest

from twinsql.errors import ArgumentError, MultipleStatementsError
from twinsql.sql.lexer import Lexer, scan
from twinsql.sql.script import (
    check_single_statement,
    complete_statements,
    separators,
    split_statements,
)


@pytest.mark.parametrize(
    ("script", "lexer", "expected"),
    [
        ("SELECT 1; SELECT 2;", "sqlite", ["SELECT 1", "SELECT 2"]),
        (
            "  SELECT 1 ;\n\n;  -- only a comment\n; /* c */ ; SELECT ';' ",
            "sqlite",
            ["SELECT 1", "SELECT ';'"],
        ),
        (
            "CREATE TABLE t (a int);\nCREATE TRIGGER tr AFTER INSERT ON t BEGIN "
            "INSERT INTO u VALUES (1); END;\nINSERT INTO t VALUES (1)",
            "sqlite",
            [
                "CREATE TABLE t (a int)",
                "CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO u VALUES (1); END",
                "INSERT INTO t VALUES (1)",
            ],
        ),
        (
            "BEGIN; UPDATE t SET a = 1; COMMIT;",
            "postgresql",
            ["BEGIN", "UPDATE t SET a = 1", "COMMIT"],
        ),
        (
            "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql; SELECT f()",
            "postgresql",
            ["CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql", "SELECT f()"],
        ),
        ("SELECT 'a\\';' ; SELECT 2 # ;\n", "mysql", ["SELECT 'a\\';'", "SELECT 2 # ;"]),
        ("-- header\nSELECT 1", "postgresql", ["-- header\nSELECT 1"]),
        ("", "mysql", []),
        ("  ;; -- nothing\n", "mysql", []),
        ("SELECT :a; SELECT ?", "sqlite", ["SELECT :a", "SELECT ?"]),
    ],
)
def test_split_statements(script: str, lexer: Lexer, expected: list[str]) -> None:
    assert split_statements(script, lexer) == expected


def test_separators_skip_routine_bodies_but_not_columns_named_begin() -> None:
    sql = "CREATE TRIGGER tr AFTER INSERT ON t BEGIN DELETE FROM u; END; SELECT 1; SELECT 2"
    tokens, _ = scan(sql, "sqlite")
    ends = [tokens[i][1] for i in separators(sql, tokens, "sqlite")]
    assert ends == [sql.index("END;") + 3, sql.index("1;") + 1]
    table = "CREATE TABLE t (begin int); DROP TABLE x"
    tokens, _ = scan(table, "sqlite")
    assert [tokens[i][1] for i in separators(table, tokens, "sqlite")] == [table.index(";")]


@pytest.mark.parametrize(
    ("sql", "single"),
    [
        ("SELECT 1", True),
        ("SELECT 1;", True),
        ("SELECT 1; -- done\n/* really */", True),
        ("SELECT ';'", True),
        ("SELECT 1;;", False),
        ("SELECT 1; SELECT 2", False),
    ],
)
def test_check_single_statement(sql: str, single: bool) -> None:
    tokens, _ = scan(sql, "postgresql")
    if single:
        check_single_statement(sql, tokens, "postgresql")
    else:
        with pytest.raises(MultipleStatementsError, match="once per statement"):
            check_single_statement(sql, tokens, "postgresql")


def test_complete_statements_keep_the_unfinished_tail() -> None:
    text = "SELECT 1;\n  INSERT INTO t VALUES (';');\nSELECT 'still open"
    statements, consumed = complete_statements(text, "sqlite", final=False)
    assert statements == [("SELECT 1", 0), ("INSERT INTO t VALUES (';')", text.index("INSERT"))]
    assert text[consumed:] == "\nSELECT 'still open"
    assert complete_statements("SELECT 1", "sqlite", final=False) == ([], 0)
    final, consumed = complete_statements(text, "sqlite", final=True)
    assert final[-1] == ("SELECT 'still open", text.index("SELECT 'still"))
    assert consumed == len(text)


@pytest.mark.parametrize(
    "script",
    [
        "SELECT 1; SELECT 2",
        "-- c\nSELECT 1;\n;  /* x */ ; SELECT ';' ",
        "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql; SELECT f()",
    ],
)
def test_split_statements_is_complete_statements_of_the_whole_text(script: str) -> None:
    lexer: Lexer = "postgresql"
    statements, _ = complete_statements(script, lexer, final=True)
    assert split_statements(script, lexer) == [statement for statement, _ in statements]
    for statement, offset in statements:
        assert script[offset:].startswith(statement)


def test_split_statements_checks_the_lexer() -> None:
    with pytest.raises(ArgumentError, match="lexer"):
        split_statements("SELECT 1", "oracle")  # type: ignore[arg-type]
