"""Core layer (pure): the transaction and savepoint state machine of one connection.

Theory of operation
-------------------
A connection carries a stack of levels. The outermost level is a real transaction
(``BEGIN`` … ``COMMIT``/``ROLLBACK``); every level pushed inside it is a savepoint with a
generated name (``twinsql_sp_<n>``: never user text, so never an injection point).

Each level is ``ACTIVE``, ``FAILED`` or ``LOST``:

* A statement that fails inside a level marks that level ``FAILED``. From then on every
  statement is refused with ``TransactionAborted`` until the level ends, and ending it rolls
  it back (to its savepoint, or the whole transaction). PostgreSQL enforces this on the server
  (SQLSTATE 25P02); MySQL and SQLite would carry on with half a unit of work. twinsql enforces
  it itself so the three behave the same: an error inside a transaction never leaves a
  half-applied unit of work silently committed.
* When the server has rolled back the whole transaction by itself (a MySQL deadlock, SQLite
  ``SQLITE_FULL``), every level becomes ``LOST``: savepoints no longer exist, so no
  ``ROLLBACK TO SAVEPOINT`` is sent (MariaDB would answer 1305), and the outermost level
  raises for the whole unit of work to be retried.
* Ending a level without an exception commits it (``RELEASE SAVEPOINT`` / ``COMMIT``) only if
  it is ``ACTIVE``; a ``FAILED`` or ``LOST`` level is rolled back and the caller is told.

The machine decides which SQL to send; the shell sends it. Nothing here does I/O.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = ["Level", "LevelState", "TransactionStack"]


class LevelState(enum.Enum):
    ACTIVE = "active"
    FAILED = "failed"
    LOST = "lost"


@dataclass
class Level:
    """One level of the stack: the transaction itself (``savepoint is None``) or a savepoint."""

    depth: int
    savepoint: str | None
    state: LevelState = LevelState.ACTIVE
    # Why the level failed, for the message of the refusal that follows.
    failure: str | None = None


class TransactionStack:
    """The levels open on one connection, outermost first."""

    __slots__ = ("_counter", "_levels")

    def __init__(self) -> None:
        self._levels: list[Level] = []
        self._counter = 0

    @property
    def depth(self) -> int:
        return len(self._levels)

    @property
    def top(self) -> Level | None:
        return self._levels[-1] if self._levels else None

    def push(self) -> Level:
        """Open a level: the transaction when the stack is empty, else a savepoint."""
        if self._levels:
            self._counter += 1
            level = Level(len(self._levels), f"twinsql_sp_{self._counter}")
        else:
            level = Level(0, None)
        self._levels.append(level)
        return level

    def refusal(self) -> str | None:
        """Why a statement may not run now, or None when it may."""
        top = self.top
        if top is None or top.state is LevelState.ACTIVE:
            return None
        if top.state is LevelState.LOST:
            return (
                "the database rolled back the whole transaction after an error "
                f"({top.failure}); leave the transaction block and run it again"
            )
        return (
            f"a statement in this transaction failed ({top.failure}); no further statements "
            "run until the transaction (or its savepoint block) is rolled back"
        )

    def statement_failed(self, reason: str, server_in_transaction: bool) -> None:
        """Record a failed statement. ``server_in_transaction`` is the connection's state
        after the error: False means the server rolled everything back by itself."""
        if not self._levels:
            return
        if not server_in_transaction:
            for level in self._levels:
                level.state = LevelState.LOST
                level.failure = level.failure or reason
            return
        top = self._levels[-1]
        if top.state is LevelState.ACTIVE:
            top.state = LevelState.FAILED
            top.failure = reason

    def end_statements(self, level: Level, commit: bool) -> tuple[tuple[str, ...], bool]:
        """Pop ``level`` and return (what to send, whether it committed).

        ``commit`` is the caller's wish; a level that is not ACTIVE is rolled back instead.
        The actions are ``COMMIT``, ``ROLLBACK``, ``RELEASE`` and ``ROLLBACK TO`` (the last two
        on ``level.savepoint``); the shell renders them through the dialect.
        """
        if not self._levels or self._levels[-1] is not level:
            raise RuntimeError("transaction levels must end innermost first")
        self._levels.pop()
        committed = commit and level.state is LevelState.ACTIVE
        if level.state is LevelState.LOST:
            # The server already rolled back; a savepoint no longer exists. Make the parent
            # levels see the loss too (they were marked LOST with it).
            return ((), False)
        if level.savepoint is None:
            return (("COMMIT",) if committed else ("ROLLBACK",)), committed
        if committed:
            return ("RELEASE",), True
        return ("ROLLBACK TO", "RELEASE"), False

    def reset(self) -> None:
        """Forget every level (the connection was discarded)."""
        self._levels.clear()
