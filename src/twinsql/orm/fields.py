"""ORM feature, pure: column options on model fields.

``twinsql.Field`` is ``pydantic.Field`` plus the options a column needs. The options ride
along in the field's metadata list as a ``ColumnOptions`` object, which pydantic keeps and
otherwise ignores, so a model stays an ordinary pydantic model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pydantic
from pydantic.fields import FieldInfo

from twinsql.errors import ArgumentError

__all__ = ["ColumnOptions", "Field", "SQLExpression", "sql_expression"]

_SAFE_EXPRESSION = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\(\))?$")


@dataclass(frozen=True)
class SQLExpression:
    """A server-side default written as SQL (``CURRENT_TIMESTAMP``). Developer text, not
    user input: only a bare keyword or a no-argument function call is accepted."""

    text: str


def sql_expression(text: str) -> SQLExpression:
    if not isinstance(text, str) or not _SAFE_EXPRESSION.match(text):
        raise ArgumentError(
            f"server default {text!r} must be a keyword or a no-argument function call "
            "such as CURRENT_TIMESTAMP or now(); use a Python value for a literal default"
        )
    return SQLExpression(text)


@dataclass(frozen=True)
class ColumnOptions:
    primary_key: bool = False
    column: str | None = None
    index: bool = False
    unique: bool = False
    # A Python literal (rendered safely) or an SQLExpression.
    server_default: Any = None
    # The field's former name, for the migrations autodetector: a rename, not drop + add.
    renamed_from: str | None = None


def Field(
    default: Any = ...,
    *,
    primary_key: bool = False,
    column: str | None = None,
    index: bool = False,
    unique: bool = False,
    server_default: Any = None,
    renamed_from: str | None = None,
    **kwargs: Any,
) -> Any:
    """``pydantic.Field`` with column options: ``primary_key``, ``column`` (the DB column
    name when it differs from the field name), ``index``, ``unique``, ``server_default``,
    ``renamed_from`` (the former field name: a migration renames the column instead of
    dropping it and adding another)."""
    info: FieldInfo = pydantic.Field(default, **kwargs)
    info.metadata.append(
        ColumnOptions(
            primary_key=primary_key,
            column=column,
            index=index,
            unique=unique,
            server_default=server_default,
            renamed_from=renamed_from,
        )
    )
    return info


def column_options(info: FieldInfo) -> ColumnOptions:
    for item in info.metadata:
        if isinstance(item, ColumnOptions):
            return item
    return _DEFAULT_OPTIONS


_DEFAULT_OPTIONS = ColumnOptions()
