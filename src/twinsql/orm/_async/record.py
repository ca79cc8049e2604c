# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""I/O shell: persistence of single records — find, save, delete, refresh, insert_many.

Functions, not methods: ``twinsql.orm.Model`` composes them into its ``async_…`` methods
(and the generated twin into its plain ones). Each does exactly one round trip: an INSERT
returns generated values with RETURNING where the backend has it (MySQL reports the new key
as ``lastrowid``), an UPDATE sends only the dirty fields, and SQL text is cached per model,
dialect and field set so nothing is compiled twice.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from twinsql import errors
from twinsql.batch.plan import plan_insert_batches
from twinsql.connection._async.connection import AsyncConnection
from twinsql.connection._async.database import AsyncDatabase
from twinsql.drivers.base import CopyUnsupported
from twinsql.orm.meta import ModelInfo
from twinsql.orm.state import (
    hydrate,
    is_persisted,
    mark_saved,
    refresh_from_row,
    state_of,
)
from twinsql.sql.compiler import compile_select
from twinsql.sql.dml import compile_delete, compile_insert, compile_update
from twinsql.sql.expr import Col, Condition
from twinsql.sql.select import Select

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
# Values per multi-row INSERT of insert_many: well under every backend's packet limit.
INSERT_MANY_MAX_BYTES = 1_000_000
# From this many rows on, PostgreSQL gets them by COPY (the savepoint around it is cheap).
COPY_MIN_ROWS = 100


def async_database_of(model: type[Any], using: AsyncDatabase | None) -> AsyncDatabase:
    """The database a model's I/O runs on: ``using=``, else the model's binding."""
    if using is not None:
        return using
    attribute = "__twinsql_async_db__" if _IS_ASYNC else "__twinsql_db__"
    db = getattr(model, attribute, None)
    if db is None:
        raise errors.InterfaceError(
            f"{model.__name__} has no AsyncDatabase bound: call {model.__name__}.bind(db) "
            "(or bind a base model) or pass using="
        )
    return db  # type: ignore[no-any-return]


def _pk_condition(info: ModelInfo, value: Any) -> Condition:
    condition: Condition = Col(info.primary_key, table=info.table) == value
    return condition


def _find_sql(info: ModelInfo, db: AsyncDatabase, *, include_deleted: bool = False) -> str:
    """``SELECT <fields> FROM <table> WHERE <pk> = ?``, compiled once per dialect."""
    hide = info.soft_delete_field is not None and not include_deleted
    key = (db.dialect.name, "find" if not hide else "find:live")
    sql = info.sql_cache.get(key)
    if sql is None:
        where = _pk_condition(info, 0)  # the value only fills the placeholder
        if hide:
            assert info.soft_delete_field is not None
            where = where & Col(info.soft_delete_field, table=info.table).is_null()
        sql, _ = compile_select(Select(info.table, where=where), db.dialect)
        info.sql_cache[key] = sql
    return sql


async def async_find(model: type[M], pk: Any, *, using: AsyncDatabase | None = None) -> M | None:
    """The record with primary key ``pk``, or None. One statement, SQL cached."""
    info: ModelInfo = model.__twinsql__  # type: ignore[attr-defined]
    db = async_database_of(model, using)
    result = await db.execute_result(_find_sql(info, db), (pk,))
    records = hydrate(info, result.rows, db.dialect.name)
    return records[0] if records else None


async def async_find_or_fail(model: type[M], pk: Any, *, using: AsyncDatabase | None = None) -> M:
    record = await async_find(model, pk, using=using)
    if record is None:
        raise errors.RecordNotFound(f"no {model.__name__} with primary key {pk!r}")
    return record


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


async def async_save(record: Any, *, using: AsyncDatabase | None = None) -> None:
    """INSERT a new record or UPDATE the dirty fields of a persisted one."""
    model = type(record)
    info: ModelInfo = model.__twinsql__
    db = async_database_of(model, using)
    record.before_save()
    if not is_persisted(record):
        record.before_create()
        await _insert(info, record, db)
        mark_saved(record)
        record.after_create()
    else:
        record.before_update()
        await _update(info, record, db)
        record.after_update()
    record.after_save()


def fill_on_insert(info: ModelInfo, record: Any, now: datetime.datetime) -> None:
    """The values the ORM owns on a new record: timestamps and the first version."""
    for role in (info.created_field, info.updated_field):
        if role is not None and getattr(record, role) is None:
            record.__dict__[role] = now
    if info.version_field is not None and getattr(record, info.version_field) is None:
        record.__dict__[info.version_field] = 1


def bulk_values(
    model: type[Any], rows: Iterable[Any]
) -> tuple[list[Any], tuple[str, ...], list[tuple[Any, ...]]]:
    """For a bulk insert: the records (mappings validated into models), with their create
    hooks run and owned values filled; the fields to insert (a generated field left unset
    on every record is the database's to fill); each record's values in that order."""
    info: ModelInfo = model.__twinsql__
    records = [r if isinstance(r, model) else model(**dict(r)) for r in rows]
    now = _now()
    value_rows: list[dict[str, Any]] = []
    for record in records:
        record.before_save()
        record.before_create()
        fill_on_insert(info, record, now)
        value_rows.append(info.to_db(dict(record.__dict__)))
    fields = tuple(
        f
        for f in info.fields
        if not (f in info.generated and all(v[f] is None for v in value_rows))
    )
    return records, fields, [tuple(row[f] for f in fields) for row in value_rows]


def bulk_saved(records: list[Any]) -> None:
    """After a bulk insert committed: the records are persisted; their hooks run."""
    for record in records:
        mark_saved(record)
        record.after_create()
        record.after_save()


async def _insert(info: ModelInfo, record: Any, db: AsyncDatabase) -> None:
    fill_on_insert(info, record, _now())
    values = {
        name: value
        for name, value in record.__dict__.items()
        if not (value is None and name in info.generated)
    }
    fields = tuple(values)
    dialect = db.dialect
    returning = tuple(f for f in info.generated if f not in values)
    # RETURNING only when it brings back more than the key: SQLite reports a new integer
    # key as lastrowid for free, and its RETURNING costs a third more per insert.
    key_only = returning == (info.primary_key,) and dialect.name == "sqlite"
    use_returning = bool(returning) and dialect.capabilities.returning_insert and not key_only
    key = (dialect.name, "insert:" + ",".join(fields) + (":r" if use_returning else ""))
    sql = info.sql_cache.get(key)
    if sql is None:
        sql = compile_insert(
            info.table, fields, 1, dialect, returning=returning if use_returning else ()
        )
        info.sql_cache[key] = sql
    params = list(info.to_db(values).values())
    result = await db.execute_result(sql, params)
    if use_returning and result.rows:
        row = result.rows[0]
        for position, name in enumerate(returning):
            record.__dict__[name] = _read(info, name, row[position], dialect.name)
    elif info.primary_key in returning and result.lastrowid is not None:
        record.__dict__[info.primary_key] = result.lastrowid
    object.__setattr__(record, "__pydantic_fields_set__", set(info.fields))


def _read(info: ModelInfo, name: str, value: Any, dialect: str) -> Any:
    index = info.fields.index(name)
    for position, reader in info.readers(dialect):
        if position == index and value is not None:
            return reader(value)
    return value


async def _update(info: ModelInfo, record: Any, db: AsyncDatabase) -> None:
    state = state_of(record)
    dirty = [f for f in info.fields if f in state.dirty]
    if info.updated_field is not None and (dirty or info.version_field):
        record.__dict__[info.updated_field] = _now()
        if info.updated_field not in dirty:
            dirty.append(info.updated_field)
    if not dirty:
        return
    assignments = info.to_db({f: record.__dict__[f] for f in dirty})
    where = _pk_condition(info, getattr(record, info.primary_key))
    version = info.version_field
    if version is not None:
        current = getattr(record, version)
        where = where & (Col(version, table=info.table) == current)
        assignments[version] = current + 1
    key = (db.dialect.name, "update:" + ",".join(assignments) + (":v" if version else ""))
    sql = info.sql_cache.get(key)
    if sql is None:
        sql, params = compile_update(info.table, assignments, where, db.dialect)
        info.sql_cache[key] = sql
    else:
        # Same shape, same text: the values in SET order, then the key (and the version).
        params = [*assignments.values(), getattr(record, info.primary_key)]
        if version is not None:
            params.append(current)
    count = await db.execute_non_query(sql, params)
    if version is not None:
        if count == 0:
            raise errors.StaleObjectError(
                f"{type(record).__name__} {getattr(record, info.primary_key)!r} was changed "
                f"or deleted by someone else since it was read (version {current})"
            )
        record.__dict__[version] = current + 1
    state.dirty.clear()


async def async_delete(record: Any, *, using: AsyncDatabase | None = None) -> None:
    """DELETE the record; models with a soft-delete field get it set instead."""
    model = type(record)
    info: ModelInfo = model.__twinsql__
    db = async_database_of(model, using)
    if not is_persisted(record):
        raise errors.InterfaceError(f"this {model.__name__} was never saved; nothing to delete")
    record.before_delete()
    if info.soft_delete_field is not None:
        setattr(record, info.soft_delete_field, _now())
        await _update(info, record, db)
    else:
        where = _pk_condition(info, getattr(record, info.primary_key))
        if info.version_field is not None:
            where = where & (
                Col(info.version_field, table=info.table) == getattr(record, info.version_field)
            )
        sql, params = compile_delete(info.table, where, db.dialect)
        count = await db.execute_non_query(sql, params)
        if info.version_field is not None and count == 0:
            raise errors.StaleObjectError(
                f"{model.__name__} {getattr(record, info.primary_key)!r} was changed or "
                "deleted by someone else since it was read"
            )
        state_of(record).persisted = False
    record.after_delete()


async def async_restore(record: Any, *, using: AsyncDatabase | None = None) -> None:
    """Undo a soft delete."""
    info: ModelInfo = type(record).__twinsql__
    if info.soft_delete_field is None:
        raise errors.InterfaceError(f"{type(record).__name__} has no soft-delete field")
    setattr(record, info.soft_delete_field, None)
    await _update(info, record, async_database_of(type(record), using))


async def async_refresh(record: Any, *, using: AsyncDatabase | None = None) -> None:
    """Re-read every field of the record from the database."""
    model = type(record)
    info: ModelInfo = model.__twinsql__
    db = async_database_of(model, using)
    sql = _find_sql(info, db, include_deleted=True)
    result = await db.execute_result(sql, (getattr(record, info.primary_key),))
    if not result.rows:
        raise errors.RecordNotFound(
            f"{model.__name__} {getattr(record, info.primary_key)!r} no longer exists"
        )
    refresh_from_row(info, record, result.rows[0], db.dialect.name)
    state = state_of(record)
    state.persisted = True
    state.dirty.clear()


async def async_insert_many(
    model: type[Any],
    rows: Iterable[Any],
    *,
    using: AsyncDatabase | None = None,
) -> int:
    """Insert many records with multi-row INSERTs chunked under the parameter limit, in one
    transaction (all or nothing). Rows are models or mappings (validated either way)."""
    info: ModelInfo = model.__twinsql__
    db = async_database_of(model, using)
    records, fields, rows_values = bulk_values(model, rows)
    if not records:
        return 0
    table_sql = db.dialect.quote_identifier(info.table.name)
    columns = [info.table.column(f) for f in fields]
    total = 0
    async with db.transaction() as conn:
        if conn.can_copy and len(rows_values) >= COPY_MIN_ROWS:
            copied = await _try_copy(conn, info.table.name, columns, rows_values)
            if copied is not None:
                rows_values = []
                total = copied
        # The batcher's planner: multi-row INSERTs under the parameter limit and a byte
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
        for sql, params in plan:
            result = await conn.run_prepared((sql, params), sql, None)
            total += max(result.rowcount, 0)
    bulk_saved(records)
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
    """Load relations on one record (``await user.async_load("orders")``)."""
    from twinsql.orm._async.loading import async_load_relations

    model = type(record)
    await async_load_relations(model, [record], names, async_database_of(model, using))
