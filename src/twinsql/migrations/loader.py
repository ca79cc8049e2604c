"""Migrations feature, files: read and write the migration files of a directory.

A migration file is ``NNNN_slug.py`` holding ``dependencies`` and ``operations``; its
checksum is the SHA-256 of its bytes, recorded when it is applied so that a file edited
afterwards is refused before anything runs. Files are executed as Python, like any other
code of the project: they are the developers' own.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from twinsql.errors import MigrationError
from twinsql.migrations.graph import Migration, MigrationGraph, checksum
from twinsql.migrations.operations import Operation

__all__ = ["load_directory", "load_graph", "write_migration"]

_FILE = re.compile(r"^\d{4}_[A-Za-z0-9_]+\.py$")


def load_directory(directory: str | Path) -> list[Migration]:
    path = Path(directory)
    if not path.is_dir():
        raise MigrationError(f"migrations directory {str(path)!r} does not exist")
    return [_load(file) for file in sorted(path.iterdir()) if _FILE.match(file.name)]


def load_graph(directory: str | Path) -> MigrationGraph:
    return MigrationGraph(load_directory(directory))


def _load(file: Path) -> Migration:
    data = file.read_bytes()
    namespace: dict[str, Any] = {"__name__": f"twinsql_migration_{file.stem}"}
    try:
        exec(compile(data, str(file), "exec"), namespace)
    except Exception as exc:
        raise MigrationError(f"migration {file.name} cannot be loaded: {exc}") from exc
    dependencies = namespace.get("dependencies", [])
    operations = namespace.get("operations")
    if not isinstance(operations, (list, tuple)) or not all(
        isinstance(op, Operation) for op in operations
    ):
        raise MigrationError(f"migration {file.name} must define a list `operations` of operations")
    if not isinstance(dependencies, (list, tuple)) or not all(
        isinstance(d, str) for d in dependencies
    ):
        raise MigrationError(f"migration {file.name}: `dependencies` must be a list of names")
    replaces = namespace.get("replaces", [])
    if not isinstance(replaces, (list, tuple)) or not all(isinstance(r, str) for r in replaces):
        raise MigrationError(f"migration {file.name}: `replaces` must be a list of names")
    return Migration(
        file.stem, tuple(dependencies), tuple(operations), checksum(data), tuple(replaces)
    )


def write_migration(directory: str | Path, name: str, text: str) -> Path:
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    target = path / f"{name}.py"
    if target.exists():
        raise MigrationError(f"migration file {target.name} already exists")
    target.write_text(text, encoding="utf-8")
    return target
