# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""Connection layer, I/O: run a unit of work in a transaction, re-run on serialization failures.

A transaction that loses a serialization conflict or a deadlock must be re-run *whole*: the
callback API is what makes that possible (a ``with`` block cannot re-run itself). Only
``SerializationFailure`` and ``DeadlockDetected`` are retried — never a constraint error,
and never ``CommitOutcomeUnknown`` (the first attempt may have committed). A cancellation
(or, in a thread, an interrupt) during the COMMIT leaves the outcome just as unknown: it is
re-raised as it is, never retried. Backoff is exponential with full jitter, capped.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TypeVar

from twinsql import errors
from twinsql._compat import AsyncReturns, async_sleep
from twinsql.connection._async.connection import AsyncConnection
from twinsql.connection._async.database import AsyncDatabase

__all__ = ["run_in_transaction_async"]

T = TypeVar("T")
RETRYABLE = (errors.SerializationFailure, errors.DeadlockDetected)


async def run_in_transaction_async(
    fn: Callable[[AsyncConnection], AsyncReturns[T]],
    db: AsyncDatabase,
    *,
    retries: int = 5,
    isolation: str | None = None,
    base_delay: float = 0.01,
    max_delay: float = 1.0,
) -> T:
    """Call ``fn(conn)`` inside ``db.transaction()``; on a serialization failure or a
    deadlock roll back and call it again (up to ``retries`` more times)."""
    if retries < 0:
        raise errors.ArgumentError(f"retries must be >= 0, got {retries!r}")
    observer = db.observer
    if observer is not None:
        # One operation around the attempts: each attempt is a transaction inside it, and
        # each retry an event on it, with what caused it.
        with observer.operation("transaction", "run_in_transaction", {"twinsql.retries": retries}):
            return await _attempts(fn, db, retries, isolation, base_delay, max_delay)
    return await _attempts(fn, db, retries, isolation, base_delay, max_delay)


async def _attempts(
    fn: Callable[[AsyncConnection], AsyncReturns[T]],
    db: AsyncDatabase,
    retries: int,
    isolation: str | None,
    base_delay: float,
    max_delay: float,
) -> T:
    attempt = 0
    while True:
        try:
            async with db.transaction(isolation) as conn:
                return await fn(conn)
        except RETRYABLE as exc:
            if attempt >= retries:
                raise
            delay = min(max_delay, base_delay * (2**attempt))
            attempt += 1
            if db.observer is not None:
                db.observer.event(
                    "twinsql.retry",
                    {"twinsql.attempt": attempt + 1, "error.type": type(exc).__qualname__},
                )
            await async_sleep(random.uniform(0, delay))
