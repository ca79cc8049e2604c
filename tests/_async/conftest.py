# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""Fixtures for the integration tests: one database per backend, in this file's mode."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import twinsql
from tests import support
from tests.conftest import require_server

_IS_ASYNC = True


@pytest.fixture(params=support.backends(_IS_ASYNC))
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    require_server(name)
    return name


@pytest.fixture
def url(backend: str, tmp_path: Path) -> str:
    return support.url_for(backend, str(tmp_path / "test.db"))


@pytest.fixture
async def db(url: str) -> AsyncIterator[twinsql.AsyncDatabase]:
    database = twinsql.connect_async(url, pool_size=4, max_overflow=2, pool_timeout=10)
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
async def admin(url: str) -> AsyncIterator[twinsql.AsyncDatabase]:
    """A second database object on the same server, for killing and inspecting sessions."""
    database = twinsql.connect_async(url, pool_size=1, max_overflow=0)
    try:
        yield database
    finally:
        await database.close()



@pytest.fixture
async def orm_db(url: str) -> AsyncIterator[twinsql.AsyncDatabase]:
    """A database with every test model's table freshly created, bound to the models."""
    from tests.orm_models import ALL_MODELS, OrmBase

    database = twinsql.connect_async(url, pool_size=4, max_overflow=4, pool_timeout=10)
    try:
        await twinsql.drop_all_async(database, ALL_MODELS)
        await twinsql.create_all_async(database, ALL_MODELS)
        OrmBase.bind(database)
        yield database
    finally:
        await database.close()


@pytest.fixture
async def keys_db(url: str) -> AsyncIterator[twinsql.AsyncDatabase]:
    """A database with the composite-key models' tables freshly created, bound to them."""
    from tests._async.key_seed import open_keys_db

    async for database in open_keys_db(url):
        yield database


@pytest.fixture
async def sample_db(url: str) -> AsyncIterator[twinsql.AsyncDatabase]:
    """A database with the tables of ``tests.naming_models`` (PascalCase names), bound."""
    from tests.naming_models import SAMPLE_MODELS, Sample

    database = twinsql.connect_async(url, pool_size=2, max_overflow=2, pool_timeout=10)
    try:
        await twinsql.drop_all_async(database, SAMPLE_MODELS)
        await twinsql.create_all_async(database, SAMPLE_MODELS)
        Sample.bind(database)
        yield database
    finally:
        await twinsql.drop_all_async(database, SAMPLE_MODELS)
        await database.close()
