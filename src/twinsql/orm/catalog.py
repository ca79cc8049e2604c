"""ORM feature, pure: what a database's catalog says about its tables, in one form for every
backend.

Reflection reads the catalog with the queries here (``orm._async.reflection`` sends them)
and turns their rows into ``CatalogTable`` values: columns with their storage kind (the
``TypeSpec`` kinds of ``orm.types``), nullability, server default and auto-increment, the
primary key, unique and plain indexes, and foreign keys. ``orm.model_source`` writes model source
from these values.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

__all__ = [
    "CatalogColumn",
    "CatalogForeignKey",
    "CatalogTable",
    "ServerDefault",
    "known_type",
    "mysql_kind",
    "parse_default",
    "postgresql_kind",
    "sqlite_kind",
]


@dataclass(frozen=True)
class ServerDefault:
    """A column default: a Python literal (``value``), an SQL keyword or no-argument call
    (``expression``), or text no model field can state (``other``, kept for a comment)."""

    form: Literal["literal", "expression", "other"]
    value: Any


@dataclass(frozen=True)
class CatalogColumn:
    name: str
    kind: str
    nullable: bool
    default: ServerDefault | None = None
    auto_increment: bool = False
    max_length: int | None = None
    max_digits: int | None = None
    decimal_places: int | None = None
    # The type as the catalog names it, and whether the kind is a guess (a type with no
    # Python counterpart here: an array, a geometry, a user-defined type).
    sql_type: str = ""
    guessed: bool = False


@dataclass(frozen=True)
class CatalogForeignKey:
    columns: tuple[str, ...]
    target: str
    target_columns: tuple[str, ...]


@dataclass(frozen=True)
class CatalogTable:
    name: str
    columns: tuple[CatalogColumn, ...]
    primary_key: tuple[str, ...] = ()
    unique: tuple[tuple[str, ...], ...] = ()
    indexes: tuple[tuple[str, ...], ...] = ()
    foreign_keys: tuple[CatalogForeignKey, ...] = field(default=())


# -- column kinds ---------------------------------------------------------------------------

_LENGTH = re.compile(r"\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)")


def _size(sql_type: str) -> tuple[int | None, int | None]:
    match = _LENGTH.search(sql_type)
    if match is None:
        return None, None
    return int(match.group(1)), int(match.group(2)) if match.group(2) else None


def sqlite_kind(declared: str) -> tuple[str, dict[str, Any]]:
    """The kind of a SQLite column from its declared type (SQLite keeps the text as written;
    the rules follow its type affinity, with the names twinsql's DDL writes first)."""
    text = declared.upper()
    first, second = _size(text)
    if "BOOL" in text:
        return "bool", {}
    if "JSON" in text:
        return "json", {}
    if "TIMESTAMP" in text or "DATETIME" in text:
        return "datetime", {}
    if "DATE" in text:
        return "date", {}
    if "TIME" in text:
        return "time", {}
    if "INT" in text:
        return "int", {}
    if "CHAR" in text or "CLOB" in text or "TEXT" in text:
        return "str", {"max_length": first}
    if "BLOB" in text:
        return "bytes", {}
    if "REAL" in text or "FLOA" in text or "DOUB" in text:
        return "float", {}
    if "NUMERIC" in text or "DECIMAL" in text:
        return "decimal", {"max_digits": first, "decimal_places": second}
    return "str", {}


_PG_KINDS = {
    "smallint": "int",
    "integer": "int",
    "bigint": "int",
    "real": "float",
    "double precision": "float",
    "boolean": "bool",
    "text": "str",
    "character varying": "str",
    "character": "str",
    "bytea": "bytes",
    "date": "date",
    "timestamp without time zone": "datetime",
    "timestamp with time zone": "datetime_tz",
    "time without time zone": "time",
    "uuid": "uuid",
    "json": "json",
    "jsonb": "json",
    "numeric": "decimal",
}


def postgresql_kind(row: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """The kind of a PostgreSQL column from its ``information_schema.columns`` row (``str``
    for a type it does not know: see ``known_type``)."""
    kind = _PG_KINDS.get(str(row["data_type"]), "str")
    if kind == "str":
        return kind, {"max_length": row.get("character_maximum_length")}
    if kind == "decimal":
        return kind, _decimal_options(row)
    return kind, {}


def _decimal_options(row: Mapping[str, Any]) -> dict[str, Any]:
    """A decimal column's precision and scale, from its ``information_schema.columns`` row
    (the same columns on PostgreSQL and MySQL)."""
    return {"max_digits": row.get("numeric_precision"), "decimal_places": row.get("numeric_scale")}


_MYSQL_KINDS = {
    "tinyint": "int",
    "smallint": "int",
    "mediumint": "int",
    "int": "int",
    "bigint": "int",
    "float": "float",
    "double": "float",
    "decimal": "decimal",
    "char": "str",
    "varchar": "str",
    "tinytext": "str",
    "text": "str",
    "mediumtext": "str",
    "longtext": "str",
    "enum": "str",
    "binary": "bytes",
    "varbinary": "bytes",
    "tinyblob": "bytes",
    "blob": "bytes",
    "mediumblob": "bytes",
    "longblob": "bytes",
    "date": "date",
    "datetime": "datetime",
    "timestamp": "datetime",
    "time": "time",
    "year": "int",
    "json": "json",
}


def known_type(dialect: str, data_type: str) -> bool:
    """Whether the catalog's type name has a kind of its own (else the column is read as
    ``str``, and the model says so)."""
    if dialect == "postgresql":
        return data_type in _PG_KINDS
    return data_type.lower() in _MYSQL_KINDS


def mysql_kind(row: Mapping[str, Any], json_columns: frozenset[str]) -> tuple[str, dict[str, Any]]:
    """The kind of a MySQL/MariaDB column from its ``information_schema.COLUMNS`` row.
    ``tinyint(1)`` is a bool; MariaDB's JSON is a ``longtext`` whose CHECK constraint calls
    ``json_valid`` (``json_columns``)."""
    data_type = str(row["data_type"]).lower()
    if str(row["column_type"]).lower().startswith("tinyint(1)"):
        return "bool", {}
    if str(row["column_name"]) in json_columns:
        return "json", {}
    kind = _MYSQL_KINDS.get(data_type, "str")
    if kind == "str" and data_type in ("char", "varchar"):
        return kind, {"max_length": row.get("character_maximum_length")}
    if kind == "decimal":
        return kind, _decimal_options(row)
    return kind, {}


# -- defaults -------------------------------------------------------------------------------

_CAST = re.compile(r"::[A-Za-z_][A-Za-z0-9_ .\"\[\]()]*$")
_NUMBER = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$")
_EXPRESSION = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\(\))?$")
_QUOTED = re.compile(r"^'((?:[^']|'')*)'$", re.DOTALL)


def _unwrap(text: str) -> str:
    while text.startswith("(") and text.endswith(")") and _balanced(text[1:-1]):
        text = text[1:-1].strip()
    return text


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def _number(text: str, kind: str) -> Any:
    if kind == "int":
        return int(Decimal(text)) if Decimal(text) == int(Decimal(text)) else None
    if kind == "float":
        return float(text)
    if kind == "decimal":
        return Decimal(text)
    if kind == "bool" and text in ("0", "1"):
        return text == "1"
    return None


def parse_default(
    text: str | None, kind: str, *, bare_strings: bool = False
) -> ServerDefault | None:
    """A column's default as the catalog writes it → what a model field can declare.
    ``bare_strings``: the catalog writes a string default without quotes (MySQL 8)."""
    if text is None:
        return None
    text = _unwrap(text.strip())
    cast = _CAST.search(text)  # PostgreSQL: '...'::character varying
    while cast is not None and _balanced(text[: cast.start()]):
        text = _unwrap(text[: cast.start()].strip())
        cast = _CAST.search(text)
    if text.upper() == "NULL" or text == "":
        return None
    quoted = _QUOTED.match(text)
    if quoted is not None or (bare_strings and kind == "str"):
        value = quoted.group(1).replace("''", "'") if quoted is not None else text
        if kind == "str":
            return ServerDefault("literal", value)
        if kind in ("int", "float", "decimal", "bool") and _NUMBER.match(value):
            number = _number(value, kind)
            if number is not None:
                return ServerDefault("literal", number)
        return ServerDefault("other", text)
    if _NUMBER.match(text):
        number = _number(text, kind)
        return (
            ServerDefault("literal", number) if number is not None else ServerDefault("other", text)
        )
    if text.lower() in ("true", "false") and kind == "bool":
        return ServerDefault("literal", text.lower() == "true")
    if _EXPRESSION.match(text) and not text.lower().startswith("nextval"):
        return ServerDefault("expression", text)
    return ServerDefault("other", text)


def group_columns(
    rows: Sequence[Mapping[str, Any]], key: str, column: str
) -> dict[Any, tuple[str, ...]]:
    """Rows ordered by position → the column names of each group (an index, a key)."""
    out: dict[Any, list[str]] = {}
    for row in rows:
        out.setdefault(row[key], []).append(str(row[column]))
    return {name: tuple(columns) for name, columns in out.items()}
