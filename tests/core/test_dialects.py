"""Pure tests of twinsql.sql.dialects: quoting (hostile identifiers included), isolation
allow-lists, transaction-control statements, capabilities and limits."""

from __future__ import annotations

import dataclasses

import pytest

from twinsql.errors import ArgumentError, ConfigurationError, InvalidIdentifierError
from twinsql.sql import params
from twinsql.sql.dialects import (
    ASYNCPG_MAX_PARAMS,
    MYSQL,
    MYSQL_DEFAULT_MAX_PACKET,
    MYSQL_MAX_PARAMS,
    POSTGRESQL,
    PSYCOPG_MAX_PARAMS,
    SQLITE,
    SQLITE_DEFAULT_MAX_PARAMS,
    Dialect,
    get_dialect,
)

DIALECTS = [SQLITE, POSTGRESQL, MYSQL]
ids = [d.name for d in DIALECTS]


@pytest.mark.parametrize(
    ("dialect", "name", "quoted"),
    [
        (SQLITE, "users", '"users"'),
        (POSTGRESQL, "Users", '"Users"'),
        (MYSQL, "users", "`users`"),
        (SQLITE, 'a"b', '"a""b"'),
        (POSTGRESQL, 'x"; DROP TABLE canary; --', '"x""; DROP TABLE canary; --"'),
        (MYSQL, "x`; DROP TABLE canary; --", "`x``; DROP TABLE canary; --`"),
        (MYSQL, 'a"b', '`a"b`'),
        (POSTGRESQL, "a`b", '"a`b"'),
        (SQLITE, "per % cent", '"per % cent"'),
        (POSTGRESQL, "q?marks", '"q?marks"'),
        (MYSQL, "col:ons", "`col:ons`"),
        (SQLITE, "[BracketsAndCase]", '"[BracketsAndCase]"'),
        (POSTGRESQL, "dot.s", '"dot.s"'),
        (SQLITE, "naïve ☃", '"naïve ☃"'),
    ],
)
def test_quote_identifier_golden(dialect: Dialect, name: str, quoted: str) -> None:
    assert dialect.quote_identifier(name) == quoted


HOSTILE = [
    'x"; DROP TABLE canary; --',
    "x`; DROP TABLE canary; --",
    'a" OR 1=1 --',
    "%",
    "%(x)s",
    "?",
    "$1",
    ":name",
    "#",
    "--",
    "/*",
    "*/",
    "new\nline",
    "'",
    "''",
    '"',
    '""',
    "`",
    "``",
    "]",
    "[",
    "$$",
    "$a$",
    ";",
    "\\",
    "\\'",
    "tab\there",
    "🙂" * 3,
    "a" * 60,
]


@pytest.mark.parametrize("dialect", DIALECTS, ids=ids)
@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_identifiers_stay_one_quoted_token(dialect: Dialect, name: str) -> None:
    try:
        quoted = dialect.quote_identifier(name)
    except InvalidIdentifierError:
        assert dialect is MYSQL and "🙂" in name  # non-BMP is MySQL's only refusal here
        return
    q = dialect.identifier_quote
    assert quoted[0] == quoted[-1] == q
    assert quoted[1:-1].replace(q + q, "").count(q) == 0
    assert quoted[1:-1].replace(q + q, q) == name
    # The dialect's own lexer sees one quoted token: nothing leaks out as SQL.
    sql = f"SELECT {quoted} FROM t WHERE a = ?"
    compiled = params.compile_sql(sql, "format", dialect.name)  # type: ignore[arg-type]
    assert compiled.count == 1
    tokens, unterminated = params.scan_tokens(quoted, dialect.name)
    assert not unterminated and len(tokens) == 1


@pytest.mark.parametrize("dialect", DIALECTS, ids=ids)
@pytest.mark.parametrize(
    ("bad", "fragment"),
    [
        (None, "must be a str"),
        (5, "must be a str"),
        (b"users", "must be a str"),
        ("", "empty"),
        ("a\x00b", "NUL"),
        ("x\ud800", "surrogate"),
        ("a" * 5000, "long"),
    ],
)
def test_invalid_identifiers(dialect: Dialect, bad: object, fragment: str) -> None:
    with pytest.raises(InvalidIdentifierError, match=fragment):
        dialect.quote_identifier(bad)  # type: ignore[arg-type]


def test_identifier_length_limits() -> None:
    assert POSTGRESQL.quote_identifier("a" * 63)
    with pytest.raises(InvalidIdentifierError, match="64 bytes"):
        POSTGRESQL.quote_identifier("a" * 64)
    with pytest.raises(InvalidIdentifierError, match="bytes"):  # PostgreSQL counts bytes
        POSTGRESQL.quote_identifier("é" * 32)
    assert MYSQL.quote_identifier("é" * 64)  # MySQL counts characters
    with pytest.raises(InvalidIdentifierError, match="65 characters"):
        MYSQL.quote_identifier("a" * 65)
    assert SQLITE.quote_identifier("a" * 1000)
    with pytest.raises(InvalidIdentifierError) as info:
        SQLITE.quote_identifier("x" * 10_000)
    assert len(str(info.value)) < 300  # a 10 kB payload is not echoed in full


def test_mysql_specific_refusals() -> None:
    with pytest.raises(InvalidIdentifierError, match="ends with a space"):
        MYSQL.quote_identifier("name ")
    with pytest.raises(InvalidIdentifierError, match="Basic Multilingual Plane"):
        MYSQL.quote_identifier("emoji🙂")
    assert POSTGRESQL.quote_identifier("name ") == '"name "'


def test_quote_qualified() -> None:
    assert POSTGRESQL.quote_qualified("public", "users") == '"public"."users"'
    assert MYSQL.quote_qualified("db", "t`x") == "`db`.`t``x`"
    assert SQLITE.quote_qualified("t") == '"t"'
    with pytest.raises(InvalidIdentifierError):
        SQLITE.quote_qualified()
    with pytest.raises(InvalidIdentifierError):
        POSTGRESQL.quote_qualified("public", "")


@pytest.mark.parametrize("dialect", [POSTGRESQL, MYSQL], ids=["postgresql", "mysql"])
@pytest.mark.parametrize(
    ("given", "canonical"),
    [
        ("serializable", "serializable"),
        ("SERIALIZABLE", "serializable"),
        ("  Serializable ", "serializable"),
        ("READ_COMMITTED", "read committed"),
        ("read committed", "read committed"),
        ("repeatable-read", "repeatable read"),
        ("Repeatable  Read", "repeatable read"),
        ("read_uncommitted", "read uncommitted"),
    ],
)
def test_normalize_isolation(dialect: Dialect, given: str, canonical: str) -> None:
    assert dialect.normalize_isolation(given) == canonical


@pytest.mark.parametrize("dialect", DIALECTS, ids=ids)
@pytest.mark.parametrize(
    "hostile",
    [
        "serializable; DROP TABLE canary",
        "serializable --",
        "read committed, read write",
        "snapshot",
        "chaos",
        "",
        "x" * 10_000,
        "serializable\x00",
    ],
)
def test_isolation_allow_list(dialect: Dialect, hostile: str) -> None:
    with pytest.raises(ArgumentError, match="isolation level") as info:
        dialect.normalize_isolation(hostile)
    assert len(str(info.value)) < 400
    with pytest.raises(ArgumentError):
        dialect.begin_statements(hostile, False)


@pytest.mark.parametrize("dialect", DIALECTS, ids=ids)
def test_isolation_must_be_str(dialect: Dialect) -> None:
    with pytest.raises(ArgumentError, match="must be a str"):
        dialect.normalize_isolation(3)  # type: ignore[arg-type]


def test_sqlite_isolation() -> None:
    assert SQLITE.normalize_isolation("SERIALIZABLE") == "serializable"
    assert SQLITE.normalize_isolation("Immediate") == "immediate"
    for level in ("read committed", "READ_UNCOMMITTED", "repeatable read"):
        with pytest.raises(ArgumentError, match="always serializable"):
            SQLITE.normalize_isolation(level)
    with pytest.raises(ArgumentError, match="immediate"):
        SQLITE.normalize_isolation("bogus")
    with pytest.raises(ArgumentError):
        POSTGRESQL.normalize_isolation("immediate")  # SQLite's modes are SQLite's only


@pytest.mark.parametrize(
    ("dialect", "isolation", "readonly", "expected"),
    [
        (POSTGRESQL, None, False, ("BEGIN",)),
        (POSTGRESQL, "serializable", True, ("BEGIN ISOLATION LEVEL SERIALIZABLE READ ONLY",)),
        (POSTGRESQL, "read_committed", False, ("BEGIN ISOLATION LEVEL READ COMMITTED",)),
        (POSTGRESQL, None, True, ("BEGIN READ ONLY",)),
        (MYSQL, None, False, ("BEGIN",)),
        (
            MYSQL,
            "serializable",
            True,
            ("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE", "START TRANSACTION READ ONLY"),
        ),
        (
            MYSQL,
            "repeatable-read",
            False,
            ("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ", "START TRANSACTION"),
        ),
        (MYSQL, None, True, ("START TRANSACTION READ ONLY",)),
        (SQLITE, None, False, ("BEGIN",)),
        (SQLITE, "serializable", False, ("BEGIN",)),
        (SQLITE, "immediate", False, ("BEGIN IMMEDIATE",)),
        (SQLITE, "EXCLUSIVE", False, ("BEGIN EXCLUSIVE",)),
        (SQLITE, "deferred", False, ("BEGIN DEFERRED",)),
        (SQLITE, None, True, ("PRAGMA query_only = ON", "BEGIN")),
        (SQLITE, "immediate", True, ("PRAGMA query_only = ON", "BEGIN IMMEDIATE")),
    ],
)
def test_begin_statements(
    dialect: Dialect, isolation: str | None, readonly: bool, expected: tuple[str, ...]
) -> None:
    assert dialect.begin_statements(isolation, readonly) == expected


def test_begin_statements_reject_sqlite_levels() -> None:
    with pytest.raises(ArgumentError, match="always serializable"):
        SQLITE.begin_statements("read committed", False)


def test_end_statements() -> None:
    assert SQLITE.end_statements(True) == ("PRAGMA query_only = OFF",)
    assert SQLITE.end_statements(False) == ()
    assert POSTGRESQL.end_statements(True) == ()
    assert MYSQL.end_statements(True) == ()


@pytest.mark.parametrize(
    ("dialect", "expected"),
    [
        (SQLITE, ('SAVEPOINT "sp_1"', 'RELEASE SAVEPOINT "sp_1"', 'ROLLBACK TO SAVEPOINT "sp_1"')),
        (
            POSTGRESQL,
            ('SAVEPOINT "sp_1"', 'RELEASE SAVEPOINT "sp_1"', 'ROLLBACK TO SAVEPOINT "sp_1"'),
        ),
        (MYSQL, ("SAVEPOINT `sp_1`", "RELEASE SAVEPOINT `sp_1`", "ROLLBACK TO SAVEPOINT `sp_1`")),
    ],
)
def test_savepoint_sql(dialect: Dialect, expected: tuple[str, str, str]) -> None:
    assert (
        dialect.savepoint_sql("sp_1"),
        dialect.release_savepoint_sql("sp_1"),
        dialect.rollback_to_savepoint_sql("sp_1"),
    ) == expected


@pytest.mark.parametrize("dialect", DIALECTS, ids=ids)
def test_hostile_savepoint_names(dialect: Dialect) -> None:
    # Piccolo CVE-2023-47128: savepoint names were formatted in raw.
    q = dialect.identifier_quote
    name = f"sp{q}; DROP TABLE canary; --"
    sql = dialect.savepoint_sql(name)
    assert sql == f"SAVEPOINT {q}sp{q}{q}; DROP TABLE canary; --{q}"
    params.compile_sql(sql, "format", dialect.name)  # type: ignore[arg-type]  # one statement
    for method in (
        dialect.savepoint_sql,
        dialect.release_savepoint_sql,
        dialect.rollback_to_savepoint_sql,
    ):
        with pytest.raises(InvalidIdentifierError):
            method("sp\x00")
        with pytest.raises(InvalidIdentifierError):
            method("")


def test_capabilities() -> None:
    sqlite, pg, mysql = SQLITE.capabilities, POSTGRESQL.capabilities, MYSQL.capabilities
    assert sqlite.returning_insert and sqlite.returning_update_delete
    assert not sqlite.for_update and not sqlite.skip_locked and not sqlite.nowait
    assert sqlite.upsert == pg.upsert == "on_conflict"
    assert sqlite.transactional_ddl and pg.transactional_ddl and not mysql.transactional_ddl
    assert sqlite.readonly_transactions and pg.readonly_transactions
    assert sqlite.isolation_levels == frozenset({"serializable"})
    assert all(dataclasses.astuple(pg)[:-1][i] for i in (0, 1, 2, 4, 5, 6, 7, 8, 9, 10, 11))
    assert mysql.upsert == "on_duplicate_key"
    assert not mysql.returning_insert and not mysql.returning_update_delete
    assert mysql.for_update and mysql.skip_locked and mysql.nowait
    expected = {"read uncommitted", "read committed", "repeatable read", "serializable"}
    assert pg.isolation_levels == mysql.isolation_levels == expected
    for caps in (sqlite, pg, mysql):
        assert caps.savepoints and caps.window_functions and caps.cte and caps.recursive_cte


def test_dialect_data() -> None:
    assert (SQLITE.name, POSTGRESQL.name, MYSQL.name) == ("sqlite", "postgresql", "mysql")
    assert SQLITE.identifier_quote == POSTGRESQL.identifier_quote == '"'
    assert MYSQL.identifier_quote == "`"
    assert POSTGRESQL.max_identifier_length == 63
    assert MYSQL.max_identifier_length == 64
    assert SQLITE.max_identifier_length >= 1024
    assert SQLITE.default_max_params == SQLITE_DEFAULT_MAX_PARAMS == 32766
    assert POSTGRESQL.default_max_params == ASYNCPG_MAX_PARAMS == 32767
    assert MYSQL.default_max_params == MYSQL_MAX_PARAMS == 65535
    assert PSYCOPG_MAX_PARAMS == 65535
    assert MYSQL_DEFAULT_MAX_PACKET == 16 * 1024 * 1024
    with pytest.raises(dataclasses.FrozenInstanceError):
        SQLITE.name = "x"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("name", "dialect"),
    [
        ("sqlite", SQLITE),
        ("postgresql", POSTGRESQL),
        ("postgres", POSTGRESQL),
        ("mysql", MYSQL),
        ("mariadb", MYSQL),
        ("PostgreSQL", POSTGRESQL),
    ],
)
def test_get_dialect(name: str, dialect: Dialect) -> None:
    assert get_dialect(name) is dialect


@pytest.mark.parametrize("bad", ["mssql", "", "sqlite; DROP", None, 3])
def test_get_dialect_unknown(bad: object) -> None:
    with pytest.raises(ConfigurationError, match="sqlite, postgresql, mysql"):
        get_dialect(bad)  # type: ignore[arg-type]
