"""Async tests under pytest-asyncio (any mode, function-scoped loops): the fixture and the
test run in different tasks and on a new event loop each time; the plugin's shared
transaction and the database's pool per loop make that work."""

from __future__ import annotations

import asyncio

import pytest
from conftest import Account, Entry, async_deposit

import twinsql
from twinsql.testing import QueryAssertion


@pytest.mark.asyncio
async def test_deposit(twinsql_async_db: twinsql.AsyncDatabase) -> None:
    account = Account(owner="ann")
    await account.async_save()
    await async_deposit(account, 30)
    assert (await Account.async_find_or_fail(account.id)).balance == 30
    assert await Entry.query().async_count() == 1


@pytest.mark.asyncio
async def test_concurrent_deposits_share_the_test_transaction(
    twinsql_async_db: twinsql.AsyncDatabase,
) -> None:
    accounts = [Account(owner=f"o{i}") for i in range(3)]
    for account in accounts:
        await account.async_save()
    # Tasks of the test take turns on its connection instead of raising ConcurrentUseError.
    await asyncio.gather(*(async_deposit(account, 10) for account in accounts))
    assert await Entry.query().async_count() == 3


@pytest.mark.asyncio
async def test_every_test_starts_empty(twinsql_async_db: twinsql.AsyncDatabase) -> None:
    assert await Account.query().async_count() == 0


@pytest.mark.asyncio
async def test_deposit_costs_two_statements(
    twinsql_async_db: twinsql.AsyncDatabase, assert_num_queries: QueryAssertion
) -> None:
    account = Account(owner="bob")
    await account.async_save()
    with assert_num_queries(2):
        await async_deposit(account, 5)


@pytest.mark.asyncio
async def test_committed_data_is_visible_elsewhere(
    twinsql_async_db_commits: twinsql.AsyncDatabase, twinsql_url: str
) -> None:
    await async_deposit(await Account.async_create(owner="cy"), 1)
    async with twinsql.connect_async(twinsql_url) as other:
        assert await other.execute_scalar("SELECT COUNT(*) FROM example_accounts") == 1
