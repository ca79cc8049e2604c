# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""ORM feature, I/O: persistence of records — find, save, delete, refresh, insert_many.

Functions, not methods: ``twinsql.orm.Model`` composes them into its ``async_…`` methods
(and the generated twin into its plain ones). What each statement is, and what its result
changes on the record, is planned by the pure ``twinsql.orm.persist`` and
``twinsql.orm.bulk``; this module runs the hooks in order and sends the plans. Each write of
one record is one round trip: an INSERT returns generated values with RETURNING where the
backend has it (MySQL reports the new key as ``lastrowid``, and a record with server
defaults is read back by that key), an UPDATE sends only the dirty fields, and none when no
field changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from twinsql import errors
from twinsql.connection._async.connection import AsyncConnection
from twinsql.connection._async.database import AsyncDatabase
from twinsql.drivers.base import CopyUnsupported
from twinsql.orm import persist
from twinsql.orm.bulk import (
    INSERT_MANY_MAX_BYTES,
    bulk_saved,
    bulk_values,
    copies,
    merged_label,
)
from twinsql.orm.meta import ModelInfo, orm_attributes
from twinsql.orm.state import hydrate, is_persisted, mark_saved, refresh_from_row
from twinsql.sql.insert_plan import plan_insert_batches

__all__ = [
    "async_database_of",
    "async_delete",
    "async_find",
    "async_find_or_fail",
    "async_insert_many",
    "async_load",
    "async_refresh",
    "async_save",
]

_IS_ASYNC = True
M = TypeVar("M")


def async_database_of(model: type[Any], using: AsyncDatabase | None) -> AsyncDatabase:
    """The database a model's I/O runs on: ``using=``, else the model's binding."""
    if using is not None:
        return using
    attribute = "__twinsql_async_db__" if _IS_ASYNC else "__twinsql_db__"
    db = getattr(model, attribute, None)
    if db is None:
        other = "__twinsql_db__" if _IS_ASYNC else "__twinsql_async_db__"
        if getattr(model, other, None) is not None:
            name = model.__name__
            bound, methods, other_db = (
                ("a Database", f"its sync methods ({name}.find(...))", "an AsyncDatabase")
                if _IS_ASYNC
                else ("an AsyncDatabase", f"its async methods (await {name}.async_find(...))",
                      "a Database")
            )  # fmt: skip
            raise errors.InterfaceError(
                f"{name} is bound to {bound} only: call {methods}, or bind {other_db} too: "
                f"{name}.bind(db)"
            )
        raise errors.InterfaceError(
            f"{model.__name__} has no {AsyncDatabase.__name__} bound:"
            f" call {model.__name__}.bind(db) "
            "(or bind a base model) or pass using="
        )
    return db  # type: ignore[no-any-return]


async def async_find(
    model: type[M],
    pk: Any = persist.NO_KEY,
    *,
    using: AsyncDatabase | None = None,
    key: dict[str, Any] | None = None,
) -> M | None:
    """The record with primary key ``pk`` (a tuple for a composite key, or the key fields by
    name in ``key``), or None. One statement, SQL cached."""
    info: ModelInfo = model.__twinsql__  # type: ignore[attr-defined]
    values = persist.key_from_arguments(info, pk, key or {})
    db = async_database_of(model, using)
    if db.observer is not None:
        with db.observer.operation("orm", f"{model.__name__}.find", orm_attributes(info)):
            found: M | None = await _find(info, db, values)
            return found
    found = await _find(info, db, values)
    return found


async def _find(info: ModelInfo, db: AsyncDatabase, values: Any) -> Any:
    result = await db.execute_result(persist.find_sql(info, db.dialect), values)
    records = hydrate(info, result.rows, db.dialect.name, origin=persist.origin_key(db))
    return records[0] if records else None


async def async_find_or_fail(
    model: type[M],
    pk: Any = persist.NO_KEY,
    *,
    using: AsyncDatabase | None = None,
    key: dict[str, Any] | None = None,
) -> M:
    record = await async_find(model, pk, using=using, key=key)
    if record is None:
        shown = repr(pk) if not key else ", ".join(f"{k}={v!r}" for k, v in key.items())
        raise errors.RecordNotFound(f"no {model.__name__} with primary key {shown}")
    return record


async def async_save(
    record: Any, *, using: AsyncDatabase | None = None, force_insert: bool = False
) -> None:
    """INSERT a new record or UPDATE the dirty fields of a persisted one. ``force_insert``:
    INSERT whatever the record's state, every field it holds included (its key too) — how
    a record read from one database is copied into another. A persisted record is only
    updated in the database it was read from or saved to (``persist.check_origin``)."""
    model = type(record)
    info: ModelInfo = model.__twinsql__
    db = async_database_of(model, using)
    if db.observer is not None:
        with db.observer.operation("orm", f"{model.__name__}.save", orm_attributes(info)):
            return await _save(info, record, db, force_insert)
    return await _save(info, record, db, force_insert)


async def _save(info: ModelInfo, record: Any, db: AsyncDatabase, force_insert: bool) -> None:
    origin = persist.origin_key(db)
    insert = force_insert or not is_persisted(record)
    if not insert:
        persist.check_origin(info, record, origin, "save", db)
    record.before_save()
    if insert:
        record.before_create()
        await _insert(info, record, db)
        mark_saved(record, origin)
        record.after_create()
    else:
        record.before_update()
        await _update(info, record, db)
        record.after_update()
    record.after_save()


async def _insert(info: ModelInfo, record: Any, db: AsyncDatabase) -> None:
    plan = persist.plan_insert(info, record, db.dialect, persist.utc_now())
    result = await db.execute_result(plan.sql, plan.params)
    row = result.rows[0] if result.rows else None
    persist.finish_insert(info, record, plan, row, result.lastrowid, db.dialect.name)
    if persist.rereads_after_insert(info, plan):
        sql = persist.find_sql(info, db.dialect, include_deleted=True)
        again = await db.execute_result(sql, info.key_values(record))
        if again.rows:
            refresh_from_row(info, record, again.rows[0], db.dialect.name)


async def _update(info: ModelInfo, record: Any, db: AsyncDatabase) -> None:
    plan = persist.plan_update(info, record, db.dialect, persist.utc_now())
    if plan is None:
        return
    count = await db.execute_non_query(plan.sql, plan.params)
    persist.finish_update(info, record, plan, count)


async def async_delete(record: Any, *, using: AsyncDatabase | None = None) -> None:
    """DELETE the record; models with a soft-delete field get it set instead."""
    model = type(record)
    info: ModelInfo = model.__twinsql__
    db = async_database_of(model, using)
    if db.observer is not None:
        with db.observer.operation("orm", f"{model.__name__}.delete", orm_attributes(info)):
            return await _delete(info, record, db)
    return await _delete(info, record, db)


async def _delete(info: ModelInfo, record: Any, db: AsyncDatabase) -> None:
    persist.check_deletable(record)
    persist.check_origin(info, record, persist.origin_key(db), "delete", db)
    record.before_delete()
    if info.soft_delete_field is not None:
        setattr(record, info.soft_delete_field, persist.utc_now())
        await _update(info, record, db)
    else:
        sql, params = persist.plan_delete(info, record, db.dialect)
        count = await db.execute_non_query(sql, params)
        persist.finish_delete(info, record, count)
    record.after_delete()


async def async_restore(record: Any, *, using: AsyncDatabase | None = None) -> None:
    """Undo a soft delete."""
    info: ModelInfo = type(record).__twinsql__
    db = async_database_of(type(record), using)
    persist.check_origin(info, record, persist.origin_key(db), "restore", db)
    setattr(record, persist.soft_delete_field(info), None)
    await _update(info, record, db)


async def async_refresh(record: Any, *, using: AsyncDatabase | None = None) -> None:
    """Re-read every field of the record from the database."""
    model = type(record)
    info: ModelInfo = model.__twinsql__
    db = async_database_of(model, using)
    sql = persist.find_sql(info, db.dialect, include_deleted=True)
    result = await db.execute_result(sql, info.key_values(record))
    if not result.rows:
        raise errors.RecordNotFound(f"{model.__name__} {info.key_of(record)!r} no longer exists")
    refresh_from_row(info, record, result.rows[0], db.dialect.name)
    # Re-read from ``db``: the record is that database's row from now on.
    mark_saved(record, persist.origin_key(db))


async def async_insert_many(
    model: type[Any],
    rows: Iterable[Any],
    *,
    using: AsyncDatabase | None = None,
) -> int:
    """Insert many records with multi-row INSERTs chunked under the parameter limit, in one
    transaction (all or nothing). Rows are models or mappings (validated either way); a
    record read from another database is inserted with every field it holds, its key too
    (a copy), and belongs to this database afterwards."""
    info: ModelInfo = model.__twinsql__
    db = async_database_of(model, using)
    records, fields, rows_values = bulk_values(model, rows, persist.utc_now())
    if not records:
        return 0
    table_sql = db.dialect.quote_identifier(info.table.name)
    columns = [info.table.column(f) for f in fields]
    total = 0
    async with db.transaction() as conn:
        if copies(conn.can_copy, len(rows_values)):
            copied = await _try_copy(conn, info.table.name, columns, rows_values)
            if copied is not None:
                rows_values = []
                total = copied
        # The shared INSERT planner: multi-row INSERTs under the parameter limit and a byte
        # budget, built directly in the driver's placeholder style (no re-tokenising of a
        # statement with thousands of placeholders).
        plan = plan_insert_batches(
            table_sql,
            columns,
            rows_values,
            db.dialect,
            conn.max_params,
            INSERT_MANY_MAX_BYTES,
            paramstyle=conn.raw.paramstyle,
        )
        label = merged_label(info, fields, db.dialect)
        for sql, params in plan:
            shown = label.format(rows=len(params) // len(columns))
            result = await conn.run_prepared((sql, params), shown, None)
            total += max(result.rowcount, 0)
    bulk_saved(records, persist.origin_key(db))
    return total if total else len(records)


async def _try_copy(
    conn: AsyncConnection, table: str, columns: list[str], rows: list[tuple[Any, ...]]
) -> int | None:
    """COPY the rows in under a savepoint; None when COPY cannot carry these columns (the
    savepoint undoes a COPY the server had begun, and INSERTs take over)."""
    try:
        async with conn.transaction():
            return await conn.copy_rows(table, columns, rows)
    except CopyUnsupported:
        return None


async def async_load(
    record: Any, names: Sequence[str], *, using: AsyncDatabase | None = None
) -> None:
    """Load relations on one record (what ``user.load("orders")`` runs)."""
    from twinsql.orm._async.loading import async_load_relations

    model = type(record)
    await async_load_relations(model, [record], names, async_database_of(model, using))
