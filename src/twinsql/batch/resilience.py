"""Batch feature, pure: when the batcher retries, and when it stops trying (circuit breaker).

**Retry.** Only a batch that certainly did not commit is retried, and only after an error
that says "try again": the connection broke before COMMIT was sent (the server rolls the
open transaction back), a serialization failure, a deadlock. ``CommitOutcomeUnknown`` (a
sibling of ``ConnectionLost``, not a kind of it) is never retried: the batch may have
committed, and work that may have committed is never sent twice. Delays grow exponentially
with random jitter, capped.

**Circuit breaker.** After ``failure_threshold`` consecutive *availability* failures
(connection refused or lost, pool or statement timeouts) the breaker opens: calls fail at
once with ``CircuitOpenError`` and nothing is sent. After ``recovery_timeout`` seconds it is
half-open and lets ``half_open_max_calls`` probes through; a success closes it, a failure
opens it again. A constraint violation or a syntax error proves the server answered: it
counts as a success, never as a failure (100 duplicate keys must not open the breaker).
A probe that never reports back (a hung call) gives its slot back after
``recovery_timeout``, so a half-open breaker cannot be stuck by it.

The clock is injectable, so the state machine is tested without sleeping. The breaker takes
no lock: share one between the batchers of one thread or event loop.
"""

from __future__ import annotations

import enum
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from twinsql import errors

__all__ = [
    "DEFAULT_RETRY_ON",
    "CircuitBreaker",
    "CircuitState",
    "RetryPolicy",
    "is_availability_error",
    "is_statement_error",
]

DEFAULT_RETRY_ON: tuple[type[BaseException], ...] = (
    errors.ConnectionLost,
    errors.SerializationFailure,
    errors.DeadlockDetected,
)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a failed batch is retried.

    ``max_attempts`` counts the first try (1 = never retry). The delay before retry ``n``
    (``n`` = 1, 2, …) is ``min(max_delay, base_delay × backoff_factor ** (n - 1))`` plus up
    to ``jitter`` × that delay at random (``True`` means 0.25, ``False`` none).
    """

    max_attempts: int = 3
    base_delay: float = 0.1
    max_delay: float = 10.0
    backoff_factor: float = 2.0
    jitter: float | bool = 0.25
    retry_on: tuple[type[BaseException], ...] = DEFAULT_RETRY_ON

    def __post_init__(self) -> None:
        if not isinstance(self.max_attempts, int) or self.max_attempts < 1:
            raise errors.ArgumentError(f"max_attempts must be an int >= 1, got "
                                       f"{self.max_attempts!r}")  # fmt: skip
        for name in ("base_delay", "max_delay", "backoff_factor"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or value < 0 or not math.isfinite(value):
                raise errors.ArgumentError(f"{name} must be a finite number >= 0, got {value!r}")
        if self.jitter_fraction < 0:
            raise errors.ArgumentError(f"jitter must be >= 0, got {self.jitter!r}")

    @property
    def jitter_fraction(self) -> float:
        if self.jitter is True:
            return 0.25
        if self.jitter is False:
            return 0.0
        return float(self.jitter)

    def delay(self, retry: int, random_fraction: float = 0.0) -> float:
        """Seconds to wait before retry number ``retry`` (1-based); ``random_fraction`` in
        [0, 1) picks the jitter."""
        if retry < 1:
            return 0.0
        base = min(self.max_delay, self.base_delay * self.backoff_factor ** (retry - 1))
        return base + base * self.jitter_fraction * random_fraction

    def schedule(self, random_fractions: list[float] | None = None) -> list[float]:
        """Every delay the policy can wait, in order (``max_attempts - 1`` of them)."""
        fractions = random_fractions or [0.0] * (self.max_attempts - 1)
        return [self.delay(n, fractions[n - 1]) for n in range(1, self.max_attempts)]

    def is_retryable(self, exc: BaseException) -> bool:
        """True for an error after which the whole batch may safely run again."""
        if isinstance(exc, errors.CommitOutcomeUnknown):
            return False
        return isinstance(exc, self.retry_on)


def is_availability_error(exc: BaseException) -> bool:
    """Errors that say the database is unreachable or overloaded (what the breaker counts):
    a connection refused, lost or not obtained in time, a statement timeout."""
    return isinstance(
        exc,
        (
            errors.ConnectionLost,
            errors.CommitOutcomeUnknown,  # a link lost during COMMIT is lost all the same
            errors.PoolTimeout,
            errors.StatementTimeout,
            OSError,
        ),
    )


# Errors that a statement earns by itself (its values or its SQL): the statement is
# rejected. Anything else (locks, timeouts, a broken connection, our own refusals) is the
# batch's problem: the batch stays pending.
_STATEMENT_ERRORS = (errors.IntegrityError, errors.DataError, errors.ProgrammingError)


# SQLSTATE classes of operational errors that are the server's or the link's state, not
# the statement's: connection exception, insufficient resources, operator intervention,
# system error.
_SERVER_STATE_CLASSES = frozenset({"08", "53", "57", "58"})


def is_statement_error(exc: BaseException) -> bool:
    """True when ``exc`` condemns the statement that raised it (a constraint violation, a
    bad value, bad SQL, a limit the statement itself breaks) rather than the batch or the
    connection."""
    if isinstance(exc, _STATEMENT_ERRORS):
        return True
    # A database error with nothing more specific known (an unmapped code) is the
    # statement's. So is an operational error that is nothing more specific either (not a
    # lost link, a timeout, a deadlock …) and not about the server's state: MySQL's 1136
    # (column count), PostgreSQL's 54000 (index row too large) come from the statement.
    if type(exc) is errors.DatabaseError:
        return True
    if type(exc) is errors.OperationalError:
        sqlstate = getattr(exc, "sqlstate", None)
        return not (isinstance(sqlstate, str) and sqlstate[:2] in _SERVER_STATE_CLASSES)
    return False


class CircuitState(str, enum.Enum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    """See the module docstring. ``clock`` returns seconds (default ``time.monotonic``)."""

    def __init__(
        self,
        failure_threshold: int = 5,
        recovery_timeout: float = 30.0,
        half_open_max_calls: int = 1,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not isinstance(failure_threshold, int) or failure_threshold < 1:
            raise errors.ArgumentError(
                f"failure_threshold must be an int >= 1, got {failure_threshold!r}"
            )
        if not isinstance(half_open_max_calls, int) or half_open_max_calls < 1:
            raise errors.ArgumentError(
                f"half_open_max_calls must be an int >= 1, got {half_open_max_calls!r}"
            )
        if recovery_timeout < 0:
            raise errors.ArgumentError(f"recovery_timeout must be >= 0, got {recovery_timeout!r}")
        self.failure_threshold = failure_threshold
        self.recovery_timeout = float(recovery_timeout)
        self.half_open_max_calls = half_open_max_calls
        self._clock = clock
        self._state = CircuitState.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._probes: list[float] = []  # start times of the probes in flight (half-open)
        self.opened_count = 0  # how many times it opened (for reports and tests)
        self.rejected_calls = 0  # calls refused while open

    def __repr__(self) -> str:
        return (
            f"<CircuitBreaker {self.state.value} failures={self._failures}/"
            f"{self.failure_threshold}>"
        )

    @property
    def state(self) -> CircuitState:
        if self._state is CircuitState.OPEN and self._clock() - self._opened_at >= (
            self.recovery_timeout
        ):
            self._state = CircuitState.HALF_OPEN
            self._probes = []
        return self._state

    @property
    def failures(self) -> int:
        """Consecutive availability failures counted so far."""
        return self._failures

    def before_call(self) -> None:
        """Ask to make a call: returns when it may go ahead, raises ``CircuitOpenError``
        (nothing sent) when it may not. In the half-open state it takes a probe slot,
        which ``record_success`` / ``record_failure`` give back."""
        state = self.state
        if state is CircuitState.CLOSED:
            return
        now = self._clock()
        if state is CircuitState.HALF_OPEN:
            # A probe that never reported back within recovery_timeout gives its slot back.
            self._probes = [t for t in self._probes if now - t < self.recovery_timeout]
            if len(self._probes) < self.half_open_max_calls:
                self._probes.append(now)
                return
            wait = "a probe call is in progress"
        else:
            remaining = max(0.0, self.recovery_timeout - (now - self._opened_at))
            wait = f"retry in {remaining:.1f}s"
        self.rejected_calls += 1
        raise errors.CircuitOpenError(
            f"the circuit breaker is {state.value} after {self._failures} consecutive "
            f"connection failures; nothing was sent ({wait})"
        )

    def record_success(self) -> None:
        """A call reached the database and it answered."""
        self._failures = 0
        if self._state is not CircuitState.CLOSED:
            self._state = CircuitState.CLOSED
            self._probes = []

    def record_failure(self, exc: BaseException) -> None:
        """A call failed with ``exc``: counted only when it is an availability error;
        any other error proves the database answered, and counts as a success."""
        if not is_availability_error(exc):
            self.record_success()
            return
        self._failures += 1
        state = self.state
        if state is CircuitState.HALF_OPEN or (
            state is CircuitState.CLOSED and self._failures >= self.failure_threshold
        ):
            self._open()

    def reset(self) -> None:
        """Close the breaker and forget the failures."""
        self._state = CircuitState.CLOSED
        self._failures = 0
        self._probes = []

    def _open(self) -> None:
        self._state = CircuitState.OPEN
        self._opened_at = self._clock()
        self._probes = []
        self.opened_count += 1
