"""Batch feature, pure: the batcher's ledger — where every submitted statement stands.

Each statement handed to a batcher gets an index (0, 1, 2 … since the batcher was created or
reset) and is, at every moment, in exactly one state:

* ``pending``  — not executed, or executed in a transaction that was rolled back: it can be
  sent (again) without doing anything twice;
* ``applied``  — its transaction's COMMIT was acknowledged (or ``reconcile`` proved it);
* ``rejected`` — it failed with a permanent error (kept with the statement), or was refused
  before sending (two statements in one string, too large, wrong parameters);
* ``unknown``  — the connection broke after COMMIT was sent: it may or may not be applied.

The states live in a ``bytearray`` (one byte per statement) and move in ranges, so a
100 000-row load costs a few slice assignments, not 100 000 Python objects. The statements
themselves are kept only while they are not applied (the batcher's queue holds the pending
ones; this ledger the rejected and unknown ones).
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from twinsql.errors import Error

__all__ = [
    "BatchIncomplete",
    "BatchReport",
    "Ledger",
    "LedgerCounts",
    "LedgerEntry",
    "Outcome",
    "StatementState",
]


class StatementState(str, enum.Enum):
    """Where one submitted statement stands."""

    PENDING = "pending"
    APPLIED = "applied"
    REJECTED = "rejected"
    UNKNOWN = "unknown"


_STATES = (
    StatementState.PENDING,
    StatementState.APPLIED,
    StatementState.REJECTED,
    StatementState.UNKNOWN,
)
PENDING, APPLIED, REJECTED, UNKNOWN = 0, 1, 2, 3
_CODE = {state: code for code, state in enumerate(_STATES)}


class LedgerCounts(NamedTuple):
    """How many statements are in each state; the four add up to ``submitted``."""

    submitted: int
    applied: int
    rejected: int
    pending: int
    unknown: int


@dataclass(frozen=True)
class LedgerEntry:
    """One statement in the report: its index, state, SQL and parameters (as submitted)
    and, for a rejected (or unknown) one, the error."""

    index: int
    state: StatementState
    sql: str | None
    params: Any
    error: BaseException | None = None


class Outcome:
    """What one transaction did, held until it commits: the index ranges that ran, the
    statements rejected inside it (savepoint isolation), and results when asked for. On
    COMMIT they become ``applied``/``rejected``; on a rollback they are forgotten (pending)."""

    __slots__ = ("applied", "rejected", "results", "session")

    def __init__(self, results: bool = False) -> None:
        self.applied: list[tuple[int, int]] = []
        self.rejected: list[tuple[int, BaseException, str, Any]] = []
        self.results: dict[int, Any] | None = {} if results else None
        # Session statements that ran (shape, bound values, params): kept on COMMIT.
        self.session: list[tuple[Any, Any, Any]] = []

    def ran(self, start: int, stop: int, result: Any = None) -> None:
        applied = self.applied
        if applied and applied[-1][1] == start:
            applied[-1] = (applied[-1][0], stop)  # extend: one range per contiguous stretch
        else:
            applied.append((start, stop))
        if self.results is not None and stop - start == 1:
            self.results[start] = result

    def reject(self, index: int, error: BaseException, sql: str, params: Any) -> None:
        self.rejected.append((index, error, sql, params))
        if self.results is not None:
            self.results[index] = error

    def settle(self, ledger: Ledger) -> None:
        """The transaction committed: record everything in ``ledger``."""
        for start, stop in self.applied:
            ledger.applied_range(start, stop)
        for index, error, sql, params in self.rejected:
            ledger.mark(index, StatementState.REJECTED, sql=sql, params=params, error=error)


class Ledger:
    """The mutable ledger a batcher keeps (see the module docstring)."""

    __slots__ = ("_counts", "_errors", "_held", "_states")

    def __init__(self) -> None:
        self._states = bytearray()
        self._counts = [0, 0, 0, 0]
        # index -> (sql, params) for rejected and unknown statements; index -> error.
        self._held: dict[int, tuple[str, Any]] = {}
        self._errors: dict[int, BaseException] = {}

    def __len__(self) -> int:
        return len(self._states)

    def submit(self, count: int = 1) -> int:
        """Register ``count`` new pending statements; return the index of the first."""
        first = len(self._states)
        self._states.extend(bytes(count))
        self._counts[PENDING] += count
        return first

    def state(self, index: int) -> StatementState:
        return _STATES[self._states[index]]

    def counts(self) -> LedgerCounts:
        c = self._counts
        return LedgerCounts(len(self._states), c[APPLIED], c[REJECTED], c[PENDING], c[UNKNOWN])

    def count(self, state: StatementState) -> int:
        return self._counts[_CODE[state]]

    def applied_range(self, start: int, stop: int) -> None:
        """Statements ``start … stop-1``, all pending, were committed."""
        if stop <= start:
            return
        states = self._states
        moved = states.count(PENDING, start, stop)
        if moved != stop - start:
            raise RuntimeError(
                f"ledger: statements {start}..{stop - 1} are not all pending ({moved} are)"
            )
        states[start:stop] = bytes([APPLIED]) * (stop - start)
        self._counts[PENDING] -= moved
        self._counts[APPLIED] += moved

    def mark(self, index: int, state: StatementState, *, sql: str | None = None,
             params: Any = None, error: BaseException | None = None) -> None:  # fmt: skip
        """Move one statement to ``state`` (keeping its SQL and error when it is not
        applied). Allowed moves: pending → anything; unknown → applied or pending."""
        code = _CODE[state]
        old = self._states[index]
        if old != PENDING and not (old == UNKNOWN and code in (APPLIED, PENDING)):
            raise RuntimeError(f"ledger: statement {index} cannot go from {_STATES[old].value} "
                               f"to {state.value}")  # fmt: skip
        self._states[index] = code
        self._counts[old] -= 1
        self._counts[code] += 1
        if code in (REJECTED, UNKNOWN):
            if sql is not None:
                self._held[index] = (sql, params)
            if error is not None:
                self._errors[index] = error
        else:
            self._held.pop(index, None)
            self._errors.pop(index, None)

    def held(self, index: int) -> tuple[str, Any] | None:
        return self._held.get(index)

    def error(self, index: int) -> BaseException | None:
        return self._errors.get(index)

    def indices(self, state: StatementState, start: int = 0, stop: int | None = None) -> list[int]:
        code = _CODE[state]
        states = self._states
        stop = len(states) if stop is None else stop
        out: list[int] = []
        index = states.find(code, start, stop)
        while index != -1:
            out.append(index)
            index = states.find(code, index + 1, stop)
        return out

    def report(
        self,
        start: int = 0,
        stop: int | None = None,
        *,
        pending: Mapping[int, tuple[str, Any]] | None = None,
        error: BaseException | None = None,
        batches: int = 0,
        retries: int = 0,
        dry_run: bool = False,
        unread: Sequence[tuple[str, Any]] = (),
    ) -> BatchReport:
        """A snapshot of statements ``start … stop-1``; ``pending`` gives the SQL and
        parameters of pending statements (the batcher's queue), ``error`` what stopped the
        last run, if anything did. ``unread``: statements of the input that were never
        taken in (a run stopped before them), reported as pending after the last one."""
        stop = len(self._states) if stop is None else stop
        states = bytes(self._states[start:stop]) + bytes([PENDING]) * len(unread)
        held = {i: v for i, v in self._held.items() if start <= i < stop}
        errors = {i: v for i, v in self._errors.items() if start <= i < stop}
        if pending:
            held.update((i, v) for i, v in pending.items() if start <= i < stop)
        held.update((stop + offset, item) for offset, item in enumerate(unread))
        return BatchReport(
            start, states, held, errors, error=error, batches=batches, retries=retries,
            dry_run=dry_run,
        )  # fmt: skip


class BatchReport:
    """A snapshot of the ledger for a range of statements (what ``process_statements``
    returns, and ``batcher.report``). Indices are the batcher's statement indices; for a
    report from ``process_statements`` on a fresh batcher they are the positions in the
    list that was passed.

    ``error`` is the exception that stopped the run early, if one did; ``ok`` is true when
    every statement was applied.
    """

    def __init__(
        self,
        start: int,
        states: bytes,
        held: Mapping[int, tuple[str, Any]],
        errors: Mapping[int, BaseException],
        *,
        error: BaseException | None = None,
        batches: int = 0,
        retries: int = 0,
        dry_run: bool = False,
    ) -> None:
        self.start = start
        self._states = states
        self._held = dict(held)
        self._errors = dict(errors)
        self.error = error
        self.batches = batches
        self.retries = retries
        self.dry_run = dry_run
        self.submitted = len(states)
        self.applied = states.count(APPLIED)
        self.rejected = states.count(REJECTED)
        self.pending = states.count(PENDING)
        self.unknown = states.count(UNKNOWN)

    @property
    def counts(self) -> LedgerCounts:
        return LedgerCounts(self.submitted, self.applied, self.rejected, self.pending,
                            self.unknown)  # fmt: skip

    @property
    def ok(self) -> bool:
        """Every statement applied (a dry run is ok when nothing was refused)."""
        if self.dry_run:
            return self.rejected == 0 and self.unknown == 0
        return self.applied == self.submitted

    def __len__(self) -> int:
        return self.submitted

    def __iter__(self) -> Iterator[LedgerEntry]:
        for offset in range(self.submitted):
            yield self.entry(self.start + offset)

    def state(self, index: int) -> StatementState:
        return _STATES[self._states[self._offset(index)]]

    def entry(self, index: int) -> LedgerEntry:
        state = self.state(index)
        sql, params = self._held.get(index, (None, None))
        return LedgerEntry(index, state, sql, params, self._errors.get(index))

    def indices(self, state: StatementState | str) -> list[int]:
        code = _CODE[StatementState(state)]
        return [self.start + i for i, c in enumerate(self._states) if c == code]

    def entries(self, state: StatementState | str) -> list[LedgerEntry]:
        return [self.entry(i) for i in self.indices(state)]

    def pending_statements(self) -> list[tuple[str, Any]]:
        """The pending statements as ``(sql, params)`` in order, for resubmission."""
        return [
            (e.sql, e.params) for e in self.entries(StatementState.PENDING) if e.sql is not None
        ]

    def raise_for_status(self) -> None:
        """Raise ``BatchIncomplete`` unless every statement was applied."""
        if not self.ok:
            raise BatchIncomplete(self)

    def summary(self, *, limit: int = 10) -> str:
        """A human-readable account: the counts, then up to ``limit`` statements per
        non-applied state with their errors."""
        lines = [
            f"submitted {self.submitted}: applied {self.applied}, rejected {self.rejected}, "
            f"pending {self.pending}, unknown {self.unknown}"
            + (" (dry run: nothing was executed)" if self.dry_run else "")
        ]
        if self.error is not None:
            lines.append(f"stopped by {type(self.error).__name__}: {_first_line(self.error)}")
        for state in (StatementState.REJECTED, StatementState.UNKNOWN):
            chosen = self.indices(state)
            for index in chosen[:limit]:
                error = self._errors.get(index)
                sql = self._held.get(index, ("", None))[0]
                reason = f"{type(error).__name__}: {_first_line(error)}" if error else ""
                lines.append(f"  {state.value} #{index}: {reason}  [{_short(sql)}]")
            if len(chosen) > limit:
                lines.append(f"  … {len(chosen) - limit} more {state.value}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"<BatchReport submitted={self.submitted} applied={self.applied} "
            f"rejected={self.rejected} pending={self.pending} unknown={self.unknown}>"
        )

    def _offset(self, index: int) -> int:
        offset = index - self.start
        if not 0 <= offset < self.submitted:
            raise IndexError(f"statement {index} is not in this report")
        return offset


def _first_line(error: BaseException) -> str:
    text = getattr(error, "message", None) or str(error)
    return str(text).strip().splitlines()[0] if str(text).strip() else type(error).__name__


def _short(sql: str | None, limit: int = 80) -> str:
    if not sql:
        return ""
    flat = " ".join(sql.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class BatchIncomplete(Error):
    """A batcher ended (or ``report.raise_for_status()`` was called) with statements that
    were not applied; ``report`` says which and why."""

    def __init__(self, report: BatchReport) -> None:
        self.report = report
        super().__init__("not every statement was applied:\n" + report.summary())


def check_counts(counts: LedgerCounts) -> None:
    """Raise ``AssertionError`` when the counts do not add up (a ledger invariant)."""
    total = counts.applied + counts.rejected + counts.pending + counts.unknown
    if total != counts.submitted:
        raise AssertionError(f"ledger counts do not add up: {counts}")
