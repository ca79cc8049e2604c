"""The public API: every name of ``twinsql.__all__`` is importable, and no name the package
exported before is lost (removing one is a breaking change, to be made on purpose)."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

import twinsql
import twinsql.sql

# Every name ``twinsql`` exported when its tree was regrouped by feature.
EXPORTED = (
    "ArgumentError",
    "AsyncConnection",
    "AsyncDatabase",
    "AsyncDatabaseAdapter",
    "AsyncDatabaseTransaction",
    "AsyncGenericAdapter",
    "AsyncListQueryCollector",
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
    "CommitOutcomeUnknown",
    "ConcurrentUseError",
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
    "Min",
    "Model",
    "MultipleStatementsError",
    "NotNullViolation",
    "OperationalError",
    "OptimisticLockMixin",
    "Page",
    "ParameterError",
    "PinnedConnection",
    "PoolClosed",
    "PoolStats",
    "PoolTimeout",
    "PostgreSQLAdapter",
    "ProgrammingError",
    "Query",
    "QueryCanceled",
    "QueryCollector",
    "RecordNotFound",
    "RelationNotLoaded",
    "RetryPolicy",
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
    "parse_url",
    "plan_insert_batches",
    "raw",
    "run_in_transaction",
    "run_in_transaction_async",
    "sql_expression",
)


def test_every_exported_name_is_importable() -> None:
    module = importlib.import_module("twinsql")
    missing = [name for name in twinsql.__all__ if not hasattr(module, name)]
    assert missing == []


def test_no_exported_name_is_lost() -> None:
    assert sorted(set(EXPORTED) - set(twinsql.__all__)) == []


def _lazy_and_checked(package: ModuleType) -> tuple[dict[str, str], dict[str, str]]:
    """From a package's ``__init__.py``: the table of names imported on first use, and what
    its ``TYPE_CHECKING`` imports bring (name → module)."""
    assert package.__file__ is not None
    source = Path(package.__file__).read_text(encoding="utf-8")
    lazy: dict[str, str] = {}
    checked: dict[str, str] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.AnnAssign) and ast.unparse(node.target) == "_LAZY":
            assert node.value is not None
            lazy = ast.literal_eval(node.value)
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for statement in node.body:
                assert isinstance(statement, ast.ImportFrom)
                assert statement.module is not None
                for alias in statement.names:
                    checked[alias.asname or alias.name] = statement.module
    return lazy, checked


@pytest.mark.parametrize("package", [twinsql, twinsql.sql], ids=["twinsql", "twinsql.sql"])
def test_the_lazy_names_are_the_names_type_checkers_see(package: ModuleType) -> None:
    """Each name is imported on first use from where the type checkers' import says."""
    lazy, checked = _lazy_and_checked(package)
    assert lazy and checked == lazy
    assert set(lazy) <= set(package.__all__)
    for name, module in lazy.items():
        assert getattr(package, name) is getattr(importlib.import_module(module), name)
    assert set(package.__all__) <= set(dir(package))


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        twinsql.Nope  # type: ignore[attr-defined]  # noqa: B018
    with pytest.raises(ImportError):
        from twinsql import Nope  # type: ignore[attr-defined]  # noqa: F401


def test_the_command_line_loads_without_the_orm_or_migrations() -> None:
    """``twinsql load`` starts without importing pydantic, the ORM or the migrations: at
    start-up they were most of its time on a small dump."""
    heavy = ("pydantic", "twinsql.orm.model", "twinsql.migrations.commands", "twinsql.sql.compiler",
             "twinsql.migrations._sync.runner", "twinsql.orm.model_source", "asyncio", "ssl",
             "socket", "twinsql.connection.routing", "twinsql.connection._sync.replicas",
             "twinsql.connection.pooler", "random")  # fmt: skip
    code = f"import sys, twinsql.cli; print(sorted(m for m in {heavy!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, timeout=60)  # fmt: skip
    assert done.stdout.strip() == "[]"
    code = "import sys, twinsql; twinsql.Model; print('pydantic' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, timeout=60)  # fmt: skip
    assert done.stdout.strip() == "True"
