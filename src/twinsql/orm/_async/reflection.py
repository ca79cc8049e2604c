# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""ORM feature, I/O: read a database's catalog and write model source for its tables
(``reflect`` / ``reflect_async``).

The catalog queries and how their rows become tables are in ``orm.catalog_queries``; the
source text is written by ``orm.model_source``. This module only sends the queries.
"""

from __future__ import annotations

from collections.abc import Sequence

from twinsql.connection._async.database import AsyncDatabase
from twinsql.orm.catalog import CatalogTable
from twinsql.orm.catalog_queries import VERSION_QUERY, assemble, queries
from twinsql.orm.model_source import NamingChoice, render_models

__all__ = ["read_catalog_async", "reflect_async"]


async def read_catalog_async(db: AsyncDatabase) -> list[CatalogTable]:
    """The tables of the database ``db`` connects to (its current schema on PostgreSQL)."""
    dialect = db.dialect.name
    version = ""
    if dialect == "mysql":
        version = str((await db.execute(VERSION_QUERY))[0]["version"])
    results = {}
    for name, sql in queries(dialect, version).items():
        results[name] = await db.execute(sql)
    return assemble(dialect, results, version)


async def reflect_async(
    db: AsyncDatabase,
    *,
    tables: Sequence[str] | None = None,
    naming: NamingChoice = "auto",
) -> str:
    """Python source of model classes for the tables of ``db`` (``tables``: only these).
    ``naming``: ``"auto"`` states the naming rule that fits the schema best on an abstract
    base; ``"PascalCase"``/``"camelCase"`` state that one; ``"snake_case"`` states none
    (``Field(column=…)`` where a column differs); ``"as_is"`` names fields like the columns."""
    from twinsql.orm.model import Model  # the model module imports the I/O modules

    reserved = frozenset(name for name in dir(Model) if not name.startswith("_"))
    return render_models(
        await read_catalog_async(db), naming=naming, only=tables, reserved=reserved
    )
