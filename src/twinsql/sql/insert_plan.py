"""SQL feature, pure: a bulk INSERT of rows, planned as multi-row statements.

``plan_insert_batches`` (public as ``twinsql.plan_insert_batches``; the ORM's bulk insert
uses it) turns rows for a table into ``(sql, params)`` pairs, each one multi-row INSERT
built by ``insert.merged_sql``.  ``MAX_UNIT_ROWS`` and ``MAX_UNIT_PARAMS`` cap every
multi-row statement, here and in the batch feature's planner alike.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Sequence
from typing import Any

from twinsql.errors import ArgumentError
from twinsql.sql.dialects import Dialect
from twinsql.sql.insert import merged_sql, parse_insert
from twinsql.sql.placeholders import ParamStyle
from twinsql.sql.sizes import values_size

__all__ = ["MAX_UNIT_PARAMS", "MAX_UNIT_ROWS", "plan_insert_batches", "rows_per_statement"]

# Multi-row statements stop growing at this many rows (and placeholders) even where the
# driver allows more: measured on SQLite, 200-1000 rows per statement run fastest (1.25 µs a
# row against 1.4 at 5000); on PostgreSQL and MariaDB larger statements gained nothing.
MAX_UNIT_ROWS = 1000
MAX_UNIT_PARAMS = 16_384


def rows_per_statement(max_params: int, per_row: int) -> int:
    """How many rows of ``per_row`` values one multi-row statement may carry: under the
    driver's ``max_params`` and the caps above, and at least one."""
    if not per_row:
        return MAX_UNIT_ROWS
    return max(1, min(MAX_UNIT_ROWS, min(max_params, MAX_UNIT_PARAMS) // per_row))


def plan_insert_batches(
    table_sql: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    dialect: Dialect,
    max_params: int,
    max_bytes: int,
    *,
    paramstyle: ParamStyle = "qmark",
) -> list[tuple[str, list[Any]]]:
    """Plan a bulk INSERT of ``rows`` into ``columns`` of ``table_sql`` (an already quoted
    table reference, e.g. ``dialect.quote_identifier("users")``) as multi-row statements.

    Returns ``(sql, params)`` pairs in ``paramstyle``: ``"qmark"`` (the default) gives
    ``?`` placeholders for ``conn.execute_non_query``; the driver's own style
    (``conn.raw.paramstyle``) gives text that needs no further translation. Each statement
    has at most ``max_params`` parameters and about ``max_bytes`` bytes of values (one row
    per statement at least); rows are kept in order. Column names are quoted here.
    """
    if not columns:
        raise ArgumentError("plan_insert_batches needs at least one column")
    width = len(columns)
    quoted = ", ".join(dialect.quote_identifier(c) for c in columns)
    marks = ", ".join(["?"] * width)
    sql = f"INSERT INTO {table_sql} ({quoted}) VALUES ({marks})"
    template = parse_insert(sql, dialect.name)  # type: ignore[arg-type]
    if (
        template is None
        or template.columns != width
        or sql[: template.row[0]] != f"INSERT INTO {table_sql} ({quoted}) VALUES "
        or sql[template.row[0] :] != f"({marks})"
    ):
        # table_sql must be a table reference and nothing else (no comment, no ";").
        raise ArgumentError(f"not a table reference: {table_sql!r}")
    for position, row in enumerate(rows):
        if len(row) != width:
            raise ArgumentError(
                f"row {position} has {len(row)} values; expected {width} (one per column)"
            )
    if max_params < width:
        raise ArgumentError(f"max_params={max_params} is less than one row ({width} values)")
    per_statement = rows_per_statement(max_params, width)
    sizes = [values_size(row) for row in rows]
    cumulative = list(itertools.accumulate(sizes, initial=0))
    plans: list[tuple[str, list[Any]]] = []
    start = 0
    while start < len(rows):
        stop = min(len(rows), start + per_statement)
        # Largest stop whose values fit max_bytes (bisect on the cumulative sizes).
        limit = cumulative[start] + max_bytes
        fit = bisect.bisect_right(cumulative, limit, start + 1, stop + 1) - 1
        stop = max(start + 1, min(stop, fit))
        count = stop - start
        text = merged_sql(template, paramstyle, count, width)
        plans.append((text, list(itertools.chain.from_iterable(rows[start:stop]))))
        start = stop
    return plans
