"""twinsql: SQL databases from Python with one API in two modes.

Every I/O API exists in a sync form (``twinsql.connect`` → ``Database``) and an async form
(``twinsql.connect_async`` → ``AsyncDatabase``) with the same names and behaviour, over
SQLite (the embedded default), PostgreSQL and MySQL/MariaDB.

This module is the curated public API and nothing else. Its names are imported on first
use (``_LAZY`` says from where; type checkers read the imports under ``TYPE_CHECKING``), so
that a program using one feature — ``twinsql load`` uses the batcher alone — does not pay
for importing the ORM and pydantic. The errors are imported at once: they are small, and
every feature raises them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from twinsql._lazy import lazy_names
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
    MigrationError,
    MultipleStatementsError,
    NotNullViolation,
    OperationalError,
    ParameterError,
    PoolClosed,
    PoolerUnsupported,
    PoolTimeout,
    ProgrammingError,
    QueryCanceled,
    RecordNotFound,
    RelationNotLoaded,
    ReplicaWriteError,
    SerializationFailure,
    StaleObjectError,
    StatementTimeout,
    TransactionAborted,
    UniqueViolation,
    WrongEventLoopError,
)

if TYPE_CHECKING:
    from twinsql.batch._async.adapters import AsyncDatabaseAdapter, AsyncPostgreSQLAdapter
    from twinsql.batch._async.batcher import AsyncSQLBatcher
    from twinsql.batch._async.collector import AsyncListQueryCollector, AsyncQueryCollector
    from twinsql.batch._async.generic import AsyncGenericAdapter
    from twinsql.batch._sync.adapters import DatabaseAdapter, PostgreSQLAdapter
    from twinsql.batch._sync.batcher import SQLBatcher
    from twinsql.batch._sync.collector import ListQueryCollector, QueryCollector
    from twinsql.batch._sync.generic import GenericAdapter
    from twinsql.batch.ledger import (
        BatchIncomplete,
        BatchReport,
        LedgerCounts,
        LedgerEntry,
        StatementState,
    )
    from twinsql.batch.resilience import CircuitBreaker, CircuitState, RetryPolicy
    from twinsql.batch.statements import StatementTooLarge
    from twinsql.connection._async.connection import AsyncConnection
    from twinsql.connection._async.database import (
        AsyncDatabase,
        AsyncDatabaseTransaction,
        AsyncPinnedConnection,
        connect_async,
    )
    from twinsql.connection._async.oneshot import execute_async, execute_scalar_async
    from twinsql.connection._async.retry import run_in_transaction_async
    from twinsql.connection._async.transaction import AsyncTransaction
    from twinsql.connection._sync.connection import Connection
    from twinsql.connection._sync.database import (
        Database,
        DatabaseTransaction,
        PinnedConnection,
        connect,
    )
    from twinsql.connection._sync.oneshot import execute, execute_scalar
    from twinsql.connection._sync.retry import run_in_transaction
    from twinsql.connection._sync.transaction import Transaction
    from twinsql.connection.options import DatabaseOptions, PoolStats
    from twinsql.connection.routing import NodeStats
    from twinsql.connection.url import DatabaseURL, parse_url
    from twinsql.migrations._async.runner import AsyncMigrator, migrate_async
    from twinsql.migrations._sync.runner import Migrator, migrate
    from twinsql.orm._async.reflection import reflect_async
    from twinsql.orm._async.schema import create_all_async, drop_all_async
    from twinsql.orm._sync.reflection import reflect
    from twinsql.orm._sync.schema import create_all, drop_all
    from twinsql.orm.columns import Columns, ColumnSet
    from twinsql.orm.fields import Field, sql_expression
    from twinsql.orm.mixins import OptimisticLockMixin, SoftDeleteMixin, TimestampsMixin
    from twinsql.orm.model import Model
    from twinsql.orm.naming import Naming
    from twinsql.orm.query import Query
    from twinsql.orm.query_state import Page
    from twinsql.orm.registry import Registry
    from twinsql.orm.relations import BelongsTo, HasMany, HasOne, ManyToMany
    from twinsql.orm.writes import WriteStatement
    from twinsql.sql.dialects import Dialect
    from twinsql.sql.expr import Col, Condition, raw
    from twinsql.sql.functions import Avg, Count, DenseRank, Func, Max, Min, Rank, RowNumber, Sum
    from twinsql.sql.insert_plan import plan_insert_batches

# Where each public name other than the errors lives: the TYPE_CHECKING imports above,
# as data (tests/core/test_public_api.py checks that the two agree).
_LAZY: dict[str, str] = {
    "AsyncConnection": "twinsql.connection._async.connection",
    "AsyncDatabase": "twinsql.connection._async.database",
    "AsyncDatabaseAdapter": "twinsql.batch._async.adapters",
    "AsyncDatabaseTransaction": "twinsql.connection._async.database",
    "AsyncGenericAdapter": "twinsql.batch._async.generic",
    "AsyncListQueryCollector": "twinsql.batch._async.collector",
    "AsyncMigrator": "twinsql.migrations._async.runner",
    "AsyncPinnedConnection": "twinsql.connection._async.database",
    "AsyncPostgreSQLAdapter": "twinsql.batch._async.adapters",
    "AsyncQueryCollector": "twinsql.batch._async.collector",
    "AsyncSQLBatcher": "twinsql.batch._async.batcher",
    "AsyncTransaction": "twinsql.connection._async.transaction",
    "Avg": "twinsql.sql.functions",
    "BatchIncomplete": "twinsql.batch.ledger",
    "BatchReport": "twinsql.batch.ledger",
    "BelongsTo": "twinsql.orm.relations",
    "CircuitBreaker": "twinsql.batch.resilience",
    "CircuitState": "twinsql.batch.resilience",
    "Col": "twinsql.sql.expr",
    "ColumnSet": "twinsql.orm.columns",
    "Columns": "twinsql.orm.columns",
    "Condition": "twinsql.sql.expr",
    "Connection": "twinsql.connection._sync.connection",
    "Count": "twinsql.sql.functions",
    "Database": "twinsql.connection._sync.database",
    "DatabaseAdapter": "twinsql.batch._sync.adapters",
    "DatabaseOptions": "twinsql.connection.options",
    "DatabaseTransaction": "twinsql.connection._sync.database",
    "DatabaseURL": "twinsql.connection.url",
    "DenseRank": "twinsql.sql.functions",
    "Dialect": "twinsql.sql.dialects",
    "Field": "twinsql.orm.fields",
    "Func": "twinsql.sql.functions",
    "GenericAdapter": "twinsql.batch._sync.generic",
    "HasMany": "twinsql.orm.relations",
    "HasOne": "twinsql.orm.relations",
    "LedgerCounts": "twinsql.batch.ledger",
    "LedgerEntry": "twinsql.batch.ledger",
    "ListQueryCollector": "twinsql.batch._sync.collector",
    "ManyToMany": "twinsql.orm.relations",
    "Max": "twinsql.sql.functions",
    "Migrator": "twinsql.migrations._sync.runner",
    "Min": "twinsql.sql.functions",
    "Model": "twinsql.orm.model",
    "Naming": "twinsql.orm.naming",
    "NodeStats": "twinsql.connection.routing",
    "OptimisticLockMixin": "twinsql.orm.mixins",
    "Page": "twinsql.orm.query_state",
    "PinnedConnection": "twinsql.connection._sync.database",
    "PoolStats": "twinsql.connection.options",
    "PostgreSQLAdapter": "twinsql.batch._sync.adapters",
    "Query": "twinsql.orm.query",
    "QueryCollector": "twinsql.batch._sync.collector",
    "Rank": "twinsql.sql.functions",
    "Registry": "twinsql.orm.registry",
    "RetryPolicy": "twinsql.batch.resilience",
    "RowNumber": "twinsql.sql.functions",
    "SQLBatcher": "twinsql.batch._sync.batcher",
    "SoftDeleteMixin": "twinsql.orm.mixins",
    "StatementState": "twinsql.batch.ledger",
    "StatementTooLarge": "twinsql.batch.statements",
    "Sum": "twinsql.sql.functions",
    "TimestampsMixin": "twinsql.orm.mixins",
    "Transaction": "twinsql.connection._sync.transaction",
    "WriteStatement": "twinsql.orm.writes",
    "connect": "twinsql.connection._sync.database",
    "connect_async": "twinsql.connection._async.database",
    "create_all": "twinsql.orm._sync.schema",
    "create_all_async": "twinsql.orm._async.schema",
    "drop_all": "twinsql.orm._sync.schema",
    "drop_all_async": "twinsql.orm._async.schema",
    "execute": "twinsql.connection._sync.oneshot",
    "execute_async": "twinsql.connection._async.oneshot",
    "execute_scalar": "twinsql.connection._sync.oneshot",
    "execute_scalar_async": "twinsql.connection._async.oneshot",
    "migrate": "twinsql.migrations._sync.runner",
    "migrate_async": "twinsql.migrations._async.runner",
    "parse_url": "twinsql.connection.url",
    "plan_insert_batches": "twinsql.sql.insert_plan",
    "raw": "twinsql.sql.expr",
    "reflect": "twinsql.orm._sync.reflection",
    "reflect_async": "twinsql.orm._async.reflection",
    "run_in_transaction": "twinsql.connection._sync.retry",
    "run_in_transaction_async": "twinsql.connection._async.retry",
    "sql_expression": "twinsql.orm.fields",
}

if not TYPE_CHECKING:  # for type checkers, an unknown name stays an error
    __getattr__, __dir__ = lazy_names(__name__, globals(), _LAZY)


__version__ = "0.1.0"

__all__ = [
    "ArgumentError",
    "AsyncConnection",
    "AsyncDatabase",
    "AsyncDatabaseAdapter",
    "AsyncDatabaseTransaction",
    "AsyncGenericAdapter",
    "AsyncListQueryCollector",
    "AsyncMigrator",
    "AsyncPinnedConnection",
    "AsyncPostgreSQLAdapter",
    "AsyncQueryCollector",
    "AsyncSQLBatcher",
    "AsyncTransaction",
    "Avg",
    "BatchIncomplete",
    "BatchReport",
    "BelongsTo",
    "CheckViolation",
    "CircuitBreaker",
    "CircuitOpenError",
    "CircuitState",
    "Col",
    "ColumnSet",
    "Columns",
    "CommitOutcomeUnknown",
    "ConcurrentUseError",
    "Condition",
    "ConfigurationError",
    "Connection",
    "ConnectionLost",
    "Count",
    "DataError",
    "Database",
    "DatabaseAdapter",
    "DatabaseError",
    "DatabaseOptions",
    "DatabaseTransaction",
    "DatabaseURL",
    "DeadlockDetected",
    "DenseRank",
    "Dialect",
    "Error",
    "Field",
    "ForeignKeyViolation",
    "Func",
    "GenericAdapter",
    "HasMany",
    "HasOne",
    "IntegrityError",
    "InterfaceError",
    "InvalidIdentifierError",
    "LedgerCounts",
    "LedgerEntry",
    "ListQueryCollector",
    "LockTimeout",
    "ManyToMany",
    "Max",
    "MigrationError",
    "Migrator",
    "Min",
    "Model",
    "MultipleStatementsError",
    "Naming",
    "NodeStats",
    "NotNullViolation",
    "OperationalError",
    "OptimisticLockMixin",
    "Page",
    "ParameterError",
    "PinnedConnection",
    "PoolClosed",
    "PoolStats",
    "PoolTimeout",
    "PoolerUnsupported",
    "PostgreSQLAdapter",
    "ProgrammingError",
    "Query",
    "QueryCanceled",
    "QueryCollector",
    "Rank",
    "RecordNotFound",
    "Registry",
    "RelationNotLoaded",
    "ReplicaWriteError",
    "RetryPolicy",
    "RowNumber",
    "SQLBatcher",
    "SerializationFailure",
    "SoftDeleteMixin",
    "StaleObjectError",
    "StatementState",
    "StatementTimeout",
    "StatementTooLarge",
    "Sum",
    "TimestampsMixin",
    "Transaction",
    "TransactionAborted",
    "UniqueViolation",
    "WriteStatement",
    "WrongEventLoopError",
    "__version__",
    "connect",
    "connect_async",
    "create_all",
    "create_all_async",
    "drop_all",
    "drop_all_async",
    "execute",
    "execute_async",
    "execute_scalar",
    "execute_scalar_async",
    "migrate",
    "migrate_async",
    "parse_url",
    "plan_insert_batches",
    "raw",
    "reflect",
    "reflect_async",
    "run_in_transaction",
    "run_in_transaction_async",
    "sql_expression",
]
