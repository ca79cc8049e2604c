"""Batch feature, pure: the batcher's queue of pending statements.

Statements wait here in submission order until they are settled (committed, rejected, or
held aside as unknown). They are grouped into *runs*: consecutive statements with the same
``Shape.key`` (the same SQL text; for INSERTs with literal values, the same INSERT prefix),
which is what the planner (``plan``) merges. A run keeps its statements' bound
values, the parameters as submitted (for ``executemany``, reports and resubmission) and
their nominal sizes in parallel lists, so that a 100 000-row load is three lists, not
100 000 objects.

A run's lists only grow (positions never move, see ``Run``), so a run that kept taking
statements while its front was sent would hold every statement of a long load: once most of
a run has left, the next statement of that key opens a new run instead, and the old one is
dropped when its last statement leaves. Memory then follows what is queued, not the length
of the load.

A batch's worth is ``max_bytes`` of statements or ``BATCH_STATEMENTS`` of them, whichever
comes first (``holds_batch``): the byte budget alone would let a dump of tiny INSERTs queue
tens of thousands of statements, each with its own analysed text, at once.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

from twinsql.batch.statements import Shape

__all__ = ["BATCH_STATEMENTS", "Queued", "Run", "StatementQueue"]

# The most statements one batch holds, and a queue mid-stream before it is sent: each holds
# its text, shape and values (about a kilobyte for a dump's literal INSERT), so a batch stays
# a few megabytes, while a merged INSERT of this many rows costs no more round trips than a
# larger one would save.
BATCH_STATEMENTS = 5_000

# A run whose front has lost at least this many statements, and at least half of them, takes
# no more: the next statement of its key starts a new run.
_RETIRE_AFTER = 1024


class Run:
    """Consecutive queued statements with one ``Shape.key``.

    The statement at list position ``p`` has index ``start + p``. Positions never move:
    statements leave from the front by advancing ``head`` (the first live position), so a
    unit planned from this run stays valid while earlier statements are settled (autocommit
    settles unit by unit), and leaving costs no copying.
    """

    __slots__ = ("_cumulative", "bound", "head", "params", "shape", "shapes", "sizes", "start")

    def __init__(self, shape: Shape, start: int) -> None:
        self.shape = shape
        self.start = start
        self.head = 0
        self._cumulative: list[int] = []
        self.bound: list[Sequence[Any]] = []  # values in the compiled statement's order
        self.params: list[Any] = []  # as submitted (for executemany, reports, resubmission)
        self.sizes: list[int] = []  # nominal size of each statement
        self.shapes: list[Shape] | None = None  # per statement, only when texts differ

    def __len__(self) -> int:
        """Statements still queued in this run."""
        return len(self.sizes) - self.head

    def shape_at(self, position: int) -> Shape:
        return self.shape if self.shapes is None else self.shapes[position]

    def cumulative(self) -> list[int]:
        """``c[p] = sizes[0] + … + sizes[p]``, kept up to date as the run grows."""
        cumulative, sizes = self._cumulative, self.sizes
        done = len(cumulative)
        if done < len(sizes):
            total = cumulative[-1] if done else 0
            cumulative.extend(itertools.accumulate(itertools.islice(sizes, done, None),
                                                   initial=total))  # fmt: skip
            del cumulative[done]  # the initial value repeated
        return cumulative

    def copy(self, lo: int, hi: int) -> Run:
        """A new run holding positions ``lo … hi-1`` of this one (this one is unchanged)."""
        run = Run(self.shape_at(lo) if lo < hi else self.shape, self.start + lo)
        run.bound, run.params, run.sizes = self.bound[lo:hi], self.params[lo:hi], self.sizes[lo:hi]
        if self.shapes is not None:
            run.shapes = self.shapes[lo:hi]
        return run


class Queued(NamedTuple):
    """One statement taken out of the queue."""

    number: int  # the statement index
    shape: Shape
    bound: Sequence[Any]
    params: Any
    size: int


class StatementQueue:
    """The pending statements of a batcher, in order (see the module docstring)."""

    __slots__ = ("_runs", "count", "size")

    def __init__(self) -> None:
        self._runs: deque[Run] = deque()
        self.count = 0
        self.size = 0

    def __len__(self) -> int:
        return self.count

    def __bool__(self) -> bool:
        return self.count > 0

    def holds_batch(self, budget: int) -> bool:
        """Whether the queue holds a batch's worth: ``budget`` bytes or ``BATCH_STATEMENTS``
        statements (any statement at all when ``budget`` is 0)."""
        return self.count > 0 and (self.size >= budget or self.count >= BATCH_STATEMENTS)

    def open_run(self, shape: Shape, index: int) -> Run:
        """The run statement ``index`` (of ``shape``) joins: the last one when it has the
        same key and ends just before ``index`` (and has not retired, see the module
        docstring), else a new one. Appending to its lists is the caller's job (and
        updating ``count`` and ``size``)."""
        runs = self._runs
        if runs:
            run = runs[-1]
            if (
                run.shape.key == shape.key
                and run.start + len(run.sizes) == index
                and (run.head < _RETIRE_AFTER or 2 * run.head < len(run.sizes))
            ):
                return run
        run = Run(shape, index)
        runs.append(run)
        return run

    def append(
        self, shape: Shape, bound: Sequence[Any], params: Any, size: int, index: int
    ) -> None:
        run = self.open_run(shape, index)
        if run.shapes is not None or shape is not run.shape:
            if run.shapes is None:
                run.shapes = [run.shape] * len(run.sizes)
            run.shapes.append(shape)
        run.bound.append(bound)
        run.params.append(params)
        run.sizes.append(size)
        self.count += 1
        self.size += size

    def segments(self, skip: int = 0) -> Iterator[tuple[Run, int]]:
        """``(run, first position)`` from the ``skip``-th queued statement on."""
        for run in self._runs:
            live = len(run)
            if skip >= live:
                skip -= live
                continue
            yield run, run.head + skip
            skip = 0

    def pop_front(self, count: int) -> None:
        """Forget the first ``count`` statements (committed, or settled otherwise)."""
        runs = self._runs
        while count > 0 and runs:
            run = runs[0]
            taken = min(count, len(run))
            head = run.head
            self.size -= sum(run.sizes[head : head + taken])
            self.count -= taken
            count -= taken
            # Nothing reads a position before the head again: drop what it holds now (a
            # megabyte of COPY rows, say) rather than when the run is dropped.
            run.bound[head : head + taken] = [()] * taken
            run.params[head : head + taken] = [None] * taken
            if run.shapes is not None:
                run.shapes[head : head + taken] = [run.shape] * taken
            run.head = head + taken
            if not len(run):
                runs.popleft()

    def remove(self, index: int) -> tuple[str, Any]:
        """Take statement ``index`` out of the queue; return its SQL and parameters."""
        for place, run in enumerate(self._runs):
            position = index - run.start
            if run.head <= position < len(run.sizes):
                sql, params = run.shape_at(position).sql, run.params[position]
                self.count -= 1
                self.size -= run.sizes[position]
                pieces = [run.copy(run.head, position), run.copy(position + 1, len(run.sizes))]
                del self._runs[place]
                for piece in reversed(pieces):
                    if piece.sizes:
                        self._runs.insert(place, piece)
                return sql, params
        raise KeyError(index)

    def take_front(self, count: int) -> list[Queued]:
        """Remove and return the first ``count`` statements (to hold them aside while their
        outcome is unknown); ``push_front`` puts some of them back."""
        taken: list[Queued] = []
        for run in self._runs:
            if len(taken) >= count:
                break
            for p in range(run.head, run.head + min(len(run), count - len(taken))):
                taken.append(
                    Queued(run.start + p, run.shape_at(p), run.bound[p], run.params[p],
                           run.sizes[p])
                )  # fmt: skip
        self.pop_front(count)
        return taken

    def push_front(self, items: Sequence[Queued]) -> None:
        """Put statements back at the front, in index order (they must precede the rest)."""
        runs: list[Run] = []
        for item in sorted(items, key=lambda q: q.number):
            run = runs[-1] if runs else None
            if (
                run is None
                or run.shape.key != item.shape.key
                or run.start + len(run.sizes) != item.number
            ):
                run = Run(item.shape, item.number)
                runs.append(run)
            elif run.shapes is not None or item.shape is not run.shape:
                if run.shapes is None:
                    run.shapes = [run.shape] * len(run.sizes)
                run.shapes.append(item.shape)
            run.bound.append(item.bound)
            run.params.append(item.params)
            run.sizes.append(item.size)
            self.count += 1
            self.size += item.size
        self._runs.extendleft(reversed(runs))

    def clear(self) -> list[tuple[int, str, Any]]:
        """Empty the queue; return what it held as ``(index, sql, params)``."""
        items = list(self.items())
        self._runs.clear()
        self.count = self.size = 0
        return items

    def items(self) -> Iterator[tuple[int, str, Any]]:
        for run in self._runs:
            for p in range(run.head, len(run.sizes)):
                yield run.start + p, run.shape_at(p).sql, run.params[p]

    def first_index(self) -> int | None:
        return self._runs[0].start + self._runs[0].head if self._runs else None
