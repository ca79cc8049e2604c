"""Migrations feature: schema changes generated from the models, applied in either mode.

Pure modules: ``state`` (the schema as data), ``operations``, ``models`` (the schema the
models describe), ``autodetect`` (state → models), ``writer`` (the file text), ``graph``
(dependencies, heads, order, replay), ``sqlgen`` (each operation's SQL per backend),
``script`` (plans and offline scripts). ``loader`` and ``commands`` read and write the
migration files; ``historical`` builds the models of a past state for data migrations;
``_async/runner`` (and its generated ``_sync`` twin) applies them; ``cli`` is
``twinsql migrations``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from twinsql.migrations.commands import check_models, make_migration, merge_heads

__all__ = ["check_models", "make_migration", "merge_heads"]

if not TYPE_CHECKING:  # imported on first use: ``twinsql migrations`` parsing needs none

    def __getattr__(name: str) -> Any:
        if name not in __all__:
            raise AttributeError(f"module 'twinsql.migrations' has no attribute {name!r}")
        from twinsql.migrations import commands

        value = getattr(commands, name)
        globals()[name] = value
        return value
