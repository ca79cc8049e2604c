"""SQL feature, pure: the compilation context — the clauses of a SELECT for each dialect.

``Context`` carries one compilation: the dialect, the parameters collected so far (in text
order: every clause is rendered left to right) and the current scope (name resolution is in
``scope.py``).  Expression nodes render themselves through it.  The statement-level entry
points are in ``compiler.py``.

Dialect differences handled here, each read from the ``Dialect`` (its spelling fields and
``Capabilities``), never from its name:

* OFFSET without LIMIT: ``offset_only_sql`` (PostgreSQL ``OFFSET ?``; SQLite
  ``LIMIT -1 OFFSET ?``; MySQL ``LIMIT 18446744073709551615 OFFSET ?``, its documented "no
  limit").  LIMIT and OFFSET are bound parameters (validated ints), so every page of a
  query shares one statement text and one prepared statement.
* ``NULLS FIRST/LAST`` where ``nulls_order``; otherwise (MySQL, which sorts NULLs first
  ascending) an ``expr IS NULL`` key is put in front.
* Row locks: ``FOR UPDATE`` or the dialect's ``share_lock_sql``, then ``OF t`` where
  ``lock_of`` and ``NOWAIT``/``SKIP LOCKED``; options the backend lacks are refused.  A
  backend without row locks (SQLite) gets no lock clause at all: a SQLite write
  transaction locks the whole database and writers are serialised, so rows read in a
  transaction that goes on to write cannot be changed by anyone else meanwhile (begin it
  ``immediate`` to take the write lock before the first read).
* INTERSECT / EXCEPT where ``intersect_except``.  A compound part with its own ORDER BY /
  LIMIT is written as ``ordered_compound_part`` (parenthesised, or on SQLite, which has no
  parenthesised parts, wrapped as ``SELECT * FROM (…)``).  CTEs of the parts are gathered
  into one WITH in front.
"""

from __future__ import annotations

from collections.abc import Callable

from twinsql.errors import ArgumentError, InvalidIdentifierError
from twinsql.sql.expr import P_ADD, Col, Expr, Star, render_operand
from twinsql.sql.nodes import Aliased, OrderItem
from twinsql.sql.scope import Resolver, Scope
from twinsql.sql.select import CTE, Compound, ForUpdate, Select
from twinsql.sql.table import shown, table_sql

__all__ = ["Context", "Items", "Scope", "output_names"]

Items = str | Callable[[], str] | None


class Context(Resolver):
    """One compilation (see ``Resolver``) and the clauses of a SELECT."""

    __slots__ = ()

    def sub(self, expr: Expr, prec: int) -> str:
        """``expr`` rendered, in parentheses when it binds more loosely than ``prec``."""
        return render_operand(expr, self, prec)

    def item(self, expr: Expr) -> str:
        """One select-list item: a column is aliased to its field name where they differ,
        ``label()`` gives ``expr AS "alias"``."""
        kind = type(expr)
        if kind is Col:
            assert isinstance(expr, Col)
            scope, table = self.scope, expr.table
            if scope is not None and expr.table_alias is None and (
                table is None or table is scope.table
            ):
                text = scope.sel.get(expr.field)  # the fast path, as in Col._render
                if text is not None:
                    return text
            if table is None and expr.table_alias is None:
                return self.main_column(expr.field)
            return self.column(expr, True)
        if kind is Aliased:
            assert isinstance(expr, Aliased)
            return self.sub(expr.expr, 0) + " AS " + self.q(expr.alias)
        return self.sub(expr, 0)

    # --- statements --------------------------------------------------------------------

    def statement(self, query: Select | Compound) -> str:
        if isinstance(query, Compound):
            head, body = self.compound(query)
            return head + body
        return (self.with_clause(query.ctes) if query.ctes else "") + self.select_sql(query)

    def subquery(self, query: Select | Compound) -> str:
        return self.statement(query)

    def select_sql(
        self,
        sel: Select,
        items: Items = None,
        *,
        distinct: bool | None = None,
        order: bool = True,
        lock: bool = True,
    ) -> str:
        """The SELECT itself (CTEs are the caller's); ``items`` replaces the select list."""
        scope = self.table_scope(sel.table, sel.joins, sel.from_cte)
        saved, self.scope = self.scope, scope
        try:
            if items is None:
                cols = scope.all_sel
                if sel.columns:
                    cols = ", ".join([self.item(e) for e in sel.columns])
            else:
                cols = items if isinstance(items, str) else items()
            if sel.distinct if distinct is None else distinct:
                out = ["SELECT DISTINCT ", cols, " FROM ", scope.from_sql]
            else:
                out = ["SELECT ", cols, " FROM ", scope.from_sql]
            for join in sel.joins:
                out.append(" LEFT JOIN " if join.kind == "LEFT" else " INNER JOIN ")
                out.append(table_sql(join.table, self.dialect).name)
                if join.alias is not None:
                    out.append(" AS " + self.q(join.alias))
                out.append(" ON " + self.sub(join.on, 0))
            if sel.where is not None:
                out.append(" WHERE " + self.sub(sel.where, 0))
            if sel.group_by:
                out.append(" GROUP BY " + ", ".join([self.sub(e, 0) for e in sel.group_by]))
            if sel.having is not None:
                out.append(" HAVING " + self.sub(sel.having, 0))
            if order:
                if sel.order_by:
                    out.append(" ORDER BY " + self.order_by(sel.order_by))
                if sel.limit is not None or sel.offset is not None:
                    out.append(self.limit_sql(sel.limit, sel.offset))
            if lock and sel.for_update is not None:
                out.append(self.lock_sql(sel.for_update, scope))
            return "".join(out)
        finally:
            self.scope = saved

    def order_by(self, items: tuple[OrderItem, ...]) -> str:
        out = []
        native_nulls = self.caps.nulls_order
        for item in items:
            if item.nulls is not None and not native_nulls:
                key = self.sub(item.expr, P_ADD) + " IS NULL"
                out.append(key + " DESC" if item.nulls == "first" else key)
            text = self.sub(item.expr, 0)
            if item.descending:
                text += " DESC"
            if item.nulls is not None and native_nulls:
                text += " NULLS FIRST" if item.nulls == "first" else " NULLS LAST"
            out.append(text)
        return ", ".join(out)

    def limit_sql(self, limit: int | None, offset: int | None) -> str:
        if limit is not None:
            self.params.append(limit)
            if offset is None:
                return " LIMIT ?"
            self.params.append(offset)
            return " LIMIT ? OFFSET ?"
        if offset is None:
            return ""
        self.params.append(offset)
        return self.dialect.offset_only_sql

    def lock_sql(self, lock: ForUpdate, scope: Scope) -> str:
        caps = self.caps
        if not caps.for_update:
            return ""  # no row locks (SQLite); see the module docstring
        title = self.dialect.title
        if lock.of and not caps.lock_of:
            raise ArgumentError(f"for_update(of=…) is not available on {title}")
        if lock.share:
            if (lock.nowait or lock.skip_locked) and not caps.share_lock_options:
                raise ArgumentError(
                    f"a share lock takes no nowait/skip_locked on {title}; use an exclusive "
                    "lock (for_update) instead"
                )
            text = self.dialect.share_lock_sql
        else:
            text = " FOR UPDATE"
        if lock.of:
            known = list(scope.refs or (scope.main_name,))
            for name in lock.of:
                if name not in known:
                    raise ArgumentError(
                        f"for_update(of=…) names unknown table {shown(name)}; known "
                        f"tables: {', '.join(known)}"
                    )
            text += " OF " + ", ".join([self.q(name) for name in lock.of])
        if lock.nowait:
            if not caps.nowait:
                raise ArgumentError(f"for_update(nowait=True) is not available on {title}")
            return text + " NOWAIT"
        if lock.skip_locked:
            if not caps.skip_locked:
                raise ArgumentError(f"for_update(skip_locked=True) is not available on {title}")
            return text + " SKIP LOCKED"
        return text

    def with_clause(self, ctes: tuple[CTE, ...]) -> str:
        caps = self.caps
        recursive = any(cte.recursive for cte in ctes)
        if not caps.cte or (recursive and not caps.recursive_cte):
            raise ArgumentError(f"{self.name} does not support this WITH clause")
        names: set[str] = set()
        parts = []
        for cte in ctes:
            if cte.name in names:
                raise ArgumentError(f"two CTEs are named {shown(cte.name)}")
            names.add(cte.name)
            head = self.q(cte.name)
            if cte.columns:
                head += " (" + ", ".join([self.q(c) for c in cte.columns]) + ")"
            parts.append(head + " AS (" + self.statement(cte.select) + ")")
        return ("WITH RECURSIVE " if recursive else "WITH ") + ", ".join(parts) + " "

    def compound(self, comp: Compound) -> tuple[str, str]:
        """(WITH clause gathered from the parts, the compound itself)."""
        ctes: list[CTE] = []
        for _, part in comp.parts:
            for cte in part.ctes:
                if not any(cte is seen or cte == seen for seen in ctes):
                    ctes.append(cte)
        head = self.with_clause(tuple(ctes)) if ctes else ""
        out = []
        for op, part in comp.parts:
            if op in ("INTERSECT", "EXCEPT") and not self.caps.intersect_except:
                raise ArgumentError(f"{op} is not available on {self.dialect.title}; use UNION")
            if part.for_update is not None:
                raise ArgumentError("a part of a UNION cannot take a row lock")
            body = self.select_sql(part)
            if part.order_by or part.limit is not None or part.offset is not None:
                body = self.dialect.ordered_compound_part.format(body)
            out.append(f" {op} {body}" if op else body)
        if comp.order_by:
            out.append(" ORDER BY " + self._compound_order(comp))
        out.append(self.limit_sql(comp.limit, comp.offset))
        return head, "".join(out)

    def _compound_order(self, comp: Compound) -> str:
        """A compound is ordered by its result columns, named like the first part's."""
        names = output_names(comp.parts[0][1])
        out = []
        for item in comp.order_by:
            expr = item.expr
            if not isinstance(expr, (Aliased, Col)):
                raise ArgumentError(
                    "a UNION is ordered by result column names (fields or labels), not by "
                    "expressions"
                )
            name = expr.alias if isinstance(expr, Aliased) else expr.field
            if name not in names:
                raise InvalidIdentifierError(
                    f"unknown result column {shown(name)}; the result has: "
                    + ", ".join(n for n in names if n)
                )
            out.append(OrderItem(_Output(self.q(name)), item.descending, item.nulls))
        return self.order_by(tuple(out))


class _Output(Expr):
    """A result column of a compound, by its (already quoted) name."""

    __slots__ = ("quoted",)
    quoted: str

    def __init__(self, quoted: str) -> None:
        object.__setattr__(self, "quoted", quoted)

    def _render(self, ctx: Context) -> str:
        return self.quoted


def output_names(sel: Select) -> list[str | None]:
    """The result column names of a select (None for an unnamed expression)."""
    if not sel.columns:
        return list(sel.table.fields)
    names: list[str | None] = []
    for expr in sel.columns:
        if isinstance(expr, Aliased):
            names.append(expr.alias)
        elif isinstance(expr, Col):
            names.append(expr.field)
        elif isinstance(expr, Star) and expr.table is None and expr.table_alias is None:
            names.extend(sel.table.fields)
        else:
            names.append(None)
    return names
