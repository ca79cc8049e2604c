"""``twinsql load`` keeps each statement's line as runs of a constant step: the same answers
as a plain list, in a few numbers for a dump of millions of one-line statements."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from twinsql.cli import LineMap


@given(st.integers(1, 9), st.lists(st.sampled_from([0, 1, 1, 2, 2, 3, 7]), max_size=80))
def test_a_line_map_answers_as_a_list(first: int, gaps: list[int]) -> None:
    lines, line = [], first
    for gap in gaps:
        line += gap
        lines.append(line)
    mapped = LineMap()
    for number in lines:
        mapped.append(number)
    assert len(mapped) == len(lines)
    assert [mapped[i] for i in range(len(lines))] == lines


def test_a_million_one_line_statements_are_one_run() -> None:
    mapped = LineMap()
    for number in range(3, 1_000_003):
        mapped.append(number)
    assert mapped[0] == 3 and mapped[999_999] == 1_000_002
    assert len(mapped.runs()) == 1
