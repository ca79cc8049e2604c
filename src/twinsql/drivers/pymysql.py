"""Driver layer: MySQL and MariaDB over PyMySQL (sync), and the MySQL helpers the asyncmy
adapter shares with it (connection options, parameter conversion, error classification).

Connections are opened with ``autocommit=True`` and ``charset=utf8mb4``; the server's
``sql_mode`` is left as configured. ``in_transaction`` reads ``SERVER_STATUS_IN_TRANS`` from
the status of the last OK packet (no I/O). The client flag ``FOUND_ROWS`` is set so an
``UPDATE``'s row count is the rows it matched, as on PostgreSQL and SQLite, not only the
rows whose values changed.

Values, and why:

* ``dict`` and ``list`` parameters are sent as JSON text (PyMySQL would render a list as a
  SQL tuple and refuses a dict). A tz-aware ``datetime`` is converted to UTC and sent
  naive: DATETIME has no time zone and PyMySQL would silently drop the offset, storing
  two different instants as the same value. It reads back naive (in UTC).
* ``UUID`` is sent as its text and reads back as ``str``; ``bool`` reads back as ``int``
  0/1 (TINYINT); TIME reads back as ``datetime.timedelta`` (MySQL's TIME is a duration,
  -838:59:59 to 838:59:59). These are the drivers' own types, kept as they are.
* ``stream`` uses an unbuffered ``SSCursor``. MySQL cannot stop a result half-sent: a
  consumer that stops early has the rest of the result read and dropped, which leaves the
  connection clean (and can take as long as reading it).
"""

from __future__ import annotations

import datetime
import json
import ssl
from collections.abc import Generator, Mapping, Sequence
from decimal import Decimal
from typing import Any
from uuid import UUID

from twinsql import errors
from twinsql.connection.url import DatabaseURL
from twinsql.drivers.base import ConnectOptions, DriverResult, ErrorInfo
from twinsql.sql.dialects import MYSQL, MYSQL_MAX_PARAMS
from twinsql.sql.errorcodes import classify_mysql_errno
from twinsql.sql.placeholders import ParamStyle

try:
    import pymysql
    import pymysql.cursors
except ImportError:  # pragma: no cover - exercised only without the extra installed
    pymysql = None

__all__ = [
    "PyMySQLConnection",
    "PyMySQLDriver",
    "adapt_params",
    "classify_mysql_error",
    "mysql_connect_kwargs",
    "statement_timeout_sql",
]

INSTALL_HINT = "the {} package is not installed: install twinsql[mysql]"
SERVER_STATUS_IN_TRANS = 0x0001
CLIENT_FOUND_ROWS = 0x0002
_ER_LOCK_DEADLOCK = 1213  # the server rolled the whole transaction back
_PASS_THROUGH = frozenset({
    int, float, str, bytes, bool, type(None), Decimal, datetime.date, datetime.time,
    datetime.timedelta, UUID, bytearray,
})
# DB-API class names (PyMySQL's and asyncmy's share them) -> twinsql class, most specific first.
_BY_CLASS_NAME: tuple[tuple[str, type[errors.Error]], ...] = (
    ("IntegrityError", errors.IntegrityError),
    ("DataError", errors.DataError),
    ("ProgrammingError", errors.ProgrammingError),
    ("NotSupportedError", errors.ProgrammingError),
    ("OperationalError", errors.OperationalError),
    ("InterfaceError", errors.ConnectionLost),  # (0, '') on a closed connection
    ("InternalError", errors.DatabaseError),
)
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_KNOWN_OPTIONS = (
    "charset", "ssl", "ssl_ca", "ssl_cert", "ssl_key", "ssl_verify_cert", "ssl_verify_identity"
)


def _adapt(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    if isinstance(value, datetime.datetime) and value.tzinfo is not None:
        return value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return value


def adapt_params(params: Sequence[Any]) -> Sequence[Any]:
    """``params`` itself when every value passes through unchanged (one type look-up per
    value), otherwise a tuple with JSON text and UTC datetimes substituted."""
    for value in params:
        if type(value) not in _PASS_THROUGH:
            return tuple([_adapt(v) for v in params])
    return params


def classify_mysql_error(exc: BaseException, base: type[BaseException] | None) -> ErrorInfo | None:
    """Classify a PyMySQL or asyncmy error (``base`` is the driver's ``MySQLError``) by its
    error number, falling back on its DB-API class; socket errors are ConnectionLost."""
    if base is not None and isinstance(exc, base):
        args = exc.args
        errno = args[0] if args and isinstance(args[0], int) else None
        message = str(args[1]) if len(args) > 1 else (str(args[0]) if args else "")
        if not message:  # PyMySQL's InterfaceError(0, '') on a closed connection
            message = "the connection is closed" if errno == 0 else type(exc).__name__
        sqlstate = getattr(exc, "sqlstate", None)  # asyncmy and PyMySQL >= 1.2 set it
        cls = classify_mysql_errno(errno)
        if cls is None and errno is None and message == "Already closed":  # ping on a closed one
            cls = errors.ConnectionLost
        if cls is None:
            names = {c.__name__ for c in type(exc).__mro__}
            cls = next((c for name, c in _BY_CLASS_NAME if name in names), errors.DatabaseError)
        return ErrorInfo(cls, message, sqlstate if isinstance(sqlstate, str) else None)
    if isinstance(exc, (OSError, EOFError)):
        return ErrorInfo(errors.ConnectionLost, str(exc) or type(exc).__name__, None)
    return None


def _bool_option(key: str, value: str) -> bool:
    if value.lower() in _TRUE | _FALSE:
        return value.lower() in _TRUE
    raise errors.ConfigurationError(f"option {key} must be a boolean, got {value!r}")


def _ssl_context(extra: Mapping[str, str]) -> ssl.SSLContext | None:
    wanted = {k: v for k, v in extra.items() if k.startswith("ssl")}
    if not wanted or not _bool_option("ssl", wanted.pop("ssl", "true")):
        return None
    ca = wanted.get("ssl_ca")
    verify_cert = _bool_option("ssl_verify_cert", wanted.get("ssl_verify_cert", str(bool(ca))))
    verify_identity = _bool_option(
        "ssl_verify_identity", wanted.get("ssl_verify_identity", str(verify_cert))
    )
    try:
        context = ssl.create_default_context(cafile=ca)
        context.check_hostname = verify_cert and verify_identity
        if not verify_cert:
            context.verify_mode = ssl.CERT_NONE
        if "ssl_cert" in wanted:
            context.load_cert_chain(wanted["ssl_cert"], wanted.get("ssl_key"))
    except (OSError, ssl.SSLError) as exc:
        raise errors.ConfigurationError(f"cannot load the TLS files given in the URL: {exc}")
    return context


def mysql_connect_kwargs(url: DatabaseURL, options: ConnectOptions, driver: str) -> dict[str, Any]:
    """Keyword arguments shared by ``pymysql.connect`` and ``asyncmy.connect``."""
    for key in options.extra:
        if key not in _KNOWN_OPTIONS:
            raise errors.ConfigurationError(
                f"unknown option {key!r} for mysql+{driver}: expected one of "
                f"{', '.join(_KNOWN_OPTIONS)}"
            )
    kwargs: dict[str, Any] = {
        "user": url.username, "password": url.password or "", "database": url.database,
        "port": url.port or 3306, "charset": options.extra.get("charset", "utf8mb4"),
        "autocommit": True, "client_flag": CLIENT_FOUND_ROWS,
    }
    if url.host and url.host.startswith("/"):
        kwargs["unix_socket"] = url.host
    else:
        kwargs["host"] = url.host or "localhost"
    if options.connect_timeout:
        kwargs["connect_timeout"] = options.connect_timeout
    context = _ssl_context(options.extra)
    if context is not None:
        kwargs["ssl"] = context
    return kwargs


def statement_timeout_sql(server_version: str, seconds: float) -> str:
    """The SET that enforces ``seconds`` per statement: MariaDB's ``max_statement_time``
    (seconds, every statement) or MySQL's ``max_execution_time`` (ms, SELECTs only)."""
    if "mariadb" in server_version.lower():
        return f"SET SESSION max_statement_time = {seconds:.6f}"
    return f"SET SESSION max_execution_time = {max(1, round(seconds * 1000))}"


def connect_error(exc: BaseException, url: DatabaseURL, base: type[BaseException]) -> errors.Error:
    info = classify_mysql_error(exc, base) or ErrorInfo(errors.ConnectionLost, str(exc), None)
    message = info.message.replace(url.password, "***") if url.password else info.message
    return info.cls(message, sqlstate=info.sqlstate, driver_error=exc)


class PyMySQLConnection:
    """One PyMySQL connection in autocommit mode."""

    dialect = MYSQL
    paramstyle: ParamStyle = "format"
    max_params = MYSQL_MAX_PARAMS
    clean_after_interrupt = False

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self._cursor = conn.cursor()

    @property
    def in_transaction(self) -> bool:
        return bool(self._conn.server_status & SERVER_STATUS_IN_TRANS)

    @property
    def closed(self) -> bool:
        return not self._conn.open

    def _deadlock(self, exc: BaseException) -> None:
        # An error packet carries no status: after a deadlock the server has rolled back,
        # but the last OK packet still says "in transaction".
        if exc.args and exc.args[0] == _ER_LOCK_DEADLOCK:
            self._conn.server_status &= ~SERVER_STATUS_IN_TRANS

    def execute(self, sql: str, params: Sequence[Any]) -> DriverResult:
        cursor = self._cursor
        try:
            cursor.execute(sql, adapt_params(params) if params else None)
        except pymysql.MySQLError as exc:
            self._deadlock(exc)
            raise
        description = cursor.description
        if description is None:
            return DriverResult(None, [], cursor.rowcount, cursor.lastrowid or None)
        return DriverResult(
            tuple([d[0] for d in description]), list(cursor.fetchall()), cursor.rowcount
        )

    def execute_many(self, sql: str, seq_of_params: Sequence[Sequence[Any]]) -> int:
        if not seq_of_params:
            return 0
        try:
            count = self._cursor.executemany(sql, [adapt_params(p) for p in seq_of_params])
        except pymysql.MySQLError as exc:
            self._deadlock(exc)
            raise
        return int(count) if count is not None else -1

    def stream(
        self, sql: str, params: Sequence[Any], chunk_size: int
    ) -> Generator[DriverResult, None, None]:
        cursor = self._conn.cursor(pymysql.cursors.SSCursor)
        try:
            cursor.execute(sql, adapt_params(params) if params else None)
            if cursor.description is None:
                return
            columns = tuple([d[0] for d in cursor.description])
            while True:
                rows = cursor.fetchmany(chunk_size)
                if rows:
                    yield DriverResult(columns, list(rows))
                if len(rows) < chunk_size:
                    return
        except pymysql.MySQLError as exc:
            self._deadlock(exc)
            raise
        finally:
            if self._conn.open:
                cursor.close()  # reads and drops the rest of an abandoned result

    def ping(self) -> None:
        self._conn.ping(reconnect=False)

    def close(self) -> None:
        if self._conn.open:
            self._conn.close()

    def terminate(self) -> None:
        self._conn._force_close()  # closes the socket without sending QUIT

    def classify_error(self, exc: BaseException) -> ErrorInfo | None:
        return classify_mysql_error(exc, pymysql.MySQLError if pymysql is not None else None)


class PyMySQLDriver:
    """Opens PyMySQL connections."""

    name = "pymysql"
    dialect = MYSQL
    paramstyle: ParamStyle = "format"

    def connect(self, url: DatabaseURL, options: ConnectOptions) -> PyMySQLConnection:
        if pymysql is None:
            raise errors.ConfigurationError(INSTALL_HINT.format("PyMySQL"))
        kwargs = mysql_connect_kwargs(url, options, "pymysql")
        conn = None
        try:
            conn = pymysql.connect(**kwargs)
            if options.statement_timeout:
                with conn.cursor() as cursor:
                    cursor.execute(
                        statement_timeout_sql(conn.get_server_info(), options.statement_timeout)
                    )
        except (pymysql.MySQLError, OSError) as exc:
            if conn is not None:
                conn._force_close()
            raise connect_error(exc, url, pymysql.MySQLError) from exc
        return PyMySQLConnection(conn)
