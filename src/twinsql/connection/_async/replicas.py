# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""Connection layer, I/O: the read replicas of a database, and the small router that sends
each routed statement where ``connection.routing`` decides.

Each replica is a database of its own (its own pool, the primary's options). A read that
fails there at the connection level takes the replica out of the rotation (logged once on
``twinsql.pool``) and runs again on the primary; background probes (a task, or a daemon
thread in sync mode) bring the replica back once it answers, and measure its lag when
``max_replica_lag`` is set.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from twinsql import errors
from twinsql._compat import AsyncReturns, async_spawn
from twinsql.connection.options import PoolStats
from twinsql.connection.routing import (
    NodeStats,
    Router,
    is_node_failure,
    lag_from_rows,
    lag_sql,
)
from twinsql.connection.scale import RoutingConfig
from twinsql.sql.placeholders import compile_sql

if TYPE_CHECKING:
    from twinsql.connection._async.connection import Params
    from twinsql.connection._async.database import AsyncDatabase
    from twinsql.drivers.base import DriverResult

__all__ = ["AsyncReplicaSet"]

logger = logging.getLogger("twinsql.pool")
_T = TypeVar("_T")


class AsyncReplicaSet:
    """The replicas of one primary database and the router between them."""

    def __init__(
        self, primary: AsyncDatabase, replicas: list[AsyncDatabase], config: RoutingConfig
    ) -> None:
        self._primary = primary
        self._replicas = replicas
        self._lag_sql = lag_sql(primary.dialect.name)
        self.router = Router([db.url.redacted() for db in replicas], config)
        self._stops: list[Callable[[], None]] = []

    def route(self, sql: str) -> int | None:
        """The replica index for ``sql`` (None: the primary); starts due probes."""
        self._start_probes()
        return self.router.route(self._is_read_only(sql))

    def _is_read_only(self, sql: str) -> bool:
        primary = self._primary
        return compile_sql(sql, primary.paramstyle, primary.dialect.lexer).is_read_only

    async def execute_result(
        self, sql: str, params: Params, on_primary: Callable[[], AsyncReturns[DriverResult]]
    ) -> DriverResult:
        """A statement outside any block: a read on a replica (or, when that replica has
        just failed, on the primary through ``on_primary``); a write on the primary, which
        opens this context's read-your-writes window."""
        index = self.route(sql)
        if index is not None:
            served, result = await self.read(index, lambda db: db.execute_result(sql, params))
            if served:
                assert result is not None
                return result
            return await on_primary()
        if self._is_read_only(sql):
            return await on_primary()
        try:
            return await on_primary()
        finally:
            self.router.note_write()

    def replica(self, index: int) -> AsyncDatabase:
        return self._replicas[index]

    def databases(self) -> tuple[AsyncDatabase, ...]:
        """The replicas' databases, in their order."""
        return tuple(self._replicas)

    async def read(
        self, index: int, call: Callable[[AsyncDatabase], AsyncReturns[_T]]
    ) -> tuple[bool, _T | None]:
        """``call`` on replica ``index``: (True, its value), or (False, None) when the
        replica failed at the connection level (it left the rotation; run it on the
        primary). A failure of the statement itself is raised as it is."""
        try:
            return True, await call(self._replicas[index])
        except errors.Error as exc:
            if not self.failed(index, exc):
                raise
            return False, None

    def failed(self, index: int, exc: errors.Error) -> bool:
        """Whether ``exc``, raised on replica ``index``, is the node's failure (then the
        replica has left the rotation and the caller runs the read on the primary)."""
        if not is_node_failure(exc):
            return False
        if self.router.mark_down(index, exc):
            logger.warning(
                "replica %s left the rotation (%s); reads fall back to the primary "
                "until it answers again",
                self.router.names[index],
                type(exc).__name__,
            )
        self._start_probes()
        return True

    def stats(self, primary_pool: PoolStats) -> list[NodeStats]:
        pools = [primary_pool, *(db.pool_stats() for db in self._replicas)]
        return self.router.stats(self._primary.url.redacted(), pools)

    async def close(self) -> None:
        for stop in self._stops:
            stop()
        self._stops.clear()
        for db in self._replicas:
            await db.close()

    # -- probes -------------------------------------------------------------------------

    def _start_probes(self) -> None:
        for index in self.router.due_probes():
            self._stops.append(async_spawn(functools.partial(self._probe, index)))
        if len(self._stops) > 64:
            # Stops of finished probes: keep the list short (stopping a finished one is a no-op).
            del self._stops[:-16]

    async def _probe(self, index: int) -> None:
        db = self._replicas[index]
        try:
            rows = await db.execute(self._lag_sql)
        except errors.Error as exc:
            self.router.probe_failed(index, exc)
            return
        except BaseException as exc:
            self.router.probe_failed(index, exc)
            raise
        lag = lag_from_rows(db.dialect.name, rows)
        if self.router.probe_succeeded(index, lag):
            name = self.router.names[index]
            logger.warning("replica %s answers again: back in the rotation", name)

