"""SQL feature, pure: the SQL dialects of SQLite, PostgreSQL and MySQL/MariaDB, as data.

A ``Dialect`` holds everything that differs between the backends and needs no connection:
how to quote an identifier and how long it may be, the parameter limit, what the backend
can do (``Capabilities``), how its SQL spells the clauses that differ (a row lock, an
OFFSET without LIMIT, a boolean or string literal, an auto-increment key) and the text of
the transaction-control statements.  The compiler, the ORM's DDL, the shell and the
batcher read these fields and methods; none of them branches on the backend's name.

Safety rules: nothing user-supplied is formatted into SQL unless it went through
``quote_identifier`` (embedded quote characters doubled; NUL, empty, over-long and — where
the backend cannot hold them — trailing-space or non-BMP names rejected) or through an
allow-list (isolation levels, SQLite transaction modes).  Savepoint names are quoted too:
a name formatted in raw would be an injection point like any other identifier.

Note on SQLite: a double-quoted identifier that names no column is read by SQLite as a
string literal (its "DQS" misfeature).  Quoting cannot fix that; it only matters for
misspelt names, which then compare as strings instead of failing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from twinsql.errors import ArgumentError, ConfigurationError, InvalidIdentifierError
from twinsql.sql.lexer import Lexer

__all__ = [
    "ASYNCPG_MAX_PARAMS",
    "MYSQL",
    "MYSQL_DEFAULT_MAX_PACKET",
    "MYSQL_MAX_PARAMS",
    "POSTGRESQL",
    "PSYCOPG_MAX_PARAMS",
    "SQLITE",
    "SQLITE_DEFAULT_MAX_PARAMS",
    "Capabilities",
    "Dialect",
    "get_dialect",
]

# Bind-parameter limits.  asyncpg counts parameters in a signed 16-bit field; psycopg and
# MySQL's prepared-statement protocol in an unsigned one.  SQLite's limit is a compile-time
# option (32766 since 3.32); the driver reads the real value from the connection.
ASYNCPG_MAX_PARAMS = 32767
PSYCOPG_MAX_PARAMS = 65535
MYSQL_MAX_PARAMS = 65535
SQLITE_DEFAULT_MAX_PARAMS = 32766
# MySQL 8 / MariaDB 10.6 default max_allowed_packet; the driver reads the server's value.
MYSQL_DEFAULT_MAX_PACKET = 16 * 1024 * 1024

_ISOLATION_LEVELS = frozenset(
    {"read uncommitted", "read committed", "repeatable read", "serializable"}
)
_LEVEL_SHAPE = re.compile(r"[a-z]+(?:[ \t_-]+[a-z]+)*")
_SEPARATORS = re.compile(r"[ \t_-]+")
_SHOWN_CHARS = 60  # how much of a rejected value a message repeats
# SQLite has no read-only transaction: query_only refuses writes for the whole session, so
# it is turned on before BEGIN and off again once the transaction has ended.
_QUERY_ONLY_ON = "PRAGMA query_only = ON"
_QUERY_ONLY_OFF = "PRAGMA query_only = OFF"

# Opens a transaction: (normalized isolation level or None, read-only) -> statements.
BeginSQL = Callable[[str | None, bool], tuple[str, ...]]


@dataclass(frozen=True)
class Capabilities:
    """What a backend can do, at the minimum versions twinsql supports (SQLite 3.35,
    PostgreSQL 12, MySQL 8.0 / MariaDB 10.6).  The code that compiles or runs each feature
    reads its flag: DML for ``returning_*``, ``upsert`` and ``multirow_empty_insert``, the
    SELECT compiler for the lock, ordering, compound and WITH flags and ``row_value_in``,
    the batcher for ``transactional_ddl``, ``Dialect.normalize_isolation`` for
    ``isolation_levels``."""

    returning_insert: bool
    returning_update_delete: bool
    upsert: Literal["on_conflict", "on_duplicate_key"]  # INSERT … ON CONFLICT | ON DUPLICATE KEY
    # An INSERT without columns may add several rows (``() VALUES (), ()``); otherwise it is
    # ``DEFAULT VALUES``, one row.
    multirow_empty_insert: bool
    for_update: bool  # row locks at all
    nowait: bool
    skip_locked: bool
    lock_of: bool  # FOR UPDATE OF t: which of the joined tables to lock
    share_lock_options: bool  # NOWAIT / SKIP LOCKED on a share lock too
    nulls_order: bool  # ORDER BY … NULLS FIRST | NULLS LAST
    intersect_except: bool
    cte: bool
    recursive_cte: bool
    transactional_ddl: bool  # false: every DDL statement commits the open transaction
    isolation_levels: frozenset[str] = field(default_factory=frozenset)
    # Rows of values matched at once (a composite key): ``(a, b) IN ((?, ?), …)`` when true;
    # otherwise ``(a = ? AND b = ?) OR …``, which the backend's planner turns into index
    # lookups where it does not for the IN form.
    row_value_in: bool = True


@dataclass(frozen=True)
class Dialect:
    """One backend's SQL conventions (see the module docstring)."""

    name: str
    title: str  # the backend's name in messages
    lexer: Lexer  # how ``sql.lexer`` reads this backend's literals, comments and quotes
    identifier_quote: str
    max_identifier_length: int
    identifier_length_unit: Literal["bytes", "characters"]
    # Whether a name may end with a space, and hold characters beyond the Basic
    # Multilingual Plane (MySQL allows neither).
    identifier_trailing_space: bool
    identifier_beyond_bmp: bool
    capabilities: Capabilities
    default_max_params: int
    # The query that reads the largest statement the server accepts (MySQL's
    # max_allowed_packet); None where the protocol sets no such limit.
    max_packet_query: str | None
    # How a connection of unknown driver is assumed to send values.  MySQL's text protocol
    # has no bind parameters, so its Python drivers format the values into the statement
    # text and rewrite an executemany of an INSERT into multi-row statements.
    drivers_interpolate: bool
    # --- spellings ---
    share_lock_sql: str  # a share row lock ("" where there are no row locks)
    offset_only_sql: str  # an OFFSET without a LIMIT (the offset bound as ?)
    ordered_compound_part: str  # a compound part with its own ORDER BY / LIMIT, as {}
    bool_literals: tuple[str, str]  # (false, true)
    backslash_escapes: bool  # a backslash in a string literal escapes the next character
    auto_increment_key: str  # an auto-incrementing integer primary key, after its name
    drop_cascades: bool  # DROP TABLE … CASCADE drops what depends on the table
    # A new integer key comes back as the last row id (SQLite's rowid, MySQL's
    # LAST_INSERT_ID), so an INSERT needs no RETURNING for the key alone.
    key_from_lastrowid: bool
    # Secondary indexes are declared inside CREATE TABLE: MySQL 8 has no CREATE INDEX IF
    # NOT EXISTS (MariaDB has), and the one mysql dialect serves both servers.
    indexes_in_create_table: bool
    # A field of a string-valued Python enum gets a named ``CREATE TYPE … AS ENUM`` type
    # (PostgreSQL), or an inline ``ENUM('a', 'b')`` column type (MySQL, MariaDB); with
    # neither it is a plain string column.
    native_enums: bool
    inline_enums: bool
    # --- transactions ---
    begin_sql: BeginSQL = field(repr=False)
    end_readonly_sql: tuple[str, ...] = ()  # after a read-only transaction ends
    # Accepted besides the isolation levels: SQLite's choice of when the write lock is taken.
    transaction_modes: tuple[str, ...] = ()
    # --- catalog look-ups after an integrity error (``sql.violations``), one ``?``: the
    # table. Rows of (unique index, column) in key order, and of (foreign key id, column);
    # None where the error itself says enough.
    unique_keys_sql: str | None = None
    foreign_keys_sql: str | None = None

    # --- identifiers ---------------------------------------------------------------------

    def quote_identifier(self, name: str) -> str:
        """Quote one identifier, doubling embedded quote characters; raise
        ``InvalidIdentifierError`` for a name the backend cannot hold exactly."""
        if not isinstance(name, str):
            raise InvalidIdentifierError(f"an identifier must be a str, not {type(name).__name__}")
        if not name:
            raise InvalidIdentifierError("an identifier cannot be empty")
        if "\x00" in name:
            raise InvalidIdentifierError(f"identifier {_shown(name)} contains a NUL character")
        try:
            encoded = name.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidIdentifierError(
                f"identifier {_shown(name)} is not valid Unicode (lone surrogate)"
            ) from None
        # PostgreSQL counts bytes (NAMEDATALEN - 1) and silently truncates longer names, so
        # two long names could become one: reject instead.  MySQL counts characters.
        unit = self.identifier_length_unit
        length = len(encoded) if unit == "bytes" else len(name)
        if length > self.max_identifier_length:
            raise InvalidIdentifierError(
                f"identifier {_shown(name)} is {length} {unit} long; {self.name} allows at "
                f"most {self.max_identifier_length}"
            )
        if not self.identifier_trailing_space and name.endswith(" "):
            raise InvalidIdentifierError(
                f"identifier {_shown(name)} ends with a space, which {self.title} does not "
                "allow"
            )
        if not self.identifier_beyond_bmp and any(ord(ch) > 0xFFFF for ch in name):
            raise InvalidIdentifierError(
                f"identifier {_shown(name)} has a character outside the Basic Multilingual "
                f"Plane, which {self.title} does not allow"
            )
        quote = self.identifier_quote
        return quote + name.replace(quote, quote + quote) + quote

    def quote_qualified(self, *parts: str) -> str:
        """Quote each part and join them with dots: ``"schema"."table"``."""
        if not parts:
            raise InvalidIdentifierError("a qualified name needs at least one part")
        return ".".join(self.quote_identifier(part) for part in parts)

    # --- literals ------------------------------------------------------------------------

    def string_literal(self, text: str) -> str:
        """``text`` as a quoted string literal: quotes doubled and, where a backslash is an
        escape character, backslashes doubled."""
        text = text.replace("'", "''")
        if self.backslash_escapes:
            text = text.replace("\\", "\\\\")
        return f"'{text}'"

    def bool_literal(self, value: bool) -> str:
        return self.bool_literals[bool(value)]

    # --- transactions --------------------------------------------------------------------

    def normalize_isolation(self, level: str) -> str:
        """Map ``"READ_COMMITTED"``, ``"repeatable-read"``, ``" Serializable "`` … to the
        canonical lower-case name; anything not on this dialect's allow-list raises
        ``ArgumentError``.  The dialect's transaction modes (SQLite's ``deferred``,
        ``immediate`` and ``exclusive``) are accepted as well."""
        if not isinstance(level, str):
            raise ArgumentError(f"an isolation level must be a str, not {type(level).__name__}")
        words = level.strip().lower()
        # Separators only between letters: "serializable --" is not "serializable".
        canonical = " ".join(_SEPARATORS.split(words)) if _LEVEL_SHAPE.fullmatch(words) else ""
        allowed = self.capabilities.isolation_levels
        if canonical in allowed or canonical in self.transaction_modes:
            return canonical
        if canonical in _ISOLATION_LEVELS:  # a standard level: only SQLite lacks any
            modes = ", ".join(self.transaction_modes)
            raise ArgumentError(
                f"{self.title} transactions are always serializable; isolation level "
                f"{_shown(level)} is not available. Use 'serializable', or one of "
                f"{self.title}'s transaction modes: {modes}"
            )
        raise ArgumentError(
            f"unknown isolation level {_shown(level)} for {self.name}; expected one of: "
            + ", ".join(sorted(allowed | set(self.transaction_modes)))
        )

    def begin_statements(self, isolation: str | None, readonly: bool) -> tuple[str, ...]:
        """The statements that open a transaction with the given isolation and access mode."""
        level = None if isolation is None else self.normalize_isolation(isolation)
        return self.begin_sql(level, readonly)

    def end_statements(self, readonly: bool) -> tuple[str, ...]:
        """Statements to run after COMMIT or ROLLBACK of a transaction begun with
        ``begin_statements(…, readonly)``."""
        return self.end_readonly_sql if readonly else ()

    def savepoint_sql(self, name: str) -> str:
        return f"SAVEPOINT {self.quote_identifier(name)}"

    def release_savepoint_sql(self, name: str) -> str:
        return f"RELEASE SAVEPOINT {self.quote_identifier(name)}"

    def rollback_to_savepoint_sql(self, name: str) -> str:
        return f"ROLLBACK TO SAVEPOINT {self.quote_identifier(name)}"


def _shown(value: str) -> str:
    """A rejected value for a message: repr'd and cut, so a 10 kB payload stays readable."""
    if len(value) > _SHOWN_CHARS:
        return repr(value[:_SHOWN_CHARS]) + "…"
    return repr(value)


def _begin_with_mode(level: str | None, readonly: bool) -> tuple[str, ...]:
    """SQLite: always serializable; a transaction mode says when the write lock is taken
    (``BEGIN IMMEDIATE``), and read-only is the session's query_only pragma."""
    begin = "BEGIN"
    if level is not None and level != "serializable":
        begin = f"BEGIN {level.upper()}"
    return (_QUERY_ONLY_ON, begin) if readonly else (begin,)


def _begin_with_options(level: str | None, readonly: bool) -> tuple[str, ...]:
    """PostgreSQL: ``BEGIN [ISOLATION LEVEL …] [READ ONLY]``, one statement."""
    parts = ["BEGIN"]
    if level is not None:
        parts.append(f"ISOLATION LEVEL {level.upper()}")
    if readonly:
        parts.append("READ ONLY")
    return (" ".join(parts),)


def _set_then_start(level: str | None, readonly: bool) -> tuple[str, ...]:
    """MySQL: the level is set for the next transaction only (``SET TRANSACTION`` without
    GLOBAL or SESSION), then ``START TRANSACTION [READ ONLY]``; plain ``BEGIN`` otherwise."""
    start = "START TRANSACTION READ ONLY" if readonly else "START TRANSACTION"
    if level is not None:
        return (f"SET TRANSACTION ISOLATION LEVEL {level.upper()}", start)
    return (start,) if readonly else ("BEGIN",)


SQLITE = Dialect(
    name="sqlite",
    title="SQLite",
    lexer="sqlite",
    identifier_quote='"',
    # SQLite has no identifier limit of its own (only the statement length); a cap keeps
    # hostile 10 kB names out of schemas and messages.
    max_identifier_length=4096,
    identifier_length_unit="characters",
    identifier_trailing_space=True,
    identifier_beyond_bmp=True,
    capabilities=Capabilities(
        returning_insert=True,  # RETURNING since 3.35
        returning_update_delete=True,
        upsert="on_conflict",
        multirow_empty_insert=False,
        # No row locks: a write transaction locks the whole database and writers are
        # serialised, so a lock clause is left out rather than refused.
        for_update=False,
        nowait=False,
        skip_locked=False,
        lock_of=False,
        share_lock_options=False,
        nulls_order=True,  # since 3.30
        intersect_except=True,
        cte=True,
        recursive_cte=True,
        transactional_ddl=True,
        isolation_levels=frozenset({"serializable"}),
        # A list of row values after IN arrived in 3.37, and even there (3.40) the planner
        # scans the whole table for it; OR-ed key equalities are searched in the key's index.
        row_value_in=False,
    ),
    default_max_params=SQLITE_DEFAULT_MAX_PARAMS,
    max_packet_query=None,
    drivers_interpolate=False,
    share_lock_sql="",
    offset_only_sql=" LIMIT -1 OFFSET ?",
    # A compound part cannot be parenthesised in SQLite: it becomes a subquery instead.
    ordered_compound_part="SELECT * FROM ({})",
    bool_literals=("0", "1"),
    backslash_escapes=False,
    auto_increment_key="INTEGER PRIMARY KEY",
    drop_cascades=False,
    key_from_lastrowid=True,
    indexes_in_create_table=False,
    native_enums=False,
    inline_enums=False,
    begin_sql=_begin_with_mode,
    end_readonly_sql=(_QUERY_ONLY_OFF,),
    transaction_modes=("deferred", "immediate", "exclusive"),
    # A unique failure names its columns but not the index; a foreign-key failure names
    # nothing (the table comes from the statement).
    unique_keys_sql=(
        "SELECT il.name, ii.name FROM pragma_index_list(?) AS il, "
        'pragma_index_info(il.name) AS ii WHERE il."unique" = 1 ORDER BY il.name, ii.seqno'
    ),
    foreign_keys_sql='SELECT id, "from" FROM pragma_foreign_key_list(?) ORDER BY id, seq',
)

POSTGRESQL = Dialect(
    name="postgresql",
    title="PostgreSQL",
    lexer="postgresql",
    identifier_quote='"',
    max_identifier_length=63,
    identifier_length_unit="bytes",
    identifier_trailing_space=True,
    identifier_beyond_bmp=True,
    capabilities=Capabilities(
        returning_insert=True,
        returning_update_delete=True,
        upsert="on_conflict",
        multirow_empty_insert=False,
        for_update=True,
        nowait=True,
        skip_locked=True,
        lock_of=True,
        share_lock_options=True,
        nulls_order=True,
        intersect_except=True,
        cte=True,
        recursive_cte=True,
        transactional_ddl=True,
        # READ UNCOMMITTED is accepted and behaves as READ COMMITTED.
        isolation_levels=_ISOLATION_LEVELS,
    ),
    # The lower of the two drivers' limits; a psycopg adapter may raise it to 65535.
    default_max_params=ASYNCPG_MAX_PARAMS,
    max_packet_query=None,
    drivers_interpolate=False,
    share_lock_sql=" FOR SHARE",
    offset_only_sql=" OFFSET ?",
    ordered_compound_part="({})",
    bool_literals=("FALSE", "TRUE"),
    backslash_escapes=False,
    auto_increment_key="BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
    drop_cascades=True,
    key_from_lastrowid=False,
    indexes_in_create_table=False,
    native_enums=True,
    inline_enums=False,
    begin_sql=_begin_with_options,
)

MYSQL = Dialect(
    name="mysql",
    title="MySQL/MariaDB",
    lexer="mysql",
    identifier_quote="`",
    max_identifier_length=64,
    identifier_length_unit="characters",
    identifier_trailing_space=False,
    identifier_beyond_bmp=False,
    capabilities=Capabilities(
        # MariaDB 10.5+ has INSERT … RETURNING but MySQL has none: kept False so code
        # written against this flag runs on both.
        returning_insert=False,
        returning_update_delete=False,
        upsert="on_duplicate_key",
        multirow_empty_insert=True,
        for_update=True,
        nowait=True,  # MySQL 8.0 / MariaDB 10.6
        skip_locked=True,
        # OF and a share lock's options are spelt differently by MySQL and MariaDB.
        lock_of=False,
        share_lock_options=False,
        nulls_order=False,  # NULLs sort first ascending; an "IS NULL" key reorders them
        intersect_except=False,
        cte=True,
        recursive_cte=True,
        transactional_ddl=False,
        isolation_levels=_ISOLATION_LEVELS,
    ),
    default_max_params=MYSQL_MAX_PARAMS,
    max_packet_query="SELECT @@max_allowed_packet",
    drivers_interpolate=True,
    share_lock_sql=" LOCK IN SHARE MODE",  # the one share-lock spelling both accept
    offset_only_sql=" LIMIT 18446744073709551615 OFFSET ?",  # 2**64 - 1: "all rows"
    ordered_compound_part="({})",
    bool_literals=("0", "1"),
    backslash_escapes=True,
    auto_increment_key="BIGINT AUTO_INCREMENT PRIMARY KEY",
    drop_cascades=False,  # accepted and ignored
    key_from_lastrowid=True,
    indexes_in_create_table=True,
    native_enums=False,
    inline_enums=True,
    begin_sql=_set_then_start,
    # A duplicate key is named without its columns.
    unique_keys_sql=(
        "SELECT INDEX_NAME, COLUMN_NAME FROM information_schema.STATISTICS "
        "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND NON_UNIQUE = 0 "
        "ORDER BY INDEX_NAME, SEQ_IN_INDEX"
    ),
)

_DIALECTS = {
    "sqlite": SQLITE,
    "postgresql": POSTGRESQL,
    "postgres": POSTGRESQL,
    "mysql": MYSQL,
    "mariadb": MYSQL,
}


def get_dialect(name: str) -> Dialect:
    """The dialect for a backend name (``sqlite``, ``postgresql``, ``mysql``; the URL
    aliases ``postgres`` and ``mariadb`` too); ``ConfigurationError`` for anything else."""
    dialect = _DIALECTS.get(name.lower()) if isinstance(name, str) else None
    if dialect is None:
        shown = _shown(name) if isinstance(name, str) else type(name).__name__
        raise ConfigurationError(
            f"unknown dialect {shown}; expected one of: sqlite, postgresql, mysql"
        )
    return dialect
