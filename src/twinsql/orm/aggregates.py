"""ORM feature, pure: the Python type of an aggregate of a field, on every backend.

The backends return aggregates in their storage types: SQLite's ``MAX`` of a datetime is
text and its ``SUM`` of a decimal a float, PostgreSQL's ``SUM`` of a bigint is a
``Decimal``, MySQL's ``AVG`` of an integer a ``Decimal``. The typed terminals (``sum``,
``average``, ``min``, ``max``) and ``aggregate()`` pass each value through the reader chosen
here, so that one query gives one answer everywhere:

* ``min`` / ``max``: the field's own Python type (the field's reader);
* ``sum``: an ``int`` for integer and bool fields, a ``float`` for floats, a ``Decimal`` for
  decimals (on SQLite rounded to 15 significant digits, see ``types``);
* ``average``: a ``Decimal`` for decimals, a ``float`` otherwise.

Only an aggregate whose argument is one field of the queried model is converted; anything
else (``COUNT``, an expression, a joined table's field) comes back as the driver returned it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from twinsql.orm.meta import ModelInfo
from twinsql.orm.types import TypeSpec, decimal_reader, reader_for
from twinsql.sql.expr import Col, Expr
from twinsql.sql.functions import Func
from twinsql.sql.nodes import Aliased

__all__ = ["aggregate_reader", "convert_rows"]

Converter = Callable[[Any], Any]
_TYPED = frozenset({"SUM", "AVG", "MIN", "MAX"})


def _as_int(value: Any) -> Any:
    return int(value)


def _as_float(value: Any) -> Any:
    return float(value)


def _by_function(name: str, spec: TypeSpec, dialect: str) -> Converter | None:
    if spec.kind == "decimal":
        # An average has more places than the field: keep them.
        return decimal_reader(None if name == "AVG" else spec.decimal_places)
    if name == "AVG":
        return _as_float
    if name == "SUM":
        if spec.kind in ("int", "bool"):
            return _as_int
        if spec.kind == "float":
            return _as_float
    if spec.kind == "int":
        return _as_int
    if spec.kind == "float":
        return _as_float
    return reader_for(spec, dialect)


def aggregate_reader(info: ModelInfo, expr: Expr, dialect: str) -> Converter | None:
    """The converter of ``expr``'s values, or None when they stay as the driver returned
    them: ``SUM``/``AVG``/``MIN``/``MAX`` of one field of ``info``'s model (not DISTINCT
    of anything else, not a window)."""
    if isinstance(expr, Aliased):
        expr = expr.expr
    if type(expr) is not Func or expr.name not in _TYPED or len(expr.args) != 1:
        return None
    arg = expr.args[0]
    if type(arg) is not Col or arg.table_alias is not None:
        return None
    if arg.table is not None and arg.table != info.table:
        return None
    spec = info.specs.get(arg.field)
    if spec is None:
        return None
    convert = _by_function(expr.name, spec, dialect)
    if convert is None:
        return None

    def read(value: Any) -> Any:
        return None if value is None else convert(value)

    return read


def convert_rows(
    info: ModelInfo, named: Mapping[str, Expr], rows: list[dict[str, Any]], dialect: str
) -> list[dict[str, Any]]:
    """``aggregate()``'s rows with every known field aggregate converted in place."""
    readers = [
        (name, reader)
        for name, expr in named.items()
        if (reader := aggregate_reader(info, expr, dialect)) is not None
    ]
    for row in rows:
        for name, reader in readers:
            row[name] = reader(row[name])
    return rows
