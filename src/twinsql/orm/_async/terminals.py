# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""I/O shell: the terminals of ``twinsql.orm.Query`` — the only query methods that do I/O.

Each takes the query's pure state (``core.model.query.QueryState``), compiles it (pure) and
sends one statement, plus one statement per eager-loaded relation level.

The terminals are named like the query methods, so the generated sync module defines
``all``, ``sum``, ``min`` and ``max``: built-ins are reached through ``builtins`` here.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Mapping
from typing import Any

from twinsql import errors
from twinsql.connection._async.database import AsyncDatabase
from twinsql.drivers.base import AsyncStream
from twinsql.orm import query_state as q
from twinsql.orm._async.loading import async_load_eager
from twinsql.orm._async.record import async_database_of, bulk_saved, bulk_values
from twinsql.orm.query_state import Page
from twinsql.orm.state import hydrate
from twinsql.sql.dml import compile_insert
from twinsql.sql.expr import Col, Expr
from twinsql.sql.functions import Avg, Max, Min, Sum

__all__ = ["Page"]

MAX_PER_PAGE = 1000


def _db(state: q.QueryState, using: AsyncDatabase | None) -> AsyncDatabase:
    return async_database_of(state.info.model, using)


async def _models(state: q.QueryState, db: AsyncDatabase, sql: str, params: list[Any]) -> list[Any]:
    result = await db.execute_result(sql, params)
    columns = result.columns
    fields = state.info.fields
    records = hydrate(
        state.info,
        result.rows,
        db.dialect.name,
        None if columns is None or tuple(columns) == fields else columns,
    )
    if state.eager and records:
        await async_load_eager(state, records, db)
    return records


async def async_all(state: q.QueryState, using: AsyncDatabase | None = None) -> list[Any]:
    db = _db(state, using)
    sql, params = q.select_sql(state, db.dialect)
    return await _models(state, db, sql, params)


async def async_first(state: q.QueryState, using: AsyncDatabase | None = None) -> Any:
    db = _db(state, using)
    sql, params = q.first_sql(state, db.dialect)
    records = await _models(state, db, sql, params)
    return records[0] if records else None


async def async_one_or_none(state: q.QueryState, using: AsyncDatabase | None = None) -> Any:
    db = _db(state, using)
    limited = state.with_select(limit=2) if state.select.limit is None else state
    sql, params = q.select_sql(limited, db.dialect)
    records = await _models(state, db, sql, params)
    if len(records) > 1:
        raise errors.ProgrammingError(
            f"one_or_none() expected at most one {state.info.model.__name__}, found several"
        )
    return records[0] if records else None


async def async_one(state: q.QueryState, using: AsyncDatabase | None = None) -> Any:
    record = await async_one_or_none(state, using)
    if record is None:
        raise errors.RecordNotFound(f"one() found no {state.info.model.__name__}")
    return record


async def async_count(state: q.QueryState, using: AsyncDatabase | None = None) -> int:
    db = _db(state, using)
    sql, params = q.count_sql(state, db.dialect)
    return int(await db.execute_scalar(sql, params) or 0)


async def async_exists(state: q.QueryState, using: AsyncDatabase | None = None) -> bool:
    db = _db(state, using)
    sql, params = q.exists_sql(state, db.dialect)
    return bool(await db.execute_scalar(sql, params))


async def _aggregate_one(state: q.QueryState, expr: Expr, using: AsyncDatabase | None) -> Any:
    db = _db(state, using)
    sql, params = q.aggregate_sql(state.with_select(order_by=()), {"value": expr}, db.dialect)
    rows = await db.execute(sql, params)
    return rows[0]["value"] if rows else None


async def async_sum(state: q.QueryState, field: str, using: AsyncDatabase | None = None) -> Any:
    return await _aggregate_one(state, Sum(state.info.check_field(field)), using)


async def async_average(state: q.QueryState, field: str, using: AsyncDatabase | None = None) -> Any:
    return await _aggregate_one(state, Avg(state.info.check_field(field)), using)


async def async_min(state: q.QueryState, field: str, using: AsyncDatabase | None = None) -> Any:
    return await _aggregate_one(state, Min(state.info.check_field(field)), using)


async def async_max(state: q.QueryState, field: str, using: AsyncDatabase | None = None) -> Any:
    return await _aggregate_one(state, Max(state.info.check_field(field)), using)


async def async_aggregate(
    state: q.QueryState, named: Mapping[str, Expr], using: AsyncDatabase | None = None
) -> list[dict[str, Any]]:
    """Rows as dicts: the group-by fields plus one key per named aggregate."""
    if not named:
        raise errors.ArgumentError("aggregate() needs at least one named aggregate")
    q.check_aggregate_names(named)
    db = _db(state, using)
    sql, params = q.aggregate_sql(state, named, db.dialect)
    return await db.execute(sql, params)


async def async_rows(
    state: q.QueryState, using: AsyncDatabase | None = None
) -> list[dict[str, Any]]:
    """The selected columns as dicts (no hydration), for non-record selects."""
    db = _db(state, using)
    sql, params = q.select_sql(state, db.dialect)
    return await db.execute(sql, params)


async def async_update(
    state: q.QueryState, values: Mapping[str, Any], using: AsyncDatabase | None = None
) -> Any:
    """UPDATE the matching rows; the count, or the RETURNING rows as models."""
    if not values:
        raise errors.ArgumentError("update() needs at least one field=value")
    db = _db(state, using)
    sql, params = q.update_sql(state, values, db.dialect)
    if state.returning:
        return await db.execute(sql, params)
    return await db.execute_non_query(sql, params)


async def async_delete(state: q.QueryState, using: AsyncDatabase | None = None) -> Any:
    """DELETE the matching rows (bypasses soft delete); the count or RETURNING rows."""
    db = _db(state, using)
    sql, params = q.delete_sql(state, db.dialect)
    if state.returning:
        return await db.execute(sql, params)
    return await db.execute_non_query(sql, params)


async def async_paginate(
    state: q.QueryState, page: int, per_page: int, using: AsyncDatabase | None = None
) -> Page[Any]:
    """Page ``page`` (from 1) of ``per_page`` rows (at most 1000), and the total count."""
    if isinstance(page, bool) or not isinstance(page, int) or page < 1:
        raise errors.ArgumentError(f"page must be an int >= 1, got {page!r}")
    if (
        isinstance(per_page, bool)
        or not isinstance(per_page, int)
        or not 1 <= per_page <= MAX_PER_PAGE
    ):
        raise errors.ArgumentError(
            f"per_page must be an int from 1 to {MAX_PER_PAGE}, got {per_page!r}"
        )
    total = await async_count(state, using)
    items = await async_all(state.with_select(limit=per_page, offset=(page - 1) * per_page), using)
    return Page(items, page, per_page, total)


async def async_iterate(
    state: q.QueryState, batch_size: int = 500, using: AsyncDatabase | None = None
) -> AsyncStream[Any]:
    """Every matching record, fetched ``batch_size`` at a time by primary key (keyset
    pagination: stable and cheap however far it goes)."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise errors.ArgumentError(f"batch_size must be an int >= 1, got {batch_size!r}")
    info = state.info
    key = Col(info.primary_key, table=info.table)
    base = state.with_select(order_by=(key.asc(),), limit=batch_size)
    last: Any = None
    while True:
        current = base
        if last is not None:
            where = base.select.where
            after = key > last
            current = base.with_select(where=after if where is None else where & after)
        batch = await async_all(current, using)
        for record in batch:
            yield record
        if len(batch) < batch_size:
            return
        last = getattr(batch[-1], info.primary_key)


async def async_insert_rows(
    state: q.QueryState, rows: Iterable[Any], using: AsyncDatabase | None = None
) -> int:
    """INSERT rows with the query's ``on_conflict`` clause (upsert), in one transaction."""
    info = state.info
    db = _db(state, using)
    records, fields, values = bulk_values(info.model, rows)
    if not records:
        return 0
    total = 0
    async with db.transaction() as conn:
        per_statement = builtins.max(1, builtins.min(1000, conn.max_params // len(fields)))
        for start in range(0, len(values), per_statement):
            chunk = values[start : start + per_statement]
            sql = compile_insert(
                info.table, fields, len(chunk), db.dialect, on_conflict=state.on_conflict
            )
            params = [value for row in chunk for value in row]
            total += builtins.max(await conn.execute_non_query(sql, params), 0)
    bulk_saved(records)
    return total
