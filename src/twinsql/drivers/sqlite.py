"""Driver layer: the sync SQLite adapter over the standard library's ``sqlite3``.

Connections are opened in autocommit mode (``isolation_level=None``) so the shell's explicit
BEGIN/COMMIT are the only transaction control, with the defaults a server-less application
wants: WAL journal for files (readers do not block the writer), ``synchronous=NORMAL`` (safe
under WAL), a busy timeout instead of an immediate "database is locked", and foreign keys
enforced.

Values are bound in SQLite's storage classes. Types sqlite3 cannot bind, or binds through
adapters deprecated since Python 3.12, are converted here, per statement and only when
present: ``Decimal`` and ``UUID`` → text, ``date``/``datetime``/``time`` → ISO-8601 text
(an aware ``datetime`` in UTC), ``dict``/``list`` → JSON text. Rows come back as SQLite
stores them; typed reading belongs to the ORM, which knows each column's Python type.

The async adapter (``sqlite_async``) wraps this one, so one progress handler serves both: it
enforces ``statement_timeout`` and the async adapter's inline time budget; the clock reading
that arms those deadlines also tells the async adapter when a statement started.
"""

from __future__ import annotations

import operator
import sqlite3
import time
from collections.abc import Generator, Sequence
from typing import Any

from twinsql import errors
from twinsql.connection.url import DatabaseURL
from twinsql.drivers.base import ConnectOptions, DriverResult, ErrorInfo, Rows
from twinsql.sql.dialects import SQLITE, SQLITE_DEFAULT_MAX_PARAMS
from twinsql.sql.errorcodes import classify_sqlite
from twinsql.sql.placeholders import ParamStyle
from twinsql.sql.violations import sqlite_violation

__all__ = [
    "BudgetExceeded",
    "SqliteConnection",
    "SqliteDriver",
    "SqliteTraits",
    "busy_timeout_ms",
    "is_busy",
    "open_sqlite",
]

_BUSY_TIMEOUT_MS = 5000
# VM instructions between progress-handler calls: small enough to stop a scan within tens
# of microseconds of its deadline, large enough that the Python call costs well under 1%.
_PROGRESS_STEPS = 1000
_NATIVE = frozenset({int, float, str, bytes, type(None), bool, memoryview, bytearray})
_NO_DEADLINE = float("inf")
_first = operator.itemgetter(0)


class BudgetExceeded(Exception):
    """Raised (by this adapter) when a statement was interrupted because it ran past the
    caller's inline time budget, not because of a timeout or a cancellation."""


def _to_storage(value: Any) -> Any:
    # Imported here, on the path of values sqlite3 cannot bind: a script of plain literals
    # (``twinsql load``) never takes it, and should not pay for importing these at start-up.
    import datetime
    import decimal
    import json
    import uuid

    if isinstance(value, (dict, list)):
        return json.dumps(value)
    if isinstance(value, datetime.datetime):
        # Aware values in UTC: one offset in a column keeps text order equal to time order.
        if value.tzinfo is not None:
            value = value.astimezone(datetime.timezone.utc)
        return value.isoformat(sep=" ")
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    return value


def adapt_params(params: Sequence[Any]) -> Sequence[Any]:
    """Convert the values sqlite3 cannot bind natively; returns ``params`` itself when all
    values are native (the common case costs one pass of type look-ups)."""
    for value in params:
        if type(value) not in _NATIVE:
            return [_to_storage(v) for v in params]
    return params


class SqliteTraits:
    """The traits of both SQLite drivers and their connections (see ``drivers.base``)."""

    dialect = SQLITE
    paramstyle: ParamStyle = "qmark"
    interpolates_values = False
    rewrites_executemany = False
    can_copy = False


class SqliteConnection(SqliteTraits):
    """One sqlite3 connection in autocommit mode."""

    clean_after_interrupt = True

    def __init__(self, conn: sqlite3.Connection, statement_timeout: float | None) -> None:
        self._conn = conn
        self._cursor = conn.cursor()
        self._closed = False
        self._statement_timeout = statement_timeout
        # Deadlines checked by the progress handler; inf when there is none.
        self._timeout_at = _NO_DEADLINE
        self._budget_at = _NO_DEADLINE
        self._stop_reason: str | None = None
        # perf_counter() when the last statement started, read from the clock reading that
        # arms its deadlines (kept while the progress handler is installed).
        self.started_at = 0.0
        getlimit = getattr(conn, "getlimit", None)
        self.max_params: int = (
            getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)  # type: ignore[attr-defined,unused-ignore]
            if getlimit is not None
            else SQLITE_DEFAULT_MAX_PARAMS
        )
        self._handler_installed = False
        if statement_timeout:
            self.install_progress_handler()

    def install_progress_handler(self) -> None:
        """Enforce deadlines. Installed only when one can be set (a statement timeout, or the
        async adapter's budget), so plain sync use pays nothing for it."""
        if not self._handler_installed:
            self._conn.set_progress_handler(self._progress, _PROGRESS_STEPS)
            self._handler_installed = True

    def _progress(self) -> int:
        now = time.perf_counter()
        if now > self._budget_at:
            self._stop_reason = "budget"
            return 1
        if now > self._timeout_at:
            self._stop_reason = "timeout"
            return 1
        return 0

    def _arm(self, budget: float | None) -> None:
        self.started_at = now = time.perf_counter()
        self._stop_reason = None
        self._timeout_at = (
            now + self._statement_timeout if self._statement_timeout else _NO_DEADLINE
        )
        self._budget_at = now + budget if budget is not None else _NO_DEADLINE

    def _disarm(self) -> None:
        self._timeout_at = self._budget_at = _NO_DEADLINE

    @property
    def in_transaction(self) -> bool:
        return self._conn.in_transaction

    @property
    def closed(self) -> bool:
        return self._closed

    def execute(self, sql: str, params: Sequence[Any], budget: float | None = None) -> DriverResult:
        """Run one statement. With ``budget`` (seconds) a statement still running past it is
        interrupted and ``BudgetExceeded`` raised; the caller decides whether to re-run it."""
        if not self._handler_installed:
            return self._execute(sql, params)
        self._arm(budget)
        try:
            return self._execute(sql, params)
        except sqlite3.OperationalError:
            if self._stop_reason == "budget":
                raise BudgetExceeded() from None
            raise
        finally:
            self._disarm()

    def _execute(self, sql: str, params: Sequence[Any]) -> DriverResult:
        # One cursor per connection: creating one per call costs as much as a point query.
        cursor = self._cursor.execute(sql, adapt_params(params))
        description = cursor.description
        if description is None:
            return DriverResult(None, [], cursor.rowcount, cursor.lastrowid)
        return DriverResult(tuple(map(_first, description)), cursor.fetchall(), -1, None)

    def execute_waiting(
        self, sql: str, params: Sequence[Any], wait_ms: int
    ) -> DriverResult:
        """``execute``, retrying while the database is locked by another connection, for up
        to ``wait_ms``. Safe: a statement that fails with SQLITE_BUSY did not run."""
        deadline = time.monotonic() + wait_ms / 1000
        pause = 0.001
        while True:
            try:
                return self.execute(sql, params)
            except sqlite3.OperationalError as exc:
                if not is_busy(exc) or time.monotonic() + pause > deadline:
                    raise
            time.sleep(pause)
            pause = min(pause * 2, 0.05)

    def execute_many_waiting(self, sql: str, seq_of_params: Rows, wait_ms: int) -> int:
        """``execute_many`` with SQLite's own busy wait (``executemany`` may have run some
        rows before a lock conflict, so it is never retried from outside)."""
        self._conn.execute(f"PRAGMA busy_timeout = {int(wait_ms)}")
        try:
            return self.execute_many(sql, seq_of_params)
        finally:
            self._conn.execute("PRAGMA busy_timeout = 0")

    def execute_many(self, sql: str, seq_of_params: Rows) -> int:
        self._arm(None)
        try:
            cursor = self._conn.executemany(sql, (adapt_params(p) for p in seq_of_params))
            return cursor.rowcount
        finally:
            self._disarm()

    def stream(
        self, sql: str, params: Sequence[Any], chunk_size: int
    ) -> Generator[DriverResult, None, None]:
        cursor = self._conn.execute(sql, adapt_params(params))
        try:
            description = cursor.description
            if description is None:
                return
            columns = tuple(d[0] for d in description)
            while True:
                self._arm(None)
                try:
                    rows = cursor.fetchmany(chunk_size)
                finally:
                    self._disarm()
                if not rows:
                    return
                yield DriverResult(columns, rows)
        finally:
            cursor.close()

    def interrupt(self) -> None:
        """Stop the statement running on this connection (safe from any thread)."""
        self._stop_reason = "cancel"
        self._conn.interrupt()

    def abort(self) -> None:
        """Stop the running statement (any thread); the connection stays usable."""
        self.interrupt()

    def ping(self) -> None:
        self._conn.execute("SELECT 1").fetchall()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._conn.close()

    def terminate(self) -> None:
        self.close()

    def classify_error(self, exc: BaseException) -> ErrorInfo | None:
        if isinstance(exc, sqlite3.ProgrammingError) and "closed" in str(exc):
            return ErrorInfo(errors.InterfaceError, str(exc), None)
        if isinstance(exc, sqlite3.ProgrammingError) and "supplied" in str(exc):
            return ErrorInfo(errors.ParameterError, str(exc), None)
        if isinstance(exc, sqlite3.InterfaceError):
            return ErrorInfo(errors.ParameterError, str(exc), None)
        if not isinstance(exc, sqlite3.Error):
            return None
        name = getattr(exc, "sqlite_errorname", None)
        cls = classify_sqlite(name, str(exc))
        if cls is errors.QueryCanceled and self._stop_reason == "timeout":
            cls = errors.StatementTimeout
        message = str(exc)
        violation = sqlite_violation(message) if issubclass(cls, errors.IntegrityError) else None
        return ErrorInfo(cls, message, None, violation)


class SqliteDriver(SqliteTraits):
    """Opens ``SqliteConnection``s for ``sqlite://`` URLs."""

    name = "sqlite3"

    def connect(self, url: DatabaseURL, options: ConnectOptions) -> SqliteConnection:
        return SqliteConnection(open_sqlite(url, options), options.statement_timeout)


def busy_timeout_ms(options: ConnectOptions) -> int:
    return int(float(options.extra.get("busy_timeout", _BUSY_TIMEOUT_MS)))


def is_busy(exc: BaseException) -> bool:
    """SQLITE_BUSY: another connection holds the lock; the statement did not run at all."""
    if not isinstance(exc, sqlite3.OperationalError):
        return False
    name = getattr(exc, "sqlite_errorname", None)
    if name is not None:
        return bool(name == "SQLITE_BUSY" or name == "SQLITE_BUSY_TIMEOUT")
    return "database is locked" in str(exc)


_CACHED_STATEMENTS = 128  # sqlite3's own default


def open_sqlite(
    url: DatabaseURL, options: ConnectOptions, *, wait_for_locks: bool = True
) -> sqlite3.Connection:
    """Open and configure a raw sqlite3 connection (shared by the sync and async adapters).
    ``wait_for_locks=False`` opens it with no busy timeout: the async adapter must never
    wait for a lock on the event loop, and waits on its worker thread instead."""
    path = url.database or ":memory:"
    extra = dict(options.extra)
    busy_ms = int(float(extra.pop("busy_timeout", _BUSY_TIMEOUT_MS)))
    journal = extra.pop("journal_mode", "wal").lower()
    # sqlite3 keeps this many prepared statements, each with its text and compiled program:
    # a bulk load of distinct megabyte statements sets it to 0 (nothing it sends repeats).
    cached = extra.pop("statement_cache_size", None)
    if extra:
        raise errors.ConfigurationError(
            f"unknown SQLite option(s): {', '.join(sorted(extra))}; "
            "supported: busy_timeout, journal_mode, statement_cache_size"
        )
    if cached is not None and (not str(cached).isdigit()):
        raise errors.ConfigurationError(
            f"SQLite statement_cache_size must be a whole number >= 0, not {cached!r}"
        )
    if journal not in {"wal", "delete", "truncate", "persist", "memory", "off"}:
        raise errors.ConfigurationError(f"unknown SQLite journal_mode {journal!r}")
    try:
        conn = sqlite3.connect(
            path,
            isolation_level=None,
            check_same_thread=False,
            timeout=busy_ms / 1000 if wait_for_locks else 0,
            cached_statements=_CACHED_STATEMENTS if cached is None else int(str(cached)),
        )
    except sqlite3.Error as exc:
        raise errors.OperationalError(
            f"cannot open SQLite database {path!r}: {exc}", driver_error=exc
        ) from exc
    conn.execute(f"PRAGMA busy_timeout = {busy_ms if wait_for_locks else 0}")
    conn.execute("PRAGMA foreign_keys = ON")
    if not url.is_memory:
        _set_journal_mode(conn, journal, busy_ms)
        if journal == "wal":
            conn.execute("PRAGMA synchronous = NORMAL")
    return conn


def _set_journal_mode(conn: sqlite3.Connection, journal: str, busy_ms: int) -> None:
    """Put the file in ``journal`` mode (a name checked against an allow-list above).

    The mode is a property of the file: it is set only when it differs, which is once per
    file. Changing it needs the file to itself, and SQLite answers "database is locked" at
    once instead of calling the busy handler when another connection opens the same new
    file at that moment, so the change is retried for up to the busy timeout."""
    deadline = time.monotonic() + busy_ms / 1000
    pause = 0.001
    while True:
        try:
            (current,) = conn.execute("PRAGMA journal_mode").fetchone()
            if str(current).lower() != journal:
                conn.execute(f"PRAGMA journal_mode = {journal}")
            return
        except sqlite3.OperationalError as exc:
            if not is_busy(exc) or time.monotonic() + pause > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.05)
