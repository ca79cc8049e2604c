"""SQL feature, pure: SQL function calls, aggregates and window functions.

``Func(name, *args)`` renders ``name(arg, …)``.  The name is never quoted, so it must look
like a plain SQL function name (``^[A-Za-z_][A-Za-z0-9_]*$``, at most 63 characters);
anything else — a ``(``, a space, a comment — is refused.  A ``str`` argument names a
field (checked against the query's table when compiled; ``"*"`` is ``*``); any other
Python value is bound as a parameter; pass ``Value("text")`` for a string value.

``Func.over()`` makes a window function: ``COUNT("id") OVER (PARTITION BY "dept" ORDER BY
"salary" DESC)``.  A frame clause is accepted only in the allow-listed shape ``ROWS|RANGE
[BETWEEN] <bound> [AND <bound>]`` with bounds ``UNBOUNDED PRECEDING|FOLLOWING``, ``CURRENT
ROW`` and ``<n> PRECEDING|FOLLOWING``, and is re-rendered from the parsed words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from twinsql.errors import ArgumentError
from twinsql.sql.expr import P_ATOM, Col, Expr, Star, Value
from twinsql.sql.nodes import OrderItem
from twinsql.sql.table import shown

if TYPE_CHECKING:
    from twinsql.sql.context import Context

__all__ = ["Avg", "Count", "DenseRank", "Func", "Max", "Min", "Rank", "RowNumber", "Sum",
           "Window", "field_expr", "order_spec"]  # fmt: skip

# At most 63 characters: PostgreSQL's identifier limit (MySQL allows 64).
_FUNC_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
_BOUND = r"(?:UNBOUNDED (?:PRECEDING|FOLLOWING)|CURRENT ROW|[0-9]{1,18} (?:PRECEDING|FOLLOWING))"
_FRAME = re.compile(rf"(ROWS|RANGE) (?:BETWEEN ({_BOUND}) AND ({_BOUND})|({_BOUND}))")
_set = object.__setattr__


def field_expr(arg: object) -> Expr:
    """A function argument or a grouping term: a str names a field, an ``Expr`` is used as
    is; other values are refused here (see ``Func`` for bound values)."""
    if isinstance(arg, Expr):
        return arg
    if isinstance(arg, str):
        return Star() if arg == "*" else Col(arg)
    raise ArgumentError(f"expected a field name or an expression, not {shown(arg)}")


def order_spec(spec: object) -> OrderItem:
    """An ORDER BY term without a table at hand: ``"-field"`` (descending), ``"field"``,
    an ``Expr`` or an ``OrderItem``.  The field is checked when the query is compiled."""
    if isinstance(spec, OrderItem):
        return spec
    if isinstance(spec, Expr):
        return OrderItem(spec)
    if isinstance(spec, str):
        if spec.startswith("-"):
            return OrderItem(Col(spec[1:]), descending=True)
        return OrderItem(Col(spec))
    raise ArgumentError(f"expected a field name, an expression or an OrderItem, not {shown(spec)}")


class Func(Expr):
    """``name(args)``; ``distinct=True`` gives ``name(DISTINCT args)``."""

    __slots__ = ("args", "distinct", "name")
    args: tuple[Expr, ...]
    distinct: bool
    name: str
    _prec = P_ATOM

    def __init__(self, name: str, *args: Expr | str | Any, distinct: bool = False) -> None:
        if not isinstance(name, str) or not _FUNC_NAME.fullmatch(name):
            raise ArgumentError(
                f"invalid function name {shown(name)}: use letters, digits and _ only "
                "(at most 63)"
            )
        exprs = tuple(
            a if isinstance(a, Expr) else field_expr(a) if isinstance(a, str) else Value(a)
            for a in args
        )
        if distinct and (not exprs or any(isinstance(e, Star) for e in exprs)):
            raise ArgumentError(f"{name}(DISTINCT …) needs a field or an expression, not *")
        _set(self, "name", name)
        _set(self, "args", exprs)
        _set(self, "distinct", bool(distinct))

    def _render(self, ctx: Context) -> str:
        inner = ", ".join([e._render(ctx) for e in self.args])
        return f"{self.name}(DISTINCT {inner})" if self.distinct else f"{self.name}({inner})"

    def over(
        self,
        partition_by: str | Expr | Sequence[str | Expr] = (),
        order_by: str | Expr | OrderItem | Sequence[str | Expr | OrderItem] = (),
        *,
        frame: str | None = None,
    ) -> Window:
        """This function as a window function: ``… OVER (PARTITION BY … ORDER BY …)``."""
        parts = partition_by if isinstance(partition_by, (list, tuple)) else (partition_by,)
        orders = order_by if isinstance(order_by, (list, tuple)) else (order_by,)
        return Window(
            self,
            tuple(field_expr(p) for p in parts),
            tuple(order_spec(o) for o in orders),
            _frame(frame),
        )


def _frame(frame: str | None) -> str | None:
    if frame is None:
        return None
    words = " ".join(frame.upper().split()) if isinstance(frame, str) else ""
    m = _FRAME.fullmatch(words)
    if m is None:
        raise ArgumentError(
            f"unsupported window frame {shown(frame)}: expected ROWS|RANGE [BETWEEN] bound "
            "[AND bound], bounds UNBOUNDED PRECEDING|FOLLOWING, CURRENT ROW or "
            "<n> PRECEDING|FOLLOWING"
        )
    unit, low, high, single = m.groups()
    return f"{unit} BETWEEN {low} AND {high}" if single is None else f"{unit} {single}"


class Window(Expr):
    """``func OVER (PARTITION BY … ORDER BY … frame)``."""

    __slots__ = ("frame", "func", "order_by", "partition_by")
    frame: str | None
    func: Func
    order_by: tuple[OrderItem, ...]
    partition_by: tuple[Expr, ...]
    _prec = P_ATOM

    def __init__(
        self,
        func: Func,
        partition_by: tuple[Expr, ...] = (),
        order_by: tuple[OrderItem, ...] = (),
        frame: str | None = None,
    ) -> None:
        if not isinstance(func, Func):
            raise ArgumentError(f"a window needs a function, not {type(func).__name__}")
        _set(self, "func", func)
        _set(self, "partition_by", partition_by)
        _set(self, "order_by", order_by)
        _set(self, "frame", frame)

    def _render(self, ctx: Context) -> str:
        clauses = []
        if self.partition_by:
            parts = ", ".join([ctx.sub(e, 0) for e in self.partition_by])
            clauses.append("PARTITION BY " + parts)
        if self.order_by:
            clauses.append("ORDER BY " + ctx.order_by(self.order_by))
        if self.frame is not None:
            clauses.append(self.frame)
        return self.func._render(ctx) + " OVER (" + " ".join(clauses) + ")"


def Count(arg: str | Expr = "*", *, distinct: bool = False) -> Func:
    """``COUNT(*)``, ``COUNT("field")`` or ``COUNT(DISTINCT "field")``."""
    return Func("COUNT", field_expr(arg), distinct=distinct)


def Sum(arg: str | Expr, *, distinct: bool = False) -> Func:
    return Func("SUM", field_expr(arg), distinct=distinct)


def Avg(arg: str | Expr, *, distinct: bool = False) -> Func:
    return Func("AVG", field_expr(arg), distinct=distinct)


def Min(arg: str | Expr) -> Func:
    return Func("MIN", field_expr(arg))


def Max(arg: str | Expr) -> Func:
    return Func("MAX", field_expr(arg))


def RowNumber() -> Func:
    """``ROW_NUMBER()``; call ``.over(…)`` on it."""
    return Func("ROW_NUMBER")


def Rank() -> Func:
    return Func("RANK")


def DenseRank() -> Func:
    return Func("DENSE_RANK")
