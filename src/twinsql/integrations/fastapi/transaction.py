"""Integrations, FastAPI: one transaction per request, as a dependency.

``transaction(db)`` is a ``Depends`` marker: put it in a route's (or router's, or app's)
``dependencies=[…]``, or annotate a parameter with it to receive the connection. While the
request is handled, every call on ``db`` — and every ``Model`` call bound to it — runs in
that one transaction, without a connection passed around: the block is pinned in the
request's context, and opened with ``shared=True`` so that the endpoint, its sub-
dependencies and any task or thread they start on that context take turns on it.

When it ends: with FastAPI's dependency scope ``"function"`` (``FUNCTION_SCOPE`` is True
when the installed FastAPI has it), the transaction ends as soon as the endpoint returns,
before the response is sent, so a failed COMMIT becomes an error response instead of a
success already on the wire. It rolls back when the endpoint raises, and when the status
set on the injected ``Response`` is ``rollback_status`` (400) or more (``None``: only
exceptions roll back). A ``Response`` object the endpoint returns itself is not seen by
dependencies: raise ``HTTPException`` or set ``response.status_code`` to roll back. Without
scopes (FastAPI < 0.121) the dependency ends when that version ends every dependency with
``yield``: before the response is sent from 0.106 to 0.117, after it was sent before 0.106
and from 0.118 to 0.120 — there the client may get a success for a COMMIT that then fails.

Sync databases: FastAPI runs a ``def`` endpoint on a threadpool thread, and would run a
``def`` dependency on another one, in a copy of the request's context that the endpoint
never sees. So the dependency is async in both modes: it opens the sync block on a worker
thread and carries the block's pin back into the request's context, which the endpoint's
thread inherits. Opening it uses threads of its own (at most the pool's size at once), so
requests waiting for a connection never take the threads the endpoints holding the
connections need to finish: 2 × pool-size concurrent ``def`` requests all complete, and a
request that waits longer than ``pool_timeout`` gets ``PoolTimeout`` (503 with
``register_exception_handlers``).
"""

from __future__ import annotations

import contextvars
import inspect
from collections.abc import AsyncIterator, Callable
from typing import Any, Final, TypeVar

import anyio
import anyio.to_thread
from fastapi import Depends, Response

from twinsql import errors
from twinsql.connection._async.connection import AsyncConnection
from twinsql.connection._async.database import AsyncDatabase
from twinsql.connection._sync.connection import Connection
from twinsql.connection._sync.database import Database, DatabaseTransaction

__all__ = ["FUNCTION_SCOPE", "read_only", "transaction"]

T = TypeVar("T")

# FastAPI >= 0.121 lets a dependency with yield end before the response is sent.
FUNCTION_SCOPE: Final[bool] = "scope" in inspect.signature(Depends).parameters


class _RollbackRequested(Exception):
    """Raised inside the block to end it with a rollback (an error status)."""


def transaction(
    db: Database | AsyncDatabase,
    *,
    readonly: bool = False,
    isolation: str | None = None,
    rollback_status: int | None = 400,
) -> Any:
    """A dependency holding one transaction on ``db`` for the request (see the module
    docstring); it gives the block's connection to a parameter annotated with it."""
    dependency: Callable[[Response], AsyncIterator[Any]]
    if isinstance(db, AsyncDatabase):
        dependency = _async_dependency(db, readonly, isolation, rollback_status)
    elif isinstance(db, Database):
        dependency = _sync_dependency(db, readonly, isolation, rollback_status)
    else:
        raise errors.ArgumentError(
            f"transaction() takes a twinsql Database or AsyncDatabase, not {type(db).__name__}"
        )
    if rollback_status is not None and not 100 <= rollback_status <= 599:
        raise errors.ArgumentError(f"rollback_status must be an HTTP status, not {rollback_status}")
    if FUNCTION_SCOPE:
        return Depends(dependency, scope="function")
    return Depends(dependency)


def read_only(db: Database | AsyncDatabase, *, isolation: str | None = None) -> Any:
    """``transaction(db, readonly=True)``: a read-only transaction (PostgreSQL's and MySQL's
    ``READ ONLY``, SQLite's ``query_only``), where a write fails instead of taking a write
    lock; it is never committed with changes."""
    return transaction(db, readonly=True, isolation=isolation)


def _failed(response: Response, rollback_status: int | None) -> bool:
    status = response.status_code
    return rollback_status is not None and status is not None and status >= rollback_status


def _async_dependency(
    db: AsyncDatabase, readonly: bool, isolation: str | None, rollback_status: int | None
) -> Callable[[Response], AsyncIterator[AsyncConnection]]:
    # Checked now: a bad isolation level fails at app start-up, not at each request.
    db.transaction(isolation, readonly=readonly, shared=True)

    async def twinsql_transaction(response: Response) -> AsyncIterator[AsyncConnection]:
        try:
            async with db.transaction(isolation, readonly=readonly, shared=True) as conn:
                yield conn
                if _failed(response, rollback_status):
                    raise _RollbackRequested
        except _RollbackRequested:
            pass

    return twinsql_transaction


def _sync_dependency(
    db: Database, readonly: bool, isolation: str | None, rollback_status: int | None
) -> Callable[[Response], AsyncIterator[Connection]]:
    db.transaction(isolation, readonly=readonly, shared=True)
    options = db.options
    capacity = options.pool_size + options.max_overflow
    limiters: list[anyio.CapacityLimiter] = []

    async def twinsql_transaction(response: Response) -> AsyncIterator[Connection]:
        if not limiters:  # created on the app's event loop
            limiters.append(anyio.CapacityLimiter(max(1, capacity)))
        block = db.transaction(isolation, readonly=readonly, shared=True)
        conn = await _begin(block, limiters[0], options.pool_timeout)
        try:
            yield conn
            if _failed(response, rollback_status):
                raise _RollbackRequested
        except BaseException as exc:
            await _exit(block, exc)
            if not isinstance(exc, _RollbackRequested):
                raise
        else:
            await _exit(block, None)

    return twinsql_transaction


async def _begin(
    block: DatabaseTransaction, limiter: anyio.CapacityLimiter, pool_timeout: float
) -> Connection:
    """Open ``block`` on a thread of ``limiter``: at most as many threads wait for a
    connection as the pool holds, and a request that cannot even get such a thread within
    ``pool_timeout`` gets ``PoolTimeout`` as one waiting in the pool would."""
    acquired = False
    with anyio.move_on_after(pool_timeout):
        await limiter.acquire()
        acquired = True
    if not acquired:
        raise errors.PoolTimeout(
            f"no connection became free within pool_timeout ({pool_timeout:g}s): every one is "
            "held by a request in progress"
        )
    try:
        # The token is held here: the thread itself comes from a limiter of its own.
        return await _in_thread(block.__enter__, anyio.CapacityLimiter(1))
    finally:
        limiter.release()


async def _exit(block: DatabaseTransaction, exc: BaseException | None) -> None:
    # Shielded: a client that disconnects must not leave the block open; a limiter of its
    # own, so that ending a block never waits behind requests waiting to begin one.
    with anyio.CancelScope(shield=True):
        if exc is None:
            await _in_thread(lambda: block.__exit__(None, None, None), anyio.CapacityLimiter(1))
        else:
            await _in_thread(
                lambda: block.__exit__(type(exc), exc, exc.__traceback__),
                anyio.CapacityLimiter(1),
            )


async def _in_thread(call: Callable[[], T], limiter: anyio.CapacityLimiter) -> T:
    """Run ``call`` on a worker thread in a copy of this context, then carry the context
    variables it changed (the database's pin) back into this context, which the
    endpoint's thread and the block's exit inherit."""
    context = contextvars.copy_context()
    result = await anyio.to_thread.run_sync(context.run, call, limiter=limiter)
    for var, value in context.items():
        if var.get(_UNSET) is not value:
            var.set(value)
    return result


_UNSET: Final = object()
