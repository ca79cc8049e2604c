"""Error layer: the one exception hierarchy every twinsql API raises.

This module is the lowest layer of the package (it imports nothing from twinsql), so the
pure modules, the drivers and the I/O code of every feature can all raise the same classes.
The mapping from driver errors (SQLSTATE, MySQL error numbers, SQLite result codes) to these
classes lives in ``twinsql.sql.errorcodes``; each driver adapter applies it, so the same
fault raises the same class on every backend in both modes.

Messages carry the SQL and the parameters (or ``[parameters hidden]`` when the database was
opened with ``hide_parameters=True``) and chain the driver's own exception as ``__cause__``.
They never carry a password: the shell scrubs the configured password from every message
before raising.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "ArgumentError",
    "CheckViolation",
    "CircuitOpenError",
    "CommitOutcomeUnknown",
    "ConcurrentUseError",
    "ConfigurationError",
    "ConnectionLost",
    "DataError",
    "DatabaseError",
    "DeadlockDetected",
    "Error",
    "ForeignKeyViolation",
    "IntegrityError",
    "InterfaceError",
    "InvalidIdentifierError",
    "LockTimeout",
    "MigrationError",
    "MultipleStatementsError",
    "NotNullViolation",
    "OperationalError",
    "ParameterError",
    "PoolClosed",
    "PoolTimeout",
    "PoolerUnsupported",
    "ProgrammingError",
    "QueryCanceled",
    "RecordNotFound",
    "RelationNotLoaded",
    "ReplicaWriteError",
    "SerializationFailure",
    "StaleObjectError",
    "StatementTimeout",
    "TransactionAborted",
    "UniqueViolation",
    "WrongEventLoopError",
]

# How much of a parameter list an error message shows; a bulk statement can carry 65k values.
_MAX_PARAMS_SHOWN = 20
_MAX_VALUE_CHARS = 200


class Error(Exception):
    """Base class of every error twinsql raises.

    ``sql`` and ``params`` are the statement that failed (when there was one); ``sqlstate``
    is the five-character SQLSTATE when the backend reported one; ``driver_error`` is the
    native driver's exception, also chained as ``__cause__``.
    """

    sql: str | None
    params: Any
    sqlstate: str | None
    driver_error: BaseException | None

    def __init__(
        self,
        message: str,
        *,
        sql: str | None = None,
        params: Any = None,
        hide_parameters: bool = False,
        sqlstate: str | None = None,
        driver_error: BaseException | None = None,
    ) -> None:
        self.message = message
        self.sql = sql
        self.params = None if hide_parameters else params
        self.hide_parameters = hide_parameters
        self.sqlstate = sqlstate
        self.driver_error = driver_error
        super().__init__(self._render())

    def _render(self) -> str:
        parts = [self.message]
        if self.sql is not None:
            parts.append(f"SQL: {self.sql}")
            if self.hide_parameters:
                parts.append("Parameters: [parameters hidden]")
            elif self.params is not None and len(self.params) > 0:
                parts.append(f"Parameters: {format_params(self.params)}")
        return "\n".join(parts)


def format_params(params: Any) -> str:
    """Render parameters for a message, truncating long lists and long values."""
    if isinstance(params, Mapping):
        items = list(params.items())
        shown = ", ".join(f"{k!s}={_short(v)}" for k, v in items[:_MAX_PARAMS_SHOWN])
        more = len(items) - _MAX_PARAMS_SHOWN
        return "{" + shown + (f", … {more} more" if more > 0 else "") + "}"
    if isinstance(params, Sequence) and not isinstance(params, (str, bytes)):
        shown = ", ".join(_short(v) for v in params[:_MAX_PARAMS_SHOWN])
        more = len(params) - _MAX_PARAMS_SHOWN
        return "(" + shown + (f", … {more} more" if more > 0 else "") + ")"
    return _short(params)


def _short(value: Any) -> str:
    text = repr(value)
    if len(text) > _MAX_VALUE_CHARS:
        return text[:_MAX_VALUE_CHARS] + "…"
    return text


# --- client-side errors: raised before any I/O -------------------------------------------


class InterfaceError(Error):
    """Misuse of the twinsql API or of a connection (closed, wrong state)."""


class ArgumentError(InterfaceError, ValueError):
    """Bad input caught before any I/O: parameters, identifiers, options."""


class ParameterError(ArgumentError):
    """Wrong number, names or kind of statement parameters, or mixed placeholder styles."""


class MultipleStatementsError(ArgumentError):
    """One ``execute`` call was given more than one SQL statement."""


class InvalidIdentifierError(ArgumentError):
    """An identifier (table, column, savepoint, alias) that cannot be quoted safely."""


class MigrationError(ArgumentError):
    """A migration set that cannot run: a file edited after it was applied, a missing
    dependency, a cycle, several heads, an irreversible step, an ambiguous change (all
    raised before any DDL is sent); or a migration that failed part-way, whose message says
    which operations are in effect (the database error is its ``__cause__``)."""


class ConfigurationError(ArgumentError):
    """A bad database URL, an unknown scheme or driver, or a bad option value."""


class ConcurrentUseError(InterfaceError):
    """Two tasks (or threads) used one connection at the same time."""


class WrongEventLoopError(InterfaceError):
    """A shared block's connection was used from an event loop other than the one that
    opened it (its socket belongs to that loop)."""


class PoolClosed(InterfaceError):
    """The database (and its pool) was closed."""


class CircuitOpenError(InterfaceError):
    """A circuit breaker is open: the call failed fast and nothing was sent."""


class RecordNotFound(Error, LookupError):
    """``find_or_fail`` (or ``refresh``) found no row for the record."""


class RelationNotLoaded(InterfaceError):
    """A relation was read before it was loaded; reading never queries. The message names
    the fix: ``with_("name")`` on the query, or ``load("name")`` / ``async_load("name")``."""


class StaleObjectError(Error):
    """Optimistic locking: the row changed (or vanished) since this record was read."""


class ReplicaWriteError(InterfaceError):
    """A statement that can write was sent towards a read-only replica (inside
    ``db.replica()``); it was refused before anything was sent."""


class PoolerUnsupported(InterfaceError):
    """A statement needs a session of its own (LISTEN, session advisory locks, temporary
    tables, session SET, WITH HOLD cursors), which a transaction-pooling PgBouncer cannot
    give; it was refused before anything was sent."""


class TransactionAborted(InterfaceError):
    """A statement inside a transaction failed; nothing more runs until it is rolled back."""


# --- errors reported by the database ------------------------------------------------------


class DatabaseError(Error):
    """An error reported by the database server or engine."""


class IntegrityError(DatabaseError):
    """A constraint was violated.

    ``constraint`` (the constraint or unique index, when the backend names it), ``table``
    and ``columns`` (the key's columns, in order; empty when unknown) say which, the same
    way on every backend; they never hold the offending values.
    """

    constraint: str | None = None
    table: str | None = None
    columns: tuple[str, ...] = ()


class UniqueViolation(IntegrityError):
    """A unique or primary-key constraint was violated."""


class ForeignKeyViolation(IntegrityError):
    """A foreign-key constraint was violated."""


class NotNullViolation(IntegrityError):
    """NULL was written to a NOT NULL column."""


class CheckViolation(IntegrityError):
    """A CHECK constraint was violated."""


class ProgrammingError(DatabaseError):
    """The SQL is wrong: syntax error, unknown table or column, bad privileges."""


class DataError(DatabaseError):
    """A value is out of range, badly formatted, or of the wrong type for its column."""


class OperationalError(DatabaseError):
    """The database could not carry out the operation: connectivity, locks, timeouts."""


class ConnectionLost(OperationalError):
    """The connection broke (or could not be opened) and nothing was committed: safe to run
    the work again. A break after COMMIT was sent raises ``CommitOutcomeUnknown`` instead."""


class CommitOutcomeUnknown(OperationalError):
    """The connection broke after COMMIT was sent: the transaction may or may not have been
    committed. Never retried automatically. Deliberately not a ``ConnectionLost``, so that a
    handler that retries after a lost connection never re-runs work that may have committed."""


class QueryCanceled(OperationalError):
    """The statement was canceled (by the client, an operator or a timeout)."""


class StatementTimeout(QueryCanceled):
    """The statement ran past ``statement_timeout``."""


class SerializationFailure(OperationalError):
    """A serializable transaction could not be serialized; re-run the whole transaction."""


class DeadlockDetected(OperationalError):
    """The transaction was chosen as a deadlock victim; re-run the whole transaction."""


class LockTimeout(OperationalError):
    """A lock could not be obtained in time (SQLite: the database stayed locked)."""


class PoolTimeout(OperationalError):
    """No pooled connection became free within ``pool_timeout`` seconds."""
