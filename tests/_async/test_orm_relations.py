# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""Relations: eager loading by select-in, explicit loads, and no hidden I/O."""

from __future__ import annotations

import decimal
import logging

import pytest

import twinsql
from tests.orm_models import Order, OrderItem, Post, PostTag, Profile, Tag, User


async def seed() -> list[User]:
    users = [
        await User.async_create(name=f"user{i}", email=f"u{i}@x.io", age=30 + i) for i in range(4)
    ]
    for user in users[:3]:
        assert user.id is not None
        await Profile.async_create(user_id=user.id, bio=f"bio {user.name}")
        for n in range(2 + (user.id % 2)):
            order = await Order.async_create(user_id=user.id, total=decimal.Decimal(n + 1))
            assert order.id is not None
            await OrderItem.async_create(order_id=order.id, sku=f"sku{n}", qty=n + 1)
    return users


def statements(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "twinsql.sql"]


async def test_users_with_orders_is_exactly_two_statements(
    url: str, orm_db: twinsql.AsyncDatabase, caplog: pytest.LogCaptureFixture
) -> None:
    await seed()
    async with twinsql.connect_async(url, echo=True) as db:
        with caplog.at_level(logging.INFO, logger="twinsql.sql"):
            users = await User.query().with_("orders").order_by("id").async_all(using=db)
        assert len(statements(caplog)) == 2, statements(caplog)
    counts = [len(u.orders) for u in users]
    assert sum(counts) == await Order.query().async_count()
    assert counts[3] == 0
    assert all(o.user_id == u.id for u in users for o in u.orders)


async def test_nested_and_refined_eager_loads(orm_db: twinsql.AsyncDatabase) -> None:
    await seed()
    users = await (
        User.query()
        .with_("orders.items", "profile", ("orders", lambda q: q.where(Order.c.total > 1)))
        .order_by("id")
        .async_all()
    )
    assert all(o.total > 1 for u in users for o in u.orders)
    assert all(len(o.items) == 1 for u in users for o in u.orders)
    assert users[0].profile is not None and users[0].profile.bio == "bio user0"
    assert users[3].profile is None


async def test_a_refined_limit_applies_per_parent(
    orm_db: twinsql.AsyncDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    import twinsql.orm._async.loading as loading

    users = [
        await User.async_create(name=f"p{i}", email=f"p{i}@x.io", age=i) for i in range(5)
    ]
    expected: dict[int | None, list[decimal.Decimal]] = {}
    lowest: list[int | None] = []
    for index, user in enumerate(users):
        totals = [decimal.Decimal(n * 10 + index) for n in range(index + 1)]  # 1 to 5 orders
        created = [await Order.async_create(user_id=user.id, total=t) for t in totals]
        expected[user.id] = sorted(totals, reverse=True)
        lowest.append(created[0].id)
    # IN lists of 2 keys: the limit must hold per parent in every chunk.
    monkeypatch.setattr(loading, "in_list_size", lambda max_params: 2)
    top = await (
        User.query()
        .with_(("orders", lambda q: q.order_by("-total").limit(3)))
        .order_by("id")
        .async_all()
    )
    assert [[o.total for o in u.orders] for u in top] == [expected[u.id][:3] for u in top]
    paged = await (
        User.query()
        .with_(("orders", lambda q: q.order_by("-total").offset(1).limit(2)))
        .order_by("id")
        .async_all()
    )
    assert [[o.total for o in u.orders] for u in paged] == [expected[u.id][1:3] for u in paged]
    # Without an order, the rows of a parent are taken in key order.
    first = await User.query().with_(("orders", lambda q: q.limit(1))).order_by("id").async_all()
    assert [[o.id for o in u.orders] for u in first] == [[key] for key in lowest]


async def test_a_many_to_many_refinement_refuses_a_limit(orm_db: twinsql.AsyncDatabase) -> None:
    post = await Post.async_create(title="hello")
    tag = await Tag.async_create(name="a")
    await PostTag.async_create(post_id=post.id, tag_id=tag.id)
    with pytest.raises(twinsql.ArgumentError, match="cannot take limit"):
        await Post.query().with_(("tags", lambda q: q.limit(1))).async_all()


async def test_belongs_to(orm_db: twinsql.AsyncDatabase) -> None:
    await seed()
    orders = await Order.query().with_("user").async_all()
    assert orders and all(o.user is not None and o.user.id == o.user_id for o in orders)


async def test_unloaded_relation_raises_and_never_queries(orm_db: twinsql.AsyncDatabase) -> None:
    users = await seed()
    user = await User.async_find_or_fail(users[0].id)
    with pytest.raises(twinsql.RelationNotLoaded) as info:
        _ = user.orders
    assert "with_('orders')" in str(info.value) and "load('orders')" in str(info.value)
    await user.async_load("orders", "orders.items")
    assert len(user.orders) >= 2 and all(len(o.items) == 1 for o in user.orders)


async def test_unknown_relation_fails_before_io(orm_db: twinsql.AsyncDatabase) -> None:
    with pytest.raises(twinsql.ArgumentError):
        User.query().with_("nope")
    with pytest.raises(twinsql.ArgumentError):
        User.query().with_("orders.nope")


async def test_many_to_many(orm_db: twinsql.AsyncDatabase) -> None:
    post = await Post.async_create(title="hello")
    other = await Post.async_create(title="bare")
    tags = [await Tag.async_create(name=n) for n in ("a", "b", "c")]
    for tag in tags[:2]:
        await PostTag.async_create(post_id=post.id, tag_id=tag.id)
    posts = await Post.query().with_("tags").order_by("id").async_all()
    assert sorted(t.name for t in posts[0].tags) == ["a", "b"]
    assert posts[1].tags == [] and posts[1].id == other.id


async def test_in_lists_are_chunked_under_the_parameter_limit(
    url: str, orm_db: twinsql.AsyncDatabase, caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A key list longer than the limit is split: here 2 keys per IN list."""
    import twinsql.orm._async.loading as loading

    await seed()
    monkeypatch.setattr(loading, "in_list_size", lambda max_params: 2)
    async with twinsql.connect_async(url, echo=True) as db:
        with caplog.at_level(logging.INFO, logger="twinsql.sql"):
            users = await User.query().with_("orders").order_by("id").async_all(using=db)
        # 1 for the users, then 4 users' keys in IN lists of 2: 2 more.
        assert len(statements(caplog)) == 3, statements(caplog)
    assert sum(len(u.orders) for u in users) == await Order.query().async_count()
