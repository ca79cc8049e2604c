"""Test helpers, pure: what the pytest fixtures decide without a database.

The name of the database a test session (or xdist worker) gets, and the statements that
empty a test's tables fast between tests that commit for real. No I/O here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from twinsql.errors import ArgumentError
from twinsql.sql.dialects import Dialect

__all__ = ["backend_matches", "reset_statements", "session_database_name"]

# The names the ``twinsql_backends`` marker accepts, beside the URL backends themselves.
_BACKEND_NAMES = {"sqlite": "sqlite", "postgresql": "postgresql", "postgres": "postgresql",
                  "mysql": "mysql", "mariadb": "mysql"}  # fmt: skip


def session_database_name(base: str, worker: str | None) -> str:
    """The database of one test session on a server: ``<base>_test``, and with xdist one
    per worker (``<base>_test_gw0``), so that workers never share tables."""
    name = f"{base}_test" if not worker else f"{base}_test_{worker}"
    if not re.fullmatch(r"[A-Za-z0-9_]{1,63}", name):
        raise ArgumentError(
            f"cannot derive a test database name from {base!r} and worker {worker!r}: "
            "use letters, digits and underscores (at most 63 characters)"
        )
    return name


def backend_matches(backend: str, wanted: Sequence[str]) -> bool:
    """Whether a URL backend is one of the marker's names (``mariadb`` means ``mysql``)."""
    unknown = [name for name in wanted if name.lower() not in _BACKEND_NAMES]
    if unknown or not wanted:
        raise ArgumentError(
            f"twinsql_backends takes backend names ({', '.join(sorted(_BACKEND_NAMES))}), "
            f"got {list(wanted)!r}"
        )
    return backend in {_BACKEND_NAMES[name.lower()] for name in wanted}


def reset_statements(dialect: Dialect, tables: Sequence[str]) -> list[str]:
    """Statements that empty ``tables`` (given in creation order: parents first), fastest
    first on each backend: one TRUNCATE of them all on PostgreSQL (identities restarted);
    DELETE elsewhere, dependents first — on MySQL with foreign-key checks off for the
    session (a DELETE of a few rows is cheaper there than TRUNCATE, which rebuilds the
    table), on SQLite in an order that keeps every foreign key satisfied."""
    if not tables:
        return []
    quoted = [dialect.quote_identifier(table) for table in tables]
    if dialect.name == "postgresql":
        return [f"TRUNCATE {', '.join(quoted)} RESTART IDENTITY CASCADE"]
    deletes = [f"DELETE FROM {table}" for table in reversed(quoted)]
    if dialect.name == "mysql":
        return ["SET FOREIGN_KEY_CHECKS = 0", *deletes, "SET FOREIGN_KEY_CHECKS = 1"]
    return deletes
