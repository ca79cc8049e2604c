"""ORM feature, pure: column options on model fields.

``twinsql.Field`` is ``pydantic.Field`` plus the options a column needs. The options ride
along in the field's metadata list as a ``ColumnOptions`` object, which pydantic keeps and
otherwise ignores, so a model stays an ordinary pydantic model.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from types import EllipsisType
from typing import Any, TypeVar, overload

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


_T = TypeVar("_T")


@overload
def Field(
    default: EllipsisType,
    *,
    primary_key: bool = False,
    column: str | None = None,
    index: bool = False,
    unique: bool = False,
    server_default: Any = None,
    renamed_from: str | None = None,
    **kwargs: Any,
) -> Any: ...
@overload
def Field(
    default: _T,
    *,
    primary_key: bool = False,
    column: str | None = None,
    index: bool = False,
    unique: bool = False,
    server_default: Any = None,
    renamed_from: str | None = None,
    **kwargs: Any,
) -> _T: ...
@overload
def Field(
    *,
    default_factory: Callable[[], _T],
    primary_key: bool = False,
    column: str | None = None,
    index: bool = False,
    unique: bool = False,
    server_default: Any = None,
    renamed_from: str | None = None,
    **kwargs: Any,
) -> _T: ...
@overload
def Field(
    *,
    primary_key: bool = False,
    column: str | None = None,
    index: bool = False,
    unique: bool = False,
    server_default: Any = None,
    renamed_from: str | None = None,
    **kwargs: Any,
) -> Any: ...
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
    dropping it and adding another).

    Type checkers know it as a field specifier of ``Model`` (as ``pydantic.Field`` is): a
    field whose ``Field(...)`` passes no ``default``/``default_factory`` is required in the
    constructor, and a default of the wrong type is an error. mypy reads only a *keyword*
    default of a field specifier: write ``Field(default=0)``, not ``Field(0)``."""
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
