"""SQL feature, pure: the composite nodes of the expression tree — comparisons, IN,
BETWEEN, LIKE, IS NULL, AND / OR / NOT, EXISTS, arithmetic, labels, subqueries — and
``OrderItem``.

They are built by the operators of ``Expr`` (``expr.py``) and render themselves through
the compiler's context; see ``expr.py`` for the rules they share (bound values,
precedence, no truth value except the identity test of ``==``/``!=``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from twinsql.errors import ArgumentError
from twinsql.sql.expr import (
    NO_TRUTH,
    P_ADD,
    P_AND,
    P_CMP,
    P_MUL,
    P_NOT,
    P_OR,
    Condition,
    Expr,
    coerce,
    condition,
    enum_value,
    label_name,
    to_select,
)
from twinsql.sql.table import shown

if TYPE_CHECKING:
    from twinsql.sql.context import Context
    from twinsql.sql.select import Compound, Select

__all__ = ["OR_ROWS_MAX", "Aliased", "And", "Arith", "Between", "Compare", "Exists", "InList",
           "Like", "Not", "Null", "Or", "OrderItem", "RowIn", "Subquery", "exists"]  # fmt: skip

_set = object.__setattr__


class Aliased(Expr):
    """``expr AS "alias"`` in a select list; anywhere else it stands for ``expr``."""

    __slots__ = ("_prec", "alias", "expr")  # _prec: per instance
    alias: str
    expr: Expr

    def __init__(self, expr: Expr, alias: str) -> None:
        if not isinstance(expr, Expr):
            raise ArgumentError(f"label() needs an expression, not {type(expr).__name__}")
        _set(self, "expr", expr.expr if isinstance(expr, Aliased) else expr)
        _set(self, "alias", label_name(alias))
        _set(self, "_prec", self.expr._prec)

    def _render(self, ctx: Context) -> str:
        return self.expr._render(ctx)


class Subquery(Expr):
    """``(SELECT …)`` used as a value, e.g. the right side of ``IN`` or of ``=``."""

    __slots__ = ("select",)
    select: Select | Compound

    def __init__(self, query: object) -> None:
        _set(self, "select", to_select(query))

    def _render(self, ctx: Context) -> str:
        return "(" + ctx.subquery(self.select) + ")"


class Arith(Expr):
    """``left op right`` for + - * /."""

    __slots__ = ("_prec", "left", "op", "right")  # _prec: per instance
    left: Expr
    op: str
    right: Expr

    def __init__(self, left: Expr, op: str, right: Expr) -> None:
        _set(self, "left", left)
        _set(self, "op", op)
        _set(self, "right", right)
        _set(self, "_prec", P_ADD if op in "+-" else P_MUL)

    def _render(self, ctx: Context) -> str:
        # The right operand binds one step tighter: a - (b - c) keeps its parentheses.
        prec = self._prec
        return f"{ctx.sub(self.left, prec)} {self.op} {ctx.sub(self.right, prec + 1)}"


# --- conditions ------------------------------------------------------------


class Compare(Condition):
    """``left op right`` for = <> < <= > >=."""

    __slots__ = ("_origin", "left", "op", "right")
    _origin: tuple[object, object, bool] | None
    left: Expr
    op: str
    right: Expr
    _prec = P_CMP

    def __init__(
        self, left: Expr, op: str, right: Expr, origin: tuple[object, object, bool] | None = None
    ) -> None:
        _set(self, "left", left)
        _set(self, "op", op)
        _set(self, "right", right)
        _set(self, "_origin", origin)

    def __bool__(self) -> bool:
        return _identity_truth(self._origin)

    def _render(self, ctx: Context) -> str:
        return f"{ctx.sub(self.left, P_ADD)} {self.op} {ctx.sub(self.right, P_ADD)}"


def _identity_truth(origin: tuple[object, object, bool] | None) -> bool:
    if origin is None:
        raise TypeError(NO_TRUTH)
    left, right, negated = origin
    return (left is right) != negated


class Null(Condition):
    """``expr IS NULL`` / ``expr IS NOT NULL``."""

    __slots__ = ("_origin", "expr", "negated")
    _origin: tuple[object, object, bool] | None
    expr: Expr
    negated: bool
    _prec = P_CMP

    def __init__(
        self, expr: Expr, negated: bool, origin: tuple[object, object, bool] | None = None
    ) -> None:
        _set(self, "expr", expr)
        _set(self, "negated", negated)
        _set(self, "_origin", origin)

    def __bool__(self) -> bool:
        return _identity_truth(self._origin)

    def _render(self, ctx: Context) -> str:
        return ctx.sub(self.expr, P_ADD) + (" IS NOT NULL" if self.negated else " IS NULL")


class InList(Condition):
    """``expr [NOT] IN (…)`` over values or a subquery."""

    __slots__ = ("expr", "negated", "plain", "query", "values")
    expr: Expr
    negated: bool
    plain: bool
    query: Select | Compound | None
    values: tuple[Any, ...]
    _prec = P_CMP

    def __init__(self, expr: Expr, values: object, negated: bool) -> None:
        _set(self, "expr", expr)
        _set(self, "negated", negated)
        query: Select | Compound | None = None
        items: tuple[Any, ...] = ()
        if isinstance(values, Expr) and not isinstance(values, Subquery):
            raise ArgumentError("in_() takes a collection of values or a query, not an expression")
        if isinstance(values, Subquery):
            query = values.select
        elif getattr(type(values), "__twinsql_select__", None) is not None:
            query = to_select(values)
        elif isinstance(values, (str, bytes, bytearray, Mapping)) or not isinstance(
            values, Iterable
        ):
            raise ArgumentError(
                f"in_() takes a list, tuple or set of values (or a query), not "
                f"{type(values).__name__}"
            )
        else:
            items = tuple(map(enum_value, values))
        _set(self, "query", query)
        _set(self, "values", items)
        # Plain values render as one run of "?, ?, …"; expressions need one render each.
        _set(self, "plain", not any(isinstance(v, Expr) for v in items))

    def _render(self, ctx: Context) -> str:
        op = " NOT IN (" if self.negated else " IN ("
        if self.query is not None:
            return ctx.sub(self.expr, P_ADD) + op + ctx.subquery(self.query) + ")"
        if not self.values:
            return "1 = 1" if self.negated else "1 = 0"  # never the invalid "IN ()"
        left = ctx.sub(self.expr, P_ADD)
        if self.plain:
            ctx.params.extend(self.values)
            return left + op + "?, " * (len(self.values) - 1) + "?)"
        inner = ", ".join(ctx.sub(coerce(v), P_ADD) for v in self.values)
        return left + op + inner + ")"


# Rows one RowIn holds where it is spelled as ORs: SQLite searches the key's index for each
# of a few thousand OR-ed terms, but gives that up further on (5 000 rows: 40 ms over 100 000
# rows; 16 000 rows: a scan of the table per row, a minute).
OR_ROWS_MAX = 500


class RowIn(Condition):
    """``(a, b) IN ((?, ?), (?, ?), …)``: rows of values matched column by column (a
    composite key). Where the dialect's planner does not search an index for that
    (``row_value_in`` false) the same rows are ``((a = ? AND b = ?) OR (a = ? AND b = ?))``,
    the ORs nested in balanced halves: a flat chain of OR is as deep as it is long, and
    SQLite refuses expressions deeper than 1000. An empty list is always false."""

    __slots__ = ("exprs", "rows")
    exprs: tuple[Expr, ...]
    rows: tuple[tuple[Any, ...], ...]
    _prec = P_CMP

    def __init__(self, exprs: Iterable[Expr], rows: Iterable[Iterable[Any]]) -> None:
        columns = tuple(exprs)
        if len(columns) < 2:
            raise ArgumentError("a row IN compares two or more columns; use in_() for one")
        values = tuple(tuple(row) for row in rows)
        for row in values:
            if len(row) != len(columns):
                raise ArgumentError(
                    f"a row of {len(row)} values matched against {len(columns)} columns"
                )
        _set(self, "exprs", columns)
        _set(self, "rows", values)

    def _render(self, ctx: Context) -> str:
        if not self.rows:
            return "1 = 0"  # never the invalid "IN ()"
        columns = [ctx.sub(e, P_ADD) for e in self.exprs]
        for row in self.rows:
            ctx.params.extend(row)
        if ctx.dialect.capabilities.row_value_in:
            one = "(" + "?, " * (len(columns) - 1) + "?)"
            return "(" + ", ".join(columns) + ") IN (" + ", ".join([one] * len(self.rows)) + ")"
        return _balanced_or(" AND ".join(f"{c} = ?" for c in columns), len(self.rows))


def _balanced_or(term: str, count: int) -> str:
    """``count`` copies of ``term`` ORed, each parenthesised, in halves: depth log2(count)."""
    if count == 1:
        return "(" + term + ")"
    half = count // 2
    return "(" + _balanced_or(term, half) + " OR " + _balanced_or(term, count - half) + ")"


class Between(Condition):
    __slots__ = ("expr", "high", "low")
    expr: Expr
    high: Expr
    low: Expr
    _prec = P_CMP

    def __init__(self, expr: Expr, low: Expr, high: Expr) -> None:
        _set(self, "expr", expr)
        _set(self, "low", low)
        _set(self, "high", high)

    def _render(self, ctx: Context) -> str:
        expr = ctx.sub(self.expr, P_ADD)
        low = ctx.sub(self.low, P_ADD)
        return f"{expr} BETWEEN {low} AND {ctx.sub(self.high, P_ADD)}"


class Like(Condition):
    __slots__ = ("escaped", "expr", "negated", "pattern")
    escaped: bool
    expr: Expr
    negated: bool
    pattern: Expr
    _prec = P_CMP

    def __init__(self, expr: Expr, pattern: Expr, negated: bool, escaped: bool) -> None:
        _set(self, "expr", expr)
        _set(self, "pattern", pattern)
        _set(self, "negated", negated)
        _set(self, "escaped", escaped)

    def _render(self, ctx: Context) -> str:
        op = " NOT LIKE " if self.negated else " LIKE "
        text = ctx.sub(self.expr, P_ADD) + op + ctx.sub(self.pattern, P_ADD)
        return text + " ESCAPE '!'" if self.escaped else text


class And(Condition):
    __slots__ = ("items",)
    items: tuple[Condition, ...]
    _prec = P_AND

    def __init__(self, items: Iterable[Condition]) -> None:
        flat: list[Condition] = []
        for item in items:  # a & b & c is one AND of three, not nested pairs
            flat.extend(item.items if isinstance(item, And) else (item,))
        _set(self, "items", tuple(flat))

    def _render(self, ctx: Context) -> str:
        return " AND ".join([ctx.sub(item, P_AND) for item in self.items])


class Or(Condition):
    __slots__ = ("items",)
    items: tuple[Condition, ...]
    _prec = P_OR

    def __init__(self, items: Iterable[Condition]) -> None:
        flat: list[Condition] = []
        for item in items:
            flat.extend(item.items if isinstance(item, Or) else (item,))
        _set(self, "items", tuple(flat))

    def _render(self, ctx: Context) -> str:
        # An AND inside an OR gets parentheses it does not need, for the reader's sake.
        return " OR ".join([ctx.sub(item, P_NOT) for item in self.items])


class Not(Condition):
    __slots__ = ("inner",)
    inner: Condition
    _prec = P_NOT

    def __init__(self, inner: Condition) -> None:
        _set(self, "inner", condition(inner, "~"))

    def _render(self, ctx: Context) -> str:
        return "NOT (" + self.inner._render(ctx) + ")"


class Exists(Condition):
    """``EXISTS (SELECT …)``."""

    __slots__ = ("select",)
    select: Select | Compound

    def __init__(self, query: object) -> None:
        _set(self, "select", to_select(query))

    def _render(self, ctx: Context) -> str:
        return "EXISTS (" + ctx.subquery(self.select) + ")"


def exists(query: object) -> Condition:
    """``EXISTS (subquery)``; the subquery may refer to the outer query's tables with
    ``Col(field, table=outer_table)``."""
    return Exists(query)


# --- ordering --------------------------------------------------------------


@dataclass(frozen=True)
class OrderItem:
    """One ORDER BY term.  ``nulls`` is emitted as ``NULLS FIRST/LAST`` on PostgreSQL and
    SQLite and emulated on MySQL with an ``expr IS NULL`` sort key in front."""

    expr: Expr
    descending: bool = False
    nulls: Literal["first", "last"] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.expr, Expr):
            raise ArgumentError(f"an order item needs an expression, not {shown(self.expr)}")
        if self.nulls is not None and self.nulls not in ("first", "last"):
            raise ArgumentError(f"nulls must be 'first', 'last' or None, not {shown(self.nulls)}")
        if self.descending is not False and self.descending is not True:
            raise ArgumentError("descending must be a bool")

    def nulls_first(self) -> OrderItem:
        return OrderItem(self.expr, self.descending, "first")

    def nulls_last(self) -> OrderItem:
        return OrderItem(self.expr, self.descending, "last")
