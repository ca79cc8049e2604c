"""Migrations feature, pure: the schema the models describe, as a ``SchemaState``.

Each model becomes a ``Table`` with the names, types, keys, indexes and foreign keys that
``create_all`` gives it, so a database brought up to date by migrations and one made by
``create_all`` hold the same schema. Index and constraint names are generated and stable:
``ix_<table>_<column>`` for an index, ``uq_<table>_<column>`` for a unique field,
``fk_<table>_<columns>`` for a foreign key (cut to 60 characters). A string-valued enum
field's column names the enum type ``create_all`` gives it (``orm.ddl.enum_type_name``),
listed in the state's ``enums``.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Any

from pydantic_core import PydanticUndefined

from twinsql.migrations.operations import SQL
from twinsql.migrations.state import Column, EnumType, ForeignKey, Index, SchemaState, Table
from twinsql.orm.ddl import enum_type_name, order_for_create
from twinsql.orm.fields import SQLExpression
from twinsql.orm.meta import ModelInfo
from twinsql.orm.naming import column_name
from twinsql.orm.types import enum_values

__all__ = ["model_table", "models_state", "renamed_columns", "renamed_table"]

_NAME_LIMIT = 60


def _name(prefix: str, table: str, columns: Iterable[str]) -> str:
    return f"{prefix}_{table}_{'_'.join(columns)}"[:_NAME_LIMIT]


def _kind(info: ModelInfo, field: str) -> str:
    spec = info.specs[field]
    if spec.kind == "enum":
        enum_type = spec.python_type
        members: list[Any] = (
            list(enum_type)
            if isinstance(enum_type, type) and issubclass(enum_type, enum.Enum)
            else []
        )
        if members and all(isinstance(m.value, int) for m in members):
            return "int"
    return spec.kind


def _plain(value: Any) -> Any:
    """A field default usable as a backfill value: a plain literal, else None."""
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, (bool, int, float, str)):
        return value
    return None


def model_table(info: ModelInfo) -> Table:
    columns: list[Column] = []
    name = info.table.name
    single = len(info.primary_keys) == 1
    model_fields = getattr(info.model, "model_fields", {})
    for field in info.fields:
        spec = info.specs[field]
        options = info.options[field]
        kind = _kind(info, field)
        server_default = options.server_default
        if isinstance(server_default, SQLExpression):
            server_default = SQL(server_default.text)
        field_info = model_fields.get(field)
        default = getattr(field_info, "default", PydanticUndefined)
        values = enum_values(spec)
        columns.append(
            Column(
                name=info.table.column(field),
                type=kind,
                nullable=spec.nullable and field not in info.primary_keys,
                max_length=spec.max_length if kind == "str" else None,
                max_digits=spec.max_digits if kind == "decimal" else None,
                decimal_places=spec.decimal_places if kind == "decimal" else None,
                auto=single and field in info.primary_keys and kind == "int",
                server_default=server_default,
                default=None if default is PydanticUndefined else _plain(default),
                enum=None if values is None else enum_type_name(name, info.table.column(field)),
            )
        )
    indexes: list[Index] = []
    for field in info.fields:
        options = info.options[field]
        column = info.table.column(field)
        if options.unique:
            indexes.append(Index(_name("uq", name, [column]), (column,), unique=True))
        elif options.index:
            indexes.append(Index(_name("ix", name, [column]), (column,)))
    foreign_keys = []
    for relation in info.relations.values():
        if relation.kind != "belongs_to":
            continue
        spec = relation.spec()
        cols = tuple(info.table.column(f) for f in spec.foreign_keys)
        foreign_keys.append(
            ForeignKey(
                _name("fk", name, cols),
                cols,
                spec.target.table.name,
                tuple(spec.target.table.column(f) for f in spec.keys),
            )
        )
    return Table(
        name=name,
        columns=tuple(columns),
        primary_key=tuple(info.table.column(f) for f in info.primary_keys),
        indexes=tuple(indexes),
        foreign_keys=tuple(foreign_keys),
    )


def models_state(models: Iterable[type[Any]]) -> SchemaState:
    """The schema of ``models``, tables in foreign-key order."""
    infos = order_for_create([model.__twinsql__ for model in models])
    enums = [
        EnumType(enum_type_name(info.table.name, info.table.column(field)), values)
        for info in infos
        for field in info.fields
        if (values := enum_values(info.specs[field])) is not None
    ]
    return SchemaState(tuple(model_table(info) for info in infos), tuple(enums))


def renamed_table(model: type[Any]) -> str | None:
    """The former table name a model declares with ``__renamed_from__ = "old_name"``."""
    value = vars(model).get("__renamed_from__")
    return value if isinstance(value, str) else None


def renamed_columns(model: type[Any]) -> dict[str, str]:
    """New column → former column, from ``Field(renamed_from="old_field")``."""
    info: ModelInfo = model.__twinsql__
    naming = getattr(model, "__naming__", None)
    return {
        info.table.column(field): column_name(naming, options.renamed_from)
        for field, options in info.options.items()
        if options.renamed_from
    }
