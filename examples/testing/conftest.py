"""The models of a small application, and the one fixture a project writes for the
twinsql pytest plugin: which models its tests use. Run with
``pytest examples/testing --twinsql-url=postgresql://...`` (SQLite without it)."""

from __future__ import annotations

from typing import ClassVar

import pytest

import twinsql


class Account(twinsql.Model):
    __table_name__ = "example_accounts"
    id: int | None = None
    owner: str = twinsql.Field(max_length=100)
    balance: int = 0
    entries: ClassVar[twinsql.HasMany[Entry]] = twinsql.HasMany(foreign_key="account_id")


class Entry(twinsql.Model):
    __table_name__ = "example_entries"
    id: int | None = None
    account_id: int
    amount: int


def deposit(account: Account, amount: int) -> None:
    """Application code: its own transaction, as in production."""
    with Account.transaction():
        account.balance += amount
        account.save()
        Entry(account_id=account.id, amount=amount).save()


async def async_deposit(account: Account, amount: int) -> None:
    async with Account.async_transaction():
        account.balance += amount
        await account.async_save()
        await Entry(account_id=account.id, amount=amount).async_save()


@pytest.fixture(scope="session")
def twinsql_models() -> list[type[twinsql.Model]]:
    return [Account, Entry]
