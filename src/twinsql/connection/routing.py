"""Connection layer, pure: where a statement runs when a database has read replicas.

A database built with ``replicas=[url, …]`` (or ``?replicas=host:port,…`` in its URL) sends
each statement outside a ``transaction()``/``connection()`` block to one node. The rules,
decided here without any I/O:

* A statement that can write (anything but a plain read, see ``sql.readonly``) and every
  block go to the primary. A write ends in the *read-your-writes window*: for
  ``read_your_writes`` seconds after it (2 s by default), reads of the same context (task,
  thread, request) stay on the primary, so nobody reads an older state than they just wrote.
* Other reads go to the replicas in rotation (round-robin over those in rotation).
* ``with db.primary():`` sends everything in the block to the primary; ``with db.replica():``
  sends reads to a replica even inside the window and refuses a write before it is sent.
* ``same_node()`` keeps the reads of a block on the node that served its first one (the ORM
  loads eager relations there, so a parent and its children come from one snapshot source).
* A replica that fails with a connection-level error leaves the rotation at once; the read
  is re-run on the primary (a read can run twice) and the replica is probed again every
  ``replica_retry_interval`` seconds until it answers. With ``max_replica_lag`` set, a
  replica is in rotation only while its measured lag is known and within the limit.

The I/O side (``connection/_async/replicas.py``) only sends what this module decides. The
options themselves are read and checked in ``connection.scale``, which every database
uses; this module is imported only by a database that has replicas.
"""

from __future__ import annotations

import contextvars
import itertools
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from twinsql import errors
from twinsql.connection.options import PoolStats
from twinsql.connection.scale import RoutingConfig

__all__ = [
    "NodeStats",
    "Override",
    "Router",
    "SameNode",
    "is_node_failure",
    "lag_from_rows",
    "lag_sql",
]

_ids = itertools.count(1)
# -- node health ----------------------------------------------------------------------------


@dataclass
class _Health:
    up: bool = True
    lag: float | None = None
    lag_checked: float | None = None
    next_probe: float = 0.0
    probing: bool = False
    reads: int = 0
    failures: int = 0
    recoveries: int = 0
    last_error: str = ""


@dataclass(frozen=True)
class NodeStats:
    """One node of a database: its role, whether reads may go to it, its measured lag
    (replicas, when ``max_replica_lag`` is set), the reads it served, how often it left the
    rotation and came back, the reads that fell back to the primary (on the primary's
    entry), and its pool."""

    name: str
    role: str
    in_rotation: bool
    up: bool
    lag: float | None
    reads: int
    failures: int
    recoveries: int
    fallbacks: int
    last_error: str
    pool: PoolStats


_UNSET: Any = object()


class _Sticky:
    __slots__ = ("node",)

    def __init__(self) -> None:
        self.node: Any = _UNSET


class Override:
    """``with db.primary():`` / ``with db.replica():`` (also ``async with``): routes the
    block's statements; nesting works, the innermost block decides."""

    __slots__ = ("_target", "_token", "_var")

    def __init__(self, var: contextvars.ContextVar[str | None], target: str | None) -> None:
        self._var = var
        self._target = target
        self._token: contextvars.Token[str | None] | None = None

    def __enter__(self) -> None:
        self._token = self._var.set(self._target)

    def __exit__(self, *exc_info: object) -> None:
        assert self._token is not None
        self._var.reset(self._token)

    async def __aenter__(self) -> None:
        self.__enter__()

    async def __aexit__(self, *exc_info: object) -> None:
        self.__exit__()


class SameNode:
    """``same_node()``: the block's reads go where its first read went."""

    __slots__ = ("_token", "_var")

    def __init__(self, var: contextvars.ContextVar[_Sticky | None] | None) -> None:
        self._var = var
        self._token: contextvars.Token[_Sticky | None] | None = None

    def __enter__(self) -> None:
        if self._var is not None and self._var.get() is None:
            self._token = self._var.set(_Sticky())

    def __exit__(self, *exc_info: object) -> None:
        if self._var is not None and self._token is not None:
            self._var.reset(self._token)


class Router:
    """The routing state of one database with replicas: which node each statement goes to,
    each replica's health, and the per-context read-your-writes clock."""

    def __init__(
        self,
        names: Sequence[str],
        config: RoutingConfig,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.names = tuple(names)
        self.config = config
        self._clock = clock
        self._health = [_Health() for _ in names]
        self._turn = itertools.count()
        self.fallbacks = 0
        self.primary_reads = 0
        n = next(_ids)
        self._override: contextvars.ContextVar[str | None] = contextvars.ContextVar(
            f"twinsql_route_{n}", default=None
        )
        self._last_write: contextvars.ContextVar[float | None] = contextvars.ContextVar(
            f"twinsql_written_{n}", default=None
        )
        self._sticky: contextvars.ContextVar[_Sticky | None] = contextvars.ContextVar(
            f"twinsql_same_node_{n}", default=None
        )

    # -- the decision -------------------------------------------------------------------

    def route(self, read_only: bool, description: str = "statement") -> int | None:
        """The replica index for a statement, or None for the primary. Raises
        ``ReplicaWriteError`` for a write inside ``replica()``, before anything is sent."""
        override = self._override.get()
        if not read_only:
            if override == "replica":
                raise errors.ReplicaWriteError(
                    f"this {description} can write, and it runs inside db.replica(), whose "
                    "statements go to a read-only replica. Run it outside the block, or "
                    "inside db.primary()."
                )
            return None
        if override == "primary" or (override is None and self.within_write_window()):
            self._primary_read()
            return None
        sticky = self._sticky.get()
        if (
            sticky is not None
            and sticky.node is not _UNSET
            and (sticky.node is None or self.in_rotation(sticky.node))
        ):
            return self._count(sticky.node)
        candidates = [i for i in range(len(self._health)) if self.in_rotation(i)]
        if not candidates:
            self.fallbacks += 1
            node = None
        else:
            node = candidates[next(self._turn) % len(candidates)]
        if sticky is not None:
            sticky.node = node
        return self._count(node)

    def _primary_read(self) -> None:
        sticky = self._sticky.get()
        if sticky is not None and sticky.node is _UNSET:
            sticky.node = None
        self.primary_reads += 1

    def _count(self, node: int | None) -> int | None:
        if node is None:
            self.primary_reads += 1
        else:
            self._health[node].reads += 1
        return node

    def within_write_window(self) -> bool:
        written = self._last_write.get()
        return written is not None and self._clock() - written < self.config.read_your_writes

    def note_write(self) -> None:
        """A write (or a block) ran on the primary in this context: start its window."""
        self._last_write.set(self._clock())

    def in_rotation(self, index: int) -> bool:
        health = self._health[index]
        if not health.up:
            return False
        limit = self.config.max_replica_lag
        return limit is None or (health.lag is not None and health.lag <= limit)

    # -- overrides ----------------------------------------------------------------------

    def primary(self) -> Override:
        return Override(self._override, "primary")

    def replica(self) -> Override:
        return Override(self._override, "replica")

    def same_node(self) -> SameNode:
        return SameNode(self._sticky)

    # -- health -------------------------------------------------------------------------

    def mark_down(self, index: int, error: BaseException) -> bool:
        """A read on replica ``index`` failed at the connection level: out of rotation, to
        be probed after the retry interval. True when it was in rotation until now (the
        caller logs that once). The failed read itself counts as a fallback."""
        health = self._health[index]
        was_up = health.up
        if was_up:
            health.failures += 1
        health.up = False
        health.last_error = f"{type(error).__name__}: {str(error).splitlines()[0][:200]}"
        health.next_probe = self._clock() + self.config.replica_retry_interval
        self.fallbacks += 1
        health.reads -= 1
        return was_up

    def due_probes(self) -> list[int]:
        """Replicas to probe now (down ones after their retry interval; with a lag limit,
        up ones whose lag is older than the retry interval); each is marked as probing."""
        now = self._clock()
        due = []
        for i, health in enumerate(self._health):
            if health.probing:
                continue
            if not health.up:
                wanted = now >= health.next_probe
            elif self.config.max_replica_lag is not None:
                checked = health.lag_checked
                wanted = checked is None or now - checked >= self.config.replica_retry_interval
            else:
                wanted = False
            if wanted:
                health.probing = True
                due.append(i)
        return due

    def probe_succeeded(self, index: int, lag: float | None) -> bool:
        """The probe answered; True when the replica was down (it is back now)."""
        health = self._health[index]
        came_back = not health.up
        if came_back:
            health.recoveries += 1
        health.up, health.probing = True, False
        health.lag, health.lag_checked = lag, self._clock()
        return came_back

    def probe_failed(self, index: int, error: BaseException) -> None:
        health = self._health[index]
        was_up = health.up
        health.probing = False
        if was_up:
            health.failures += 1
        health.up = False
        health.last_error = f"{type(error).__name__}: {str(error).splitlines()[0][:200]}"
        health.next_probe = self._clock() + self.config.replica_retry_interval

    def stats(self, primary_name: str, pools: Sequence[PoolStats]) -> list[NodeStats]:
        """The primary's entry first, then one per replica; ``pools`` in the same order."""
        out = [
            NodeStats(
                name=primary_name, role="primary", in_rotation=True, up=True, lag=None,
                reads=self.primary_reads, failures=0, recoveries=0, fallbacks=self.fallbacks,
                last_error="", pool=pools[0],
            )
        ]  # fmt: skip
        for i, (name, health) in enumerate(zip(self.names, self._health)):
            out.append(
                NodeStats(
                    name=name, role="replica", in_rotation=self.in_rotation(i), up=health.up,
                    lag=health.lag, reads=health.reads, failures=health.failures,
                    recoveries=health.recoveries, fallbacks=0, last_error=health.last_error,
                    pool=pools[i + 1],
                )
            )  # fmt: skip
        return out


def is_node_failure(error: BaseException) -> bool:
    """Whether a replica's error says the node is unusable (its connection broke or could
    not be made, its pool is exhausted) rather than the statement failing there. Query
    cancellations, conflicts and lock errors are the statement's: they are raised as they
    are."""
    if isinstance(error, (errors.ConnectionLost, errors.PoolTimeout)):
        return True
    statement_level = (
        errors.QueryCanceled,
        errors.SerializationFailure,
        errors.DeadlockDetected,
        errors.LockTimeout,
        errors.CommitOutcomeUnknown,
    )
    return isinstance(error, errors.OperationalError) and not isinstance(error, statement_level)


# -- replication lag --------------------------------------------------------------------------

# PostgreSQL: seconds since the last replayed transaction, but 0 when everything received is
# replayed (an idle primary is no lag). MariaDB: Seconds_Behind_Master from SHOW SLAVE STATUS.
_LAG_SQL = {
    "postgresql": (
        "SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
        "ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) END "
        "AS lag"
    ),
    "mysql": "SHOW SLAVE STATUS",
}


def lag_sql(dialect: str) -> str:
    """The statement measuring a replica's lag on ``dialect``."""
    try:
        return _LAG_SQL[dialect]
    except KeyError:
        raise errors.ConfigurationError(
            f"read replicas need a server backend (PostgreSQL or MySQL/MariaDB), not {dialect}"
        ) from None


def lag_from_rows(dialect: str, rows: Sequence[Mapping[str, Any]]) -> float:
    """The lag in seconds from ``lag_sql``'s rows; a MariaDB replica whose SQL thread does
    not run (``Seconds_Behind_Master`` is NULL) lags without bound."""
    if not rows:
        return 0.0  # not a replica at all: nothing to wait for
    row = rows[0]
    value = row.get("lag") if dialect == "postgresql" else row.get("Seconds_Behind_Master")
    return float("inf") if value is None else float(value)
