"""SQL feature, pure: INSERT, UPDATE and DELETE statements for one table.

``compile_insert`` returns only the text — multi-row ``VALUES`` with ``rows`` tuples of
``?`` — and the caller supplies the parameters row-major (row 1's fields, row 2's, …), so
the bulk path never builds an intermediate list per row.  ``compile_update`` and
``compile_delete`` return text and parameters: assignments bind their values (an ``Expr``
is compiled, ``balance = "balance" - ?``), then the WHERE parameters follow.

Upserts (``OnConflict``): PostgreSQL and SQLite ``ON CONFLICT (target) DO NOTHING`` /
``DO UPDATE SET c = EXCLUDED.c``.  MySQL/MariaDB have no conflict target:
``ON DUPLICATE KEY UPDATE`` fires on any unique key, ``DO NOTHING`` becomes the no-op
assignment ``pk = pk`` (``INSERT IGNORE`` would also swallow other errors), and
``DO UPDATE`` uses ``c = VALUES(c)`` — the form MariaDB understands (MySQL 8 accepts it
with a deprecation warning).

Which form an insert without fields and an upsert take is read from the dialect's
capabilities (``multirow_empty_insert``, ``upsert``).

``RETURNING`` is compiled only where the dialect's capabilities say so (not on MySQL);
elsewhere it raises ``ArgumentError`` before any I/O.  Field names are checked against
the table and quoted; the listed fields come back under their field names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from twinsql.errors import ArgumentError
from twinsql.sql.context import Context
from twinsql.sql.dialects import Dialect
from twinsql.sql.expr import Condition, Expr, enum_value
from twinsql.sql.table import TableInfo, shown, table_sql, unknown_field

__all__ = ["OnConflict", "compile_delete", "compile_insert", "compile_update"]


@dataclass(frozen=True)
class OnConflict:
    """What an INSERT does when a row conflicts with a unique key.

    ``target``: the fields of the unique key (PostgreSQL needs it for ``"update"``; MySQL
    ignores it).  ``update_fields``: what ``"update"`` overwrites with the new row's values
    — by default every inserted field outside the target.
    """

    target: tuple[str, ...]
    action: Literal["nothing", "update"]
    update_fields: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.action not in ("nothing", "update"):
            raise ArgumentError(
                f"on_conflict action must be 'nothing' or 'update', not {shown(self.action)}"
            )
        for name in ("target", "update_fields"):
            value = getattr(self, name)
            if isinstance(value, str) or not isinstance(value, Sequence):
                raise ArgumentError(f"on_conflict {name} must be a tuple of field names")
            object.__setattr__(self, name, tuple(value))
        if self.action == "nothing" and self.update_fields:
            raise ArgumentError("on_conflict 'nothing' takes no update_fields")
        if self.action == "update" and not self.target:
            raise ArgumentError("on_conflict 'update' needs the target fields of the unique key")


def _fields(table: TableInfo, fields: Sequence[str], what: str) -> tuple[str, ...]:
    if isinstance(fields, str) or not isinstance(fields, Sequence):
        raise ArgumentError(f"{what} must be a sequence of field names, not {shown(fields)}")
    names = tuple(fields)
    for name in names:
        if not isinstance(name, str) or name not in table.columns:
            raise unknown_field(table.name, name, table.fields)
    if len(set(names)) != len(names):
        raise ArgumentError(f"{what} names a field twice: {', '.join(names)}")
    return names


def _returning(table: TableInfo, fields: Sequence[str], dialect: Dialect, insert: bool) -> str:
    if not fields:
        return ""
    caps = dialect.capabilities
    if not (caps.returning_insert if insert else caps.returning_update_delete):
        raise ArgumentError(
            f"RETURNING is not available on {dialect.name}; read the row back with a SELECT"
        )
    sel = table_sql(table, dialect).sel
    return " RETURNING " + ", ".join([sel[f] for f in _fields(table, fields, "returning")])


def compile_insert(
    table: TableInfo,
    fields: Sequence[str],
    rows: int,
    dialect: Dialect,
    *,
    returning: Sequence[str] = (),
    on_conflict: OnConflict | None = None,
) -> str:
    """``INSERT INTO t (cols) VALUES (?, …), …`` for ``rows`` rows of ``fields``."""
    names = _fields(table, fields, "insert fields")
    if not isinstance(rows, int) or isinstance(rows, bool) or rows < 1:
        raise ArgumentError(f"rows must be a positive int, not {shown(rows)}")
    tsql = table_sql(table, dialect)
    if names:
        columns = " (" + ", ".join([tsql.cols[f] for f in names]) + ")"
        row = "(" + "?, " * (len(names) - 1) + "?)"
        text = f"INSERT INTO {tsql.name}{columns} VALUES " + ", ".join([row] * rows)
    elif dialect.capabilities.multirow_empty_insert:
        text = f"INSERT INTO {tsql.name} () VALUES " + ", ".join(["()"] * rows)
    else:
        # PostgreSQL and SQLite have DEFAULT VALUES for one row only and no upsert after it.
        if rows != 1 or on_conflict is not None:
            raise ArgumentError("an insert without fields takes one row and no on_conflict")
        text = f"INSERT INTO {tsql.name} DEFAULT VALUES"
    if on_conflict is not None:
        if not isinstance(on_conflict, OnConflict):
            raise ArgumentError("on_conflict must be an OnConflict")
        text += _upsert(table, names, on_conflict, dialect)
    return text + _returning(table, returning, dialect, insert=True)


def _upsert(table: TableInfo, names: tuple[str, ...], oc: OnConflict, dialect: Dialect) -> str:
    cols = table_sql(table, dialect).cols
    target = _fields(table, oc.target, "on_conflict target")
    updates: tuple[str, ...] = ()
    if oc.action == "update":
        updates = _fields(table, oc.update_fields, "on_conflict update_fields") or tuple(
            f for f in names if f not in target
        )
        missing = [f for f in updates if f not in names]
        if missing:
            raise ArgumentError(
                f"on_conflict updates {', '.join(missing)}, which the insert does not set"
            )
        if not updates:
            raise ArgumentError("on_conflict 'update' has no field left to update")
    if dialect.capabilities.upsert == "on_duplicate_key":
        if not updates:
            pk = cols[table.primary_key]
            return f" ON DUPLICATE KEY UPDATE {pk} = {pk}"
        sets = ", ".join([f"{cols[f]} = VALUES({cols[f]})" for f in updates])
        return " ON DUPLICATE KEY UPDATE " + sets
    head = " ON CONFLICT (" + ", ".join([cols[f] for f in target]) + ")" if target else (
        " ON CONFLICT")  # fmt: skip
    if not updates:
        return head + " DO NOTHING"
    sets = ", ".join([f"{cols[f]} = EXCLUDED.{cols[f]}" for f in updates])
    return head + " DO UPDATE SET " + sets


def _where(ctx: Context, where: Condition | None) -> str:
    if where is None:
        return ""
    if not isinstance(where, Condition):
        raise ArgumentError(f"where must be a condition, not {type(where).__name__}")
    return " WHERE " + ctx.sub(where, 0)


def compile_update(
    table: TableInfo,
    assignments: Mapping[str, Any | Expr],
    where: Condition | None,
    dialect: Dialect,
    *,
    returning: Sequence[str] = (),
) -> tuple[str, list[Any]]:
    """``UPDATE t SET col = ?, … [WHERE …] [RETURNING …]``; no WHERE updates every row."""
    if not isinstance(assignments, Mapping) or not assignments:
        raise ArgumentError("an update needs at least one field to set")
    names = _fields(table, tuple(assignments), "update fields")
    ctx = Context(dialect)
    ctx.scope = ctx.table_scope(table)
    cols = table_sql(table, dialect).cols
    sets = []
    for name in names:
        value = assignments[name]
        if isinstance(value, Expr):
            sets.append(f"{cols[name]} = {ctx.sub(value, 0)}")
        else:
            ctx.params.append(enum_value(value))
            sets.append(f"{cols[name]} = ?")
    text = f"UPDATE {ctx.scope.from_sql} SET " + ", ".join(sets) + _where(ctx, where)
    return text + _returning(table, returning, dialect, insert=False), ctx.params


def compile_delete(
    table: TableInfo,
    where: Condition | None,
    dialect: Dialect,
    *,
    returning: Sequence[str] = (),
) -> tuple[str, list[Any]]:
    """``DELETE FROM t [WHERE …] [RETURNING …]``; no WHERE deletes every row."""
    ctx = Context(dialect)
    ctx.scope = ctx.table_scope(table)
    text = f"DELETE FROM {ctx.scope.from_sql}" + _where(ctx, where)
    return text + _returning(table, returning, dialect, insert=False), ctx.params
