"""What the round-trip tests share: databases of their own on the test servers (made with
admin SQL, dropped at the end), running a dump tool, loading a file with ``twinsql load``,
and fingerprints of a database — a checksum per table (read through the raw driver, in
primary-key order) and its catalog objects — to compare a load with its original."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests import support
from tests.conftest import require_server
from twinsql.batch.script import ScriptReader, ScriptStatement
from twinsql.cli import main
from twinsql.connection.url import parse_url
from twinsql.sql.lexer import Lexer

_counter = iter(range(1, 1_000_000))


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed")
    return path


def run_tool(argv: list[str], out: Path) -> None:
    with out.open("wb") as handle:
        subprocess.run(argv, stdout=handle, check=True, timeout=60)


def load(url: str, path: Path, *extra: str) -> int:
    return main(["load", url, str(path), "--no-progress", *extra])


# -- PostgreSQL ---------------------------------------------------------------------------


def _pg_params(database: str) -> dict[str, Any]:
    url = parse_url(support.POSTGRESQL_URL)
    return {"host": url.host or "127.0.0.1", "port": url.port or 5432,
            "user": url.username or "postgres", "password": url.password or None,
            "dbname": database}  # fmt: skip


def pg_connect(database: str) -> Any:
    import psycopg

    return psycopg.connect(**_pg_params(database), autocommit=True)


@contextmanager
def pg_database() -> Iterator[str]:
    """A new empty PostgreSQL database: its name; dropped afterwards."""
    require_server("psycopg")
    name = f"{support.RUN_DATABASE}_d{next(_counter)}"
    with pg_connect("postgres") as admin:
        admin.execute(f'CREATE DATABASE "{name}"'.encode())
    try:
        yield name
    finally:
        with pg_connect("postgres") as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'.encode())


def pg_url(database: str) -> str:
    params = _pg_params(database)
    return f"postgresql://{params['user']}@{params['host']}:{params['port']}/{database}"


def pg_dump_argv(database: str) -> list[str]:
    params = _pg_params(database)
    return [tool("pg_dump"), "-h", str(params["host"]), "-p", str(params["port"]),
            "-U", params["user"], "--no-owner", database]  # fmt: skip


def pg_fingerprint(database: str) -> dict[str, Any]:
    with pg_connect(database) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
            "AND table_type = 'BASE TABLE' ORDER BY 1")]  # fmt: skip
        found: dict[str, Any] = {
            f"table {t}": _digest(conn.execute(f'SELECT * FROM "{t}" ORDER BY 1').fetchall())
            for t in tables
        }
        catalog = {
            "views": "SELECT viewname, definition FROM pg_views WHERE schemaname = 'public'",
            "triggers": "SELECT tgname, tgrelid::regclass::text, pg_get_triggerdef(oid) "
                        "FROM pg_trigger WHERE NOT tgisinternal",
            "routines": "SELECT proname, prokind, pg_get_functiondef(p.oid) FROM pg_proc p "
                        "JOIN pg_namespace n ON n.oid = p.pronamespace WHERE nspname = 'public'",
            "sequences": "SELECT sequencename, last_value, start_value FROM pg_sequences",
            "enums": "SELECT t.typname, e.enumlabel, e.enumsortorder FROM pg_enum e "
                     "JOIN pg_type t ON t.oid = e.enumtypid",
            "domains": "SELECT domain_name, data_type FROM information_schema.domains "
                       "WHERE domain_schema = 'public'",
            "columns": "SELECT table_name, column_name, data_type, is_generated, "
                       "generation_expression FROM information_schema.columns "
                       "WHERE table_schema = 'public'",
        }  # fmt: skip
        for name, sql in catalog.items():
            found[name] = sorted(map(tuple, conn.execute(sql).fetchall()), key=repr)
    return found


# -- MariaDB ------------------------------------------------------------------------------


def _my_params() -> dict[str, Any]:
    url = parse_url(support.MYSQL_URL)
    return {"host": url.host or "127.0.0.1", "port": url.port or 3306,
            "user": url.username or "root", "password": url.password or ""}  # fmt: skip


def my_connect(database: str | None = None) -> Any:
    import pymysql

    return pymysql.connect(**_my_params(), database=database, autocommit=True,
                           charset="utf8mb4")  # fmt: skip


@contextmanager
def my_database() -> Iterator[str]:
    require_server("mysql")
    name = f"{support.RUN_DATABASE}_d{next(_counter)}"
    with closing(my_connect()) as admin, admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    try:
        yield name
    finally:
        with closing(my_connect()) as admin, admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")


def my_url(database: str) -> str:
    params = _my_params()
    return f"mysql://{params['user']}@{params['host']}:{params['port']}/{database}"


def my_dump_argv(database: str, *options: str) -> list[str]:
    params = _my_params()
    argv = [tool("mariadb-dump"), "-h", params["host"], "-P", str(params["port"]),
            "-u", params["user"], *options, database]  # fmt: skip
    if params["password"]:
        argv.insert(-1, f"--password={params['password']}")
    return argv


def my_fingerprint(database: str) -> dict[str, Any]:
    with closing(my_connect(database)) as conn, conn.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, table_type, auto_increment FROM information_schema.tables "
            "WHERE table_schema = %s ORDER BY 1", (database,))  # fmt: skip
        tables = cursor.fetchall()
        found: dict[str, Any] = {"tables": sorted(tables)}
        for name, kind, _ in tables:
            if kind == "BASE TABLE":
                cursor.execute(f"SELECT * FROM `{name}` ORDER BY 1")
                found[f"table {name}"] = _digest(cursor.fetchall())
        catalog = {
            "views": "SELECT table_name, view_definition FROM information_schema.views "
                     "WHERE table_schema = %s",
            "triggers": "SELECT trigger_name, event_object_table, action_statement, "
                        "action_timing, event_manipulation FROM information_schema.triggers "
                        "WHERE trigger_schema = %s",
            "routines": "SELECT routine_name, routine_type, routine_definition "
                        "FROM information_schema.routines WHERE routine_schema = %s",
            "events": "SELECT event_name, event_definition, status FROM "
                      "information_schema.events WHERE event_schema = %s",
            "columns": "SELECT table_name, column_name, column_type, generation_expression "
                       "FROM information_schema.columns WHERE table_schema = %s",
        }  # fmt: skip
        for key, sql in catalog.items():
            cursor.execute(sql, (database,))
            found[key] = sorted(cursor.fetchall(), key=repr)
    return found


# -- SQLite -------------------------------------------------------------------------------


def sqlite_fingerprint(path: Path) -> dict[str, Any]:
    with closing(sqlite3.connect(path)) as conn:
        objects = conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall()
        found: dict[str, Any] = {"objects": sorted(objects, key=repr)}
        for kind, name, _, _ in objects:
            if kind == "table":
                rows = conn.execute(f'SELECT * FROM "{name}" ORDER BY 1').fetchall()
                found[f"table {name}"] = _digest(rows)
    return found


def sqlite_journal_mode(path: Path) -> str:
    with closing(sqlite3.connect(path)) as conn:
        return str(conn.execute("PRAGMA journal_mode").fetchone()[0])


def _digest(rows: list[Any]) -> tuple[int, str]:
    return len(rows), hashlib.sha256(repr([tuple(row) for row in rows]).encode()).hexdigest()


def assert_inserts_read_alike(dump: Path, lexer: Lexer) -> None:
    """A real dump reads the same with the lane of literal INSERTs as without it (every
    statement and line, in chunks of any size), and every statement the one-step INSERT
    reading takes gets from it the shape the token-by-token reading gives; it takes some
    (the dump's rows)."""
    from tests.core.test_sql_literal_insert import assert_same_reading

    text = dump.read_text(encoding="utf-8", errors="surrogateescape")
    items = list(ScriptReader(lexer, literal_lane=False).read([text]))
    for size in (997, 1 << 16):
        chunks = [text[at : at + size] for at in range(0, len(text), size)]
        assert list(ScriptReader(lexer).read(chunks)) == items
    taken = [item.sql for item in items
             if isinstance(item, ScriptStatement) and item.copy is None
             and assert_same_reading(item.sql, lexer)]  # fmt: skip
    assert taken
