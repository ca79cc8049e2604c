# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""Connection layer, I/O: transactions and savepoints on one connection.

The transaction class is the context manager behind ``conn.transaction()`` and, through the
database, ``db.transaction()``. The outermost level sends BEGIN (with the isolation level and
read-only flag rendered by the dialect from an allow-list); a nested level sends SAVEPOINT
with a generated name. What to send when a level begins and ends is decided by the pure state
machine in ``twinsql.connection.txn``; this module renders its steps and sends them.

On an exception the level is rolled back and the *original* exception propagates unchanged.
If the rollback itself fails, the connection is marked broken (the pool discards it, and the
server ends the transaction when the socket closes) and the original exception still wins.
On a connection already known to be broken no rollback is tried (nothing can be sent on it;
the pool discards it), and nothing is logged: the exception that broke it says it all.

A COMMIT interrupted in flight (a cancelled task, an interrupted thread) leaves the outcome
unknown: the interruption propagates unchanged, and the work may or may not be committed.
"""

from __future__ import annotations

import logging
from types import TracebackType
from typing import TYPE_CHECKING

from twinsql import errors
from twinsql.connection import checkpoints
from twinsql.connection.txn import Level, TxnAction

if TYPE_CHECKING:
    from twinsql.connection._async.connection import AsyncConnection

__all__ = ["AsyncTransaction"]

logger = logging.getLogger("twinsql")


class AsyncTransaction:
    """One transaction level: the context manager of ``conn.transaction()``."""

    def __init__(
        self, connection: AsyncConnection, isolation: str | None, readonly: bool
    ) -> None:
        dialect = connection.dialect
        # Validate before any I/O: an unknown isolation level never reaches the server.
        self._isolation = None if isolation is None else dialect.normalize_isolation(isolation)
        self._readonly = bool(readonly)
        self._connection = connection
        self._level: Level | None = None

    @property
    def connection(self) -> AsyncConnection:
        return self._connection

    @property
    def active(self) -> bool:
        return self._level is not None

    async def begin(self) -> AsyncTransaction:
        if self._level is not None:
            raise errors.InterfaceError("this transaction has already begun")
        stack = self._connection.transaction_stack
        level, opening = stack.begin()
        try:
            if opening is TxnAction.SAVEPOINT and (self._isolation is not None or self._readonly):
                raise errors.ArgumentError(
                    "a nested transaction (savepoint) cannot set isolation or readonly; "
                    "set them on the outermost transaction"
                )
            await self._send(level, (opening,))
        except BaseException:
            stack.end(level, commit=False)  # never opened: forget it, send nothing
            raise
        self._level = level
        return self

    async def commit(self) -> None:
        """End this level, keeping its work. A level in which a statement failed is rolled
        back instead, and ``TransactionAborted`` says so."""
        level = self._take_level()
        ending = self._connection.transaction_stack.end(level, commit=True)
        await self._send(level, ending.actions)
        if not ending.committed:
            raise errors.TransactionAborted(
                f"the transaction was rolled back, not committed: {level.failure or 'it failed'}"
            )

    async def rollback(self) -> None:
        """End this level, undoing its work."""
        level = self._take_level()
        ending = self._connection.transaction_stack.end(level, commit=False)
        await self._send(level, ending.actions)

    async def __aenter__(self) -> AsyncTransaction:
        return await self.begin()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._level is None:
            return  # ended explicitly inside the block
        if exc is None:
            await self.commit()
            return
        if self._connection.broken:
            # Nothing can be sent on it: forget the level; the pool discards the connection
            # and the server rolls back when its socket closes.
            self._connection.transaction_stack.end(self._take_level(), commit=False)
            return
        try:
            await self.rollback()
        except Exception as rollback_error:
            # The original exception matters more; the connection is discarded by the pool.
            # A link found dead is routine; any other failure to roll back deserves a warning.
            self._connection.broken = True
            lost = isinstance(rollback_error, errors.ConnectionLost)
            logger.log(logging.INFO if lost else logging.WARNING,
                       "rollback after %r failed: %r", exc, rollback_error)  # fmt: skip

    def _take_level(self) -> Level:
        level = self._level
        if level is None:
            raise errors.InterfaceError("this transaction is not active")
        self._level = None
        return level

    async def _send(self, level: Level, actions: tuple[TxnAction, ...]) -> None:
        conn = self._connection
        for action in actions:
            is_commit = action is TxnAction.COMMIT
            if is_commit:
                checkpoints.reached(checkpoints.COMMIT)
            for statement in self._statements(action, level):
                await conn.send_control(statement, is_commit=is_commit)

    def _statements(self, action: TxnAction, level: Level) -> tuple[str, ...]:
        """The SQL of one step, rendered through the dialect."""
        dialect = self._connection.dialect
        if action is TxnAction.BEGIN:
            begin = dialect.begin_statements(self._isolation, self._readonly)
            return begin + self._connection.pooler_begin_statements()
        if action is TxnAction.FINISH:
            return dialect.end_statements(self._readonly)
        if action is TxnAction.COMMIT:
            return ("COMMIT",)
        if action is TxnAction.ROLLBACK:
            return ("ROLLBACK",)
        savepoint = level.savepoint
        assert savepoint is not None
        if action is TxnAction.SAVEPOINT:
            return (dialect.savepoint_sql(savepoint),)
        if action is TxnAction.RELEASE:
            return (dialect.release_savepoint_sql(savepoint),)
        return (dialect.rollback_to_savepoint_sql(savepoint),)
