"""Test support (hand-written, shared by the async tests and their generated sync twins).

Which backends the suite runs on, their URLs, whether their servers answer, and portable
DDL. Servers default to the local PostgreSQL and MariaDB; override with
``TWINSQL_TEST_POSTGRESQL_URL`` / ``TWINSQL_TEST_MYSQL_URL``. Under ``CI=true`` a server that
does not answer fails the run; elsewhere its tests are skipped and the summary says so.
"""

from __future__ import annotations

import functools
import os
import socket
import uuid

from twinsql.connection.url import parse_url

POSTGRESQL_URL = os.environ.get(
    "TWINSQL_TEST_POSTGRESQL_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
MYSQL_URL = os.environ.get("TWINSQL_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

# backend id -> which server it needs
SERVER_OF = {"sqlite": None, "psycopg": "postgresql", "asyncpg": "postgresql", "mysql": "mysql"}


def _with_database(url: str, database: str) -> str:
    """``url`` with its database name replaced (the query string is kept)."""
    scheme_and_rest, _, query = url.partition("?")
    base = scheme_and_rest.rsplit("/", 1)[0] + "/" + database
    return base + ("?" + query if query else "")


# Every test run gets databases of its own on the shared servers, so that two runs at once
# (or a run beside the benchmark) never see each other's tables or sessions.
RUN_DATABASE = f"twinsql_t{os.getpid()}_{uuid.uuid4().hex[:8]}"


def ensure_run_database(server: str) -> None:
    """Create this run's database on ``server`` the first time a test needs it, and point
    that server's URL at it (a run of the pure tests alone creates nothing)."""
    global POSTGRESQL_URL, MYSQL_URL
    if server in _created or not server_answers(server):
        return
    _created.add(server)
    if server == "postgresql":
        _admin_postgresql(f'CREATE DATABASE "{RUN_DATABASE}"')
        POSTGRESQL_URL = _with_database(POSTGRESQL_URL, RUN_DATABASE)
    else:
        _admin_mysql(f"CREATE DATABASE `{RUN_DATABASE}`")
        MYSQL_URL = _with_database(MYSQL_URL, RUN_DATABASE)


_created: set[str] = set()


def drop_run_databases() -> None:
    """Drop what ``ensure_run_database`` made (sessions still open are ended first)."""
    if "postgresql" in _created:
        _admin_postgresql(f'DROP DATABASE IF EXISTS "{RUN_DATABASE}" WITH (FORCE)')
    if "mysql" in _created:
        _admin_mysql(f"DROP DATABASE IF EXISTS `{RUN_DATABASE}`")


def _admin_postgresql(sql: str) -> None:
    import psycopg

    url = parse_url(POSTGRESQL_URL)
    with psycopg.connect(
        host=url.host or "127.0.0.1", port=url.port or 5432, user=url.username or "postgres",
        password=url.password or None, dbname="postgres", autocommit=True,
    ) as conn:  # fmt: skip
        conn.execute(sql.encode())


def _admin_mysql(sql: str) -> None:
    import pymysql

    url = parse_url(MYSQL_URL)
    conn = pymysql.connect(
        host=url.host or "127.0.0.1", port=url.port or 3306, user=url.username or "root",
        password=url.password or "",
    )  # fmt: skip
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql)
    finally:
        conn.close()


def backends(is_async: bool) -> list[str]:
    """Backend ids for one mode: asyncpg is async-only."""
    ids = ["sqlite", "psycopg", "asyncpg", "mysql"]
    return ids if is_async else [b for b in ids if b != "asyncpg"]


def url_for(backend: str, sqlite_path: str) -> str:
    server = SERVER_OF[backend]
    if server is not None:
        ensure_run_database(server)
    if backend == "sqlite":
        return f"sqlite:///{sqlite_path}"
    if backend == "psycopg":
        return POSTGRESQL_URL.replace("postgresql+asyncpg://", "postgresql://")
    if backend == "asyncpg":
        url = POSTGRESQL_URL
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    return MYSQL_URL


@functools.cache
def server_answers(server: str) -> bool:
    url = parse_url(POSTGRESQL_URL if server == "postgresql" else MYSQL_URL)
    port = url.port or (5432 if server == "postgresql" else 3306)
    try:
        with socket.create_connection((url.host or "127.0.0.1", port), timeout=2):
            return True
    except OSError:
        return False


# Portable column types for the tests' tables.
_TYPES = {
    "sqlite": {
        "pk": "INTEGER PRIMARY KEY AUTOINCREMENT",
        "bigint": "BIGINT",
        "text": "TEXT",
        "float": "DOUBLE PRECISION",
        "decimal": "DECIMAL(20, 6)",
        "bytes": "BLOB",
        "bool": "BOOLEAN",
        "date": "DATE",
        "datetime": "TIMESTAMP",
        "time": "TIME",
        "uuid": "TEXT",
        "json": "TEXT",
    },
    "postgresql": {
        "pk": "SERIAL PRIMARY KEY",
        "bigint": "BIGINT",
        "text": "TEXT",
        "float": "DOUBLE PRECISION",
        "decimal": "NUMERIC(20, 6)",
        "bytes": "BYTEA",
        "bool": "BOOLEAN",
        "date": "DATE",
        "datetime": "TIMESTAMPTZ",
        "time": "TIME",
        "uuid": "UUID",
        "json": "JSONB",
    },
    "mysql": {
        "pk": "INTEGER PRIMARY KEY AUTO_INCREMENT",
        "bigint": "BIGINT",
        "text": "TEXT",
        "float": "DOUBLE",
        "decimal": "DECIMAL(20, 6)",
        "bytes": "BLOB",
        "bool": "BOOLEAN",
        "date": "DATE",
        "datetime": "DATETIME(6)",
        "time": "TIME(6)",
        "uuid": "CHAR(36)",
        "json": "JSON",
    },
}


def col(dialect: str, kind: str) -> str:
    """The column type for ``kind`` on ``dialect``."""
    return _TYPES[dialect][kind]


def session_id_sql(dialect: str) -> str | None:
    """SQL returning the server session id of the connection (None for SQLite)."""
    return {"postgresql": "SELECT pg_backend_pid()", "mysql": "SELECT CONNECTION_ID()"}.get(
        dialect
    )


def kill_sql(dialect: str) -> str:
    """SQL that kills another server session, given its id as the one parameter."""
    if dialect == "postgresql":
        # The timeout makes it wait until the backend has really exited.
        return "SELECT pg_terminate_backend(?, 5000)"
    return "KILL CONNECTION ?"


def series_sql(dialect: str) -> str:
    """SQL yielding integers 1..? in a column ``n`` (one parameter: the count)."""
    if dialect == "postgresql":
        return "SELECT n FROM generate_series(1, ?::int) AS n"
    if dialect == "mysql":
        return "SELECT seq AS n FROM seq_1_to_1000000 WHERE seq <= ?"
    return (
        "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < ?) "
        "SELECT n FROM s"
    )
