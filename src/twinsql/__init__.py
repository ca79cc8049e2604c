"""twinsql: SQL databases from Python with one API in two modes.

Every I/O API exists in a sync form (``twinsql.connect`` → ``Database``) and an async form
(``twinsql.connect_async`` → ``AsyncDatabase``) with the same names and behaviour, over
SQLite (the embedded default), PostgreSQL and MySQL/MariaDB.

This module is the curated public API and nothing else.
"""

from twinsql.batch._async.adapters import (
    AsyncDatabaseAdapter,
    AsyncGenericAdapter,
    AsyncPostgreSQLAdapter,
)
from twinsql.batch._async.batcher import AsyncSQLBatcher
from twinsql.batch._async.collector import AsyncListQueryCollector, AsyncQueryCollector
from twinsql.batch._sync.adapters import DatabaseAdapter, GenericAdapter, PostgreSQLAdapter
from twinsql.batch._sync.batcher import SQLBatcher
from twinsql.batch._sync.collector import ListQueryCollector, QueryCollector
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
    execute_async,
    execute_scalar_async,
)
from twinsql.connection._async.retry import run_in_transaction_async
from twinsql.connection._async.transaction import AsyncTransaction
from twinsql.connection._sync.connection import Connection
from twinsql.connection._sync.database import (
    Database,
    DatabaseTransaction,
    PinnedConnection,
    connect,
    execute,
    execute_scalar,
)
from twinsql.connection._sync.retry import run_in_transaction
from twinsql.connection._sync.transaction import Transaction
from twinsql.connection.options import DatabaseOptions, PoolStats
from twinsql.connection.routing import NodeStats
from twinsql.connection.url import DatabaseURL, parse_url
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
