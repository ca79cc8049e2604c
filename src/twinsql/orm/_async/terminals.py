# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""ORM feature, I/O: the terminals of ``twinsql.orm.Query`` — the only query methods that do
I/O.

Each takes the query's pure state (``twinsql.orm.query_state.QueryState``), has it checked
and compiled there, and sends one statement, plus one statement per eager-loaded relation
level.

The terminals are named like the query methods, so the generated sync module defines
``all``, ``sum``, ``min`` and ``max``: the built-ins of those names are not called here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from twinsql.connection._async.database import AsyncDatabase
from twinsql.drivers.base import AsyncStream
from twinsql.orm import query_state as q
from twinsql.orm._async.loading import async_load_eager
from twinsql.orm._async.record import async_database_of
from twinsql.orm.aggregates import aggregate_reader, convert_rows
from twinsql.orm.bulk import bulk_saved, bulk_values, upsert_count, upsert_statements
from twinsql.orm.meta import orm_attributes
from twinsql.orm.persist import origin_key, utc_now
from twinsql.orm.query_state import Page
from twinsql.orm.state import hydrate
from twinsql.sql.expr import Expr
from twinsql.sql.functions import Avg, Max, Min, Sum

__all__ = ["Page"]


def _db(state: q.QueryState, using: AsyncDatabase | None) -> AsyncDatabase:
    return async_database_of(state.info.model, using)


async def _models(state: q.QueryState, db: AsyncDatabase, sql: str, params: list[Any]) -> list[Any]:
    if db.observer is not None:
        name = f"{state.info.model.__name__}.query"
        with db.observer.operation("orm", name, orm_attributes(state.info)):
            return await _run_models(state, db, sql, params)
    return await _run_models(state, db, sql, params)


async def _run_models(
    state: q.QueryState, db: AsyncDatabase, sql: str, params: list[Any]
) -> list[Any]:
    # Eager relations load from the node that served the parents (with read replicas).
    with db.same_node():
        result = await db.execute_result(sql, params)
        origin = origin_key(db)
        records = hydrate(state.info, result.rows, db.dialect.name, result.columns, origin)
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
    return await _one(state, using, required=False)


async def async_one(state: q.QueryState, using: AsyncDatabase | None = None) -> Any:
    return await _one(state, using, required=True)


async def _one(state: q.QueryState, using: AsyncDatabase | None, *, required: bool) -> Any:
    db = _db(state, using)
    sql, params = q.select_sql(q.at_most_two(state), db.dialect)
    records = await _models(state, db, sql, params)
    return q.only_record(state, records, required=required)


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
    value = rows[0]["value"] if rows else None
    reader = aggregate_reader(state.info, expr, db.dialect.name)
    return value if reader is None else reader(value)


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
    """Rows as dicts: the group-by fields plus one key per named aggregate (a field's
    SUM/AVG/MIN/MAX typed as ``orm.aggregates`` says)."""
    q.check_aggregate_names(named)
    db = _db(state, using)
    sql, params = q.aggregate_sql(state, named, db.dialect)
    rows = await db.execute(sql, params)
    return convert_rows(state.info, named, rows, db.dialect.name)


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
    q.check_update_values(values)
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
    page_state = q.page_state(state, page, per_page)
    total = await async_count(state, using)
    items = await async_all(page_state, using)
    return Page(items, page, per_page, total)


async def async_iterate(
    state: q.QueryState, batch_size: int = 500, using: AsyncDatabase | None = None
) -> AsyncStream[Any]:
    """Every matching record, fetched ``batch_size`` at a time by primary key (keyset
    pagination: stable and cheap however far it goes)."""
    start = q.keyset_start(state, batch_size)
    current = start
    while True:
        batch = await async_all(current, using)
        for record in batch:
            yield record
        if len(batch) < batch_size:
            return
        current = q.keyset_after(start, state.info.key_values(batch[-1]))


async def async_insert_rows(
    state: q.QueryState, rows: Iterable[Any], using: AsyncDatabase | None = None
) -> int:
    """INSERT rows with the query's ``on_conflict`` clause (upsert), in one transaction;
    the rows inserted or updated (``bulk.upsert_count``)."""
    info = state.info
    db = _db(state, using)
    records, fields, values = bulk_values(info.model, rows, utc_now())
    if not records:
        return 0
    total = 0
    async with db.transaction() as conn:
        statements = upsert_statements(
            info, fields, values, db.dialect, conn.max_params, state.on_conflict
        )
        for sql, params in statements:
            reported = await conn.execute_non_query(sql, params)
            rows_sent = len(params) // len(fields)
            total += upsert_count(state.on_conflict, db.dialect, rows_sent, reported)
    bulk_saved(records, origin_key(db))
    return total
