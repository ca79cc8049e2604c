"""Test helpers: the pytest plugin (registered as the ``pytest11`` entry point ``twinsql``).

Fixtures, for sync tests and for ``async def`` tests under pytest-asyncio (strict or auto
mode, function-scoped loops):

* ``twinsql_url`` (session): the test database — on a server, ``<database>_test`` created
  for the session (one per xdist worker: ``<database>_test_gw0``) and dropped at its end;
  on SQLite, a file in the session's temporary directory. The server comes from
  ``--twinsql-url``, the ini option ``twinsql_url`` or ``TWINSQL_TEST_URL``, in that order
  (none: SQLite).
* ``twinsql_models`` (session): override it to return the models the tests use; their tables
  are created once per session and the models bound to the fixtures' databases.
* ``twinsql_database`` / ``twinsql_async_database`` (session): the ``Database`` and the
  ``AsyncDatabase`` on it (the async one opens a pool on each test's event loop).
* ``twinsql_db`` / ``twinsql_async_db``: the database inside a transaction rolled back after
  the test. The block is shared, so the test's own task (pytest-asyncio runs fixtures and
  the test in different tasks) and its threads use it; a ``transaction()`` or
  ``run_in_transaction`` of the code under test is a savepoint inside it.
* ``twinsql_db_commits`` / ``twinsql_async_db_commits``: no wrapping transaction, for code
  whose data other connections must see; the models' tables are emptied after the test.
* ``assert_num_queries(n)`` / ``assert_max_queries(n)`` / ``capture_queries()``: context
  managers over the fixtures' databases (and any database passed after ``n``).

The marker ``@pytest.mark.twinsql_backends("postgresql", "mysql")`` runs a test only when the
test database is one of those backends.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

import twinsql
from twinsql.connection.url import DatabaseURL, parse_url
from twinsql.testing import capture
from twinsql.testing._async.reset import async_reset_tables
from twinsql.testing._sync.reset import reset_tables
from twinsql.testing.plan import backend_matches, session_database_name

try:
    import pytest_asyncio
except ImportError:  # async fixtures need pytest-asyncio; the sync ones do not
    pytest_asyncio = None  # type: ignore[assignment]

URL_ENV = "TWINSQL_TEST_URL"
# Drivers with no sync twin: the session's schema work uses the backend's sync driver.
_ASYNC_ONLY_DRIVERS = {"asyncpg", "asyncmy"}
_DATABASES = pytest.StashKey[list[Any]]()

QueryAssertion = capture.QueryAssertion


class _RolledBack(Exception):
    """Ends a test's transaction with a rollback."""


def pytest_addoption(parser: pytest.Parser) -> None:
    help_text = f"database URL of the twinsql fixtures (default: ${URL_ENV}, else SQLite)"
    parser.getgroup("twinsql").addoption("--twinsql-url", default=None, help=help_text)
    parser.addini("twinsql_url", help_text, default=None)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "twinsql_backends(*names): run only when the twinsql test database is one of these "
        "backends (sqlite, postgresql, mysql)",
    )
    config.stash[_DATABASES] = []


def pytest_runtest_setup(item: pytest.Item) -> None:
    marker = item.get_closest_marker("twinsql_backends")
    if marker is None:
        return
    backend = _configured_url(item.config).backend
    if not backend_matches(backend, marker.args):
        pytest.skip(f"runs on {', '.join(marker.args)} only; the test database is {backend}")


def _configured_url(config: pytest.Config) -> DatabaseURL:
    text = config.getoption("twinsql_url") or config.getini("twinsql_url") or os.environ.get(
        URL_ENV
    )
    return parse_url(text or "sqlite://")


def _sync_url(url: DatabaseURL) -> DatabaseURL:
    return replace(url, driver=None) if url.driver in _ASYNC_ONLY_DRIVERS else url


# -- the session's database ---------------------------------------------------------------


@pytest.fixture(scope="session")
def twinsql_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The URL of this session's (this worker's) test database."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    base = _configured_url(request.config)
    if base.backend == "sqlite":
        path: Path = tmp_path_factory.mktemp("twinsql") / f"test_{worker or 'main'}.db"
        yield f"sqlite:///{path}"
        return
    name = session_database_name(base.database or "twinsql", worker)
    with twinsql.connect(_sync_url(base), pool_size=1, max_overflow=0) as admin:
        quoted = admin.dialect.quote_identifier(name)
        # A database left by an interrupted session of the same name goes first.
        force = " WITH (FORCE)" if base.backend == "postgresql" else ""
        admin.execute_non_query(f"DROP DATABASE IF EXISTS {quoted}{force}")
        admin.execute_non_query(f"CREATE DATABASE {quoted}")
        try:
            yield replace(base, database=name).render_with_password()
        finally:
            admin.execute_non_query(f"DROP DATABASE IF EXISTS {quoted}{force}")


@pytest.fixture(scope="session")
def twinsql_models() -> Sequence[type[twinsql.Model]]:
    """The models the tests use: override this fixture to return them."""
    return ()


@pytest.fixture(scope="session")
def twinsql_database(
    request: pytest.FixtureRequest, twinsql_url: str, twinsql_models: Sequence[type[Any]]
) -> Iterator[twinsql.Database]:
    """The sync database of the session: the models' tables created, the models bound."""
    db = twinsql.connect(_sync_url(parse_url(twinsql_url)))
    try:
        twinsql.drop_all(db, twinsql_models)
        twinsql.create_all(db, twinsql_models)
        for model in twinsql_models:
            model.bind(db)
        request.config.stash[_DATABASES].append(db)
        yield db
    finally:
        db.close()


@pytest.fixture(scope="session")
def twinsql_async_database(
    request: pytest.FixtureRequest,
    twinsql_url: str,
    twinsql_models: Sequence[type[Any]],
    twinsql_database: twinsql.Database,
) -> Iterator[twinsql.AsyncDatabase]:
    """The async database of the session (the schema is made through the sync one). It
    opens a pool on each event loop that uses it, so function-scoped loops are fine."""
    db = twinsql.connect_async(twinsql_url)
    for model in twinsql_models:
        model.bind(db)
    request.config.stash[_DATABASES].append(db)
    try:
        yield db
    finally:
        asyncio.run(db.close())


# -- per test -----------------------------------------------------------------------------


@pytest.fixture
def twinsql_db(twinsql_database: twinsql.Database) -> Iterator[twinsql.Database]:
    """The sync database inside a transaction that is rolled back after the test."""
    block = twinsql_database.transaction(shared=True)
    block.__enter__()
    try:
        yield twinsql_database
    finally:
        block.__exit__(_RolledBack, _RolledBack(), None)


@pytest.fixture
def twinsql_db_commits(
    twinsql_database: twinsql.Database, twinsql_models: Sequence[type[Any]]
) -> Iterator[twinsql.Database]:
    """The sync database without a wrapping transaction; the tables are emptied after."""
    try:
        yield twinsql_database
    finally:
        reset_tables(twinsql_database, twinsql_models)


if pytest_asyncio is not None:

    @pytest_asyncio.fixture
    async def twinsql_async_db(
        twinsql_async_database: twinsql.AsyncDatabase,
    ) -> AsyncIterator[twinsql.AsyncDatabase]:
        """The async database inside a transaction rolled back after the test."""
        block = twinsql_async_database.transaction(shared=True)
        await block.__aenter__()
        try:
            yield twinsql_async_database
        finally:
            await block.__aexit__(_RolledBack, _RolledBack(), None)

    @pytest_asyncio.fixture
    async def twinsql_async_db_commits(
        twinsql_async_database: twinsql.AsyncDatabase, twinsql_models: Sequence[type[Any]]
    ) -> AsyncIterator[twinsql.AsyncDatabase]:
        """The async database without a wrapping transaction; tables emptied after."""
        try:
            yield twinsql_async_database
        finally:
            await async_reset_tables(twinsql_async_database, twinsql_models)


# -- statement counts -----------------------------------------------------------------------


@pytest.fixture
def assert_num_queries(request: pytest.FixtureRequest) -> QueryAssertion:
    """``with assert_num_queries(n): ...``: exactly ``n`` statements on the fixtures'
    databases (and any database passed after ``n``); the numbered SQL on failure."""
    databases = request.config.stash[_DATABASES]

    def check(expected: int, *more: Any) -> AbstractContextManager[capture.QueryCapture]:
        return capture.assert_num_queries(expected, *databases, *more)

    return check


@pytest.fixture
def assert_max_queries(request: pytest.FixtureRequest) -> QueryAssertion:
    """``with assert_max_queries(n): ...``: at most ``n`` statements."""
    databases = request.config.stash[_DATABASES]

    def check(limit: int, *more: Any) -> AbstractContextManager[capture.QueryCapture]:
        return capture.assert_max_queries(limit, *databases, *more)

    return check


@pytest.fixture
def capture_queries(request: pytest.FixtureRequest) -> QueryAssertion:
    """``with capture_queries() as captured: ...``; then ``captured.queries`` is the SQL
    of each statement, in order (for snapshot assertions)."""
    databases = request.config.stash[_DATABASES]

    def start(*more: Any) -> AbstractContextManager[capture.QueryCapture]:
        return capture.capture_queries(*databases, *more)

    return start
