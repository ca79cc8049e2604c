"""Pure tests of naming rules (``twinsql.Naming``): presets, callables, inheritance through
an abstract base, what wins over the rule, and the SQL the builders emit for a model whose
columns and table are not named like its fields and class."""

from __future__ import annotations

from typing import ClassVar

import pytest

import twinsql
from twinsql.errors import ArgumentError, InvalidIdentifierError
from twinsql.orm.naming import Naming, apply_rule, column_name, table_name


@pytest.mark.parametrize(
    ("preset", "name", "expected"),
    [
        ("PascalCase", "album_id", "AlbumId"),
        ("PascalCase", "title", "Title"),
        ("PascalCase", "address_line2", "AddressLine2"),
        ("PascalCase", "unitPrice", "UnitPrice"),
        ("PascalCase", "MediaType", "MediaType"),
        ("camelCase", "album_id", "albumId"),
        ("camelCase", "MediaType", "mediaType"),
        ("camelCase", "title", "title"),
        ("snake_case", "albumId", "album_id"),
        ("snake_case", "MediaType", "media_type"),
        ("snake_case", "HTTPRequest", "http_request"),
        ("snake_case", "plain", "plain"),
        ("as_is", "MediaType", "MediaType"),
        ("as_is", "album_id", "album_id"),
    ],
)
def test_presets(preset: str, name: str, expected: str) -> None:
    assert apply_rule(preset, name, "column") == expected  # type: ignore[arg-type]


def test_unset_sides_keep_the_defaults() -> None:
    assert column_name(None, "album_id") == "album_id"
    assert column_name(Naming(table="as_is"), "album_id") == "album_id"
    assert table_name(None, "OrderItem") == "order_items"
    assert table_name(Naming(column="PascalCase"), "Person") == "people"
    assert table_name(Naming(table="PascalCase"), "media_type") == "MediaType"
    assert table_name(Naming(table=str.upper), "Album") == "ALBUM"


@pytest.mark.parametrize("bad", ["pascal", "SNAKE_CASE", 3, ""])
def test_an_unknown_preset_is_refused_with_the_choices(bad: object) -> None:
    with pytest.raises(ArgumentError) as info:
        Naming(column=bad)  # type: ignore[arg-type]
    assert "'snake_case', 'PascalCase', 'camelCase', 'as_is'" in str(info.value)
    with pytest.raises(ArgumentError, match=r"Naming\(table="):
        Naming(table=bad)  # type: ignore[arg-type]


def test_a_callable_must_return_a_name() -> None:
    with pytest.raises(ArgumentError, match="must return a non-empty str"):
        column_name(Naming(column=lambda name: ""), "title")


# -- on models --------------------------------------------------------------------------------


class Chinook(twinsql.Model):
    """An abstract base carrying the rule for its models."""

    __abstract__: ClassVar[bool] = True
    __naming__ = Naming(column="PascalCase", table="PascalCase")


class MediaType(Chinook):
    media_type_id: int | None = twinsql.Field(default=None, primary_key=True)
    name: str | None = None


class InvoiceLine(Chinook):
    invoice_line_id: int | None = twinsql.Field(default=None, primary_key=True)
    unit_price: float
    quantity: int = twinsql.Field(column="qty")


class LegacyLine(InvoiceLine):
    """A subclass overriding the inherited rule and naming its table."""

    __naming__ = Naming(column="camelCase")
    __table_name__ = "legacy_lines"


def test_the_rule_comes_from_the_base_and_explicit_names_win() -> None:
    media = MediaType.__twinsql__.table
    assert (media.name, dict(media.columns)) == (
        "MediaType",
        {"media_type_id": "MediaTypeId", "name": "Name"},
    )
    line = InvoiceLine.__twinsql__.table
    assert (line.name, dict(line.columns)) == (
        "InvoiceLine",
        {"invoice_line_id": "InvoiceLineId", "unit_price": "UnitPrice", "quantity": "qty"},
    )
    legacy = LegacyLine.__twinsql__.table
    assert (legacy.name, dict(legacy.columns)) == (
        "legacy_lines",
        {"invoice_line_id": "invoiceLineId", "unit_price": "unitPrice", "quantity": "qty"},
    )


def test_a_model_without_a_rule_is_unchanged() -> None:
    class PlainThing(twinsql.Model):
        id: int | None = None
        unit_price: float = 0

    table = PlainThing.__twinsql__.table
    assert (table.name, dict(table.columns)) == (
        "plain_things",
        {"id": "id", "unit_price": "unit_price"},
    )


def test_two_fields_on_one_column_are_refused() -> None:
    with pytest.raises(ArgumentError, match="both map to the column 'album_id'"):

        class Clash(twinsql.Model):
            __naming__ = Naming(column="snake_case")
            id: int | None = None
            album_id: int = 0
            albumId: int = 0


def test_a_rule_giving_an_unusable_name_is_refused() -> None:
    with pytest.raises(InvalidIdentifierError, match="not usable"):

        class Spaced(twinsql.Model):
            __naming__ = Naming(column=lambda name: name.replace("_", " "))
            id: int | None = None
            unit_price: float = 0


def test_naming_must_be_a_naming_object() -> None:
    with pytest.raises(ArgumentError, match=r"__naming__ must be a twinsql.Naming"):

        class Wrong(twinsql.Model):
            __naming__ = "PascalCase"  # type: ignore[assignment]
            id: int | None = None


# -- the builders take field names and emit column names ------------------------------------


class Track(Chinook):
    track_id: int | None = twinsql.Field(default=None, primary_key=True)
    album_id: int | None = None
    unit_price: float = 0.99
    name: str = ""


def test_select_where_order_and_raw_strings() -> None:
    query = (
        Track.query()
        .where(Track.c.unit_price > 1, album_id=3)
        .where('"Name" <> ?', "x")
        .order_by("-unit_price", "track_id")
    )
    assert query.to_sql("postgresql") == (
        'SELECT "TrackId" AS "track_id", "AlbumId" AS "album_id", "UnitPrice" AS '
        '"unit_price", "Name" AS "name" FROM "Track" WHERE "UnitPrice" > ? AND "AlbumId" = ? '
        'AND ("Name" <> ?) ORDER BY "UnitPrice" DESC, "TrackId"',
        [1, 3, "x"],
    )


def test_group_by_and_aggregates() -> None:
    query = Track.query().group_by("album_id").select("album_id", twinsql.Count("track_id"))
    sql, _ = query.to_sql("mysql")
    assert "GROUP BY `AlbumId`" in sql
    assert "COUNT(`TrackId`)" in sql


def test_ddl_uses_the_column_and_table_names() -> None:
    from twinsql.orm.ddl import create_statements
    from twinsql.sql.dialects import get_dialect

    (sql,) = create_statements(Track.__twinsql__, get_dialect("postgresql"))
    assert sql.startswith('CREATE TABLE IF NOT EXISTS "Track" (')
    assert '"TrackId"' in sql and '"UnitPrice"' in sql and '"track_id"' not in sql
