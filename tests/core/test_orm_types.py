"""Pure tests of twinsql.orm.types: how each annotation is classified, its column type per
dialect, and the writer/reader converters per backend."""

from __future__ import annotations

import datetime
import decimal
import enum
import typing
import uuid
from typing import Annotated, Any, Literal

import pydantic
import pytest

from twinsql.orm.types import TypeSpec, classify, column_type, reader_for, writer_for


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Level(enum.Enum):
    LOW = 1
    HIGH = 2


class Mixed(enum.Enum):
    ONE = 1
    TWO = "two"


class Point(pydantic.BaseModel):
    x: int
    y: int


class Shapes(pydantic.BaseModel):
    """Every annotation the ORM classifies, as pydantic sees it."""

    i: int
    f: float
    b: bool
    s: str
    raw: bytes
    d: decimal.Decimal
    dt: datetime.datetime
    naive_dt: pydantic.NaiveDatetime
    aware_dt: pydantic.AwareDatetime
    day: datetime.date
    t: datetime.time
    u: uuid.UUID
    mapping: dict  # type: ignore[type-arg]
    items: list  # type: ignore[type-arg]
    typed_mapping: dict[str, int]
    color: Color
    point: Point
    literal: Literal["a", "b"]
    tags: set[str]
    pair: tuple[int, int]
    anything: Any
    other: complex
    optional: int | None
    old_optional: typing.Optional[int]  # noqa: UP045 - the typing.Union spelling
    annotated: Annotated[int | None, "doc"]
    inner_annotated: Annotated[int, "doc"] | None
    union: int | str
    nullable_union: int | str | None
    name: str = pydantic.Field(max_length=40)
    price: decimal.Decimal = pydantic.Field(max_digits=8, decimal_places=3)


def spec(name: str) -> TypeSpec:
    return classify(Shapes.model_fields[name])


@pytest.mark.parametrize(
    ("field", "kind"),
    [
        ("i", "int"),
        ("f", "float"),
        ("b", "bool"),
        ("s", "str"),
        ("raw", "bytes"),
        ("d", "decimal"),
        ("dt", "datetime"),
        ("naive_dt", "datetime"),
        ("aware_dt", "datetime_tz"),
        ("day", "date"),
        ("t", "time"),
        ("u", "uuid"),
        ("mapping", "json"),
        ("items", "json"),
        ("typed_mapping", "json"),
        ("color", "enum"),
        ("point", "json"),
        ("literal", "str"),
        ("tags", "json"),
        ("pair", "json"),
        ("anything", "json"),
        ("other", "json"),
    ],
)
def test_each_annotation_has_one_storage_kind(field: str, kind: str) -> None:
    assert spec(field).kind == kind
    assert spec(field).nullable is False


def test_optional_is_unwrapped_and_nullable() -> None:
    assert spec("optional") == TypeSpec("int", True, int)
    assert spec("old_optional") == TypeSpec("int", True, int)
    assert spec("annotated") == TypeSpec("int", True, int)
    assert spec("inner_annotated") == TypeSpec("int", True, int)


def test_a_union_of_several_types_is_stored_as_json() -> None:
    assert spec("union") == TypeSpec("json", False, int | str)
    assert spec("nullable_union") == TypeSpec("json", True, int | str | None)


def test_constraints_come_from_the_field_metadata() -> None:
    assert spec("name") == TypeSpec("str", False, str, max_length=40)
    assert spec("price") == TypeSpec(
        "decimal", False, decimal.Decimal, max_digits=8, decimal_places=3
    )
    assert spec("color").python_type is Color


# -- column types --------------------------------------------------------------------------

COLUMN_TYPES = {
    # kind: (sqlite, postgresql, mysql)
    "i": ("INTEGER", "BIGINT", "BIGINT"),
    "f": ("REAL", "DOUBLE PRECISION", "DOUBLE"),
    "b": ("BOOLEAN", "BOOLEAN", "BOOLEAN"),
    "s": ("TEXT", "TEXT", "TEXT"),
    "raw": ("BLOB", "BYTEA", "LONGBLOB"),
    "d": ("NUMERIC(28, 10)", "NUMERIC(28, 10)", "NUMERIC(28, 10)"),
    "dt": ("TIMESTAMP", "TIMESTAMP", "DATETIME(6)"),
    "naive_dt": ("TIMESTAMP", "TIMESTAMP", "DATETIME(6)"),
    "aware_dt": ("TIMESTAMP", "TIMESTAMPTZ", "DATETIME(6)"),
    "day": ("DATE", "DATE", "DATE"),
    "t": ("TIME", "TIME", "TIME(6)"),
    "u": ("TEXT", "UUID", "CHAR(36)"),
    "mapping": ("TEXT", "JSONB", "JSON"),
    "color": ("TEXT", "TEXT", "VARCHAR(64)"),
    "name": ("TEXT", "VARCHAR(40)", "VARCHAR(40)"),
    "price": ("NUMERIC(8, 3)", "NUMERIC(8, 3)", "NUMERIC(8, 3)"),
}


@pytest.mark.parametrize("field", sorted(COLUMN_TYPES))
def test_column_type_per_dialect(field: str) -> None:
    sqlite, postgresql, mysql = COLUMN_TYPES[field]
    assert column_type(spec(field), "sqlite", keyed=False) == sqlite
    assert column_type(spec(field), "postgresql", keyed=False) == postgresql
    assert column_type(spec(field), "mysql", keyed=False) == mysql


def test_a_keyed_unbounded_string_is_a_bounded_varchar_on_mysql_only() -> None:
    assert column_type(spec("s"), "mysql", keyed=True) == "VARCHAR(255)"
    assert column_type(spec("s"), "postgresql", keyed=True) == "TEXT"
    assert column_type(spec("s"), "sqlite", keyed=True) == "TEXT"
    # A declared max_length wins over the keyed default.
    assert column_type(spec("name"), "mysql", keyed=True) == "VARCHAR(40)"


def test_an_enum_of_ints_is_stored_as_an_integer() -> None:
    int_enum = TypeSpec("enum", False, Level)
    assert column_type(int_enum, "sqlite", keyed=False) == "INTEGER"
    assert column_type(int_enum, "postgresql", keyed=False) == "BIGINT"
    assert column_type(int_enum, "mysql", keyed=False) == "BIGINT"
    mixed = TypeSpec("enum", False, Mixed)
    assert column_type(mixed, "postgresql", keyed=False) == "TEXT"
    # Not an enum class at all: stored as text.
    assert column_type(TypeSpec("enum", False, None), "mysql", keyed=False) == "VARCHAR(64)"


def test_decimal_places_of_zero_are_kept() -> None:
    whole = TypeSpec("decimal", False, decimal.Decimal, max_digits=12, decimal_places=0)
    assert column_type(whole, "postgresql", keyed=False) == "NUMERIC(12, 0)"


# -- writers -------------------------------------------------------------------------------


def test_writers_exist_only_for_enums_and_structured_json() -> None:
    assert writer_for(spec("i")) is None
    assert writer_for(spec("dt")) is None
    assert writer_for(TypeSpec("json", False, dict)) is None
    assert writer_for(TypeSpec("json", False, list)) is None
    to_value = writer_for(spec("color"))
    assert to_value is not None
    assert to_value(Color.BLUE) == "blue"
    assert to_value("blue") == "blue"
    dump = writer_for(spec("point"))
    assert dump is not None
    assert dump(Point(x=1, y=2)) == {"x": 1, "y": 2}
    assert dump({1, 2}) == [1, 2]
    assert dump((3, 4)) == [3, 4]
    assert dump({"already": "plain"}) == {"already": "plain"}


# -- readers -------------------------------------------------------------------------------


def test_postgresql_needs_readers_only_for_enums_typed_json_and_aware_datetimes() -> None:
    for field in ("i", "b", "d", "dt", "day", "t", "u", "mapping", "items", "anything"):
        assert reader_for(spec(field), "postgresql") is None, field
    # timestamptz comes back aware in the session's zone: read in UTC like everywhere.
    to_aware = reader_for(spec("aware_dt"), "postgresql")
    berlin = datetime.timezone(datetime.timedelta(hours=1))
    assert to_aware is not None
    read = to_aware(datetime.datetime(2024, 1, 1, 9, tzinfo=berlin))
    assert read == datetime.datetime(2024, 1, 1, 8, tzinfo=datetime.timezone.utc)
    assert read.tzinfo is datetime.timezone.utc
    to_enum = reader_for(spec("color"), "postgresql")
    assert to_enum is not None and to_enum("red") is Color.RED
    to_point = reader_for(spec("point"), "postgresql")
    assert to_point is not None and to_point({"x": 1, "y": 2}) == Point(x=1, y=2)
    to_mapping = reader_for(spec("typed_mapping"), "postgresql")
    assert to_mapping is not None and to_mapping({"a": "1"}) == {"a": 1}


def test_sqlite_readers() -> None:
    def read(field: str, value: Any) -> Any:
        reader = reader_for(spec(field), "sqlite")
        assert reader is not None, field
        return reader(value)

    assert read("b", 1) is True
    assert read("b", 0) is False
    assert read("d", 1.5) == decimal.Decimal("1.5")
    assert read("d", "2.25") == decimal.Decimal("2.25")
    same = decimal.Decimal("3")
    assert read("d", same) is same
    key = uuid.UUID(int=7)
    assert read("u", str(key)) == key
    assert read("u", key) is key
    assert read("mapping", '{"a": 1}') == {"a": 1}
    assert read("mapping", b"[1, 2]") == [1, 2]
    assert read("mapping", {"a": 1}) == {"a": 1}
    assert read("day", "2024-02-29") == datetime.date(2024, 2, 29)
    assert read("day", datetime.date(2024, 1, 1)) == datetime.date(2024, 1, 1)
    # A naive field reads naive: an aware value stored in it reads as its UTC wall time.
    assert read("dt", "2024-02-29 12:30:00+02:00") == datetime.datetime(2024, 2, 29, 10, 30)
    assert read("dt", "2024-02-29 12:30:00.5") == datetime.datetime(2024, 2, 29, 12, 30, 0, 500000)
    # An aware field reads aware, in UTC; a naive stored value is a UTC wall time.
    assert read("aware_dt", "2024-02-29 12:30:00+00:00") == datetime.datetime(
        2024, 2, 29, 12, 30, tzinfo=datetime.timezone.utc
    )
    assert read("aware_dt", "2024-02-29 12:30:00") == datetime.datetime(
        2024, 2, 29, 12, 30, tzinfo=datetime.timezone.utc
    )
    naive = datetime.datetime(2024, 1, 1)
    assert read("dt", naive) is naive
    assert read("t", "12:30:15") == datetime.time(12, 30, 15)
    assert read("t", datetime.timedelta(hours=1, seconds=2)) == datetime.time(1, 0, 2)
    assert read("t", datetime.time(9)) == datetime.time(9)
    assert read("dt", 1700000000) == 1700000000  # not text: kept as the driver returned it
    assert reader_for(spec("i"), "sqlite") is None
    assert reader_for(spec("s"), "sqlite") is None


def test_mysql_readers() -> None:
    # DATETIME has no zone: a naive field reads the driver's naive value as it is, an aware
    # field reads the UTC wall time that twinsql stored as aware UTC.
    assert reader_for(spec("dt"), "mysql") is None
    to_aware = reader_for(spec("aware_dt"), "mysql")
    assert to_aware is not None
    assert to_aware(datetime.datetime(2024, 1, 1, 8)) == datetime.datetime(
        2024, 1, 1, 8, tzinfo=datetime.timezone.utc
    )
    aware = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone(datetime.timedelta(hours=2)))
    assert to_aware(aware) == aware and to_aware(aware).tzinfo is datetime.timezone.utc
    utc = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
    assert to_aware(utc) is utc
    assert to_aware(1700000000) == 1700000000  # not a datetime: kept as the driver returned it
    # MySQL dates come back as dates: no reader.
    assert reader_for(spec("day"), "mysql") is None
    to_bool = reader_for(spec("b"), "mysql")
    assert to_bool is not None and to_bool(1) is True and to_bool(True) is True
    to_time = reader_for(spec("t"), "mysql")
    assert to_time is not None
    assert to_time(datetime.timedelta(minutes=90)) == datetime.time(1, 30)


def test_enum_and_typed_json_readers_keep_none() -> None:
    to_enum = reader_for(spec("color"), "sqlite")
    assert to_enum is not None and to_enum(None) is None and to_enum("blue") is Color.BLUE
    to_point = reader_for(spec("point"), "mysql")
    assert to_point is not None
    assert to_point(None) is None
    assert to_point('{"x": 3, "y": 4}') == Point(x=3, y=4)
    to_tags = reader_for(spec("tags"), "sqlite")
    assert to_tags is not None and to_tags('["a", "a", "b"]') == {"a", "b"}
