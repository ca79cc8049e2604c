# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""Migrations feature, I/O: apply and revert migrations on a database.

The runner only sends what ``migrations.script`` planned; every plan (and so every error an
operation can raise) is computed before the first DDL statement. Concurrent runners are
serialised: PostgreSQL takes a session advisory lock, MySQL/MariaDB ``GET_LOCK``, and on
SQLite each migration runs in a ``BEGIN IMMEDIATE`` transaction that first checks the
version table again, so two processes apply each migration once.

PostgreSQL and SQLite apply a migration and its version-table row in one transaction: a
failure leaves nothing. MySQL commits every DDL statement on its own, so there the row is
written first and its ``steps`` count raised after each operation: a failure leaves a
recorded partial state that the next ``apply`` resumes (and ``revert`` can undo). A
migration holding an operation that cannot run in a transaction (``CREATE INDEX
CONCURRENTLY``) is run the same way, that operation alone under ``lock_timeout``.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from twinsql.connection._async.database import AsyncDatabase
from twinsql.errors import MigrationError, OperationalError, PoolerUnsupported
from twinsql.migrations.graph import ZERO, Migration, MigrationGraph
from twinsql.migrations.historical import historical_models
from twinsql.migrations.loader import load_graph
from twinsql.migrations.operations import RunORM, RunPython
from twinsql.migrations.script import (
    VERSION_TABLE,
    MigrationStatus,
    OperationSteps,
    backward,
    forward,
    table_exists_sql,
    version_table_sql,
)
from twinsql.migrations.sqlgen import SQLITE_DROP_COLUMN, Rebuild, rebuild_statements

__all__ = ["AsyncMigrator", "migrate_async"]

_IS_ASYNC = True

# The advisory lock key of the migrations on PostgreSQL ("twinsql" in ASCII).
_PG_LOCK_KEY = 0x7477696E73716C
# MySQL's named locks are server-wide: the name holds the database, cut to the 64
# characters a lock name may have.
_MYSQL_LOCK_NAME = "LEFT(CONCAT('twinsql_migrations:', DATABASE()), 64)"


class AsyncMigrator:
    """Applies the migrations of ``directory`` (or of a ready ``graph``) to ``db``."""

    def __init__(
        self,
        db: AsyncDatabase,
        directory: str | Path = "migrations",
        *,
        graph: MigrationGraph | None = None,
        table: str = VERSION_TABLE,
        lock_timeout: float = 60.0,
    ) -> None:
        self.db = db
        self.graph = graph if graph is not None else load_graph(directory)
        self.table = table
        self.lock_timeout = lock_timeout
        self._sqlite_version = SQLITE_DROP_COLUMN

    # -- reading ---------------------------------------------------------------------------

    async def _rows(self) -> dict[str, dict[str, Any]]:
        dialect = self.db.dialect
        if not await self.db.fetch_one(table_exists_sql(dialect), (self.table,)):
            return {}
        q = dialect.quote_identifier
        rows = await self.db.execute(
            f"SELECT {q('name')}, {q('checksum')}, {q('steps')}, {q('total')} FROM {q(self.table)}"
        )
        return self.graph.normalize_rows({row["name"]: row for row in rows})

    async def status(self) -> list[MigrationStatus]:
        """Every migration in order, applied, partly applied or pending."""
        rows = await self._rows()
        out = []
        for name in self.graph.order:
            migration = self.graph.migrations[name]
            row = rows.get(name)
            if row is None:
                out.append(MigrationStatus(name, 0, len(migration.operations)))
            else:
                out.append(
                    MigrationStatus(
                        name,
                        int(row["steps"]),
                        int(row["total"]),
                        edited=row["checksum"] != migration.checksum,
                        recorded=True,
                    )
                )
        return out

    def _verify(self, rows: dict[str, dict[str, Any]]) -> None:
        for name, row in rows.items():
            if name not in self.graph.migrations:
                raise MigrationError(
                    f"the database has migration {name} applied, which is not among the "
                    "migration files"
                )
            if row["checksum"] != self.graph.migrations[name].checksum:
                raise MigrationError(
                    f"migration {name} was edited after it was applied (its checksum "
                    "differs); restore the file and put the change in a new migration"
                )

    async def plan(self, target: str | None = None) -> list[tuple[str, str]]:
        """(migration, "apply" | "revert") in the order ``apply``/``revert`` would run them."""
        rows = await self._rows()
        self._verify(rows)
        return [(m.name, "apply") for m in self._pending(rows, target)]

    async def revert_plan(self, target: str) -> list[tuple[str, str]]:
        rows = await self._rows()
        self._verify(rows)
        return [(m.name, "revert") for m in self._to_revert(rows, target)]

    def _pending(self, rows: dict[str, dict[str, Any]], target: str | None) -> list[Migration]:
        wanted = (
            set(self.graph.order)
            if target is None
            else self.graph.ancestors(self.graph.get(target).name)
        )
        return [
            self.graph.migrations[name]
            for name in self.graph.order
            if name in wanted
            and (name not in rows or int(rows[name]["steps"]) < int(rows[name]["total"]))
        ]

    def _to_revert(self, rows: dict[str, dict[str, Any]], target: str) -> list[Migration]:
        keep = set() if target == ZERO else self.graph.ancestors(self.graph.get(target).name)
        return [
            self.graph.migrations[name]
            for name in reversed(self.graph.order)
            if name in rows and name not in keep
        ]

    # -- applying --------------------------------------------------------------------------

    async def apply(self, target: str | None = None, *, fake: bool = False) -> list[str]:
        """Apply the pending migrations (up to ``target``); the names applied. ``fake``
        records them as applied without running them (adopting an existing database)."""
        async with self.db.connection():
            await self._lock()
            try:
                await self.db.execute_non_query(version_table_sql(self.db.dialect, self.table))
                await self._read_sqlite_version()
                rows = await self._prepared_rows()
                pending = self._pending(rows, target)
                plans = {m.name: self._forward(m) for m in pending}
                done = []
                for migration in pending:
                    ran = await self._apply_one(migration, plans[migration.name], fake)
                    if ran:
                        done.append(migration.name)
                return done
            finally:
                await self._unlock()

    async def revert(self, target: str) -> list[str]:
        """Revert the migrations applied after ``target`` (``"zero"``: all of them)."""
        async with self.db.connection():
            await self._lock()
            try:
                await self._read_sqlite_version()
                rows = await self._prepared_rows()
                doomed = self._to_revert(rows, target)
                plans = {m.name: self._backward(m) for m in doomed}
                done = []
                for migration in doomed:
                    steps = int(rows[migration.name]["steps"])
                    planned = [p for p in plans[migration.name] if p.index < steps]
                    await self._revert_one(migration, planned)
                    done.append(migration.name)
                return done
            finally:
                await self._unlock()

    async def _prepared_rows(self) -> dict[str, dict[str, Any]]:
        """The version rows, verified, with squashed migrations recorded in place of the
        ones they replace (under the lock, before anything runs)."""
        rows = await self._rows()
        self._verify(rows)
        for name, row in rows.items():
            if row.get("folded"):
                await self._fold(self.graph.migrations[name])
        return rows

    def _forward(self, migration: Migration) -> list[OperationSteps]:
        planned = forward(
            self.graph, migration, self.db.dialect, sqlite_version=self._sqlite_version
        )
        self._check_python(migration, planned)
        return planned

    def _backward(self, migration: Migration) -> list[OperationSteps]:
        planned = backward(
            self.graph, migration, self.db.dialect, sqlite_version=self._sqlite_version
        )
        self._check_python(migration, planned)
        return planned

    def _check_python(self, migration: Migration, planned: list[OperationSteps]) -> None:
        for operation in planned:
            for op in operation.python():
                has = op.forward_async if _IS_ASYNC else op.forward
                if has is None:
                    mode = "async" if _IS_ASYNC else "sync"
                    raise MigrationError(
                        f"migration {migration.name}, operation {operation.index + 1}: "
                        f"{op.describe()} has no {mode} callable for this {mode} runner"
                    )

    def _transactional(self, planned: Sequence[OperationSteps]) -> bool:
        return self.db.dialect.name != "mysql" and all(p.atomic for p in planned)

    async def _apply_one(
        self, migration: Migration, planned: list[OperationSteps], fake: bool
    ) -> bool:
        total = len(migration.operations)
        if self._transactional(planned) or fake:
            async with (
                self._sqlite_foreign_keys_off(planned),
                self.db.transaction(self._begin_mode()),
            ):
                row = (await self._rows()).get(migration.name)
                if row is not None and int(row["steps"]) >= total:
                    return False  # another runner applied it meanwhile
                if not fake:
                    for operation in planned:
                        try:
                            await self._run(operation)
                        except Exception as exc:
                            raise MigrationError(
                                f"migration {migration.name} failed at operation "
                                f"{operation.index + 1} of {total} "
                                f"({operation.operations[0].describe()}): {exc}. Nothing of "
                                "it was applied (it ran in one transaction)"
                            ) from exc
                    await self._check_foreign_keys()
                await self._record(migration, total, exists=row is not None)
            return True
        row = (await self._rows()).get(migration.name)
        start = 0 if row is None else int(row["steps"])
        if row is None:
            await self._record(migration, 0, exists=False)
        for operation in planned[start:]:
            try:
                if operation.atomic and self.db.dialect.name != "mysql":
                    async with self.db.transaction():
                        await self._run(operation)
                        await self._record(migration, operation.index + 1, exists=True)
                    continue
                await self._run(operation, alone=not operation.atomic)
                await self._record(migration, operation.index + 1, exists=True)
            except Exception as exc:
                raise MigrationError(
                    f"migration {migration.name} stopped at operation {operation.index + 1} "
                    f"of {total} ({operation.operations[0].describe()}): {exc}. Operations "
                    f"1 to {operation.index} are applied and recorded; fix the cause and "
                    "apply again to resume, or revert"
                ) from exc
        return True

    async def _revert_one(self, migration: Migration, planned: list[OperationSteps]) -> None:
        q = self.db.dialect.quote_identifier
        delete = f"DELETE FROM {q(self.table)} WHERE {q('name')} = ?"
        if self._transactional(planned):
            async with (
                self._sqlite_foreign_keys_off(planned),
                self.db.transaction(self._begin_mode()),
            ):
                for operation in planned:
                    await self._run(operation)
                await self._check_foreign_keys()
                await self.db.execute_non_query(delete, (migration.name,))
            return
        for operation in planned:
            await self._run(operation, alone=not operation.atomic)
            await self._record(migration, operation.index, exists=True)
        await self.db.execute_non_query(delete, (migration.name,))

    async def _fold(self, squash: Migration) -> None:
        """Record a squashed migration as applied in place of the rows of the migrations
        it replaces, which the database had all applied."""
        q = self.db.dialect.quote_identifier
        marks = ", ".join("?" for _ in squash.replaces)
        async with self.db.transaction():
            await self.db.execute_non_query(
                f"DELETE FROM {q(self.table)} WHERE {q('name')} IN ({marks})", squash.replaces
            )
            await self._record(squash, len(squash.operations), exists=False)

    async def _record(self, migration: Migration, steps: int, *, exists: bool) -> None:
        q = self.db.dialect.quote_identifier
        if exists:
            await self.db.execute_non_query(
                f"UPDATE {q(self.table)} SET {q('steps')} = ?, {q('checksum')} = ? "
                f"WHERE {q('name')} = ?",
                (steps, migration.checksum, migration.name),
            )
            return
        now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
        await self.db.execute_non_query(
            f"INSERT INTO {q(self.table)} ({q('name')}, {q('checksum')}, {q('steps')}, "
            f"{q('total')}, {q('applied_at')}) VALUES (?, ?, ?, ?, ?)",
            (migration.name, migration.checksum, steps, len(migration.operations), now),
        )

    async def _run(self, operation: OperationSteps, *, alone: bool = False) -> None:
        dialect = self.db.dialect
        if alone and dialect.name == "postgresql":
            # A statement outside any transaction (CREATE INDEX CONCURRENTLY) still waits
            # for locks: bounded so that a migration never queues behind a long query.
            millis = int(self.lock_timeout * 1000)
            await self.db.execute_non_query(f"SET lock_timeout = {millis}")
        try:
            for op, steps in zip(operation.operations, operation.steps):
                if isinstance(op, RunPython):
                    await self._run_python(op, historical_models(operation.before, self.db))
                    continue
                if isinstance(op, RunORM):
                    models = historical_models(operation.before, self.db)
                    for sql, params in op.statements(models, dialect.name):
                        await self.db.execute_non_query(sql, params or None)
                    continue
                for step in steps:
                    if isinstance(step, Rebuild):
                        dependents = await self._sqlite_dependents()
                        for statement in rebuild_statements(step, dialect, dependents):
                            await self.db.execute_non_query(statement.sql, statement.params or None)
                    else:
                        await self.db.execute_non_query(step.sql, step.params or None)
        finally:
            if alone and dialect.name == "postgresql":
                await self.db.execute_non_query("RESET lock_timeout")

    async def _run_python(self, op: RunPython, models: dict[str, Any]) -> None:
        if _IS_ASYNC:
            assert op.forward_async is not None
            await op.forward_async(self.db, models)
        else:
            assert op.forward is not None
            op.forward(self.db, models)

    # -- backend specifics -----------------------------------------------------------------

    def _begin_mode(self) -> str | None:
        # SQLite: take the write lock at BEGIN, so that two runners queue instead of both
        # reading the version table and then one failing to write.
        return "immediate" if self.db.dialect.name == "sqlite" else None

    async def _read_sqlite_version(self) -> None:
        if self.db.dialect.name == "sqlite":
            text = str(await self.db.execute_scalar("SELECT sqlite_version()"))
            parts = [*text.split("."), "0", "0"][:3]
            self._sqlite_version = (int(parts[0]), int(parts[1]), int(parts[2]))

    async def _sqlite_dependents(self) -> list[tuple[str, str, str]]:
        rows = await self.db.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE type IN ('view', 'trigger') "
            "AND sql IS NOT NULL ORDER BY CASE type WHEN 'view' THEN 0 ELSE 1 END, rowid"
        )
        return [(row["type"], row["name"], row["sql"]) for row in rows]

    def _sqlite_foreign_keys_off(self, planned: Sequence[OperationSteps]) -> _ForeignKeysOff:
        rebuilds = any(
            isinstance(step, Rebuild) for p in planned for group in p.steps for step in group
        )
        return _ForeignKeysOff(self.db, self.db.dialect.name == "sqlite" and rebuilds)

    async def _check_foreign_keys(self) -> None:
        if self.db.dialect.name != "sqlite":
            return
        broken = await self.db.execute("PRAGMA foreign_key_check")
        if broken:
            first = broken[0]
            raise MigrationError(
                f"the migration leaves {len(broken)} row(s) whose foreign key refers to no "
                f"row (first: table {first.get('table')}, rowid {first.get('rowid')}); "
                "nothing was applied"
            )

    async def _lock(self) -> None:
        name = self.db.dialect.name
        if name == "postgresql":
            await self.db.execute(f"SET lock_timeout = {int(self.lock_timeout * 1000)}")
            try:
                await self.db.execute("SELECT pg_advisory_lock(?)", (_PG_LOCK_KEY,))
            except PoolerUnsupported as exc:
                raise MigrationError(
                    "migrations hold a session advisory lock for their whole run, which a "
                    "transaction pooler (PgBouncer) cannot keep: apply them over a direct "
                    "connection to PostgreSQL; nothing was applied"
                ) from exc
            finally:
                await self.db.execute("RESET lock_timeout")
        elif name == "mysql":
            got = await self.db.execute_scalar(
                f"SELECT GET_LOCK({_MYSQL_LOCK_NAME}, ?)",
                (self.lock_timeout,),
            )
            if got != 1:
                raise OperationalError(
                    f"another process holds the migrations lock (waited {self.lock_timeout}s)"
                )

    async def _unlock(self) -> None:
        name = self.db.dialect.name
        if name == "postgresql":
            await self.db.execute("SELECT pg_advisory_unlock(?)", (_PG_LOCK_KEY,))
        elif name == "mysql":
            await self.db.execute(f"SELECT RELEASE_LOCK({_MYSQL_LOCK_NAME})")


class _ForeignKeysOff:
    """SQLite cannot rebuild a table that others refer to with foreign keys enforced, and
    the setting cannot change inside a transaction: it is turned off around the
    migration's transaction (which checks the keys itself before committing) and restored."""

    def __init__(self, db: AsyncDatabase, active: bool) -> None:
        self._db = db
        self._active = active
        self._was_on = False

    async def __aenter__(self) -> None:
        if self._active:
            self._was_on = bool(await self._db.execute_scalar("PRAGMA foreign_keys"))
            await self._db.execute_non_query("PRAGMA foreign_keys = OFF")

    async def __aexit__(self, *exc_info: object) -> None:
        if self._active and self._was_on:
            await self._db.execute_non_query("PRAGMA foreign_keys = ON")


async def migrate_async(
    db: AsyncDatabase, directory: str | Path = "migrations", target: str | None = None
) -> list[str]:
    """Apply the pending migrations of ``directory`` to ``db``; the names applied. Safe to
    call from every process of an application at startup: runners take turns."""
    return await AsyncMigrator(db, directory).apply(target)
