"""The pytest plugin, run the way its users run it: an inner pytest session (``pytester``)
with the plugin loaded from its entry point, on every backend, under pytest-asyncio's
strict and auto modes with its default function-scoped event loops."""

from __future__ import annotations

import contextlib
import importlib
import textwrap
from pathlib import Path

import pytest

from tests import support
from tests.conftest import require_server

# pytester removes the modules an inner session imported once it ends; a compiled driver
# (asyncpg, asyncmy) imported afresh by the next inner session crashes the interpreter. Import
# them here, in the outer session, so that they stay.
for _driver in ("asyncpg", "asyncmy", "psycopg", "pymysql", "pytest_asyncio"):
    with contextlib.suppress(ImportError):
        importlib.import_module(_driver)

CONFTEST = '''
from typing import ClassVar

import pytest

import twinsql


class Base(twinsql.Model):
    __abstract__ = True


class Author(Base):
    __table_name__ = "plugin_authors"
    id: int | None = None
    name: str = twinsql.Field(max_length=100)


class Book(Base):
    __table_name__ = "plugin_books"
    id: int | None = None
    title: str = twinsql.Field(max_length=100)
    author_id: int
    author: ClassVar[twinsql.BelongsTo[Author]] = twinsql.BelongsTo(foreign_key="author_id")


@pytest.fixture(scope="session")
def twinsql_models():
    return [Author, Book]
'''

SYNC_TESTS = '''
import pytest

import twinsql
from conftest import Author, Book


def write_in_app_code(name):
    """What application code does: its own transaction, and run_in_transaction."""
    with Author.transaction():
        author = Author(name=name)
        author.save()

    def add_book(conn):
        Book(title="t", author_id=author.id).save()

    twinsql.run_in_transaction(add_book, Author.__twinsql_db__)
    return author


def test_writes_inside_the_test_transaction(twinsql_db):
    write_in_app_code("ann")
    assert Author.query().count() == 1
    assert Book.query().count() == 1


def test_sees_nothing_of_the_previous_test(twinsql_db):
    assert Author.query().count() == 0
    write_in_app_code("bob")
    assert [a.name for a in Author.query().all()] == ["bob"]


def test_commits_are_seen_by_another_connection(twinsql_db_commits, twinsql_url):
    write_in_app_code("cy")
    with twinsql.connect(twinsql_url.replace("+asyncpg", "")) as other:
        assert other.execute_scalar("SELECT COUNT(*) FROM plugin_authors") == 1


def test_tables_were_emptied_after_the_committing_test(twinsql_db):
    assert Author.query().count() == 0
    assert Book.query().count() == 0


def test_query_count(twinsql_db, assert_num_queries, assert_max_queries):
    with assert_num_queries(2):
        write_in_app_code("dee")  # INSERT author, INSERT book; savepoints not counted
    with assert_max_queries(1):
        Author.query().all()


def test_query_count_failure_lists_the_statements(twinsql_db, assert_num_queries):
    with pytest.raises(AssertionError) as info:
        with assert_num_queries(1):
            Author.query().count()
            Author.query().all()
    message = str(info.value)
    assert message.startswith("expected 1 statements, 2 ran:")
    assert "  1. SELECT COUNT(*)" in message and "  2. SELECT" in message


def test_capture_for_a_snapshot(twinsql_db, capture_queries):
    with capture_queries() as captured:
        Author.find(1)
    assert len(captured.queries) == 1
    assert captured.queries[0].startswith("SELECT ")
    assert captured.calls == captured.statements  # no BEGIN or SAVEPOINT in between


@pytest.mark.twinsql_backends("postgresql")
def test_only_on_postgresql(twinsql_db):
    assert twinsql_db.dialect.name == "postgresql"


@pytest.mark.twinsql_backends("sqlite", "mariadb")
def test_only_on_sqlite_or_mariadb(twinsql_db):
    assert twinsql_db.dialect.name in ("sqlite", "mysql")
'''

ASYNC_TESTS = '''
import asyncio

import pytest

import twinsql
from conftest import Author, Book


async def write_in_app_code(name):
    async with Author.async_transaction():
        author = Author(name=name)
        await author.async_save()

    async def add_book(conn):
        await Book(title="t", author_id=author.id).async_save()

    await twinsql.run_in_transaction_async(add_book, Author.__twinsql_async_db__)
    return author


@pytest.mark.asyncio
async def test_writes_inside_the_test_transaction(twinsql_async_db):
    await write_in_app_code("ann")
    assert await Author.query().async_count() == 1


@pytest.mark.asyncio
async def test_sees_nothing_of_the_previous_test(twinsql_async_db):
    # Another event loop than the previous test's: the database opens a pool on it.
    assert await Author.query().async_count() == 0
    await write_in_app_code("bob")
    assert [a.name for a in await Author.query().async_all()] == ["bob"]


@pytest.mark.asyncio
async def test_tasks_of_the_test_share_its_transaction(twinsql_async_db):
    authors = await asyncio.gather(*(write_in_app_code(f"n{i}") for i in range(4)))
    assert sorted(a.name for a in authors) == ["n0", "n1", "n2", "n3"]
    assert await Author.query().async_count() == 4


@pytest.mark.asyncio
async def test_commits_are_seen_by_another_connection(twinsql_async_db_commits, twinsql_url):
    await write_in_app_code("cy")
    async with twinsql.connect_async(twinsql_url) as other:
        assert await other.execute_scalar("SELECT COUNT(*) FROM plugin_authors") == 1


@pytest.mark.asyncio
async def test_tables_were_emptied_after_the_committing_test(twinsql_async_db):
    assert await Author.query().async_count() == 0


@pytest.mark.asyncio
async def test_query_count(twinsql_async_db, assert_num_queries):
    with assert_num_queries(2):
        await write_in_app_code("dee")
'''


@pytest.fixture(params=support.backends(is_async=True))
def base_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    require_server(request.param)
    return support.url_for(request.param, str(tmp_path / "base.db"))


@pytest.mark.parametrize("mode", ["strict", "auto"])
def test_the_plugin_in_an_inner_session(
    pytester: pytest.Pytester, base_url: str, mode: str
) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_sync_app=SYNC_TESTS, test_async_app=ASYNC_TESTS)
    args = ["-p", "no:cacheprovider", "-o", f"asyncio_mode={mode}"]
    args += ["-o", "asyncio_default_fixture_loop_scope=function", f"--twinsql-url={base_url}"]
    is_asyncpg = "+asyncpg" in base_url
    sync_args = ["--deselect", "test_sync_app.py"] if is_asyncpg else []
    result = pytester.runpytest_inprocess(*args, *sync_args, "-q")
    # One of the two backend-marked sync tests is skipped everywhere but where both apply.
    sync_passed = 0 if is_asyncpg else 8
    sync_skipped = 0 if is_asyncpg else 1
    result.assert_outcomes(passed=sync_passed + 6, skipped=sync_skipped)


def test_the_session_database_is_dropped(pytester: pytest.Pytester) -> None:
    require_server("psycopg")
    base = support.url_for("psycopg", "unused")
    pytester.makepyfile(
        test_one=textwrap.dedent(
            """
            def test_uses_it(twinsql_db, twinsql_url):
                assert twinsql_url.rsplit("/", 1)[1].endswith("_test")
                assert twinsql_db.execute_scalar("SELECT current_database()") == (
                    twinsql_url.rsplit("/", 1)[1]
                )
            """
        )
    )
    result = pytester.runpytest_inprocess(
        "-p", "no:cacheprovider", "-o", "asyncio_default_fixture_loop_scope=function",
        f"--twinsql-url={base}",
    )  # fmt: skip
    result.assert_outcomes(passed=1)
    import twinsql

    name = base.rsplit("/", 1)[1] + "_test"
    with twinsql.connect(base) as db:
        left = db.execute_scalar("SELECT COUNT(*) FROM pg_database WHERE datname = ?", (name,))
    assert left == 0


EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "testing"


@pytest.mark.parametrize("backend", ["sqlite", "psycopg", "mysql"])
def test_the_testing_example(pytester: pytest.Pytester, backend: str, tmp_path: Path) -> None:
    require_server(backend)
    for source in EXAMPLE.glob("*.py"):
        pytester.makepyfile(**{source.stem: source.read_text()})
    url = support.url_for(backend, str(tmp_path / "base.db"))
    result = pytester.runpytest_inprocess(
        "-p", "no:cacheprovider", "-o", "asyncio_mode=strict",
        "-o", "asyncio_default_fixture_loop_scope=function", f"--twinsql-url={url}",
    )  # fmt: skip
    on_postgresql = backend == "psycopg"
    result.assert_outcomes(passed=12 + on_postgresql, skipped=1 - on_postgresql)


def test_each_xdist_worker_gets_its_own_database(pytester: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    require_server("psycopg")
    base = support.url_for("psycopg", "unused")
    names = pytester.path / "names"
    names.mkdir()
    pytester.makepyfile(
        test_workers=textwrap.dedent(
            f"""
            import os
            import pytest

            @pytest.mark.parametrize("i", range(8))
            def test_records_its_database(twinsql_db, i):
                name = twinsql_db.execute_scalar("SELECT current_database()")
                worker = os.environ["PYTEST_XDIST_WORKER"]
                with open(os.path.join({str(names)!r}, worker), "w") as out:
                    out.write(name)
            """
        )
    )
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-n", "2", "-o", "asyncio_default_fixture_loop_scope=function",
        f"--twinsql-url={base}",
    )  # fmt: skip
    result.assert_outcomes(passed=8)
    seen = {path.name: path.read_text() for path in names.iterdir()}
    database = base.rsplit("/", 1)[1]
    assert seen == {worker: f"{database}_test_{worker}" for worker in seen}
    assert len(seen) == 2


@pytest.mark.parametrize("backend", ["sqlite", "asyncpg"])
def test_async_fixtures_on_a_session_wide_event_loop(
    pytester: pytest.Pytester, backend: str, tmp_path: Path
) -> None:
    """With one loop for the whole session the database keeps one pool for every test."""
    require_server(backend)
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_async_app=ASYNC_TESTS)
    url = support.url_for(backend, str(tmp_path / "base.db"))
    result = pytester.runpytest_inprocess(
        "-p", "no:cacheprovider", "-o", "asyncio_mode=auto",
        "-o", "asyncio_default_fixture_loop_scope=session",
        "-o", "asyncio_default_test_loop_scope=session", f"--twinsql-url={url}",
    )  # fmt: skip
    result.assert_outcomes(passed=6)
