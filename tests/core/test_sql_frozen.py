"""``sql.frozen.builder`` makes the object the class's own constructor makes, still frozen."""

from __future__ import annotations

import dataclasses

import pytest

from twinsql.sql.frozen import builder


@dataclasses.dataclass(frozen=True, slots=True)
class Point:
    x: int
    y: int
    tags: dict[str, int] = dataclasses.field(default_factory=dict)


def test_the_built_object_equals_the_constructed_one_and_stays_frozen() -> None:
    build = builder(Point)
    made = build(1, 2, {"a": 1})
    assert made == Point(1, 2, {"a": 1})
    assert type(made) is Point
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.x = 3  # type: ignore[misc]


def test_every_field_must_be_given() -> None:
    with pytest.raises(TypeError):
        builder(Point)(1, 2)
