# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""I/O shell: transactions and savepoints on one connection.

The transaction class is the context manager behind ``conn.transaction()`` and, through the
database, ``db.transaction()``. The outermost level sends BEGIN (with the isolation level and
read-only flag rendered by the dialect from an allow-list); a nested level sends SAVEPOINT
with a generated name. What to send when a level ends is decided by the pure state machine in
``core.txn``; this module only sends it.

On an exception the level is rolled back and the *original* exception propagates unchanged.
If the rollback itself fails, the connection is marked broken (the pool discards it, and the
server ends the transaction when the socket closes) and the original exception still wins.
"""

from __future__ import annotations

import logging
from types import TracebackType
from typing import TYPE_CHECKING

from twinsql import errors
from twinsql.connection.txn import Level

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
        conn = self._connection
        dialect = conn.dialect
        level = conn._stack.push()
        try:
            if level.savepoint is None:
                for statement in dialect.begin_statements(self._isolation, self._readonly):
                    await conn._control(statement)
            else:
                if self._isolation is not None or self._readonly:
                    raise errors.ArgumentError(
                        "a nested transaction (savepoint) cannot set isolation or readonly; "
                        "set them on the outermost transaction"
                    )
                await conn._control(dialect.savepoint_sql(level.savepoint))
        except BaseException:
            conn._stack.end_statements(level, commit=False)
            raise
        self._level = level
        return self

    async def commit(self) -> None:
        """End this level, keeping its work. A level in which a statement failed is rolled
        back instead, and ``TransactionAborted`` says so."""
        level = self._take_level()
        conn = self._connection
        actions, committed = conn._stack.end_statements(level, commit=True)
        await self._send(level, actions, is_commit=committed)
        if not committed:
            raise errors.TransactionAborted(
                f"the transaction was rolled back, not committed: {level.failure or 'it failed'}"
            )

    async def rollback(self) -> None:
        """End this level, undoing its work."""
        level = self._take_level()
        actions, _ = self._connection._stack.end_statements(level, commit=False)
        await self._send(level, actions, is_commit=False)

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
        try:
            await self.rollback()
        except Exception as rollback_error:
            # The original exception matters more; the connection is discarded by the pool.
            self._connection.broken = True
            logger.warning("rollback after %r failed: %r", exc, rollback_error)

    def _take_level(self) -> Level:
        level = self._level
        if level is None:
            raise errors.InterfaceError("this transaction is not active")
        self._level = None
        return level

    async def _send(self, level: Level, actions: tuple[str, ...], *, is_commit: bool) -> None:
        conn = self._connection
        dialect = conn.dialect
        for action in actions:
            if action == "RELEASE":
                assert level.savepoint is not None
                await conn._control(dialect.release_savepoint_sql(level.savepoint))
            elif action == "ROLLBACK TO":
                assert level.savepoint is not None
                await conn._control(dialect.rollback_to_savepoint_sql(level.savepoint))
            else:
                await conn._control(action, is_commit=is_commit)
        if level.savepoint is None:
            for statement in dialect.end_statements(self._readonly):
                await conn._control(statement)
