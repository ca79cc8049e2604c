# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""Timestamps, soft delete, optimistic locking and hooks."""

from __future__ import annotations

import decimal

import pytest

import twinsql
from tests.orm_models import Account, Post, User


async def test_timestamps_are_set_in_utc(orm_db: twinsql.AsyncDatabase) -> None:
    post = await Post.async_create(title="t")
    assert post.created_at is not None and post.created_at.utcoffset() is not None
    created = post.created_at
    post.title = "t2"
    await post.async_save()
    assert post.updated_at is not None and post.updated_at >= created
    loaded = await Post.async_find_or_fail(post.id)
    assert loaded.created_at is not None


async def test_soft_delete_hides_and_restores(orm_db: twinsql.AsyncDatabase) -> None:
    keep = await Post.async_create(title="keep")
    gone = await Post.async_create(title="gone")
    await gone.async_delete()
    assert gone.is_deleted
    assert [p.title for p in await Post.query().async_all()] == ["keep"]
    assert await Post.async_find(gone.id) is None
    assert await Post.query().with_deleted().async_count() == 2
    assert [p.title for p in await Post.query().only_deleted().async_all()] == ["gone"]
    await gone.async_restore()
    assert await Post.query().async_count() == 2
    assert keep.id is not None


async def test_optimistic_lock_detects_concurrent_update(orm_db: twinsql.AsyncDatabase) -> None:
    account = await Account.async_create(owner="o", balance=decimal.Decimal("10.00"))
    assert account.version == 1
    first = await Account.async_find_or_fail(account.id)
    second = await Account.async_find_or_fail(account.id)
    first.balance = decimal.Decimal("20.00")
    await first.async_save()
    assert first.version == 2
    second.balance = decimal.Decimal("30.00")
    with pytest.raises(twinsql.StaleObjectError):
        await second.async_save()
    final = await Account.async_find_or_fail(account.id)
    assert final.balance == decimal.Decimal("20.00")


class Audited(User):
    __table_name__ = "orm_users"

    def before_save(self) -> None:
        self.__dict__["name"] = self.name.strip()
        calls.append("before_save")

    def after_save(self) -> None:
        calls.append("after_save")

    def before_delete(self) -> None:
        calls.append("before_delete")


calls: list[str] = []


async def test_hooks_run_without_io(orm_db: twinsql.AsyncDatabase) -> None:
    calls.clear()
    user = await Audited.async_create(name="  padded  ", email="h@x.io")
    assert user.name == "padded"
    await user.async_delete()
    assert calls == ["before_save", "after_save", "before_delete"]


async def test_bulk_inserts_fill_owned_values(orm_db: twinsql.AsyncDatabase) -> None:
    """insert_many and upserts set what save() sets: timestamps and the first version."""
    await Account.async_insert_many([{"owner": "bulk", "balance": decimal.Decimal("1.00")}])
    await Account.query().on_conflict("id").do_nothing().async_insert_many(
        [{"owner": "upsert", "balance": decimal.Decimal("2.00")}]
    )
    for account in await Account.query().order_by("id").async_all():
        assert account.version == 1
        account.balance += 1
        await account.async_save()  # the version check works on bulk-inserted rows
        assert account.version == 2
    await Post.async_insert_many([{"title": "bulk"}])
    await Post.query().on_conflict("id").do_nothing().async_insert_many([{"title": "up"}])
    posts = await Post.query().async_all()
    assert len(posts) == 2 and all(p.created_at is not None for p in posts)
