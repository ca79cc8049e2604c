# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""Batch feature, I/O: the targets a batcher sends statements through ("adapters").

A batcher talks to one *adapter* and, per flush attempt, to one *session* of it: the
session is the single connection on which BEGIN, the batch's statements and COMMIT run: a
transaction spread over several pooled connections would commit nothing it meant to.

* ``AsyncDatabaseAdapter(database)`` — a twinsql ``AsyncDatabase``; each session pins one
  pooled connection (``database.connection()``), so a connection broken mid-batch is
  discarded by the pool and the retry runs on a fresh one. Statements go through the
  connection's own checks and error mapping; merged INSERTs arrive already in the driver's
  placeholder style, and long runs of plain PostgreSQL INSERTs go through COPY.
* ``AsyncPostgreSQLAdapter(dsn, min_size, max_size, max_query_size)`` — a named
  constructor: a database adapter that owns its database (closed with the adapter).
* ``AsyncGenericAdapter(connection, execute_func=None, close_func=None, max_query_size)`` (in
  ``generic``) —
  any DB-API connection (its ``execute`` or ``cursor().execute``) or any callable
  ``execute_func(sql, params)``, sync or async. It is deliberately thin: no pool, no COPY;
  transactions are plain ``BEGIN``/``COMMIT``/``SAVEPOINT`` statements sent through it, so
  give it a connection in autocommit mode (sqlite3: ``isolation_level=None``) or use the
  batcher's ``transaction="none"``. Driver errors are mapped to twinsql classes by SQLSTATE
  or DB-API class name where they carry one.

The names above are the async ones; each sync twin drops the ``Async`` prefix.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import Any, Protocol

from twinsql import errors
from twinsql.batch.plan import Unit, strict_sql_mode
from twinsql.batch.statements import Shape
from twinsql.connection._async.connection import AsyncConnection, as_dicts
from twinsql.connection._async.database import AsyncDatabase, AsyncPinnedConnection, connect_async
from twinsql.connection._async.transaction import AsyncTransaction
from twinsql.connection.observe import Observer
from twinsql.connection.url import DatabaseURL
from twinsql.sql.dialects import MYSQL_DEFAULT_MAX_PACKET, Dialect
from twinsql.sql.placeholders import ParamStyle

__all__ = [
    "AsyncBatchAdapter",
    "AsyncBatchSession",
    "AsyncDatabaseAdapter",
    "AsyncPostgreSQLAdapter",
]

_IS_ASYNC = True
# Bytes kept free under MySQL's max_allowed_packet (packet header, command byte).
_PACKET_MARGIN = 1024



# The current database's tables whose engine cannot roll back (MyISAM, MEMORY, Aria …).
_NONTRANSACTIONAL_SQL = (
    "SELECT t.TABLE_SCHEMA AS s, t.TABLE_NAME AS n FROM information_schema.TABLES t "
    "JOIN information_schema.ENGINES e ON e.ENGINE = t.ENGINE "
    "WHERE t.TABLE_SCHEMA = DATABASE() AND e.TRANSACTIONS = 'NO'"
)


_ENGINE_OF_SQL = (
    "SELECT t.TABLE_SCHEMA AS s, t.TABLE_NAME AS n, e.TRANSACTIONS AS x "
    "FROM information_schema.TABLES t JOIN information_schema.ENGINES e ON e.ENGINE = t.ENGINE "
    "WHERE t.TABLE_SCHEMA = DATABASE() AND t.TABLE_NAME = ?"
)


class AsyncBatchSession:
    """One connection for one flush attempt: transaction levels and unit execution."""

    max_params: int
    max_statement_bytes: int | None
    can_copy: bool = False
    # Whether same-shape INSERTs may be merged on this session (MySQL: a strict sql_mode).
    merge_safe: bool = True
    # MySQL: the current database's tables whose engine has no transactions ("t", "db.t").
    nontransactional: frozenset[str] = frozenset()

    @property
    def broken(self) -> bool:
        return False

    @property
    def observer(self) -> Observer | None:
        """What watches the target's work (a twinsql database's observers), if anything."""
        return None

    @property
    def key(self) -> object:
        """The connection under the session: the batcher replays its session statements
        once on each one it has not seen (weakly referenced)."""
        raise NotImplementedError

    async def refresh(
        self, *, mode: bool = True, tables: bool = True, names: Sequence[str] = ()
    ) -> None:
        """Read again what the server's session state says about planning: MySQL's
        ``sql_mode`` (``mode``), its tables that cannot roll back (``tables``: all of
        them; else the current database's tables in ``names``)."""

    async def replay(self, shape: Shape, bound: Sequence[Any], params: Any) -> None:
        """Run one session statement again (on a new connection, before anything else)."""
        raise NotImplementedError

    async def begin(self) -> None:
        """Open the transaction, or a savepoint inside it."""
        raise NotImplementedError

    async def commit(self) -> None:
        """End the innermost level, keeping its work (COMMIT or RELEASE SAVEPOINT)."""
        raise NotImplementedError

    async def rollback(self) -> None:
        """End the innermost level, undoing its work."""
        raise NotImplementedError

    async def rollback_all(self) -> None:
        """Undo every open level; never raises (a connection that cannot roll back is
        dropped, and the server rolls back when it goes)."""
        raise NotImplementedError

    async def run(self, unit: Unit) -> Any:
        """Execute one unit: rows (a list of dicts) or the affected-row count."""
        raise NotImplementedError


class AsyncBatchAdapter:
    """Base class of batcher targets: a dialect, a placeholder style and sessions."""

    dialect: Dialect
    paramstyle: ParamStyle
    max_query_size: int | None
    # The static parameter limit known without connecting (the real one comes per session).
    max_params: int
    # The driver's traits (``drivers.base``): values formatted into the statement text on
    # the client, and executemany of an INSERT rewritten by the driver.
    interpolates_values: bool = False
    rewrites_executemany: bool = False

    def session(self) -> AsyncSessionContext:
        raise NotImplementedError

    async def close(self) -> None:
        """Release what the adapter owns (nothing, unless it opened the database)."""


class AsyncSessionContext(Protocol):
    """What ``adapter.session()`` returns: a context manager that yields the session."""

    async def __aenter__(self) -> AsyncBatchSession: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class AsyncSessionBlock:
    """The ``session()`` context manager of adapters without a pool."""

    def __init__(self, session: AsyncBatchSession, *, refresh: bool = False) -> None:
        self._session = session
        self._refresh = refresh

    async def __aenter__(self) -> AsyncBatchSession:
        if self._refresh:
            await self._session.refresh()
        return self._session

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._session.rollback_all()


# --- a twinsql database -----------------------------------------------------------------


class AsyncDatabaseAdapter(AsyncBatchAdapter):
    """A batcher target over a twinsql database (see the module docstring)."""

    def __init__(
        self,
        database: AsyncDatabase,
        max_query_size: int | None = None,
        *,
        owns_database: bool = False,
    ) -> None:
        if not isinstance(database, AsyncDatabase):
            raise errors.ArgumentError(
                f"expected an {AsyncDatabase.__name__}, got {type(database).__name__}"
            )
        if max_query_size is not None and max_query_size < 1:
            raise errors.ArgumentError(f"max_query_size must be >= 1, got {max_query_size!r}")
        driver = database.driver
        self.database = database
        self.dialect = driver.dialect
        self.paramstyle = driver.paramstyle
        self.interpolates_values = driver.interpolates_values
        self.rewrites_executemany = driver.rewrites_executemany
        self.max_query_size = max_query_size
        self.max_params = driver.dialect.default_max_params
        self._owns_database = owns_database
        self._packet: int | None = None  # the server's largest statement, read once

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.database!r})"

    def session(self) -> AsyncDatabaseSessionBlock:
        return AsyncDatabaseSessionBlock(self)

    async def close(self) -> None:
        if self._owns_database:
            await self.database.close()


class AsyncDatabaseSessionBlock:
    """Pins one pooled connection for a session; the pool discards it if it broke."""

    def __init__(self, adapter: AsyncDatabaseAdapter) -> None:
        self._adapter = adapter
        self._pin: AsyncPinnedConnection | None = None
        self._session: AsyncDatabaseSession | None = None

    async def __aenter__(self) -> AsyncDatabaseSession:
        adapter = self._adapter
        pin = adapter.database.connection()
        conn = await pin.__aenter__()
        try:
            if conn.in_transaction or conn.transaction_stack.depth:
                raise errors.InterfaceError(
                    "the batcher runs its own transactions: do not use it inside a "
                    "transaction() block of the same database (or give it another database)"
                )
            query = adapter.dialect.max_packet_query
            if query is not None and adapter._packet is None:
                packet = await conn.execute_scalar(query)
                adapter._packet = int(packet or MYSQL_DEFAULT_MAX_PACKET)
        except BaseException as exc:
            await pin.__aexit__(type(exc), exc, exc.__traceback__)
            raise
        session = AsyncDatabaseSession(conn, adapter)
        try:
            await session.refresh()
        except BaseException as exc:
            await pin.__aexit__(type(exc), exc, exc.__traceback__)
            raise
        self._pin = pin
        self._session = session
        return session

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._pin is not None and self._session is not None
        try:
            if exc is None or isinstance(exc, Exception):
                await self._session.rollback_all()  # normally nothing is left open
        finally:
            # On a cancellation no I/O is attempted here: the pool rolls back or discards.
            await self._pin.__aexit__(exc_type, exc, tb)


class AsyncDatabaseSession(AsyncBatchSession):
    """Units on one pinned twinsql connection."""

    def __init__(self, conn: AsyncConnection, adapter: AsyncDatabaseAdapter) -> None:
        self.conn = conn
        self.max_params = conn.max_params
        limits = []
        if adapter.max_query_size:
            limits.append(adapter.max_query_size)
        if adapter._packet:
            limits.append(adapter._packet - _PACKET_MARGIN)
        self.max_statement_bytes = min(limits) if limits else None
        self.can_copy = conn.can_copy
        self._levels: list[AsyncTransaction] = []

    @property
    def broken(self) -> bool:
        return self.conn.broken

    @property
    def observer(self) -> Observer | None:
        return self.conn.settings.observer

    @property
    def key(self) -> object:
        return self.conn

    async def refresh(
        self, *, mode: bool = True, tables: bool = True, names: Sequence[str] = ()
    ) -> None:
        if self.conn.dialect.name != "mysql":
            return
        if mode:
            self.merge_safe = strict_sql_mode(
                str(await self.conn.execute_scalar("SELECT @@SESSION.sql_mode"))
            )
        if tables:
            rows = await self.conn.execute(_NONTRANSACTIONAL_SQL)
            self.nontransactional = frozenset(
                name for row in rows for name in (row["n"], f"{row['s']}.{row['n']}")
            )
            return
        found = set(self.nontransactional)
        for name in names:
            # One table by schema and name: the server reads that table alone.
            for row in await self.conn.execute(_ENGINE_OF_SQL, (name,)):
                both = {row["n"], f"{row['s']}.{row['n']}"}
                if row["x"] == "NO":
                    found |= both
                else:
                    found -= both
        self.nontransactional = frozenset(found)

    async def replay(self, shape: Shape, bound: Sequence[Any], params: Any) -> None:
        await self._single(shape, shape.compiled.text, bound, params)

    async def begin(self) -> None:
        self._levels.append(await self.conn.transaction().begin())

    async def commit(self) -> None:
        await self._levels.pop().commit()

    async def rollback(self) -> None:
        level = self._levels.pop()
        try:
            await level.rollback()
        except errors.Error:
            self.conn.broken = True  # the pool discards it; the server rolls back
            raise

    async def rollback_all(self) -> None:
        while self._levels:
            level = self._levels.pop()
            if self.conn.broken:
                continue  # no I/O on a broken connection: closing it rolls back
            try:
                await level.rollback()
            except errors.Error:
                self.conn.broken = True

    async def run(self, unit: Unit) -> Any:
        conn = self.conn
        kind = unit.kind
        if kind == "single":
            shape, _, params = unit.statement(unit.lo)
            if shape.copy_in is not None:  # a dump's COPY … FROM STDIN and its rows
                if not conn.can_copy:
                    raise errors.InterfaceError("COPY … FROM STDIN needs a PostgreSQL driver")
                schema, table, columns = shape.copy_in
                return await conn.copy_text(table, columns, unit.params[0], schema=schema)
            return await self._single(shape, unit.sql, unit.params, params)
        if kind == "values":
            label = f"{unit.run.shape.sql} [merged: {unit.count} rows]"
            return (await conn.run_prepared((unit.sql, unit.params), label, None)).rowcount
        if kind == "many":
            return await conn.execute_many(unit.sql, unit.params)
        return await self._copy(unit)

    async def _single(self, shape: Shape, text: str, bound: Any, params: Any) -> Any:
        conn = self.conn
        if shape.parts is not None:  # several statements: one by one
            result = None
            for part, values in zip(shape.parts, bound):
                result = await conn.run_prepared((part.compiled.text, values), part.sql, values)
            assert result is not None
        else:
            result = await conn.run_prepared((text, bound), shape.sql, params)
        return as_dicts(result) if result.columns is not None else result.rowcount

    async def _copy(self, unit: Unit) -> int:
        """COPY through the driver, with the same guards as ``AsyncConnection.run_prepared``: one
        user at a time, refusal inside a failed transaction, errors mapped, and a
        connection interrupted mid-COPY marked broken."""
        template = unit.run.shape.template
        assert template is not None and template.copy_target is not None
        schema, table, columns = template.copy_target
        return await self.conn.copy_rows(table, columns, unit.params, schema=schema)


# --- the named PostgreSQL adapter --------------------------------------------------------


class AsyncPostgreSQLAdapter(AsyncDatabaseAdapter):
    """Built from ``(dsn, min_size, max_size, max_query_size)``: a
    database adapter over its own pooled PostgreSQL database (``max_size`` connections;
    twinsql opens them lazily, so ``min_size`` is only checked), closed with the adapter."""

    def __init__(
        self,
        dsn: str | DatabaseURL,
        min_size: int = 1,
        max_size: int = 10,
        max_query_size: int = 5_000_000,
    ) -> None:
        if not (isinstance(min_size, int) and isinstance(max_size, int) and 0 <= min_size
                <= max_size and max_size >= 1):  # fmt: skip
            raise errors.ArgumentError(
                f"need 0 <= min_size <= max_size and max_size >= 1, got {min_size}, {max_size}"
            )
        database = connect_async(dsn, pool_size=max_size, max_overflow=0)
        if database.url.backend != "postgresql":
            raise errors.ConfigurationError(
                f"{type(self).__name__} needs a postgresql:// URL, not {database.url.backend}"
            )
        super().__init__(database, max_query_size, owns_database=True)
        self.min_size = min_size
        self.max_size = max_size
