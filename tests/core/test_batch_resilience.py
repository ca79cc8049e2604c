"""Retry schedule and circuit breaker state machine, with an injected clock."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from twinsql import errors
from twinsql.batch.resilience import (
    CircuitBreaker,
    CircuitState,
    RetryPolicy,
    is_availability_error,
    is_statement_error,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_backoff_schedule_is_exponential_and_capped() -> None:
    policy = RetryPolicy(max_attempts=6, base_delay=0.1, max_delay=1.0, backoff_factor=2.0,
                         jitter=False)  # fmt: skip
    assert policy.schedule() == pytest.approx([0.1, 0.2, 0.4, 0.8, 1.0])
    assert policy.delay(0) == 0.0


@given(st.integers(1, 10), st.floats(0, 0.999))
def test_jitter_stays_within_its_fraction(retry: int, fraction: float) -> None:
    policy = RetryPolicy(max_attempts=12, base_delay=0.05, max_delay=2.0, jitter=0.25)
    base = min(2.0, 0.05 * 2 ** (retry - 1))
    assert base <= policy.delay(retry, fraction) <= base * 1.25


def test_retryable_errors() -> None:
    policy = RetryPolicy()
    assert policy.is_retryable(errors.ConnectionLost("gone"))
    assert policy.is_retryable(errors.SerializationFailure("40001"))
    assert policy.is_retryable(errors.DeadlockDetected("40P01"))
    # a lost COMMIT reply may have committed: never retried
    assert not policy.is_retryable(errors.CommitOutcomeUnknown("?"))
    assert not policy.is_retryable(errors.UniqueViolation("dup"))
    assert not policy.is_retryable(errors.LockTimeout("locked"))
    assert RetryPolicy(retry_on=(errors.LockTimeout,)).is_retryable(errors.LockTimeout("x"))


@pytest.mark.parametrize(
    "kwargs",
    [{"max_attempts": 0}, {"base_delay": -1}, {"jitter": -0.5}, {"max_delay": float("inf")}],
)
def test_bad_policies_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(errors.ArgumentError):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]


def test_error_classes() -> None:
    assert is_statement_error(errors.CheckViolation("x"))
    assert is_statement_error(errors.DataError("x"))
    assert is_statement_error(errors.ProgrammingError("x"))
    assert is_statement_error(errors.DatabaseError("x"))
    # an operational error with nothing more specific known is the statement's (MySQL 1136,
    # PostgreSQL 54000), unless its class says the server or the link is at fault
    assert is_statement_error(errors.OperationalError("x"))
    assert is_statement_error(errors.OperationalError("x", sqlstate="54000"))
    assert not is_statement_error(errors.OperationalError("x", sqlstate="53100"))
    assert not is_statement_error(errors.OperationalError("x", sqlstate="57P01"))
    assert not is_statement_error(errors.LockTimeout("x"))
    assert not is_statement_error(errors.StatementTimeout("x"))
    assert not is_statement_error(errors.DeadlockDetected("x"))
    assert not is_statement_error(errors.ConnectionLost("x"))
    assert not is_statement_error(errors.TransactionAborted("x"))
    assert is_availability_error(errors.ConnectionLost("x"))
    assert is_availability_error(errors.PoolTimeout("x"))
    assert is_availability_error(errors.StatementTimeout("x"))
    assert not is_availability_error(errors.UniqueViolation("x"))
    assert not is_availability_error(errors.QueryCanceled("x"))


def test_breaker_opens_after_consecutive_availability_failures() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=3, recovery_timeout=10.0, clock=clock)
    for _ in range(2):
        breaker.before_call()
        breaker.record_failure(errors.ConnectionLost("refused"))
    assert breaker.state is CircuitState.CLOSED
    breaker.before_call()
    breaker.record_failure(errors.ConnectionLost("refused"))
    assert breaker.state is CircuitState.OPEN and breaker.opened_count == 1
    with pytest.raises(errors.CircuitOpenError) as info:
        breaker.before_call()
    assert "nothing was sent" in str(info.value)
    assert breaker.rejected_calls == 1


def test_constraint_errors_never_open_the_breaker() -> None:
    breaker = CircuitBreaker(failure_threshold=5, clock=Clock())
    for _ in range(100):
        breaker.before_call()
        breaker.record_failure(errors.UniqueViolation("duplicate key"))
    assert breaker.state is CircuitState.CLOSED and breaker.failures == 0


def test_an_answer_resets_the_failure_count() -> None:
    breaker = CircuitBreaker(failure_threshold=3, clock=Clock())
    for _ in range(10):
        breaker.record_failure(errors.ConnectionLost("x"))
        breaker.record_failure(errors.ConnectionLost("x"))
        breaker.record_failure(errors.CheckViolation("answered"))
    assert breaker.state is CircuitState.CLOSED


def test_half_open_probes_then_closes_or_reopens() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=1, recovery_timeout=30.0, half_open_max_calls=2,
                             clock=clock)  # fmt: skip
    breaker.record_failure(errors.ConnectionLost("x"))
    clock.now += 29.9
    assert breaker.state is CircuitState.OPEN
    clock.now += 0.2
    assert breaker.state is CircuitState.HALF_OPEN
    breaker.before_call()
    breaker.before_call()
    with pytest.raises(errors.CircuitOpenError):
        breaker.before_call()  # only two probes at once
    breaker.record_failure(errors.PoolTimeout("x"))
    assert breaker.state is CircuitState.OPEN and breaker.opened_count == 2
    clock.now += 30
    breaker.before_call()
    breaker.record_success()
    assert breaker.state is CircuitState.CLOSED
    breaker.before_call()  # closed: no limit


def test_a_hung_probe_gives_its_slot_back() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=1, recovery_timeout=5.0, clock=clock)
    breaker.record_failure(errors.ConnectionLost("x"))
    clock.now += 5
    breaker.before_call()  # a probe that never reports
    with pytest.raises(errors.CircuitOpenError):
        breaker.before_call()
    clock.now += 5
    breaker.before_call()  # the first probe's slot expired


def test_reset_and_validation() -> None:
    breaker = CircuitBreaker(failure_threshold=1, clock=Clock())
    breaker.record_failure(errors.ConnectionLost("x"))
    breaker.reset()
    assert breaker.state is CircuitState.CLOSED
    assert "closed" in repr(breaker)
    for kwargs in ({"failure_threshold": 0}, {"half_open_max_calls": 0},
                   {"recovery_timeout": -1.0}):  # fmt: skip
        with pytest.raises(errors.ArgumentError):
            CircuitBreaker(**kwargs)  # type: ignore[arg-type]
