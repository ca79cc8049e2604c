"""Pure tests of twinsql.orm.fields and twinsql.orm.meta: column options, and what the ORM
records about a model class when the class is created."""

from __future__ import annotations

import enum
from typing import ClassVar

import pydantic
import pytest

import twinsql
from twinsql.errors import ArgumentError, InterfaceError, InvalidIdentifierError
from twinsql.orm.fields import ColumnOptions, SQLExpression, column_options, sql_expression
from twinsql.orm.meta import build_model_info
from twinsql.orm.naming import default_table_name
from twinsql.orm.types import TypeSpec


class Tier(enum.Enum):
    FREE = "free"
    PAID = "paid"


class Note(pydantic.BaseModel):
    text: str


class Member(twinsql.Model):
    __table_name__ = "meta_members"
    id: int | None = None
    handle: str = twinsql.Field(column="user_handle", max_length=30, unique=True)
    tier: Tier = Tier.FREE
    note: Note | None = None
    joined: str | None = twinsql.Field(
        default=None, server_default=sql_expression("CURRENT_TIMESTAMP")
    )


class Ticket(twinsql.Model):
    code: str = twinsql.Field(primary_key=True)
    seat: int = twinsql.Field(index=True)


# -- fields --------------------------------------------------------------------------------


def test_field_carries_column_options_beside_pydantic_arguments() -> None:
    info = Member.model_fields["handle"]
    assert column_options(info) == ColumnOptions(column="user_handle", unique=True)
    assert info.is_required()
    assert column_options(Member.model_fields["tier"]) == ColumnOptions()
    assert column_options(Ticket.model_fields["code"]) == ColumnOptions(primary_key=True)
    assert column_options(Ticket.model_fields["seat"]) == ColumnOptions(index=True)


@pytest.mark.parametrize("text", ["CURRENT_TIMESTAMP", "now()", "gen_random_uuid()", "_x1"])
def test_sql_expression_accepts_a_keyword_or_a_bare_call(text: str) -> None:
    assert sql_expression(text) == SQLExpression(text)


@pytest.mark.parametrize(
    "text", ["1; DROP TABLE t", "now(1)", "'x'", "a b", "", "f()()", "1abc", 42]
)
def test_sql_expression_refuses_anything_else(text: object) -> None:
    with pytest.raises(ArgumentError) as info:
        sql_expression(text)  # type: ignore[arg-type]
    assert str(info.value) == (
        f"server default {text!r} must be a keyword or a no-argument function call such as "
        "CURRENT_TIMESTAMP or now(); use a Python value for a literal default"
    )


# -- table names ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("class_name", "table"),
    [
        ("User", "users"),
        ("OrderItem", "order_items"),
        ("Category", "categories"),
        ("Day", "days"),
        ("Address", "addresses"),
        ("HTTPLog", "http_logs"),
        ("Y", "ys"),
        ("V2Item", "v2_items"),
        # The irregular forms and acronyms people name models after.
        ("Box", "boxes"),
        ("Child", "children"),
        ("Person", "people"),
        ("HTTPRequest", "http_requests"),
        ("APIKey", "api_keys"),
        ("Status", "statuses"),
        ("Match", "matches"),
        ("Wish", "wishes"),
        ("Analysis", "analyses"),
        ("Leaf", "leaves"),
        ("SalesPerson", "sales_people"),
        ("News", "news"),
        ("Metadata", "metadata"),
        ("Series", "series"),
        ("Settings", "settings"),
        ("Users", "users"),
        ("Photo", "photos"),
    ],
)
def test_default_table_name(class_name: str, table: str) -> None:
    assert default_table_name(class_name) == table


# -- ModelInfo -----------------------------------------------------------------------------


def test_model_info_of_a_model() -> None:
    info = Member.__twinsql__
    assert info.model is Member
    assert info.table.name == "meta_members"
    assert info.fields == ("id", "handle", "tier", "note", "joined")
    assert info.field_set == frozenset(info.fields)
    assert dict(info.table.columns) == {
        "id": "id",
        "handle": "user_handle",
        "tier": "tier",
        "note": "note",
        "joined": "joined",
    }
    assert info.primary_key == "id"
    # The key and the server-defaulted field are the database's to fill when left unset.
    assert info.generated == ("id", "joined")
    assert info.specs["tier"] == TypeSpec("enum", False, Tier)
    assert [name for name, _ in info.writers] == ["tier", "note"]
    assert info.relations == {}
    assert (info.soft_delete_field, info.version_field) == (None, None)
    assert (info.created_field, info.updated_field) == (None, None)


def test_an_explicit_primary_key_and_the_default_table_name() -> None:
    info = Ticket.__twinsql__
    assert info.primary_key == "code"
    assert info.table.name == "tickets"
    assert info.generated == ("code",)


def test_readers_are_per_dialect_and_cached() -> None:
    info = Member.__twinsql__
    sqlite = info.readers("sqlite")
    assert [position for position, _ in sqlite] == [2, 3]  # tier, note
    assert info.readers("sqlite") is sqlite
    assert [position for position, _ in info.readers("postgresql")] == [2, 3]


def test_to_db_converts_in_place_and_skips_none() -> None:
    info = Member.__twinsql__
    values = {"tier": Tier.PAID, "note": Note(text="hi"), "handle": "h"}
    assert info.to_db(values) is values
    assert values == {"tier": "paid", "note": {"text": "hi"}, "handle": "h"}
    assert info.to_db({"tier": None, "note": None}) == {"tier": None, "note": None}


def test_check_field_names_the_known_fields() -> None:
    info = Member.__twinsql__
    assert info.check_field("tier") == "tier"
    with pytest.raises(InvalidIdentifierError) as error:
        info.check_field("user_handle")
    assert str(error.value) == (
        "unknown field 'user_handle' on Member; known fields: id, handle, tier, note, joined"
    )


def test_mixin_roles_are_recorded() -> None:
    class Story(twinsql.TimestampsMixin, twinsql.SoftDeleteMixin, twinsql.OptimisticLockMixin):
        __table_name__ = "meta_stories"
        id: int | None = None

    info = Story.__twinsql__
    assert info.soft_delete_field == "deleted_at"
    assert info.version_field == "version"
    assert (info.created_field, info.updated_field) == ("created_at", "updated_at")


def model_fields(**annotations: type) -> dict[str, pydantic.fields.FieldInfo]:
    return {name: pydantic.fields.FieldInfo.from_annotation(t) for name, t in annotations.items()}


def build(name: str, fields: dict[str, pydantic.fields.FieldInfo], **kw: object) -> object:
    model = type(name, (), {})
    options: dict[str, object] = {"table_name": None, "relations": {}, "roles": {}}
    options.update(kw)
    return build_model_info(model, fields, **options)  # type: ignore[arg-type]


def test_a_model_without_a_key_is_refused() -> None:
    with pytest.raises(ArgumentError) as info:
        build("Loose", model_fields(name=str))
    assert str(info.value) == (
        "Loose has no primary key: add a field `id` or mark one with Field(primary_key=True) "
        "(on several fields for a composite key)"
    )


def test_several_key_fields_make_a_composite_key_in_declaration_order() -> None:
    fields = {
        "b": twinsql.Field(primary_key=True),
        "note": twinsql.Field(default=None),
        "a": twinsql.Field(primary_key=True),
    }
    for name, info in fields.items():
        info.annotation = int if name != "note" else str | None
    info = build("Pair", fields)
    assert info.primary_keys == ("b", "a")  # type: ignore[attr-defined]
    assert info.table.primary_keys == ("b", "a")  # type: ignore[attr-defined]
    assert info.composite  # type: ignore[attr-defined]
    # Never generated: both are given on insert, like any column.
    assert info.generated == ()  # type: ignore[attr-defined]
    with pytest.raises(InterfaceError) as error:
        info.primary_key  # type: ignore[attr-defined]  # noqa: B018
    assert str(error.value) == "Pair has a composite primary key (b, a); use primary_keys"


def test_a_model_without_fields_is_refused() -> None:
    with pytest.raises(ArgumentError) as info:
        build("Empty", {})
    assert str(info.value) == "model Empty has no fields"


@pytest.mark.parametrize("table", ["bad name", "x;drop", "1abc", 'q"'])
def test_unusable_table_names_are_refused(table: str) -> None:
    with pytest.raises(InvalidIdentifierError) as info:
        build("Thing", model_fields(id=int), table_name=table)
    assert str(info.value) == f"table name {table!r} of Thing is not usable"


def test_unusable_column_names_are_refused() -> None:
    fields = model_fields(id=int)
    fields["name"] = twinsql.Field(column="first name")
    fields["name"].annotation = str
    with pytest.raises(InvalidIdentifierError) as info:
        build("Thing", fields)
    assert str(info.value) == "column name 'first name' of Thing is not usable"


def test_a_role_must_name_a_field() -> None:
    with pytest.raises(InvalidIdentifierError) as info:
        build("Thing", model_fields(id=int), roles={"version_field": "version"})
    assert str(info.value) == "unknown field 'version' on Thing; known fields: id"


def test_relations_are_collected_from_the_class_and_its_bases() -> None:
    class MetaWriter(twinsql.Model):
        __table_name__ = "meta_writers"
        id: int | None = None
        books: ClassVar[twinsql.HasMany[MetaBook]] = twinsql.HasMany("MetaBook")

    class MetaAuthor(MetaWriter):
        __table_name__ = "meta_authors"

    class MetaBook(twinsql.Model):
        __table_name__ = "meta_books"
        id: int | None = None
        meta_writer_id: int

    assert list(MetaWriter.__twinsql__.relations) == ["books"]
    assert list(MetaAuthor.__twinsql__.relations) == ["books"]
    assert MetaWriter.__twinsql__.relations["books"].target_model() is MetaBook
