"""SQL feature, pure: LIMIT and OFFSET applied per group rather than to the whole result.

A select-in load of ``orders`` for many users, refined with ``order_by("-total").limit(3)``,
means *three orders per user*; a plain ``LIMIT 3`` on the batched ``WHERE user_id IN (…)``
would give three in all. ``per_group`` rewrites such a select into a numbered CTE::

    WITH "_tw_ranked" AS (
        SELECT <fields>, ROW_NUMBER() OVER (PARTITION BY <group> ORDER BY <order>) AS "_tw_rn"
        FROM … WHERE …)
    SELECT <fields> FROM "_tw_ranked" WHERE "_tw_rn" > <offset> [AND "_tw_rn" <= <end>]
    ORDER BY "_tw_rn"

Window functions and CTEs exist on every supported backend (PostgreSQL, MariaDB ≥ 10.2,
MySQL ≥ 8, SQLite ≥ 3.25). Without an ORDER BY the rows of a group are numbered in
primary-key order, so the rows a page holds are always the same.
"""

from __future__ import annotations

from twinsql.errors import ArgumentError
from twinsql.sql.expr import Col, Condition
from twinsql.sql.functions import RowNumber
from twinsql.sql.nodes import OrderItem
from twinsql.sql.select import CTE, Select

__all__ = ["RANKED_CTE", "RANK_COLUMN", "per_group"]

RANKED_CTE = "_tw_ranked"
RANK_COLUMN = "_tw_rn"


def per_group(select: Select, group: str | tuple[str, ...]) -> Select:
    """``select`` with its LIMIT/OFFSET applied to each group of rows that share the field
    ``group`` (or every field of a tuple: a composite key) — ``select`` itself when it has
    neither. The select must list its table's
    fields (no joins, grouping, DISTINCT or explicit select list): it is a relation's
    rows."""
    if select.limit is None and select.offset is None:
        return select
    if select.joins or select.group_by or select.distinct or select.columns:
        raise ArgumentError(
            "a limit or offset per parent applies to a plain select of the related rows; "
            "joins, grouping, distinct and select() are not allowed with it"
        )
    table = select.table
    order = select.order_by or tuple(OrderItem(Col(k, table=table)) for k in table.primary_keys)
    groups = (group,) if isinstance(group, str) else group
    rank = RowNumber().over(
        partition_by=[Col(g, table=table) for g in groups], order_by=list(order)
    )
    inner = select.replace(
        columns=(*(Col(f, table=table) for f in table.fields), rank.label(RANK_COLUMN)),
        order_by=(),
        limit=None,
        offset=None,
        ctes=(),
    )
    number = Col(RANK_COLUMN)
    offset = select.offset or 0
    where: Condition = number > offset
    if select.limit is not None:
        where = where & (number <= offset + select.limit)
    return Select(
        table,
        where=where,
        order_by=(OrderItem(number),),
        ctes=(*select.ctes, CTE(RANKED_CTE, inner)),
        from_cte=RANKED_CTE,
        for_update=select.for_update,
    )
