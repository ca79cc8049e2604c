"""ORM feature, facade: a model's column namespace, ``Model.c``.

``User.c.age`` is a column expression (``Col``) of the model's field ``age``, checked when it
is read. A model may declare the namespace as a nested ``Columns`` class listing its fields
as ``Col[...]`` annotations: type checkers then know each column's value type and flag an
unknown name (``ColumnsAccess`` is the static type of ``Model.c`` that picks it).
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, overload

from twinsql import errors
from twinsql.orm.meta import ModelInfo
from twinsql.sql.expr import Col
from twinsql.sql.table import TableInfo

__all__ = ["ColumnSet", "Columns", "ColumnsAccess", "declared_columns"]


class ColumnSet:
    """Base of a model's declared column namespace: a nested class ``Columns`` that lists
    the fields as ``Col[...]`` annotations, so that ``User.c.age`` is a ``Col[int]`` to type
    checkers and ``User.c.agee`` is flagged before anything runs::

        class User(Model):
            age: int = 0

            class Columns(ColumnSet):
                age: Col[int]

    Python's type system cannot derive one attribute per field from the model's own
    annotations, so the namespace is written out (``twinsql reflect`` writes it). Each
    annotated name must be a field of the model, checked when the class is created. At run
    time every field is reachable, declared or not; an unknown name raises at once."""

    __slots__ = ("_info", "_table")

    def __init__(self, info: ModelInfo, table: TableInfo | None = None) -> None:
        self._info = info
        self._table = table or info.table

    def column(self, name: str) -> Col:
        if name.startswith("__"):
            raise AttributeError(name)
        return Col(self._info.check_field(name), table=self._table)

    if not TYPE_CHECKING:  # hidden from checkers: a declared namespace lists its names

        def __getattr__(self, name: str) -> Col:
            return self.column(name)

    def __getitem__(self, name: str) -> Col:
        return self.column(name)

    def __dir__(self) -> Iterable[str]:
        return self._info.fields


class Columns(ColumnSet):
    """``User.c.age``: column expressions for building conditions (``Col[Any]`` to type
    checkers unless the model declares its ``Columns``, see ``ColumnSet``). An unknown
    name raises at once, before any query is built."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Col:
        return self.column(name)


_C = TypeVar("_C", bound=ColumnSet)
_C_co = TypeVar("_C_co", bound=ColumnSet, covariant=True)


class _DeclaresColumns(Protocol[_C_co]):
    @property
    def Columns(self) -> type[_C_co]: ...  # the nested class a model declares


class ColumnsAccess:
    """The static type of ``Model.c``: the model's declared ``Columns`` namespace when it
    has one, else ``Columns`` (any field name, ``Col[Any]``). Never instantiated: each model
    class holds its namespace object as ``c``."""

    @overload
    def __get__(self, instance: None, owner: type[_DeclaresColumns[_C]]) -> _C: ...
    @overload
    def __get__(self, instance: object, owner: type[Any]) -> Columns: ...
    def __get__(self, instance: object, owner: type[Any]) -> Any:
        raise NotImplementedError


def declared_columns(cls: type[Any], info: ModelInfo) -> ColumnSet:
    """The column namespace of a model class: its declared ``Columns``, else ``Columns``."""
    declared = getattr(cls, "Columns", None)
    if declared is None:
        return Columns(info)
    if not (isinstance(declared, type) and issubclass(declared, ColumnSet)):
        raise errors.ArgumentError(
            f"{cls.__name__}.Columns must be a class deriving from twinsql.ColumnSet "
            "(the declared column namespace)"
        )
    for klass in declared.__mro__:
        for name in inspect.get_annotations(klass):
            if name not in info.field_set:
                raise errors.ArgumentError(
                    f"{cls.__name__}.Columns declares {name!r}, which is not a field of "
                    f"{cls.__name__}; fields: {', '.join(info.fields)}"
                )
    return declared(info)
