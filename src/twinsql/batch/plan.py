"""Batch feature, pure: the batch planner — which statements go together, and how.

The batcher's queue holds statements in submission order, grouped into *runs*: consecutive
statements with the same ``Shape.key`` (the same SQL text; for INSERTs with literal values,
the same INSERT prefix). ``plan_batch`` cuts the next batch from the queue and turns it into
*units*, each one round trip:

* ``values`` — consecutive same-shape INSERTs as one multi-row ``INSERT … VALUES (…), (…)``,
  built from their ``InsertTemplate`` by ``twinsql.sql.insert.merged_sql``, chunked under
  the parameter limit;
* ``copy``   — a long run of plain PostgreSQL INSERTs as one ``COPY … FROM STDIN``, unless
  this batcher's server already refused a COPY of that statement (``PlanOptions.copy_refused``);
* ``many``   — consecutive identical parameterised statements through ``executemany``;
* ``single`` — one statement as written.

Limits (``Limits``): a batch holds at most ``batch_bytes`` of statements (their nominal
sizes: SQL text plus values; ``max_bytes`` adjusted by column count when asked), and at
most ``queue.BATCH_STATEMENTS`` statements; every
statement *sent* stays under the driver's parameter limit and ``max_statement_bytes`` (the
adapter's ``max_query_size``, MySQL's ``max_allowed_packet``). A statement that alone
breaks a hard limit is refused before anything is sent (``Batch.reject``); one larger than
the batch budget alone is a batch of its own. A statement that must run outside a
transaction (``Shape.outside_transaction``), or writes a MySQL table that cannot roll back
(``PlanOptions.nontransactional``: a failed batch could not be undone, so nothing may be merged
or batched with it), is a batch of its own too (``Batch.autocommit``).
A statement that changes the session (``Shape.session``: ``SET``, ``USE`` …) ends its batch:
what follows is planned once it has run (MySQL's ``sql_mode`` decides whether INSERTs merge).

Order is kept: units follow the queue, so an UPDATE between two INSERTs stays between them.
Each unit knows the statement indices it carries, so the ledger stays exact through merging.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Sequence, Set
from dataclasses import dataclass, field
from typing import Any

from twinsql.batch.queue import BATCH_STATEMENTS, Run, StatementQueue
from twinsql.batch.statements import Shape, StatementTooLarge
from twinsql.sql.insert import InsertTemplate, merged_sql
from twinsql.sql.insert_plan import rows_per_statement
from twinsql.sql.placeholders import ParamStyle
from twinsql.sql.sizes import MYSQL_PER_VALUE, MYSQL_SIZE_FACTOR, precise_size

__all__ = [
    "Batch",
    "Limits",
    "PlanOptions",
    "Unit",
    "adjusted_max_bytes",
    "plan_batch",
    "strict_sql_mode",
    "values_units",
]


def strict_sql_mode(sql_mode: str) -> bool:
    """Whether MySQL's ``sql_mode`` makes a multi-row INSERT fail where one of its rows
    alone would (a strict mode). In any other mode MySQL stores a bad value of a multi-row
    INSERT's later rows as the column's implicit default with a warning, so INSERTs are not
    merged there."""
    modes = {mode.strip().upper() for mode in sql_mode.split(",")}
    return bool(modes & {"STRICT_TRANS_TABLES", "STRICT_ALL_TABLES"})


def adjusted_max_bytes(
    max_bytes: int,
    column_count: int | None,
    reference_column_count: int,
    min_factor: float,
    max_factor: float,
) -> int:
    """The column-aware batch budget: ``max_bytes × clamp(reference / columns, min, max)``
    (narrow rows get a larger budget, wide rows a smaller one). Hard limits (the adapter's
    ``max_query_size``, the packet size) are enforced separately, so the factor can never
    push a statement past them."""
    if not column_count:
        return max_bytes
    factor = min(max(reference_column_count / column_count, min_factor), max_factor)
    return max(1, int(max_bytes * factor))


@dataclass(frozen=True)
class Limits:
    """The budgets of one batch and of one statement sent."""

    batch_bytes: int
    max_params: int
    max_statement_bytes: int | None = None
    # MySQL drivers interpolate values into the text: bound their escaped size.
    interpolated: bool = False

    def statement_bound(self, text_bytes: int, value_bytes: int, params: int) -> int:
        if self.interpolated:
            return text_bytes + MYSQL_SIZE_FACTOR * value_bytes + MYSQL_PER_VALUE * params
        return text_bytes + value_bytes


@dataclass(frozen=True)
class PlanOptions:
    style: ParamStyle
    merge_inserts: bool = True
    batch_mode: bool = True
    executemany: bool = True  # allowed only where a failed unit is rolled back as a whole
    # PyMySQL and asyncmy rewrite an INSERT given to executemany into multi-row statements
    # with a regex over its text: on MySQL, INSERTs are merged here or sent one by one.
    executemany_inserts: bool = True
    copy: bool = False  # the session can COPY (PostgreSQL)
    copy_min_rows: int = 100
    # Statement texts whose COPY this batcher's server refused for a reason COPY alone has
    # (a column type without a binary COPY format): planned as multi-row VALUES instead.
    copy_refused: Set[str] = frozenset()
    singles_only: bool = False  # one statement per round trip (results per statement)
    # MySQL tables whose engine cannot roll back (MyISAM …), as ``Shape.target`` names
    # them: a write to one runs alone in autocommit, so its outcome is settled at once.
    nontransactional: Set[str] = frozenset()

    def alone(self, shape: Shape) -> bool:
        """Whether ``shape`` must be a batch of its own, outside any transaction."""
        return shape.outside_transaction or (
            shape.target is not None and shape.target in self.nontransactional
        )


@dataclass(eq=False)
class Unit:
    """One round trip: statements ``run.start + lo … run.start + hi - 1``."""

    kind: str  # "single" | "values" | "many" | "copy"
    run: Run
    lo: int  # list positions in ``run``
    hi: int
    sql: str
    params: Any

    @property
    def first(self) -> int:
        return self.run.start + self.lo

    @property
    def count(self) -> int:
        return self.hi - self.lo

    @property
    def indices(self) -> range:
        return range(self.run.start + self.lo, self.run.start + self.hi)

    def statement(self, offset: int) -> tuple[Shape, Sequence[Any], Any]:
        """``(shape, bound values, submitted params)`` of the statement at run offset."""
        run = self.run
        return run.shape_at(offset), run.bound[offset], run.params[offset]


@dataclass(eq=False)
class Batch:
    """What ``plan_batch`` returns: the units of the next batch, or a refusal of the
    statement at the head of the queue (``reject``: its index and the error)."""

    units: list[Unit] = field(default_factory=list)
    count: int = 0
    size: int = 0
    autocommit: bool = False  # a statement to run alone, outside a transaction
    reject: tuple[int, StatementTooLarge] | None = None


def _too_large(limits: Limits, shape: Shape, bound: Sequence[Any], size: int) -> str | None:
    """Why one statement alone breaks a limit of a statement sent, or None."""
    if shape.count > limits.max_params:
        return (
            f"the statement has {shape.count} parameters; the driver allows at most "
            f"{limits.max_params}"
        )
    cap = limits.max_statement_bytes
    if cap is None:
        return None
    value_bytes = size - shape.base
    if limits.statement_bound(shape.text_size, value_bytes, shape.count) <= cap:
        return None
    bound_size = shape.text_size + (precise_size(bound) if limits.interpolated else value_bytes)
    if bound_size <= cap:
        return None
    return f"the statement takes about {bound_size} bytes; at most {cap} may be sent at once"


def plan_batch(queue: StatementQueue, skip: int, limits: Limits, options: PlanOptions) -> Batch:
    """Cut the next batch from ``queue``, starting after its first ``skip`` statements
    (those already run in the current transaction). An empty batch means nothing is left."""
    batch = Batch()
    budget = limits.batch_bytes
    max_count = None if options.batch_mode else 1
    most = BATCH_STATEMENTS if max_count is None else max_count
    for run, lo in queue.segments(skip):
        shape = run.shape_at(lo)
        if options.alone(shape):
            if batch.count:
                return batch
            return _alone(run, lo, limits, batch)
        sizes = run.sizes
        n = len(sizes)
        room = budget - batch.size
        if max_count is None and run.shapes is None:
            # The common case, without a loop in Python: bisect the run's cumulative sizes.
            cumulative = run.cumulative()
            before = cumulative[lo - 1] if lo else 0
            hi = bisect.bisect_right(cumulative, before + room, lo, min(n, lo + most - batch.count))
            if hi == lo and not batch.count:
                hi = lo + 1  # a statement always fits an empty batch (none is over budget)
            if run.shape.session:
                hi = min(hi, lo + 1)
        else:
            hi = lo
            while hi < n:
                if batch.count + hi - lo >= most:
                    break
                size = sizes[hi]
                if size > room and (batch.count or hi > lo):
                    break
                if run.shapes is not None and options.alone(run.shapes[hi]):
                    break
                room -= size
                hi += 1
                if run.shape_at(hi - 1).session:
                    break
        if hi == lo:
            return batch
        # Hard limits, per statement sent: find the first statement that breaks one.
        bad = _first_too_large(run, lo, hi, limits)
        if bad is not None:
            offset, reason = bad
            if offset == lo and not batch.count:
                error = StatementTooLarge(
                    reason, sql=run.shape_at(offset).sql, params=run.params[offset]
                )
                batch.reject = (run.start + offset, error)
                return batch
            hi = offset
            if hi == lo:
                return batch
        batch.units.extend(_units(run, lo, hi, limits, options))
        batch.count += hi - lo
        batch.size += sum(sizes[lo:hi])
        if (
            hi < n
            or bad is not None
            or batch.count >= most
            or run.shape_at(hi - 1).session
        ):
            return batch
    return batch


def _alone(run: Run, lo: int, limits: Limits, batch: Batch) -> Batch:
    shape, bound, params = run.shape_at(lo), run.bound[lo], run.params[lo]
    reason = _too_large(limits, shape, bound, run.sizes[lo])
    if reason is not None:
        batch.reject = (run.start + lo, StatementTooLarge(reason, sql=shape.sql, params=params))
        return batch
    batch.units.append(Unit("single", run, lo, lo + 1, shape.compiled.text, bound))
    batch.count, batch.size, batch.autocommit = 1, run.sizes[lo], True
    return batch


def _first_too_large(run: Run, lo: int, hi: int, limits: Limits) -> tuple[int, str] | None:
    shape = run.shape
    if run.shapes is None and shape.count <= limits.max_params and (
        limits.max_statement_bytes is None
        or limits.statement_bound(shape.text_size, max(run.sizes[lo:hi]) - shape.base,
                                  shape.count) <= limits.max_statement_bytes
    ):  # fmt: skip
        return None  # the common case, decided without a loop in Python
    for offset in range(lo, hi):
        reason = _too_large(limits, run.shape_at(offset), run.bound[offset], run.sizes[offset])
        if reason is not None:
            return offset, reason
    return None


def _units(run: Run, lo: int, hi: int, limits: Limits, options: PlanOptions) -> list[Unit]:
    shape = run.shape
    template = shape.template
    count = hi - lo
    if count > 1 and not options.singles_only:
        if template is not None and options.merge_inserts:
            if (
                options.copy
                and run.shapes is None
                and template.copy_target is not None
                and shape.sql not in options.copy_refused
                and shape.count > 0
                and count >= options.copy_min_rows
            ):
                return [Unit("copy", run, lo, hi, _copy_sql(template), run.bound[lo:hi])]
            return values_units(run, lo, hi, template, limits, options.style)
        if (
            shape.count > 0
            and run.shapes is None
            and shape.parts is None
            and options.executemany
            and (options.executemany_inserts or shape.verb not in ("INSERT", "REPLACE"))
        ):
            return [Unit("many", run, lo, hi, shape.sql, run.params[lo:hi])]
    units = []
    for offset in range(lo, hi):
        s = run.shape_at(offset)
        units.append(Unit("single", run, offset, offset + 1, s.compiled.text, run.bound[offset]))
    return units


def _copy_sql(template: InsertTemplate) -> str:
    """A description of the COPY for logs and collectors (the driver quotes the names)."""
    assert template.copy_target is not None
    schema, table, columns = template.copy_target
    name = f"{schema}.{table}" if schema else table
    cols = f" ({', '.join(columns)})" if columns else ""
    return f"COPY {name}{cols} FROM STDIN"


def values_units(
    run: Run, lo: int, hi: int, template: InsertTemplate, limits: Limits, style: ParamStyle
) -> list[Unit]:
    """Statements ``lo … hi-1`` of ``run`` (same-shape INSERTs) as multi-row INSERT units
    under the limits (a lone row as a single statement)."""
    shape = run.shape
    # Values each row binds: a name used twice in a row is bound once in numeric style.
    per_row = len(run.bound[lo])
    prefix, suffix, _, _ = template.rendered(style)
    fixed = len(prefix) + len(suffix)
    # Rows per statement: under the parameter limits, and a cap for literal rows.
    max_rows = rows_per_statement(limits.max_params, per_row)
    # Bytes per statement: fixed part + per row (row text, separator, values).
    cap = limits.max_statement_bytes
    units: list[Unit] = []
    # bound(rows a..b) = fixed + factor × (S[b] - S[a]) + (b - a) × per_row_const, where S
    # is the cumulative nominal size: monotone in b, so the cut is found by bisection.
    # (Rows without placeholders carry no values to escape: their text is exact.)
    factor = MYSQL_SIZE_FACTOR if limits.interpolated and per_row else 1
    # The longest row text: in numeric style the last row's marks have the most digits.
    row_length = len(template.row_text(style, (max_rows - 1) * per_row))
    per_row_const = (
        row_length + 2
        + (MYSQL_PER_VALUE * per_row if limits.interpolated else 0)
        - factor * shape.base
    )  # fmt: skip
    cumulative = list(itertools.accumulate(run.sizes[lo:hi], initial=0)) if cap else []

    def fits(a: int, b: int) -> bool:
        assert cap is not None
        return (
            fixed + factor * (cumulative[b - lo] - cumulative[a - lo]) + (b - a) * (per_row_const)
            <= cap
        )

    start = lo
    while start < hi:
        stop = min(hi, start + max_rows)
        if cap is not None and not fits(start, stop):
            good, bad = start + 1, stop  # one row always fits: it was checked alone
            while bad - good > 1:
                middle = (good + bad) // 2
                if fits(start, middle):
                    good = middle
                else:
                    bad = middle
            stop = good
        if stop - start == 1:
            s = run.shape_at(start)
            units.append(Unit("single", run, start, stop, s.compiled.text, run.bound[start]))
        else:
            units.append(_values_unit(run, start, stop, template, style))
        start = stop
    return units


def _values_unit(run: Run, lo: int, hi: int, template: InsertTemplate, style: ParamStyle) -> Unit:
    count = hi - lo
    if run.shapes is None:
        sql = merged_sql(template, style, count, len(run.bound[lo]))
        if run.shape.count:
            params: Any = list(itertools.chain.from_iterable(run.bound[lo:hi]))
        else:
            params = ()
        return Unit("values", run, lo, hi, sql, params)
    # Literal rows of different texts (count is 0 for each: the run key says so).
    prefix, suffix, _, _ = template.rendered(style)
    rows = [run.shapes[i].template.row_text(style) for i in range(lo, hi)]  # type: ignore[union-attr]
    return Unit("values", run, lo, hi, prefix + ", ".join(rows) + suffix, ())
