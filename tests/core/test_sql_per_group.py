"""Pure tests of twinsql.sql.per_group: LIMIT/OFFSET per group of rows."""

from __future__ import annotations

import pytest

from twinsql.errors import ArgumentError
from twinsql.sql.compiler import compile_select
from twinsql.sql.dialects import POSTGRESQL
from twinsql.sql.expr import Col
from twinsql.sql.per_group import per_group
from twinsql.sql.select import Join, Select
from twinsql.sql.table import TableInfo

ITEMS = TableInfo("items", ("id", "box", "size"), {"box": "BoxId"})
BOXES = TableInfo("boxes", ("id",))


def test_a_select_without_paging_is_left_as_it_is() -> None:
    select = Select(ITEMS)
    assert per_group(select, "box") is select


def test_an_offset_alone_numbers_rows_per_group_on_mapped_columns() -> None:
    sql, params = compile_select(per_group(Select(ITEMS, offset=2), "box"), POSTGRESQL)
    assert sql == (
        'WITH "_tw_ranked" AS (SELECT "id", "BoxId" AS "box", "size", ROW_NUMBER() OVER '
        '(PARTITION BY "BoxId" ORDER BY "id") AS "_tw_rn" FROM "items") '
        'SELECT "id", "box", "size" FROM "_tw_ranked" WHERE "_tw_rn" > ? ORDER BY "_tw_rn"'
    )
    assert params == [2]


def test_joins_grouping_and_select_lists_are_refused() -> None:
    join = Join("INNER", BOXES, Col("box", ITEMS) == Col("id", BOXES))
    for select in (
        Select(ITEMS, joins=(join,), limit=1),
        Select(ITEMS, group_by=(Col("box"),), limit=1),
        Select(ITEMS, columns=(Col("id"),), limit=1),
    ):
        with pytest.raises(ArgumentError, match="per parent"):
            per_group(select, "box")
