"""Driver layer: what the two MySQL/MariaDB adapters (``pymysql``, sync, and ``asyncmy``,
async) share: connection options, parameter conversion, error classification, and the base
class of their connections, which holds everything but the calls that do I/O.

Connections are opened with ``autocommit=True`` and ``charset=utf8mb4``; the server's
``sql_mode`` is left as configured. ``in_transaction`` reads ``SERVER_STATUS_IN_TRANS`` from
the status of the last packet the server sent (no I/O). The client flag ``FOUND_ROWS`` is
set so an ``UPDATE``'s row count is the rows it matched, as on PostgreSQL and SQLite, not
only the rows whose values changed.

Values, and why (the same on both drivers, so they raise the same classes and read back the
same Python types):

* ``dict`` and ``list`` parameters are sent as JSON text (PyMySQL would render a list as a
  SQL tuple and refuses a dict). A tz-aware ``datetime`` is converted to UTC and sent
  naive: DATETIME has no time zone and the drivers would silently drop the offset, storing
  two different instants as the same value. It reads back naive (in UTC).
* ``UUID`` is sent as its text and reads back as ``str``; ``bool`` reads back as ``int``
  0/1 (TINYINT); TIME reads back as ``datetime.timedelta`` (MySQL's TIME is a duration,
  -838:59:59 to 838:59:59). These are the drivers' own types, kept as they are.
* Both drivers use MySQL's text protocol, which has no bind parameters: the values are
  formatted into the statement text on the client, and ``executemany`` of an INSERT is
  rewritten into multi-row statements (the traits ``interpolates_values`` and
  ``rewrites_executemany``).
* ``stream`` uses an unbuffered ``SSCursor``, which reads rows only as the consumer asks for
  them (memory bounded by ``chunk_size`` rows), and the server waits on TCP flow control
  meanwhile. MySQL cannot stop a result half-sent: the server sends it all unless the
  connection is closed. So a consumer that stops early gets one of two endings
  (``drivers.base.cancels_abandoned_stream`` decides which): a SELECT outside a transaction
  has at most one more chunk read in search of its end, and if the result goes on, the
  connection is closed at once (the pool opens a new one) rather than reading a result of
  unknown size; anything else has the rest read and dropped, so the transaction stays
  usable (which can take as long as reading it).
"""

from __future__ import annotations

import datetime
import json
import ssl
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any
from uuid import UUID

from twinsql import errors
from twinsql.connection.url import DatabaseURL
from twinsql.drivers.base import ConnectOptions, ErrorInfo, hide_password
from twinsql.sql.dialects import MYSQL, MYSQL_MAX_PARAMS
from twinsql.sql.errorcodes import classify_mysql_errno
from twinsql.sql.placeholders import ParamStyle
from twinsql.sql.violations import mysql_violation

__all__ = [
    "SERVER_STATUS_IN_TRANS",
    "MySQLConnectionBase",
    "MySQLDriverBase",
    "MySQLTraits",
    "adapt_params",
    "session_setup",
]

_INSTALL_HINT = "the {} package is not installed: install twinsql[mysql]"
SERVER_STATUS_IN_TRANS = 0x0001
CLIENT_FOUND_ROWS = 0x0002
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


def _classify_mysql_error(exc: BaseException, base: type[BaseException] | None) -> ErrorInfo | None:
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
        integrity = issubclass(cls, errors.IntegrityError)
        violation = mysql_violation(errno, message) if integrity else None
        return ErrorInfo(cls, message, sqlstate if isinstance(sqlstate, str) else None, violation)
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


def _connect_kwargs(url: DatabaseURL, options: ConnectOptions, driver: str) -> dict[str, Any]:
    """Keyword arguments shared by ``pymysql.connect`` and ``asyncmy.connect``
    (``driver``: the module's name, for messages)."""
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


def session_setup(server_version: str, options: ConnectOptions) -> tuple[str, ...]:
    """What a new connection runs before use: the SET that enforces the statement timeout,
    MariaDB's ``max_statement_time`` (seconds, every statement) or MySQL's
    ``max_execution_time`` (ms, SELECTs only)."""
    seconds = options.statement_timeout
    if not seconds:
        return ()
    if "mariadb" in server_version.lower():
        return (f"SET SESSION max_statement_time = {seconds:.6f}",)
    return (f"SET SESSION max_execution_time = {max(1, round(seconds * 1000))}",)


class MySQLTraits:
    """The traits of both MySQL drivers and their connections (see ``drivers.base``)."""

    dialect = MYSQL
    paramstyle: ParamStyle = "format"
    interpolates_values = True
    rewrites_executemany = True
    can_copy = False


class MySQLConnectionBase(MySQLTraits):
    """What the PyMySQL and asyncmy connections share; subclasses add the I/O calls.
    ``native_error``: the driver's ``MySQLError``, which ``classify_error`` recognises."""

    max_params = MYSQL_MAX_PARAMS
    clean_after_interrupt = False

    def __init__(self, conn: Any, native_error: type[BaseException]) -> None:
        self._conn = conn
        self._cursor = conn.cursor()
        self.native_error = native_error

    @property
    def in_transaction(self) -> bool:
        return bool(self._conn.server_status & SERVER_STATUS_IN_TRANS)

    def classify_error(self, exc: BaseException) -> ErrorInfo | None:
        info = _classify_mysql_error(exc, self.native_error)
        if info is not None and info.cls is errors.DeadlockDetected:
            # The server rolled the whole transaction back, but an error packet carries no
            # status, so the last one still says "in transaction". The shell classifies an
            # error before it reads in_transaction again: correct the status here.
            self._conn.server_status &= ~SERVER_STATUS_IN_TRANS
        return info


class MySQLDriverBase(MySQLTraits):
    """What the PyMySQL and asyncmy drivers share; subclasses add ``connect`` and set
    ``native_error`` to their driver's ``MySQLError`` (``None`` when it is not installed)."""

    name: str
    package: str  # the name to install, for the message when it is missing
    native_error: type[BaseException] | None = None

    def connect_kwargs(self, url: DatabaseURL, options: ConnectOptions) -> dict[str, Any]:
        """The native ``connect``'s keyword arguments, once the package is known to be
        installed and the URL's options are checked."""
        if self.native_error is None:
            raise errors.ConfigurationError(_INSTALL_HINT.format(self.package))
        return _connect_kwargs(url, options, self.name)

    @property
    def connect_errors(self) -> tuple[type[BaseException], ...]:
        """The exceptions ``connect_failed`` turns into twinsql errors."""
        return (OSError,) if self.native_error is None else (self.native_error, OSError)

    def connect_failed(self, exc: BaseException, url: DatabaseURL) -> errors.Error:
        """The twinsql error for a failed connect, the password hidden."""
        info = _classify_mysql_error(exc, self.native_error)
        if info is None:
            info = ErrorInfo(errors.ConnectionLost, str(exc), None)
        return info.cls(hide_password(info.message, url), sqlstate=info.sqlstate, driver_error=exc)
