"""Migrations feature, pure: the operations a migration file lists, as data.

Each operation is a frozen dataclass that knows three things and nothing about SQL: how it
changes the replayed ``SchemaState`` (``apply``, which refuses an impossible step such as a
rename onto an existing name with a ``MigrationError``), the operations that undo it given
the state before it (``reverse``), and a one-line description. The SQL of each one per
backend is ``migrations.sqlgen``'s job. ``destructive`` marks the steps that lose data.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from twinsql.errors import MigrationError
from twinsql.migrations.state import (
    Check,
    Column,
    EnumType,
    ForeignKey,
    Index,
    SchemaState,
    Table,
)
from twinsql.migrations.steps import SQL, Operation, check_enums, irreversible

__all__ = [
    "SQL",
    "AddCheck",
    "AddColumn",
    "AddEnumValue",
    "AddForeignKey",
    "AlterColumn",
    "Check",
    "Column",
    "CreateEnum",
    "CreateIndex",
    "CreateTable",
    "DropCheck",
    "DropColumn",
    "DropEnum",
    "DropForeignKey",
    "DropIndex",
    "DropTable",
    "EnumType",
    "ForeignKey",
    "Index",
    "Operation",
    "RebuildEnum",
    "RenameColumn",
    "RenameTable",
    "RunORM",
    "RunPython",
    "RunSQL",
    "Table",
]


@dataclass(frozen=True)
class CreateTable(Operation):
    table: Table

    def apply(self, state: SchemaState) -> SchemaState:
        if self.table.name in state:
            raise MigrationError(f"cannot create table {self.table.name!r}: it already exists")
        check_enums(state, self.table.name, self.table.columns)
        for fk in self.table.foreign_keys:
            if fk.ref_table != self.table.name:
                state.table(fk.ref_table)
        return state.put(self.table)

    def reverse(self, before: SchemaState) -> list[Operation]:
        return [DropTable(self.table.name)]

    def describe(self) -> str:
        return f"create table {self.table.name}"


@dataclass(frozen=True)
class DropTable(Operation):
    destructive: ClassVar[bool] = True
    name: str

    def apply(self, state: SchemaState) -> SchemaState:
        state.table(self.name)
        for other, fk in state.referencing(self.name):
            raise MigrationError(
                f"cannot drop table {self.name!r}: {other.name}.{fk.name} refers to it"
            )
        return state.remove(self.name)

    def reverse(self, before: SchemaState) -> list[Operation]:
        return [CreateTable(before.table(self.name))]

    def describe(self) -> str:
        return f"drop table {self.name}"


@dataclass(frozen=True)
class RenameTable(Operation):
    old: str
    new: str

    def apply(self, state: SchemaState) -> SchemaState:
        table = state.table(self.old)
        if self.new in state:
            raise MigrationError(
                f"cannot rename table {self.old!r} to {self.new!r}: {self.new!r} already exists"
            )
        renamed = replace(table, name=self.new)
        state = state.replace_table(self.old, renamed)
        for other, fk in state.referencing(self.old):
            fks = tuple(
                replace(f, ref_table=self.new) if f is fk else f for f in other.foreign_keys
            )
            state = state.put(replace(other, foreign_keys=fks))
        return state

    def reverse(self, before: SchemaState) -> list[Operation]:
        return [RenameTable(self.new, self.old)]

    def describe(self) -> str:
        return f"rename table {self.old} to {self.new}"


@dataclass(frozen=True)
class AddColumn(Operation):
    """Add a column. A NOT NULL column without a server default fills the existing rows
    with ``backfill`` (else with the column's ``default``)."""

    table: str
    column: Column
    backfill: Any = None

    def apply(self, state: SchemaState) -> SchemaState:
        table = state.table(self.table)
        if table.has_column(self.column.name):
            raise MigrationError(
                f"cannot add column {self.table}.{self.column.name}: it already exists"
            )
        check_enums(state, self.table, (self.column,))
        return state.put(table.with_columns((*table.columns, self.column)))

    def reverse(self, before: SchemaState) -> list[Operation]:
        return [DropColumn(self.table, self.column.name)]

    def fill_value(self) -> Any:
        return self.backfill if self.backfill is not None else self.column.default

    def describe(self) -> str:
        return f"add column {self.table}.{self.column.name}"


@dataclass(frozen=True)
class DropColumn(Operation):
    destructive: ClassVar[bool] = True
    table: str
    name: str

    def apply(self, state: SchemaState) -> SchemaState:
        table = state.table(self.table)
        table.column(self.name)
        if self.name in table.primary_key:
            raise MigrationError(f"cannot drop {self.table}.{self.name}: it is in the primary key")
        indexes = tuple(i for i in table.indexes if self.name not in i.columns)
        fks = tuple(f for f in table.foreign_keys if self.name not in f.columns)
        columns = tuple(c for c in table.columns if c.name != self.name)
        return state.put(replace(table, columns=columns, indexes=indexes, foreign_keys=fks))

    def reverse(self, before: SchemaState) -> list[Operation]:
        table = before.table(self.table)
        ops: list[Operation] = [AddColumn(self.table, table.column(self.name))]
        ops.extend(CreateIndex(self.table, i) for i in table.indexes if self.name in i.columns)
        ops.extend(
            AddForeignKey(self.table, f) for f in table.foreign_keys if self.name in f.columns
        )
        return ops

    def describe(self) -> str:
        return f"drop column {self.table}.{self.name}"


def _rename_in(names: tuple[str, ...], old: str, new: str) -> tuple[str, ...]:
    return tuple(new if n == old else n for n in names)


@dataclass(frozen=True)
class RenameColumn(Operation):
    table: str
    old: str
    new: str

    def apply(self, state: SchemaState) -> SchemaState:
        table = state.table(self.table)
        table.column(self.old)
        if table.has_column(self.new):
            raise MigrationError(
                f"cannot rename {self.table}.{self.old} to {self.new!r}: "
                f"{self.table}.{self.new} already exists"
            )
        columns = tuple(
            replace(c, name=self.new) if c.name == self.old else c for c in table.columns
        )
        renamed = replace(
            table,
            columns=columns,
            primary_key=_rename_in(table.primary_key, self.old, self.new),
            indexes=tuple(
                replace(i, columns=_rename_in(i.columns, self.old, self.new)) for i in table.indexes
            ),
            foreign_keys=tuple(
                replace(f, columns=_rename_in(f.columns, self.old, self.new))
                for f in table.foreign_keys
            ),
        )
        state = state.put(renamed)
        for other, fk in state.referencing(self.table):
            moved = replace(fk, ref_columns=_rename_in(fk.ref_columns, self.old, self.new))
            fks = tuple(moved if f is fk else f for f in other.foreign_keys)
            state = state.put(replace(other, foreign_keys=fks))
        return state

    def reverse(self, before: SchemaState) -> list[Operation]:
        return [RenameColumn(self.table, self.new, self.old)]

    def describe(self) -> str:
        return f"rename column {self.table}.{self.old} to {self.new}"


@dataclass(frozen=True)
class AlterColumn(Operation):
    """Change a column's type, nullability or server default. Rows holding NULL get
    ``backfill`` (else the column's ``default``) when the column becomes NOT NULL."""

    table: str
    column: Column
    backfill: Any = None

    def apply(self, state: SchemaState) -> SchemaState:
        table = state.table(self.table)
        table.column(self.column.name)
        check_enums(state, self.table, (self.column,))
        columns = tuple(self.column if c.name == self.column.name else c for c in table.columns)
        return state.put(table.with_columns(columns))

    def reverse(self, before: SchemaState) -> list[Operation]:
        return [AlterColumn(self.table, before.table(self.table).column(self.column.name))]

    def fill_value(self) -> Any:
        return self.backfill if self.backfill is not None else self.column.default

    def describe(self) -> str:
        return f"alter column {self.table}.{self.column.name}"


@dataclass(frozen=True)
class CreateIndex(Operation):
    """Create an index (``unique=True`` for a unique constraint). ``concurrently`` builds it
    on PostgreSQL without blocking writes, outside any transaction."""

    table: str
    index: Index
    concurrently: bool = False

    @property
    def atomic(self) -> bool:  # type: ignore[override]
        return not self.concurrently

    def apply(self, state: SchemaState) -> SchemaState:
        table = state.table(self.table)
        for name in self.index.columns:
            table.column(name)
        for other in state.values():
            if any(i.name == self.index.name for i in other.indexes):
                raise MigrationError(f"index {self.index.name!r} already exists on {other.name}")
        return state.put(replace(table, indexes=(*table.indexes, self.index)))

    def reverse(self, before: SchemaState) -> list[Operation]:
        return [DropIndex(self.table, self.index.name)]

    def describe(self) -> str:
        kind = "unique index" if self.index.unique else "index"
        return f"create {kind} {self.index.name} on {self.table} ({', '.join(self.index.columns)})"


@dataclass(frozen=True)
class DropIndex(Operation):
    table: str
    name: str

    def apply(self, state: SchemaState) -> SchemaState:
        table = state.table(self.table)
        self.find(state)
        return state.put(
            replace(table, indexes=tuple(i for i in table.indexes if i.name != self.name))
        )

    def find(self, state: SchemaState) -> Index:
        for index in state.table(self.table).indexes:
            if index.name == self.name:
                return index
        raise MigrationError(f"table {self.table!r} has no index {self.name!r}")

    def reverse(self, before: SchemaState) -> list[Operation]:
        return [CreateIndex(self.table, self.find(before))]

    def describe(self) -> str:
        return f"drop index {self.name} on {self.table}"


@dataclass(frozen=True)
class AddForeignKey(Operation):
    table: str
    foreign_key: ForeignKey

    def apply(self, state: SchemaState) -> SchemaState:
        table = state.table(self.table)
        target = state.table(self.foreign_key.ref_table)
        for name in self.foreign_key.columns:
            table.column(name)
        for name in self.foreign_key.ref_columns:
            target.column(name)
        if any(f.name == self.foreign_key.name for f in table.foreign_keys):
            raise MigrationError(f"foreign key {self.foreign_key.name!r} already exists")
        return state.put(replace(table, foreign_keys=(*table.foreign_keys, self.foreign_key)))

    def reverse(self, before: SchemaState) -> list[Operation]:
        return [DropForeignKey(self.table, self.foreign_key.name)]

    def describe(self) -> str:
        fk = self.foreign_key
        return f"add foreign key {fk.name} on {self.table} → {fk.ref_table}"


@dataclass(frozen=True)
class DropForeignKey(Operation):
    table: str
    name: str

    def apply(self, state: SchemaState) -> SchemaState:
        table = state.table(self.table)
        self.find(state)
        fks = tuple(f for f in table.foreign_keys if f.name != self.name)
        return state.put(replace(table, foreign_keys=fks))

    def find(self, state: SchemaState) -> ForeignKey:
        for fk in state.table(self.table).foreign_keys:
            if fk.name == self.name:
                return fk
        raise MigrationError(f"table {self.table!r} has no foreign key {self.name!r}")

    def reverse(self, before: SchemaState) -> list[Operation]:
        return [AddForeignKey(self.table, self.find(before))]

    def describe(self) -> str:
        return f"drop foreign key {self.name} on {self.table}"


@dataclass(frozen=True)
class AddCheck(Operation):
    table: str
    check: Check

    def apply(self, state: SchemaState) -> SchemaState:
        table = state.table(self.table)
        if any(c.name == self.check.name for c in table.checks):
            raise MigrationError(f"check {self.check.name!r} already exists on {self.table}")
        return state.put(replace(table, checks=(*table.checks, self.check)))

    def reverse(self, before: SchemaState) -> list[Operation]:
        return [DropCheck(self.table, self.check.name)]

    def describe(self) -> str:
        return f"add check {self.check.name} on {self.table}"


@dataclass(frozen=True)
class DropCheck(Operation):
    table: str
    name: str

    def apply(self, state: SchemaState) -> SchemaState:
        table = state.table(self.table)
        self.find(state)
        checks = tuple(c for c in table.checks if c.name != self.name)
        return state.put(replace(table, checks=checks))

    def find(self, state: SchemaState) -> Check:
        for check in state.table(self.table).checks:
            if check.name == self.name:
                return check
        raise MigrationError(f"table {self.table!r} has no check {self.name!r}")

    def reverse(self, before: SchemaState) -> list[Operation]:
        return [AddCheck(self.table, self.find(before))]

    def describe(self) -> str:
        return f"drop check {self.name} on {self.table}"


@dataclass(frozen=True)
class CreateEnum(Operation):
    """Create an enum type (PostgreSQL; a no-op elsewhere, where the column is a string)."""

    enum: EnumType

    def apply(self, state: SchemaState) -> SchemaState:
        if state.has_enum(self.enum.name):
            raise MigrationError(f"cannot create enum type {self.enum.name!r}: it already exists")
        if len(set(self.enum.values)) != len(self.enum.values):
            raise MigrationError(f"enum type {self.enum.name!r} lists a value twice")
        return state.put_enum(self.enum)

    def reverse(self, before: SchemaState) -> list[Operation]:
        return [DropEnum(self.enum.name)]

    def describe(self) -> str:
        return f"create enum type {self.enum.name}"


@dataclass(frozen=True)
class DropEnum(Operation):
    name: str

    def apply(self, state: SchemaState) -> SchemaState:
        state.enum(self.name)
        for table, column in state.enum_columns(self.name):
            raise MigrationError(
                f"cannot drop enum type {self.name!r}: column {table.name}.{column.name} uses it"
            )
        return state.remove_enum(self.name)

    def reverse(self, before: SchemaState) -> list[Operation]:
        return [CreateEnum(before.enum(self.name))]

    def describe(self) -> str:
        return f"drop enum type {self.name}"


@dataclass(frozen=True)
class AddEnumValue(Operation):
    """Append a value to an enum type. PostgreSQL before 12 refuses ``ALTER TYPE … ADD
    VALUE`` inside a transaction block, and a value added in a transaction cannot be used
    before it commits: the step runs alone, outside any transaction."""

    atomic = False
    name: str
    value: str

    def apply(self, state: SchemaState) -> SchemaState:
        enum_type = state.enum(self.name)
        if self.value in enum_type.values:
            raise MigrationError(f"enum type {self.name!r} already has the value {self.value!r}")
        return state.put_enum(replace(enum_type, values=(*enum_type.values, self.value)))

    def reverse(self, before: SchemaState) -> list[Operation]:
        # PostgreSQL cannot remove a value: undoing the addition rebuilds the type.
        return [RebuildEnum(self.name, before.enum(self.name).values)]

    def describe(self) -> str:
        return f"add value {self.value!r} to enum type {self.name}"


@dataclass(frozen=True)
class RebuildEnum(Operation):
    """Give an enum type a new list of values by rebuilding it (a new type, each column
    converted through its text, the old type dropped): the way to remove or reorder values.
    Destructive: a row holding a removed value makes the conversion fail."""

    destructive: ClassVar[bool] = True
    name: str
    values: tuple[str, ...]

    def apply(self, state: SchemaState) -> SchemaState:
        enum_type = state.enum(self.name)
        if not self.values or len(set(self.values)) != len(self.values):
            raise MigrationError(
                f"enum type {self.name!r} needs at least one value, each listed once"
            )
        return state.put_enum(replace(enum_type, values=tuple(self.values)))

    def reverse(self, before: SchemaState) -> list[Operation]:
        return [RebuildEnum(self.name, before.enum(self.name).values)]

    def removed(self, before: SchemaState) -> tuple[str, ...]:
        return tuple(v for v in before.enum(self.name).values if v not in self.values)

    def describe(self) -> str:
        return f"rebuild enum type {self.name}"


@dataclass(frozen=True)
class RunSQL(Operation):
    """Statements written by hand: one text for every backend, or a mapping of dialect name
    (``sqlite``, ``postgresql``, ``mysql``) to text. Without ``reverse_sql`` the step is
    irreversible. Values in the text are the developer's own; user input never goes here."""

    sql: str | Mapping[str, str]
    reverse_sql: str | Mapping[str, str] | None = None

    def apply(self, state: SchemaState) -> SchemaState:
        return state

    def reverse(self, before: SchemaState) -> list[Operation]:
        if self.reverse_sql is None:
            raise irreversible(self, "it has no reverse_sql")
        return [RunSQL(self.reverse_sql, self.sql)]

    def text_for(self, dialect: str) -> str | None:
        if isinstance(self.sql, str):
            return self.sql
        return self.sql.get(dialect)

    def describe(self) -> str:
        return "run SQL"


@dataclass(frozen=True)
class RunORM(Operation):
    """A declarative data migration from the ORM's own writes: ``forward`` (and
    ``backward``) receive the historical models (table name → a model of the table as it
    is at this step) and return what ``Query.update_statement``, ``Query.delete_statement``
    or ``Model.insert_many_statement`` build — one ``WriteStatement`` or a list. Nothing is
    executed by the callable itself: both runners send the statements for their backend,
    in the migration's transaction, so one step serves either mode."""

    forward: Callable[[Mapping[str, Any]], Any]
    backward: Callable[[Mapping[str, Any]], Any] | None = None

    def apply(self, state: SchemaState) -> SchemaState:
        return state

    def reverse(self, before: SchemaState) -> list[Operation]:
        if self.backward is None:
            raise irreversible(self, "it has no backward callable")
        return [RunORM(self.backward, self.forward)]

    def statements(self, models: Mapping[str, Any], dialect: str) -> list[tuple[str, Any]]:
        """The (SQL, parameters) pairs ``forward`` builds for ``dialect``."""
        built = self.forward(models)
        items = built if isinstance(built, (list, tuple)) else [built]
        out: list[tuple[str, Any]] = []
        for item in items:
            parts = getattr(item, "statements_for", None)
            if parts is None:
                raise MigrationError(
                    f"{self.describe()}: the callable returned {type(item).__name__}; return "
                    "what update_statement(), delete_statement() or insert_many_statement() "
                    "build (or a list of them)"
                )
            out.extend(parts(dialect))
        return out

    def describe(self) -> str:
        return f"run ORM {getattr(self.forward, '__name__', 'callable')}"


@dataclass(frozen=True)
class RunPython(Operation):
    """A data migration in Python: ``forward`` (and ``backward``) are called with the
    runner's database and the historical models (table name → a model of the table as it
    is at this step, bound to that database). Give ``forward_async``/``backward_async`` for
    the async runner; a runner lacking the callable of its mode refuses before doing
    anything, naming the migration."""

    forward: Callable[..., Any] | None = None
    backward: Callable[..., Any] | None = None
    forward_async: Callable[..., Any] | None = None
    backward_async: Callable[..., Any] | None = None

    def apply(self, state: SchemaState) -> SchemaState:
        return state

    def reverse(self, before: SchemaState) -> list[Operation]:
        if self.backward is None and self.backward_async is None:
            raise irreversible(self, "it has no backward callable")
        return [RunPython(self.backward, self.forward, self.backward_async, self.forward_async)]

    def describe(self) -> str:
        name = getattr(self.forward or self.forward_async, "__name__", "callable")
        return f"run python {name}"
