"""ORM feature, facade: ``Query[T]``, the immutable query builder of a model.

Every builder method returns a new query; only the terminals (``all``, ``first``, ``count``
… and their ``async_`` twins) do I/O, through the generated sync shell or its async source.
Every identifier a caller passes — field names in ``where(**kw)``, ``order_by`` strings,
aggregate names — is checked against the model before anything is built; values always
become bound parameters.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Generic, overload

from typing_extensions import TypeVar

from twinsql import errors
from twinsql.connection._async.database import AsyncDatabase
from twinsql.connection._sync.database import Database
from twinsql.orm import writes
from twinsql.orm._async import terminals as async_terminals
from twinsql.orm._sync import terminals as sync_terminals
from twinsql.orm.query_state import EagerLoad, Page, QueryState, select_sql, statement
from twinsql.orm.writes import WriteStatement
from twinsql.sql.dml import OnConflict
from twinsql.sql.expr import Col, Condition, Expr, Raw
from twinsql.sql.select import CTE, Compound, ForUpdate, Join, Select, order_item
from twinsql.sql.table import TableInfo

if TYPE_CHECKING:
    from twinsql.sql.dialects import Dialect

__all__ = ["ConflictClause", "Query"]

T = TypeVar("T")
V = TypeVar("V")
# What ``update()``/``delete()`` return: the row count, or the rows once ``returning()``
# was called (``Query[User, list[dict[str, Any]]]``).
R = TypeVar("R", default=int)


def _raw(sql: str, params: tuple[Any, ...]) -> Raw:
    """``where("a = ? AND b = ?", 1, 2)``, ``where("a = ?", (1,))``, ``where("a = :x", {...})``."""
    if len(params) == 1 and isinstance(params[0], (tuple, list, Mapping)):
        return Raw(sql, params[0])
    return Raw(sql, params)


class Query(Generic[T, R]):
    """A query on model ``T``. Build with chained calls; run with a terminal."""

    __slots__ = ("_model", "_state")

    def __init__(self, model: type[T], state: QueryState | None = None) -> None:
        self._model = model
        info = model.__twinsql__  # type: ignore[attr-defined]
        self._state = state if state is not None else QueryState(info, Select(info.table))

    def _with(self, state: QueryState) -> Query[T, Any]:
        return Query(self._model, state)

    def __twinsql_select__(self) -> Select | Compound:
        """The SELECT this query stands for (used as a subquery: ``in_(query)``)."""
        return statement(self._state)

    @property
    def state(self) -> QueryState:
        return self._state

    # -- conditions -------------------------------------------------------------------------

    def _condition(self, conditions: tuple[Any, ...], equal: Mapping[str, Any]) -> Condition | None:
        parts: list[Condition] = []
        if conditions and isinstance(conditions[0], str):
            parts.append(_raw(conditions[0], conditions[1:]))
        else:
            for condition in conditions:
                if not isinstance(condition, Condition):
                    raise errors.ArgumentError(
                        "where() takes an SQL string with its parameters, column expressions "
                        f"such as User.c.age > 18, or field=value keywords; got {condition!r}"
                    )
                parts.append(condition)
        info = self._state.info
        for name, value in equal.items():
            parts.append(Col(info.check_field(name), table=info.table) == value)
        if not parts:
            return None
        combined = parts[0]
        for part in parts[1:]:
            combined = combined & part
        return combined

    def where(self, *conditions: Any, **equal: Any) -> Query[T, R]:
        """AND a condition: ``where("age > ?", 18)``, ``where(User.c.age > 18)``,
        ``where(name="x")``."""
        condition = self._condition(conditions, equal)
        if condition is None:
            return self
        current = self._state.select.where
        return self._with(
            self._state.with_select(where=condition if current is None else current & condition)
        )

    def or_where(self, *conditions: Any, **equal: Any) -> Query[T, R]:
        """OR a condition with everything before it."""
        condition = self._condition(conditions, equal)
        if condition is None:
            return self
        current = self._state.select.where
        return self._with(
            self._state.with_select(where=condition if current is None else current | condition)
        )

    def having(self, *conditions: Any, **equal: Any) -> Query[T, R]:
        condition = self._condition(conditions, equal)
        current = self._state.select.having
        if condition is None:
            return self
        return self._with(
            self._state.with_select(having=condition if current is None else current & condition)
        )

    # -- shape ------------------------------------------------------------------------------

    def order_by(self, *specs: str | Expr) -> Query[T, R]:
        """``order_by("-created_at", User.c.name)``: field names (``-`` for descending) or
        expressions; never SQL text."""
        table = self._state.info.table
        items = tuple(order_item(spec, table) for spec in specs)
        return self._with(self._state.with_select(order_by=self._state.select.order_by + items))

    def limit(self, count: int | None) -> Query[T, R]:
        return self._with(self._state.with_select(limit=count))

    def offset(self, count: int | None) -> Query[T, R]:
        return self._with(self._state.with_select(offset=count))

    def distinct(self, flag: bool = True) -> Query[T, R]:
        return self._with(self._state.with_select(distinct=flag))

    def select(self, *columns: str | Expr) -> Query[T, R]:
        """Fetch only these fields (records then hold only them) or expressions (read
        those with ``rows()``)."""
        info = self._state.info
        exprs = tuple(
            Col(info.check_field(c), table=info.table) if isinstance(c, str) else c for c in columns
        )
        return self._with(self._state.with_select(columns=exprs))

    def group_by(self, *fields: str | Expr) -> Query[T, R]:
        info = self._state.info
        exprs = tuple(
            Col(info.check_field(f), table=info.table) if isinstance(f, str) else f for f in fields
        )
        return self._with(self._state.with_select(group_by=self._state.select.group_by + exprs))

    def join(self, other: type[Any], on: Condition, *, alias: str | None = None) -> Query[T, R]:
        return self._join("INNER", other, on, alias)

    def left_join(
        self, other: type[Any], on: Condition, *, alias: str | None = None
    ) -> Query[T, R]:
        return self._join("LEFT", other, on, alias)

    def _join(self, kind: str, other: type[Any], on: Condition, alias: str | None) -> Query[T, R]:
        table = other.__twinsql__.table
        join = Join(kind, table, on, alias)  # type: ignore[arg-type]
        return self._with(self._state.with_select(joins=(*self._state.select.joins, join)))

    def for_update(
        self, *, nowait: bool = False, skip_locked: bool = False, of: Sequence[str] = ()
    ) -> Query[T, R]:
        """Lock the selected rows until the transaction ends (no-op on SQLite, which
        serialises writers)."""
        if nowait and skip_locked:
            raise errors.ArgumentError("for_update(): choose nowait or skip_locked, not both")
        lock = ForUpdate(nowait=nowait, skip_locked=skip_locked, of=tuple(of))
        return self._with(self._state.with_select(for_update=lock))

    def with_cte(
        self,
        name: str,
        query: Query[Any, Any] | Select | Compound,
        *,
        recursive: bool = False,
        columns: Sequence[str] = (),
    ) -> Query[T, R]:
        """Add ``WITH [RECURSIVE] name AS (query)``; read it with ``from_cte`` or
        ``join_cte``."""
        select = query.__twinsql_select__() if isinstance(query, Query) else query
        cte = CTE(name, select, recursive, tuple(columns))
        return self._with(self._state.with_select(ctes=(*self._state.select.ctes, cte)))

    def cte_columns(self, name: str) -> Any:
        """Column accessor for a CTE that has this model's fields (``chain.id``)."""
        return self._columns_of(self._cte_table(name))

    def _cte_table(self, name: str) -> TableInfo:
        """The CTE ``name`` as a table with this model's fields. A CTE's body selects every
        column under its field name, so its columns are the field names, whatever the
        model's table calls them."""
        table = self._state.info.table
        return TableInfo(name, table.fields, primary_keys=table.primary_keys)

    def _columns_of(self, table: TableInfo) -> Any:
        from twinsql.orm.columns import Columns

        return Columns(self._state.info, table)

    def from_cte(self, name: str) -> Query[T, R]:
        """Select from the CTE ``name`` (with this model's fields) instead of the table."""
        return self._with(self._state.with_select(from_cte=name))

    def join_cte(self, name: str, on: Callable[[Any], Condition]) -> Query[T, R]:
        """Join the CTE ``name`` (the recursive step of a tree walk):
        ``join_cte("chain", lambda chain: Employee.c.manager_id == chain.id)``."""
        table = self._cte_table(name)
        join = Join("INNER", table, on(self._columns_of(table)), None)
        return self._with(self._state.with_select(joins=(*self._state.select.joins, join)))

    def union(self, other: Query[Any, Any], *, all: bool = False) -> Query[T, R]:
        """``UNION`` (``all=True``: ``UNION ALL``) with another query of the same model."""
        part = ("UNION ALL" if all else "UNION", statement(other.state))
        return self._with(self._state.evolve(unions=(*self._state.unions, part)))

    def union_all(self, other: Query[Any, Any]) -> Query[T, R]:
        return self.union(other, all=True)

    def with_(self, *paths: str | tuple[str, Callable[[Any], Any]]) -> Query[T, R]:
        """Eager-load relations: ``with_("orders", "orders.items", ("orders", lambda q:
        q.where(...)))`` — one query per level, attached to each record."""
        from twinsql.orm.relations import check_paths

        loads = []
        for path in paths:
            if isinstance(path, tuple):
                name, refine = path
                segments = tuple(name.split("."))
                target = check_paths(self._model, [segments])  # type: ignore[arg-type]
                loads.append(EagerLoad(segments, _refiner(target, refine)))
            else:
                segments = tuple(path.split("."))
                check_paths(self._model, [segments])  # type: ignore[arg-type]
                loads.append(EagerLoad(segments))
        return self._with(self._state.evolve(eager=self._state.eager + tuple(loads)))

    def with_deleted(self) -> Query[T, R]:
        """Include soft-deleted records."""
        return self._with(self._state.evolve(visibility="all"))

    def only_deleted(self) -> Query[T, R]:
        """Only soft-deleted records."""
        return self._with(self._state.evolve(visibility="deleted"))

    def returning(self, *fields: str) -> Query[T, list[dict[str, Any]]]:
        """Have ``update()``/``delete()`` return these fields of the affected rows."""
        info = self._state.info
        return self._with(self._state.evolve(returning=tuple(info.check_field(f) for f in fields)))

    def on_conflict(self, *fields: str) -> ConflictClause[T]:
        """Upsert: ``User.query().on_conflict("email").do_update("name").insert_many(rows)``."""
        info = self._state.info
        return ConflictClause(self, tuple(info.check_field(f) for f in fields))

    def to_sql(self, dialect: Dialect | str = "sqlite") -> tuple[str, list[Any]]:
        """The SELECT this query sends, with ``?`` placeholders, and its parameters."""
        from twinsql.sql.dialects import get_dialect

        resolved = get_dialect(dialect) if isinstance(dialect, str) else dialect
        return select_sql(self._state, resolved)

    # -- terminals --------------------------------------------------------------------------

    def all(self, *, using: Database | None = None) -> list[T]:
        return sync_terminals.all(self._state, using)

    async def async_all(self, *, using: AsyncDatabase | None = None) -> list[T]:
        return await async_terminals.async_all(self._state, using)

    def first(self, *, using: Database | None = None) -> T | None:
        return sync_terminals.first(self._state, using)  # type: ignore[no-any-return]

    async def async_first(self, *, using: AsyncDatabase | None = None) -> T | None:
        return await async_terminals.async_first(self._state, using)  # type: ignore[no-any-return]

    def one(self, *, using: Database | None = None) -> T:
        return sync_terminals.one(self._state, using)  # type: ignore[no-any-return]

    async def async_one(self, *, using: AsyncDatabase | None = None) -> T:
        return await async_terminals.async_one(self._state, using)  # type: ignore[no-any-return]

    def one_or_none(self, *, using: Database | None = None) -> T | None:
        return sync_terminals.one_or_none(self._state, using)  # type: ignore[no-any-return]

    async def async_one_or_none(self, *, using: AsyncDatabase | None = None) -> T | None:
        return await async_terminals.async_one_or_none(self._state, using)  # type: ignore[no-any-return]

    def count(self, *, using: Database | None = None) -> int:
        return sync_terminals.count(self._state, using)

    async def async_count(self, *, using: AsyncDatabase | None = None) -> int:
        return await async_terminals.async_count(self._state, using)

    def exists(self, *, using: Database | None = None) -> bool:
        return sync_terminals.exists(self._state, using)

    async def async_exists(self, *, using: AsyncDatabase | None = None) -> bool:
        return await async_terminals.async_exists(self._state, using)

    # A field named by a typed column (``User.c.age``, a ``Col[int]``) gives a typed result;
    # by its name, ``Any``. An empty set gives None.

    @overload
    def sum(self, field: Col[bool], *, using: Database | None = None) -> int | None: ...
    @overload
    def sum(self, field: Col[V], *, using: Database | None = None) -> V | None: ...
    @overload
    def sum(self, field: str, *, using: Database | None = None) -> Any: ...
    def sum(self, field: str | Col, *, using: Database | None = None) -> Any:
        return sync_terminals.sum(self._state, self._field_name(field), using)

    @overload
    async def async_sum(
        self, field: Col[bool], *, using: AsyncDatabase | None = None
    ) -> int | None: ...
    @overload
    async def async_sum(self, field: Col[V], *, using: AsyncDatabase | None = None) -> V | None: ...
    @overload
    async def async_sum(self, field: str, *, using: AsyncDatabase | None = None) -> Any: ...
    async def async_sum(self, field: str | Col, *, using: AsyncDatabase | None = None) -> Any:
        return await async_terminals.async_sum(self._state, self._field_name(field), using)

    @overload
    def average(self, field: Col[Decimal], *, using: Database | None = None) -> Decimal | None: ...
    @overload
    def average(self, field: Col[Any], *, using: Database | None = None) -> float | None: ...
    @overload
    def average(self, field: str, *, using: Database | None = None) -> Any: ...
    def average(self, field: str | Col, *, using: Database | None = None) -> Any:
        return sync_terminals.average(self._state, self._field_name(field), using)

    @overload
    async def async_average(
        self, field: Col[Decimal], *, using: AsyncDatabase | None = None
    ) -> Decimal | None: ...
    @overload
    async def async_average(
        self, field: Col[Any], *, using: AsyncDatabase | None = None
    ) -> float | None: ...
    @overload
    async def async_average(self, field: str, *, using: AsyncDatabase | None = None) -> Any: ...
    async def async_average(self, field: str | Col, *, using: AsyncDatabase | None = None) -> Any:
        return await async_terminals.async_average(self._state, self._field_name(field), using)

    @overload
    def min(self, field: Col[V], *, using: Database | None = None) -> V | None: ...
    @overload
    def min(self, field: str, *, using: Database | None = None) -> Any: ...
    def min(self, field: str | Col, *, using: Database | None = None) -> Any:
        return sync_terminals.min(self._state, self._field_name(field), using)

    @overload
    async def async_min(self, field: Col[V], *, using: AsyncDatabase | None = None) -> V | None: ...
    @overload
    async def async_min(self, field: str, *, using: AsyncDatabase | None = None) -> Any: ...
    async def async_min(self, field: str | Col, *, using: AsyncDatabase | None = None) -> Any:
        return await async_terminals.async_min(self._state, self._field_name(field), using)

    @overload
    def max(self, field: Col[V], *, using: Database | None = None) -> V | None: ...
    @overload
    def max(self, field: str, *, using: Database | None = None) -> Any: ...
    def max(self, field: str | Col, *, using: Database | None = None) -> Any:
        return sync_terminals.max(self._state, self._field_name(field), using)

    @overload
    async def async_max(self, field: Col[V], *, using: AsyncDatabase | None = None) -> V | None: ...
    @overload
    async def async_max(self, field: str, *, using: AsyncDatabase | None = None) -> Any: ...
    async def async_max(self, field: str | Col, *, using: AsyncDatabase | None = None) -> Any:
        return await async_terminals.async_max(self._state, self._field_name(field), using)

    def _field_name(self, field: str | Col) -> str:
        """The field an aggregate terminal names: a name, or a column of this model."""
        if isinstance(field, Col):
            table = self._state.info.table
            if field.table_alias is not None or field.table not in (None, table):
                raise errors.ArgumentError(
                    f"{field.field!r} is a column of another table; name a field of "
                    f"{self._state.info.model.__name__}"
                )
            return field.field
        return field

    def aggregate(self, *, using: Database | None = None, **named: Expr) -> list[dict[str, Any]]:
        """``group_by("department").aggregate(n=Count("id"), avg=Avg("salary"))`` → dicts."""
        return sync_terminals.aggregate(self._state, named, using)

    async def async_aggregate(
        self, *, using: AsyncDatabase | None = None, **named: Expr
    ) -> list[dict[str, Any]]:
        return await async_terminals.async_aggregate(self._state, named, using)

    def rows(self, *, using: Database | None = None) -> list[dict[str, Any]]:
        """The selected columns as dicts, for selects that are not whole records (window
        functions, labelled expressions, CTE results)."""
        return sync_terminals.rows(self._state, using)

    async def async_rows(self, *, using: AsyncDatabase | None = None) -> list[dict[str, Any]]:
        return await async_terminals.async_rows(self._state, using)

    def update(self, *, using: Database | None = None, **values: Any) -> R:
        """UPDATE every matching row; returns the count (or rows with ``returning``)."""
        result: R = sync_terminals.update(self._state, values, using)
        return result

    async def async_update(self, *, using: AsyncDatabase | None = None, **values: Any) -> R:
        result: R = await async_terminals.async_update(self._state, values, using)
        return result

    def delete(self, *, using: Database | None = None) -> R:
        """DELETE every matching row (a hard delete even on soft-delete models)."""
        result: R = sync_terminals.delete(self._state, using)
        return result

    async def async_delete(self, *, using: AsyncDatabase | None = None) -> R:
        result: R = await async_terminals.async_delete(self._state, using)
        return result

    def update_statement(self, **values: Any) -> WriteStatement:
        """The UPDATE that ``update(**values)`` sends, built for every backend and not sent
        (for a data migration: ``ops.RunORM``)."""
        return writes.update_statement(self._state, values)

    def delete_statement(self) -> WriteStatement:
        """The DELETE that ``delete()`` sends, built for every backend and not sent."""
        return writes.delete_statement(self._state)

    def paginate(self, page: int, per_page: int, *, using: Database | None = None) -> Page[T]:
        return sync_terminals.paginate(self._state, page, per_page, using)

    async def async_paginate(
        self, page: int, per_page: int, *, using: AsyncDatabase | None = None
    ) -> Page[T]:
        return await async_terminals.async_paginate(self._state, page, per_page, using)

    def iterate(self, batch_size: int = 500, *, using: Database | None = None) -> Iterator[T]:
        return sync_terminals.iterate(self._state, batch_size, using)

    def async_iterate(
        self, batch_size: int = 500, *, using: AsyncDatabase | None = None
    ) -> AsyncIterator[T]:
        return async_terminals.async_iterate(self._state, batch_size, using)

    def insert_many(
        self, rows: Iterable[T | Mapping[str, Any]], *, using: Database | None = None
    ) -> int:
        """INSERT rows with this query's ``on_conflict`` clause."""
        return sync_terminals.insert_rows(self._state, rows, using)

    async def async_insert_many(
        self, rows: Iterable[T | Mapping[str, Any]], *, using: AsyncDatabase | None = None
    ) -> int:
        return await async_terminals.async_insert_rows(self._state, rows, using)


def _refiner(
    target: type[Any], refine: Callable[[Query[Any]], Query[Any]]
) -> Callable[[QueryState], QueryState]:
    """Adapt a user's ``lambda q: q.where(...)`` on the related model's query to the pure
    state the loader works with."""

    def apply(state: QueryState) -> QueryState:
        refined = refine(Query(target, state))
        if not isinstance(refined, Query):
            raise errors.ArgumentError("a with_() refinement must return a query")
        return refined.state

    return apply


class ConflictClause(Generic[T]):
    """``on_conflict(...)`` awaiting its action."""

    __slots__ = ("_query", "_target")

    def __init__(self, query: Query[T, Any], target: tuple[str, ...]) -> None:
        self._query = query
        self._target = target

    def do_nothing(self) -> Query[T]:
        clause = OnConflict(self._target, "nothing")
        return self._query._with(self._query.state.evolve(on_conflict=clause))

    def do_update(self, *fields: str) -> Query[T]:
        info = self._query.state.info
        names = tuple(info.check_field(f) for f in fields) or tuple(
            f for f in info.fields if f not in self._target and f not in info.primary_keys
        )
        clause = OnConflict(self._target, "update", names)
        return self._query._with(self._query.state.evolve(on_conflict=clause))
