"""Driver layer: what the two PostgreSQL adapters (``psycopg``, sync and async, and
``asyncpg``, async) share: their traits, how a server error is classified, and how the
statement timeout is sent.

Both bind values on the server, run each parameter set of ``executemany`` as its own
statement (pipelined), and can ``COPY`` rows in; they differ in their placeholder style
(``%s`` for psycopg, ``$1`` for asyncpg), which each sets.
"""

from __future__ import annotations

from twinsql import errors
from twinsql.drivers.base import ErrorInfo
from twinsql.sql.dialects import POSTGRESQL
from twinsql.sql.errorcodes import classify_sqlstate
from twinsql.sql.violations import Violation

__all__ = ["PostgreSQLTraits", "server_error", "statement_timeout_ms", "with_detail"]

_QUERY_CANCELED = "57014"


class PostgreSQLTraits:
    """The traits of both PostgreSQL drivers and their connections (see ``drivers.base``),
    but ``paramstyle``."""

    dialect = POSTGRESQL
    interpolates_values = False
    rewrites_executemany = False
    can_copy = True


def with_detail(message: str, detail: str | None) -> str:
    """The server's message and, on a line of its own, its DETAIL when it gave one."""
    return f"{message}\nDETAIL: {detail}" if detail else message


def server_error(
    sqlstate: str | None, message: str, violation: Violation | None = None
) -> ErrorInfo:
    """An error the server reported, classified by its SQLSTATE. A cancellation caused by
    ``statement_timeout`` (the SQLSTATE of any cancellation) is a ``StatementTimeout``.
    ``violation``: what an integrity error's fields said (``sql.violations``)."""
    cls = classify_sqlstate(sqlstate)
    if sqlstate == _QUERY_CANCELED and "statement timeout" in message:
        cls = errors.StatementTimeout
    return ErrorInfo(cls, message, sqlstate, violation)


def statement_timeout_ms(seconds: float) -> int:
    """The server's ``statement_timeout`` setting for ``seconds`` (milliseconds, at least 1:
    0 would mean no timeout)."""
    return max(1, round(seconds * 1000))
