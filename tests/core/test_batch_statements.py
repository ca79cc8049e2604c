"""The batcher's statement model: INSERT structure, shapes, sizes (no database)."""

from __future__ import annotations

import datetime
import decimal
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from twinsql.batch.statements import analyze, parse_insert, precise_size, values_size
from twinsql.errors import MultipleStatementsError, ParameterError
from twinsql.sql.params import compile_sql


def test_plain_insert_template() -> None:
    template = parse_insert("INSERT INTO t (a, b) VALUES (?, ?)", "postgresql")
    assert template is not None
    assert template.arity == 2 and template.columns == 2 and template.column_count == 2
    assert template.key == ("INSERT INTO t (a, b) VALUES ", "")
    assert template.copy_target == (None, "t", ("a", "b"))
    prefix, suffix, pieces, refs = template.rendered("numeric")
    assert (prefix, suffix, pieces, refs) == (
        "INSERT INTO t (a, b) VALUES ",
        "",
        ("(", ", ", ")"),
        (0, 1),
    )
    assert template.row_text("numeric", 4) == "($5, $6)"
    assert template.row_text("format") == "(%s, %s)"
    assert template.row_text("qmark") == "(?, ?)"


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO t (a) VALUES (?), (?)",  # already two rows
        "INSERT INTO t (a) VALUES (?) RETURNING id",  # results per row
        "INSERT INTO t (a) SELECT ?",
        "INSERT INTO t DEFAULT VALUES",
        "INSERT INTO t (a) VALUES (?) ON CONFLICT (a) DO UPDATE SET a = 1",  # may hit a row twice
        "INSERT INTO t (a) VALUES (?) ON CONFLICT DO NOTHING RETURNING a",
        "UPDATE t SET a = ?",
        "WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x",
        "INSERT INTO t (a) VALUES ('unterminated",
        "INSERT INTO t AS alias (a) VALUES (?)",
        "INSERT INTO t (a, ?) VALUES (1)",
    ],
)
def test_statements_that_are_not_merged(sql: str) -> None:
    assert parse_insert(sql, "postgresql") is None


def test_row_with_expressions_and_tricky_literals_is_kept_whole() -> None:
    """A regex over ``VALUES (…)`` would cut ``NOW()`` and ``'x)y'`` and drop every tuple
    after the first: the template keeps the row whole."""
    sql = "INSERT INTO t VALUES (:a, NOW(), 'x)y', (1 + 2) * 3)"
    template = parse_insert(sql, "sqlite")
    assert template is not None
    assert template.arity == 4 and template.columns is None
    assert template.copy_target is None  # an expression is not a bare placeholder
    assert template.row_text("qmark") == "(?, NOW(), 'x)y', (1 + 2) * 3)"


def test_conflict_clauses() -> None:
    nothing = parse_insert("INSERT INTO t (a) VALUES (?) ON CONFLICT (a) DO NOTHING;", "sqlite")
    assert nothing is not None and nothing.key[1] == " ON CONFLICT (a) DO NOTHING"
    assert nothing.copy_target is None
    mysql = "INSERT INTO t (a, n) VALUES (?, ?) ON DUPLICATE KEY UPDATE n = n + VALUES(n)"
    assert parse_insert(mysql, "mysql") is not None
    assert parse_insert(mysql, "postgresql") is None
    # a placeholder after the row would need one value per statement: not merged
    assert (
        parse_insert("INSERT INTO t (a) VALUES (?) ON DUPLICATE KEY UPDATE a = ?", "mysql") is None
    )


def test_modifiers_and_quoted_names() -> None:
    template = parse_insert('INSERT INTO "My Schema"."T""x" ("A", b) VALUES (?, ?)', "postgresql")
    assert template is not None
    assert template.copy_target == ("My Schema", 'T"x', ("A", "b"))
    ignore = parse_insert("INSERT OR IGNORE INTO t VALUES (?)", "sqlite")
    assert ignore is not None and ignore.copy_target is None
    assert parse_insert("REPLACE INTO t VALUES (?)", "mysql") is not None
    assert parse_insert("INSERT INTO `t` (`a`) VALUE (?)", "mysql") is not None


def test_percent_is_doubled_for_format_style_with_parameters_only() -> None:
    template = parse_insert("INSERT INTO t (a, b) VALUES (?, '100%')", "mysql")
    assert template is not None
    assert template.row_text("format") == "(%s, '100%%')"
    assert template.row_text("qmark") == "(?, '100%')"
    literal = parse_insert("INSERT INTO t (a, b) VALUES (1, '100%')", "mysql")
    assert literal is not None and literal.row_text("format") == "(1, '100%')"


def test_literal_question_mark_operator_in_row() -> None:
    template = parse_insert("INSERT INTO t (a, b) VALUES (?, '{}'::jsonb ?? 'k')", "postgresql")
    assert template is not None
    assert template.row_text("numeric") == "($1, '{}'::jsonb ? 'k')"


def test_named_placeholders_follow_the_compiled_order() -> None:
    sql = "INSERT INTO t (a, b, c) VALUES (:x, :y, :x)"
    template = parse_insert(sql, "postgresql")
    assert template is not None
    # numeric style binds each name once, in first-use order: $1, $2, $1
    assert template.row_text("numeric", 2) == "($3, $4, $3)"
    assert compile_sql(sql, "numeric", "postgresql").names == ("x", "y")
    # other styles bind every occurrence
    assert template.rendered("format")[3] == (0, 1, 2)


@given(
    st.lists(
        st.one_of(
            st.just("?"),
            st.integers(-5, 5).map(str),
            st.sampled_from(["'a,b'", "'x)y'", "NOW()", "lower(?)", "'it''s'", "NULL"]),
        ),
        min_size=1,
        max_size=8,
    ),
    st.sampled_from(["qmark", "format", "numeric"]),
    st.integers(0, 20),
)
def test_rendered_row_matches_compile_sql(elements: list[str], style: str, offset: int) -> None:
    """The template's row, rendered for a style, is exactly what compile_sql makes of it
    (with marks numbered from ``offset`` in numeric style)."""
    row = "(" + ", ".join(elements) + ")"
    sql = f"INSERT INTO t VALUES {row}"
    template = parse_insert(sql, "postgresql")
    assert template is not None
    assert template.arity == len(elements)
    compiled = compile_sql(row, style, "postgresql")  # type: ignore[arg-type]
    expected = compiled.text
    if style == "numeric":
        expected = re.sub(r"\$(\d+)", lambda m: f"${int(m.group(1)) + offset}", expected)
    assert template.row_text(style, offset) == expected  # type: ignore[arg-type]


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


def test_values_size() -> None:
    assert values_size(()) == 0
    assert values_size((1, 2.5, True, None)) == 32
    assert values_size(("abc", b"xy")) == 5
    assert values_size((datetime.date(2024, 1, 2),)) == len("2024-01-02") + 2
    assert values_size(({"k": 1},)) == len(str({"k": 1})) + 2
    assert values_size((decimal.Decimal("1.50"),)) == 6


@given(st.lists(st.one_of(st.text(max_size=20), st.binary(max_size=20), st.integers(),
                          st.floats(allow_nan=False), st.none(), st.booleans())))  # fmt: skip
def test_precise_size_bounds_mysql_escaping(values: list[object]) -> None:
    """An upper bound of the escaped, quoted text of each value."""
    escaped = 0
    for value in values:
        if isinstance(value, str):
            data = value.encode()
            escaped += len(data) + sum(data.count(c.encode()) for c in "\\'\"\n\r\x00\x1a") + 2
        elif isinstance(value, bytes):
            escaped += len(value) * 2 + 9
        else:
            escaped += len(repr(value))
    assert precise_size(values) >= escaped - sum(len(v) for v in values if isinstance(v, bytes))
