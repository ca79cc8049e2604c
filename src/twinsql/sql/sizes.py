"""SQL feature, pure: how many bytes bound values add to a statement.

Batch budgets and bulk-insert plans count the *nominal* size of values (``values_size``):
strings count their length; a number, a bool or NULL a fixed ``NOMINAL_SIZE``; anything else
(a date, JSON, Decimal, UUID) its text.  It is cheap enough for the hot path of a bulk load.
MySQL drivers interpolate values into the statement text, where a value may take several
times its nominal size: ``MYSQL_SIZE_FACTOR`` and ``MYSQL_PER_VALUE`` bound that, and
``precise_size`` is a closer bound for the one statement the nominal bound would refuse.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = [
    "MYSQL_PER_VALUE",
    "MYSQL_SIZE_FACTOR",
    "NOMINAL_SIZE",
    "other_value_size",
    "precise_size",
    "values_size",
]

NOMINAL_SIZE = 8


def values_size(values: Sequence[Any]) -> int:
    """The nominal size of bound values. The hot path of a bulk load: one type look-up and
    one or two identity tests per value."""
    size = NOMINAL_SIZE * len(values)
    for value in values:
        kind = type(value)
        if kind is str:
            size += len(value) - NOMINAL_SIZE
        elif kind is int or kind is float or kind is bool or value is None:
            continue
        else:
            size += other_value_size(value) - NOMINAL_SIZE
    return size


def other_value_size(value: Any) -> int:
    """The nominal size of a value that is not exactly a str, int, float, bool or None (those
    are the cases a hot loop decides inline, as ``values_size`` does)."""
    if isinstance(value, (str, bytes, bytearray, memoryview)):
        return len(value)
    if isinstance(value, (int, float)):
        return NOMINAL_SIZE
    return len(str(value)) + 2


# How far a nominal size may be from the bytes a MySQL statement really takes once the
# driver has interpolated the values: four UTF-8 bytes per character, every byte escaped.
MYSQL_SIZE_FACTOR = 8
MYSQL_PER_VALUE = 16
_ESCAPED = ("\\", "'", '"', "\n", "\r", "\x00", "\x1a")


def precise_size(values: Sequence[Any]) -> int:
    """An upper bound of the bytes ``values`` take interpolated into MySQL text, closer than
    the nominal bound (used only for a single statement the nominal bound would refuse)."""
    size = 0
    for value in values:
        if isinstance(value, str):
            size += len(value.encode("utf-8")) + sum(value.count(c) for c in _ESCAPED) + 2
        elif isinstance(value, (bytes, bytearray, memoryview)):
            data = bytes(value)
            size += len(data) + sum(data.count(c.encode()) for c in _ESCAPED) + 10
        else:
            size += len(str(value)) + MYSQL_PER_VALUE
    return size
