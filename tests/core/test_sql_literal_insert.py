"""The one-step reading of a dump's INSERTs (``literal_shape``) gives exactly the shape the
token-by-token reading (``analyze_fully``) gives, and declines everything else."""

from __future__ import annotations

from typing import Any

import pytest

from twinsql.batch.statements import Shape, analyze_fully, literal_shape
from twinsql.sql.lexer import LEXERS, Lexer
from twinsql.sql.literal_insert import literal_insert

STYLES = ("qmark", "format", "numeric")


def described(shape: Shape) -> dict[str, Any]:
    """Every field of a shape, its compiled text and template spelled out (their caches
    left out)."""
    out = {name: getattr(shape, name) for name in Shape.__slots__}  # type: ignore[attr-defined]
    compiled = out.pop("compiled")
    out["compiled"] = (compiled.text, compiled.style, compiled.count, compiled.names,
                       compiled.is_read_only)  # fmt: skip
    template = out.pop("template")
    if template is not None:
        out["template"] = {name: getattr(template, name) for name in type(template).__slots__
                           if not name.startswith("_")}  # fmt: skip
        out["template"]["arity"] = template.arity  # counted when asked for
    return out


def assert_same_reading(sql: str, lexer: Lexer) -> bool:
    """``literal_shape`` agrees with ``analyze_fully`` for ``sql`` in every style; whether
    it took the statement."""
    taken = False
    for style in STYLES:
        fast = literal_shape(sql, style, lexer)  # type: ignore[arg-type]
        if fast is None:
            continue
        taken = True
        full = analyze_fully(sql, style, lexer, False, lexer != "mysql", verbatim=True)  # type: ignore[arg-type]
        assert described(fast) == described(full), (sql, lexer, style)
        if full.template is not None:
            assert fast.template is not None
            assert fast.template.rendered(style) == full.template.rendered(style)
    return taken


TAKEN = [
    "INSERT INTO t VALUES (1, 'a')",
    "INSERT INTO t VALUES(1,'a');",
    "INSERT INTO t VALUES (1, 'a')  ;  ",
    "insert into t values (1, 'a')",
    "INSERT INTO t (a, b) VALUES (-1.5e-3, NULL)",
    "INSERT INTO t (a,b,c) VALUES (+2, TRUE, false)",
    "INSERT INTO s.t VALUES (.5, 'it''s; here', '')",
    "INSERT INTO t VALUES (X'00ff', 'x?y', ':name', '%s %d')",
    "INSERT INTO t VALUES (1, 'Café ☕ 日本語 🎉')",
    "INSERT INTO t VALUES (1, 'line\nbreak')",
    "INSERT INTO t VALUES (1),(2), (3)",
    "INSERT INTO t (a) VALUES ('a'), ('b');",
    "INSERT INTO t\n  VALUES\n  ( 1 ,\n 'a' )",
]
TAKEN_SQLITE_POSTGRESQL = [
    'INSERT INTO "my table" VALUES (1)',
    'INSERT INTO "s"."t ""q""" ("a", b) VALUES (1, 2)',
]
TAKEN_MYSQL = [
    "INSERT INTO `t` VALUES (1, 'a\\'b', 'c\\\\')",
    "INSERT INTO `db`.`t` VALUES (0x1F, 'x')",
    "INSERT INTO `we``ird` (`a`) VALUE (1)",
    "INSERT INTO t VALUES (1,'a\\'),(2,\\'b')",
]
DECLINED = [
    "INSERT INTO t VALUES (?, 'a')",
    "INSERT INTO t VALUES (:a)",
    "INSERT INTO t VALUES (now())",
    "INSERT INTO t VALUES (1 + 2)",
    "INSERT INTO t VALUES ('a'::text)",
    "INSERT INTO t VALUES (DEFAULT)",
    "INSERT INTO t SELECT 1",
    "INSERT INTO t VALUES ()",
    "INSERT INTO t VALUES (1) -- note",
    "/* c */ INSERT INTO t VALUES (1)",
    "INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING",
    "INSERT INTO t VALUES (1) RETURNING id",
    "INSERT INTO t VALUES (1); DELETE FROM t",
    "INSERT OR REPLACE INTO t VALUES (1)",
    "INSERT INTO t VALUES (1abc)",
    "INSERT INTO t VALUES (E'a\\nb')",
    "INSERT INTO t VALUES ('a' 'b')",
    "INSERT INTO t VALUES ('unterminated)",
    "INSERT INTO tåble VALUES (1)",
    "REPLACE INTO t VALUES (1)",
    "UPDATE t SET a = 1",
]


@pytest.mark.parametrize("lexer", LEXERS)
@pytest.mark.parametrize("sql", TAKEN)
def test_a_dumps_insert_reads_as_the_full_reading_has_it(sql: str, lexer: Lexer) -> None:
    assert assert_same_reading(sql, lexer)


@pytest.mark.parametrize("lexer", ["sqlite", "postgresql"])
@pytest.mark.parametrize("sql", TAKEN_SQLITE_POSTGRESQL)
def test_double_quoted_names_where_they_are_names(sql: str, lexer: Lexer) -> None:
    assert assert_same_reading(sql, lexer)
    assert literal_insert(sql, "mysql") is None


@pytest.mark.parametrize("sql", TAKEN_MYSQL)
def test_mysql_backticks_and_backslash_escapes(sql: str) -> None:
    assert assert_same_reading(sql, "mysql")


def test_a_backslash_is_no_escape_outside_mysql() -> None:
    # 'a\' ends the string in SQLite and PostgreSQL: what follows is not a row of literals
    assert literal_insert("INSERT INTO t VALUES ('a\\', 'b')", "sqlite") is not None
    assert literal_insert("INSERT INTO t VALUES ('a\\', 'b')", "mysql") is None


@pytest.mark.parametrize("lexer", LEXERS)
@pytest.mark.parametrize("sql", DECLINED)
def test_anything_else_is_left_to_the_full_reading(sql: str, lexer: Lexer) -> None:
    assert literal_insert(sql, lexer) is None


def test_one_row_gets_a_template_several_rows_are_sent_as_written() -> None:
    one = literal_insert("INSERT INTO `db`.`t` (a, b) VALUES (1, 'x,y')", "mysql")
    assert one is not None and one.template is not None
    assert (one.table, one.template.arity, one.template.columns) == ("db.t", 2, 2)
    many = literal_insert("INSERT INTO t VALUES (1, 'x'), (2, 'y')", "mysql")
    assert many is not None and (many.template, many.table) == (None, "t")


def test_a_megabyte_of_rows_is_read_in_linear_time_and_little_memory() -> None:
    """Possessive repetition: the regex keeps no backtracking state per row (it used to
    grow its stack by a page per few rows, and spend seconds in page faults)."""
    rows = ",".join(f"({i},'row {i}',NULL,-{i}.5)" for i in range(40_000))
    sql = f"INSERT INTO t VALUES {rows}"
    for lexer in LEXERS:
        found = literal_insert(sql, lexer)  # type: ignore[arg-type]
        assert found is not None and found.template is None
        assert literal_insert(sql + " x", lexer) is None  # type: ignore[arg-type]
