"""The shortcuts of the load's hot path decide as the full readers do (no database)."""

from __future__ import annotations

import pytest

from twinsql.batch.statements import control_verb, reads_stdin
from twinsql.sql.insert import parse_insert
from twinsql.sql.lexer import Lexer, scan_items


@pytest.mark.parametrize(
    ("sql", "verb"),
    [
        ("BEGIN", "begin"), ("begin;", "begin"), ("COMMIT\n", "commit"), ("END", "commit"),
        ("ROLLBACK TO SAVEPOINT a", "rollback"), ("release a", "savepoint"),
        ("BEGINNING", None), ("BEGIN\u00e9", None), ("BEGIN$x", None), ("BEGIN_", None),
        ("/* c */ BEGIN", "begin"), ("-- c\nCOMMIT", "commit"), ("  START TRANSACTION", "begin"),
        ("E'x'", None), ("INSERT INTO t VALUES (1)", None), ("", None),
    ],
)  # fmt: skip
@pytest.mark.parametrize("lexer", ["sqlite", "postgresql", "mysql"])
def test_control_verb(sql: str, verb: str | None, lexer: Lexer) -> None:
    assert control_verb(sql, lexer) == verb


@pytest.mark.parametrize(
    ("sql", "copy"),
    [
        ("COPY t (a) FROM stdin", True), ("copy t FROM STDIN", True),
        ("/* x */ COPY t FROM stdin", True), ("COPY t TO stdout", False),
        ("COPYRIGHT", False), ("SELECT 'COPY t FROM stdin'", False),
    ],
)  # fmt: skip
def test_reads_stdin(sql: str, copy: bool) -> None:
    assert reads_stdin(sql, "postgresql") is copy


@pytest.mark.parametrize("lexer", ["sqlite", "postgresql", "mysql"])
def test_parse_insert_takes_the_items_it_would_scan(lexer: Lexer) -> None:
    sql = "INSERT INTO t (a, b) VALUES (1, 'x;y')"
    given = parse_insert(sql, lexer, scan_items(sql, lexer))
    assert given is not None and given.key == parse_insert(sql, lexer).key  # type: ignore[union-attr]
    many = "INSERT INTO t VALUES (1, 'a'), (2, 'b')"
    assert parse_insert(many, lexer) is None
