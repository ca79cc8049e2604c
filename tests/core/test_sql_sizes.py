"""Pure tests of twinsql.sql.sizes: nominal and MySQL-interpolated sizes of bound values."""

from __future__ import annotations

import datetime
import decimal

from hypothesis import given
from hypothesis import strategies as st

from twinsql.sql.sizes import NOMINAL_SIZE, other_value_size, precise_size, values_size


def test_values_size() -> None:
    assert values_size(()) == 0
    assert values_size((1, 2.5, True, None)) == 32
    assert values_size(("abc", b"xy")) == 5
    assert values_size((datetime.date(2024, 1, 2),)) == len("2024-01-02") + 2
    assert values_size(({"k": 1},)) == len(str({"k": 1})) + 2
    assert values_size((decimal.Decimal("1.50"),)) == 6


@given(st.lists(st.one_of(st.text(max_size=20), st.binary(max_size=20), st.integers(),
                          st.floats(allow_nan=False), st.none(), st.booleans())))  # fmt: skip
def test_precise_size_bounds_mysql_escaping(values: list[object]) -> None:
    """An upper bound of the escaped, quoted text of each value."""
    escaped = 0
    for value in values:
        if isinstance(value, str):
            data = value.encode()
            escaped += len(data) + sum(data.count(c.encode()) for c in "\\'\"\n\r\x00\x1a") + 2
        elif isinstance(value, bytes):
            escaped += len(value) * 2 + 9
        else:
            escaped += len(repr(value))
    assert precise_size(values) >= escaped - sum(len(v) for v in values if isinstance(v, bytes))


@given(st.lists(st.one_of(st.text(max_size=20), st.binary(max_size=20), st.integers(),
                          st.floats(allow_nan=False), st.none(), st.booleans(),
                          st.dates(), st.decimals(allow_nan=False))))  # fmt: skip
def test_values_size_is_the_sum_of_its_inline_and_other_cases(values: list[object]) -> None:
    """The fast cases values_size decides inline agree with other_value_size, which the
    batch intake's inlined loop uses for everything else."""
    expected = 0
    for value in values:
        kind = type(value)
        if kind is str:
            expected += len(value)  # type: ignore[arg-type]
        elif kind in (int, float, bool) or value is None:
            expected += NOMINAL_SIZE
        else:
            expected += other_value_size(value)
    assert values_size(values) == expected
