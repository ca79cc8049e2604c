"""Static typing test, run by mypy (``make typecheck``), never executed: the ORM's public
API must type-check as users write it, in both modes."""

from __future__ import annotations

from typing import Any

from typing_extensions import assert_type

import twinsql
from tests.orm_models import Order, User


def sync_api(db: twinsql.Database) -> None:
    User.bind(db)
    assert_type(User.find(1), User | None)
    assert_type(User.find_or_fail(1), User)
    assert_type(User.query(), twinsql.Query[User])
    assert_type(User.query().where(User.c.age > 18).order_by("-id").limit(5).all(), list[User])
    assert_type(User.query().first(), User | None)
    assert_type(User.query().count(), int)
    assert_type(User.query().exists(), bool)
    assert_type(User.query().paginate(1, 20), twinsql.Page[User])
    assert_type(User.create(name="a", email="b"), User)
    assert_type(User(name="a", email="b").save(), User)
    assert_type(
        User.query().group_by("status").aggregate(n=twinsql.Count("id")), list[dict[str, Any]]
    )
    assert_type(db.execute("SELECT 1"), list[dict[str, Any]])
    for order in User.query().iterate(100):
        assert_type(order, User)


async def async_api(db: twinsql.AsyncDatabase) -> None:
    User.bind(db)
    assert_type(await User.async_find(1), User | None)
    assert_type(await User.query().with_("orders").async_all(), list[User])
    assert_type(await User.query().async_first(), User | None)
    assert_type(await User.query().async_count(), int)
    assert_type(await Order.async_create(user_id=1, total=1), Order)
    assert_type(await db.execute("SELECT 1"), list[dict[str, Any]])
    async for user in User.query().async_iterate(100):
        assert_type(user, User)
