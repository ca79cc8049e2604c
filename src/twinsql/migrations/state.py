"""Migrations feature, pure: the schema as plain data, the state migrations replay.

A ``SchemaState`` maps table names to ``Table`` values: columns with a portable type kind
(the ORM's storage kinds: ``int``, ``str``, ``decimal`` …), the primary key, indexes (unique
ones included) and named foreign keys; beside the tables it lists the enum types
(``EnumType``) that the columns of string-valued enum fields name. Only PostgreSQL creates
them; the other backends keep such a column a plain string. The state of a database is
never read from the database: it is what the migration files' operations produce when
replayed in order, so ``make`` needs no connection. Everything here is immutable; an
operation returns a new state.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from twinsql.errors import ArgumentError

__all__ = ["Check", "Column", "EnumType", "ForeignKey", "Index", "SchemaState", "Table"]


@dataclass(frozen=True)
class Column:
    """One column. ``type`` is a storage kind of the ORM; ``auto`` marks a single integer
    key the database generates; ``default`` is the Python default of the field (a plain
    literal), used to fill existing rows when the column becomes NOT NULL; ``server_default``
    is a literal or ``SQL("CURRENT_TIMESTAMP")``; ``enum`` names the ``EnumType`` of an
    ``enum`` column (None: an enum stored as a plain string)."""

    name: str
    type: str
    nullable: bool = False
    max_length: int | None = None
    max_digits: int | None = None
    decimal_places: int | None = None
    auto: bool = False
    server_default: Any = None
    default: Any = None
    enum: str | None = None


@dataclass(frozen=True)
class EnumType:
    """A named enum type and its values in sort order."""

    name: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Index:
    """An index on ``columns``, or on one SQL ``expression`` (``lower(email)``); ``where``
    makes it partial (PostgreSQL, SQLite). Expressions and conditions are the developer's
    SQL, written into the migration file by hand, and are not rewritten by renames."""

    name: str
    columns: tuple[str, ...]
    unique: bool = False
    expression: str | None = None
    where: str | None = None


@dataclass(frozen=True)
class Check:
    """A named CHECK constraint; ``condition`` is the developer's SQL."""

    name: str
    condition: str


@dataclass(frozen=True)
class ForeignKey:
    name: str
    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    indexes: tuple[Index, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    checks: tuple[Check, ...] = ()

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise ArgumentError(f"table {self.name!r} has no column {name!r}")

    def has_column(self, name: str) -> bool:
        return any(c.name == name for c in self.columns)

    def keyed(self, name: str) -> bool:
        """Whether the column is part of a key, an index or a foreign key (MySQL then needs
        a bounded VARCHAR for a string)."""
        return (
            name in self.primary_key
            or any(name in i.columns for i in self.indexes)
            or any(name in f.columns for f in self.foreign_keys)
        )

    def with_columns(self, columns: tuple[Column, ...]) -> Table:
        return replace(self, columns=columns)


@dataclass(frozen=True)
class SchemaState(Mapping[str, Table]):
    """Table name → ``Table``, in creation order; ``enums``: the enum types."""

    tables: tuple[Table, ...] = field(default=())
    enums: tuple[EnumType, ...] = field(default=())

    def __getitem__(self, name: str) -> Table:
        for table in self.tables:
            if table.name == name:
                return table
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        return (t.name for t in self.tables)

    def __len__(self) -> int:
        return len(self.tables)

    def table(self, name: str) -> Table:
        if name not in self:
            raise ArgumentError(f"the migrations' state has no table {name!r}")
        return self[name]

    def put(self, table: Table) -> SchemaState:
        """The state with ``table`` added, or replacing the table of that name in place."""
        if table.name in self:
            return replace(
                self, tables=tuple(table if t.name == table.name else t for t in self.tables)
            )
        return replace(self, tables=(*self.tables, table))

    def replace_table(self, old_name: str, table: Table) -> SchemaState:
        return replace(self, tables=tuple(table if t.name == old_name else t for t in self.tables))

    def remove(self, name: str) -> SchemaState:
        self.table(name)
        return replace(self, tables=tuple(t for t in self.tables if t.name != name))

    def enum(self, name: str) -> EnumType:
        for enum_type in self.enums:
            if enum_type.name == name:
                return enum_type
        raise ArgumentError(f"the migrations' state has no enum type {name!r}")

    def has_enum(self, name: str) -> bool:
        return any(e.name == name for e in self.enums)

    def put_enum(self, enum_type: EnumType) -> SchemaState:
        """The state with ``enum_type`` added, or replacing the type of that name in place."""
        if self.has_enum(enum_type.name):
            enums = tuple(enum_type if e.name == enum_type.name else e for e in self.enums)
            return replace(self, enums=enums)
        return replace(self, enums=(*self.enums, enum_type))

    def remove_enum(self, name: str) -> SchemaState:
        self.enum(name)
        return replace(self, enums=tuple(e for e in self.enums if e.name != name))

    def enum_columns(self, name: str) -> list[tuple[Table, Column]]:
        """The columns whose type is the enum type ``name``."""
        return [(t, c) for t in self.tables for c in t.columns if c.enum == name]

    def referencing(self, name: str) -> list[tuple[Table, ForeignKey]]:
        """The foreign keys of other tables that name ``name``."""
        return [
            (t, fk)
            for t in self.tables
            for fk in t.foreign_keys
            if fk.ref_table == name and t.name != name
        ]
