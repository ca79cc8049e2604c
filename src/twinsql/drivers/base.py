"""Driver layer: the protocol every native-driver adapter implements, and the traits the
layers above read from a driver instead of asking which one it is.

The I/O shell (the connection layer: ``twinsql.connection._async`` and its generated twin
``twinsql.connection._sync``) talks to a database only through these protocols:
``AsyncDriverConnection`` for async drivers and ``DriverConnection`` for sync ones. The two
share every attribute and synchronous method (``DriverConnectionState``) and differ only in
the calls that do I/O, awaited in the async one, so the generated sync shell calls the sync
protocol line for line.

Contract every adapter keeps:

* The connection runs in autocommit mode. Transactions are opened and closed by the shell
  with plain SQL (``BEGIN`` / ``COMMIT`` / ``ROLLBACK`` / ``SAVEPOINT``), so no driver sends
  a hidden BEGIN, and ``in_transaction`` reports the session state without I/O.
* ``execute`` receives SQL already translated to ``paramstyle`` and a positional parameter
  sequence (for ``format`` style always a tuple, possibly empty, so ``%%`` is unescaped).
* Errors raised by the native driver are classified into ``twinsql.errors`` classes by
  ``classify_error`` (``None`` for an exception that is not the driver's); the shell builds
  the exception with the SQL and parameters and chains the native one. The shell classifies
  every failure of a connection before it reads ``in_transaction`` again, so an adapter
  whose native status lags behind an error corrects it there.
* ``terminate`` closes the socket at once without any I/O wait: it is what the pool calls on
  a connection whose protocol state is unknown (cancelled or timed out mid-operation).
* ``abort`` stops the call in progress: it asks the server to stop the running statement
  (a cancel request, or ``KILL QUERY`` from a side connection; in the background, bounded by
  ``deadline.CANCEL_WAIT``, never waited for) and breaks the link, so the waiting call
  fails at once. It is called from the event loop (async adapters) or from any thread (sync
  adapters), may be called more than once, and leaves the connection unusable but for
  ``terminate``/``close``; on SQLite it interrupts the statement and the connection stays
  usable.
* ``connect`` bounds the whole connect, handshake included, by ``connect_timeout`` on the
  client (a server that accepts TCP and never answers fails it in time).
* A driver's ``connect`` reads the URL's password to pass it to the native driver as a
  keyword (never inside a DSN string) and hides it in a failed connect's message
  (``hide_password``).

Traits (``DriverTraits``: plain class attributes, the same on a driver and its connections):

* ``interpolates_values``: values are formatted into the SQL text on the client (PyMySQL,
  asyncmy), so a statement's size on the wire counts them escaped.
* ``rewrites_executemany``: ``execute_many`` of an INSERT is rewritten by the native driver
  into multi-row statements with a regex over its text (PyMySQL, asyncmy), so a caller that
  sizes its own statements (the batcher) merges INSERTs itself instead.
* ``can_copy``: the connection has ``copy_rows(schema, table, columns, rows)`` —
  ``COPY table (columns) FROM STDIN`` of positional rows, the names given unquoted (the
  driver quotes them), returning the row count. The batcher uses it for long runs of plain
  INSERTs. It raises ``CopyUnsupported`` when COPY cannot carry the columns. Such a
  connection also has ``copy_text(schema, table, columns, data)``: the rows given in COPY's
  text format (a dump's ``COPY … FROM STDIN`` data), returning the row count.
* ``dialect`` (its ``lexer`` is how the shell reads SQL for this backend) and ``paramstyle``.
"""

from __future__ import annotations

import traceback
from collections.abc import AsyncGenerator, Callable, Generator, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol, TypeVar

from twinsql.connection.url import DatabaseURL
from twinsql.errors import Error
from twinsql.sql.dialects import Dialect
from twinsql.sql.placeholders import ParamStyle
from twinsql.sql.violations import Violation

__all__ = [
    "AsyncDriver",
    "AsyncDriverConnection",
    "AsyncStream",
    "ConnectOptions",
    "CopyUnsupported",
    "Driver",
    "DriverConnection",
    "DriverConnectionState",
    "DriverResult",
    "DriverTraits",
    "ErrorInfo",
    "Names",
    "Rows",
    "Stream",
    "cancels_abandoned_stream",
    "hide_password",
]

T = TypeVar("T")
# What ``stream`` returns: a generator the caller may close early (``aclose``/``close``).
AsyncStream = AsyncGenerator[T, None]
Stream = Generator[T, None, None]
# Positional rows, and the column names of a COPY (``None``: every column of the table).
Rows = Sequence[Sequence[Any]]
Names = Sequence[str] | None


class CopyUnsupported(Exception):
    """Raised by a driver's ``copy_rows`` when COPY cannot carry these columns (a type
    without the wire format it needs). ``aborted`` says the server had already begun the
    COPY, so the open transaction (or savepoint) is now failed and must be rolled back;
    otherwise nothing was sent. The caller falls back to INSERT statements."""

    def __init__(self, message: str, *, aborted: bool = False) -> None:
        super().__init__(message)
        self.aborted = aborted


class ErrorInfo(NamedTuple):
    """A native driver error, classified: the twinsql class to raise, the driver's message
    (the shell appends the SQL and parameters), the SQLSTATE when the backend gave one and,
    for an integrity error, what the error says of the constraint, table and columns (the
    shell adds the statement's table when the error named none)."""

    cls: type[Error]
    message: str
    sqlstate: str | None
    violation: Violation | None = None


class DriverResult:
    """What one statement produced: column names (``None`` when it returns no rows), the rows
    as positional sequences, the affected-row count and, where the backend has it, the last
    inserted row id."""

    __slots__ = ("columns", "lastrowid", "rowcount", "rows")

    def __init__(
        self,
        columns: Sequence[str] | None,
        rows: list[Sequence[Any]],
        rowcount: int = -1,
        lastrowid: int | None = None,
    ) -> None:
        self.columns = columns
        self.rows = rows
        self.rowcount = rowcount
        self.lastrowid = lastrowid


@dataclass(frozen=True)
class ConnectOptions:
    """Per-connection settings the shell hands to a driver's ``connect``."""

    connect_timeout: float | None = None
    statement_timeout: float | None = None
    # URL query options the shell does not consume itself, passed to the native driver.
    extra: Mapping[str, str] = field(default_factory=dict)


def shut_down_transport(transport: Any) -> None:
    """End the link of a connection whose event loop is closed. Closing its transport would
    schedule a callback on that loop and fails; shutting the socket down ends the server
    session now, and the descriptor is freed with the transport."""
    sock = transport.get_extra_info("socket") if transport is not None else None
    if sock is not None:
        try:
            sock.shutdown(2)  # SHUT_RDWR
        except OSError:
            pass  # already disconnected


def hide_password(message: str, url: DatabaseURL) -> str:
    """``message`` with the URL's password replaced by ``***`` (a native driver may quote
    its connection parameters in a failed connect's message)."""
    return message.replace(url.password, "***") if url.password else message


def cancels_abandoned_stream(sql: str, was_in_transaction: bool) -> bool:
    """Whether a stream its consumer stopped early may be cut short (its statement cancelled,
    or on MySQL, which cannot stop a result half-sent, its connection closed) rather than
    read to its end: only a SELECT outside a transaction, whose cancellation loses nothing.
    Anything else is read to its end, so the transaction stays usable and the statement's
    outcome does not depend on how far it was read."""
    return not was_in_transaction and sql.lstrip()[:6].upper() == "SELECT"


@contextmanager
def connecting(
    url: DatabaseURL,
    native_errors: tuple[type[BaseException], ...],
    to_error: Callable[[BaseException, DatabaseURL], Error],
    close: Callable[[], object] | None = None,
) -> Iterator[None]:
    """Around the steps of opening a native connection: ``close`` what was opened on any
    exception, turn the driver's own errors (``native_errors``) into twinsql's
    (``to_error``), and let go of whatever an exception the driver does not handle itself
    (a cancellation) still holds.

    Such an exception leaves the half-open connection in the locals of the frames it passed
    through; the server session then lives as long as the exception object, which the caller
    may keep for a long time (``gather(..., return_exceptions=True)``). Clearing those
    frames' locals frees the native connection at once, which closes its socket and so ends
    the server session. Frames still running are left alone."""
    try:
        yield
    except BaseException as exc:
        if close is not None:
            close()
        if isinstance(exc, native_errors):
            raise to_error(exc, url) from exc
        traceback.clear_frames(exc.__traceback__)
        raise


class DriverTraits(Protocol):
    """What the layers above read from a driver or one of its connections (see the module
    docstring); plain attributes, read without I/O."""

    dialect: Dialect
    paramstyle: ParamStyle
    interpolates_values: bool
    rewrites_executemany: bool
    can_copy: bool


class DriverConnectionState(DriverTraits, Protocol):
    """What a sync and an async driver connection share: no method here does I/O."""

    max_params: int
    # True when an interrupted operation leaves the connection usable (in-process SQLite);
    # False for network drivers, whose stream may hold half a reply.
    clean_after_interrupt: bool

    @property
    def in_transaction(self) -> bool: ...

    @property
    def closed(self) -> bool: ...

    def terminate(self) -> None: ...

    def abort(self) -> None: ...

    def classify_error(self, exc: BaseException) -> ErrorInfo | None: ...


class AsyncDriverConnection(DriverConnectionState, Protocol):
    """One open native async connection, in autocommit mode."""

    async def execute(self, sql: str, params: Sequence[Any]) -> DriverResult: ...

    async def execute_many(self, sql: str, seq_of_params: Rows) -> int: ...

    def stream(
        self, sql: str, params: Sequence[Any], chunk_size: int
    ) -> AsyncStream[DriverResult]: ...

    async def ping(self) -> None: ...

    async def close(self) -> None: ...


class DriverConnection(DriverConnectionState, Protocol):
    """One open native sync connection, in autocommit mode."""

    def execute(self, sql: str, params: Sequence[Any]) -> DriverResult: ...

    def execute_many(self, sql: str, seq_of_params: Rows) -> int: ...

    def stream(self, sql: str, params: Sequence[Any], chunk_size: int) -> Stream[DriverResult]: ...

    def ping(self) -> None: ...

    def close(self) -> None: ...


class AsyncDriver(DriverTraits, Protocol):
    """Opens async connections for one backend and native driver."""

    name: str

    async def connect(self, url: DatabaseURL, options: ConnectOptions) -> AsyncDriverConnection: ...


class Driver(DriverTraits, Protocol):
    """Opens sync connections for one backend and native driver."""

    name: str

    def connect(self, url: DatabaseURL, options: ConnectOptions) -> DriverConnection: ...
