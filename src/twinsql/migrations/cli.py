"""Migrations feature, command line: ``twinsql migrations make|apply|revert|show|sql|plan|
check|merge|squash``.

Settings come from the options, else from ``[tool.twinsql]`` in ``pyproject.toml`` of the
current directory (``models = "app.models"``, ``migrations = "migrations"``, ``url = …``),
else the ``TWINSQL_URL`` environment variable for the URL. ``--models`` names modules
(comma-separated): every model class found in them is included. Exit status: 0 on success,
1 when ``check`` finds a problem or a migration fails, 2 for a usage error.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path
from typing import Any, TextIO

from twinsql import errors
from twinsql.connection._sync.database import connect
from twinsql.connection.url import parse_url
from twinsql.migrations._sync.runner import Migrator
from twinsql.migrations.arguments import add_parser
from twinsql.migrations.autodetect import NoInput, Questioner
from twinsql.migrations.commands import check_models, make_empty, make_migration, merge_heads
from twinsql.migrations.commands import squash as squash_migrations
from twinsql.migrations.graph import MigrationGraph
from twinsql.migrations.loader import load_directory
from twinsql.migrations.script import offline_script
from twinsql.migrations.state import Column
from twinsql.orm.registry import is_model
from twinsql.sql.dialects import get_dialect

__all__ = ["add_parser", "run"]


class _Ask:
    """Questions on the terminal."""

    def __init__(self, out: TextIO) -> None:
        self.out = out

    def confirm_rename(self, what: str, old: str, new: str) -> bool:
        self.out.write(f"Was {what} {old} renamed to {new}? [y/N] ")
        self.out.flush()
        return sys.stdin.readline().strip().lower() in {"y", "yes"}

    def backfill(self, table: str, column: Column) -> Any:
        import ast

        self.out.write(f"{table}.{column.name} is NOT NULL: value for existing rows? ")
        self.out.flush()
        text = sys.stdin.readline().strip()
        try:
            return ast.literal_eval(text)
        except (ValueError, SyntaxError):
            return text


def _settings() -> dict[str, Any]:
    path = Path("pyproject.toml")
    if not path.is_file():
        return {}
    try:
        # The standard library reads TOML from Python 3.11; on 3.10 the options are needed.
        tomllib = importlib.import_module("tomllib")
    except ImportError:
        return {}
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    found = data.get("tool", {}).get("twinsql", {})
    return found if isinstance(found, dict) else {}


def load_models(spec: str) -> list[type[Any]]:
    """The model classes of the modules named in ``spec`` (comma-separated)."""
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    found: dict[str, type[Any]] = {}
    for name in [part.strip() for part in spec.split(",") if part.strip()]:
        module = importlib.import_module(name)
        for value in vars(module).values():
            if is_model(value):
                found[f"{value.__module__}.{value.__qualname__}"] = value
    if not found:
        raise errors.ArgumentError(f"no models found in {spec}")
    return [found[key] for key in sorted(found)]


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    settings = _settings()
    directory = args.directory or settings.get("migrations", "migrations")
    models_spec = args.models or settings.get("models")
    url = args.url or settings.get("url") or os.environ.get("TWINSQL_URL")
    try:
        return _run(args, directory, models_spec, url, out, err)
    except errors.MigrationError as exc:
        err.write(f"error: {exc}\n")
        return 1
    except errors.Error as exc:
        err.write(f"error: {exc}\n")
        return 2 if isinstance(exc, errors.ArgumentError) else 1


def _need(value: str | None, what: str) -> str:
    if not value:
        raise errors.ArgumentError(f"no {what}: give --{what} or set it in [tool.twinsql]")
    return value


def _run(
    args: argparse.Namespace,
    directory: str,
    models_spec: str | None,
    url: str | None,
    out: TextIO,
    err: TextIO,
) -> int:
    action = args.action
    if action == "make" and args.empty:
        out.write(f"Wrote {make_empty(directory, _need(args.name, 'name'))}\n")
        return 0
    if action == "make":
        questioner: Questioner = NoInput() if args.no_input else _Ask(out)
        path = make_migration(
            directory,
            load_models(_need(models_spec, "models")),
            questioner,
            allow_destructive=args.allow_destructive,
            name=args.name,
        )
        out.write("No changes.\n" if path is None else f"Wrote {path}\n")
        return 0
    if action == "check":
        problems = check_models(directory, load_models(_need(models_spec, "models")))
        for problem in problems:
            out.write(problem + "\n")
        return 1 if problems else 0
    if action == "merge":
        path = merge_heads(directory)
        out.write("One head: nothing to merge.\n" if path is None else f"Wrote {path}\n")
        return 0
    if action == "squash":
        out.write(f"Wrote {squash_migrations(directory, args.target)}\n")
        return 0
    if action == "sql":
        graph = MigrationGraph(load_directory(directory))
        dialect_name = args.dialect or parse_url(_need(url, "url")).backend
        names = graph.order
        if args.target:
            keep = graph.ancestors(graph.get(args.target).name)
            names = [n for n in names if n in keep]
        out.write(offline_script(graph, names, get_dialect(dialect_name)))
        return 0
    with connect(_need(url, "url")) as db:
        migrator = Migrator(db, directory)
        if action == "show":
            for status in migrator.status():
                out.write(status.describe() + "\n")
        elif action == "plan":
            for name, direction in migrator.plan(args.target):
                out.write(f"{direction} {name}\n")
                for op in migrator.graph.get(name).operations:
                    out.write(f"    {op.describe()}\n")
        elif action == "apply":
            done = migrator.apply(args.target, fake=args.fake)
            verb = "Recorded" if args.fake else "Applied"
            for name in done:
                out.write(f"{verb} {name}\n")
            if not done:
                out.write("Nothing to apply.\n")
        elif action == "revert":
            for name in migrator.revert(args.target):
                out.write(f"Reverted {name}\n")
    return 0
