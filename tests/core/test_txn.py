"""The transaction/savepoint state machine, without a database."""

from __future__ import annotations

import pytest

from twinsql.connection.txn import LevelState, TransactionStack


def test_outer_level_commits_and_rolls_back() -> None:
    stack = TransactionStack()
    level = stack.push()
    assert level.savepoint is None and stack.depth == 1
    assert stack.end_statements(level, commit=True) == (("COMMIT",), True)
    level = stack.push()
    assert stack.end_statements(level, commit=False) == (("ROLLBACK",), False)
    assert stack.depth == 0


def test_nested_levels_are_savepoints_with_generated_names() -> None:
    stack = TransactionStack()
    outer = stack.push()
    first = stack.push()
    second = stack.push()
    assert (first.savepoint, second.savepoint) == ("twinsql_sp_1", "twinsql_sp_2")
    assert stack.end_statements(second, commit=True) == (("RELEASE",), True)
    assert stack.end_statements(first, commit=False) == (("ROLLBACK TO", "RELEASE"), False)
    assert stack.end_statements(outer, commit=True) == (("COMMIT",), True)


def test_levels_end_innermost_first() -> None:
    stack = TransactionStack()
    outer = stack.push()
    stack.push()
    with pytest.raises(RuntimeError):
        stack.end_statements(outer, commit=True)


def test_failed_statement_refuses_until_the_level_ends() -> None:
    stack = TransactionStack()
    outer = stack.push()
    inner = stack.push()
    assert stack.refusal() is None
    stack.statement_failed("UniqueViolation", server_in_transaction=True)
    assert inner.state is LevelState.FAILED and outer.state is LevelState.ACTIVE
    refusal = stack.refusal()
    assert refusal is not None and "UniqueViolation" in refusal
    # A failed level asked to commit is rolled back instead.
    assert stack.end_statements(inner, commit=True) == (("ROLLBACK TO", "RELEASE"), False)
    assert stack.refusal() is None
    assert stack.end_statements(outer, commit=True) == (("COMMIT",), True)


def test_server_side_rollback_loses_every_level() -> None:
    stack = TransactionStack()
    outer = stack.push()
    inner = stack.push()
    stack.statement_failed("DeadlockDetected", server_in_transaction=False)
    assert outer.state is inner.state is LevelState.LOST
    refusal = stack.refusal()
    assert refusal is not None and "rolled back the whole transaction" in refusal
    # No ROLLBACK TO SAVEPOINT for a savepoint the server already dropped.
    assert stack.end_statements(inner, commit=False) == ((), False)
    assert stack.end_statements(outer, commit=True) == ((), False)


def test_failure_outside_a_transaction_is_ignored() -> None:
    stack = TransactionStack()
    stack.statement_failed("x", server_in_transaction=False)
    assert stack.refusal() is None and stack.depth == 0


def test_reset_forgets_levels() -> None:
    stack = TransactionStack()
    stack.push()
    stack.push()
    stack.reset()
    assert stack.depth == 0 and stack.top is None
