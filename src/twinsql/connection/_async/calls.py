# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""Connection layer, I/O: the rules around every call of one connection.

``CallGuard`` is the one owner of them: refuse a statement in a failed transaction, refuse a
broken connection and a second concurrent user (``ConcurrentUseError``), echo the SQL to
``twinsql.sql``, arm the client-side deadline, turn driver errors into twinsql errors carrying
the SQL (with string values scrubbed from messages), tell the observer, and record when a call
was interrupted mid-I/O so that the pool discards the connection. ``ConnectionSettings`` is
what every connection of one database shares for it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any

from twinsql import errors
from twinsql._compat import UseGuard
from twinsql.connection.observe import Observer
from twinsql.drivers.base import CopyUnsupported
from twinsql.drivers.deadline import CLIENT_GRACE, Armed
from twinsql.sql import violations

if TYPE_CHECKING:
    from twinsql.connection._async.connection import AsyncConnection

__all__ = ["CallGuard", "ConnectionSettings", "Params", "scrub_values", "sql_logger"]

Params = Sequence[Any] | Mapping[str, Any] | None

# Statements at INFO whenever this logger is enabled for INFO, their parameters at DEBUG
# (never with hide_parameters).
sql_logger = logging.getLogger("twinsql.sql")
sql_log_enabled = sql_logger.isEnabledFor

_IS_ASYNC = True
if _IS_ASYNC:
    from twinsql.drivers.deadline import arm_on_loop as arm_deadline
else:
    from twinsql.drivers.deadline import arm_on_watchdog as arm_deadline  # noqa: E402, RUF100


def scrub_values(message: str, params: Params) -> str:
    """Replace the text of each string parameter (of 3+ characters) in ``message``."""
    values = params.values() if isinstance(params, Mapping) else (params or ())
    for value in values:
        if isinstance(value, str) and len(value) >= 3:
            message = message.replace(value, "***")
    return message


class ConnectionSettings:
    """What every connection of one database shares: logging, message hygiene, the
    client-side bound on each call (``statement_timeout``; ``None``: no timer is armed) and
    the observer told about each call (``None``: nothing watches)."""

    __slots__ = (
        "echo", "hide_parameters", "observer", "pooler", "secrets", "statement_timeout", "warned"
    )

    def __init__(
        self,
        *,
        echo: bool,
        hide_parameters: bool,
        secrets: Sequence[str],
        statement_timeout: float | None = None,
        pooler: str | None = None,
    ) -> None:
        self.echo = echo
        # "pgbouncer": the rules of connection.pooler apply to every statement.
        self.pooler = pooler
        # Whether the hint that the server looks like PgBouncer was logged (it is, once).
        self.warned = False
        self.hide_parameters = hide_parameters
        self.statement_timeout = statement_timeout
        self.observer: Observer | None = None
        # Strings scrubbed from every message (the password, raw and percent-encoded).
        self.secrets = tuple(s for s in secrets if s)

    def scrub(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

    def log(self, sql: str, params: Params) -> None:
        sql_logger.info("%s", sql)
        if params and not self.hide_parameters and sql_log_enabled(logging.DEBUG):
            sql_logger.debug("parameters: %s", self.scrub(errors.format_params(params)))


class CallGuard:
    """The rules around every I/O call of one connection, each kept here once.

    A call starts with ``statement(...)`` or ``control(...)``, which refuse it or take the
    connection for it, and runs inside ``with``; leaving the block maps a driver error to a
    twinsql error, marks the connection after an interruption, and frees it::

        with self.calls.statement(sql, params):
            result = await self.raw.execute(text, values)

    One guard per connection is reused for every call: what ``statement``/``control`` record
    belongs to the call that holds the connection, and a refused call records nothing.

    With a statement timeout configured, the call runs under a client-side deadline (the
    timeout plus ``CLIENT_GRACE``, so that the server's own timeout answers first when the
    link works): when it fires, the driver's ``abort()`` stops the call, which raises
    ``StatementTimeout``, and the connection is discarded. Without one, no timer is armed.
    """

    __slots__ = (
        "_commit",
        "_connection",
        "_control",
        "_enter",
        "_limit",
        "_observed",
        "_observer",
        "_params",
        "_settings",
        "_sql",
        "_stack",
        "_timer",
        "expired",
        "release",
    )

    def __init__(self, connection: AsyncConnection, use: UseGuard) -> None:
        self._connection = connection
        self._stack = connection.transaction_stack
        self._settings = connection.settings
        # Both are the use lock's own C methods: taking and freeing the connection costs no
        # Python frame on the per-statement path.
        self._enter = use.enter
        self.release: Callable[[], None] = use.exit
        self._sql = ""
        self._params: Params = None
        self._control = False
        self._commit = False
        limit = self._settings.statement_timeout
        self._limit = None if limit is None else limit + CLIENT_GRACE
        self._timer: Armed | None = None
        # The observer of the current call and its handle (set only while one watches).
        self._observer: Observer | None = None
        self._observed: object = None
        # Set by the deadline when it fired during the current call.
        self.expired = False

    def statement(
        self, sql: str, params: Params, shown: Params = None, *, bounded: bool = True
    ) -> CallGuard:
        """Take the connection for a statement: refused inside a failed transaction, on a
        broken connection and while another call runs. ``params`` go into errors; the echo
        log shows ``shown`` instead when given (a summary of many parameter sets).
        ``bounded=False``: no deadline (a stream, whose consumer sets the pace)."""
        stack = self._stack
        if stack.depth:
            refusal = stack.refusal()
            if refusal is not None:
                raise errors.TransactionAborted(
                    refusal, sql=sql, params=params, hide_parameters=self._settings.hide_parameters
                )
        if self._connection.broken or not self._enter():
            raise self._refused(sql)
        self._sql, self._params, self._control, self._commit = sql, params, False, False
        if sql_log_enabled(logging.INFO):
            self._settings.log(sql, params if shown is None else shown)
        if self._settings.observer is not None:
            self._observe(sql, params, False)
        if self._limit is not None and bounded:
            self._arm(self._limit)
        return self

    def control(self, sql: str, *, is_commit: bool, watched: bool = True) -> CallGuard:
        """Take the connection for a transaction-control statement: exempt from the
        failed-transaction refusal (it is what ends the failed level), and its failure is
        not a statement failure of the level. A broken link during a COMMIT leaves the
        outcome unknown. ``watched=False``: the observers are not told (a catalog look-up
        that completes an error belongs to the failed call, not to an operation of its own)."""
        if self._connection.broken or not self._enter():
            raise self._refused(sql)
        self._sql, self._params, self._control, self._commit = sql, None, True, is_commit
        if sql_log_enabled(logging.INFO):
            self._settings.log(sql, None)
        if self._settings.observer is not None and watched:
            self._observe(sql, None, True)
        if self._limit is not None:
            self._arm(self._limit)
        return self

    def _observe(self, sql: str, params: Params, control: bool) -> None:
        observer = self._settings.observer
        assert observer is not None
        self._observed = observer.call_started(sql, params, control)
        self._observer = observer

    def observed(self, error: BaseException | None) -> None:
        """Tell the observer of the current call, if any, that it ended with ``error``."""
        observer = self._observer
        if observer is not None:
            self._observer = None
            observer.call_ended(self._observed, error)

    def _arm(self, seconds: float) -> None:
        self.expired = False
        self._timer = arm_deadline(seconds, self._expire)

    def _expire(self) -> None:
        """The deadline fired: stop the call (the server is asked to stop the statement)."""
        self.expired = True
        raw = self._connection.raw
        if not raw.clean_after_interrupt:
            self._connection.broken = True
        raw.abort()

    def _disarm(self) -> None:
        timer = self._timer
        if timer is not None:
            self._timer = None
            timer.cancel()

    # ``statement``/``control`` did the entering. ``with`` still calls __enter__: a C callable
    # taking no argument keeps that free of a Python frame (nothing uses ``as``).
    __enter__ = staticmethod(tuple)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._timer is not None:
            self._disarm()
        if exc is None:
            # The observer first: once released, the connection's next call (another
            # user's, in a shared block) reuses these fields.
            if self._observer is not None:
                self.observed(None)
            self.release()
            return
        try:
            if isinstance(exc, Exception):
                self.fail(exc)
            else:
                self.interrupted()
        except BaseException as error:
            self.observed(error)
            raise
        else:
            self.observed(exc)
        finally:
            self.release()

    def fail(self, exc: Exception) -> None:
        """Raise the twinsql error for ``exc``, raised by the driver during the call; return
        when ``exc`` is not the driver's to map (the caller re-raises it unchanged)."""
        conn = self._connection
        raw = conn.raw
        stack = conn.transaction_stack
        if self.expired:
            raise self._timed_out(exc) from exc
        if isinstance(exc, CopyUnsupported):
            # COPY cannot carry these columns; the connection is sound. If the server had
            # begun the COPY, the transaction has failed.
            if exc.aborted:
                stack.statement_failed("COPY failed", raw.in_transaction)
            return
        info = raw.classify_error(exc)
        if info is None:
            if not raw.clean_after_interrupt:
                conn.broken = True
            return
        if issubclass(info.cls, errors.ConnectionLost):
            conn.broken = True
        elif stack.depth and not self._control:
            stack.statement_failed(info.cls.__name__, raw.in_transaction)
        settings = conn.settings
        sql, params = self._sql, self._params
        message = settings.scrub(info.message)
        if settings.hide_parameters:
            # Some servers quote the statement with its values filled in (MySQL's
            # "near '…'" after client-side interpolation): hide the values there too.
            message = scrub_values(message, params)
        error = info.cls(
            message,
            sql=sql,
            params=params,
            hide_parameters=settings.hide_parameters,
            sqlstate=info.sqlstate,
            driver_error=exc,
        )
        if info.violation is not None and isinstance(error, errors.IntegrityError):
            violations.apply(error, violations.locate(info.violation, sql, raw.dialect.lexer))
        if self._commit and isinstance(error, errors.ConnectionLost):
            raise errors.CommitOutcomeUnknown(
                "the connection broke after COMMIT was sent: the transaction may or may "
                f"not have been committed ({error.message})",
                sql=sql,
                driver_error=exc,
            ) from exc
        raise error from exc

    def interrupted(self) -> None:
        """A cancellation, timeout or interrupt arrived during I/O: a driver that cannot
        tell where its reply stopped makes the connection unusable; otherwise the statement
        failed inside its level."""
        conn = self._connection
        raw = conn.raw
        if not raw.clean_after_interrupt:
            # The server may still be running the statement: ask it to stop (in the
            # background), and never reuse the link.
            conn.broken = True
            raw.abort()
        elif conn.transaction_stack.depth:
            conn.transaction_stack.statement_failed("interrupted", raw.in_transaction)

    def _timed_out(self, exc: BaseException) -> errors.Error:
        """The error of a call stopped by its deadline: a ``StatementTimeout`` (for a
        COMMIT, whose outcome is then unknown, ``CommitOutcomeUnknown``)."""
        conn = self._connection
        raw = conn.raw
        if not raw.clean_after_interrupt:
            conn.broken = True
        elif conn.transaction_stack.depth and not self._control:
            conn.transaction_stack.statement_failed("StatementTimeout", raw.in_transaction)
        limit = self._settings.statement_timeout
        if self._commit:
            return errors.CommitOutcomeUnknown(
                f"no reply to COMMIT within the statement timeout ({limit:g}s): the "
                "transaction may or may not have been committed",
                sql=self._sql,
                driver_error=exc,
            )
        return errors.StatementTimeout(
            f"the statement did not complete within statement_timeout ({limit:g}s); the "
            "server was asked to stop it and the connection was discarded",
            sql=self._sql,
            params=self._params,
            hide_parameters=self._settings.hide_parameters,
            driver_error=exc,
        )

    def _refused(self, sql: str) -> errors.Error:
        if self._connection.broken:
            return errors.InterfaceError(
                "this connection broke during an earlier operation and cannot be used", sql=sql
            )
        return errors.ConcurrentUseError(
            "this connection is already running an operation for another task or thread; "
            "give each concurrent task its own connection (the database's methods do)",
            sql=sql,
        )
