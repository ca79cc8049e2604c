"""Connection layer, pure: what may watch a database's work, and how several watchers combine.

An ``Observer`` is told about every call a database's connections make (each statement, and
each transaction-control statement: BEGIN, COMMIT, SAVEPOINT …) and about the logical
operations above them (a transaction, an ORM call, an eager-load level, a batch). Tracing
(``twinsql.otel``) and the test helpers' statement capture (``twinsql.testing``) are
observers. A database has none unless one is added (``db.add_observer``): every hook point
then costs one comparison with None, and nothing is patched at run time.

Hooks are plain method calls made from both modes; an observer must not block and must not
raise (an exception from a hook would become the caller's).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager, nullcontext
from typing import Any

__all__ = [
    "Observer",
    "Observers",
    "end_operation",
    "start_operation",
    "with_observer",
    "without_observer",
]

# What an operation reports: kind (``transaction``, ``orm``, ``eager``, ``batch``) and name.
Attributes = Mapping[str, Any]


class Observer:
    """Base of the watchers of a database: every hook is a no-op here."""

    def call_started(self, sql: str, params: Any, control: bool) -> object:
        """A call is about to be sent (``control``: a transaction-control statement). The
        value returned is handed back to ``call_ended``."""
        return None

    def call_ended(self, handle: object, error: BaseException | None) -> None:
        """The call started with ``handle`` ended; ``error`` is what the caller gets (a
        twinsql error, a cancellation), None on success."""

    def operation(
        self, kind: str, name: str, attributes: Attributes | None = None
    ) -> AbstractContextManager[Any]:
        """A logical operation (its calls happen inside the block): ``kind`` is
        ``transaction``, ``orm``, ``eager`` or ``batch``; ``name`` says which one."""
        return nullcontext()

    def event(self, name: str, attributes: Attributes | None = None) -> None:
        """Something worth recording inside the current operation (a retried attempt)."""


class Observers(Observer):
    """Several observers as one: each hook goes to each of them, in the order added."""

    def __init__(self, members: Sequence[Observer]) -> None:
        self.members = tuple(members)

    def call_started(self, sql: str, params: Any, control: bool) -> object:
        return [member.call_started(sql, params, control) for member in self.members]

    def call_ended(self, handle: object, error: BaseException | None) -> None:
        assert isinstance(handle, list)
        for member, own in zip(self.members, handle):
            member.call_ended(own, error)

    def operation(
        self, kind: str, name: str, attributes: Attributes | None = None
    ) -> AbstractContextManager[Any]:
        return self._all(kind, name, attributes)

    @contextmanager
    def _all(self, kind: str, name: str, attributes: Attributes | None) -> Iterator[None]:
        with ExitStack() as stack:
            for member in self.members:
                stack.enter_context(member.operation(kind, name, attributes))
            yield

    def event(self, name: str, attributes: Attributes | None = None) -> None:
        for member in self.members:
            member.event(name, attributes)


def _members(observer: Observer | None) -> tuple[Observer, ...]:
    if observer is None:
        return ()
    if isinstance(observer, Observers):
        return observer.members
    return (observer,)


def _of(members: Sequence[Observer]) -> Observer | None:
    if not members:
        return None
    return members[0] if len(members) == 1 else Observers(members)


def with_observer(current: Observer | None, added: Observer) -> Observer:
    """``current`` watched by ``added`` as well."""
    result = _of((*_members(current), added))
    assert result is not None
    return result


def without_observer(current: Observer | None, removed: Observer) -> Observer | None:
    """``current`` without ``removed`` (None when nothing is left)."""
    return _of([member for member in _members(current) if member is not removed])


def start_operation(operation: AbstractContextManager[Any]) -> AbstractContextManager[Any]:
    """Enter an operation whose block spans two methods (a context manager's enter and
    exit); ``end_operation`` leaves it."""
    operation.__enter__()
    return operation


def end_operation(operation: AbstractContextManager[Any], exc: BaseException | None) -> None:
    """Leave an operation entered with ``start_operation``; ``exc`` ended it, if any."""
    operation.__exit__(None if exc is None else type(exc), exc, None)
