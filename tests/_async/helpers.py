# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""Helpers for the integration tests that do I/O (so they exist in both modes)."""

from __future__ import annotations

import twinsql
from tests import support


async def fresh_table(
    db: twinsql.AsyncDatabase | twinsql.AsyncConnection,
    name: str,
    columns: dict[str, str],
) -> str:
    """(Re)create table ``name`` with ``columns`` (column -> portable kind or raw type)."""
    dialect = db.dialect
    quoted = dialect.quote_identifier(name)
    await db.execute_non_query(f"DROP TABLE IF EXISTS {quoted}")
    parts = []
    for column, kind in columns.items():
        try:
            sql_type = support.col(dialect.name, kind)
        except KeyError:
            sql_type = kind
        parts.append(f"{dialect.quote_identifier(column)} {sql_type}")
    await db.execute_non_query(f"CREATE TABLE {quoted} ({', '.join(parts)})")
    return quoted


async def session_id(db: twinsql.AsyncDatabase | twinsql.AsyncConnection) -> int | None:
    """The server session id of the connection that runs this call (None for SQLite)."""
    sql = support.session_id_sql(db.dialect.name)
    if sql is None:
        return None
    return int(await db.execute_scalar(sql))
