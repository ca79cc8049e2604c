"""Migrations feature, files: the commands that need no database (make, merge, squash,
check).

Each reads the directory, works on the replayed state and writes at most one file."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from twinsql.errors import MigrationError
from twinsql.migrations.autodetect import Questioner, detect
from twinsql.migrations.graph import MigrationGraph
from twinsql.migrations.loader import load_directory, write_migration
from twinsql.migrations.operations import CreateTable, Operation, RunORM, RunPython
from twinsql.migrations.writer import migration_name, render_migration

__all__ = [
    "check_models",
    "make_empty",
    "make_migration",
    "merge_heads",
    "pending_operations",
    "squash",
]


def _next_number(directory: str | Path) -> int:
    """One more than the highest file number (a dormant squash counts too)."""
    path = Path(directory)
    if not path.is_dir():
        return 1
    numbers = [int(p.name[:4]) for p in path.glob("[0-9][0-9][0-9][0-9]_*.py")]
    return max(numbers, default=0) + 1


def _graph(directory: str | Path) -> MigrationGraph:
    path = Path(directory)
    return MigrationGraph(load_directory(path) if path.is_dir() else [])


def pending_operations(
    directory: str | Path,
    models: Iterable[type[Any]],
    questioner: Questioner | None = None,
    *,
    allow_destructive: bool = False,
) -> list[Operation]:
    """The operations a new migration would hold (empty: the files match the models)."""
    graph = _graph(directory)
    if len(graph.heads()) > 1:
        raise MigrationError(
            f"the migrations have several heads ({', '.join(graph.heads())}): run "
            "`twinsql migrations merge` first"
        )
    return detect(graph.state(), models, questioner, allow_destructive=allow_destructive)


def make_migration(
    directory: str | Path,
    models: Iterable[type[Any]],
    questioner: Questioner | None = None,
    *,
    allow_destructive: bool = False,
    name: str | None = None,
) -> Path | None:
    """Write the next migration for ``models``; None when nothing changed."""
    ops = pending_operations(directory, models, questioner, allow_destructive=allow_destructive)
    if not ops:
        return None
    graph = _graph(directory)
    number = _next_number(directory)
    if number == 1 and all(isinstance(op, CreateTable) for op in ops):
        name = name or "initial"
    full = migration_name(number, ops, name)
    return write_migration(directory, full, render_migration(full, graph.heads(), ops))


def make_empty(directory: str | Path, name: str) -> Path:
    """A migration with no operations after the current heads, to be filled by hand (a
    data migration, ``RunSQL``)."""
    graph = _graph(directory)
    full = migration_name(_next_number(directory), [], name)
    return write_migration(directory, full, render_migration(full, graph.heads(), []))


def merge_heads(directory: str | Path, name: str | None = None) -> Path | None:
    """A migration with no operations that depends on every head (None: one head)."""
    graph = _graph(directory)
    heads = graph.heads()
    if len(heads) < 2:
        return None
    # Both branches must replay together: a clash (the same column added twice) shows here.
    graph.state()
    full = migration_name(_next_number(directory), [], name or "merge")
    return write_migration(directory, full, render_migration(full, heads, []))


def squash(directory: str | Path, upto: str, name: str | None = None) -> Path:
    """One migration holding the operations of ``upto`` and everything before it, marked as
    replacing them. It stays dormant while their files exist; delete them once every
    database has applied them, and it takes their place."""
    graph = _graph(directory)
    target = graph.get(upto).name
    keep = graph.ancestors(target)
    names = [m for m in graph.order if m in keep]
    if any(graph.migrations[m].replaces for m in names):
        raise MigrationError("squash from the first migration after an earlier squash")
    ops = [op for m in names for op in graph.migrations[m].operations]
    if any(isinstance(op, (RunPython, RunORM)) for op in ops):
        raise MigrationError(
            "the migrations hold data migrations with callables (RunPython, RunORM), which "
            "a file cannot repeat: "
            "squash up to the one before them"
        )
    full = migration_name(_next_number(directory), ops, name or f"squashed_{target[:4]}")
    return write_migration(directory, full, render_migration(full, [], ops, replaces=names))


def check_models(directory: str | Path, models: Iterable[type[Any]]) -> list[str]:
    """Problems for CI: several heads, or models that changed without a migration."""
    graph = _graph(directory)
    heads = graph.heads()
    if len(heads) > 1:
        return [f"several heads: {', '.join(heads)} (run `twinsql migrations merge`)"]
    ops = detect(graph.state(), models, None, allow_destructive=True)
    return [f"models changed without a migration: {op.describe()}" for op in ops]
