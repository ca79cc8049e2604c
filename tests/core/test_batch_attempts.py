"""The decisions between the attempts of a flush (no database): retries, the breaker, and
what reconciliation answers do to unknown statements."""

from __future__ import annotations

import pytest

from twinsql import errors
from twinsql.batch.attempts import Attempts, settle_verdicts
from twinsql.batch.intake import Intake
from twinsql.batch.ledger import Ledger, StatementState
from twinsql.batch.queue import StatementQueue
from twinsql.batch.resilience import CircuitBreaker, CircuitState, RetryPolicy


def attempts(max_attempts: int = 3) -> Attempts:
    policy = RetryPolicy(max_attempts=max_attempts, base_delay=1.0, jitter=False)
    return Attempts(policy, CircuitBreaker(failure_threshold=2, recovery_timeout=60.0))


def test_a_retryable_error_is_retried_until_the_attempts_are_spent() -> None:
    plan = attempts(3)
    lost = errors.ConnectionLost("gone")
    assert plan.failed(lost, 0.0) == 1.0 and plan.attempt == 2
    assert plan.failed(lost, 0.0) == 2.0 and plan.attempt == 3
    assert plan.failed(lost, 0.0) is None  # spent: the error stands
    assert plan.retries == 2
    assert plan.breaker.state is CircuitState.OPEN  # two availability failures
    with pytest.raises(errors.CircuitOpenError):
        plan.begin()


def test_a_commit_resets_the_attempts_and_a_statement_error_is_not_retried() -> None:
    plan = attempts(2)
    assert plan.failed(errors.DeadlockDetected("deadlock"), 0.0) == 1.0
    plan.committed()
    assert plan.attempt == 1
    assert plan.failed(errors.CheckViolation("bad"), 0.0) is None
    assert plan.breaker.state is CircuitState.CLOSED  # the database answered
    assert plan.retries == 1


def test_an_unknown_outcome_counts_against_the_breaker_and_retries_what_was_not_applied() -> None:
    plan = attempts(2)
    plan.unknown(errors.CommitOutcomeUnknown("lost reply"))
    assert plan.breaker.failures == 1
    assert plan.again(0.0) == 1.0 and plan.again(0.0) is None


def test_verdicts_settle_unknown_statements() -> None:
    ledger, queue = Ledger(), StatementQueue()
    intake = Intake(ledger, queue, style="qmark", lexer="sqlite", transactional_ddl=True,
                    max_params=100, max_query_size=None)  # fmt: skip
    assert intake.feed(iter([("INSERT INTO t VALUES (?)", (i,)) for i in range(3)]), None, False)
    items = queue.take_front(3)
    for item in items:
        ledger.mark(item.number, StatementState.UNKNOWN, sql=item.shape.sql, params=item.params)
    assert settle_verdicts(ledger, queue, items, [True, False, None]) == (True, True)
    assert [ledger.state(i).value for i in range(3)] == ["applied", "pending", "unknown"]
    assert [index for index, _, _ in queue.items()] == [1]
    with pytest.raises(errors.ArgumentError, match="2 answers for 3 statements"):
        settle_verdicts(ledger, queue, items, [True, False])
