"""Pure tests of what a model class and its records are, without a database: copies and
pickles of a loaded record stay that row, an equal assignment is no change, abstract bases,
unknown keywords, field names that would hide the model's API, relation targets written as
forward references, and the window functions among the public names."""

from __future__ import annotations

import copy
import datetime
import decimal
import enum
import pickle
import sys
import types
import warnings
from collections.abc import Iterator
from typing import Any, ClassVar, ForwardRef

import pydantic
import pytest

import twinsql
from twinsql.errors import ArgumentError
from twinsql.orm.relations import HasMany, annotated_target, check_paths
from twinsql.orm.state import MISSING, hydrate, is_change


class Tone(enum.Enum):
    LOW = "low"


class Place(twinsql.Model):
    __table_name__ = "rec_places"
    id: int | None = None
    city: str = ""
    tags: list[str] = twinsql.Field(default_factory=list)
    when: pydantic.AwareDatetime | None = None  # aware: read back with its zone


def loaded(*rows: tuple[Any, ...]) -> list[Place]:
    """Records as a query returns them (hydrated: persisted, clean)."""
    return hydrate(Place.__twinsql__, [list(row) for row in rows], "sqlite")


# -- copies and pickles (records that stay records) ---------------------------------------


def test_model_copy_with_update_of_a_loaded_record_is_that_row_with_the_update_dirty() -> None:
    (place,) = loaded((1, "Oslo", [], None))
    moved = place.model_copy(update={"city": "Bergen"})
    assert (moved.id, moved.city, moved.is_persisted) == (1, "Bergen", True)
    assert moved.dirty_fields == {"city"}
    assert place.city == "Oslo" and place.dirty_fields == frozenset()
    same = place.model_copy(update={"city": "Oslo"})
    assert same.dirty_fields == frozenset()  # the same value: nothing to send


@pytest.mark.parametrize(
    "duplicate",
    [copy.copy, copy.deepcopy, lambda r: r.model_copy(), lambda r: r.model_copy(deep=True),
     lambda r: pickle.loads(pickle.dumps(r))],
    ids=["copy", "deepcopy", "model_copy", "model_copy_deep", "pickle"],
)  # fmt: skip
def test_a_copy_of_a_loaded_record_keeps_its_state(duplicate: Any) -> None:
    (place,) = loaded((7, "Rome", ["a"], None))
    clean = duplicate(place)
    assert (clean.id, clean.city, clean.is_persisted) == (7, "Rome", True)
    assert clean.dirty_fields == frozenset()
    place.city = "Milan"
    dirty = duplicate(place)
    assert (dirty.city, dirty.is_persisted, dirty.dirty_fields) == ("Milan", True, {"city"})
    dirty.tags = ["b"]  # the copy tracks its own changes
    assert dirty.dirty_fields == {"city", "tags"} and place.dirty_fields == {"city"}


def test_copies_of_a_new_record_stay_new() -> None:
    new = Place(city="Lima")
    for twin in (copy.copy(new), copy.deepcopy(new), pickle.loads(pickle.dumps(new))):
        assert (twin.city, twin.is_persisted) == ("Lima", False)


def test_a_new_unsaved_copy_is_built_from_the_values() -> None:
    (place,) = loaded((3, "Kyiv", [], None))
    fresh = Place(**place.model_dump(exclude={"id"}))
    assert (fresh.id, fresh.city, fresh.is_persisted) == (None, "Kyiv", False)


# -- an equal assignment is no change ------------------------------------------------------


def test_assigning_the_current_value_leaves_the_record_clean() -> None:
    (place,) = loaded((1, "Oslo", ["x"], datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)))
    place.city = place.city
    place.when = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    assert place.dirty_fields == frozenset()
    place.city = "Oslo "
    assert place.dirty_fields == {"city"}


def test_assigning_a_mutable_value_always_counts() -> None:
    (place,) = loaded((1, "Oslo", ["x"], None))
    place.tags.append("y")  # changed in place: only the assignment can tell
    place.tags = place.tags
    assert place.dirty_fields == {"tags"}


PLUS_ONE = datetime.timezone(datetime.timedelta(hours=1))


@pytest.mark.parametrize(
    ("old", "new", "changed"),
    [
        ("a", "a", False),
        ("a", "b", True),
        (1, 1, False),
        (1, 1.0, True),  # another type: another stored value on some backends
        (True, 1, True),
        (None, None, False),
        (None, 0, True),
        (decimal.Decimal("1.50"), decimal.Decimal("1.50"), False),
        (Tone.LOW, Tone.LOW, False),
        (datetime.date(2024, 1, 2), datetime.date(2024, 1, 2), False),
        (
            datetime.datetime(2024, 1, 1, 12, tzinfo=datetime.UTC),
            datetime.datetime(2024, 1, 1, 13, tzinfo=PLUS_ONE),
            True,  # the same instant in another zone: stored differently
        ),
        ([1], [1], True),
        ({"a": 1}, {"a": 1}, True),
        (MISSING, "a", True),  # a field a partial select did not load
    ],
)  # fmt: skip
def test_is_change(old: Any, new: Any, changed: bool) -> None:
    assert is_change(old, new) is changed


# -- abstract bases ------------------------------------------------------------------------


def test_a_base_without_fields_or_table_is_abstract() -> None:
    class Base(twinsql.Model):
        pass

    class Configured(twinsql.Model):
        model_config = pydantic.ConfigDict(str_strip_whitespace=True)

        def describe(self) -> str:
            return type(self).__name__

    class Crate(Configured):
        __table_name__ = "rec_crates"
        id: int | None = None
        label: str = ""

    class Pallet(Base):
        id: int | None = None

    assert Crate.__twinsql__.table.name == "rec_crates"
    assert Pallet.__twinsql__.table.name == "pallets"
    assert Crate(label="  x ").label == "x"  # the base's configuration is inherited
    with pytest.raises(twinsql.InterfaceError) as error:
        Base.query()
    assert str(error.value) == (
        "Base is an abstract model (it declares no fields and no __table_name__, or sets "
        "__abstract__ = True): it has no table; use a model that subclasses it"
    )


def test_abstract_flag_makes_a_base_with_fields_abstract() -> None:
    class Stamped(twinsql.Model):
        __abstract__: ClassVar[bool] = True
        id: int | None = None
        note: str = ""

    class Memo(Stamped):
        body: str = ""

    with pytest.raises(twinsql.InterfaceError, match="Stamped is an abstract model"):
        Stamped.query()
    assert Memo.__twinsql__.fields == ("id", "note", "body")


def test_a_table_name_alone_makes_a_concrete_model() -> None:
    class Origin(twinsql.Model):
        __table_name__ = "rec_origins"
        id: int | None = None

    class Copy(Origin):
        __table_name__ = "rec_copies"

    assert Copy.__twinsql__.table.name == "rec_copies"
    assert Copy.__twinsql__.fields == ("id",)


# -- unknown keywords ----------------------------------------------------------------------


def test_unknown_constructor_keywords_are_refused() -> None:
    with pytest.raises(pydantic.ValidationError) as error:
        Place(city="a", citty="b")  # type: ignore[call-arg]
    assert error.value.errors()[0]["type"] == "extra_forbidden"
    assert error.value.errors()[0]["loc"] == ("citty",)


def test_a_model_may_opt_out_and_drop_unknown_keywords() -> None:
    class Lenient(twinsql.Model):
        __table_name__ = "rec_lenient"
        model_config = pydantic.ConfigDict(extra="ignore")
        id: int | None = None
        name: str = ""

    record = Lenient(name="a", nmae="b")  # type: ignore[call-arg]
    assert record.model_dump() == {"id": None, "name": "a"}
    assert Lenient.model_config["validate_assignment"] is True  # the rest is kept


# -- field names that would hide the model's API -------------------------------------------


@pytest.mark.parametrize("name", ["query", "save", "delete", "load", "bind", "c", "refresh"])
def test_a_field_named_like_a_model_method_is_refused(name: str) -> None:
    namespace = {"__annotations__": {"id": "int | None", name: "int"}, "id": None, name: 0}
    with warnings.catch_warnings(), pytest.raises(ArgumentError) as error:
        warnings.simplefilter("ignore")  # pydantic's own warning about the shadowed name
        types.new_class("Clash", (twinsql.Model,), {}, lambda ns: ns.update(namespace))
    assert str(error.value) == (
        f"field Clash.{name} would hide the model's {name}(); name the field differently and "
        f"keep the column: {name}_: ... = Field(column={name!r})"
    )


def test_the_fix_keeps_the_column_name() -> None:
    class Search(twinsql.Model):
        __table_name__ = "rec_searches"
        id: int | None = None
        query_: str = twinsql.Field(column="query")

    assert Search.__twinsql__.table.column("query_") == "query"
    assert Search(query_="x").query_ == "x"


def test_a_field_named_like_a_mixin_method_is_refused() -> None:
    with pytest.warns(UserWarning), pytest.raises(ArgumentError, match="hide the model's restore"):

        class Bad(twinsql.SoftDeleteMixin):
            __table_name__ = "rec_bad"
            id: int | None = None
            restore: bool = False


# -- relation targets as forward references ------------------------------------------------

# Pasted as a file of its own, without ``from __future__ import annotations``: the quoted
# target arrives as a ForwardRef.
FORWARD_SOURCE = """
from typing import ClassVar
import twinsql
from twinsql import BelongsTo, HasMany, Field, Model

class FwdUser(Model):
    __table_name__ = "fwd_users"
    id: int | None = None
    orders: ClassVar[HasMany["FwdOrder"]] = HasMany(foreign_key="user_id")

class FwdOrder(Model):
    id: int | None = None
    user_id: int = Field(index=True)
    user: ClassVar[BelongsTo[FwdUser]] = BelongsTo()
"""


@pytest.fixture
def forward_module() -> Iterator[types.ModuleType]:
    module = types.ModuleType("twinsql_forward_models")
    sys.modules[module.__name__] = module
    try:
        code = compile(FORWARD_SOURCE, "forward_models.py", "exec", dont_inherit=True)
        exec(code, module.__dict__)
        yield module
    finally:
        del sys.modules[module.__name__]


def test_a_forward_reference_target_is_resolved(forward_module: types.ModuleType) -> None:
    user, order = forward_module.FwdUser, forward_module.FwdOrder
    assert user.__annotations__["orders"] == ClassVar[HasMany[ForwardRef("FwdOrder")]]
    assert user.__twinsql__.relations["orders"].target_model() is order
    assert order.__twinsql__.relations["user"].target_model() is user
    assert check_paths(user, [("orders",)]) is order


ORDER = "Order"  # a quoted target, as the annotation would hold it


@pytest.mark.parametrize(
    ("annotation", "target"),
    [
        ('ClassVar[HasMany["Order"]]', "Order"),
        ("ClassVar[HasMany['models.Order']]", "Order"),
        ("ClassVar[HasMany[Order]]", "Order"),
        ("typing.ClassVar[HasMany[Order]]", "Order"),
        (ClassVar[HasMany[ORDER]], "Order"),  # as evaluated: HasMany[ForwardRef("Order")]
        (ClassVar[HasMany[Place]], Place),
        (HasMany[ORDER], "Order"),
        ("ClassVar[int]", None),
        (ClassVar[int], None),
        (int, None),
    ],
)
def test_annotated_target(annotation: Any, target: Any) -> None:
    assert annotated_target(annotation) == target


# -- public names --------------------------------------------------------------------------


def test_window_functions_are_exported() -> None:
    assert {"Rank", "RowNumber", "DenseRank"} <= set(twinsql.__all__)
    window = twinsql.Rank().over(partition_by="city", order_by="-id")
    assert window is not None
    assert twinsql.RowNumber().name == "ROW_NUMBER" and twinsql.DenseRank().name == "DENSE_RANK"
