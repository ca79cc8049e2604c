"""Batch feature, pure: taking statements into a batcher's queue — the hot path of a bulk load.

Every statement is checked on the way in (``analyze`` for its text, ``bind`` for its
parameters, its size against the limits) and appended to the queue with the next ledger
index. A 100 000-row load passes through here 100 000 times, so ``feed`` is written for
that: a statement with the same text as the one before it (the usual case: one INSERT with
changing values) skips the analysis, a positional tuple of the right length is taken as it
is, and the ledger and queue counters are updated once per call rather than per statement.
Anything unusual takes the general path, which checks the same things one by one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from twinsql.batch.charsets import UTF8_CHARSETS, set_names
from twinsql.batch.ledger import Ledger
from twinsql.batch.queue import BATCH_STATEMENTS, StatementQueue
from twinsql.batch.statements import (
    LiteralStatement,
    Shape,
    StatementTooLarge,
    analyze,
    literal_shape,
)
from twinsql.errors import ArgumentError
from twinsql.sql.lexer import Lexer
from twinsql.sql.literal_insert import literal_insert
from twinsql.sql.placeholders import ParamStyle
from twinsql.sql.sizes import NOMINAL_SIZE, other_value_size, values_size

__all__ = ["Intake", "Refusal", "Refused", "split_item"]


def split_item(item: Any) -> tuple[Any, Any]:
    """A statement as ``(sql, params)``: a SQL string, or a ``(sql, params)`` pair."""
    if isinstance(item, str):
        return item, None
    if isinstance(item, (tuple, list)) and len(item) == 2 and isinstance(item[0], str):
        return item[0], item[1]
    raise ArgumentError(
        f"a statement is a SQL string or a (sql, params) pair, not {type(item).__name__}"
    )


@dataclass(frozen=True, slots=True)
class Refused:
    """An item its producer refuses itself (a script line that is no statement it can
    run): taken in like any statement, then refused with ``error`` before anything of it is
    sent, so that it is on the ledger as rejected, in its place."""

    sql: str
    error: ArgumentError


class Refusal(Exception):
    """A statement ``feed`` refused (``error``): it was not queued; the caller records it."""

    def __init__(self, sql: str, params: Any, error: ArgumentError) -> None:
        super().__init__(str(error))
        self.sql = sql
        self.params = params
        self.error = error


class Intake:
    """Checks statements and appends them to ``queue`` / ``ledger`` (see the module
    docstring). ``on_shape`` is told of every new statement text."""

    def __init__(
        self,
        ledger: Ledger,
        queue: StatementQueue,
        *,
        style: ParamStyle,
        lexer: Lexer,
        transactional_ddl: bool,
        max_params: int,
        max_query_size: int | None,
        on_shape: Callable[[Shape], None] | None = None,
    ) -> None:
        self.ledger = ledger
        self.queue = queue
        self.style: ParamStyle = style
        self.lexer: Lexer = lexer
        self.transactional_ddl = transactional_ddl
        self.max_params = max_params
        self.max_query_size = max_query_size
        self.on_shape = on_shape

    def shape(
        self, sql: Any, allow_multiple: bool, verbatim: bool = False, item: Any = None
    ) -> Shape:
        """The analysed statement; raises ``ArgumentError`` for one that can never run.
        ``verbatim``: it comes without parameters (see ``analyze``); ``item``: the item it
        came as (a ``LiteralStatement`` is read already)."""
        shape = None
        if type(item) is LiteralStatement:
            shape = literal_shape(item.sql, self.style, self.lexer, item.found)
        if shape is None:
            shape = analyze(sql, self.style, self.lexer, allow_multiple=allow_multiple,
                            transactional_ddl=self.transactional_ddl,
                            verbatim=verbatim)  # fmt: skip
        if shape.control:
            raise ArgumentError(
                "transaction control statements are not batched: the batcher opens and ends "
                "the transactions itself (see its transaction= option)",
                sql=sql,
            )
        if shape.verb == "SET" and self.lexer == "mysql":
            charset = set_names(sql)
            if charset is not None and charset.lower() not in UTF8_CHARSETS:
                raise ArgumentError(
                    f"SET NAMES {charset} is refused: the driver sends and reads text as "
                    "utf8mb4, so the server would garble it; give the batcher str values "
                    "(twinsql load reads a script's SET NAMES itself)",
                    sql=sql,
                )
        if shape.count > self.max_params:
            raise StatementTooLarge(
                f"the statement has {shape.count} parameters; at most {self.max_params} "
                "are allowed",
                sql=sql,
            )
        if self.on_shape is not None:
            self.on_shape(shape)
        return shape

    def _cap(self) -> int:
        # The budget is of a batch: a statement larger than it is a batch of its own. Only
        # the adapter's max_query_size caps one statement here (the planner checks the
        # session's limits: parameters, MySQL's packet).
        return self.max_query_size if self.max_query_size is not None else _NO_LIMIT

    def add(self, sql: Any, params: Any, allow_multiple: bool = False) -> int:
        """Check and queue one statement; return its index. Raises for one that can never
        run (nothing is queued then)."""
        shape = self.shape(sql, allow_multiple, params is None)
        bound = shape.bind(params)
        size = shape.base + values_size(bound)
        cap = self._cap()
        if size > cap:
            raise _too_large(size, cap, sql, params)
        index = self.ledger.submit()
        self.queue.append(shape, bound, params, size, index)
        return index

    def feed(self, items: Iterator[Any], stop_at: int | None, allow_multiple: bool) -> bool:
        """Take statements from ``items`` until it is exhausted (returns True) or the queue
        holds a batch of ``stop_at`` bytes (returns False; see ``holds_batch``). A statement
        that can never run raises ``Refusal`` — everything before it is queued, it is not."""
        queue, ledger = self.queue, self.ledger
        first = next_index = len(ledger)
        added_size = 0
        room = _NO_LIMIT if stop_at is None else stop_at - queue.size
        # The index that fills the queue's count of statements.
        last = _NO_LIMIT if stop_at is None else first + BATCH_STATEMENTS - queue.count - 1
        pending: Any = _NOTHING  # an item the fast loop read but left to the general path
        try:
            while True:
                if pending is _NOTHING:
                    item = next(items, _NOTHING)
                    if item is _NOTHING:
                        return True
                else:
                    item, pending = pending, _NOTHING
                # The general path: any statement, every check spelled out.
                sql, params = self._split(item)
                try:
                    shape = self.shape(sql, allow_multiple, params is None, item)
                    bound = shape.bind(params)
                except ArgumentError as exc:
                    raise Refusal(sql if isinstance(sql, str) else repr(sql), params,
                                  exc) from None  # fmt: skip
                size = shape.base + values_size(bound)
                cap = self._cap()
                if size > cap:
                    raise Refusal(sql, params, _too_large(size, cap, sql, params))
                run = queue.open_run(shape, next_index)
                if run.shapes is not None or run.shape is not shape:
                    if run.shapes is None:
                        run.shapes = [run.shape] * len(run.sizes)
                    run.shapes.append(shape)
                run.bound.append(bound)
                run.params.append(params)
                run.sizes.append(size)
                next_index += 1
                added_size += size
                if added_size >= room or next_index > last:
                    return False
                if params is None and shape.count == 0 and shape.template is not None:
                    # A dump's INSERTs of literal rows: queued while they share the run's
                    # key, each read in one step (what shape() checks cannot refuse them).
                    key = shape.key
                    if run.shapes is None:
                        run.shapes = [run.shape] * len(run.sizes)
                    shapes_append, bound_append = run.shapes.append, run.bound.append
                    params_append, sizes_append = run.params.append, run.sizes.append
                    literal, read = literal_shape, literal_insert
                    style, lexer = self.style, self.lexer
                    on_shape, str_, read_, no_values = self.on_shape, str, LiteralStatement, ()
                    for item in items:
                        if type(item) is str_:
                            found = read(item, lexer)
                            if found is None:
                                pending = item  # not such an INSERT: the general path
                                break
                            item = read_(item, found)  # read once, whichever path takes it
                        elif type(item) is not read_:
                            pending = item
                            break
                        row = literal(item.sql, style, lexer, item.found)
                        if row is None or row.key != key or row.base > cap:
                            pending = item  # the general path takes (or refuses) it
                            break
                        if on_shape is not None:
                            on_shape(row)
                        shapes_append(row)
                        bound_append(no_values)
                        params_append(None)
                        sizes_append(row.base)
                        next_index += 1
                        added_size += row.base
                        if added_size >= room or next_index > last:
                            return False
                    else:
                        return True
                    continue
                if shape.compiled.names is not None or shape.parts is not None or run.shapes:
                    continue
                # The fast path: the same text again with a positional tuple of the right
                # length, which bind() would return as it is; the size loop is inlined.
                count = shape.count
                nominal = NOMINAL_SIZE
                base = shape.base + nominal * count
                bound_append, params_append = run.bound.append, run.params.append
                sizes_append = run.sizes.append
                # Builtins as locals: a global look-up per value is a measurable cost here.
                str_, int_, float_, bool_, tuple_ = str, int, float, bool, tuple
                other_size = other_value_size
                for item in items:
                    if type(item) is not tuple_ or len(item) != 2:
                        pending = item
                        break
                    text, params = item
                    if (
                        (text is not sql and text != sql)  # equal texts are often distinct objects
                        or type(params) is not tuple_
                        or len(params) != count
                    ):
                        pending = item
                        break
                    size = base
                    for value in params:
                        kind = type(value)
                        if kind is str_:
                            size += len(value) - nominal
                        elif (
                            kind is not int_ and kind is not float_ and kind is not bool_
                            and value is not None
                        ):  # fmt: skip
                            size += other_size(value) - nominal
                    if size > cap:
                        pending = item  # the general path refuses it
                        break
                    bound_append(params)
                    params_append(params)
                    sizes_append(size)
                    next_index += 1
                    added_size += size
                    if added_size >= room or next_index > last:
                        return False
                else:
                    return True
        finally:
            added = next_index - first
            if added:
                ledger.submit(added)
                queue.count += added
                queue.size += added_size

    @staticmethod
    def _split(item: Any) -> tuple[Any, Any]:
        if type(item) is tuple and len(item) == 2:
            return item[0], item[1]
        if type(item) is str:
            return item, None
        if type(item) is LiteralStatement:
            return item.sql, None
        if type(item) is Refused:
            raise Refusal(item.sql, None, item.error)
        try:
            return split_item(item)
        except ArgumentError as exc:
            raise Refusal(repr(item), None, exc) from None


_NO_LIMIT = 1 << 62
_NOTHING: Any = object()


def _too_large(size: int, cap: int, sql: Any, params: Any) -> StatementTooLarge:
    return StatementTooLarge(
        f"the statement takes {size} bytes; a batch (or one statement sent) may hold at most {cap}",
        sql=sql,
        params=params,
    )
