# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""ORM feature, I/O: create and drop the tables of models (``create_all`` / ``drop_all``).

The DDL text comes from ``twinsql.orm.ddl``; tables are created in foreign-key order and
dropped in reverse. On PostgreSQL and SQLite the statements run in one transaction (DDL is
transactional there); MySQL commits each DDL statement implicitly.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from twinsql.connection._async.database import AsyncDatabase
from twinsql.orm.ddl import (
    create_statements,
    drop_statement,
    drop_type_statements,
    order_for_create,
)

__all__ = ["create_all_async", "drop_all_async"]


async def create_all_async(db: AsyncDatabase, models: Iterable[type[Any]]) -> None:
    """Create the tables (and indexes) of ``models`` that do not exist yet."""
    infos = order_for_create([model.__twinsql__ for model in models])
    async with db.transaction() as conn:
        for info in infos:
            for statement in create_statements(info, db.dialect):
                await conn.execute_non_query(statement)


async def drop_all_async(db: AsyncDatabase, models: Iterable[type[Any]]) -> None:
    """Drop the tables of ``models`` (dependents first) and their enum types."""
    infos = order_for_create([model.__twinsql__ for model in models])
    async with db.transaction() as conn:
        for info in reversed(infos):
            await conn.execute_non_query(drop_statement(info, db.dialect))
            for statement in drop_type_statements(info, db.dialect):
                await conn.execute_non_query(statement)
