# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""Helpers of the migration tests: the schema of tables read from the catalog by raw SQL,
row fingerprints, and cleanup."""

from __future__ import annotations

import hashlib
from typing import Any

import twinsql

EVOLUTION_TABLES = ("ev_book_tags", "ev_labels", "ev_tags", "ev_books", "ev_authors")


async def drop_tables(db: twinsql.AsyncDatabase, *names: str) -> None:
    """Drop ``names`` (dependents first) and leave nothing behind for the next test."""
    q = db.dialect.quote_identifier
    for name in names:
        await db.execute_non_query(f"DROP TABLE IF EXISTS {q(name)}")


async def fingerprint(db: twinsql.AsyncDatabase, sql: str) -> str:
    """A checksum of the rows a query returns (in its order)."""
    rows = await db.execute(sql)
    text = repr([tuple(str(v) for v in row.values()) for row in rows])
    return hashlib.sha256(text.encode()).hexdigest()


async def table_names(db: twinsql.AsyncDatabase) -> set[str]:
    name = db.dialect.name
    if name == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE type = 'table'"
    elif name == "mysql":
        sql = (
            "SELECT table_name AS name FROM information_schema.tables "
            "WHERE table_schema = DATABASE()"
        )
    else:
        sql = (
            "SELECT table_name AS name FROM information_schema.tables "
            "WHERE table_schema = current_schema()"
        )
    return {str(row["name"]) for row in await db.execute(sql)}


async def schema_of(db: twinsql.AsyncDatabase, tables: list[str]) -> dict[str, Any]:
    """Per table: columns (name → type, nullability, default), primary key, indexes as
    (columns, unique) and foreign keys as (columns, referenced table, referenced columns);
    names of indexes and constraints are left out (the backends generate them)."""
    out: dict[str, Any] = {}
    for table in tables:
        reader = {"sqlite": _sqlite, "postgresql": _postgresql, "mysql": _mysql}
        out[table] = await reader[db.dialect.name](db, table)
    return out


async def _sqlite(db: twinsql.AsyncDatabase, table: str) -> dict[str, Any]:
    q = db.dialect.quote_identifier
    columns = {
        r["name"]: (r["type"].upper(), bool(r["notnull"]), r["dflt_value"])
        for r in await db.execute(f"PRAGMA table_info({q(table)})")
    }
    key = [
        r["name"]
        for r in sorted(await db.execute(f"PRAGMA table_info({q(table)})"), key=lambda r: r["pk"])
        if r["pk"]
    ]
    indexes = []
    for index in await db.execute(f"PRAGMA index_list({q(table)})"):
        if index["origin"] == "pk":
            continue
        cols = [r["name"] for r in await db.execute(f"PRAGMA index_info({q(index['name'])})")]
        indexes.append((tuple(cols), bool(index["unique"])))
    fks: dict[int, list[Any]] = {}
    for r in await db.execute(f"PRAGMA foreign_key_list({q(table)})"):
        fks.setdefault(r["id"], [r["table"], [], []])
        fks[r["id"]][1].append(r["from"])
        fks[r["id"]][2].append(r["to"])
    foreign = sorted((tuple(c), t, tuple(rc)) for t, c, rc in fks.values())
    return {"columns": columns, "key": key, "indexes": sorted(indexes), "foreign": foreign}


_PG_TABLE = (
    "(SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE c.relname = ? AND n.nspname = current_schema())"
)


def _pg_names(array: str, relation: str) -> str:
    return (
        f"array_to_string(ARRAY(SELECT a.attname FROM unnest({array}) WITH ORDINALITY "
        f"AS k(n, o) JOIN pg_attribute a ON a.attrelid = {relation} AND a.attnum = k.n "
        "ORDER BY k.o), ',')"
    )


async def _postgresql(db: twinsql.AsyncDatabase, table: str) -> dict[str, Any]:
    columns = {
        r["column_name"]: (
            r["data_type"],
            r["character_maximum_length"],
            r["numeric_precision"],
            r["is_nullable"],
            r["column_default"],
            r["is_identity"],
        )
        for r in await db.execute(
            "SELECT column_name, data_type, character_maximum_length, numeric_precision, "
            "is_nullable, column_default, is_identity FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = ?",
            (table,),
        )
    }
    rows = await db.execute(
        "SELECT i.indisprimary AS pk, i.indisunique AS uniq, "
        f"{_pg_names('i.indkey', 'i.indrelid')} AS cols "
        f"FROM pg_index i WHERE i.indrelid = {_PG_TABLE}",
        (table,),
    )
    key = [r["cols"] for r in rows if r["pk"]]
    indexes = sorted((tuple(r["cols"].split(",")), bool(r["uniq"])) for r in rows if not r["pk"])
    foreign = sorted(
        (tuple(r["cols"].split(",")), r["ref"], tuple(r["refcols"].split(",")))
        for r in await db.execute(
            "SELECT (SELECT relname FROM pg_class WHERE oid = c.confrelid) AS ref, "
            f"{_pg_names('c.conkey', 'c.conrelid')} AS cols, "
            f"{_pg_names('c.confkey', 'c.confrelid')} AS refcols "
            f"FROM pg_constraint c WHERE c.contype = 'f' AND c.conrelid = {_PG_TABLE}",
            (table,),
        )
    )
    return {"columns": columns, "key": key, "indexes": indexes, "foreign": foreign}


async def _mysql(db: twinsql.AsyncDatabase, table: str) -> dict[str, Any]:
    columns = {
        r["name"]: (r["type"], r["nullable"], r["dflt"], r["extra"])
        for r in await db.execute(
            "SELECT COLUMN_NAME AS name, COLUMN_TYPE AS type, IS_NULLABLE AS nullable, "
            "COLUMN_DEFAULT AS dflt, EXTRA AS extra FROM information_schema.COLUMNS "
            "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?",
            (table,),
        )
    }
    grouped: dict[str, list[Any]] = {}
    for r in await db.execute(
        "SELECT INDEX_NAME AS name, NON_UNIQUE AS non_unique, COLUMN_NAME AS col "
        "FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND "
        "TABLE_NAME = ? ORDER BY INDEX_NAME, SEQ_IN_INDEX",
        (table,),
    ):
        grouped.setdefault(r["name"], [[], not int(r["non_unique"])])[0].append(r["col"])
    key = grouped.pop("PRIMARY", [[], True])[0]
    indexes = sorted((tuple(cols), unique) for cols, unique in grouped.values())
    fks: dict[str, list[Any]] = {}
    for r in await db.execute(
        "SELECT CONSTRAINT_NAME AS name, COLUMN_NAME AS col, REFERENCED_TABLE_NAME AS ref, "
        "REFERENCED_COLUMN_NAME AS refcol FROM information_schema.KEY_COLUMN_USAGE "
        "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND REFERENCED_TABLE_NAME "
        "IS NOT NULL ORDER BY CONSTRAINT_NAME, ORDINAL_POSITION",
        (table,),
    ):
        entry = fks.setdefault(r["name"], [[], r["ref"], []])
        entry[0].append(r["col"])
        entry[2].append(r["refcol"])
    foreign = sorted((tuple(c), t, tuple(rc)) for c, t, rc in fks.values())
    return {"columns": columns, "key": key, "indexes": indexes, "foreign": foreign}
