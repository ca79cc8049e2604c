"""Migrations feature, pure: the SQL of each operation on each backend.

``statements(op, before, dialect)`` turns one operation, given the replayed state before it,
into ``Statement`` values (text plus bound parameters: backfill values are always bound) and,
on SQLite, a ``Rebuild`` where ``ALTER TABLE`` cannot do the change: a new table is created,
the rows copied, the old table dropped and the new one renamed; the runner supplies the
views and triggers to drop and recreate around it (``rebuild_statements``). Column types are
the ORM's (``orm.types.column_type``), so a migrated table matches what ``create_all`` makes.

Enum types: PostgreSQL has named ones (``Dialect.native_enums``); a rebuild renames the old
type aside, creates the new one, converts each column through its text and drops the old
type. MySQL and MariaDB write the values into each column's type (``ENUM('a', 'b')``,
``Dialect.inline_enums``): there a new or removed value is a ``MODIFY COLUMN`` of every
column of that enum. SQLite keeps a ``TEXT`` column, and the enum steps have no SQL.

A type change is done in place only between kinds that convert without loss of meaning
(``int`` → ``float`` or ``str``, a longer ``VARCHAR`` …); anything else is refused before any
DDL runs, naming the column.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from twinsql.errors import MigrationError
from twinsql.migrations.operations import (
    SQL,
    AddCheck,
    AddColumn,
    AddEnumValue,
    AddForeignKey,
    AlterColumn,
    CreateEnum,
    CreateIndex,
    CreateTable,
    DropCheck,
    DropColumn,
    DropEnum,
    DropForeignKey,
    DropIndex,
    DropTable,
    Operation,
    RebuildEnum,
    RenameColumn,
    RenameTable,
    RunORM,
    RunPython,
    RunSQL,
)
from twinsql.migrations.state import Column, Index, SchemaState, Table
from twinsql.orm.ddl import inline_enum_type, server_default_sql
from twinsql.orm.fields import sql_expression
from twinsql.orm.types import TypeSpec, column_type
from twinsql.sql.dialects import Dialect

__all__ = [
    "Rebuild",
    "Statement",
    "check_type_change",
    "column_sql",
    "create_table_sql",
    "rebuild_statements",
    "statements",
]

# SQLite gained ALTER TABLE … DROP COLUMN in 3.35.
SQLITE_DROP_COLUMN = (3, 35, 0)

# Kind changes every backend converts in place without changing what a value means (the
# ones that lose precision, such as float → int, are also guarded as destructive by
# ``narrows``).
_CONVERTIBLE = {
    ("int", "float"),
    ("float", "int"),
    ("decimal", "int"),
    ("int", "decimal"),
    ("int", "str"),
    ("float", "decimal"),
    ("float", "str"),
    ("decimal", "float"),
    ("decimal", "str"),
    ("bool", "str"),
    ("date", "datetime"),
    ("datetime", "datetime_tz"),
    ("datetime_tz", "datetime"),
    ("uuid", "str"),
    ("enum", "str"),
    ("str", "enum"),
}


@dataclass(frozen=True)
class Statement:
    sql: str
    params: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Rebuild:
    """A SQLite table rebuilt to a new definition. ``sources``: for each column of
    ``after``, the column of ``before`` it is copied from (None: filled with ``fill``)."""

    before: Table
    after: Table
    sources: tuple[tuple[str, str | None, Any], ...]


Step = Statement | Rebuild


def _quote(dialect: Dialect, name: str) -> str:
    return dialect.quote_identifier(name)


# Enum type name → its values, for the inline enum columns of MySQL.
Enums = Mapping[str, tuple[str, ...]]
_NO_ENUMS: Enums = MappingProxyType({})


def _enums(state: SchemaState) -> Enums:
    return {e.name: e.values for e in state.enums}


def _type(table: Table, column: Column, dialect: Dialect, enums: Enums = _NO_ENUMS) -> str:
    if column.enum is not None and dialect.native_enums:
        return _quote(dialect, column.enum)
    if column.enum is not None and dialect.inline_enums:
        if column.enum not in enums:
            raise MigrationError(
                f"column {table.name}.{column.name} names the enum type {column.enum!r}, "
                "which does not exist at this step"
            )
        return inline_enum_type(enums[column.enum], dialect)
    spec = TypeSpec(
        column.type,
        column.nullable,
        None,
        column.max_length,
        column.max_digits,
        column.decimal_places,
    )
    return column_type(spec, dialect.name, keyed=table.keyed(column.name))


def _default(value: Any, dialect: Dialect) -> str:
    if isinstance(value, SQL):
        value = sql_expression(value.text)
    return server_default_sql(value, dialect)


def column_sql(
    table: Table,
    column: Column,
    dialect: Dialect,
    *,
    nullable: bool | None = None,
    enums: Enums = _NO_ENUMS,
) -> str:
    """The column definition as ``CREATE TABLE`` and ``ADD COLUMN`` write it; ``nullable``
    overrides the column's own (a NOT NULL column is added nullable, filled, then tightened)."""
    name = _quote(dialect, column.name)
    single_key = table.primary_key == (column.name,)
    if column.auto and single_key:
        return f"{name} {dialect.auto_increment_key}"
    parts = [name, _type(table, column, dialect, enums)]
    allow_null = column.nullable if nullable is None else nullable
    if single_key:
        parts.append("PRIMARY KEY")
    elif column.name in table.primary_key or not allow_null:
        parts.append("NOT NULL")
    if column.server_default is not None:
        parts.append(f"DEFAULT {_default(column.server_default, dialect)}")
    return " ".join(parts)


def _names(dialect: Dialect, names: tuple[str, ...]) -> str:
    return ", ".join(_quote(dialect, n) for n in names)


def create_table_sql(
    table: Table, dialect: Dialect, *, name: str | None = None, enums: Enums = _NO_ENUMS
) -> str:
    lines = [column_sql(table, c, dialect, enums=enums) for c in table.columns]
    if len(table.primary_key) > 1:
        lines.append(f"PRIMARY KEY ({_names(dialect, table.primary_key)})")
    for check in table.checks:
        lines.append(f"CONSTRAINT {_quote(dialect, check.name)} CHECK ({check.condition})")
    for fk in table.foreign_keys:
        lines.append(
            f"CONSTRAINT {_quote(dialect, fk.name)} FOREIGN KEY ({_names(dialect, fk.columns)}) "
            f"REFERENCES {_quote(dialect, fk.ref_table)} ({_names(dialect, fk.ref_columns)})"
        )
    target = _quote(dialect, name or table.name)
    return f"CREATE TABLE {target} (\n    " + ",\n    ".join(lines) + "\n)"


def _create_index(table: str, index: Index, dialect: Dialect, concurrently: bool = False) -> str:
    unique = "UNIQUE " if index.unique else ""
    how = "CONCURRENTLY " if concurrently and dialect.name == "postgresql" else ""
    if index.expression is not None:
        # MySQL 8 wants a functional key part in its own parentheses; PostgreSQL accepts
        # them too; SQLite takes the bare expression.
        target = index.expression if dialect.name == "sqlite" else f"({index.expression})"
    else:
        target = _names(dialect, index.columns)
    where = ""
    if index.where is not None:
        if dialect.name == "mysql":
            raise MigrationError(
                f"index {index.name}: MySQL and MariaDB have no partial indexes (WHERE)"
            )
        where = f" WHERE {index.where}"
    return (
        f"CREATE {unique}INDEX {how}{_quote(dialect, index.name)} ON {_quote(dialect, table)} "
        f"({target}){where}"
    )


def _drop_index(table: str, name: str, dialect: Dialect) -> str:
    on = f" ON {_quote(dialect, table)}" if dialect.name == "mysql" else ""
    return f"DROP INDEX {_quote(dialect, name)}{on}"


def check_type_change(table: str, old: Column, new: Column) -> None:
    """Refuse a type change no backend can make in place (before any DDL runs)."""
    if old.type == new.type or (old.type, new.type) in _CONVERTIBLE:
        return
    raise MigrationError(
        f"cannot change {table}.{new.name} from {old.type} to {new.type} in place: add a new "
        "column, copy the values with a data migration, then drop the old one"
    )


def narrows(old: Column, new: Column) -> bool:
    """Whether the new type can hold fewer values than the old (a destructive change)."""
    if old.type != new.type:
        return (old.type, new.type) not in {
            ("int", "float"), ("int", "decimal"), ("int", "str"), ("float", "str"),
            ("decimal", "str"), ("bool", "str"), ("date", "datetime"), ("uuid", "str"),
            ("enum", "str"),
        }  # fmt: skip
    if old.max_length is not None or new.max_length is not None:
        return new.max_length is not None and (old.max_length or 1 << 30) > new.max_length
    if old.type == "decimal":
        return (new.max_digits or 28) < (old.max_digits or 28) or (
            (new.decimal_places or 10) < (old.decimal_places or 10)
        )
    return False


def statements(
    op: Operation,
    before: SchemaState,
    dialect: Dialect,
    *,
    sqlite_version: tuple[int, int, int] = SQLITE_DROP_COLUMN,
) -> list[Step]:
    """The steps of ``op`` on ``dialect``, given the state before it."""
    after = op.apply(before)
    q = dialect.quote_identifier
    sqlite = dialect.name == "sqlite"
    if isinstance(op, CreateTable):
        steps: list[Step] = [Statement(create_table_sql(op.table, dialect, enums=_enums(after)))]
        steps.extend(Statement(_create_index(op.table.name, i, dialect)) for i in op.table.indexes)
        return steps
    if isinstance(op, DropTable):
        return [Statement(f"DROP TABLE {q(op.name)}")]
    if isinstance(op, RenameTable):
        return [Statement(f"ALTER TABLE {q(op.old)} RENAME TO {q(op.new)}")]
    if isinstance(op, AddColumn):
        return _add_column(op, after, dialect)
    if isinstance(op, DropColumn):
        table = before.table(op.table)
        in_fk = any(op.name in f.columns for f in table.foreign_keys)
        if sqlite and (in_fk or sqlite_version < SQLITE_DROP_COLUMN):
            return [_rebuild(table, after.table(op.table))]
        steps = [
            Statement(_drop_index(op.table, i.name, dialect))
            for i in table.indexes
            if op.name in i.columns
        ]
        if not sqlite:
            steps.extend(
                _drop_fk(op.table, f.name, dialect)
                for f in table.foreign_keys
                if op.name in f.columns
            )
        steps.append(Statement(f"ALTER TABLE {q(op.table)} DROP COLUMN {q(op.name)}"))
        return steps
    if isinstance(op, RenameColumn):
        return [Statement(f"ALTER TABLE {q(op.table)} RENAME COLUMN {q(op.old)} TO {q(op.new)}")]
    if isinstance(op, AlterColumn):
        return _alter_column(op, before, after, dialect)
    if isinstance(op, CreateIndex):
        create = Statement(_create_index(op.table, op.index, dialect, op.concurrently))
        retype = _retype(before.table(op.table), after.table(op.table), dialect, _enums(after))
        return [*retype, create]
    if isinstance(op, DropIndex):
        drop = Statement(_drop_index(op.table, op.name, dialect))
        retype = _retype(before.table(op.table), after.table(op.table), dialect, _enums(after))
        return [drop, *retype]
    if isinstance(op, AddForeignKey):
        if sqlite:
            return [_rebuild(before.table(op.table), after.table(op.table))]
        fk = op.foreign_key
        return [
            Statement(
                f"ALTER TABLE {q(op.table)} ADD CONSTRAINT {q(fk.name)} FOREIGN KEY "
                f"({_names(dialect, fk.columns)}) REFERENCES {q(fk.ref_table)} "
                f"({_names(dialect, fk.ref_columns)})"
            )
        ]
    if isinstance(op, DropForeignKey):
        if sqlite:
            return [_rebuild(before.table(op.table), after.table(op.table))]
        return [_drop_fk(op.table, op.name, dialect)]
    if isinstance(op, (AddCheck, DropCheck)):
        if sqlite:
            return [_rebuild(before.table(op.table), after.table(op.table))]
        if isinstance(op, AddCheck):
            return [
                Statement(
                    f"ALTER TABLE {q(op.table)} ADD CONSTRAINT {q(op.check.name)} "
                    f"CHECK ({op.check.condition})"
                )
            ]
        return [Statement(f"ALTER TABLE {q(op.table)} DROP CONSTRAINT {q(op.name)}")]
    if isinstance(op, (CreateEnum, DropEnum, AddEnumValue, RebuildEnum)):
        if dialect.native_enums:
            return _enum_steps(op, before, dialect)
        if dialect.inline_enums and isinstance(op, (AddEnumValue, RebuildEnum)):
            return [
                Statement(
                    f"ALTER TABLE {q(table.name)} MODIFY COLUMN "
                    f"{column_sql(table, column, dialect, enums=_enums(after))}"
                )
                for table, column in after.enum_columns(op.name)
            ]
        return []
    if isinstance(op, RunSQL):
        text = op.text_for(dialect.name)
        return [] if text is None else [Statement(text)]
    if isinstance(op, (RunPython, RunORM)):
        # Built from the historical models by the runner, which can make model classes.
        return []
    raise MigrationError(f"unknown operation {type(op).__name__}")


def _enum_values_sql(values: tuple[str, ...], dialect: Dialect) -> str:
    return ", ".join(dialect.string_literal(v) for v in values)


def _enum_steps(
    op: CreateEnum | DropEnum | AddEnumValue | RebuildEnum, before: SchemaState, dialect: Dialect
) -> list[Step]:
    q = dialect.quote_identifier
    if isinstance(op, CreateEnum):
        values = _enum_values_sql(op.enum.values, dialect)
        return [Statement(f"CREATE TYPE {q(op.enum.name)} AS ENUM ({values})")]
    if isinstance(op, DropEnum):
        return [Statement(f"DROP TYPE {q(op.name)}")]
    if isinstance(op, AddEnumValue):
        value = dialect.string_literal(op.value)
        return [Statement(f"ALTER TYPE {q(op.name)} ADD VALUE {value}")]
    aside = f"{op.name[:55]}__old"
    steps: list[Step] = [
        Statement(f"ALTER TYPE {q(op.name)} RENAME TO {q(aside)}"),
        Statement(f"CREATE TYPE {q(op.name)} AS ENUM ({_enum_values_sql(op.values, dialect)})"),
    ]
    for table, column in before.enum_columns(op.name):
        prefix = f"ALTER TABLE {q(table.name)} ALTER COLUMN {q(column.name)}"
        # A default of the old type would block the conversion: it is set again after.
        if column.server_default is not None:
            steps.append(Statement(f"{prefix} DROP DEFAULT"))
        steps.append(
            Statement(f"{prefix} TYPE {q(op.name)} USING {q(column.name)}::text::{q(op.name)}")
        )
        if column.server_default is not None:
            default = _default(column.server_default, dialect)
            steps.append(Statement(f"{prefix} SET DEFAULT {default}"))
    steps.append(Statement(f"DROP TYPE {q(aside)}"))
    return steps


def _retype(before: Table, after: Table, dialect: Dialect, enums: Enums) -> list[Step]:
    """MySQL cannot index a TEXT column: a string column becomes a bounded VARCHAR when an
    index first covers it, and TEXT again when the last one goes, as ``create_all`` types it."""
    if dialect.name != "mysql":
        return []
    return [
        Statement(
            f"ALTER TABLE {_quote(dialect, after.name)} MODIFY COLUMN "
            f"{column_sql(after, column, dialect, enums=enums)}"
        )
        for column in after.columns
        if _type(before, before.column(column.name), dialect, enums)
        != _type(after, column, dialect, enums)
    ]


def _drop_fk(table: str, name: str, dialect: Dialect) -> Statement:
    what = "FOREIGN KEY" if dialect.name == "mysql" else "CONSTRAINT"
    return Statement(f"ALTER TABLE {_quote(dialect, table)} DROP {what} {_quote(dialect, name)}")


def _add_column(op: AddColumn, after: SchemaState, dialect: Dialect) -> list[Step]:
    table = after.table(op.table)
    column = op.column
    enums = _enums(after)
    q = dialect.quote_identifier
    needs_fill = not column.nullable and column.server_default is None
    fill = op.fill_value()
    if needs_fill and fill is None:
        raise MigrationError(
            f"{op.describe()}: a NOT NULL column without a server default needs a backfill "
            "value for the existing rows (AddColumn(..., backfill=...)) or a field default"
        )
    if dialect.name == "sqlite" and needs_fill:
        before = table.with_columns(tuple(c for c in table.columns if c.name != column.name))
        return [_rebuild(before, table, fills={column.name: fill})]
    if not needs_fill:
        return [
            Statement(
                f"ALTER TABLE {q(op.table)} ADD COLUMN "
                f"{column_sql(table, column, dialect, enums=enums)}"
            )
        ]
    return [
        Statement(
            f"ALTER TABLE {q(op.table)} ADD COLUMN "
            f"{column_sql(table, column, dialect, nullable=True, enums=enums)}"
        ),
        Statement(f"UPDATE {q(op.table)} SET {q(column.name)} = ?", (fill,)),
        *_set_not_null(table, column, dialect, enums),
    ]


def _set_not_null(table: Table, column: Column, dialect: Dialect, enums: Enums) -> list[Step]:
    q = dialect.quote_identifier
    if dialect.name == "postgresql":
        return [
            Statement(f"ALTER TABLE {q(table.name)} ALTER COLUMN {q(column.name)} SET NOT NULL")
        ]
    return [
        Statement(
            f"ALTER TABLE {q(table.name)} MODIFY COLUMN "
            f"{column_sql(table, column, dialect, enums=enums)}"
        )
    ]


def _alter_column(
    op: AlterColumn, before: SchemaState, after: SchemaState, dialect: Dialect
) -> list[Step]:
    old_table = before.table(op.table)
    new_table = after.table(op.table)
    old = old_table.column(op.column.name)
    new = op.column
    check_type_change(op.table, old, new)
    if old.auto or new.auto:
        raise MigrationError(f"{op.describe()}: a generated key column cannot be altered")
    q = dialect.quote_identifier
    steps: list[Step] = []
    fill = op.fill_value()
    if old.nullable and not new.nullable and fill is None and new.server_default is None:
        raise MigrationError(
            f"{op.describe()}: making the column NOT NULL needs a backfill value for the "
            "rows holding NULL (AlterColumn(..., backfill=...)) or a field default"
        )
    if dialect.name == "sqlite":
        if fill is None and not isinstance(new.server_default, SQL):
            fill = new.server_default
        fills = {new.name: fill} if old.nullable and not new.nullable else {}
        return [_rebuild(old_table, new_table, fills=fills)]
    table_sql, column_name = q(op.table), q(new.name)
    if old.nullable and not new.nullable and fill is not None:
        steps.append(
            Statement(
                f"UPDATE {table_sql} SET {column_name} = ? WHERE {column_name} IS NULL", (fill,)
            )
        )
    if dialect.name == "mysql":
        steps.append(
            Statement(
                f"ALTER TABLE {table_sql} MODIFY COLUMN "
                f"{column_sql(new_table, new, dialect, enums=_enums(after))}"
            )
        )
        return steps
    prefix = f"ALTER TABLE {table_sql} ALTER COLUMN {column_name}"
    old_type, new_type = _type(old_table, old, dialect), _type(new_table, new, dialect)
    if old_type != new_type:
        # An enum converts to another enum type only through its text.
        via = "::text" if old.enum is not None else ""
        steps.append(Statement(f"{prefix} TYPE {new_type} USING {column_name}{via}::{new_type}"))
    if old.nullable != new.nullable:
        steps.append(Statement(f"{prefix} {'DROP' if new.nullable else 'SET'} NOT NULL"))
    if old.server_default != new.server_default:
        if new.server_default is None:
            steps.append(Statement(f"{prefix} DROP DEFAULT"))
        else:
            steps.append(Statement(f"{prefix} SET DEFAULT {_default(new.server_default, dialect)}"))
    return steps


def _rebuild(before: Table, after: Table, *, fills: dict[str, Any] | None = None) -> Rebuild:
    fills = fills or {}
    sources = tuple(
        (
            c.name,
            c.name if before.has_column(c.name) else None,
            fills.get(c.name),
        )
        for c in after.columns
    )
    for name, source, fill in sources:
        if source is None and fill is None and not after.column(name).nullable:
            raise MigrationError(f"column {after.name}.{name} needs a backfill value")
    return Rebuild(before, after, sources)


def rebuild_statements(
    rebuild: Rebuild, dialect: Dialect, dependents: list[tuple[str, str, str]]
) -> list[Statement]:
    """The statements of a SQLite table rebuild. ``dependents``: (type, name, sql) of the
    views and triggers of the database in creation order, dropped first (last first) and
    recreated at the end (a view
    naming the table would otherwise stop the rename). The runner turns foreign key
    enforcement off around the transaction and checks the keys before committing."""
    q = dialect.quote_identifier
    name = rebuild.after.name
    temporary = f"_twinsql_new_{name}"
    steps = [Statement(f"DROP {kind.upper()} {q(dep)}") for kind, dep, _ in reversed(dependents)]
    steps.append(Statement(create_table_sql(rebuild.after, dialect, name=temporary)))
    targets, sources, params = [], [], []
    for column, source, fill in rebuild.sources:
        targets.append(q(column))
        if source is None:
            sources.append("?")
            params.append(fill)
        elif fill is not None:
            sources.append(f"COALESCE({q(source)}, ?)")
            params.append(fill)
        else:
            sources.append(q(source))
    steps.append(
        Statement(
            f"INSERT INTO {q(temporary)} ({', '.join(targets)}) "
            f"SELECT {', '.join(sources)} FROM {q(rebuild.before.name)}",
            tuple(params),
        )
    )
    steps.append(Statement(f"DROP TABLE {q(rebuild.before.name)}"))
    steps.append(Statement(f"ALTER TABLE {q(temporary)} RENAME TO {q(name)}"))
    steps.extend(Statement(_create_index(name, i, dialect)) for i in rebuild.after.indexes)
    steps.extend(Statement(sql) for _, _, sql in dependents)
    return steps
