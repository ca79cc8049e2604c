"""ORM feature, pure: the catalog queries of each backend and how their rows become
``CatalogTable`` values.

Each backend has the same three queries — ``columns``, ``indexes``, ``keys`` (primary,
unique and foreign keys, one row per column in key order) — plus MySQL's ``checks``, which
finds MariaDB's JSON columns (a ``longtext`` with a ``json_valid`` CHECK). The queries take
no parameters and read the current database/schema only; ``orm._async.reflection`` sends
them and passes the rows to ``assemble``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from twinsql.orm.catalog import (
    CatalogColumn,
    CatalogForeignKey,
    CatalogTable,
    group_columns,
    known_type,
    mysql_kind,
    parse_default,
    postgresql_kind,
    sqlite_kind,
)

__all__ = ["QUERIES", "VERSION_QUERY", "assemble", "is_mariadb", "queries"]

Rows = Sequence[Mapping[str, Any]]

QUERIES: dict[str, dict[str, str]] = {
    "sqlite": {
        "columns": (
            "SELECT m.name AS table_name, p.name AS column_name, p.type AS declared, "
            'p."notnull" AS not_null, p.dflt_value AS column_default, p.pk AS pk '
            "FROM sqlite_master AS m JOIN pragma_table_info(m.name) AS p "
            "WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite!_%' ESCAPE '!' "
            "ORDER BY m.name, p.cid"
        ),
        "indexes": (
            'SELECT m.name AS table_name, il.name AS index_name, il."unique" AS is_unique, '
            "il.origin AS origin, ii.name AS column_name "
            "FROM sqlite_master AS m JOIN pragma_index_list(m.name) AS il "
            "JOIN pragma_index_info(il.name) AS ii "
            "WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite!_%' ESCAPE '!' "
            "ORDER BY m.name, il.name, ii.seqno"
        ),
        "keys": (
            'SELECT m.name AS table_name, f.id AS name, f."table" AS target, '
            'f."from" AS column_name, f."to" AS target_column '
            "FROM sqlite_master AS m JOIN pragma_foreign_key_list(m.name) AS f "
            "WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite!_%' ESCAPE '!' "
            "ORDER BY m.name, f.id, f.seq"
        ),
    },
    "postgresql": {
        "columns": (
            "SELECT c.table_name::text AS table_name, c.column_name::text AS column_name, "
            "c.data_type::text AS data_type, c.is_nullable::text AS is_nullable, "
            "c.column_default::text AS column_default, c.is_identity::text AS is_identity, "
            "c.character_maximum_length::int AS character_maximum_length, "
            "c.numeric_precision::int AS numeric_precision, c.numeric_scale::int AS numeric_scale "
            "FROM information_schema.columns AS c JOIN information_schema.tables AS t "
            "ON t.table_schema = c.table_schema AND t.table_name = c.table_name "
            "WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' "
            "ORDER BY c.table_name, c.ordinal_position"
        ),
        "indexes": (
            "SELECT t.relname::text AS table_name, i.relname::text AS index_name, "
            "ix.indisunique AS is_unique, a.attname::text AS column_name "
            "FROM pg_index AS ix JOIN pg_class AS t ON t.oid = ix.indrelid "
            "JOIN pg_class AS i ON i.oid = ix.indexrelid "
            "JOIN pg_namespace AS ns ON ns.oid = t.relnamespace "
            "CROSS JOIN LATERAL unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, i) "
            "JOIN pg_attribute AS a ON a.attrelid = t.oid AND a.attnum = k.attnum "
            "WHERE ns.nspname = current_schema() AND NOT ix.indisprimary "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint AS c WHERE c.conindid = ix.indexrelid "
            "AND c.conrelid = ix.indrelid AND c.contype IN ('p', 'u', 'x')) "
            "ORDER BY t.relname, i.relname, k.i"
        ),
        "keys": (
            "SELECT rel.relname::text AS table_name, con.conname::text AS name, "
            "con.contype::text AS kind, a.attname::text AS column_name, "
            "frel.relname::text AS target, fa.attname::text AS target_column "
            "FROM pg_constraint AS con JOIN pg_class AS rel ON rel.oid = con.conrelid "
            "JOIN pg_namespace AS ns ON ns.oid = rel.relnamespace "
            "CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, i) "
            "JOIN pg_attribute AS a ON a.attrelid = con.conrelid AND a.attnum = k.attnum "
            "LEFT JOIN pg_class AS frel ON frel.oid = con.confrelid "
            "LEFT JOIN pg_attribute AS fa ON fa.attrelid = con.confrelid "
            "AND fa.attnum = con.confkey[k.i] "
            "WHERE ns.nspname = current_schema() AND con.contype IN ('p', 'u', 'f') "
            "ORDER BY rel.relname, con.conname, k.i"
        ),
    },
    "mysql": {
        "columns": (
            "SELECT c.TABLE_NAME AS table_name, c.COLUMN_NAME AS column_name, "
            "c.DATA_TYPE AS data_type, c.COLUMN_TYPE AS column_type, "
            "c.IS_NULLABLE AS is_nullable, c.COLUMN_DEFAULT AS column_default, c.EXTRA AS extra, "
            "c.CHARACTER_MAXIMUM_LENGTH AS character_maximum_length, "
            "c.NUMERIC_PRECISION AS numeric_precision, c.NUMERIC_SCALE AS numeric_scale "
            "FROM information_schema.COLUMNS AS c JOIN information_schema.TABLES AS t "
            "ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME "
            "WHERE c.TABLE_SCHEMA = DATABASE() AND t.TABLE_TYPE = 'BASE TABLE' "
            "ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION"
        ),
        "indexes": (
            "SELECT TABLE_NAME AS table_name, INDEX_NAME AS index_name, "
            "NON_UNIQUE AS non_unique, COLUMN_NAME AS column_name "
            "FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() "
            "ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX"
        ),
        "keys": (
            "SELECT TABLE_NAME AS table_name, CONSTRAINT_NAME AS name, COLUMN_NAME AS column_name, "
            "REFERENCED_TABLE_NAME AS target, REFERENCED_COLUMN_NAME AS target_column "
            "FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = DATABASE() "
            "AND REFERENCED_TABLE_NAME IS NOT NULL "
            "ORDER BY TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION"
        ),
    },
}
# MariaDB only: its JSON is a longtext with a json_valid CHECK (MySQL 8 names JSON in
# DATA_TYPE, and its CHECK_CONSTRAINTS has no TABLE_NAME).
_MARIADB_CHECKS = (
    "SELECT TABLE_NAME AS table_name, CHECK_CLAUSE AS clause "
    "FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE()"
)
# Asked first on MySQL: MariaDB and MySQL 8 write defaults differently.
VERSION_QUERY = "SELECT VERSION() AS version"


def queries(dialect: str, server_version: str = "") -> dict[str, str]:
    """The catalog queries to send, by name (``server_version``: MySQL's ``VERSION()``)."""
    out = dict(QUERIES[dialect])
    if dialect == "mysql" and is_mariadb(server_version):
        out["checks"] = _MARIADB_CHECKS
    return out


def is_mariadb(server_version: str) -> bool:
    return "mariadb" in server_version.lower()


_JSON_VALID = re.compile(r"json_valid\(\s*`((?:[^`]|``)+)`\s*\)", re.IGNORECASE)


def _by_table(rows: Rows) -> dict[str, list[Mapping[str, Any]]]:
    out: dict[str, list[Mapping[str, Any]]] = {}
    for row in rows:
        out.setdefault(str(row["table_name"]), []).append(row)
    return out


def _foreign_keys(rows: Rows) -> tuple[CatalogForeignKey, ...]:
    keys: dict[Any, list[Mapping[str, Any]]] = {}
    for row in rows:
        keys.setdefault(row["name"], []).append(row)
    return tuple(
        CatalogForeignKey(
            tuple(str(r["column_name"]) for r in parts),
            str(parts[0]["target"]),
            tuple(str(r["target_column"]) if r["target_column"] is not None else "" for r in parts),
        )
        for parts in keys.values()
    )


def _sqlite(results: Mapping[str, Rows]) -> list[CatalogTable]:
    indexes = _by_table(results["indexes"])
    keys = _by_table(results["keys"])
    tables = []
    for name, rows in _by_table(results["columns"]).items():
        pk = tuple(str(r["column_name"]) for r in sorted(rows, key=lambda r: r["pk"]) if r["pk"])
        columns = []
        for row in rows:
            kind, size = sqlite_kind(str(row["declared"] or ""))
            # INTEGER PRIMARY KEY is the rowid: SQLite numbers it.
            auto = pk == (row["column_name"],) and str(row["declared"]).upper() == "INTEGER"
            columns.append(
                CatalogColumn(
                    str(row["column_name"]),
                    kind,
                    nullable=not row["not_null"] and row["column_name"] not in pk,
                    default=parse_default(row["column_default"], kind),
                    auto_increment=auto,
                    sql_type=str(row["declared"] or ""),
                    **size,
                )
            )
        unique: list[tuple[str, ...]] = []
        plain: list[tuple[str, ...]] = []
        for (_, origin, is_unique), cols in _index_groups(indexes.get(name, [])).items():
            if origin == "pk":
                continue
            (unique if is_unique else plain).append(cols)
        tables.append(
            CatalogTable(
                name,
                tuple(columns),
                pk,
                tuple(unique),
                tuple(plain),
                _foreign_keys(keys.get(name, [])),
            )
        )
    return _fill_target_columns(tables)


def _index_groups(rows: Sequence[Mapping[str, Any]]) -> dict[tuple[Any, Any, Any], tuple[str, ...]]:
    out: dict[tuple[Any, Any, Any], list[str]] = {}
    for row in rows:
        key = (row["index_name"], row.get("origin"), bool(row["is_unique"]))
        out.setdefault(key, []).append(str(row["column_name"]))
    return {key: tuple(columns) for key, columns in out.items()}


def _fill_target_columns(tables: list[CatalogTable]) -> list[CatalogTable]:
    """SQLite leaves the referenced columns out when a key references the primary key."""
    pks = {t.name: t.primary_key for t in tables}
    out = []
    for table in tables:
        fks = tuple(
            CatalogForeignKey(fk.columns, fk.target, pks.get(fk.target, ()))
            if not all(fk.target_columns)
            else fk
            for fk in table.foreign_keys
        )
        out.append(
            CatalogTable(
                table.name, table.columns, table.primary_key, table.unique, table.indexes, fks
            )
        )
    return out


def _postgresql(results: Mapping[str, Rows]) -> list[CatalogTable]:
    indexes = _by_table(results["indexes"])
    keys = _by_table(results["keys"])
    tables = []
    for name, rows in _by_table(results["columns"]).items():
        constraints = keys.get(name, [])
        pk = tuple(str(r["column_name"]) for r in constraints if r["kind"] == "p")
        unique = list(
            group_columns(
                [r for r in constraints if r["kind"] == "u"], "name", "column_name"
            ).values()
        )
        plain: list[tuple[str, ...]] = []
        for (_, _, is_unique), cols in _index_groups(indexes.get(name, [])).items():
            (unique if is_unique else plain).append(cols)
        columns = []
        for row in rows:
            kind, size = postgresql_kind(row)
            default = row["column_default"]
            auto = row["is_identity"] == "YES" or str(default or "").startswith("nextval(")
            columns.append(
                CatalogColumn(
                    str(row["column_name"]),
                    kind,
                    nullable=row["is_nullable"] == "YES",
                    default=None if auto else parse_default(default, kind),
                    auto_increment=auto,
                    sql_type=str(row["data_type"]),
                    guessed=not known_type("postgresql", str(row["data_type"])),
                    **size,
                )
            )
        fks = _foreign_keys([r for r in constraints if r["kind"] == "f"])
        tables.append(CatalogTable(name, tuple(columns), pk, tuple(unique), tuple(plain), fks))
    return tables


def _mysql(results: Mapping[str, Rows], server_version: str) -> list[CatalogTable]:
    # MariaDB quotes a literal string default; MySQL 8 does not, and flags an expression
    # default DEFAULT_GENERATED instead.
    bare_strings = not is_mariadb(server_version)
    indexes = _by_table(results["indexes"])
    keys = _by_table(results["keys"])
    json_columns: dict[str, set[str]] = {}
    for row in results.get("checks", ()):
        for match in _JSON_VALID.finditer(str(row["clause"])):
            json_columns.setdefault(str(row["table_name"]), set()).add(match.group(1))
    tables = []
    for name, rows in _by_table(results["columns"]).items():
        pk: tuple[str, ...] = ()
        unique: list[tuple[str, ...]] = []
        plain: list[tuple[str, ...]] = []
        for index_name, non_unique, cols in _mysql_indexes(indexes.get(name, [])):
            if index_name == "PRIMARY":
                pk = cols
            else:
                (plain if non_unique else unique).append(cols)
        columns = []
        for row in rows:
            kind, size = mysql_kind(row, frozenset(json_columns.get(name, ())))
            extra = str(row["extra"] or "").lower()
            generated = "default_generated" in extra
            columns.append(
                CatalogColumn(
                    str(row["column_name"]),
                    kind,
                    nullable=row["is_nullable"] == "YES",
                    default=parse_default(
                        row["column_default"], kind, bare_strings=bare_strings and not generated
                    ),
                    auto_increment="auto_increment" in extra,
                    sql_type=str(row["column_type"]),
                    guessed=kind == "str" and not known_type("mysql", str(row["data_type"])),
                    **size,
                )
            )
        fks = _foreign_keys(keys.get(name, []))
        # InnoDB indexes every foreign key itself: not a declaration of the schema's.
        fk_columns = {fk.columns for fk in fks}
        plain = [cols for cols in plain if cols not in fk_columns]
        tables.append(CatalogTable(name, tuple(columns), pk, tuple(unique), tuple(plain), fks))
    return tables


def _mysql_indexes(rows: Sequence[Mapping[str, Any]]) -> list[tuple[str, bool, tuple[str, ...]]]:
    out: dict[str, tuple[bool, list[str]]] = {}
    for row in rows:
        entry = out.setdefault(str(row["index_name"]), (bool(int(row["non_unique"])), []))
        entry[1].append(str(row["column_name"]))
    return [(name, non_unique, tuple(cols)) for name, (non_unique, cols) in out.items()]


def assemble(
    dialect: str, results: Mapping[str, Rows], server_version: str = ""
) -> list[CatalogTable]:
    """The tables of one database from its catalog rows (``results`` by query name)."""
    if dialect == "sqlite":
        tables = _sqlite(results)
    elif dialect == "postgresql":
        tables = _postgresql(results)
    else:
        tables = _mysql(results, server_version)
    return sorted(tables, key=lambda table: table.name)
