"""Test helpers: capture the statements a database runs, and assert on their number.

``capture_queries(db, ...)`` watches the given databases (an ``Observer``, so nothing is
patched) for the length of a block and records every call: the statements, and the
transaction-control statements (BEGIN, COMMIT, SAVEPOINT …) marked as such.
``assert_num_queries`` / ``assert_max_queries`` count the statements only — the savepoints
a test fixture or the code's own ``transaction()`` blocks send are not the code's queries —
and on failure print them numbered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from twinsql.connection.observe import Observer

__all__ = [
    "CapturedStatement",
    "QueryAssertion",
    "QueryCapture",
    "assert_max_queries",
    "assert_num_queries",
    "capture_queries",
]


class Observable(Protocol):
    """A ``Database`` or an ``AsyncDatabase``."""

    def add_observer(self, observer: Observer) -> None: ...
    def remove_observer(self, observer: Observer) -> None: ...


@dataclass(frozen=True)
class CapturedStatement:
    """One call as it was sent: its SQL (placeholders as written), its parameters, whether
    it was a transaction-control statement, and the error it ended with (its class name)."""

    sql: str
    params: Any
    control: bool
    error: str | None = None


class QueryCapture(Observer):
    """The calls made while capturing, in order. ``queries`` are the statements' SQL (no
    transaction control), ``len()`` their number, ``numbered()`` a readable listing."""

    def __init__(self) -> None:
        self.calls: list[CapturedStatement] = []

    def call_started(self, sql: str, params: Any, control: bool) -> object:
        return (sql, params, control)

    def call_ended(self, handle: object, error: BaseException | None) -> None:
        assert isinstance(handle, tuple)
        sql, params, control = handle
        failed = None if error is None else type(error).__name__
        # list.append is atomic: threads sharing a capture need no lock of their own.
        self.calls.append(CapturedStatement(sql, params, control, failed))

    @property
    def statements(self) -> list[CapturedStatement]:
        return [call for call in self.calls if not call.control]

    @property
    def queries(self) -> list[str]:
        return [call.sql for call in self.statements]

    def __len__(self) -> int:
        return len(self.statements)

    def numbered(self, *, include_control: bool = False) -> str:
        shown = self.calls if include_control else self.statements
        if not shown:
            return "  (no statement)"
        lines = []
        for number, call in enumerate(shown, start=1):
            failed = f"  -- failed: {call.error}" if call.error else ""
            lines.append(f"  {number}. {' '.join(call.sql.split())}{failed}")
        return "\n".join(lines)


# The type of the plugin's fixtures ``assert_num_queries``, ``assert_max_queries`` (called
# with the count, then optionally more databases) and ``capture_queries``.
QueryAssertion = Callable[..., AbstractContextManager[QueryCapture]]


@contextmanager
def capture_queries(*databases: Observable) -> Iterator[QueryCapture]:
    """Record every call the ``databases`` make inside the block."""
    capture = QueryCapture()
    for db in databases:
        db.add_observer(capture)
    try:
        yield capture
    finally:
        for db in databases:
            db.remove_observer(capture)


@contextmanager
def assert_num_queries(expected: int, *databases: Observable) -> Iterator[QueryCapture]:
    """Fail unless the block runs exactly ``expected`` statements on ``databases``."""
    with capture_queries(*databases) as capture:
        yield capture
    _check(capture, len(capture) == expected, f"expected {expected}")


@contextmanager
def assert_max_queries(limit: int, *databases: Observable) -> Iterator[QueryCapture]:
    """Fail if the block runs more than ``limit`` statements on ``databases``."""
    with capture_queries(*databases) as capture:
        yield capture
    _check(capture, len(capture) <= limit, f"expected at most {limit}")


def _check(capture: QueryCapture, ok: bool, expectation: str) -> None:
    if not ok:
        raise AssertionError(
            f"{expectation} statements, {len(capture)} ran:\n{capture.numbered()}"
        )


