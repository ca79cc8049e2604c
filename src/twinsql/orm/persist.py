"""ORM feature, pure: what saving, finding and deleting one record sends, and what its result
changes on the record.

Each write is planned here in full — the SQL text (compiled once per model, dialect and
field set, then taken from ``ModelInfo.sql_cache``), its parameters, and the values the ORM
owns (timestamps in UTC, the optimistic-lock version) — so the I/O source only sends the plan
and hands the outcome back: the generated values of an INSERT, the row count of an UPDATE or
DELETE. An UPDATE that matched no row means the row is gone (or, on a versioned record,
changed) since the record was read: ``StaleObjectError``, never a silent success. Every
backend counts the rows an UPDATE *matched* (MySQL through its found-rows flag), so an UPDATE
that leaves the values as they were still counts its row.

Every statement on one record names its row by all key fields: ``WHERE a = ? AND b = ?`` for
a composite key, so a link row keyed by two columns updates and deletes exactly itself.
A saved record's key fields are not changed by ``save()`` (the UPDATE would name the row by
its new key, which is another row or none): that is refused before any I/O.

A record remembers its origin, the database it was read from or last saved to
(``state.origin_of``). ``save()`` and ``delete()`` of a persisted record on a different
database are refused with an error naming the fix, since they would write a row the record
was never read from (or, for a clean record, silently send nothing). Copying is explicit:
``save(force_insert=True)`` inserts the record with every field it holds, key included,
wherever it came from, and ``insert_many`` does the same for many.
"""

from __future__ import annotations

import datetime
import os
import weakref
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from twinsql import errors
from twinsql.connection.url import DatabaseURL
from twinsql.orm.meta import ModelInfo
from twinsql.orm.state import is_persisted, origin_of, state_of
from twinsql.sql.compiler import compile_select
from twinsql.sql.dialects import Dialect
from twinsql.sql.dml import compile_delete, compile_insert, compile_update
from twinsql.sql.expr import Col, Condition
from twinsql.sql.select import Select

__all__ = [
    "NO_KEY",
    "InsertPlan",
    "UpdatePlan",
    "check_deletable",
    "check_origin",
    "fill_on_insert",
    "find_sql",
    "finish_delete",
    "finish_insert",
    "finish_update",
    "key_from_arguments",
    "origin_key",
    "pk_condition",
    "plan_delete",
    "plan_insert",
    "plan_update",
    "rereads_after_insert",
    "soft_delete_field",
    "utc_now",
]

SQL = tuple[str, list[Any]]


def utc_now() -> datetime.datetime:
    """The time the ORM writes into timestamp fields: aware, in UTC."""
    return datetime.datetime.now(datetime.timezone.utc)


def pk_condition(info: ModelInfo, values: Sequence[Any]) -> Condition:
    """``<key> = ?`` for each key field (ANDed for a composite key), ``values`` in key
    order."""
    condition: Condition | None = None
    for name, value in zip(info.primary_keys, values, strict=True):
        equal = Col(name, table=info.table) == value
        condition = equal if condition is None else condition & equal
    assert condition is not None  # a model has at least one key field
    return condition


# Origin per database object, by id: (a weak reference to the object, its origin). A
# WeakKeyDictionary costs a new weak reference per lookup, on every query; an entry goes
# when its database object does.
_ORIGINS: dict[int, tuple[weakref.ref[Any], Hashable]] = {}


def origin_key(db: Any) -> Hashable:
    """The origin a database object stands for: the backend, host, port and database name
    its URL names (driver, user and options aside), so a sync and an async database on the
    same URL are one origin. A SQLite file is named by its absolute path; an in-memory
    SQLite database exists in its database object only. Cached per database object."""
    entry = _ORIGINS.get(id(db))
    if entry is not None and entry[0]() is db:
        return entry[1]
    url: DatabaseURL = db.url
    key: Hashable
    if url.is_memory:
        key = ("sqlite:memory", id(db))
    elif url.backend == "sqlite":
        key = ("sqlite", os.path.abspath(url.database or ""))
    else:
        key = (url.backend, url.host, url.port, url.database)
    ident = id(db)
    _ORIGINS[ident] = (weakref.ref(db, lambda _: _ORIGINS.pop(ident, None)), key)
    return key


def check_origin(info: ModelInfo, record: Any, origin: Hashable, action: str, db: Any) -> None:
    """Refuse to update or delete, in the database ``origin``, a record read from (or saved
    to) another one: the row there is not the row it was read from."""
    read_from = origin_of(record)
    if read_from is None or read_from == origin:
        return
    name = f"{info.model.__name__} {info.key_of(record)!r}"
    raise errors.InterfaceError(
        f"{name} was read from another database than {db.url.redacted()}: {action}() "
        "writes the row it was read from, never a row of another database. To copy the "
        f"record there: save(using=..., force_insert=True), or {info.model.__name__}"
        ".insert_many(records, using=...)"
    )


# The ``pk`` of a find called with the key fields by name only.
NO_KEY: Any = object()


def key_from_arguments(info: ModelInfo, pk: Any, named: dict[str, Any]) -> tuple[Any, ...]:
    """The key values ``find`` was given, in key order: ``find(1)``, ``find((1, 2))`` or
    ``find(a=1, b=2)`` for a composite key. Anything else is refused before any I/O."""
    model = info.model.__name__
    keys = info.primary_keys
    shape = "(" + ", ".join(keys) + ")"
    if named:
        if pk is not NO_KEY:
            raise errors.ArgumentError(
                f"{model}: give the key either positionally or by field name, not both"
            )
        if set(named) != set(keys):
            raise errors.ArgumentError(
                f"{model} is found by its key fields {', '.join(keys)}; got "
                f"{', '.join(sorted(named))}"
            )
        return tuple(named[k] for k in keys)
    if pk is NO_KEY:
        raise errors.ArgumentError(f"{model}: find needs the primary key {shape}")
    if len(keys) == 1:
        return (pk,)
    if not isinstance(pk, (tuple, list)) or len(pk) != len(keys):
        raise errors.ArgumentError(
            f"{model} has a composite primary key {shape}: pass a tuple of {len(keys)} "
            f"values or the fields by name, not {pk!r}"
        )
    return tuple(pk)


def find_sql(info: ModelInfo, dialect: Dialect, *, include_deleted: bool = False) -> str:
    """``SELECT <fields> FROM <table> WHERE <pk> = ?`` (soft-deleted rows hidden unless
    ``include_deleted``), compiled once per dialect."""
    hide = info.soft_delete_field is not None and not include_deleted
    key = (dialect.name, "find" if not hide else "find:live")
    sql = info.sql_cache.get(key)
    if sql is None:
        # The values only fill the placeholders.
        where = pk_condition(info, (0,) * len(info.primary_keys))
        if hide:
            assert info.soft_delete_field is not None
            where = where & Col(info.soft_delete_field, table=info.table).is_null()
        sql, _ = compile_select(Select(info.table, where=where), dialect)
        info.sql_cache[key] = sql
    return sql


def fill_on_insert(info: ModelInfo, record: Any, now: datetime.datetime) -> None:
    """The values the ORM owns on a new record: timestamps left unset, and the first
    version."""
    for role in (info.created_field, info.updated_field):
        if role is not None and getattr(record, role) is None:
            record.__dict__[role] = now
    if info.version_field is not None and getattr(record, info.version_field) is None:
        record.__dict__[info.version_field] = 1


# -- INSERT ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class InsertPlan:
    """The INSERT of one new record. ``generated``: the fields the database fills in (left
    unset on the record); ``use_returning``: whether the statement reads them back with
    RETURNING (otherwise only a new key comes back, as ``lastrowid``)."""

    sql: str
    params: list[Any]
    generated: tuple[str, ...]
    use_returning: bool


def plan_insert(
    info: ModelInfo, record: Any, dialect: Dialect, now: datetime.datetime
) -> InsertPlan:
    """Fill the owned values of a new record and plan its INSERT: every field it holds,
    except generated fields left unset, which the database fills in."""
    fill_on_insert(info, record, now)
    values = {
        name: value
        for name, value in record.__dict__.items()
        if not (value is None and name in info.generated)
    }
    fields = tuple(values)
    generated = tuple(f for f in info.generated if f not in values)
    if info.composite:
        check_key_set(info, record)
    # RETURNING only when it brings back more than the key: where a new integer key comes
    # back as lastrowid it is free, and SQLite's RETURNING costs a third more per insert.
    key_only = generated == info.primary_keys and dialect.key_from_lastrowid
    use_returning = bool(generated) and dialect.capabilities.returning_insert and not key_only
    key = (dialect.name, "insert:" + ",".join(fields) + (":r" if use_returning else ""))
    sql = info.sql_cache.get(key)
    if sql is None:
        sql = compile_insert(
            info.table, fields, 1, dialect, returning=generated if use_returning else ()
        )
        info.sql_cache[key] = sql
    params = list(info.to_db(values).values())
    return InsertPlan(sql, params, generated, use_returning)


def finish_insert(
    info: ModelInfo,
    record: Any,
    plan: InsertPlan,
    row: Sequence[Any] | None,
    lastrowid: int | None,
    dialect: str,
) -> None:
    """Store what the database generated on the inserted record: the RETURNING ``row``
    when the plan asked for one, else the new key reported as ``lastrowid``."""
    if plan.use_returning and row is not None:
        for position, name in enumerate(plan.generated):
            record.__dict__[name] = read_value(info, name, row[position], dialect)
    elif not info.composite and info.primary_keys[0] in plan.generated and lastrowid is not None:
        record.__dict__[info.primary_keys[0]] = lastrowid
    object.__setattr__(record, "__pydantic_fields_set__", set(info.fields))


def rereads_after_insert(info: ModelInfo, plan: InsertPlan) -> bool:
    """Whether the record must be read back after its INSERT: the database generated values
    besides the key (server defaults) and the backend cannot return them (no RETURNING), so
    every backend hands back the same complete record."""
    return not plan.use_returning and any(f not in info.primary_keys for f in plan.generated)


def check_key_set(info: ModelInfo, record: Any) -> None:
    """A composite key is never generated: each of its fields must hold a value."""
    unset = [k for k in info.primary_keys if record.__dict__.get(k) is None]
    if unset:
        raise errors.ArgumentError(
            f"{info.model.__name__} is keyed by {', '.join(info.primary_keys)}: set "
            f"{', '.join(unset)} before saving"
        )


def read_value(info: ModelInfo, name: str, value: Any, dialect: str) -> Any:
    """A value the driver returned for field ``name``, as the field's Python type."""
    index = info.fields.index(name)
    for position, reader in info.readers(dialect):
        if position == index and value is not None:
            return reader(value)
    return value


# -- UPDATE ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class UpdatePlan:
    """The UPDATE of a persisted record's dirty fields; ``version``: the version the record
    was read at, for models with optimistic locking (the WHERE requires it)."""

    sql: str
    params: list[Any]
    version: int | None


def plan_update(
    info: ModelInfo, record: Any, dialect: Dialect, now: datetime.datetime
) -> UpdatePlan | None:
    """The UPDATE of the dirty fields (and the owned ones: ``updated_at`` set to ``now``,
    the version incremented), or None when nothing changed."""
    state = state_of(record)
    dirty = [f for f in info.fields if f in state.dirty]
    changed_keys = [k for k in info.primary_keys if k in state.dirty]
    if changed_keys:
        raise errors.ArgumentError(
            f"{type(record).__name__}: the key field {', '.join(changed_keys)} of a saved "
            "record was changed; save() names the row by its key, so it cannot move it. "
            "Update the key with a query (Model.query().where(...).update(...)), or delete "
            "the record and insert a new one"
        )
    if info.updated_field is not None and (dirty or info.version_field):
        record.__dict__[info.updated_field] = now
        if info.updated_field not in dirty:
            dirty.append(info.updated_field)
    if not dirty:
        return None
    assignments = info.to_db({f: record.__dict__[f] for f in dirty})
    key = info.key_values(record)
    where = pk_condition(info, key)
    version_field = info.version_field
    current: Any = None
    if version_field is not None:
        current = getattr(record, version_field)
        where = where & (Col(version_field, table=info.table) == current)
        assignments[version_field] = current + 1
    cache_key = (
        dialect.name,
        "update:" + ",".join(assignments) + (":v" if version_field else ""),
    )
    sql = info.sql_cache.get(cache_key)
    if sql is None:
        sql, params = compile_update(info.table, assignments, where, dialect)
        info.sql_cache[cache_key] = sql
    else:
        # Same shape, same text: the values in SET order, then the key (and the version).
        params = [*assignments.values(), *key]
        if version_field is not None:
            params.append(current)
    return UpdatePlan(sql, params, current)


def finish_update(info: ModelInfo, record: Any, plan: UpdatePlan, count: int) -> None:
    """After the UPDATE ran: one that matched no row is stale (the row was deleted, or on a
    versioned record changed, since it was read); otherwise the version moves on and the
    record is clean."""
    if count == 0:
        name = f"{type(record).__name__} {info.key_of(record)!r}"
        if info.version_field is not None:
            raise errors.StaleObjectError(
                f"{name} was changed or deleted by someone else since it was read "
                f"(version {plan.version})"
            )
        raise errors.StaleObjectError(
            f"{name} was not saved: its row no longer exists (deleted since it was read)"
        )
    if info.version_field is not None:
        assert plan.version is not None  # a versioned plan holds the version it read
        record.__dict__[info.version_field] = plan.version + 1
    state_of(record).dirty.clear()


# -- DELETE ---------------------------------------------------------------------------------


def check_deletable(record: Any) -> None:
    """Only a saved record can be deleted."""
    if not is_persisted(record):
        raise errors.InterfaceError(
            f"this {type(record).__name__} was never saved; nothing to delete"
        )


def soft_delete_field(info: ModelInfo) -> str:
    """The field a soft delete sets on the model (and a restore clears)."""
    if info.soft_delete_field is None:
        raise errors.InterfaceError(f"{info.model.__name__} has no soft-delete field")
    return info.soft_delete_field


def plan_delete(info: ModelInfo, record: Any, dialect: Dialect) -> SQL:
    """The DELETE of one record by key (and by the version it was read at, when versioned)."""
    where = pk_condition(info, info.key_values(record))
    if info.version_field is not None:
        where = where & (
            Col(info.version_field, table=info.table) == getattr(record, info.version_field)
        )
    return compile_delete(info.table, where, dialect)


def finish_delete(info: ModelInfo, record: Any, count: int) -> None:
    """After the DELETE ran: a versioned record that matched no row is stale; otherwise the
    record is no longer persisted."""
    if info.version_field is not None and count == 0:
        raise errors.StaleObjectError(
            f"{type(record).__name__} {info.key_of(record)!r} was changed or "
            "deleted by someone else since it was read"
        )
    state_of(record).persisted = False
