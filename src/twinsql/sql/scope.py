"""SQL feature, pure: scopes and name resolution for the SQL compiler.

Each SELECT (subqueries and CTE bodies too) is compiled in a ``Scope`` that knows its
main table and joins.  ``Col(field)`` belongs to the innermost main table; with joins every
column is qualified (``"users"."id"``); ``Col(field, table=t)`` finds ``t`` among the joins
or the enclosing queries (a correlated subquery) by value, ``Col(field, table_alias=a)`` by
name.  A main table read through ``from_cte`` has plain-identifier columns (a CTE's result
columns are the field names its select produced).  Unknown fields raise
``InvalidIdentifierError`` listing the known ones; every name is quoted by the dialect.

The column texts of a table come precomputed from ``table_sql`` (per table and dialect),
so resolving a main-table column is one dict lookup.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from twinsql.errors import ArgumentError
from twinsql.sql.dialects import Dialect
from twinsql.sql.table import TableInfo, quoter, shown, table_sql, unknown_field

if TYPE_CHECKING:
    from twinsql.sql.expr import Col
    from twinsql.sql.select import Join

__all__ = ["Resolver", "Scope"]

_DIALECTS = ("sqlite", "postgresql", "mysql")


class _Ref:
    """A table reachable by name in a scope: its metadata, its quoted qualifier, and
    whether its columns are plain identifiers (a CTE read through ``from_cte``)."""

    __slots__ = ("info", "plain", "quoted")

    def __init__(self, info: TableInfo, quoted: str, plain: bool) -> None:
        self.info = info
        self.quoted = quoted
        self.plain = plain


class Scope:
    """One SELECT's tables.  ``cols``/``sel`` map a main-table field to its column text
    (qualified when the query has joins) and to its select-list item."""

    __slots__ = ("all_sel", "cols", "from_sql", "main", "main_name", "parent", "refs", "sel",
                 "table")  # fmt: skip

    def __init__(
        self,
        table: TableInfo,
        main_name: str,
        main: _Ref,
        cols: Mapping[str, str],
        sel: Mapping[str, str],
        all_sel: str,
        refs: dict[str, _Ref] | None,
        parent: Scope | None,
    ) -> None:
        self.table = table
        self.main_name = main_name
        self.main = main
        self.from_sql = main.quoted
        self.cols = cols
        self.sel = sel
        self.all_sel = all_sel
        self.refs = refs
        self.parent = parent


class Resolver:
    """The state of one compilation — dialect, parameters so far, the current scope — and
    how names resolve in it.  ``Context`` (``context.py``) adds the clauses."""

    __slots__ = ("caps", "dialect", "name", "params", "q", "scope")

    def __init__(self, dialect: Dialect) -> None:
        if dialect.name not in _DIALECTS:
            raise ArgumentError(f"the SQL builder supports sqlite, postgresql and mysql, not "
                                f"{shown(dialect.name)}")  # fmt: skip
        self.dialect = dialect
        self.name = dialect.name
        self.caps = dialect.capabilities
        self.params: list[Any] = []
        self.q = quoter(dialect)
        self.scope: Scope | None = None

    # --- scopes and columns ------------------------------------------------------------

    def table_scope(self, info: TableInfo, joins: tuple[Join, ...] = (),
                    from_cte: str | None = None) -> Scope:  # fmt: skip
        """The scope of a SELECT from ``info`` (or from the CTE ``from_cte``, whose
        columns are then plain identifiers) with ``joins``, inside the current scope."""
        tsql = table_sql(info, self.dialect)
        if from_cte is None:
            main = _Ref(info, tsql.name, False)
            name = info.name
            if not joins:
                return Scope(info, name, main, tsql.cols, tsql.sel, tsql.all_sel, None, self.scope)
            cols, sel, all_sel = tsql.qcols, tsql.qsel, tsql.all_qsel
        else:
            main = _Ref(info, self.q(from_cte), True)
            name = from_cte
            cols = sel = tsql.plain
            if joins:
                cols = sel = {f: main.quoted + "." + c for f, c in tsql.plain.items()}
            all_sel = ", ".join(sel.values())
        refs = None
        if joins:
            refs = {name: main}
            for join in joins:
                ref_name = join.alias or join.table.name
                if ref_name in refs:
                    raise ArgumentError(
                        f"table {shown(ref_name)} appears twice in one query; give the join "
                        "an alias"
                    )
                refs[ref_name] = _Ref(join.table, self.q(ref_name), False)
        return Scope(info, name, main, cols, sel, all_sel, refs, self.scope)

    def current_scope(self) -> Scope:
        if self.scope is None:
            raise ArgumentError("a column was used outside of any query")
        return self.scope

    def main_column(self, field: str) -> str:
        """A main-table field that is not in the scope's precomputed maps: a plain
        identifier when selecting from a CTE, an error otherwise."""
        scope = self.current_scope()
        if not scope.main.plain:
            raise unknown_field(scope.table.name, field, scope.table.fields)
        text = self.q(field)
        return scope.main.quoted + "." + text if scope.refs else text

    def _lookup(self, table: TableInfo | None, alias: str | None) -> tuple[_Ref | None, Scope]:
        """The reference a qualified column points at; ``None`` means the current scope's
        main table (use its precomputed maps)."""
        current = self.current_scope()
        scope: Scope | None = current
        while scope is not None:
            if alias is not None:
                ref = scope.refs.get(alias) if scope.refs else (
                    scope.main if alias == scope.main_name else None)  # fmt: skip
                if ref is not None:
                    if table is not None and ref.info != table:
                        ref = _Ref(table, ref.quoted, False)
                    return ref, scope
            elif table is scope.table or table == scope.table:
                return (None if scope is current else scope.main), scope
            elif scope.refs:
                found = [r for r in scope.refs.values() if r.info == table and r is not scope.main]
                if len(found) > 1:
                    raise ArgumentError(
                        f"table {shown(table.name if table else None)} is joined more than "
                        "once; name the join with Col(field, table_alias=…)"
                    )
                if found:
                    return found[0], scope
            scope = scope.parent
        if alias is not None and table is None:
            known = list(current.refs or (current.main_name,))
            raise ArgumentError(
                f"unknown table alias {shown(alias)}; known tables: {', '.join(known)}"
            )
        assert table is not None
        # Not in this query: an outer reference compiled on its own, qualified by name.
        return _Ref(table, self.q(alias or table.name), False), current

    def column(self, col: Col, select_item: bool) -> str:
        """A column qualified by ``table`` and/or ``table_alias``."""
        ref, scope = self._lookup(col.table, col.table_alias)
        field = col.field
        if ref is None:
            text = (scope.sel if select_item else scope.cols).get(field)
            return text if text is not None else self.main_column(field)
        if ref.plain:
            return ref.quoted + "." + self.q(field)
        column = ref.info.columns.get(field)
        if column is None:
            raise unknown_field(ref.info.name, field, ref.info.fields)
        text = ref.quoted + "." + table_sql(ref.info, self.dialect).cols[field]
        return text + " AS " + self.q(field) if select_item and column != field else text

    def qualifier(self, table: TableInfo | None, alias: str | None) -> str:
        ref, scope = self._lookup(table, alias)
        return (scope.main.quoted if ref is None else ref.quoted) + "."
