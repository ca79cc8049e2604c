"""Migrations feature, pure: the set of migrations as a graph.

Each migration names the migrations it depends on. The graph refuses a missing dependency
and a cycle (naming them), finds the heads (migrations nothing depends on: more than one
means two branches that need a ``merge``), orders everything so that a migration comes after
its dependencies (ties broken by name, so the order is the same on every machine), and
replays the operations into the ``SchemaState`` before or after any migration.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from twinsql.errors import MigrationError
from twinsql.migrations.operations import Operation
from twinsql.migrations.state import SchemaState

__all__ = ["ZERO", "Migration", "MigrationGraph", "checksum"]

# The target that reverts every migration.
ZERO = "zero"


def checksum(text: bytes) -> str:
    return hashlib.sha256(text).hexdigest()


@dataclass(frozen=True)
class Migration:
    name: str
    dependencies: tuple[str, ...]
    operations: tuple[Operation, ...]
    checksum: str
    # A squashed migration names the migrations it stands for.
    replaces: tuple[str, ...] = ()


class MigrationGraph:
    """The migrations of a directory. A squashed migration is dormant while the files it
    replaces are all present (they run as before); once they are deleted it takes their
    place: dependencies on them point to it, and a database that applied them counts it
    as applied (``normalize_rows``). Some of them present and some deleted is an error."""

    def __init__(self, migrations: Iterable[Migration]) -> None:
        given = list(migrations)
        present = {m.name for m in given}
        self.migrations: dict[str, Migration] = {}
        # Replaced migration (its file deleted) → the squashed migration standing for it.
        self.replaced: dict[str, str] = {}
        for migration in given:
            if migration.name in self.migrations:
                raise MigrationError(f"two migrations are named {migration.name!r}")
            if migration.replaces:
                found = [r for r in migration.replaces if r in present]
                if found and len(found) < len(migration.replaces):
                    raise MigrationError(
                        f"{migration.name} replaces {', '.join(migration.replaces)}, but only "
                        f"{', '.join(found)} are present: keep all of them or delete all"
                    )
                if found:
                    continue
                self.replaced.update((r, migration.name) for r in migration.replaces)
            self.migrations[migration.name] = migration
        for name, migration in list(self.migrations.items()):
            deps = tuple(dict.fromkeys(self.replaced.get(d, d) for d in migration.dependencies))
            if deps != migration.dependencies:
                self.migrations[name] = replace(migration, dependencies=deps)
        for migration in self.migrations.values():
            for dependency in migration.dependencies:
                if dependency not in self.migrations:
                    raise MigrationError(
                        f"migration {migration.name} depends on {dependency}, which does not exist"
                    )
        self.order = self._ordered()

    def _ordered(self) -> list[str]:
        done: list[str] = []
        state: dict[str, int] = {}  # 1 visiting, 2 done

        def visit(name: str, path: list[str]) -> None:
            if state.get(name) == 2:
                return
            if state.get(name) == 1:
                cycle = [*path[path.index(name) :], name]
                raise MigrationError(
                    "migrations depend on each other in a cycle: " + " → ".join(cycle)
                )
            state[name] = 1
            for dependency in sorted(self.migrations[name].dependencies):
                visit(dependency, [*path, name])
            state[name] = 2
            done.append(name)

        for name in sorted(self.migrations):
            visit(name, [])
        return done

    def normalize_rows(self, rows: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """Version-table rows with the rows of replaced migrations folded into the squashed
        migration's row (applied when all of them were); a partial set is an error."""
        out = {name: row for name, row in rows.items() if name not in self.replaced}
        for squash in dict.fromkeys(self.replaced.values()):
            replaced = self.migrations[squash].replaces
            done = [
                r for r in replaced if r in rows and int(rows[r]["steps"]) >= int(rows[r]["total"])
            ]
            if not done or squash in out:
                continue
            if len(done) < len(replaced):
                raise MigrationError(
                    f"the database applied only part of what {squash} replaces "
                    f"({', '.join(done)}): apply the rest from the original files first"
                )
            total = len(self.migrations[squash].operations)
            out[squash] = {
                "name": squash,
                "checksum": self.migrations[squash].checksum,
                "steps": total,
                "total": total,
                "folded": True,
            }
        return out

    def heads(self) -> list[str]:
        needed = {d for m in self.migrations.values() for d in m.dependencies}
        return [name for name in self.order if name not in needed]

    def ancestors(self, name: str) -> set[str]:
        """``name`` and everything it depends on, directly or not."""
        self.get(name)
        seen: set[str] = set()
        stack = [name]
        while stack:
            current = stack.pop()
            if current not in seen:
                seen.add(current)
                stack.extend(self.migrations[current].dependencies)
        return seen

    def get(self, name: str) -> Migration:
        if name not in self.migrations:
            # A prefix is enough when it names one migration ("0003").
            found = [m for m in self.migrations if m.startswith(name)]
            if len(found) == 1:
                return self.migrations[found[0]]
            known = ", ".join(self.order) or "none"
            raise MigrationError(f"no migration {name!r}; known migrations: {known}")
        return self.migrations[name]

    def state_before(self, name: str, applied: Sequence[str] | None = None) -> SchemaState:
        """The schema just before ``name`` runs: the replay of the migrations ordered before
        it (of ``applied`` only, when given)."""
        state = SchemaState()
        for other in self.order:
            if other == name:
                return state
            if applied is None or other in applied:
                state = replay(state, self.migrations[other].operations, other)
        raise MigrationError(f"no migration {name!r}")

    def state(self) -> SchemaState:
        """The schema after every migration."""
        state = SchemaState()
        for name in self.order:
            state = replay(state, self.migrations[name].operations, name)
        return state


def replay(state: SchemaState, operations: Iterable[Operation], name: str) -> SchemaState:
    for index, op in enumerate(operations):
        try:
            state = op.apply(state)
        except MigrationError as exc:
            raise MigrationError(f"migration {name}, operation {index + 1}: {exc}") from None
    return state
