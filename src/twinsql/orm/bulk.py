"""ORM feature, pure: preparing many records for one bulk insert (``insert_many`` and the
upserts of ``on_conflict(...)``).

Both paths share one preparation — mappings validated into models, the create hooks run,
the values the ORM owns filled in — and one ending: the records marked saved and their
after-hooks run once the transaction committed. The I/O source sends the statements between.
"""

from __future__ import annotations

import datetime
from collections.abc import Hashable, Iterable, Iterator
from typing import Any

from twinsql.orm.meta import ModelInfo
from twinsql.orm.persist import fill_on_insert
from twinsql.orm.state import mark_saved
from twinsql.sql.dialects import Dialect
from twinsql.sql.dml import OnConflict, compile_insert

__all__ = [
    "COPY_MIN_ROWS",
    "INSERT_MANY_MAX_BYTES",
    "UPSERT_MAX_ROWS",
    "bulk_saved",
    "bulk_values",
    "copies",
    "merged_label",
    "upsert_count",
    "upsert_statements",
]

# Values per multi-row INSERT of insert_many: well under every backend's packet limit.
INSERT_MANY_MAX_BYTES = 1_000_000
# From this many rows on, PostgreSQL gets them by COPY (the savepoint around it is cheap).
COPY_MIN_ROWS = 100
# Rows per upsert statement, whatever the parameter limit allows.
UPSERT_MAX_ROWS = 1000


def bulk_values(
    model: type[Any], rows: Iterable[Any], now: datetime.datetime
) -> tuple[list[Any], tuple[str, ...], list[tuple[Any, ...]]]:
    """For a bulk insert: the records (mappings validated into models), with their create
    hooks run and owned values filled; the fields to insert (a generated field left unset
    on every record is the database's to fill); each record's values in that order."""
    info: ModelInfo = model.__twinsql__
    records = [r if isinstance(r, model) else model(**dict(r)) for r in rows]
    value_rows: list[dict[str, Any]] = []
    for record in records:
        record.before_save()
        record.before_create()
        fill_on_insert(info, record, now)
        value_rows.append(info.to_db(dict(record.__dict__)))
    fields = tuple(
        f
        for f in info.fields
        if not (f in info.generated and all(v[f] is None for v in value_rows))
    )
    return records, fields, [tuple(row[f] for f in fields) for row in value_rows]


def bulk_saved(records: list[Any], origin: Hashable | None = None) -> None:
    """After a bulk insert committed: the records are persisted (in the database
    ``origin``); their hooks run."""
    for record in records:
        mark_saved(record, origin)
        record.after_create()
        record.after_save()


def copies(can_copy: bool, rows: int) -> bool:
    """Whether a bulk insert tries COPY first: where the connection has it, from
    ``COPY_MIN_ROWS`` rows on."""
    return can_copy and rows >= COPY_MIN_ROWS


def upsert_statements(
    info: ModelInfo,
    fields: tuple[str, ...],
    rows: list[tuple[Any, ...]],
    dialect: Dialect,
    max_params: int,
    on_conflict: OnConflict | None,
) -> Iterator[tuple[str, list[Any]]]:
    """Multi-row INSERTs with the ``on_conflict`` clause, as many rows per statement as the
    parameter limit allows (at most ``UPSERT_MAX_ROWS``), each with its parameters."""
    per_statement = max(1, min(UPSERT_MAX_ROWS, max_params // len(fields)))
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        sql = compile_insert(info.table, fields, len(chunk), dialect, on_conflict=on_conflict)
        yield sql, [value for row in chunk for value in row]


def upsert_count(
    on_conflict: OnConflict | None, dialect: Dialect, rows: int, reported: int
) -> int:
    """The count an upsert statement of ``rows`` rows returns: the rows it inserted or
    updated, the same on every backend. PostgreSQL and SQLite report exactly that. MySQL
    counts a row updated by ``ON DUPLICATE KEY UPDATE`` twice (and, with the found-rows flag,
    a row left as it was once); but with ``do_update`` every row given is either inserted or
    updates the row it conflicts with, so the count is ``rows``. A ``do_nothing`` on MySQL
    is the no-op assignment ``pk = pk``, which the found-rows flag counts like an insert:
    MySQL does not tell a skipped row from an inserted one, and the count there is
    ``rows`` (the one difference left, documented)."""
    if on_conflict is None or dialect.capabilities.upsert != "on_duplicate_key":
        return max(reported, 0)
    return rows


def merged_label(info: ModelInfo, fields: tuple[str, ...], dialect: Dialect) -> str:
    """How one multi-row INSERT of a bulk insert appears in the SQL log: the one-row
    statement with ``?`` placeholders, as every other logged statement, and a ``{rows}``
    slot for the row count (the batcher logs its merged INSERTs the same way)."""
    one_row = compile_insert(info.table, fields, 1, dialect)
    return one_row.replace("{", "{{").replace("}", "}}") + " [merged: {rows} rows]"
