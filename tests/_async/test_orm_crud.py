# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""ORM persistence on every backend: create, find, save (dirty fields), delete, refresh,
insert_many, typed round trips and clear errors before I/O."""

from __future__ import annotations

import datetime
import decimal
import uuid

import pydantic
import pytest

import twinsql
from tests.orm_models import Account, Event, Kind, Order, User


async def test_create_find_save_delete(orm_db: twinsql.AsyncDatabase) -> None:
    user = await User.async_create(name="Ada", email="ada@example.com", age=36)
    assert user.id is not None and user.is_persisted
    found = await User.async_find(user.id)
    assert found == user
    assert repr(found).startswith(f"User(id={user.id}, name='Ada', email='ada@example.com'")
    found.age = 37
    assert found.dirty_fields == {"age"}
    await found.async_save()
    assert found.dirty_fields == frozenset()
    again = await User.async_find_or_fail(user.id)
    assert again.age == 37 and again.name == "Ada"
    await again.async_delete()
    assert await User.async_find(user.id) is None
    with pytest.raises(twinsql.RecordNotFound):
        await User.async_find_or_fail(user.id)


async def test_save_updates_only_dirty_fields(orm_db: twinsql.AsyncDatabase) -> None:
    user = await User.async_create(name="Grace", email="grace@example.com", age=45)
    assert user.id is not None
    stale = await User.async_find_or_fail(user.id)
    fresh = await User.async_find_or_fail(user.id)
    fresh.name = "Grace H."
    await fresh.async_save()
    stale.age = 46
    await stale.async_save()  # only "age" is sent, so the new name survives
    final = await User.async_find_or_fail(user.id)
    assert (final.name, final.age) == ("Grace H.", 46)


async def test_save_of_a_record_whose_row_was_deleted_raises(
    orm_db: twinsql.AsyncDatabase,
) -> None:
    user = await User.async_create(name="Gone", email="gone@example.com", age=1)
    same = await User.async_create(name="Same", email="same@example.com", age=2)
    await User.query().where(id=user.id).async_delete()
    user.age = 2
    with pytest.raises(twinsql.StaleObjectError, match="its row no longer exists"):
        await user.async_save()
    assert user.dirty_fields == {"age"}
    # An UPDATE that sets the values the row already holds still matched it: no error.
    same.age = 2
    same.name = "Same"
    await same.async_save()
    assert same.dirty_fields == frozenset()


async def test_refresh(orm_db: twinsql.AsyncDatabase) -> None:
    user = await User.async_create(name="Linus", email="linus@example.com")
    await User.query().where(id=user.id).async_update(age=55)
    await user.async_refresh()
    assert user.age == 55


async def test_find_one_and_find_all(orm_db: twinsql.AsyncDatabase) -> None:
    await User.async_insert_many(
        [{"name": f"u{i}", "email": f"u{i}@x.io", "age": i} for i in range(10)]
    )
    one = await User.async_find_one(email="u3@x.io")
    assert one is not None and one.age == 3
    assert await User.async_find_one(User.c.age > 100) is None
    many = await User.async_find_all(User.c.age >= 7)
    assert sorted(u.age for u in many) == [7, 8, 9]


async def test_insert_many_chunks_under_the_parameter_limit(orm_db: twinsql.AsyncDatabase) -> None:
    rows = [User(name=f"bulk{i}", email=f"bulk{i}@x.io", age=i % 90) for i in range(5000)]
    inserted = await User.async_insert_many(rows)
    assert inserted == 5000
    assert await User.query().async_count() == 5000
    assert all(row.is_persisted for row in rows)


async def test_typed_values_round_trip(orm_db: twinsql.AsyncDatabase) -> None:
    at = datetime.datetime(2024, 5, 17, 10, 30, 15, 123000, tzinfo=datetime.timezone.utc)
    event = await Event.async_create(
        kind=Kind.CLICK,
        payload={"x": [1, 2], "y": "z"},
        at=at,
        flag=True,
        amount=decimal.Decimal("12.345"),
    )
    loaded = await Event.async_find_or_fail(event.id)
    assert isinstance(loaded.id, uuid.UUID) and loaded.id == event.id
    assert loaded.kind is Kind.CLICK
    assert loaded.payload == {"x": [1, 2], "y": "z"}
    assert loaded.at == at
    assert loaded.flag is True
    assert loaded.amount == decimal.Decimal("12.345")


async def test_decimal_money_round_trip(orm_db: twinsql.AsyncDatabase) -> None:
    account = await Account.async_create(owner="a", balance=decimal.Decimal("100.10"))
    loaded = await Account.async_find_or_fail(account.id)
    assert loaded.balance == decimal.Decimal("100.10")


async def test_validation_on_construction_and_assignment(orm_db: twinsql.AsyncDatabase) -> None:
    with pytest.raises(pydantic.ValidationError):
        User(name="x", email="y", age="not a number")  # type: ignore[arg-type]
    user = await User.async_create(name="v", email="v@x.io")
    with pytest.raises(pydantic.ValidationError):
        user.age = "old"  # type: ignore[assignment]


async def test_unknown_fields_fail_before_io(orm_db: twinsql.AsyncDatabase) -> None:
    with pytest.raises(twinsql.InvalidIdentifierError):
        User.query().where(nonexistent=1)
    with pytest.raises(twinsql.InvalidIdentifierError):
        User.query().order_by("id; DROP TABLE orm_users --")
    with pytest.raises(twinsql.InvalidIdentifierError):
        User.c.no_such_field  # noqa: B018
    with pytest.raises(twinsql.ArgumentError):
        User.query().limit("10")  # type: ignore[arg-type]
    assert await User.query().async_count() == 0


async def test_delete_of_unsaved_record_is_refused(orm_db: twinsql.AsyncDatabase) -> None:
    with pytest.raises(twinsql.InterfaceError):
        await User(name="n", email="n@x.io").async_delete()


async def test_unique_violation_from_save(orm_db: twinsql.AsyncDatabase) -> None:
    await User.async_create(name="a", email="same@x.io")
    with pytest.raises(twinsql.UniqueViolation):
        await User.async_create(name="b", email="same@x.io")


async def test_using_overrides_the_binding(orm_db: twinsql.AsyncDatabase, url: str) -> None:
    async with twinsql.connect_async(url) as other:
        user = await User.async_create(name="u", email="u@x.io", using=other)
        assert await User.async_find(user.id, using=other) is not None


async def test_order_foreign_data(orm_db: twinsql.AsyncDatabase) -> None:
    user = await User.async_create(name="o", email="o@x.io")
    assert user.id is not None
    order = await Order.async_create(user_id=user.id, total=decimal.Decimal("9.99"))
    assert (await Order.async_find_or_fail(order.id)).total == decimal.Decimal("9.99")


async def test_server_default_comes_back(orm_db: twinsql.AsyncDatabase) -> None:
    from tests.orm_models import Tag

    tag = await Tag.async_create(name="t")
    # Every backend returns it: INSERT … RETURNING, or (MySQL) a read back by the new key.
    assert tag.weight == 5
    assert tag.dirty_fields == frozenset()
    await tag.async_refresh()
    assert tag.weight == 5
    explicit = await Tag.async_create(name="u", weight=9)
    assert (await Tag.async_find_or_fail(explicit.id)).weight == 9
