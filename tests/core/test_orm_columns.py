"""A model's column namespace: ``Model.c`` with and without a declared ``Columns`` class."""

from __future__ import annotations

import pytest

import twinsql


class Box(twinsql.Model):
    __table_name__ = "core_boxes"
    id: int | None = None
    label: str = twinsql.Field(default="", column="Label")
    weight: float = 0.0

    class Columns(twinsql.ColumnSet):
        id: twinsql.Col[int | None]
        label: twinsql.Col[str]


class Crate(twinsql.Model):
    __table_name__ = "core_crates"
    id: int | None = None
    size: int = 0


def test_a_declared_namespace_is_the_models_c() -> None:
    assert isinstance(Box.c, Box.Columns)
    assert isinstance(Crate.c, twinsql.Columns)
    assert Box.query().where(Box.c.label > "m").to_sql("postgresql") == (
        'SELECT "id", "Label" AS "label", "weight" FROM "core_boxes" WHERE "Label" > ?',
        ["m"],
    )


def test_every_field_is_reachable_at_run_time() -> None:
    # An undeclared field is still a column; only type checkers see the declared subset.
    assert Box.c.weight.field == "weight"
    assert Box.c["weight"].field == "weight"
    assert sorted(dir(Box.c)) == ["id", "label", "weight"]


def test_an_unknown_name_raises_before_any_query() -> None:
    with pytest.raises(twinsql.InvalidIdentifierError, match="unknown field 'lable'"):
        Box.c.lable  # noqa: B018


def test_a_declared_name_that_is_no_field_is_refused() -> None:
    with pytest.raises(twinsql.ArgumentError, match="declares 'weigth'"):

        class Bad(twinsql.Model):
            __table_name__ = "core_bad"
            id: int | None = None
            weight: float = 0.0

            class Columns(twinsql.ColumnSet):
                weigth: twinsql.Col[float]


def test_columns_must_be_a_column_set() -> None:
    with pytest.raises(twinsql.ArgumentError, match=r"twinsql\.ColumnSet"):

        class Bad(twinsql.Model):
            __table_name__ = "core_bad2"
            id: int | None = None

            class Columns:
                id: twinsql.Col[int]
