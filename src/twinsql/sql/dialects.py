"""SQL feature, pure: the SQL dialects of SQLite, PostgreSQL and MySQL/MariaDB, as data.

A ``Dialect`` holds what differs between the backends and needs no connection: how to
quote an identifier, the identifier length limit, the parameter limit, feature flags
(``Capabilities``), and the text of the transaction-control statements.  The shell and
the ORM ask the dialect instead of branching on backend names.

Safety rules (``reference/reliability.md`` G1, G3): nothing user-supplied is formatted into
SQL unless it went through ``quote_identifier`` (embedded quote characters doubled; NUL,
empty, over-long and — on MySQL — trailing-space or non-BMP names rejected) or through an
allow-list (isolation levels, SQLite transaction modes).  Savepoint names are quoted too
(Piccolo CVE-2023-47128 formatted them raw).

Note on SQLite: a double-quoted identifier that names no column is read by SQLite as a
string literal (its "DQS" misfeature).  Quoting cannot fix that; it only matters for
misspelt names, which then compare as strings instead of failing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from twinsql.errors import ArgumentError, ConfigurationError, InvalidIdentifierError

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
# SQLite transactions are always serializable; what can be chosen is when the write lock
# is taken: BEGIN DEFERRED (default), IMMEDIATE or EXCLUSIVE.
_SQLITE_MODES = frozenset({"deferred", "immediate", "exclusive"})
_LEVEL_SHAPE = re.compile(r"[a-z]+(?:[ \t_-]+[a-z]+)*")
_SEPARATORS = re.compile(r"[ \t_-]+")
_SHOWN_CHARS = 60  # how much of a rejected value a message repeats


@dataclass(frozen=True)
class Capabilities:
    """Feature flags of a backend (at the minimum versions twinsql supports: SQLite 3.35,
    PostgreSQL 12, MySQL 8.0 / MariaDB 10.6)."""

    returning_insert: bool
    returning_update_delete: bool
    savepoints: bool
    upsert: str  # "on_conflict" (INSERT … ON CONFLICT) | "on_duplicate_key"
    for_update: bool
    skip_locked: bool
    nowait: bool
    window_functions: bool
    cte: bool
    recursive_cte: bool
    transactional_ddl: bool
    readonly_transactions: bool
    isolation_levels: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Dialect:
    """One backend's SQL conventions; ``name`` doubles as its ``twinsql.sql.lexer.Lexer``."""

    name: str
    identifier_quote: str
    max_identifier_length: int
    capabilities: Capabilities
    default_max_params: int

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
        length = len(encoded) if self.name == "postgresql" else len(name)
        if length > self.max_identifier_length:
            unit = "bytes" if self.name == "postgresql" else "characters"
            raise InvalidIdentifierError(
                f"identifier {_shown(name)} is {length} {unit} long; {self.name} allows at "
                f"most {self.max_identifier_length}"
            )
        if self.name == "mysql":
            if name.endswith(" "):
                raise InvalidIdentifierError(
                    f"identifier {_shown(name)} ends with a space, which MySQL does not allow"
                )
            if any(ord(ch) > 0xFFFF for ch in name):
                raise InvalidIdentifierError(
                    f"identifier {_shown(name)} has a character outside the Basic "
                    "Multilingual Plane, which MySQL does not allow"
                )
        quote = self.identifier_quote
        return quote + name.replace(quote, quote + quote) + quote

    def quote_qualified(self, *parts: str) -> str:
        """Quote each part and join them with dots: ``"schema"."table"``."""
        if not parts:
            raise InvalidIdentifierError("a qualified name needs at least one part")
        return ".".join(self.quote_identifier(part) for part in parts)

    # --- transactions --------------------------------------------------------------------

    def normalize_isolation(self, level: str) -> str:
        """Map ``"READ_COMMITTED"``, ``"repeatable-read"``, ``" Serializable "`` … to the
        canonical lower-case name; anything not on this dialect's allow-list raises
        ``ArgumentError``.  On SQLite the transaction modes ``deferred``, ``immediate``
        and ``exclusive`` are accepted as well."""
        if not isinstance(level, str):
            raise ArgumentError(f"an isolation level must be a str, not {type(level).__name__}")
        words = level.strip().lower()
        # Separators only between letters: "serializable --" is not "serializable".
        canonical = " ".join(_SEPARATORS.split(words)) if _LEVEL_SHAPE.fullmatch(words) else ""
        allowed = self.capabilities.isolation_levels
        if canonical in allowed or (self.name == "sqlite" and canonical in _SQLITE_MODES):
            return canonical
        if self.name == "sqlite" and canonical in _ISOLATION_LEVELS:
            raise ArgumentError(
                f"SQLite transactions are always serializable; isolation level "
                f"{_shown(level)} is not available. Use 'serializable', or one of SQLite's "
                f"transaction modes: deferred, immediate, exclusive"
            )
        choices = sorted(allowed | (_SQLITE_MODES if self.name == "sqlite" else frozenset()))
        raise ArgumentError(
            f"unknown isolation level {_shown(level)} for {self.name}; expected one of: "
            + ", ".join(choices)
        )

    def begin_statements(self, isolation: str | None, readonly: bool) -> tuple[str, ...]:
        """The statements that open a transaction with the given isolation and access mode."""
        level = None if isolation is None else self.normalize_isolation(isolation)
        if self.name == "sqlite":
            begin = "BEGIN"
            if level is not None and level != "serializable":
                begin = f"BEGIN {level.upper()}"
            # SQLite has no read-only transaction; query_only refuses writes for the session
            # until end_statements turns it off again.
            return ("PRAGMA query_only = ON", begin) if readonly else (begin,)
        if self.name == "mysql":
            # SET TRANSACTION (no GLOBAL/SESSION) applies to the next transaction only.
            start = "START TRANSACTION READ ONLY" if readonly else "START TRANSACTION"
            if level is not None:
                return (f"SET TRANSACTION ISOLATION LEVEL {level.upper()}", start)
            return (start,) if readonly else ("BEGIN",)
        parts = ["BEGIN"]
        if level is not None:
            parts.append(f"ISOLATION LEVEL {level.upper()}")
        if readonly:
            parts.append("READ ONLY")
        return (" ".join(parts),)

    def end_statements(self, readonly: bool) -> tuple[str, ...]:
        """Statements to run after COMMIT or ROLLBACK of a transaction begun with
        ``begin_statements(…, readonly)``."""
        if self.name == "sqlite" and readonly:
            return ("PRAGMA query_only = OFF",)
        return ()

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


SQLITE = Dialect(
    name="sqlite",
    identifier_quote='"',
    # SQLite has no identifier limit of its own (only the statement length); a cap keeps
    # hostile 10 kB names out of schemas and messages.
    max_identifier_length=4096,
    capabilities=Capabilities(
        returning_insert=True,  # RETURNING since 3.35
        returning_update_delete=True,
        savepoints=True,
        upsert="on_conflict",
        for_update=False,
        skip_locked=False,
        nowait=False,
        window_functions=True,
        cte=True,
        recursive_cte=True,
        transactional_ddl=True,
        readonly_transactions=True,  # emulated with PRAGMA query_only
        isolation_levels=frozenset({"serializable"}),
    ),
    default_max_params=SQLITE_DEFAULT_MAX_PARAMS,
)

POSTGRESQL = Dialect(
    name="postgresql",
    identifier_quote='"',
    max_identifier_length=63,
    capabilities=Capabilities(
        returning_insert=True,
        returning_update_delete=True,
        savepoints=True,
        upsert="on_conflict",
        for_update=True,
        skip_locked=True,
        nowait=True,
        window_functions=True,
        cte=True,
        recursive_cte=True,
        transactional_ddl=True,
        readonly_transactions=True,
        # READ UNCOMMITTED is accepted and behaves as READ COMMITTED.
        isolation_levels=_ISOLATION_LEVELS,
    ),
    # The lower of the two drivers' limits; a psycopg adapter may raise it to 65535.
    default_max_params=ASYNCPG_MAX_PARAMS,
)

MYSQL = Dialect(
    name="mysql",
    identifier_quote="`",
    max_identifier_length=64,
    capabilities=Capabilities(
        # MariaDB 10.5+ has INSERT … RETURNING but MySQL has none: kept False so code
        # written against this flag runs on both.
        returning_insert=False,
        returning_update_delete=False,
        savepoints=True,
        upsert="on_duplicate_key",
        for_update=True,
        skip_locked=True,  # MySQL 8.0 / MariaDB 10.6
        nowait=True,
        window_functions=True,
        cte=True,
        recursive_cte=True,
        transactional_ddl=False,  # DDL commits implicitly
        readonly_transactions=True,
        isolation_levels=_ISOLATION_LEVELS,
    ),
    default_max_params=MYSQL_MAX_PARAMS,
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
