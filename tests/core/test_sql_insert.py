"""Pure tests of twinsql.sql.insert and twinsql.sql.insert_plan: the structure of a
single-row INSERT, its multi-row form, and bulk-insert plans."""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from twinsql.errors import ArgumentError
from twinsql.sql.dialects import MYSQL, POSTGRESQL, SQLITE
from twinsql.sql.insert import merged_sql, parse_insert
from twinsql.sql.insert_plan import (
    MAX_UNIT_PARAMS,
    MAX_UNIT_ROWS,
    plan_insert_batches,
    rows_per_statement,
)
from twinsql.sql.placeholders import compile_sql


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
    """A regex over ``VALUES (…)`` would cut ``lower(…)`` and ``'x)y'`` and drop every tuple
    after the first: the template keeps the row whole."""
    sql = "INSERT INTO t VALUES (:a, lower('A,B'), 'x)y', (1 + 2) * 3)"
    template = parse_insert(sql, "sqlite")
    assert template is not None
    assert template.arity == 4 and template.columns is None
    assert template.copy_target is None  # an expression is not a bare placeholder
    assert template.row_text("qmark") == "(?, lower('A,B'), 'x)y', (1 + 2) * 3)"


@pytest.mark.parametrize(
    ("sql", "lexer"),
    [
        ("INSERT INTO c (pid, n) VALUES (LAST_INSERT_ID(), ?)", "mysql"),
        ("INSERT INTO t (id, n) VALUES (nextval('s'), ?)", "postgresql"),
        ("INSERT INTO t (id, n) VALUES (currval('s'), ?)", "postgresql"),
        ("INSERT INTO t (id, n) VALUES (random(), ?)", "sqlite"),
        ("INSERT INTO t (id, n) VALUES (NOW(), ?)", "mysql"),
        ("INSERT INTO t (id, n) VALUES (CURRENT_TIMESTAMP, ?)", "sqlite"),
        ("INSERT INTO t (id, n) VALUES ((SELECT COALESCE(MAX(id), 0) + 1 FROM t), ?)", "sqlite"),
        ("INSERT INTO t (id, n) VALUES (lower((SELECT 'A')), ?)", "postgresql"),
        ("INSERT INTO t (id, n) VALUES (@next, ?)", "mysql"),
        ("INSERT INTO t (id, n) VALUES (DEFAULT, ?)", "postgresql"),
        ("INSERT INTO t (id, n) VALUES (id + 1, ?)", "mysql"),
        ("INSERT INTO t (id) VALUES (?) ON DUPLICATE KEY UPDATE id = LAST_INSERT_ID(id)", "mysql"),
        ("INSERT INTO t (id) VALUES (?) ON DUPLICATE KEY UPDATE n = (SELECT 1)", "mysql"),
    ],
)
def test_rows_whose_value_may_depend_on_the_rows_before_are_not_merged(
    sql: str, lexer: str
) -> None:
    assert parse_insert(sql, lexer) is None  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("sql", "lexer"),
    [
        ("INSERT INTO t VALUES (1, -2.5e3, NULL, TRUE, 'x'::character varying(3))", "postgresql"),
        (
            "INSERT INTO t VALUES (E'a\\n', '\\x00'::bytea, CAST(? AS integer), ARRAY[1, 2])",
            "postgresql",
        ),
        (
            "INSERT INTO t VALUES (1, replace(replace('a\\r\\n', '\\r', char(13)), '\\n', "
            "char(10)), X'00ff', unistr('\\u00e9'))",
            "sqlite",
        ),
        ("INSERT INTO t VALUES (1, _binary 'a', 0x1f, b'01', DATE '2020-01-01')", "mysql"),
        ("INSERT INTO t (a, n) VALUES (?, ?) ON DUPLICATE KEY UPDATE n = n + VALUES(n)", "mysql"),
    ],
)
def test_rows_of_literals_and_pure_functions_are_merged(sql: str, lexer: str) -> None:
    assert parse_insert(sql, lexer) is not None  # type: ignore[arg-type]


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
            st.sampled_from(["'a,b'", "'x)y'", "upper('a')", "lower(?)", "'it''s'", "NULL"]),
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


def test_plan_insert_batches_for_the_orm() -> None:
    rows = [(i, f"n{i}") for i in range(7)]
    plans = plan_insert_batches('"users"', ["id", "name"], rows, POSTGRESQL, max_params=6,
                                max_bytes=10**6, paramstyle="numeric")  # fmt: skip
    assert [len(p) for _, p in plans] == [6, 6, 2]
    assert plans[0][0] == 'INSERT INTO "users" ("id", "name") VALUES ($1, $2), ($3, $4), ($5, $6)'
    assert list(itertools.chain.from_iterable(p for _, p in plans)) == [
        v for row in rows for v in row
    ]
    mysql = plan_insert_batches("`t`", ["a"], [(1,), (2,)], MYSQL, 100, 10**6)
    assert mysql == [("INSERT INTO `t` (`a`) VALUES (?), (?)", [1, 2])]
    by_bytes = plan_insert_batches('"t"', ["a"], [("x" * 10,)] * 4, SQLITE, 100, 25)
    assert [len(p) for _, p in by_bytes] == [2, 2]


@pytest.mark.parametrize("table", ['"t"; DROP TABLE x; --', "t (a) VALUES (1); --", ""])
def test_plan_insert_batches_rejects_what_is_not_a_table(table: str) -> None:
    with pytest.raises(ArgumentError):
        plan_insert_batches(table, ["a"], [(1,)], SQLITE, 100, 1000)


def test_plan_insert_batches_checks_rows() -> None:
    with pytest.raises(ArgumentError):
        plan_insert_batches('"t"', ["a", "b"], [(1,)], SQLITE, 100, 1000)
    with pytest.raises(ArgumentError):
        plan_insert_batches('"t"', [], [], SQLITE, 100, 1000)
    assert plan_insert_batches('"t"', ["a"], [], SQLITE, 100, 1000) == []


def test_merged_sql_repeats_the_row_in_the_driver_style() -> None:
    template = parse_insert("INSERT INTO t (a, b) VALUES (?, 'x%') ON CONFLICT DO NOTHING",
                            "postgresql")  # fmt: skip
    assert template is not None
    assert merged_sql(template, "numeric", 3, 1) == (
        "INSERT INTO t (a, b) VALUES ($1, 'x%'), ($2, 'x%'), ($3, 'x%') ON CONFLICT DO NOTHING"
    )
    assert merged_sql(template, "format", 2, 1) == (
        "INSERT INTO t (a, b) VALUES (%s, 'x%%'), (%s, 'x%%') ON CONFLICT DO NOTHING"
    )
    # Built once per (style, rows, values per row): the same text object comes back.
    assert merged_sql(template, "numeric", 3, 1) is merged_sql(template, "numeric", 3, 1)


def test_merged_sql_cache_depends_on_every_argument() -> None:
    """A template is shared through the analysis cache: what it caches must be a function
    of the call, never of an earlier call."""
    template = parse_insert("INSERT INTO t (a, b) VALUES (?, ?)", "postgresql")
    assert template is not None
    assert merged_sql(template, "numeric", 2, 2) == "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)"
    assert merged_sql(template, "numeric", 2, 3) == "INSERT INTO t (a, b) VALUES ($1, $2), ($4, $5)"
    assert merged_sql(template, "qmark", 2, 2) == "INSERT INTO t (a, b) VALUES (?, ?), (?, ?)"


def test_rows_per_statement() -> None:
    assert rows_per_statement(65535, 0) == MAX_UNIT_ROWS  # literal rows: the row cap only
    assert rows_per_statement(65535, 2) == MAX_UNIT_ROWS
    assert rows_per_statement(65535, 100) == MAX_UNIT_PARAMS // 100
    assert rows_per_statement(999, 10) == 99
    assert rows_per_statement(5, 10) == 1  # one row at least
