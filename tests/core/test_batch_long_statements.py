"""A long statement is analysed from the start of its text: a dump's megabyte multi-row
INSERT gets the same shape as before without an item per value, and a long single-row
INSERT is still merged (no database)."""

from __future__ import annotations

import tracemalloc

import pytest

from twinsql.batch.statements import analyze
from twinsql.sql.insert import parse_insert, second_row_follows
from twinsql.sql.lexer import scan_items

ROWS = ",".join(f"({i},{i % 4},{i % 997},{i % 7},{i % 1000}.25)" for i in range(45_000))
MULTI = f"INSERT INTO `order_lines` VALUES {ROWS};"  # about 1 MB, as mariadb-dump writes


def test_a_megabyte_multi_row_insert_is_analysed_in_bounded_memory() -> None:
    assert len(MULTI) > 1_000_000
    tracemalloc.start()
    try:
        shape = analyze(MULTI, "format", "mysql", verbatim=True)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert shape.template is None
    assert shape.verb == "INSERT"
    assert shape.target == "order_lines"
    assert shape.compiled.text == MULTI
    assert shape.text_size == len(MULTI)
    # An item per value of it would be tens of megabytes.
    assert peak < 4_000_000, peak


def test_a_long_single_row_insert_still_gets_its_template() -> None:
    long_value = "x" * 50_000
    sql = f"INSERT INTO t (a, b) VALUES (1, '{long_value}');"
    shape = analyze(sql, "format", "mysql", verbatim=True)
    assert shape.template is not None
    short = analyze("INSERT INTO t (a, b) VALUES (2, 'y');", "format", "mysql", verbatim=True)
    assert shape.key == short.key  # merged with the other rows of the table
    assert shape.template.row_text("format") == f"(1, '{long_value}')"


@pytest.mark.parametrize(
    ("sql", "lexer"),
    [
        ("INSERT INTO t VALUES (1, 'a'), (2, 'b')", "mysql"),
        ("INSERT INTO t (a, b) VALUES (1, f(2)) /* note */ , (2, 3)", "postgresql"),
        ("INSERT INTO t (a) VALUE (1),(2)", "mysql"),
    ],
)
def test_a_second_row_is_seen_from_the_start_of_the_text(sql: str, lexer: str) -> None:
    items = scan_items(sql, lexer)
    assert items is not None
    assert second_row_follows(sql, items)
    assert parse_insert(sql, lexer, items) is None


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO t (a, b) VALUES (1, 2)",
        "INSERT INTO t (a, b) VALUES (1, 2) ON CONFLICT DO NOTHING",
        "INSERT INTO t SELECT * FROM (VALUES (1), (2)) AS v",
        "INSERT INTO t (a, b) VALUES (1, (2))",
    ],
)
def test_no_second_row_is_claimed_where_there_is_none(sql: str) -> None:
    items = scan_items(sql, "postgresql")
    assert items is not None
    assert not second_row_follows(sql, items)


def test_an_unfinished_start_claims_no_second_row() -> None:
    sql = "INSERT INTO t VALUES ('" + "y" * 100 + "'), (2)"
    items = scan_items(sql, "mysql", head=40)
    assert items is not None
    assert not second_row_follows(sql, items)


@pytest.mark.parametrize("head", [0, 1, 7, 19, 20, 31, 64, 1000])
def test_the_head_items_are_the_whole_items_that_end_before_it(head: int) -> None:
    sql = "INSERT INTO tab (a, b) VALUES ('it''s', 12.5), ('x', 3)"
    everything = scan_items(sql, "mysql")
    assert everything is not None
    expected = [item for item in everything if item[2] < head] if head < len(sql) else everything
    assert scan_items(sql, "mysql", head=head) == expected
