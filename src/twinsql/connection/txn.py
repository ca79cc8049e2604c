"""Connection layer, pure: the transaction and savepoint state machine of one connection.

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

The machine decides which steps to send, as ``TxnAction``s; the I/O layer renders them
through the dialect and sends them. Nothing here does I/O.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = ["Level", "LevelEnd", "LevelState", "TransactionStack", "TxnAction"]


class LevelState(enum.Enum):
    ACTIVE = "active"
    FAILED = "failed"
    LOST = "lost"


class TxnAction(enum.Enum):
    """One step of a level's life, rendered through the dialect by the I/O layer."""

    BEGIN = "begin"  # the dialect's statements that open a transaction
    SAVEPOINT = "savepoint"  # SAVEPOINT <level.savepoint>
    COMMIT = "commit"
    ROLLBACK = "rollback"
    RELEASE = "release"  # RELEASE SAVEPOINT <level.savepoint>
    ROLLBACK_TO = "rollback to"  # ROLLBACK TO SAVEPOINT <level.savepoint>
    FINISH = "finish"  # the dialect's statements after a transaction ended


@dataclass
class Level:
    """One level of the stack: the transaction itself (``savepoint is None``) or a savepoint."""

    depth: int
    savepoint: str | None
    state: LevelState = LevelState.ACTIVE
    # Why the level failed, for the message of the refusal that follows.
    failure: str | None = None


@dataclass(frozen=True)
class LevelEnd:
    """How a level ends: the steps to send, in order, and whether its work was kept."""

    actions: tuple[TxnAction, ...]
    committed: bool


class TransactionStack:
    """The levels open on one connection, outermost first.

    ``depth`` is the number of open levels; the stack keeps it up to date (read it, never
    assign it: it is a plain attribute so that the per-statement check costs no call).
    """

    __slots__ = ("_counter", "_levels", "depth")

    def __init__(self) -> None:
        self._levels: list[Level] = []
        self._counter = 0
        self.depth = 0

    @property
    def innermost(self) -> Level | None:
        """The level statements run in now, or None outside a transaction."""
        return self._levels[-1] if self._levels else None

    def begin(self) -> tuple[Level, TxnAction]:
        """Open a level and say how: ``BEGIN`` when none is open, else ``SAVEPOINT``."""
        if self._levels:
            self._counter += 1
            level = Level(self.depth, f"twinsql_sp_{self._counter}")
            action = TxnAction.SAVEPOINT
        else:
            level, action = Level(0, None), TxnAction.BEGIN
        self._levels.append(level)
        self.depth += 1
        return level, action

    def refusal(self) -> str | None:
        """Why a statement may not run now, or None when it may."""
        top = self.innermost
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

    def end(self, level: Level, commit: bool) -> LevelEnd:
        """Pop ``level`` (the innermost) and say what to send.

        ``commit`` is the caller's wish; a level that is not ACTIVE is rolled back instead.
        A LOST level sends nothing but ``FINISH``: the server already rolled back, and its
        savepoint no longer exists. The transaction itself always ends with ``FINISH``.
        """
        if not self._levels or self._levels[-1] is not level:
            raise RuntimeError("transaction levels must end innermost first")
        self._levels.pop()
        self.depth -= 1
        committed = commit and level.state is LevelState.ACTIVE
        if level.state is LevelState.LOST:
            steps: tuple[TxnAction, ...] = ()
        elif level.savepoint is None:
            steps = (TxnAction.COMMIT,) if committed else (TxnAction.ROLLBACK,)
        elif committed:
            steps = (TxnAction.RELEASE,)
        else:
            steps = (TxnAction.ROLLBACK_TO, TxnAction.RELEASE)
        if level.savepoint is None:
            steps += (TxnAction.FINISH,)
        return LevelEnd(steps, committed)

    def reset(self) -> None:
        """Forget every level (the transaction was rolled back as a whole, or the connection
        was discarded)."""
        self._levels.clear()
        self.depth = 0
