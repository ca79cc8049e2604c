"""Migrations feature, pure: the text of a migration file.

The same operations always give the same bytes: values are written with ``repr`` in a
fixed layout, fields left at their defaults are omitted, and nothing depends on the time,
the machine or dictionary order. A file is ordinary Python (``dependencies`` and
``operations``) that a reviewer can read and edit before it is applied.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from typing import Any

from twinsql.errors import MigrationError
from twinsql.migrations.operations import SQL, Operation
from twinsql.migrations.state import Check, Column, EnumType, ForeignKey, Index, Table

__all__ = ["migration_name", "render_migration", "render_value"]

_WIDTH = 96
_RENDERED = (Operation, Column, EnumType, Index, Check, ForeignKey, Table, SQL)


def render_value(value: Any, indent: int = 0) -> str:
    """``value`` as Python source, broken over lines past the width."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return repr(value)
    if isinstance(value, tuple):
        items = [render_value(v, indent + 4) for v in value]
        flat = "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
        if len(flat) + indent <= _WIDTH and "\n" not in flat:
            return flat
        pad = " " * (indent + 4)
        return "(\n" + "".join(f"{pad}{item},\n" for item in items) + " " * indent + ")"
    if isinstance(value, dict):
        pairs = [f"{k!r}: {render_value(value[k], indent + 4)}" for k in sorted(value)]
        return "{" + ", ".join(pairs) + "}"
    if isinstance(value, _RENDERED) and dataclasses.is_dataclass(value):
        args = []
        for field in dataclasses.fields(value):
            current = getattr(value, field.name)
            if field.default is not dataclasses.MISSING and current == field.default:
                continue
            args.append(f"{field.name}={render_value(current, indent + 4)}")
        head = f"ops.{type(value).__name__}("
        flat = head + ", ".join(args) + ")"
        if len(flat) + indent <= _WIDTH and "\n" not in flat:
            return flat
        pad = " " * (indent + 4)
        return head + "\n" + "".join(f"{pad}{arg},\n" for arg in args) + " " * indent + ")"
    raise MigrationError(
        f"cannot write {value!r} into a migration file: use numbers, strings, booleans or None"
    )


def render_migration(
    name: str,
    dependencies: Sequence[str],
    operations: Sequence[Operation],
    replaces: Sequence[str] = (),
) -> str:
    lines = [
        f'"""Migration {name}.',
        "",
        'Written by twinsql from the models; review it, edit it if needed, then commit it."""',
        "",
        "from twinsql.migrations import operations as ops",
        "",
        "dependencies: list[str] = [" + ", ".join(repr(d) for d in dependencies) + "]",
        "",
        *(
            ["replaces: list[str] = [" + ", ".join(repr(r) for r in replaces) + "]", ""]
            if replaces
            else []
        ),
        "operations: list[ops.Operation] = [",
    ]
    lines.extend(f"    {render_value(op, 4)}," for op in operations)
    lines.append("]")
    return "\n".join(lines) + "\n"


def migration_name(number: int, operations: Sequence[Operation], given: str | None = None) -> str:
    """``0003_add_users_email``: a zero-padded number and a slug of the first change."""
    if given:
        slug = given
    elif not operations:
        slug = "merge"
    elif number == 1:
        slug = "initial"
    else:
        slug = operations[0].describe()
        if len(operations) > 1:
            slug += "_and_more"
    slug = re.sub(r"[^a-z0-9]+", "_", slug.lower()).strip("_")[:50] or "auto"
    return f"{number:04d}_{slug}"
