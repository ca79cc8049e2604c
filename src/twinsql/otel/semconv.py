"""OpenTelemetry integration, pure: the database semantic conventions applied to twinsql.

What a span or a measurement says about one call, computed without I/O and without the
OpenTelemetry packages: ``db.query.text`` with every literal value replaced by ``?``,
comments dropped and ``IN (?, ?, …)`` lists (and repeated ``VALUES`` rows) collapsed, so
that the text never carries data and one query shape is one text; ``db.query.summary``
(``SELECT users``) and ``db.operation.name`` / ``db.collection.name`` read from the same
tokens; the attributes of the database itself; and the attributes of an error
(``error.type``, ``db.response.status_code``: the SQLSTATE on PostgreSQL, the error number
on MySQL/MariaDB, the extended result code on SQLite).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from twinsql.connection.url import DatabaseURL
from twinsql.sql.lexer import COMMENT, DOT, QUOTED, WORD, scan_items

__all__ = [
    "DURATION_BUCKETS",
    "QueryShape",
    "database_attributes",
    "error_attributes",
    "query_shape",
]

# The bucket boundaries the conventions advise for db.client.operation.duration (seconds).
DURATION_BUCKETS = (0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0)

_SYSTEM = {"postgresql": "postgresql", "mysql": "mysql", "sqlite": "sqlite"}
# Words after which a statement names the tables it works on.
_TABLE_BEFORE = {"FROM", "INTO", "UPDATE", "JOIN", "TABLE"}
# Words that end a list of tables (``FROM a, b WHERE``) or are not a table at all.
_NOT_TABLE = {"SELECT", "WHERE", "SET", "VALUES", "ON", "USING", "AS", "LATERAL", "ONLY",
              "IF", "NOT", "EXISTS", "DEFAULT", "(", "ORDER", "GROUP", "LIMIT"}  # fmt: skip
_IN_LIST = re.compile(r"(\bIN\s*)\(\s*\?(?:\s*,\s*\?)+\s*\)", re.IGNORECASE)
_REPEATED_ROWS = re.compile(r"(\(\s*\?(?:\s*,\s*\?)*\s*\))(?:\s*,\s*\(\s*\?(?:\s*,\s*\?)*\s*\))+")
_SPACES = re.compile(r"\s+")
# A number: digits not inside a name (``t1``, ``sp_2``, ``$1``); a decimal's two halves are
# separate items, joined again below.
_DIGITS = re.compile(r"(?<![\w$])\d+(?:[eE][+-]?\d+)?(?!\w)")
_SPLIT_DECIMAL = re.compile(r"\?\.\?")


@dataclass(frozen=True)
class QueryShape:
    """What the conventions say about one statement's text."""

    text: str
    operation: str | None
    collections: tuple[str, ...]

    @property
    def summary(self) -> str:
        """``db.query.summary``: the operation and the tables it names (at most three)."""
        parts = [self.operation or "", *self.collections[:3]]
        return " ".join(part for part in parts if part) or "statement"

    @property
    def collection(self) -> str | None:
        """``db.collection.name``: set only when the statement names exactly one table."""
        return self.collections[0] if len(self.collections) == 1 else None


@functools.lru_cache(maxsize=2048)
def query_shape(sql: str, lexer: str) -> QueryShape:
    """The sanitised text, the operation and the tables of ``sql`` (cached per text: an
    application runs few distinct statements many times)."""
    items = scan_items(sql, lexer)
    if items is None:  # an unterminated quote or comment: nothing of it can be shown
        return QueryShape("?", None, ())
    out: list[str] = []
    pos = 0
    operation: str | None = None
    collections: list[str] = []
    expecting_table = extending = False
    for kind, start, end in items:
        text = sql[start:end]
        out.append(sql[pos:start])  # the spacing between items, as written
        pos = end
        if kind == COMMENT:
            out.append(" ")
            continue
        if kind == QUOTED and _is_literal(text, lexer):
            out.append("?")
            expecting_table = extending = False
            continue
        if kind != QUOTED and _DIGITS.search(text):
            out.append(_DIGITS.sub("?", text))
            expecting_table = extending = False
            continue
        out.append(text)
        if kind == DOT:
            continue  # a qualified name goes on: ``schema.table``
        name = _unquote(text) if kind == QUOTED else text
        upper = text.upper() if kind == WORD else ""
        if operation is None and kind == WORD:
            operation = upper
        if extending and sql[start - 1 : start] == ".":
            collections[-1] += "." + name
            continue
        extending = False
        if expecting_table and (kind == QUOTED or (kind == WORD and upper not in _NOT_TABLE)):
            collections.append(name)
            expecting_table, extending = False, True
            continue
        expecting_table = upper in _TABLE_BEFORE
    out.append(sql[pos:])
    shown = _SPLIT_DECIMAL.sub("?", _SPACES.sub(" ", "".join(out)).strip())
    shown = _REPEATED_ROWS.sub(r"\1", _IN_LIST.sub(r"\1(?)", shown))
    return QueryShape(shown, operation, tuple(dict.fromkeys(collections)))


def _is_literal(text: str, lexer: str) -> bool:
    """A string (or dollar-quoted) literal, as opposed to a quoted identifier."""
    first = text[0]
    if first == "'" or first == "$" or (first in "eEnNbBxX" and len(text) > 1 and text[1] == "'"):
        return True
    return first == '"' and lexer == "mysql"  # MySQL reads "…" as a string


def _unquote(text: str) -> str:
    return text[1:-1] if len(text) >= 2 and text[0] in "\"`[" else text


def database_attributes(url: DatabaseURL) -> dict[str, Any]:
    """The attributes every span and measurement of one database carries."""
    attributes: dict[str, Any] = {"db.system.name": _SYSTEM.get(url.backend, url.backend)}
    if url.database:
        attributes["db.namespace"] = url.database
    if url.host:
        attributes["server.address"] = url.host
        attributes["server.port"] = url.port or {"postgresql": 5432, "mysql": 3306}.get(
            url.backend, 0
        )
    return attributes


def error_attributes(error: BaseException) -> dict[str, Any]:
    """``error.type`` (the class's qualified name) and, for an error the server reported,
    ``db.response.status_code``."""
    cls = type(error)
    attributes: dict[str, Any] = {"error.type": f"{cls.__module__}.{cls.__qualname__}"}
    code = _status_code(error)
    if code is not None:
        attributes["db.response.status_code"] = code
    return attributes


def _status_code(error: BaseException) -> str | None:
    sqlstate = getattr(error, "sqlstate", None)
    driver_error = getattr(error, "driver_error", None)
    if driver_error is not None:
        errorcode = getattr(driver_error, "sqlite_errorcode", None)
        if isinstance(errorcode, int):
            return str(errorcode)
        args = getattr(driver_error, "args", ())
        # MySQL drivers: (errno, message); the conventions want the error number there.
        if args and isinstance(args[0], int) and not isinstance(args[0], bool) and args[0]:
            return str(args[0])
    return sqlstate if isinstance(sqlstate, str) else None
