"""SQL feature, pure: which constraint, table and columns an integrity error is about.

Every backend reports a violated constraint differently. PostgreSQL sends the constraint
and table names as fields of the error and the key columns in its DETAIL line
(``Key (a, b)=(…)``); MySQL and MariaDB put what they say in the message text, and name a
duplicate key but not its columns; SQLite names the table and columns of a unique or NOT
NULL failure, the name of a CHECK constraint, and nothing at all for a foreign key. This
module turns each form into one ``Violation`` so that an error carries the same
``constraint``, ``table`` and ``columns`` on every backend.

What the message does not say, a catalog look-up after the error completes: the
dialect's ``violation_lookup_sql`` lists the unique indexes (or, on SQLite, the foreign
keys) of the table, and ``complete_unique`` / ``complete_foreign_key`` pick the one the
error is about. The look-up runs only once an error has happened, never on the way of a
statement that succeeds.

The values of the offending row never enter a ``Violation`` (the DETAIL and the MySQL
message quote them; only names are read from there).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Final, NamedTuple

from twinsql.errors import ForeignKeyViolation, IntegrityError, UniqueViolation
from twinsql.sql.dialects import Dialect
from twinsql.sql.lexer import COMMENT, DOT, QUOTED, WORD, scan_items

__all__ = [
    "Violation",
    "apply",
    "complete",
    "complete_foreign_key",
    "complete_unique",
    "locate",
    "lookup_sql",
    "mysql_violation",
    "postgresql_violation",
    "sqlite_violation",
    "statement_table",
]


class Violation(NamedTuple):
    """The names an integrity error is about: the constraint (or unique index) when the
    backend names it, the table, and the columns (in key order; empty when unknown)."""

    constraint: str | None = None
    table: str | None = None
    columns: tuple[str, ...] = ()


# --- PostgreSQL --------------------------------------------------------------------------

_KEY_RE: Final = re.compile(r"^Key \((.*?)\)=\(", re.DOTALL)
_STILL_REFERENCED: Final = "is still referenced from table"


def postgresql_violation(
    sqlstate: str | None,
    constraint: str | None,
    table: str | None,
    column: str | None,
    detail: str | None,
) -> Violation | None:
    """From the error fields both PostgreSQL drivers expose. A foreign key's columns are
    the referencing ones: a DELETE of a referenced row shows the referenced key instead,
    so its columns stay unknown."""
    if sqlstate is None or not sqlstate.startswith("23"):
        return None
    if column:
        return Violation(constraint, table, (column,))
    columns: tuple[str, ...] = ()
    if detail and sqlstate in ("23505", "23503") and _STILL_REFERENCED not in detail:
        match = _KEY_RE.match(detail)
        if match:
            columns = tuple(_split_names(match.group(1), '"'))
    return Violation(constraint, table, columns)


# --- MySQL / MariaDB ---------------------------------------------------------------------

_DUP_KEY_RE: Final = re.compile(r"for key '((?:[^']|'')*)'$")
_FK_RE: Final = re.compile(
    r"\(`(?:[^`]|``)*`\.`((?:[^`]|``)*)`, CONSTRAINT `((?:[^`]|``)*)` "
    r"FOREIGN KEY \(([^)]*)\) REFERENCES"
)
_COLUMN_RE: Final = re.compile(r"^(?:Column|Field) '((?:[^']|'')*)' ")
_CHECK_RE: Final = re.compile(r"^(?:CONSTRAINT|Check constraint) `((?:[^`]|``)*)` (?:failed|is)")
_UNIQUE_ERRNOS: Final = frozenset({1062, 1586, 1022})
_FK_ERRNOS: Final = frozenset({1451, 1452})
_NULL_ERRNOS: Final = frozenset({1048, 1364})
_CHECK_ERRNOS: Final = frozenset({3819, 4025})


def mysql_violation(errno: int | None, message: str) -> Violation | None:
    """From a MySQL/MariaDB error number and message (the messages of a duplicate key or a
    NULL name no table: ``locate`` adds the statement's)."""
    table = None
    if errno in _UNIQUE_ERRNOS:
        match = _DUP_KEY_RE.search(message)
        key = match.group(1).replace("''", "'") if match else None
        return Violation(key, table, ())
    if errno in _FK_ERRNOS:
        match = _FK_RE.search(message)
        if match is None:
            return Violation(None, table, ())
        columns = tuple(_split_names(match.group(3), "`"))
        return Violation(_unquote(match.group(2), "`"), _unquote(match.group(1), "`"), columns)
    if errno in _NULL_ERRNOS:
        match = _COLUMN_RE.match(message)
        return Violation(None, table, (match.group(1).replace("''", "'"),) if match else ())
    if errno in _CHECK_ERRNOS:
        match = _CHECK_RE.match(message)
        return Violation(_unquote(match.group(1), "`") if match else None, table, ())
    return None


# --- SQLite ------------------------------------------------------------------------------

_SQLITE_PREFIXES: Final = (
    ("UNIQUE constraint failed: ", True),
    ("NOT NULL constraint failed: ", True),
    ("CHECK constraint failed: ", False),
)


def sqlite_violation(message: str) -> Violation | None:
    """From an SQLite constraint message (``UNIQUE constraint failed: t.a, t.b``); the
    messages that name no table get the statement's from ``locate``."""
    table = None
    for prefix, lists_columns in _SQLITE_PREFIXES:
        if message.startswith(prefix):
            rest = message[len(prefix) :]
            if not lists_columns:
                return Violation(rest or None, table, ())
            found_table, columns = table, []
            for item in rest.split(", "):
                owner, _, column = item.rpartition(".")
                found_table = owner or found_table
                columns.append(column)
            return Violation(None, found_table, tuple(columns))
    if message.startswith("FOREIGN KEY constraint failed"):
        return Violation(None, table, ())
    return None


# --- completing from the statement and the catalog ---------------------------------------


def locate(violation: Violation, sql: str, lexer: str) -> Violation:
    """``violation`` with the statement's target table when the error named none, and the
    constraint name without the ``table.`` prefix MySQL 8 (duplicate keys) and MariaDB
    (column CHECKs) put before it."""
    table = violation.table
    if table is None:
        table = statement_table(sql, lexer)
        violation = Violation(violation.constraint, table, violation.columns)
    name = violation.constraint
    if name and table and name.startswith(table + "."):
        violation = Violation(name[len(table) + 1 :], table, violation.columns)
    return violation


def complete_unique(violation: Violation, indexes: Iterable[Sequence[object]]) -> Violation:
    """Fill in what a unique violation lacks from ``(index name, column name)`` rows of the
    table's unique indexes, in key order: the columns of the named index, or the name of
    the index on exactly these columns. SQLite's own indexes behind an unnamed UNIQUE or
    PRIMARY KEY clause (``sqlite_autoindex_…``) name no constraint."""
    keys: dict[str, list[str]] = {}
    for name, column in indexes:
        keys.setdefault(str(name), []).append(str(column))
    if violation.constraint is not None:
        columns = keys.get(violation.constraint)
        found = tuple(columns) if columns else violation.columns
        return Violation(violation.constraint, violation.table, found)
    for name, columns in keys.items():
        if tuple(columns) == violation.columns and not name.startswith("sqlite_autoindex_"):
            return Violation(name, violation.table, violation.columns)
    return violation


def complete_foreign_key(violation: Violation, keys: Iterable[Sequence[object]]) -> Violation:
    """Fill in the columns of a foreign-key violation from ``(key id, column name)`` rows
    of the table's foreign keys (SQLite's ``pragma_foreign_key_list``): known only when the
    table has one foreign key, since the message does not say which one failed."""
    by_id: dict[str, list[str]] = {}
    for key_id, column in keys:
        by_id.setdefault(str(key_id), []).append(str(column))
    if len(by_id) != 1:
        return violation
    return Violation(violation.constraint, violation.table, tuple(*by_id.values()))


# --- the statement's target table --------------------------------------------------------

_SKIPPED_BEFORE_TABLE: Final = frozenset(
    {"INTO", "IGNORE", "LOW_PRIORITY", "DELAYED", "HIGH_PRIORITY", "QUICK", "FROM", "ONLY"}
)
_OR_ACTIONS: Final = frozenset({"OR", "ROLLBACK", "ABORT", "REPLACE", "FAIL", "IGNORE"})


def statement_table(sql: str, lexer: str) -> str | None:
    """The table an INSERT, REPLACE, UPDATE or DELETE writes to (its last name part,
    unquoted); None for anything else or a form this reader does not follow (a WITH
    prefix, a multi-table UPDATE is read as its first table)."""
    items = scan_items(sql, lexer)
    if items is None:
        return None
    words = [(kind, sql[start:end]) for kind, start, end in items if kind != COMMENT]
    if not words or words[0][0] != WORD:
        return None
    verb = words[0][1].upper()
    if verb not in ("INSERT", "REPLACE", "UPDATE", "DELETE"):
        return None
    index = 1
    while index < len(words) and words[index][0] == WORD:
        word = words[index][1].upper()
        if word in _SKIPPED_BEFORE_TABLE or (verb != "DELETE" and word in _OR_ACTIONS):
            index += 1
            continue
        break
    name: str | None = None
    while index < len(words) and words[index][0] in (WORD, QUOTED):
        kind, text = words[index]
        name = text if kind == WORD else _unquote(text[1:-1], text[0])
        if index + 1 < len(words) and words[index + 1][0] == DOT:
            index += 2
            continue
        break
    return name


def _unquote(text: str, quote: str) -> str:
    closing = "]" if quote == "[" else quote
    return text.replace(closing * 2, closing)


def _split_names(text: str, quote: str) -> list[str]:
    """Names separated by commas, each bare or quoted (a quoted name may hold a comma)."""
    names: list[str] = []
    current: list[str] = []
    quoted = False
    index = 0
    while index < len(text):
        char = text[index]
        if char == quote:
            if quoted and text[index + 1 : index + 2] == quote:
                current.append(quote)
                index += 2
                continue
            quoted = not quoted
        elif char == "," and not quoted:
            names.append("".join(current).strip())
            current = []
        else:
            current.append(char)
        index += 1
    names.append("".join(current).strip())
    return [name for name in names if name]


def lookup_sql(error: IntegrityError, dialect: Dialect) -> str | None:
    """The catalog query that completes ``error`` on ``dialect`` (its one parameter: the
    table), or None when the error is complete or nothing can complete it."""
    if not error.table:
        return None
    if isinstance(error, UniqueViolation) and (not error.columns or error.constraint is None):
        return dialect.unique_keys_sql
    if isinstance(error, ForeignKeyViolation) and not error.columns:
        return dialect.foreign_keys_sql
    return None


def apply(error: IntegrityError, violation: Violation) -> None:
    """Set ``error``'s ``constraint``, ``table`` and ``columns`` from ``violation``."""
    error.constraint, error.table, error.columns = violation


def complete(error: IntegrityError, rows: Iterable[Sequence[object]]) -> None:
    """Complete ``error`` from the rows of its ``lookup_sql``."""
    violation = Violation(error.constraint, error.table, error.columns)
    if isinstance(error, UniqueViolation):
        apply(error, complete_unique(violation, rows))
    else:
        apply(error, complete_foreign_key(violation, rows))
