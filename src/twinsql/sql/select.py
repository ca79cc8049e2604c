"""SQL feature, pure: the immutable state of a SELECT statement.

``Select`` holds everything a query needs — table, select list, WHERE, ORDER BY, LIMIT /
OFFSET, DISTINCT, joins, GROUP BY / HAVING, row locks and CTEs — as a frozen dataclass;
``replace`` returns a changed copy, which is how the ORM's immutable ``Query`` grows.
``Compound`` combines selects with UNION [ALL] / INTERSECT / EXCEPT.  Nothing here renders
SQL: ``compiler.py`` does, per dialect.

Validation happens at construction, before any I/O: LIMIT and OFFSET must be
non-negative ints (a bool or a str is refused, so nothing but a validated int is ever
bound there), ORDER BY strings must name fields of the table (``order_item``: never raw
SQL), aliases and CTE names must be plain identifiers, join kinds and lock options come
from allow-lists.  Anything typed as a condition must really be one of ours: a dict or
any look-alike object is refused.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

from twinsql.errors import ArgumentError
from twinsql.sql.expr import Col, Condition, Expr, label_name, to_select
from twinsql.sql.nodes import OrderItem
from twinsql.sql.table import TableInfo, shown, unknown_field

__all__ = ["CTE", "Compound", "ForUpdate", "Join", "OrderItem", "Select", "SelectLike",
           "check_count", "order_item"]  # fmt: skip

# Bigger values overflow PostgreSQL's bigint; MySQL's limit is unsigned 64-bit.
_MAX_COUNT = 2**63 - 1
COMPOUND_OPS = frozenset({"UNION", "UNION ALL", "INTERSECT", "EXCEPT"})


@runtime_checkable
class SelectLike(Protocol):
    """What a query object implements so that it can be used as a subquery."""

    def __twinsql_select__(self) -> Select | Compound: ...


def check_count(name: str, value: object) -> int | None:
    """Check a LIMIT or OFFSET: None or an int in 0 … 2**63-1 (bool refused)."""
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise ArgumentError(f"{name} must be an int, not {type(value).__name__} {shown(value)}")
    if not 0 <= value <= _MAX_COUNT:
        raise ArgumentError(f"{name} must be between 0 and {_MAX_COUNT}, not {value}")
    return value


def order_item(spec: str | Expr | OrderItem, table: TableInfo) -> OrderItem:
    """An ORDER BY term: ``"-created_at"`` → ``created_at DESC``, ``"name"`` → ascending,
    an ``Expr`` ascending, an ``OrderItem`` as is.  A string must be a field name of
    ``table`` (optionally after ``-``); anything else raises, listing the known fields."""
    if isinstance(spec, OrderItem):
        return spec
    if isinstance(spec, Expr):
        return OrderItem(spec)
    if not isinstance(spec, str):
        raise ArgumentError(f"order_by takes field names or expressions, not {shown(spec)}")
    descending = spec.startswith("-")
    name = spec[1:] if descending else spec
    if name not in table.columns:
        raise unknown_field(table.name, name, table.fields)
    return OrderItem(Col(name, table), descending)


def _tuple(value: Any, name: str, kind: type | tuple[type, ...]) -> tuple[Any, ...]:
    """``value`` as a tuple whose items are all ``kind`` (lists are accepted)."""
    items = value if type(value) is tuple else _as_tuple(value, name)
    for item in items:
        if not isinstance(item, kind):
            raise ArgumentError(f"{name} holds {shown(item)}, which is not a {_kind_name(kind)}")
    return items


def _as_tuple(value: Any, name: str) -> tuple[Any, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise ArgumentError(f"{name} must be a tuple, not {type(value).__name__}")
    return tuple(value)


def _kind_name(kind: type | tuple[type, ...]) -> str:
    return " or ".join(k.__name__ for k in kind) if isinstance(kind, tuple) else kind.__name__


def _condition(value: object, name: str) -> None:
    if value is not None and not isinstance(value, Condition):
        raise ArgumentError(f"{name} must be a condition, not {type(value).__name__}")


@dataclass(frozen=True)
class Join:
    """``INNER|LEFT JOIN table [AS alias] ON on``."""

    kind: Literal["INNER", "LEFT"]
    table: TableInfo
    on: Condition
    alias: str | None = None

    def __post_init__(self) -> None:
        kind = self.kind.upper() if isinstance(self.kind, str) else self.kind
        if kind not in ("INNER", "LEFT"):
            raise ArgumentError(f"join kind must be 'INNER' or 'LEFT', not {shown(self.kind)}")
        object.__setattr__(self, "kind", kind)
        if not isinstance(self.table, TableInfo):
            raise ArgumentError(f"a join needs a TableInfo, not {type(self.table).__name__}")
        _condition(self.on, "a join's ON")
        if self.on is None:
            raise ArgumentError("a join needs an ON condition")
        if self.alias is not None:
            label_name(self.alias)


@dataclass(frozen=True)
class CTE:
    """``name [(columns)] AS (select)`` in a WITH clause."""

    name: str
    select: Select | Compound
    recursive: bool = False
    columns: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        label_name(self.name)
        object.__setattr__(self, "select", to_select(self.select))
        columns = _tuple(self.columns, "CTE columns", str)
        for column in columns:
            label_name(column)
        object.__setattr__(self, "columns", columns)


@dataclass(frozen=True)
class ForUpdate:
    """A row lock: ``FOR UPDATE`` / ``FOR SHARE`` with ``NOWAIT`` or ``SKIP LOCKED`` and
    (PostgreSQL) ``OF`` tables.  SQLite has no row locks and gets nothing (see compiler)."""

    nowait: bool = False
    skip_locked: bool = False
    of: tuple[str, ...] = ()
    share: bool = False

    def __post_init__(self) -> None:
        if self.nowait and self.skip_locked:
            raise ArgumentError("a row lock takes nowait or skip_locked, not both")
        object.__setattr__(self, "of", _tuple(self.of, "for_update(of=…)", str))


@dataclass(frozen=True)
class Select:
    """One SELECT.  ``columns=()`` selects every field of ``table`` in field order, each
    aliased to its field name where the column is named differently."""

    table: TableInfo
    columns: tuple[Expr, ...] = ()
    where: Condition | None = None
    order_by: tuple[OrderItem, ...] = ()
    limit: int | None = None
    offset: int | None = None
    distinct: bool = False
    joins: tuple[Join, ...] = ()
    group_by: tuple[Expr, ...] = ()
    having: Condition | None = None
    for_update: ForUpdate | None = None
    ctes: tuple[CTE, ...] = ()
    from_cte: str | None = None

    def __post_init__(self) -> None:
        # Writing to __dict__ bypasses the frozen __setattr__ (lists become tuples).
        values = self.__dict__
        for name, default, check in _SELECT_FIELDS:
            value = values[name]
            if value is not default:  # a default needs no check
                checked = check(value)
                if checked is not value:
                    values[name] = checked

    def replace(self, **changes: Any) -> Select:
        """A copy with ``changes`` (like ``dataclasses.replace``, but only the changed
        fields are checked again: this runs once per call of a query-builder method)."""
        new = object.__new__(Select)
        values = new.__dict__
        values.update(self.__dict__)
        for name, value in changes.items():
            check = _SELECT_CHECKS.get(name)
            if check is None:
                raise TypeError(f"Select has no field {name!r}")
            values[name] = check(value)
        return new

    def __twinsql_select__(self) -> Select:
        return self


def _check_table(value: object) -> TableInfo:
    if not isinstance(value, TableInfo):
        raise ArgumentError(f"a select needs a TableInfo, not {type(value).__name__}")
    return value


def _items(name: str, kind: type) -> Callable[[Any], tuple[Any, ...]]:
    def check(value: Any) -> tuple[Any, ...]:
        # "== ()" compares lengths only; a tuple of expressions is never compared itemwise.
        return value if value == () else _tuple(value, name, kind)

    return check


def _where(name: str) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        _condition(value, name)
        return value

    return check


def _lock(value: object) -> ForUpdate | None:
    if value is not None and not isinstance(value, ForUpdate):
        raise ArgumentError(f"for_update must be a ForUpdate, not {type(value).__name__}")
    return value


def _from_cte(value: object) -> str | None:
    return None if value is None else label_name(value)


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise ArgumentError(f"distinct must be a bool, not {type(value).__name__}")
    return value


_MISSING = object()
_SELECT_CHECKS: dict[str, Callable[[Any], Any]] = {
    "table": _check_table,
    "columns": _items("columns", Expr),
    "where": _where("where"),
    "order_by": _items("order_by", OrderItem),
    "limit": lambda value: check_count("limit", value),
    "offset": lambda value: check_count("offset", value),
    "distinct": _flag,
    "joins": _items("joins", Join),
    "group_by": _items("group_by", Expr),
    "having": _where("having"),
    "for_update": _lock,
    "ctes": _items("ctes", CTE),
    "from_cte": _from_cte,
}
_SELECT_FIELDS = tuple(
    (f.name, _MISSING if f.name == "table" else f.default, _SELECT_CHECKS[f.name])
    for f in dataclasses.fields(Select)
)


@dataclass(frozen=True)
class Compound:
    """``part op part op part …`` — ``parts`` is ``(("", first), ("UNION", second), …)``:
    the first operator is empty, the others are UNION, UNION ALL, INTERSECT or EXCEPT
    (the last two not on MySQL).  ORDER BY names the result's columns (field names)."""

    parts: tuple[tuple[str, Select], ...]
    order_by: tuple[OrderItem, ...] = ()
    limit: int | None = None
    offset: int | None = None

    def __post_init__(self) -> None:
        parts = _as_tuple(self.parts, "parts")
        if len(parts) < 2:
            raise ArgumentError("a compound select needs at least two parts")
        normal: list[tuple[str, Select]] = []
        for index, part in enumerate(parts):
            if not isinstance(part, tuple) or len(part) != 2:
                raise ArgumentError(f"each compound part is (operator, Select), not {shown(part)}")
            op, select = part
            op = " ".join(op.upper().split()) if isinstance(op, str) else op
            if index == 0 and op != "":
                raise ArgumentError(
                    f"the first compound part's operator must be '', not {shown(op)}"
                )
            if index and op not in COMPOUND_OPS:
                raise ArgumentError(
                    f"unknown compound operator {shown(part[0])}; expected one of: "
                    + ", ".join(sorted(COMPOUND_OPS))
                )
            if not isinstance(select, Select):
                select = to_select(select)
                if not isinstance(select, Select):
                    raise ArgumentError("compound parts must be Selects (nest with a CTE)")
            normal.append((op, select))
        object.__setattr__(self, "parts", tuple(normal))
        object.__setattr__(self, "order_by", _tuple(self.order_by, "order_by", OrderItem))
        check_count("limit", self.limit)
        check_count("offset", self.offset)

    def replace(self, **changes: Any) -> Compound:
        return dataclasses.replace(self, **changes)

    def __twinsql_select__(self) -> Compound:
        return self
