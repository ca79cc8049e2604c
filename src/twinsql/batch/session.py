"""Batch feature, pure: the session statements a batcher has applied, for replay.

A script's ``SET search_path``, ``USE db``, ``SET sql_mode`` or ``PRAGMA`` shapes every
statement after it, but only on the connection it ran on. When the batcher goes on on
another connection (a retry after a lost connection, another pooled connection for the
next flush), it first runs them again there, in the order they were applied
(``Shape.session`` says which statements they are). Only applied ones are kept: a ``SET``
in a transaction that rolled back did not change the session.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from twinsql.batch.statements import Shape

__all__ = ["SessionLog"]


class SessionLog:
    """The applied session statements, in order; a statement applied again with the same
    text and parameters moves to its latest place (the state it leaves is the same).
    ``version`` grows with every statement recorded, so a connection that has seen a
    version needs nothing replayed."""

    __slots__ = ("_entries", "version")

    def __init__(self) -> None:
        self._entries: dict[tuple[str, str], tuple[Shape, Sequence[Any], Any]] = {}
        self.version = 0

    def __len__(self) -> int:
        return len(self._entries)

    def record(self, shape: Shape, bound: Sequence[Any], params: Any) -> None:
        """Keep an applied session statement. Of a text of several statements only its
        session statements are kept (replaying the rest would run it twice)."""
        if shape.parts is not None:
            for part, values in zip(shape.parts, bound):
                if part.session:
                    self.record(part, values, values)
            return
        key = (shape.sql, repr(params))
        self._entries.pop(key, None)
        self._entries[key] = (shape, bound, params)
        self.version += 1

    def entries(self) -> Iterator[tuple[Shape, Sequence[Any], Any]]:
        return iter(list(self._entries.values()))
