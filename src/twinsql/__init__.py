"""twinsql: SQL databases from Python with one API in two modes.

Every I/O API exists in a sync form (``twinsql.connect`` → ``Database``) and an async form
(``twinsql.connect_async`` → ``AsyncDatabase``) with the same names and behaviour, over
SQLite (the embedded default), PostgreSQL and MySQL/MariaDB.

This module is the curated public API and nothing else.
"""

from twinsql._async.connection import AsyncConnection
from twinsql._async.database import (
    AsyncDatabase,
    AsyncDatabaseTransaction,
    AsyncPinnedConnection,
    connect_async,
    execute_async,
    execute_scalar_async,
)
from twinsql._async.transaction import AsyncTransaction
from twinsql._sync.connection import Connection
from twinsql._sync.database import (
    Database,
    DatabaseTransaction,
    PinnedConnection,
    connect,
    execute,
    execute_scalar,
)
from twinsql._sync.transaction import Transaction
from twinsql.core.dialects import Dialect
from twinsql.core.options import DatabaseOptions, PoolStats
from twinsql.core.url import DatabaseURL, parse_url
from twinsql.errors import (
    ArgumentError,
    CheckViolation,
    CircuitOpenError,
    CommitOutcomeUnknown,
    ConcurrentUseError,
    ConfigurationError,
    ConnectionLost,
    DatabaseError,
    DataError,
    DeadlockDetected,
    Error,
    ForeignKeyViolation,
    IntegrityError,
    InterfaceError,
    InvalidIdentifierError,
    LockTimeout,
    MultipleStatementsError,
    NotNullViolation,
    OperationalError,
    ParameterError,
    PoolClosed,
    PoolTimeout,
    ProgrammingError,
    QueryCanceled,
    SerializationFailure,
    StatementTimeout,
    TransactionAborted,
    UniqueViolation,
    WrongEventLoopError,
)

__version__ = "0.1.0"

__all__ = [
    "ArgumentError",
    "AsyncConnection",
    "AsyncDatabase",
    "AsyncDatabaseTransaction",
    "AsyncPinnedConnection",
    "AsyncTransaction",
    "CheckViolation",
    "CircuitOpenError",
    "CommitOutcomeUnknown",
    "ConcurrentUseError",
    "ConfigurationError",
    "Connection",
    "ConnectionLost",
    "DataError",
    "Database",
    "DatabaseError",
    "DatabaseOptions",
    "DatabaseTransaction",
    "DatabaseURL",
    "DeadlockDetected",
    "Dialect",
    "Error",
    "ForeignKeyViolation",
    "IntegrityError",
    "InterfaceError",
    "InvalidIdentifierError",
    "LockTimeout",
    "MultipleStatementsError",
    "NotNullViolation",
    "OperationalError",
    "ParameterError",
    "PinnedConnection",
    "PoolClosed",
    "PoolStats",
    "PoolTimeout",
    "ProgrammingError",
    "QueryCanceled",
    "SerializationFailure",
    "StatementTimeout",
    "Transaction",
    "TransactionAborted",
    "UniqueViolation",
    "WrongEventLoopError",
    "__version__",
    "connect",
    "connect_async",
    "execute",
    "execute_async",
    "execute_scalar",
    "execute_scalar_async",
    "parse_url",
]
