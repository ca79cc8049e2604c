# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""Batch feature, I/O: targets that are not a twinsql database — any DB-API connection or an
``execute(sql, params)`` callable (``AsyncGenericAdapter``) — and ``async_adapter_for``, which
picks the adapter a batcher target needs.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from twinsql import errors
from twinsql.batch._async.adapters import (
    AsyncBatchAdapter,
    AsyncBatchSession,
    AsyncDatabaseAdapter,
    AsyncSessionBlock,
)
from twinsql.batch.plan import Unit, strict_sql_mode
from twinsql.batch.statements import Shape
from twinsql.connection._async.database import AsyncDatabase, connect_async
from twinsql.connection.url import DatabaseURL
from twinsql.sql.dialects import Dialect, get_dialect
from twinsql.sql.errorcodes import classify_mysql_errno, classify_sqlstate
from twinsql.sql.placeholders import ParamStyle

__all__ = ["AsyncGenericAdapter", "AsyncGenericSession", "async_adapter_for"]

_IS_ASYNC = True
_DBAPI_CLASSES: tuple[tuple[str, type[errors.Error]], ...] = (
    ("IntegrityError", errors.IntegrityError),
    ("DataError", errors.DataError),
    ("ProgrammingError", errors.ProgrammingError),
    ("NotSupportedError", errors.ProgrammingError),
    ("OperationalError", errors.OperationalError),
    ("InterfaceError", errors.InterfaceError),
)
_GUESSED_DIALECTS = {
    "sqlite3": "sqlite", "aiosqlite": "sqlite", "psycopg": "postgresql",
    "psycopg2": "postgresql", "asyncpg": "postgresql", "pymysql": "mysql",
    "MySQLdb": "mysql", "asyncmy": "mysql", "aiomysql": "mysql",
}  # fmt: skip
_STYLES: dict[str, ParamStyle] = {"qmark": "qmark", "format": "format", "pyformat": "format",
                                   "numeric": "numeric"}  # fmt: skip


# --- any DB-API connection or callable ----------------------------------------------------


async def _settle(value: Any) -> Any:
    """Await ``value`` when it is awaitable: the async adapter takes sync and async
    callables; the sync one refuses an awaitable rather than dropping it unrun."""
    if inspect.isawaitable(value):
        if not _IS_ASYNC:
            raise errors.ArgumentError(
                "the sync generic adapter got an awaitable from its connection or "
                "execute_func: async callables need the async batcher and adapter"
            )
        return await value
    return value


def _translate(exc: Exception, sql: str) -> errors.Error:
    """A twinsql error for a foreign driver's exception: by SQLSTATE, MySQL error number or
    DB-API class name; a bare ``DatabaseError`` (the statement's fault) otherwise."""
    cls: type[errors.Error] | None = None
    sqlstate = getattr(exc, "sqlstate", None) or getattr(exc, "pgcode", None)
    if isinstance(sqlstate, str) and len(sqlstate) == 5:
        cls = classify_sqlstate(sqlstate)
    elif exc.args and isinstance(exc.args[0], int):
        cls = classify_mysql_errno(exc.args[0])
    if cls is None and isinstance(exc, OSError):
        cls = errors.ConnectionLost
    if cls is None:
        names = {c.__name__ for c in type(exc).__mro__}
        cls = next((c for name, c in _DBAPI_CLASSES if name in names), errors.DatabaseError)
    message = str(exc).strip() or type(exc).__name__
    return cls(message, sql=sql, sqlstate=sqlstate if isinstance(sqlstate, str) else None,
               driver_error=exc)  # fmt: skip


class AsyncGenericAdapter(AsyncBatchAdapter):
    """Any DB-API connection or callable (see the module docstring). ``dialect`` and
    ``paramstyle`` default to a guess from the connection's driver module (SQLite and
    ``qmark`` when nothing is known); ``max_params`` to the dialect's limit."""

    def __init__(
        self,
        connection: Any = None,
        execute_func: Any = None,
        close_func: Any = None,
        max_query_size: int | None = 500_000,
        *,
        dialect: str | Dialect | None = None,
        paramstyle: ParamStyle | None = None,
        max_params: int | None = None,
    ) -> None:
        if connection is None and execute_func is None:
            raise errors.ArgumentError("give a connection, an execute_func, or both")
        if execute_func is None:
            target = connection
            if getattr(target, "execute", None) is None and getattr(target, "cursor", None) is None:
                raise errors.ArgumentError(
                    f"{type(connection).__name__} has neither execute() nor cursor(); "
                    "pass execute_func"
                )
        module = type(connection).__module__.split(".")[0] if connection is not None else ""
        if isinstance(dialect, Dialect):
            self.dialect = dialect
        else:
            self.dialect = get_dialect(dialect or _GUESSED_DIALECTS.get(module, "sqlite"))
        if paramstyle is None:
            guessed = getattr(_module_of(connection), "paramstyle", "qmark")
            paramstyle = _STYLES.get(str(guessed), "qmark")
        self.paramstyle = paramstyle
        self.max_query_size = max_query_size
        self.max_params = max_params or self.dialect.default_max_params
        # A foreign driver is assumed to send values as its backend's drivers usually do.
        self.interpolates_values = self.rewrites_executemany = self.dialect.drivers_interpolate
        self.connection = connection
        self._execute_func = execute_func
        self._close_func = close_func

    def __repr__(self) -> str:
        return f"{type(self).__name__}({type(self.connection).__name__}, {self.dialect.name})"

    def session(self) -> AsyncSessionBlock:
        return AsyncSessionBlock(AsyncGenericSession(self), refresh=True)

    async def execute(self, sql: str, params: Sequence[Any]) -> Any:
        """Run one statement: what ``execute_func`` returns, or for a DB-API cursor its
        rows (when it has a result) or row count."""
        try:
            if self._execute_func is not None:
                return await _settle(self._execute_func(sql, params))
            conn = self.connection
            execute = getattr(conn, "execute", None)
            if execute is not None:
                result = await _settle(execute(sql, params))
            else:
                result = await _settle(conn.cursor())
                await _settle(result.execute(sql, params))
            if getattr(result, "description", None) is not None and hasattr(result, "fetchall"):
                return await _settle(result.fetchall())
            return getattr(result, "rowcount", result)
        except errors.Error:
            raise
        except Exception as exc:
            raise _translate(exc, sql) from exc

    async def close(self) -> None:
        if self._close_func is not None:
            await _settle(self._close_func())


def _module_of(connection: Any) -> Any:
    name = type(connection).__module__.split(".")[0] if connection is not None else ""
    return sys.modules.get(name)


class AsyncGenericSession(AsyncBatchSession):
    """Transactions as SQL statements sent through the generic adapter."""

    def __init__(self, adapter: AsyncGenericAdapter) -> None:
        self._adapter = adapter
        self.max_params = adapter.max_params
        self.max_statement_bytes = adapter.max_query_size
        self._levels: list[str | None] = []  # None: the transaction; else a savepoint name
        self._counter = 0

    @property
    def key(self) -> object:
        return self._adapter  # one connection for the adapter's life

    async def refresh(
        self, *, mode: bool = True, tables: bool = True, names: Sequence[str] = ()
    ) -> None:
        if mode and self._adapter.dialect.name == "mysql":
            # Asked through the connection itself; an answer that is not rows (an
            # execute_func returning counts) is taken as a mode that is not strict.
            rows = await self._adapter.execute("SELECT @@SESSION.sql_mode", ())
            try:
                row = rows[0]
                value = next(iter(row.values())) if isinstance(row, Mapping) else row[0]
            except (TypeError, IndexError, KeyError, StopIteration):
                value = ""
            self.merge_safe = strict_sql_mode(str(value))

    async def replay(self, shape: Shape, bound: Sequence[Any], params: Any) -> None:
        if shape.parts is not None:
            for part, values in zip(shape.parts, bound):
                await self._adapter.execute(part.compiled.text, values)
        else:
            await self._adapter.execute(shape.compiled.text, bound)

    async def begin(self) -> None:
        dialect = self._adapter.dialect
        if not self._levels:
            for statement in dialect.begin_statements(None, False):
                await self._adapter.execute(statement, ())
            self._levels.append(None)
            return
        self._counter += 1
        name = f"twinsql_sp_{self._counter}"
        await self._adapter.execute(dialect.savepoint_sql(name), ())
        self._levels.append(name)

    async def commit(self) -> None:
        name = self._levels.pop()
        if name is None:
            await self._adapter.execute("COMMIT", ())
        else:
            await self._adapter.execute(self._adapter.dialect.release_savepoint_sql(name), ())

    async def rollback(self) -> None:
        name = self._levels.pop()
        dialect = self._adapter.dialect
        if name is None:
            await self._adapter.execute("ROLLBACK", ())
        else:
            await self._adapter.execute(dialect.rollback_to_savepoint_sql(name), ())
            await self._adapter.execute(dialect.release_savepoint_sql(name), ())

    async def rollback_all(self) -> None:
        if self._levels:
            self._levels.clear()
            try:
                await self._adapter.execute("ROLLBACK", ())
            except errors.Error:
                pass  # nothing more can be done through a foreign connection

    async def run(self, unit: Unit) -> Any:
        if unit.kind not in ("single", "values"):
            raise errors.InterfaceError(f"the generic adapter cannot run a {unit.kind} unit")
        shape = unit.run.shape_at(unit.lo)
        if shape.copy_in is not None:
            raise errors.InterfaceError("the generic adapter cannot run COPY … FROM STDIN")
        if unit.kind == "single" and shape.parts is not None:
            result = None
            for part, values in zip(shape.parts, unit.params):
                result = await self._adapter.execute(part.compiled.text, values)
            return result
        return await self._adapter.execute(unit.sql, unit.params)


def async_adapter_for(target: Any) -> tuple[AsyncBatchAdapter, bool]:
    """The adapter for a batcher's ``target`` and whether the batcher owns it (and closes
    it): an adapter as is, a twinsql database wrapped, a URL opened."""
    if isinstance(target, AsyncBatchAdapter):
        return target, False
    if isinstance(target, AsyncDatabase):
        return AsyncDatabaseAdapter(target), False
    if isinstance(target, (str, DatabaseURL)):
        return AsyncDatabaseAdapter(connect_async(target), owns_database=True), True
    raise errors.ArgumentError(
        f"a batcher target is an {AsyncDatabase.__name__}, a URL or an adapter, "
        f"not {type(target).__name__}"
    )
