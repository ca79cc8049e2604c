"""Core layer (pure): the state of an ORM query and the SQL each terminal sends.

``QueryState`` is what ``twinsql.orm.Query`` wraps: the model's metadata, a ``Select``
(``core.sql``), the relations to eager-load, the soft-delete visibility and an optional
upsert clause. It is immutable; the query builder returns a new state for every call. The
functions below turn a state into the SQL of each terminal; the I/O shell
(``_async/query.py``) sends it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Generic, Literal, TypeVar

from twinsql.orm.meta import ModelInfo
from twinsql.sql.compiler import (
    compile_aggregate,
    compile_count,
    compile_exists,
    compile_select,
)
from twinsql.sql.dialects import Dialect
from twinsql.sql.dml import OnConflict, compile_delete, compile_update
from twinsql.sql.expr import Col, Condition, Expr, label_name
from twinsql.sql.select import Compound, Select

__all__ = ["EagerLoad", "Page", "QueryState", "visible_select"]

T = TypeVar("T")
Visibility = Literal["live", "all", "deleted"]
SQL = tuple[str, list[Any]]


@dataclass(frozen=True)
class EagerLoad:
    """One ``with_`` path: ``orders.items`` is ("orders", "items"); ``refine`` optionally
    narrows the related query (a function from query to query)."""

    path: tuple[str, ...]
    refine: Any = None


@dataclass(frozen=True)
class QueryState:
    info: ModelInfo
    select: Select
    eager: tuple[EagerLoad, ...] = ()
    visibility: Visibility = "live"
    on_conflict: OnConflict | None = None
    returning: tuple[str, ...] = ()
    # UNION / UNION ALL parts after this query's own select, in order.
    unions: tuple[tuple[str, Select], ...] = ()

    def evolve(self, **changes: Any) -> QueryState:
        return replace(self, **changes)

    def with_select(self, **changes: Any) -> QueryState:
        return replace(self, select=replace(self.select, **changes))


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of results: ``items`` plus the totals a pager needs."""

    items: list[T]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def visible_select(state: QueryState) -> Select:
    """The state's select with the soft-delete filter applied."""
    field = state.info.soft_delete_field
    select = state.select
    if field is None or state.visibility == "all":
        return select
    column = Col(field, table=state.info.table)
    condition: Condition = column.is_null() if state.visibility == "live" else column.is_not_null()
    where = condition if select.where is None else select.where & condition
    return replace(select, where=where)


def statement(state: QueryState) -> Select | Compound:
    """The SELECT a state stands for: its own select, or a compound of it and its unions
    (the ordering and paging then apply to the whole compound)."""
    select = visible_select(state)
    if not state.unions:
        return select
    head = replace(select, order_by=(), limit=None, offset=None)
    return Compound(
        (("", head), *state.unions),
        order_by=select.order_by,
        limit=select.limit,
        offset=select.offset,
    )


def select_sql(state: QueryState, dialect: Dialect) -> SQL:
    return compile_select(statement(state), dialect)


def first_sql(state: QueryState, dialect: Dialect) -> SQL:
    return compile_select(statement(replace(state, select=replace(state.select, limit=1))), dialect)


def count_sql(state: QueryState, dialect: Dialect) -> SQL:
    return compile_count(statement(state), dialect)


def exists_sql(state: QueryState, dialect: Dialect) -> SQL:
    return compile_exists(visible_select(state), dialect)


def check_aggregate_names(named: Mapping[str, Expr]) -> None:
    """Aggregate names become column aliases: plain identifiers only, checked before I/O."""
    for name in named:
        label_name(name)


def aggregate_sql(state: QueryState, named: Mapping[str, Expr], dialect: Dialect) -> SQL:
    return compile_aggregate(visible_select(state), named, dialect)


def update_sql(state: QueryState, values: Mapping[str, Any], dialect: Dialect) -> SQL:
    select = visible_select(state)
    _check_plain(select, "update")
    for name in values:
        state.info.check_field(name)
    return compile_update(
        state.info.table,
        state.info.to_db(dict(values)),
        select.where,
        dialect,
        returning=state.returning,
    )


def delete_sql(state: QueryState, dialect: Dialect) -> SQL:
    select = visible_select(state)
    _check_plain(select, "delete")
    return compile_delete(state.info.table, select.where, dialect, returning=state.returning)


def _check_plain(select: Select, what: str) -> None:
    from twinsql.errors import ArgumentError

    if select.joins or select.group_by or select.limit is not None or select.offset is not None:
        raise ArgumentError(
            f"{what}() applies to the rows a WHERE selects; joins, grouping, limit and "
            "offset are not allowed on it"
        )
