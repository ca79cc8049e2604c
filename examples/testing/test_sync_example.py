"""Sync tests: each runs inside a transaction the plugin rolls back afterwards."""

from __future__ import annotations

import pytest
from conftest import Account, Entry, deposit

import twinsql
from twinsql.testing import QueryAssertion


def test_deposit_writes_the_balance_and_an_entry(twinsql_db: twinsql.Database) -> None:
    account = Account(owner="ann")
    account.save()
    deposit(account, 30)  # its transaction() is a savepoint inside the test's
    assert Account.find_or_fail(account.id).balance == 30
    assert [e.amount for e in Entry.query().all()] == [30]


def test_every_test_starts_empty(twinsql_db: twinsql.Database) -> None:
    assert Account.query().count() == 0


def test_deposit_costs_two_statements(
    twinsql_db: twinsql.Database, assert_num_queries: QueryAssertion
) -> None:
    account = Account(owner="bob")
    account.save()
    with assert_num_queries(2):  # UPDATE and INSERT; the savepoint is not counted
        deposit(account, 5)


def test_the_sql_of_a_lookup(
    twinsql_db: twinsql.Database, capture_queries: QueryAssertion
) -> None:
    with capture_queries() as captured:
        Account.query().where(owner="ann").all()
    assert len(captured.queries) == 1 and "WHERE" in captured.queries[0]


def test_committed_data_is_visible_elsewhere(
    twinsql_db_commits: twinsql.Database, twinsql_url: str
) -> None:
    deposit(Account.create(owner="cy"), 1)
    with twinsql.connect(twinsql_url) as other:  # another connection sees the commit
        assert other.execute_scalar("SELECT COUNT(*) FROM example_accounts") == 1


@pytest.mark.twinsql_backends("postgresql")
def test_postgresql_only(twinsql_db: twinsql.Database) -> None:
    assert twinsql_db.execute_scalar("SELECT 'a' || 'b'") == "ab"
