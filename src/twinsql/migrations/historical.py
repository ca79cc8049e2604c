"""Migrations feature: the models as they were at a migration (historical models).

A data migration must not import the application's current models: they describe the
schema after the last migration, not the one its step runs against. ``historical_models``
builds plain model classes from the replayed ``SchemaState`` instead, one per table, with
a field per column (named as the column) and the same key, keyed by table name, in a
registry of their own; the runner binds them to its database.
"""

from __future__ import annotations

import datetime
import decimal
import uuid
from typing import Any, Optional

import pydantic

from twinsql.migrations.state import SchemaState, Table
from twinsql.orm.fields import Field
from twinsql.orm.model import Model
from twinsql.orm.registry import Registry

__all__ = ["historical_models"]

_PYTHON: dict[str, Any] = {
    "int": int,
    "float": float,
    "bool": bool,
    "str": str,
    "bytes": bytes,
    "decimal": decimal.Decimal,
    "date": datetime.date,
    "datetime": datetime.datetime,
    "datetime_tz": pydantic.AwareDatetime,
    "time": datetime.time,
    "uuid": uuid.UUID,
    "json": Any,
    "enum": str,
}


# Pydantic's model metaclass, which builds a model class from a namespace.
_META: Any = type(Model)


def _class_name(table: str) -> str:
    return "".join(part.capitalize() for part in table.split("_")) or "Table"


def _model(base: type[Model], table: Table) -> type[Model]:
    annotations: dict[str, Any] = {}
    namespace: dict[str, Any] = {"__table_name__": table.name, "__module__": __name__}
    for column in table.columns:
        kind = _PYTHON.get(column.type, Any)
        in_key = column.name in table.primary_key
        if column.nullable or column.auto:
            annotations[column.name] = Optional[kind]  # noqa: UP045 - a runtime type
            namespace[column.name] = Field(None, primary_key=in_key)
        else:
            annotations[column.name] = kind
            namespace[column.name] = Field(primary_key=in_key)
    namespace["__annotations__"] = annotations
    model: type[Model] = _META(_class_name(table.name), (base,), namespace)
    return model


def historical_models(state: SchemaState, db: Any = None) -> dict[str, type[Model]]:
    """Table name → a model of that table as ``state`` has it, bound to ``db`` if given."""
    base: type[Model] = _META(
        "HistoricalModel",
        (Model,),
        {"__module__": __name__, "__registry__": Registry("historical")},
    )
    if db is not None:
        base.bind(db)
    return {table.name: _model(base, table) for table in state.values()}
