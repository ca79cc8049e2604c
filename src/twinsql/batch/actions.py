"""Batch feature, pure: the vocabulary of the batch engine — the actions it asks the runner
to perform and the outcomes the runner feeds back (see ``batch.engine``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from twinsql.batch.plan import Unit
from twinsql.batch.statements import Shape

__all__ = [
    "Action",
    "Begin",
    "Cancelled",
    "Collect",
    "Commit",
    "CopyRefused",
    "Done",
    "Failed",
    "Ok",
    "Refresh",
    "Replay",
    "Rollback",
    "RollbackAll",
    "Run",
]


# -- actions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Replay:
    shape: Shape
    bound: Sequence[Any]
    params: Any


@dataclass(frozen=True)
class Refresh:
    """Read the session again: its sql_mode (``mode``), its tables that cannot roll back
    (``tables``: all of them; else those in ``names``)."""

    mode: bool = True
    tables: bool = True
    names: tuple[str, ...] = ()  # without ``tables``: only these tables


@dataclass(frozen=True)
class Begin:
    pass


@dataclass(frozen=True)
class Collect:
    unit: Unit
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Run:
    unit: Unit


@dataclass(frozen=True)
class Commit:
    pass


@dataclass(frozen=True)
class Rollback:
    pass


@dataclass(frozen=True)
class RollbackAll:
    pass


@dataclass(frozen=True)
class Done:
    pass


Action = Replay | Refresh | Begin | Collect | Run | Commit | Rollback | RollbackAll | Done


# -- outcomes -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Ok:
    value: Any = None


@dataclass(frozen=True)
class Failed:
    error: BaseException
    broken: bool = False


@dataclass(frozen=True)
class Cancelled:
    exc: BaseException


class CopyRefused(Exception):
    """What the runner reports when the driver refused a COPY unit before sending any of
    it (a column type COPY cannot carry): the engine re-plans it as multi-row INSERTs."""
