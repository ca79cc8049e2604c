"""SQL feature, pure: which twinsql error class a backend's error code means.

Three code systems feed one hierarchy: PostgreSQL SQLSTATEs (psycopg and asyncpg both report
them), MySQL/MariaDB error numbers (PyMySQL and asyncmy report them as ``args[0]``), and
SQLite extended result-code names (``sqlite3.Error.sqlite_errorname``). Keeping the tables
here, as data, is what makes "the same fault raises the same class on every backend" a
property of one module rather than of six driver adapters.
"""

from __future__ import annotations

from twinsql import errors as e

__all__ = ["classify_mysql_errno", "classify_sqlite", "classify_sqlstate"]

# Exact SQLSTATEs first; then two-character classes.
_SQLSTATE_EXACT: dict[str, type[e.Error]] = {
    "23505": e.UniqueViolation,
    "23503": e.ForeignKeyViolation,
    "23502": e.NotNullViolation,
    "23514": e.CheckViolation,
    "40001": e.SerializationFailure,
    "40P01": e.DeadlockDetected,
    "55P03": e.LockTimeout,
    "57014": e.QueryCanceled,
    # in_failed_sql_transaction: PostgreSQL refuses statements after an error until rollback.
    "25P02": e.TransactionAborted,
    "57P01": e.ConnectionLost,  # admin_shutdown (pg_terminate_backend)
    "57P02": e.ConnectionLost,  # crash_shutdown
    "57P03": e.ConnectionLost,  # cannot_connect_now
    "57P04": e.ConnectionLost,  # database_dropped: the session is terminated
    "57P05": e.ConnectionLost,  # idle_session_timeout: the server closed the session
    "25P03": e.ConnectionLost,  # idle_in_transaction_session_timeout: session terminated
    "53300": e.ConnectionLost,  # too_many_connections: the connection could not be opened
    "0A000": e.ProgrammingError,  # feature_not_supported
}

_SQLSTATE_CLASS: dict[str, type[e.Error]] = {
    "08": e.ConnectionLost,
    "22": e.DataError,
    "23": e.IntegrityError,
    "25": e.ProgrammingError,  # invalid transaction state (e.g. SET TRANSACTION too late)
    "28": e.OperationalError,  # authentication
    "3D": e.ProgrammingError,  # unknown database
    "3F": e.ProgrammingError,  # unknown schema
    "40": e.OperationalError,
    "42": e.ProgrammingError,
    "53": e.OperationalError,
    "54": e.OperationalError,
    "55": e.OperationalError,
    "57": e.OperationalError,
    "58": e.OperationalError,
    "HY": e.OperationalError,
}


def classify_sqlstate(sqlstate: str | None) -> type[e.Error]:
    """The class for a SQLSTATE; ``DatabaseError`` when the code says nothing more."""
    if not sqlstate:
        return e.DatabaseError
    exact = _SQLSTATE_EXACT.get(sqlstate)
    if exact is not None:
        return exact
    return _SQLSTATE_CLASS.get(sqlstate[:2], e.DatabaseError)


_MYSQL_ERRNO: dict[int, type[e.Error]] = {
    1062: e.UniqueViolation,  # ER_DUP_ENTRY
    1586: e.UniqueViolation,  # ER_DUP_ENTRY_WITH_KEY_NAME
    1022: e.UniqueViolation,  # ER_DUP_KEY
    1451: e.ForeignKeyViolation,  # ER_ROW_IS_REFERENCED_2
    1452: e.ForeignKeyViolation,  # ER_NO_REFERENCED_ROW_2
    1216: e.ForeignKeyViolation,
    1217: e.ForeignKeyViolation,
    1048: e.NotNullViolation,  # ER_BAD_NULL_ERROR
    1364: e.NotNullViolation,  # ER_NO_DEFAULT_FOR_FIELD (strict mode, NOT NULL without default)
    3819: e.CheckViolation,  # MySQL ER_CHECK_CONSTRAINT_VIOLATED
    4025: e.CheckViolation,  # MariaDB ER_CONSTRAINT_FAILED
    1213: e.DeadlockDetected,  # ER_LOCK_DEADLOCK (the whole transaction is rolled back)
    1205: e.LockTimeout,  # ER_LOCK_WAIT_TIMEOUT (only the statement is rolled back)
    3572: e.LockTimeout,  # MySQL ER_LOCK_NOWAIT (FOR UPDATE NOWAIT; PostgreSQL's 55P03)
    1969: e.StatementTimeout,  # MariaDB ER_STATEMENT_TIMEOUT (max_statement_time)
    3024: e.StatementTimeout,  # MySQL ER_QUERY_TIMEOUT (max_execution_time)
    1317: e.QueryCanceled,  # ER_QUERY_INTERRUPTED (KILL QUERY)
    1053: e.ConnectionLost,  # server shutdown in progress
    1927: e.ConnectionLost,  # MariaDB ER_CONNECTION_KILLED
    1040: e.ConnectionLost,  # too many connections: could not be opened
    2002: e.ConnectionLost,  # client: can't connect through socket
    2003: e.ConnectionLost,  # client: can't connect to server
    2006: e.ConnectionLost,  # client: server has gone away
    2013: e.ConnectionLost,  # client: lost connection during query
    2055: e.ConnectionLost,  # client: lost connection at reading/writing
    1045: e.OperationalError,  # access denied
    1064: e.ProgrammingError,  # syntax error
    1146: e.ProgrammingError,  # no such table
    1054: e.ProgrammingError,  # unknown column
    1049: e.ProgrammingError,  # unknown database
    1050: e.ProgrammingError,  # table exists
    1051: e.ProgrammingError,  # unknown table (DROP)
    1142: e.ProgrammingError,  # command denied
    1305: e.ProgrammingError,  # SAVEPOINT does not exist
    1264: e.DataError,  # out of range
    1265: e.DataError,  # data truncated
    1292: e.DataError,  # incorrect value
    1366: e.DataError,  # incorrect value for column
    1406: e.DataError,  # data too long
    1153: e.DataError,  # packet bigger than max_allowed_packet
    4038: e.DataError,  # MariaDB: syntax error in JSON text
}


def classify_mysql_errno(errno: int | None) -> type[e.Error] | None:
    """The class for a MySQL/MariaDB error number, or ``None`` when the table has no entry
    (the adapter then falls back to the driver's own DB-API class)."""
    if errno is None:
        return None
    return _MYSQL_ERRNO.get(errno)


_SQLITE_EXACT: dict[str, type[e.Error]] = {
    "SQLITE_CONSTRAINT_UNIQUE": e.UniqueViolation,
    "SQLITE_CONSTRAINT_PRIMARYKEY": e.UniqueViolation,
    "SQLITE_CONSTRAINT_ROWID": e.UniqueViolation,
    "SQLITE_CONSTRAINT_FOREIGNKEY": e.ForeignKeyViolation,
    "SQLITE_CONSTRAINT_NOTNULL": e.NotNullViolation,
    "SQLITE_CONSTRAINT_CHECK": e.CheckViolation,
    "SQLITE_INTERRUPT": e.QueryCanceled,
    "SQLITE_ERROR": e.ProgrammingError,
    "SQLITE_RANGE": e.ParameterError,
    "SQLITE_MISMATCH": e.DataError,
    "SQLITE_TOOBIG": e.DataError,
}

_SQLITE_PREFIX: tuple[tuple[str, type[e.Error]], ...] = (
    ("SQLITE_CONSTRAINT", e.IntegrityError),
    ("SQLITE_BUSY", e.LockTimeout),
    ("SQLITE_LOCKED", e.LockTimeout),
    ("SQLITE_FULL", e.OperationalError),
    ("SQLITE_IOERR", e.OperationalError),
    ("SQLITE_CANTOPEN", e.OperationalError),
    ("SQLITE_READONLY", e.OperationalError),
    ("SQLITE_NOMEM", e.OperationalError),
    ("SQLITE_CORRUPT", e.DatabaseError),
)

# Python 3.10's sqlite3 has no error names: fall back on the engine's stable message texts.
_SQLITE_MESSAGES: tuple[tuple[str, type[e.Error]], ...] = (
    ("UNIQUE constraint failed", e.UniqueViolation),
    ("FOREIGN KEY constraint failed", e.ForeignKeyViolation),
    ("NOT NULL constraint failed", e.NotNullViolation),
    ("CHECK constraint failed", e.CheckViolation),
    ("constraint failed", e.IntegrityError),
    ("database is locked", e.LockTimeout),
    ("database table is locked", e.LockTimeout),
    ("interrupted", e.QueryCanceled),
    ("syntax error", e.ProgrammingError),
    ("no such table", e.ProgrammingError),
    ("no such column", e.ProgrammingError),
)


def classify_sqlite(errorname: str | None, message: str) -> type[e.Error]:
    """The class for an SQLite error, from its extended result-code name when known."""
    if errorname:
        exact = _SQLITE_EXACT.get(errorname)
        if exact is not None:
            return exact
        for prefix, cls in _SQLITE_PREFIX:
            if errorname.startswith(prefix):
                return cls
    for fragment, cls in _SQLITE_MESSAGES:
        if fragment in message:
            return cls
    return e.OperationalError if errorname else e.DatabaseError
