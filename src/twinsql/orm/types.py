"""ORM feature, pure: how each Python field type is stored on each backend and read back.

A field's annotation is classified once, when the model class is created, into a
``TypeSpec``. From it come the column type for ``CREATE TABLE`` and two small functions per
backend: a *writer* (Python value → what the driver binds) and a *reader* (what the driver
returns → the Python value). Most of them are ``None``: PostgreSQL returns nearly every type
natively, and hydration applies only the readers that exist, so a model of ints and strings
pays nothing for this module.

Datetimes, one rule on every backend: a naive column reads naive, an aware column reads
aware (in UTC). The annotation says which a field is — ``datetime`` (or pydantic's
``NaiveDatetime``) is naive, pydantic's ``AwareDatetime`` is aware — and decides what
``create_all`` creates: ``TIMESTAMP`` / ``TIMESTAMPTZ`` on PostgreSQL, ``DATETIME(6)``
holding the UTC wall time on MySQL (which has no zoned type), ISO-8601 text on SQLite,
where an aware value is stored in UTC so that text order is time order. On PostgreSQL the
column itself decides (the driver returns a ``timestamptz`` aware); MySQL and SQLite cannot
tell, so there the annotation does.

Decimals: PostgreSQL and MySQL return ``Decimal`` exactly (up to the column's precision; a
twinsql-created column holds 28 digits unless the field says ``max_digits``, up to 38).
SQLite has no decimal type: a NUMERIC column keeps an integer exactly and anything else as a
64-bit REAL, which holds 15 significant decimal digits. A REAL read back is rounded to those
15 digits (which also undoes the binary error of a SUM) and set to the field's
``decimal_places``: exact for values of up to 15 significant digits, rounded to 15 beyond.
"""

from __future__ import annotations

import datetime
import decimal
import enum
import json
import types
import typing
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pydantic
from pydantic.fields import FieldInfo

from twinsql.sql.expr import enum_value

__all__ = [
    "REAL_DIGITS",
    "TypeSpec",
    "classify",
    "column_type",
    "decimal_reader",
    "enum_values",
    "reader_for",
    "writer_for",
]

Converter = Callable[[Any], Any]


@dataclass(frozen=True)
class TypeSpec:
    # int float bool str bytes decimal date datetime (naive) datetime_tz (aware) time uuid
    # json enum
    kind: str
    nullable: bool
    python_type: Any = None
    max_length: int | None = None
    max_digits: int | None = None
    decimal_places: int | None = None


_SIMPLE: dict[Any, str] = {
    int: "int",
    float: "float",
    bool: "bool",
    str: "str",
    bytes: "bytes",
    decimal.Decimal: "decimal",
    datetime.datetime: "datetime",
    pydantic.NaiveDatetime: "datetime",
    pydantic.AwareDatetime: "datetime_tz",
    datetime.date: "date",
    datetime.time: "time",
    uuid.UUID: "uuid",
    dict: "json",
    list: "json",
}


def _strip_optional(annotation: Any) -> tuple[Any, bool]:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _strip_optional(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        nullable = len(args) < len(typing.get_args(annotation))
        if len(args) == 1:
            inner, inner_nullable = _strip_optional(args[0])
            return inner, nullable or inner_nullable
        return annotation, nullable
    return annotation, False


def classify(info: FieldInfo) -> TypeSpec:
    """The storage kind of a pydantic field."""
    annotation, nullable = _strip_optional(info.annotation)
    base = typing.get_origin(annotation) or annotation
    kind = _SIMPLE.get(base)
    if kind is None:
        if isinstance(base, type) and issubclass(base, enum.Enum):
            kind = "enum"
        elif isinstance(base, type) and issubclass(base, pydantic.BaseModel):
            kind = "json"
        elif base is typing.Literal:
            kind = "str"
        elif base in (set, frozenset, tuple) or base is typing.Any:
            kind = "json"
        else:
            kind = "json"
    max_length = max_digits = decimal_places = None
    for item in info.metadata:
        max_length = getattr(item, "max_length", None) or max_length
        max_digits = getattr(item, "max_digits", None) or max_digits
        decimal_places = getattr(item, "decimal_places", None) or decimal_places
    return TypeSpec(kind, nullable, annotation, max_length, max_digits, decimal_places)


# -- DDL -----------------------------------------------------------------------------------

_DDL: dict[str, dict[str, str]] = {
    "postgresql": {
        "int": "BIGINT",
        "float": "DOUBLE PRECISION",
        "bool": "BOOLEAN",
        "str": "TEXT",
        "bytes": "BYTEA",
        "date": "DATE",
        "datetime": "TIMESTAMP",
        "datetime_tz": "TIMESTAMPTZ",
        "time": "TIME",
        "uuid": "UUID",
        "json": "JSONB",
        "enum": "TEXT",
    },
    "mysql": {
        "int": "BIGINT",
        "float": "DOUBLE",
        "bool": "BOOLEAN",
        "str": "TEXT",
        "bytes": "LONGBLOB",
        "date": "DATE",
        "datetime": "DATETIME(6)",
        "datetime_tz": "DATETIME(6)",
        "time": "TIME(6)",
        "uuid": "CHAR(36)",
        "json": "JSON",
        "enum": "VARCHAR(64)",
    },
    "sqlite": {
        "int": "INTEGER",
        "float": "REAL",
        "bool": "BOOLEAN",
        "str": "TEXT",
        "bytes": "BLOB",
        "date": "DATE",
        "datetime": "TIMESTAMP",
        "datetime_tz": "TIMESTAMP",
        "time": "TIME",
        "uuid": "TEXT",
        "json": "TEXT",
        "enum": "TEXT",
    },
}


def column_type(spec: TypeSpec, dialect: str, *, keyed: bool) -> str:
    """The SQL column type. ``keyed``: the column is a key, unique or indexed, which on
    MySQL needs a bounded VARCHAR instead of TEXT."""
    if spec.kind == "decimal":
        digits = spec.max_digits or 28
        places = spec.decimal_places if spec.decimal_places is not None else 10
        return f"NUMERIC({int(digits)}, {int(places)})"
    if spec.kind == "str" and spec.max_length is not None and dialect != "sqlite":
        return f"VARCHAR({int(spec.max_length)})"
    if spec.kind == "str" and dialect == "mysql" and keyed:
        return "VARCHAR(255)"
    if spec.kind == "enum" and _enum_is_int(spec):
        return _DDL[dialect]["int"]
    return _DDL[dialect][spec.kind]


def enum_values(spec: TypeSpec) -> tuple[str, ...] | None:
    """The stored values of a string-valued enum field in declaration order (what a
    PostgreSQL enum type lists), or None for any other field (an int-valued enum is an
    integer column)."""
    enum_type = spec.python_type
    if spec.kind != "enum" or not (
        isinstance(enum_type, type) and issubclass(enum_type, enum.Enum)
    ):
        return None
    if _enum_is_int(spec):
        return None
    return tuple(str(member.value) for member in enum_type)


def _enum_is_int(spec: TypeSpec) -> bool:
    enum_type = spec.python_type
    members: list[Any] = (
        list(enum_type) if isinstance(enum_type, type) and issubclass(enum_type, enum.Enum) else []
    )
    return bool(members) and all(isinstance(m.value, int) for m in members)


# -- writers: Python value → bound value ---------------------------------------------------


def _dump_json(value: Any) -> Any:
    if isinstance(value, pydantic.BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return value


def writer_for(spec: TypeSpec) -> Converter | None:
    """Conversion before binding, or None. Drivers already bind dates, decimals, UUIDs and
    dicts on every backend; enums and nested pydantic models need help."""
    if spec.kind == "enum":
        return enum_value
    if spec.kind == "json" and spec.python_type not in (dict, list):
        return _dump_json
    return None


# -- readers: stored value → Python value ---------------------------------------------------


def _to_bool(value: Any) -> Any:
    return bool(value) if isinstance(value, int) else value


# A REAL holds 15 significant decimal digits for certain (DBL_DIG).
REAL_DIGITS = 15
# Room for quantizing up to 38 digits plus the places, above the default context's 28.
_WIDE = decimal.Context(prec=80)


def decimal_reader(places: int | None) -> Converter:
    """Stored value → ``Decimal``: a float (SQLite's REAL) rounded to ``REAL_DIGITS``
    significant digits, and any non-Decimal set to ``places`` decimal places when known."""
    exponent = decimal.Decimal(1).scaleb(-places) if places is not None else None

    def read(value: Any) -> Any:
        if isinstance(value, decimal.Decimal):
            return value
        if isinstance(value, float):
            value = decimal.Decimal(format(value, f".{REAL_DIGITS}g"))
        else:
            value = decimal.Decimal(str(value))
        if exponent is not None and value.is_finite():
            return value.quantize(exponent, context=_WIDE)
        return value

    return read


def _to_uuid(value: Any) -> Any:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _from_json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, (str, bytes)) else value


def _to_date(value: Any) -> Any:
    return datetime.date.fromisoformat(value) if isinstance(value, str) else value


_UTC = datetime.timezone.utc


def _to_naive_datetime(value: Any) -> Any:
    # SQLite text of a naive column; an aware value stored there reads as its UTC wall time.
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value)
    if isinstance(value, datetime.datetime) and value.tzinfo is not None:
        return value.astimezone(_UTC).replace(tzinfo=None)
    return value


def _to_aware_datetime(value: Any) -> Any:
    # An aware field reads aware, in UTC: a naive stored value is the UTC wall time that
    # MySQL's DATETIME (and a naive column) holds for it.
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value)
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=_UTC)
        if value.utcoffset() != datetime.timedelta(0) or value.tzinfo is not _UTC:
            return value.astimezone(_UTC)
    return value


def _to_time(value: Any) -> Any:
    if isinstance(value, str):
        return datetime.time.fromisoformat(value)
    if isinstance(value, datetime.timedelta):
        return (datetime.datetime.min + value).time()
    return value


def reader_for(spec: TypeSpec, dialect: str) -> Converter | None:
    """Conversion after fetching, or None when the driver already returns the type."""
    kind = spec.kind
    if kind == "enum":
        enum_type = spec.python_type
        return lambda value: value if value is None else enum_type(value)
    if kind == "json" and spec.python_type not in (dict, list, Any):
        adapter = pydantic.TypeAdapter(spec.python_type)
        return lambda value: value if value is None else adapter.validate_python(_from_json(value))
    if kind == "datetime_tz":
        return _to_aware_datetime
    if dialect == "postgresql":
        return None
    simple: dict[str, Converter] = {
        "bool": _to_bool,
        "decimal": decimal_reader(spec.decimal_places),
        "uuid": _to_uuid,
        "json": _from_json,
        "time": _to_time,
    }
    if dialect == "sqlite":
        simple.update(date=_to_date, datetime=_to_naive_datetime)
    return simple.get(kind)
