"""Batch feature, pure: the decisions between the attempts of one flush.

A flush runs attempts, each on one session (``batch.engine`` decides what happens inside
one). Between them, ``Attempts`` decides: what the circuit breaker records, whether a failed
attempt is tried again and after how long (``RetryPolicy``), and ``settle_verdicts`` what a
reconciliation's answers do to statements whose COMMIT outcome is unknown. The batcher
performs the waits and asks ``reconcile``; the rules are here, tested without a database.
"""

from __future__ import annotations

from collections.abc import Sequence

from twinsql import errors
from twinsql.batch.ledger import Ledger, StatementState
from twinsql.batch.queue import Queued, StatementQueue
from twinsql.batch.resilience import CircuitBreaker, RetryPolicy

__all__ = ["Attempts", "settle_verdicts"]


class Attempts:
    """The attempt count of one flush and its retry and breaker decisions. ``attempt``
    starts at 1 and goes back to 1 whenever a batch commits (the retry budget is per
    batch); ``retries`` counts the retries of the flush."""

    def __init__(self, policy: RetryPolicy, breaker: CircuitBreaker) -> None:
        self.policy = policy
        self.breaker = breaker
        self.attempt = 1
        self.retries = 0

    def begin(self) -> None:
        """Before an attempt: raises ``CircuitOpenError`` while the breaker is open."""
        self.breaker.before_call()

    def committed(self) -> None:
        """A batch committed: the database answered, and the next batch has its own
        retries."""
        self.attempt = 1
        self.breaker.record_success()

    def answered(self) -> None:
        """The attempt ended with an answer from the database (done, or stopped by a
        statement's error)."""
        self.breaker.record_success()

    def failed(self, error: errors.Error, random_fraction: float) -> float | None:
        """The attempt failed with a batch error (its batch is pending): the seconds to
        wait before the next attempt, or None when it is not retried (the error stands)."""
        self.breaker.record_failure(error)
        if not self.policy.is_retryable(error):
            return None
        return self.again(random_fraction)

    def unknown(self, error: errors.Error) -> None:
        """A COMMIT outcome was unknown: the link failed (whatever reconciliation says)."""
        self.breaker.record_failure(error)

    def again(self, random_fraction: float) -> float | None:
        """The seconds to wait before another attempt (statements proved not applied go
        again); None when the attempts are spent."""
        if self.attempt >= self.policy.max_attempts:
            return None
        return self._next(random_fraction)

    def _next(self, random_fraction: float) -> float:
        delay = self.policy.delay(self.attempt, random_fraction)
        self.retries += 1
        self.attempt += 1
        return delay


def settle_verdicts(
    ledger: Ledger, queue: StatementQueue, items: Sequence[Queued], verdicts: Sequence[bool | None]
) -> tuple[bool, bool]:
    """Apply ``reconcile``'s answers to statements held aside as unknown: True (applied)
    is recorded, False (not applied) goes back to the front of the queue, pending, None
    stays unknown. Returns ``(any to send again, any still unknown)``."""
    if len(verdicts) != len(items):
        raise errors.ArgumentError(
            f"reconcile returned {len(verdicts)} answers for {len(items)} statements"
        )
    retry = []
    for item, verdict in zip(items, verdicts):
        if verdict is True:
            ledger.mark(item.number, StatementState.APPLIED)
        elif verdict is False:
            ledger.mark(item.number, StatementState.PENDING)
            retry.append(item)
    queue.push_front(retry)
    return bool(retry), any(verdict is None for verdict in verdicts)
