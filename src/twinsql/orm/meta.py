"""ORM feature, pure: what the ORM knows about one model class.

``ModelInfo`` is built once per model class, when the class is created, from its pydantic
fields and twinsql's column options: the table and column names, the primary key (one
field, or several for a composite key: each marked ``Field(primary_key=True)``), each
field's storage type, the converters per backend, the relations, and the mixin roles
(soft-delete column, version column, timestamps). It also caches SQL text per dialect for
the statements every model runs (get by primary key), so the hot paths do no compiling.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic.fields import FieldInfo

from twinsql.errors import ArgumentError, InterfaceError, InvalidIdentifierError
from twinsql.orm.fields import ColumnOptions, column_options
from twinsql.orm.naming import Naming, column_name
from twinsql.orm.naming import table_name as _table_name
from twinsql.orm.types import TypeSpec, classify, reader_for, writer_for
from twinsql.sql.table import TableInfo

__all__ = ["ModelInfo", "build_model_info", "orm_attributes"]

Converter = Callable[[Any], Any]
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")


@dataclass(eq=False)
class ModelInfo:
    model: type[Any]
    table: TableInfo
    fields: tuple[str, ...]
    # The key fields in declaration order; several for a composite key.
    primary_keys: tuple[str, ...]
    specs: dict[str, TypeSpec]
    options: dict[str, ColumnOptions]
    # Fields the database fills in when the model leaves them unset (the primary key, server
    # defaults): returned by INSERT … RETURNING where the backend has it.
    generated: tuple[str, ...]
    field_set: frozenset[str] = frozenset()
    relations: dict[str, Any] = field(default_factory=dict)
    soft_delete_field: str | None = None
    version_field: str | None = None
    created_field: str | None = None
    updated_field: str | None = None
    writers: tuple[tuple[str, Converter], ...] = ()
    _readers: dict[str, tuple[tuple[int, Converter], ...]] = field(default_factory=dict)
    sql_cache: dict[tuple[str, str], str] = field(default_factory=dict)

    @property
    def composite(self) -> bool:
        return len(self.primary_keys) > 1

    @property
    def primary_key(self) -> str:
        """The key field of a single-column key. Code that handles any key reads
        ``primary_keys``; asking a composite key for one field is a clear error rather than
        half a key."""
        if len(self.primary_keys) != 1:
            raise InterfaceError(
                f"{self.model.__name__} has a composite primary key "
                f"({', '.join(self.primary_keys)}); use primary_keys"
            )
        return self.primary_keys[0]

    def key_of(self, record: Any) -> Any:
        """The record's key: the value of a single-column key, a tuple for a composite one."""
        if len(self.primary_keys) == 1:
            return record.__dict__.get(self.primary_keys[0])
        return tuple(record.__dict__.get(k) for k in self.primary_keys)

    def key_values(self, record: Any) -> tuple[Any, ...]:
        """The record's key values, one per key field."""
        return tuple(record.__dict__.get(k) for k in self.primary_keys)

    def readers(self, dialect: str) -> tuple[tuple[int, Converter], ...]:
        """(position in ``fields``, converter) for the fields that need one on ``dialect``."""
        cached = self._readers.get(dialect)
        if cached is None:
            cached = tuple(
                (i, fn)
                for i, name in enumerate(self.fields)
                if (fn := reader_for(self.specs[name], dialect)) is not None
            )
            self._readers[dialect] = cached
        return cached

    def check_field(self, name: str) -> str:
        """``name`` if it is a field of this model, else a clear error (before any I/O)."""
        if name not in self.field_set:
            raise InvalidIdentifierError(
                f"unknown field {name!r} on {self.model.__name__}; "
                f"known fields: {', '.join(self.fields)}"
            )
        return name

    def to_db(self, values: dict[str, Any]) -> dict[str, Any]:
        """Field values as the driver should bind them (enums, nested models converted)."""
        for name, writer in self.writers:
            if name in values and values[name] is not None:
                values[name] = writer(values[name])
        return values


def check_field_names(model: type[Any], fields: tuple[str, ...], reserved: frozenset[str]) -> None:
    """Refuse a field that takes the name of a model method or property: the field would
    hide it (``save``, ``query``, ``delete`` … would stop working on that model). The fix
    keeps the column name and renames the attribute."""
    for name in fields:
        if name in reserved:
            raise ArgumentError(
                f"field {model.__name__}.{name} would hide the model's {name}(); name the "
                f"field differently and keep the column: {name}_: ... = "
                f"Field(column={name!r})"
            )


def build_model_info(
    model: type[Any],
    model_fields: dict[str, FieldInfo],
    *,
    table_name: str | None,
    relations: dict[str, Any],
    roles: dict[str, str | None],
    reserved: frozenset[str] = frozenset(),
    naming: Naming | None = None,
) -> ModelInfo:
    """Collect a model class's metadata; raise ``ArgumentError`` for an unusable model.
    ``reserved``: the names of the model's own API (methods, properties), which no field may
    take. ``naming``: how the class and field names become the table and column names where
    ``table_name`` or a field's ``column`` does not say."""
    name = table_name or _table_name(naming, model.__name__)
    if not _IDENTIFIER.match(name):
        raise InvalidIdentifierError(f"table name {name!r} of {model.__name__} is not usable")
    fields = tuple(model_fields)
    if not fields:
        raise ArgumentError(f"model {model.__name__} has no fields")
    check_field_names(model, fields, reserved)
    options = {f: column_options(info) for f, info in model_fields.items()}
    specs = {f: classify(info) for f, info in model_fields.items()}
    keys = tuple(f for f, o in options.items() if o.primary_key)
    primary_keys = keys or (("id",) if "id" in model_fields else ())
    if not primary_keys:
        raise ArgumentError(
            f"{model.__name__} has no primary key: add a field `id` or mark one with "
            "Field(primary_key=True) (on several fields for a composite key)"
        )
    columns = {f: (options[f].column or column_name(naming, f)) for f in fields}
    seen: dict[str, str] = {}
    for owner_field, column in columns.items():
        if not _IDENTIFIER.match(column):
            raise InvalidIdentifierError(
                f"column name {column!r} of {model.__name__} is not usable"
            )
        # Compared folded: the backends treat column names without regard to case.
        other = seen.setdefault(column.lower(), owner_field)
        if other != owner_field:
            raise ArgumentError(
                f"{model.__name__}.{other} and {model.__name__}.{owner_field} both map to the "
                f"column {column!r}; give one of them Field(column=...)"
            )
    table = TableInfo(name=name, fields=fields, columns=columns, primary_keys=primary_keys)
    # A single key is generated by the database when left unset; the fields of a composite
    # key are always given (they are usually foreign keys), like any other column.
    generated = tuple(
        f
        for f in fields
        if (f in primary_keys and len(primary_keys) == 1) or options[f].server_default is not None
    )
    writers = tuple((f, w) for f in fields if (w := writer_for(specs[f])) is not None)
    info = ModelInfo(
        model=model,
        table=table,
        fields=fields,
        primary_keys=primary_keys,
        specs=specs,
        options=options,
        generated=generated,
        field_set=frozenset(fields),
        relations=relations,
        writers=writers,
    )
    for role, field_name in roles.items():
        if field_name is not None:
            info.check_field(field_name)
            setattr(info, role, field_name)
    return info


def orm_attributes(info: ModelInfo) -> dict[str, Any]:
    """What an ORM operation on ``info``'s model tells an observer: its table."""
    return {"db.collection.name": info.table.name}
