# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""Model transactions, retries of whole units of work, and a money transfer
done safely (row locks, concurrency, balances conserved)."""

from __future__ import annotations

import decimal
import random
from typing import Any

import pytest

import twinsql
from tests._async.helpers import run_concurrently, run_in_children
from tests.orm_models import Account, User


async def test_model_transaction_commits_and_rolls_back(orm_db: twinsql.AsyncDatabase) -> None:
    async with User.async_transaction():
        await User.async_create(name="in", email="in@x.io")
    with pytest.raises(RuntimeError):
        async with User.async_transaction():
            await User.async_create(name="out", email="out@x.io")
            raise RuntimeError("undo")
    assert [u.name for u in await User.query().async_all()] == ["in"]


async def test_nested_model_transaction_is_a_savepoint(orm_db: twinsql.AsyncDatabase) -> None:
    async with User.async_transaction():
        await User.async_create(name="outer", email="outer@x.io")
        with pytest.raises(twinsql.UniqueViolation):
            async with User.async_transaction():
                await User.async_create(name="dup", email="outer@x.io")
        await User.async_create(name="after", email="after@x.io")
    assert await User.query().async_count() == 2


async def test_shared_model_transaction_serves_child_tasks(
    orm_db: twinsql.AsyncDatabase,
) -> None:
    def child(i: int) -> Any:
        return lambda: User.async_create(name=f"c{i}", email=f"c{i}@x.io")

    with pytest.raises(RuntimeError):
        async with User.async_transaction(shared=True):
            created = await run_in_children([child(i) for i in range(3)])
            assert sorted(u.name for u in created) == ["c0", "c1", "c2"]
            assert await User.query().async_count() == 3
            raise RuntimeError("undo")
    assert await User.query().async_count() == 0
    async with User.async_transaction():
        outcomes = await run_in_children([child(9)])
        assert isinstance(outcomes[0], twinsql.ConcurrentUseError)


async def test_run_in_transaction_retries_serialization_failures(
    orm_db: twinsql.AsyncDatabase,
) -> None:
    attempts: list[int] = []

    async def work(conn: twinsql.AsyncConnection) -> int:
        attempts.append(1)
        await User.async_create(name=f"try{len(attempts)}", email=f"t{len(attempts)}@x.io")
        if len(attempts) < 3:
            raise twinsql.SerializationFailure("injected conflict")
        return len(attempts)

    assert await twinsql.run_in_transaction_async(work, orm_db, retries=5, base_delay=0) == 3
    # The failed attempts were rolled back whole: only the third attempt's row exists.
    assert [u.name for u in await User.query().async_all()] == ["try3"]


async def test_run_in_transaction_does_not_retry_other_errors(
    orm_db: twinsql.AsyncDatabase,
) -> None:
    attempts: list[int] = []

    async def work(conn: twinsql.AsyncConnection) -> None:
        attempts.append(1)
        raise twinsql.CheckViolation("permanent")

    with pytest.raises(twinsql.CheckViolation):
        await twinsql.run_in_transaction_async(work, orm_db, retries=5)
    assert len(attempts) == 1


async def transfer(
    source: int, target: int, amount: decimal.Decimal, isolation: str | None
) -> None:
    """Move money with both rows locked first (ordered by id, so no deadlock)."""
    async with Account.async_transaction(isolation):
        first, second = sorted((source, target))
        locked = await (
            Account.query()
            .where(Account.c.id.in_([first, second]))
            .order_by("id")
            .for_update()
            .async_all()
        )
        accounts = {a.id: a for a in locked}
        accounts[source].balance -= amount
        accounts[target].balance += amount
        await accounts[source].async_save()
        await accounts[target].async_save()


async def test_concurrent_transfers_conserve_balances(orm_db: twinsql.AsyncDatabase) -> None:
    accounts = [
        await Account.async_create(owner=f"o{i}", balance=decimal.Decimal("1000.00"))
        for i in range(3)
    ]
    ids = [a.id for a in accounts]
    rng = random.Random(7)
    # SQLite has no row locks: take the write lock at BEGIN instead.
    isolation = "immediate" if orm_db.dialect.name == "sqlite" else None
    calls: list[Any] = []
    for _ in range(24):
        source, target = rng.sample(ids, 2)
        amount = decimal.Decimal(rng.randint(1, 50))

        async def call(s: Any = source, t: Any = target, a: decimal.Decimal = amount) -> None:
            await transfer(s, t, a, isolation)

        calls.append(call)
    results = await run_concurrently(calls)
    assert [r for r in results if isinstance(r, BaseException)] == []
    final = await Account.query().async_all()
    assert sum(a.balance for a in final) == decimal.Decimal("3000.00")
    assert all(a.version is not None and a.version >= 1 for a in final)
