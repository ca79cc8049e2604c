"""Connection layer, pure: the rules of a database reached through PgBouncer in transaction
pooling mode (``pooler="pgbouncer"``, or ``?pooler=pgbouncer`` in the URL).

PgBouncer hands each *transaction* (each autocommit statement, outside one) to whichever
server connection is free, so nothing may rely on a server session living longer than one
transaction:

* No named prepared statements: psycopg runs with ``prepare_threshold=None``, asyncpg with no
  statement cache (its statements are then unnamed and parsed again with each execution).
* No session state: a session ``SET name = value`` is not sent; the connection keeps it and
  applies it as ``SET LOCAL`` in each transaction it opens (a statement run outside a
  transaction while such settings exist runs in a transaction of its own for that).
  ``RESET name`` forgets it. ``statement_timeout`` is applied per transaction in the same
  way (and by twinsql's client-side deadline for every call), never as a startup parameter.
* What needs a session of its own is refused before it is sent, with the way out:
  LISTEN/UNLISTEN, session advisory locks, temporary tables that outlive their transaction,
  ``DECLARE … WITH HOLD`` and SQL-level ``PREPARE``.
* With the mode off, errors only PgBouncer causes (a named prepared statement missing on
  the server connection a statement landed on) name the fix once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from twinsql.errors import ConfigurationError

__all__ = [
    "PGBOUNCER_HINT",
    "PoolerDecision",
    "begin_statements",
    "decide",
    "driver_options",
    "looks_like_pgbouncer",
]

PGBOUNCER_HINT = (
    "this PostgreSQL server looks like PgBouncer in transaction pooling mode: a named prepared "
    "statement was missing on the server connection the statement landed on. Connect with "
    "pooler='pgbouncer' (or ?pooler=pgbouncer in the URL): twinsql then uses no named "
    "prepared statements and keeps no session state outside a transaction."
)

_STRING_RE = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|/\*.*?\*/", re.DOTALL)
_FIRST_WORDS_RE = re.compile(r"\s*([A-Za-z]+)(?:\s+([A-Za-z]+))?")
_SESSION_SET_RE = re.compile(
    r"\s*SET\s+(?:SESSION\s+)?(?P<name>[A-Za-z_][A-Za-z0-9_.]*)\s*(?:=|\bTO\b)\s*(?P<value>.+?)"
    r"\s*;?\s*\Z",
    re.IGNORECASE | re.DOTALL,
)
_RESET_RE = re.compile(r"\s*RESET\s+(?P<name>[A-Za-z_][A-Za-z0-9_.]*|ALL)\s*;?\s*\Z", re.I)
_ADVISORY_RE = re.compile(
    r"\bpg_(?:try_)?advisory_(?:lock|unlock)(?:_shared)?\b|\bpg_advisory_unlock_all\b", re.I
)
_TEMP_TABLE_RE = re.compile(
    r"\bCREATE\s+(?:(?:GLOBAL|LOCAL)\s+)?TEMP(?:ORARY)?\s+(?:TABLE|VIEW|SEQUENCE)\b", re.I
)
_ON_COMMIT_DROP_RE = re.compile(r"\bON\s+COMMIT\s+DROP\b", re.I)
_WITH_HOLD_RE = re.compile(r"\bDECLARE\b.*\bWITH\s+HOLD\b", re.I | re.DOTALL)
_NOT_SESSION = frozenset({"LOCAL", "TRANSACTION", "CONSTRAINTS", "ROLE"})


@dataclass(frozen=True)
class PoolerDecision:
    """What to do with one statement: ``run`` it as it is; ``remember`` a session setting
    (``name`` → the ``SET LOCAL`` text; ``local`` None forgets it, ``name`` "ALL" forgets
    every one) and, inside a transaction, run ``local`` now; or ``refuse`` it with the
    message."""

    action: str
    name: str = ""
    local: str | None = None
    message: str = ""


RUN = PoolerDecision("run")


def _code(sql: str) -> str:
    """The text without string literals, quoted names and comments (kept the same length
    would not matter: only keywords are searched)."""
    return _STRING_RE.sub(" ", sql)


def decide(sql: str, in_transaction: bool) -> PoolerDecision:
    """The decision for ``sql`` under transaction pooling."""
    code = _code(sql)
    words = _FIRST_WORDS_RE.match(code)
    first = words.group(1).upper() if words else ""
    second = (words.group(2) or "").upper() if words else ""
    if first in ("LISTEN", "UNLISTEN"):
        return _refuse(
            f"{first} needs a session of its own, which PgBouncer in transaction mode does "
            "not give: listen on a direct connection to PostgreSQL (a database without "
            "pooler='pgbouncer', pointed at the server itself). NOTIFY works as it is."
        )
    if _ADVISORY_RE.search(code):
        return _refuse(
            "a session advisory lock outlives the transaction, and PgBouncer in transaction "
            "mode hands the session to others: use pg_advisory_xact_lock / "
            "pg_try_advisory_xact_lock inside db.transaction() instead"
        )
    if _TEMP_TABLE_RE.search(code) and not (in_transaction and _ON_COMMIT_DROP_RE.search(code)):
        return _refuse(
            "a temporary table lives as long as the server session, which PgBouncer in "
            "transaction mode shares: create it inside db.transaction() with ON COMMIT DROP "
            "and use it in that transaction"
        )
    if _WITH_HOLD_RE.search(code) or (first == "PREPARE" and second != "TRANSACTION"):
        return _refuse(
            "a held cursor or an SQL-level prepared statement outlives the transaction, and "
            "PgBouncer in transaction mode shares the session: use db.stream() or plain "
            "statements (twinsql binds the parameters)"
        )
    if first == "SET" and second not in _NOT_SESSION and "=" not in second:
        match = _SESSION_SET_RE.match(sql)
        if match is not None:
            name, value = match.group("name"), match.group("value")
            if name.upper() in ("SESSION", "TIME"):  # SET SESSION CHARACTERISTICS, TIME ZONE
                return RUN if in_transaction else _refuse(_SET_MESSAGE)
            local = f"SET LOCAL {name} = {value}"
            return PoolerDecision("remember", name=name.lower(), local=local)
        if first == "SET" and not in_transaction:
            return _refuse(_SET_MESSAGE)
    if first == "RESET":
        match = _RESET_RE.match(sql)
        if match is not None:
            name = match.group("name")
            key = "ALL" if name.upper() == "ALL" else name.lower()
            return PoolerDecision("remember", name=key)
    return RUN


_SET_MESSAGE = (
    "a session setting outlives the transaction, and PgBouncer in transaction mode shares "
    "the session: use SET name = value (twinsql applies it as SET LOCAL in each "
    "transaction) or SET LOCAL inside db.transaction()"
)


def _refuse(message: str) -> PoolerDecision:
    return PoolerDecision("refuse", message=message + " (pooler='pgbouncer')")


def begin_statements(
    statement_timeout_ms: int | None, settings: Mapping[str, str]
) -> tuple[str, ...]:
    """What follows BEGIN on a pooled connection: the statement timeout and the session
    settings, each as ``SET LOCAL`` (they end with the transaction)."""
    out: list[str] = []
    if statement_timeout_ms is not None:
        out.append(f"SET LOCAL statement_timeout = {int(statement_timeout_ms)}")
    out.extend(settings.values())
    return tuple(out)


def driver_options(driver: str, extra: Mapping[str, str]) -> dict[str, str]:
    """The driver options for ``driver`` behind PgBouncer: no named prepared statements
    (an explicit option that would name them is refused)."""
    out = dict(extra)
    if driver == "psycopg":
        threshold = out.get("prepare_threshold", "none").lower()
        if threshold not in ("", "none"):
            raise _config("prepare_threshold", threshold)
        out["prepare_threshold"] = "none"
        out.pop("statement_cache_size", None)
    elif driver == "asyncpg":
        size = out.get("statement_cache_size", "0")
        if size.strip() != "0":
            raise _config("statement_cache_size", size)
        out["statement_cache_size"] = "0"
        out.pop("prepare_threshold", None)
    return out


def _config(option: str, value: str) -> Exception:
    return ConfigurationError(
        f"option {option}={value} names prepared statements, which PgBouncer in transaction "
        "mode cannot keep; leave it out with pooler='pgbouncer'"
    )


def looks_like_pgbouncer(sqlstate: str | None, message: str) -> bool:
    """Whether an error is what a named prepared statement gets behind transaction pooling
    (missing, or already there, on the server connection the statement landed on)."""
    text = message.lower()
    return (sqlstate in ("26000", "42P05") and "prepared statement" in text) or (
        "unsupported startup parameter" in text
    )
