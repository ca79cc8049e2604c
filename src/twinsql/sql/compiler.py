"""SQL feature, pure: compile a ``Select`` / ``Compound`` to SQL text and parameters.

Output: text with ``?`` placeholders (the connection layer translates them for the
driver) and the parameter list in placeholder order.  Every identifier is quoted with the
dialect's ``quote_identifier``; every value is bound.  The clause-level work and the
dialect differences are in ``context.py``; here are the statement shapes: a select, its
row count, its existence and its aggregates.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from twinsql.errors import ArgumentError
from twinsql.sql.context import Context, Items, output_names
from twinsql.sql.dialects import Dialect
from twinsql.sql.expr import Expr, Star, label_name
from twinsql.sql.nodes import Aliased
from twinsql.sql.select import Compound, Select
from twinsql.sql.table import shown

__all__ = ["compile_aggregate", "compile_count", "compile_exists", "compile_select"]


# --- entry points ------------------------------------------------------------------------------


def compile_select(select: Select | Compound, dialect: Dialect) -> tuple[str, list[Any]]:
    """SQL text with ``?`` placeholders and the parameters, in order."""
    ctx = Context(dialect)
    if type(select) is Select:
        if select.ctes:
            head = ctx.with_clause(select.ctes)
            return head + ctx.select_sql(select), ctx.params
        return ctx.select_sql(select), ctx.params
    return ctx.statement(_query(select)), ctx.params


def _query(select: object) -> Select | Compound:
    if isinstance(select, (Select, Compound)):
        return select
    raise ArgumentError(f"expected a Select or Compound, not {type(select).__name__}")


def compile_count(select: Select | Compound, dialect: Dialect) -> tuple[str, list[Any]]:
    """``COUNT(*)`` of the rows ``select`` returns.  A plain select is counted directly
    (ORDER BY and any row lock dropped); DISTINCT, GROUP BY, HAVING, LIMIT/OFFSET and
    compounds are counted over a derived table."""
    ctx = Context(dialect)
    query = _query(select)
    if isinstance(query, Compound):
        head, body = ctx.compound(query)
        return f"{head}SELECT COUNT(*) FROM ({body}) AS {ctx.q('_count')}", ctx.params
    head = ctx.with_clause(query.ctes) if query.ctes else ""
    paged = query.limit is not None or query.offset is not None
    if not (query.distinct or query.group_by or query.having is not None or paged):
        return head + ctx.select_sql(query, "COUNT(*)", order=False, lock=False), ctx.params
    inner = _derived(ctx, query, paged)
    return f"{head}SELECT COUNT(*) FROM ({inner}) AS {ctx.q('_count')}", ctx.params


def _derived(ctx: Context, query: Select, paged: bool) -> str:
    """``query`` as the body of a derived table that has exactly its rows.  The select list
    becomes ``1`` unless DISTINCT (or an aggregate list under HAVING without GROUP BY)
    needs it; kept items are renamed _c1, _c2 … so that two columns of one name
    (users.id, orders.id) cannot clash (MySQL refuses duplicate names there).  ORDER BY
    stays only where LIMIT/OFFSET make it choose the rows."""
    keep = query.distinct or (query.having is not None and not query.group_by)
    items: Items = (lambda: _numbered_items(ctx, query)) if keep else "1"
    return ctx.select_sql(query, items, order=paged, lock=False)


def _numbered_items(ctx: Context, sel: Select) -> str:
    scope = ctx.current_scope()
    if sel.columns:
        texts = [(ctx.sub(e.expr if isinstance(e, Aliased) else e, 0), isinstance(e, Star))
                 for e in sel.columns]  # fmt: skip
    else:
        texts = [(text, False) for text in scope.cols.values()]
    return ", ".join(
        text if star else f"{text} AS {ctx.q(f'_c{n}')}"
        for n, (text, star) in enumerate(texts, 1)
    )


def compile_exists(select: Select | Compound, dialect: Dialect) -> tuple[str, list[Any]]:
    """``SELECT EXISTS (…)``: one row, one value that is true (PostgreSQL) or 1 (MySQL,
    SQLite) when ``select`` returns a row; ``bool()`` it.

    A plain select becomes ``EXISTS (SELECT 1 FROM … WHERE …)``.  With LIMIT/OFFSET (or an
    aggregate list under HAVING without GROUP BY) the select goes into a derived table
    first: SQLite and MySQL drop DISTINCT and GROUP BY inside an EXISTS even when an
    OFFSET depends on them (measured: ``EXISTS (SELECT DISTINCT a … OFFSET 2)`` is true on
    both over the values 1, 1, 2)."""
    ctx = Context(dialect)
    query = _query(select)
    if isinstance(query, Compound):
        head, body = ctx.compound(query)
        return f"{head}SELECT EXISTS ({body})", ctx.params
    head = ctx.with_clause(query.ctes) if query.ctes else ""
    paged = query.limit is not None or query.offset is not None
    if paged or (query.having is not None and not query.group_by):
        inner = f"SELECT 1 FROM ({_derived(ctx, query, paged)}) AS {ctx.q('_exists')}"
    else:
        inner = ctx.select_sql(query, "1", distinct=False, order=False, lock=False)
    return f"{head}SELECT EXISTS ({inner})", ctx.params


def compile_aggregate(
    select: Select, named: Mapping[str, Expr], dialect: Dialect
) -> tuple[str, list[Any]]:
    """``SELECT <group_by items>, <expr> AS "name", … FROM …`` — one row per group (one row
    in all without GROUP BY).  Names must be plain identifiers; they and the grouped fields
    are the keys of each result row."""
    if not isinstance(named, Mapping) or not named:
        raise ArgumentError("aggregate() needs at least one named expression, e.g. n=Count()")
    taken = {n for n in output_names(select.replace(columns=select.group_by)) if n} if (
        select.group_by) else set()  # fmt: skip
    exprs: list[tuple[str, Expr]] = []
    for name, expr in named.items():
        label_name(name)
        if name in taken:
            raise ArgumentError(f"aggregate name {shown(name)} is used twice in the result")
        taken.add(name)
        if not isinstance(expr, Expr):
            raise ArgumentError(f"aggregate {name} must be an expression, not {shown(expr)}")
        exprs.append((name, expr.expr if isinstance(expr, Aliased) else expr))
    ctx = Context(dialect)

    def items() -> str:
        out = [ctx.item(e) for e in select.group_by]
        out.extend(ctx.sub(e, 0) + " AS " + ctx.q(name) for name, e in exprs)
        return ", ".join(out)

    head = ctx.with_clause(select.ctes) if select.ctes else ""
    return head + ctx.select_sql(select, items, lock=False), ctx.params
