"""The transaction/savepoint state machine, without a database."""

from __future__ import annotations

import pytest

from twinsql.connection.txn import LevelEnd, LevelState, TransactionStack, TxnAction

BEGIN, SAVEPOINT = TxnAction.BEGIN, TxnAction.SAVEPOINT
COMMIT, ROLLBACK, FINISH = TxnAction.COMMIT, TxnAction.ROLLBACK, TxnAction.FINISH
RELEASE, ROLLBACK_TO = TxnAction.RELEASE, TxnAction.ROLLBACK_TO


def test_outer_level_begins_commits_and_rolls_back() -> None:
    stack = TransactionStack()
    level, opening = stack.begin()
    assert opening is BEGIN and level.savepoint is None and stack.depth == 1
    assert stack.innermost is level
    assert stack.end(level, commit=True) == LevelEnd((COMMIT, FINISH), committed=True)
    assert stack.depth == 0 and stack.innermost is None
    level, _ = stack.begin()
    assert stack.end(level, commit=False) == LevelEnd((ROLLBACK, FINISH), committed=False)
    assert stack.depth == 0


def test_nested_levels_are_savepoints_with_generated_names() -> None:
    stack = TransactionStack()
    outer, _ = stack.begin()
    first, first_opening = stack.begin()
    second, _ = stack.begin()
    assert first_opening is SAVEPOINT and stack.depth == 3 and stack.innermost is second
    assert (first.savepoint, second.savepoint) == ("twinsql_sp_1", "twinsql_sp_2")
    assert (outer.depth, first.depth, second.depth) == (0, 1, 2)
    assert stack.end(second, commit=True) == LevelEnd((RELEASE,), committed=True)
    assert stack.end(first, commit=False) == LevelEnd((ROLLBACK_TO, RELEASE), committed=False)
    assert stack.end(outer, commit=True) == LevelEnd((COMMIT, FINISH), committed=True)


def test_levels_end_innermost_first() -> None:
    stack = TransactionStack()
    outer, _ = stack.begin()
    stack.begin()
    with pytest.raises(RuntimeError):
        stack.end(outer, commit=True)
    assert stack.depth == 2


def test_failed_statement_refuses_until_the_level_ends() -> None:
    stack = TransactionStack()
    outer, _ = stack.begin()
    inner, _ = stack.begin()
    assert stack.refusal() is None
    stack.statement_failed("UniqueViolation", server_in_transaction=True)
    assert inner.state is LevelState.FAILED and outer.state is LevelState.ACTIVE
    refusal = stack.refusal()
    assert refusal is not None and "UniqueViolation" in refusal
    # A failed level asked to commit is rolled back instead.
    assert stack.end(inner, commit=True) == LevelEnd((ROLLBACK_TO, RELEASE), committed=False)
    assert stack.refusal() is None
    assert stack.end(outer, commit=True) == LevelEnd((COMMIT, FINISH), committed=True)


def test_failed_transaction_asked_to_commit_rolls_back() -> None:
    stack = TransactionStack()
    level, _ = stack.begin()
    stack.statement_failed("CheckViolation", server_in_transaction=True)
    assert level.failure == "CheckViolation"
    assert stack.end(level, commit=True) == LevelEnd((ROLLBACK, FINISH), committed=False)


def test_server_side_rollback_loses_every_level() -> None:
    stack = TransactionStack()
    outer, _ = stack.begin()
    inner, _ = stack.begin()
    stack.statement_failed("DeadlockDetected", server_in_transaction=False)
    assert outer.state is inner.state is LevelState.LOST
    refusal = stack.refusal()
    assert refusal is not None and "rolled back the whole transaction" in refusal
    # No ROLLBACK TO SAVEPOINT for a savepoint the server already dropped; the transaction
    # still finishes (the dialect's statements after a transaction run).
    assert stack.end(inner, commit=False) == LevelEnd((), committed=False)
    assert stack.end(outer, commit=True) == LevelEnd((FINISH,), committed=False)


def test_failure_outside_a_transaction_is_ignored() -> None:
    stack = TransactionStack()
    stack.statement_failed("x", server_in_transaction=False)
    assert stack.refusal() is None and stack.depth == 0


def test_reset_forgets_levels() -> None:
    stack = TransactionStack()
    stack.begin()
    stack.begin()
    stack.reset()
    assert stack.depth == 0 and stack.innermost is None
    level, opening = stack.begin()
    assert opening is BEGIN and level.depth == 0
