"""Pure tests of the driver layer: the traits the layers above read, the registry's choice
of driver (and its refusal of a driver twinsql has no adapter for), and the MySQL status
correction after a deadlock. No database: nothing here connects."""

from __future__ import annotations

from typing import Any

import pytest

from twinsql import errors
from twinsql.connection.url import parse_url
from twinsql.drivers import async_driver_for, driver_for
from twinsql.drivers.asyncmy import AsyncmyConnection, AsyncmyDriver
from twinsql.drivers.asyncpg import AsyncpgConnection, AsyncpgDriver
from twinsql.drivers.base import ConnectOptions, hide_password
from twinsql.drivers.mysql import SERVER_STATUS_IN_TRANS, session_setup
from twinsql.drivers.psycopg import (
    AsyncPsycopgConnection,
    AsyncPsycopgDriver,
    PsycopgConnection,
    PsycopgDriver,
)
from twinsql.drivers.pymysql import PyMySQLConnection, PyMySQLDriver
from twinsql.drivers.sqlite import SqliteConnection, SqliteDriver
from twinsql.drivers.sqlite_async import AsyncSqliteConnection, AsyncSqliteDriver
from twinsql.sql.dialects import MYSQL, POSTGRESQL, SQLITE

TRAITS = ("dialect", "paramstyle", "interpolates_values", "rewrites_executemany", "can_copy")

# driver, its connection class, and (dialect, paramstyle, interpolates, rewrites, can_copy)
EXPECTED: list[tuple[type, type, tuple[Any, ...]]] = [
    (SqliteDriver, SqliteConnection, (SQLITE, "qmark", False, False, False)),
    (AsyncSqliteDriver, AsyncSqliteConnection, (SQLITE, "qmark", False, False, False)),
    (PsycopgDriver, PsycopgConnection, (POSTGRESQL, "format", False, False, True)),
    (AsyncPsycopgDriver, AsyncPsycopgConnection, (POSTGRESQL, "format", False, False, True)),
    (AsyncpgDriver, AsyncpgConnection, (POSTGRESQL, "numeric", False, False, True)),
    (PyMySQLDriver, PyMySQLConnection, (MYSQL, "format", True, True, False)),
    (AsyncmyDriver, AsyncmyConnection, (MYSQL, "format", True, True, False)),
]


@pytest.mark.parametrize(("driver", "connection", "expected"), EXPECTED,
                         ids=[d.__name__ for d, _, _ in EXPECTED])  # fmt: skip
def test_traits(driver: type, connection: type, expected: tuple[Any, ...]) -> None:
    assert tuple(getattr(driver, trait) for trait in TRAITS) == expected
    # A driver and its connections state the same traits (one class holds them).
    assert tuple(getattr(connection, trait) for trait in TRAITS) == expected


def test_copy_rows_exactly_where_can_copy() -> None:
    for _, connection, _ in EXPECTED:
        assert hasattr(connection, "copy_rows") is connection.can_copy, connection.__name__


@pytest.mark.parametrize(
    ("url", "sync_driver", "async_driver"),
    [
        ("sqlite://", SqliteDriver, AsyncSqliteDriver),
        ("postgresql://h/db", PsycopgDriver, AsyncPsycopgDriver),
        ("postgresql+psycopg://h/db", PsycopgDriver, AsyncPsycopgDriver),
        ("postgresql+asyncpg://h/db", PsycopgDriver, AsyncpgDriver),
        ("mysql://h/db", PyMySQLDriver, AsyncmyDriver),
        ("mariadb+pymysql://h/db", PyMySQLDriver, AsyncmyDriver),
        ("mysql+asyncmy://h/db", PyMySQLDriver, AsyncmyDriver),
    ],
)
def test_registry(url: str, sync_driver: type, async_driver: type) -> None:
    assert type(driver_for(parse_url(url))) is sync_driver
    assert type(async_driver_for(parse_url(url))) is async_driver


@pytest.mark.parametrize("url", ["mysql+mysqlclient://u:p@h/db", "mariadb+mysqldb://h/db"])
def test_mysqlclient_is_refused_with_what_is_supported(url: str) -> None:
    for choose in (driver_for, async_driver_for):
        with pytest.raises(errors.ConfigurationError) as info:
            choose(parse_url(url))
        message = str(info.value)
        assert "mysql+mysqlclient:// is not supported" in message
        assert "mysql+pymysql://" in message and "mysql+asyncmy://" in message


def test_each_database_has_its_own_driver_instance() -> None:
    url = parse_url("sqlite://")
    assert async_driver_for(url) is not async_driver_for(url)


def test_hide_password() -> None:
    url = parse_url("postgresql://app:s3cr%40t@h/db")
    assert hide_password('password "s3cr@t" refused', url) == 'password "***" refused'
    assert hide_password("no password here", parse_url("postgresql://app@h/db")) == (
        "no password here")  # fmt: skip


def test_mysql_session_setup() -> None:
    timeout = ConnectOptions(statement_timeout=1.5)
    assert session_setup("10.11.6-MariaDB", timeout) == (
        "SET SESSION max_statement_time = 1.500000",)  # fmt: skip
    assert session_setup("8.0.36", timeout) == ("SET SESSION max_execution_time = 1500",)
    assert session_setup("8.0.36", ConnectOptions()) == ()


class _NativeError(Exception):
    """Stands for a MySQL driver's ``MySQLError``: ``args`` are (errno, message)."""


class _FakeMySQL:
    """Just what the MySQL connection base reads: a cursor and the server status."""

    def __init__(self) -> None:
        self.server_status = SERVER_STATUS_IN_TRANS

    def cursor(self) -> object:
        return object()


def test_mysql_deadlock_ends_the_transaction_lock_timeout_does_not() -> None:
    native = _FakeMySQL()
    conn = PyMySQLConnection(native, _NativeError)
    assert conn.in_transaction
    timeout = conn.classify_error(_NativeError(1205, "Lock wait timeout exceeded"))
    assert timeout is not None and timeout.cls is errors.LockTimeout
    assert conn.in_transaction  # only the statement was rolled back
    deadlock = conn.classify_error(_NativeError(1213, "Deadlock found"))
    assert deadlock is not None and deadlock.cls is errors.DeadlockDetected
    assert not conn.in_transaction  # the server rolled the whole transaction back
    assert conn.classify_error(ValueError("not the driver's")) is None
