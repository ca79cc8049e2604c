# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""Test helpers, I/O: empty the tables of models between tests that commit for real."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from twinsql.connection._async.database import AsyncDatabase
from twinsql.orm.ddl import order_for_create
from twinsql.testing.plan import reset_statements

__all__ = ["async_reset_tables"]


async def async_reset_tables(db: AsyncDatabase, models: Sequence[type[Any]]) -> None:
    """Delete every row of the models' tables in one transaction on one connection (the
    statements of ``reset_statements``, which may set session state for each other)."""
    infos = order_for_create([model.__twinsql__ for model in models])
    statements = reset_statements(db.dialect, [info.table.name for info in infos])
    if not statements:
        return
    async with db.transaction() as conn:
        for statement in statements:
            await conn.execute_non_query(statement)
