"""Migrations feature, pure: what running a migration means, step by step.

``forward(graph, name, dialect)`` and ``backward(...)`` give, per operation of a migration,
the SQL steps to apply or undo it, computed from the replayed state, so every error (an
irreversible step, a type change no backend can make) surfaces before the runner sends any
DDL. The version table's SQL is here too, and ``offline_script`` writes everything as one
SQL text (``twinsql migrations sql``) with the version-table writes included.

Progress is counted in operations: a version-table row whose ``steps`` is below ``total``
is a migration partly applied (MySQL commits each DDL statement on its own, so a failure
mid-way leaves that), and applying resumes at operation ``steps``; reverting undoes
operations ``steps - 1`` down to 0.
"""

from __future__ import annotations

from dataclasses import dataclass

from twinsql.errors import MigrationError
from twinsql.migrations.graph import Migration, MigrationGraph
from twinsql.migrations.operations import Operation, RunPython
from twinsql.migrations.sqlgen import (
    SQLITE_DROP_COLUMN,
    Rebuild,
    Statement,
    Step,
    rebuild_statements,
    statements,
)
from twinsql.migrations.state import SchemaState
from twinsql.sql.dialects import Dialect

__all__ = [
    "VERSION_TABLE",
    "MigrationStatus",
    "OperationSteps",
    "backward",
    "forward",
    "offline_script",
    "table_exists_sql",
    "version_table_sql",
]

VERSION_TABLE = "twinsql_migrations"


@dataclass(frozen=True)
class OperationSteps:
    """One operation of a migration (``index`` in its list) and the steps that apply or
    undo it; ``python``: the data-migration steps among ``operations``."""

    index: int
    operations: tuple[Operation, ...]
    steps: tuple[tuple[Step, ...], ...]
    atomic: bool
    # The schema the operations run against (what a data migration's models describe).
    before: SchemaState

    def python(self) -> list[RunPython]:
        return [op for op in self.operations if isinstance(op, RunPython)]


def forward(
    graph: MigrationGraph,
    migration: Migration,
    dialect: Dialect,
    *,
    sqlite_version: tuple[int, int, int] = SQLITE_DROP_COLUMN,
) -> list[OperationSteps]:
    state = graph.state_before(migration.name)
    out: list[OperationSteps] = []
    for index, op in enumerate(migration.operations):
        try:
            steps = statements(op, state, dialect, sqlite_version=sqlite_version)
            after = op.apply(state)
        except MigrationError as exc:
            raise MigrationError(f"migration {migration.name}, operation {index + 1}: {exc}")
        # A step with no SQL on this backend (an enum value on MySQL or SQLite) has no
        # reason to run outside the migration's transaction.
        atomic = op.atomic or not steps
        out.append(OperationSteps(index, (op,), (tuple(steps),), atomic, state))
        state = after
    return out


def backward(
    graph: MigrationGraph,
    migration: Migration,
    dialect: Dialect,
    *,
    sqlite_version: tuple[int, int, int] = SQLITE_DROP_COLUMN,
) -> list[OperationSteps]:
    """The undo steps, last operation first."""
    states = [graph.state_before(migration.name)]
    for op in migration.operations:
        states.append(op.apply(states[-1]))
    out: list[OperationSteps] = []
    for index in reversed(range(len(migration.operations))):
        op = migration.operations[index]
        try:
            undo = op.reverse(states[index])
            state = states[index + 1]
            steps: list[tuple[Step, ...]] = []
            for reverse_op in undo:
                steps.append(
                    tuple(statements(reverse_op, state, dialect, sqlite_version=sqlite_version))
                )
                state = reverse_op.apply(state)
        except MigrationError as exc:
            raise MigrationError(f"migration {migration.name}, operation {index + 1}: {exc}")
        atomic = all(u.atomic for u in undo)
        out.append(OperationSteps(index, tuple(undo), tuple(steps), atomic, states[index + 1]))
    return out


def version_table_sql(dialect: Dialect, table: str = VERSION_TABLE) -> str:
    q = dialect.quote_identifier
    return (
        f"CREATE TABLE IF NOT EXISTS {q(table)} (\n"
        f"    {q('name')} VARCHAR(255) NOT NULL PRIMARY KEY,\n"
        f"    {q('checksum')} VARCHAR(64) NOT NULL,\n"
        f"    {q('steps')} INTEGER NOT NULL,\n"
        f"    {q('total')} INTEGER NOT NULL,\n"
        f"    {q('applied_at')} VARCHAR(40) NOT NULL\n"
        ")"
    )


def offline_script(
    graph: MigrationGraph,
    names: list[str],
    dialect: Dialect,
    *,
    table: str = VERSION_TABLE,
    revert: bool = False,
) -> str:
    """The SQL of applying (or reverting) ``names`` in order, with the version-table
    writes, for a DBA to review or run. The values of an offline script are literals;
    a SQLite rebuild is written without the views (there is no database to read them from)
    and a data migration (in Python, or built from ORM writes) appears as a comment."""
    q = dialect.quote_identifier
    lit = dialect.string_literal
    out = [f"-- twinsql migrations ({dialect.title})", version_table_sql(dialect, table) + ";"]
    for name in names:
        migration = graph.get(name)
        out.append(f"\n-- {'revert' if revert else 'apply'} {migration.name}")
        planned = (backward if revert else forward)(graph, migration, dialect)
        for operation in planned:
            for op in operation.operations:
                out.append(f"-- {op.describe()}")
            for group in operation.steps:
                for step in group:
                    for statement in _expand(step, dialect):
                        out.append(_inline(statement, dialect) + ";")
        if revert:
            out.append(f"DELETE FROM {q(table)} WHERE {q('name')} = {lit(migration.name)};")
        else:
            total = len(migration.operations)
            out.append(
                f"INSERT INTO {q(table)} ({q('name')}, {q('checksum')}, {q('steps')}, "
                f"{q('total')}, {q('applied_at')}) VALUES ({lit(migration.name)}, "
                f"{lit(migration.checksum)}, {total}, {total}, {lit('offline')});"
            )
    return "\n".join(out) + "\n"


def _expand(step: Step, dialect: Dialect) -> list[Statement]:
    if isinstance(step, Rebuild):
        return rebuild_statements(step, dialect, [])
    return [step]


def _inline(statement: Statement, dialect: Dialect) -> str:
    """A statement with its parameters written as literals (offline scripts only)."""
    # Generated statements hold no "?" other than their placeholders.
    parts = statement.sql.split("?")
    text = parts[0]
    for value, rest in zip(statement.params, parts[1:]):
        if isinstance(value, bool):
            literal = dialect.bool_literal(value)
        elif isinstance(value, (int, float)):
            literal = repr(value)
        elif value is None:
            literal = "NULL"
        else:
            literal = dialect.string_literal(str(value))
        text += literal + rest
    return text


@dataclass(frozen=True)
class MigrationStatus:
    """One migration as ``show`` reports it. ``steps`` of ``total`` operations are in
    effect; ``edited``: the file changed after it was applied."""

    name: str
    steps: int
    total: int
    edited: bool = False

    recorded: bool = False

    @property
    def applied(self) -> bool:
        return self.recorded and self.steps == self.total

    def describe(self) -> str:
        if not self.recorded:
            state = "pending"
        elif self.steps < self.total:
            state = f"partly applied ({self.steps} of {self.total} operations)"
        else:
            state = "applied"
        return f"{self.name}: {state}{' (file edited since)' if self.edited else ''}"


def table_exists_sql(dialect: Dialect) -> str:
    """A query with one parameter (the table name) that returns a row if it exists."""
    if dialect.name == "sqlite":
        return "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
    schema = "DATABASE()" if dialect.name == "mysql" else "current_schema()"
    return (
        f"SELECT 1 FROM information_schema.tables WHERE table_schema = {schema} AND table_name = ?"
    )
