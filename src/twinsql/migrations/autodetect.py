"""Migrations feature, pure: the operations that take the replayed state to the models.

``detect(state, models)`` compares table by table and column by column and returns the
operations in an order every backend accepts: renames first, then foreign keys and indexes
that go away, new and changed enum types, new tables, new and changed columns, dropped
columns and tables, enum types no longer used, and last the new indexes and foreign keys.

Enum types: values appended at the end become ``AddEnumValue`` steps; any other change of
the list (a value removed, the order changed) is a ``RebuildEnum``, which is destructive.

Renames: a table whose model says ``__renamed_from__ = "old"`` or a column whose field says
``Field(renamed_from="old")`` is renamed. Otherwise a table dropped and one added with the
same columns, or a column dropped and one added of a compatible type, is a *candidate*
rename: the ``Questioner`` is asked, and one without input (``--no-input``) fails naming the
pair, so a rename never silently becomes a drop and an add. Destructive steps (a dropped
table or column, a narrowing type change) are refused unless ``allow_destructive``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any, Protocol

from twinsql.errors import MigrationError
from twinsql.migrations.models import models_state, renamed_columns, renamed_table
from twinsql.migrations.operations import (
    AddColumn,
    AddEnumValue,
    AddForeignKey,
    AlterColumn,
    CreateEnum,
    CreateIndex,
    CreateTable,
    DropColumn,
    DropEnum,
    DropForeignKey,
    DropIndex,
    DropTable,
    Operation,
    RebuildEnum,
    RenameColumn,
    RenameTable,
)
from twinsql.migrations.sqlgen import narrows
from twinsql.migrations.state import Column, SchemaState, Table

__all__ = ["NoInput", "Questioner", "detect"]

# Column type kinds a rename may join (a rename never changes how values are stored).
_COMPATIBLE = {("str", "enum"), ("enum", "str")}


class Questioner(Protocol):
    def confirm_rename(self, what: str, old: str, new: str) -> bool: ...

    def backfill(self, table: str, column: Column) -> Any: ...


@dataclass
class NoInput:
    """The questioner of ``--no-input``: any question is an error that says what to add."""

    def confirm_rename(self, what: str, old: str, new: str) -> bool:
        hint = f'Field(renamed_from="{old}")' if what == "column" else f'__renamed_from__ = "{old}"'
        raise MigrationError(
            f"ambiguous change: {what} {old!r} was removed and {new!r} added; say {hint} on "
            "the model for a rename, or run interactively to answer"
        )

    def backfill(self, table: str, column: Column) -> Any:
        raise MigrationError(
            f"{table}.{column.name} is NOT NULL without a default: give the field a default "
            "or a server_default, make it Optional, or run interactively to give a backfill"
        )


def _same_columns(a: Table, b: Table) -> bool:
    return [(c.name, c.type) for c in a.columns] == [(c.name, c.type) for c in b.columns]


def _compatible(a: Column, b: Column) -> bool:
    return a.type == b.type or (a.type, b.type) in _COMPATIBLE


def detect(
    state: SchemaState,
    models: Iterable[type[Any]],
    questioner: Questioner | None = None,
    *,
    allow_destructive: bool = False,
) -> list[Operation]:
    """The operations from ``state`` to the schema of ``models`` (empty: no changes)."""
    models = list(models)
    ask = questioner or NoInput()
    target = models_state(models)
    by_table = {model.__twinsql__.table.name: model for model in models}
    ops: list[Operation] = []
    current = state

    # 1. Table renames, explicit then confirmed candidates.
    added = [t for t in target if t not in current]
    for new in added:
        old = renamed_table(by_table[new])
        if old is not None:
            if old not in current:
                raise MigrationError(
                    f"{by_table[new].__name__}.__renamed_from__ names {old!r}, "
                    "which the migrations' state does not have"
                )
            ops.append(RenameTable(old, new))
            current = ops[-1].apply(current)
    removed = [t for t in current if t not in target]
    for new in [t for t in target if t not in current]:
        for old in removed:
            if (
                old in current
                and _same_columns(current[old], target[new])
                and ask.confirm_rename("table", old, new)
            ):
                ops.append(RenameTable(old, new))
                current = ops[-1].apply(current)
                break

    # 2. Column renames in the tables both sides have.
    for name in target:
        if name not in current:
            continue
        have, want = current[name], target[name]
        explicit = renamed_columns(by_table[name])
        for new_column, old_column in explicit.items():
            if not have.has_column(new_column) and have.has_column(old_column):
                ops.append(RenameColumn(name, old_column, new_column))
                current = ops[-1].apply(current)
                have = current[name]
        gone = [c for c in have.columns if not want.has_column(c.name)]
        for column in [c for c in want.columns if not have.has_column(c.name)]:
            for old_col in gone:
                if (
                    have.has_column(old_col.name)
                    and _compatible(old_col, column)
                    and ask.confirm_rename("column", f"{name}.{old_col.name}", column.name)
                ):
                    ops.append(RenameColumn(name, old_col.name, column.name))
                    current = ops[-1].apply(current)
                    have = current[name]
                    break

    # 3. What goes away first: foreign keys and indexes that change or disappear.
    late: list[Operation] = []
    for name in list(current):
        have = current[name]
        wanted = target.get(name)
        for fk in have.foreign_keys:
            if wanted is None or fk not in wanted.foreign_keys:
                ops.append(DropForeignKey(name, fk.name))
                current = ops[-1].apply(current)
        have = current[name]
        if wanted is None:
            continue
        for index in have.indexes:
            if index not in wanted.indexes:
                ops.append(DropIndex(name, index.name))
                current = ops[-1].apply(current)

    # 4. Enum types, before the columns that name them.
    for enum_type in target.enums:
        if not current.has_enum(enum_type.name):
            ops.append(CreateEnum(enum_type))
            current = ops[-1].apply(current)
            continue
        have_values = current.enum(enum_type.name).values
        if have_values == enum_type.values:
            continue
        if enum_type.values[: len(have_values)] == have_values:
            for value in enum_type.values[len(have_values) :]:
                ops.append(AddEnumValue(enum_type.name, value))
                current = ops[-1].apply(current)
        else:
            ops.append(RebuildEnum(enum_type.name, enum_type.values))
            current = ops[-1].apply(current)

    # 5. New tables (their indexes and foreign keys come with them).
    for table in target.values():
        if table.name not in current:
            # Foreign keys to tables that exist already go inline (SQLite cannot add one
            # later without a rebuild); the others are added at the end.
            ready = tuple(
                fk
                for fk in table.foreign_keys
                if fk.ref_table == table.name or fk.ref_table in current
            )
            ops.append(CreateTable(replace(table, foreign_keys=ready)))
            current = ops[-1].apply(current)

    # 6. Columns: added, altered, dropped; the primary key cannot change in place.
    for want in target.values():
        have = current[want.name]
        if have.primary_key != want.primary_key:
            raise MigrationError(
                f"the primary key of {want.name} changes from {have.primary_key} to "
                f"{want.primary_key}: create a new table and copy the rows instead"
            )
        for column in want.columns:
            if not have.has_column(column.name):
                ops.append(AddColumn(want.name, column, _backfill(ask, want.name, column)))
            elif have.column(column.name) != column:
                backfill = None
                if have.column(column.name).nullable:
                    backfill = _backfill(ask, want.name, column)
                ops.append(AlterColumn(want.name, column, backfill))
            else:
                continue
            current = ops[-1].apply(current)
        for column in have.columns:
            if not want.has_column(column.name):
                ops.append(DropColumn(want.name, column.name))
                current = ops[-1].apply(current)

    # 7. Tables that go away, dependents first, and enum types no column uses any more;
    # then new indexes and foreign keys.
    doomed = [t for t in current if t not in target]
    for name in reversed(doomed):
        ops.append(DropTable(name))
        current = ops[-1].apply(current)
    for enum_type in current.enums:
        if not target.has_enum(enum_type.name):
            ops.append(DropEnum(enum_type.name))
            current = ops[-1].apply(current)
    for want in target.values():
        have = current[want.name]
        for index in want.indexes:
            if index not in have.indexes:
                ops.append(CreateIndex(want.name, index))
                current = ops[-1].apply(current)
    for want in target.values():
        for fk in want.foreign_keys:
            if fk not in current[want.name].foreign_keys:
                late.append(AddForeignKey(want.name, fk))
    for op in late:
        ops.append(op)
        current = op.apply(current)

    _guard(ops, state, allow_destructive)
    return ops


def _backfill(ask: Questioner, table: str, column: Column) -> Any:
    """The value for existing rows of a NOT NULL column that has no default of its own."""
    if column.nullable or column.server_default is not None or column.default is not None:
        return None
    return ask.backfill(table, column)


def _guard(ops: list[Operation], state: SchemaState, allow: bool) -> None:
    if allow:
        return
    bad: list[str] = []
    current = state
    for op in ops:
        if op.destructive:
            bad.append(op.describe())
        elif isinstance(op, AlterColumn):
            old = current.table(op.table).column(op.column.name)
            if narrows(old, op.column):
                bad.append(f"{op.describe()} (narrowing {old.type} to {op.column.type})")
        current = op.apply(current)
    if bad:
        raise MigrationError(
            "the models need destructive steps: "
            + "; ".join(bad)
            + ". Run with --allow-destructive (allow_destructive=True) if data may be lost"
        )
