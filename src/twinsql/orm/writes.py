"""ORM feature, pure: writes built from the ORM's queries and models without being sent.

``Query.update_statement(...)``, ``Query.delete_statement()`` and
``Model.insert_many_statement(rows)`` return a ``WriteStatement``: the statement compiled for
every backend, as SQL with ``?`` placeholders and its bound parameters, so that whoever runs
it later (a data migration, on whichever backend and in either mode) needs nothing but a
database. The values are converted and bound exactly as the executing methods bind them;
nothing is formatted into the text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from twinsql.errors import ArgumentError
from twinsql.orm import query_state as q
from twinsql.orm.bulk import bulk_values
from twinsql.orm.meta import ModelInfo
from twinsql.orm.persist import utc_now
from twinsql.sql.dialects import get_dialect

__all__ = ["DIALECTS", "WriteStatement", "delete_statement", "insert_statement", "update_statement"]

DIALECTS = ("sqlite", "postgresql", "mysql")

# Parameters per INSERT of many rows: under SQLite's oldest limit (999) and far under the
# others', so a built insert runs on every backend and server version.
_MAX_PARAMS = 999

Part = tuple[str, tuple[Any, ...]]


@dataclass(frozen=True, eq=False)
class WriteStatement:
    """An INSERT, UPDATE or DELETE built by the ORM and not sent: ``parts`` maps each dialect
    name to its statements in order (one, or several INSERTs for many rows)."""

    description: str
    parts: Mapping[str, tuple[Part, ...]]

    def statements_for(self, dialect: str) -> tuple[Part, ...]:
        """The (SQL, parameters) pairs to run on ``dialect`` (``sqlite``, ``postgresql`` or
        ``mysql``)."""
        try:
            return self.parts[dialect]
        except KeyError:
            raise ArgumentError(f"no statement for dialect {dialect!r}") from None

    def __repr__(self) -> str:
        # The description only: parameters are user data and stay out of reprs.
        return f"WriteStatement({self.description!r})"


def _plain(state: q.QueryState, what: str) -> None:
    if state.returning:
        raise ArgumentError(f"{what}: a built statement returns no rows; drop returning()")


def update_statement(state: q.QueryState, values: Mapping[str, Any]) -> WriteStatement:
    q.check_update_values(values)
    _plain(state, "update_statement()")
    parts = {}
    for name in DIALECTS:
        sql, params = q.update_sql(state, values, get_dialect(name))
        parts[name] = ((sql, tuple(params)),)
    fields = ", ".join(values)
    return WriteStatement(f"update {state.info.table.name} set {fields}", parts)


def delete_statement(state: q.QueryState) -> WriteStatement:
    _plain(state, "delete_statement()")
    parts = {}
    for name in DIALECTS:
        sql, params = q.delete_sql(state, get_dialect(name))
        parts[name] = ((sql, tuple(params)),)
    return WriteStatement(f"delete from {state.info.table.name}", parts)


def insert_statement(model: type[Any], rows: Iterable[Any]) -> WriteStatement:
    """Multi-row INSERTs of ``rows`` (models or mappings, validated and filled as
    ``insert_many`` does), cut so that no statement binds more than 999 parameters."""
    info: ModelInfo = model.__twinsql__
    _, fields, values = bulk_values(model, rows, utc_now())
    per_statement = max(1, _MAX_PARAMS // max(1, len(fields)))
    chunks = [values[i : i + per_statement] for i in range(0, len(values), per_statement)]
    parts = {}
    for name in DIALECTS:
        quote = get_dialect(name).quote_identifier
        head = (
            f"INSERT INTO {quote(info.table.name)} "
            f"({', '.join(quote(info.table.column(f)) for f in fields)}) VALUES "
        )
        row = "(" + ", ".join("?" for _ in fields) + ")"
        parts[name] = tuple(
            (head + ", ".join(row for _ in chunk), tuple(v for r in chunk for v in r))
            for chunk in chunks
        )
    return WriteStatement(f"insert {len(values)} rows into {info.table.name}", parts)
