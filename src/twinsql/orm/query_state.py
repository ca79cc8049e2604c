"""ORM feature, pure: the state of an ORM query, and the SQL each terminal sends.

``QueryState`` is what ``twinsql.orm.Query`` wraps: the model's metadata, a ``Select``
(``twinsql.sql.select``), the relations to eager-load, the soft-delete visibility, an
optional upsert clause and RETURNING fields, and the UNION parts. It is immutable; the query
builder returns a new state for every call. The functions below check a terminal's
arguments and turn a state into the SQL that terminal sends — before any I/O, so a bad
argument fails without touching the database; the terminals (``_async/terminals.py`` and its
sync twin) send it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Generic, Literal, TypeVar

from twinsql.errors import ArgumentError, ProgrammingError, RecordNotFound
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

__all__ = [
    "MAX_PER_PAGE",
    "EagerLoad",
    "Page",
    "QueryState",
    "aggregate_sql",
    "at_most_two",
    "check_aggregate_names",
    "check_update_values",
    "count_sql",
    "delete_sql",
    "exists_sql",
    "first_sql",
    "keyset_after",
    "keyset_start",
    "only_record",
    "page_state",
    "select_sql",
    "statement",
    "update_sql",
    "visible_select",
]

T = TypeVar("T")
# The largest page ``paginate`` serves.
MAX_PER_PAGE = 1000
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
    """At least one aggregate; their names become column aliases, so plain identifiers
    only."""
    if not named:
        raise ArgumentError("aggregate() needs at least one named aggregate")
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


def check_update_values(values: Mapping[str, Any]) -> None:
    """``update()`` sets at least one field."""
    if not values:
        raise ArgumentError("update() needs at least one field=value")


def _check_plain(select: Select, what: str) -> None:
    if select.joins or select.group_by or select.limit is not None or select.offset is not None:
        raise ArgumentError(
            f"{what}() applies to the rows a WHERE selects; joins, grouping, limit and "
            "offset are not allowed on it"
        )


def at_most_two(state: QueryState) -> QueryState:
    """The state ``one()``/``one_or_none()`` run: two rows are enough to tell "several"."""
    return state.with_select(limit=2) if state.select.limit is None else state


def only_record(state: QueryState, records: list[Any], *, required: bool) -> Any:
    """The one record of ``one()`` (``required``) or ``one_or_none()``: several is an error,
    and so is none when one is required."""
    name = state.info.model.__name__
    if len(records) > 1:
        raise ProgrammingError(f"one_or_none() expected at most one {name}, found several")
    if not records:
        if required:
            raise RecordNotFound(f"one() found no {name}")
        return None
    return records[0]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def page_state(state: QueryState, page: int, per_page: int) -> QueryState:
    """The state of page ``page`` (from 1) of ``per_page`` rows (1 to ``MAX_PER_PAGE``)."""
    if not _is_int(page) or page < 1:
        raise ArgumentError(f"page must be an int >= 1, got {page!r}")
    if not _is_int(per_page) or not 1 <= per_page <= MAX_PER_PAGE:
        raise ArgumentError(f"per_page must be an int from 1 to {MAX_PER_PAGE}, got {per_page!r}")
    return state.with_select(limit=per_page, offset=(page - 1) * per_page)


def keyset_start(state: QueryState, batch_size: int) -> QueryState:
    """The first batch of ``iterate()``: ``batch_size`` records in primary-key order."""
    if not _is_int(batch_size) or batch_size < 1:
        raise ArgumentError(f"batch_size must be an int >= 1, got {batch_size!r}")
    info = state.info
    order = tuple(Col(k, table=info.table).asc() for k in info.primary_keys)
    return state.with_select(order_by=order, limit=batch_size)


def keyset_after(start: QueryState, last: Sequence[Any]) -> QueryState:
    """The batch after the one that ended at the key values ``last`` (keyset pagination:
    stable and cheap however far it goes). For a composite key (a, b) the rows after it
    are ``a > ? OR (a = ? AND b > ?)``: the key order, spelled so that every backend uses
    the key's index."""
    info = start.info
    cols = [Col(k, table=info.table) for k in info.primary_keys]
    values = tuple(last)
    after: Condition | None = None
    for depth, col in enumerate(cols):
        step: Condition | None = None
        for prior, value in zip(cols[:depth], values[:depth], strict=True):
            equal = prior == value
            step = equal if step is None else step & equal
        greater = col > values[depth]
        step = greater if step is None else step & greater
        after = step if after is None else after | step
    assert after is not None
    where = start.select.where
    return start.with_select(where=after if where is None else where & after)
