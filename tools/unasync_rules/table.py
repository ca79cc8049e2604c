"""The closed rename table of the generator and the names of its rules.

Layer and job: build tooling (standard library only).  Every identifier the async sources
rely on to differ from their sync twins is listed here, grouped by the feature that owns
it; nothing is renamed by pattern, so ``AsyncMock`` or ``async_helper`` stay as written
unless a line below says otherwise.  ``table_problems`` checks the table itself.
"""

from __future__ import annotations

import builtins
import keyword
from collections.abc import Collection, Mapping
from typing import Final

RENAME_GROUPS: Final[dict[str, dict[str, str]]] = {
    # Module paths (``twinsql.connection._async.pool``) and the async protocols of the language.
    "modules and protocols": {
        "_async": "_sync",
        "__aenter__": "__enter__",
        "__aexit__": "__exit__",
        "aclose": "close",
    },
    # twinsql._compat: the primitives that differ between the modes.
    "primitives": {
        "AsyncReturns": "Returns",
        "AsyncShareLock": "ShareLock",
        "AsyncSlots": "Slots",
        "async_call_within": "call_within",
        "async_running_loop": "running_loop",
        "async_sleep": "sleep",
        "async_spawn": "spawn",
        "async_submit_to_loop": "submit_to_loop",
        "async_task_identity": "task_identity",
    },
    # twinsql.drivers: the driver protocols and the driver lookup.
    "drivers": {
        "AsyncDriver": "Driver",
        "AsyncDriverConnection": "DriverConnection",
        "AsyncStream": "Stream",
        "async_driver_for": "driver_for",
    },
    "connection": {
        "AsyncConnection": "Connection",
        "AsyncDatabase": "Database",
        "AsyncDatabaseTransaction": "DatabaseTransaction",
        "AsyncPinnedConnection": "PinnedConnection",
        "AsyncPool": "Pool",
        "AsyncReplicaSet": "ReplicaSet",
        "AsyncTransaction": "Transaction",
        "connect_async": "connect",
        "execute_async": "execute",
        "execute_scalar_async": "execute_scalar",
        "run_in_transaction_async": "run_in_transaction",
    },
    # Model and query methods, and the record, loading, terminal and schema functions behind them.
    "orm": {
        "async_add_links": "add_links",
        "async_aggregate": "aggregate",
        "async_all": "all",
        "async_average": "average",
        "async_count": "count",
        "async_create": "create",
        "async_database_of": "database_of",
        "async_delete": "delete",
        "async_exists": "exists",
        "async_find": "find",
        "async_find_all": "find_all",
        "async_find_one": "find_one",
        "async_find_or_fail": "find_or_fail",
        "async_first": "first",
        "async_insert_many": "insert_many",
        "async_insert_rows": "insert_rows",
        "async_iterate": "iterate",
        "async_load": "load",
        "async_load_eager": "load_eager",
        "async_load_relations": "load_relations",
        "async_max": "max",
        "async_min": "min",
        "async_one": "one",
        "async_one_or_none": "one_or_none",
        "async_paginate": "paginate",
        "async_refresh": "refresh",
        "async_remove_links": "remove_links",
        "async_restore": "restore",
        "async_rows": "rows",
        "async_save": "save",
        "async_set_links": "set_links",
        "async_sum": "sum",
        "async_transaction": "transaction",
        "async_update": "update",
        "create_all_async": "create_all",
        "drop_all_async": "drop_all",
        "read_catalog_async": "read_catalog",
        "reflect_async": "reflect",
    },
    "batch": {
        "AsyncBatchAdapter": "BatchAdapter",
        "AsyncBatchRunner": "BatchRunner",
        "AsyncBatchSession": "BatchSession",
        "AsyncDatabaseAdapter": "DatabaseAdapter",
        "AsyncDatabaseSession": "DatabaseSession",
        "AsyncDatabaseSessionBlock": "DatabaseSessionBlock",
        "AsyncGenericAdapter": "GenericAdapter",
        "AsyncGenericSession": "GenericSession",
        "AsyncListQueryCollector": "ListQueryCollector",
        "AsyncPostgreSQLAdapter": "PostgreSQLAdapter",
        "AsyncQueryCollector": "QueryCollector",
        "AsyncSQLBatcher": "SQLBatcher",
        "AsyncSessionBlock": "SessionBlock",
        "AsyncSessionContext": "SessionContext",
        "async_adapter_for": "adapter_for",
    },
    "migrations": {
        "AsyncMigrator": "Migrator",
        "migrate_async": "migrate",
    },
    # twinsql.integrations.fastapi: the page helpers (the integration itself is hand-written;
    # the tests of both modes call them).
    "integrations": {
        "async_cursor_page": "cursor_page",
        "async_offset_page": "offset_page",
    },
    # twinsql.testing: the helpers behind the pytest fixtures.
    "testing": {
        "async_reset_tables": "reset_tables",
    },
    # Names only the test sources use: the return type of their generator fixtures.
    "tests": {
        "AsyncIterator": "Iterator",
    },
}

RENAMES: Final[dict[str, str]] = {
    old: new for group in RENAME_GROUPS.values() for old, new in group.items()
}

# Renames whose target may also be a builtin or an identifier of the same file.  Anything
# else that lands on an existing name is refused, because the twin would silently call,
# shadow or capture that name instead (``def all(...)`` whose body calls the builtin ``all``
# calls itself).
SHARED_TARGETS: Final[dict[str, str]] = {
    "aclose": "an async generator's aclose() and the database's own close() both mean close",
    "execute_async": "the one-shot module function; Database.execute is a method, not in scope",
    "execute_scalar_async": "as execute_async: a module function beside a method of Database",
    "async_all": "a query terminal, only ever reached as an attribute (query.all())",
    "async_max": "a query terminal; its module reaches the builtin as builtins.max",
    "async_min": "a query terminal; its module reaches the builtin as builtins.min",
    "async_rows": "a query terminal; functions beside it name their local result `rows`",
    "async_sum": "a query terminal reached as an attribute; tests call the builtin sum()",
}

# Rule names, as reported by the dead-rule check.
RULE_KEYWORDS: Final = "remove async/await"
RULE_IS_ASYNC: Final = "_IS_ASYNC = True -> False"
RULE_BRANCHES: Final = "keep only the else branch of if _IS_ASYNC"


def rename_rule(old: str, renames: Mapping[str, str] = RENAMES) -> str:
    """The rule name of the rename table entry for ``old``."""
    return f"rename {old} -> {renames[old]}"


ALL_RULES: Final[tuple[str, ...]] = (
    RULE_KEYWORDS,
    *(rename_rule(old) for old in RENAMES),
    RULE_IS_ASYNC,
    RULE_BRANCHES,
)


def table_problems(
    groups: Mapping[str, Mapping[str, str]] = RENAME_GROUPS,
    shared: Collection[str] = SHARED_TARGETS,
) -> list[str]:
    """One line per broken entry of a rename table (empty if the table is sound).

    Refused: a name that is not an identifier, a keyword target, a builtin target not
    listed in ``shared``, two entries for one name or onto one target, and a ``shared``
    entry that is not in the table.
    """
    problems: list[str] = []
    owner: dict[str, str] = {}
    targets: dict[str, str] = {}
    for group, entries in groups.items():
        for old, new in entries.items():
            pair = f"rename {old} -> {new} ({group})"
            if not (old.isidentifier() and new.isidentifier()) or old == new:
                problems.append(f"{pair}: both sides must be distinct identifiers")
            if keyword.iskeyword(new):
                problems.append(f"{pair}: the target is a Python keyword")
            elif hasattr(builtins, new) and old not in shared:
                problems.append(
                    f"{pair}: the target is a Python builtin; list {old!r} in SHARED_TARGETS"
                    " if the twin really means to shadow it"
                )
            if old in owner:
                problems.append(f"{pair}: {old!r} is already renamed in {owner[old]}")
            if new in targets:
                problems.append(f"{pair}: {targets[new]!r} is already renamed to {new!r}")
            owner.setdefault(old, group)
            targets.setdefault(new, old)
    problems.extend(
        f"SHARED_TARGETS lists {old!r}, which the rename table does not rename"
        for old in shared
        if old not in owner
    )
    return problems
