# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""The FastAPI integration on every backend: the async source drives ``async def``
endpoints on an ``AsyncDatabase`` through httpx's ASGI transport; its sync twin drives
``def`` endpoints on a ``Database`` through Starlette's TestClient."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Callable
from typing import Any, ClassVar

import anyio.to_thread
import pytest
from fastapi import FastAPI, HTTPException, Response

import twinsql
from tests._async.helpers import fresh_table
from tests.fastapi_support import few_threads, record_response_starts
from twinsql.integrations import fastapi as tf

_IS_ASYNC = True
if _IS_ASYNC:
    import asyncio

    import httpx
else:
    from concurrent.futures import ThreadPoolExecutor  # noqa: E402, RUF100

    from fastapi.testclient import TestClient  # noqa: E402, RUF100


class FaBase(twinsql.Model):
    __abstract__: ClassVar[bool] = True


class FaOwner(FaBase):
    __table_name__ = "fa_owners"
    id: int | None = None
    name: str


class FaItem(FaBase):
    __table_name__ = "fa_items"
    id: int | None = None
    name: str
    owner_id: int | None = None


@pytest.fixture
async def app_db(url: str) -> AsyncIterator[twinsql.AsyncDatabase]:
    db = twinsql.connect_async(url, pool_size=2, max_overflow=0, pool_timeout=10)
    await fresh_table(
        db, "fa_items", {"id": "pk", "name": "VARCHAR(100) NOT NULL", "owner_id": "bigint"}
    )
    await db.execute_non_query("CREATE UNIQUE INDEX uq_fa_items_name ON fa_items (name)")
    await fresh_table(db, "fa_owners", {"id": "pk", "name": "VARCHAR(100) NOT NULL"})
    try:
        yield db
    finally:
        await db.close()


def make_app(db: twinsql.AsyncDatabase, inner: Any = None, **options: Any) -> FastAPI:
    """Items and owners, every route in one transaction per request."""
    app = FastAPI(lifespan=tf.lifespan(db, models=[FaBase], lifespan=inner))
    tf.register_exception_handlers(app)
    tx = tf.transaction(db, **options)

    @app.post("/items", status_code=201, dependencies=[tx])
    async def create(item: FaItem) -> FaItem:
        await item.async_save()
        return item

    @app.get("/items/{item_id}", dependencies=[tx])
    async def read(item_id: int) -> FaItem:
        return await FaItem.async_find_or_fail(item_id)

    @app.post("/owners-with-item", dependencies=[tx])
    async def two_models(name: str, fail: int = 0, response: Response = None) -> dict[str, int]:  # type: ignore[assignment]
        owner = FaOwner(name=name)
        await owner.async_save()
        item = FaItem(name=f"{name}'s", owner_id=owner.id)
        await item.async_save()
        if fail == 1:
            raise HTTPException(status_code=418, detail="no")
        if fail == 2:
            response.status_code = 422
        return {"owner": owner.id or 0, "item": item.id or 0}

    @app.get("/page", response_model=tf.OffsetPage[FaItem], dependencies=[tf.read_only(db)])
    async def offset(page: int = 1, per_page: int = 2) -> tf.OffsetPage[FaItem]:
        return await tf.async_offset_page(FaItem.query(), page, per_page)

    @app.get("/cursor", response_model=tf.CursorPage[FaItem], dependencies=[tf.read_only(db)])
    async def cursor(after: str | None = None, limit: int = 2) -> tf.CursorPage[FaItem]:
        return await tf.async_cursor_page(FaItem.query(), "id", after, limit)

    @app.post("/write-in-read-only", dependencies=[tf.read_only(db)])
    async def write_read_only() -> dict[str, str]:
        try:
            await FaItem(name="sneaky").async_save()
        except twinsql.DatabaseError:
            raise HTTPException(status_code=403, detail="refused")
        return {"refused": "no"}

    return app


async def serve(app: FastAPI) -> AsyncIterator[Any]:
    """A client of ``app`` with its lifespan running."""
    if _IS_ASYNC:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                yield client
    else:
        with TestClient(app) as client:
            yield client


@pytest.fixture
async def client(app_db: twinsql.AsyncDatabase) -> AsyncIterator[Any]:
    async for client in serve(make_app(app_db)):
        yield client


async def rows_in(db: twinsql.AsyncDatabase, table: str) -> int:
    return int(await db.execute_scalar(f"SELECT COUNT(*) FROM {table}"))


async def test_create_then_read(client: Any) -> None:
    created = await client.post("/items", json={"name": "lamp"})
    assert created.status_code == 201
    item_id = created.json()["id"]
    assert (await client.get(f"/items/{item_id}")).json() == {
        "id": item_id,
        "name": "lamp",
        "owner_id": None,
    }


async def test_two_models_commit_together(client: Any, app_db: twinsql.AsyncDatabase) -> None:
    answer = await client.post("/owners-with-item", params={"name": "ada"})
    assert answer.status_code == 200
    owner = await app_db.fetch_one(
        "SELECT name FROM fa_owners WHERE id = ?", (answer.json()["owner"],)
    )
    assert owner == {"name": "ada"}
    assert await rows_in(app_db, "fa_items") == 1


@pytest.mark.parametrize(("fail", "status"), [(1, 418), (2, 422)])
async def test_exception_or_error_status_rolls_back_both_models(
    client: Any, app_db: twinsql.AsyncDatabase, fail: int, status: int
) -> None:
    answer = await client.post("/owners-with-item", params={"name": "bob", "fail": fail})
    assert answer.status_code == status
    assert await rows_in(app_db, "fa_owners") == 0
    assert await rows_in(app_db, "fa_items") == 0


async def test_rollback_status_none_commits_an_error_status(app_db: twinsql.AsyncDatabase) -> None:
    async for client in serve(make_app(app_db, rollback_status=None)):
        answer = await client.post("/owners-with-item", params={"name": "cy", "fail": 2})
        assert answer.status_code == 422
        assert await rows_in(app_db, "fa_owners") == 1


async def test_commit_happens_before_the_response_starts(app_db: twinsql.AsyncDatabase) -> None:
    assert tf.FUNCTION_SCOPE  # the installed FastAPI has dependency scopes
    events: list[str] = []

    class Commits(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.getMessage() == "COMMIT":
                events.append("commit")

    app = make_app(app_db)
    record_response_starts(app, events)
    logger = logging.getLogger("twinsql.sql")
    handler = Commits()
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        async for client in serve(app):
            assert (await client.post("/items", json={"name": "desk"})).status_code == 201
    finally:
        logger.removeHandler(handler)
    assert events == ["commit", "response"]


async def test_unique_violation_body_is_the_same_on_every_backend(client: Any) -> None:
    await client.post("/items", json={"name": "secret-name"})
    answer = await client.post("/items", json={"name": "secret-name"})
    assert answer.status_code == 409
    assert answer.json() == {
        "error": "unique_violation",
        "detail": "a record with these values exists",
        "constraint": "uq_fa_items_name",
        "table": "fa_items",
        "columns": ["name"],
    }
    assert "secret-name" not in answer.text


async def test_missing_record_is_404(client: Any) -> None:
    answer = await client.get("/items/999999")
    assert (answer.status_code, answer.json()) == (
        404,
        {"error": "not_found", "detail": "the record does not exist"},
    )


async def test_read_only_transaction_refuses_a_write(
    client: Any, app_db: twinsql.AsyncDatabase
) -> None:
    answer = await client.post("/write-in-read-only")
    assert (answer.status_code, answer.json()) == (403, {"detail": "refused"})
    assert await rows_in(app_db, "fa_items") == 0


async def test_offset_and_cursor_pages(client: Any) -> None:
    names = [f"n{i}" for i in range(5)]
    for name in names:
        assert (await client.post("/items", json={"name": name})).status_code == 201
    page = (await client.get("/page", params={"page": 2, "per_page": 2})).json()
    assert [item["name"] for item in page["items"]] == ["n2", "n3"]
    assert (page["total"], page["pages"], page["has_next"]) == (5, 3, True)

    seen: list[str] = []
    pages = 0
    after: str | None = None
    while True:
        params = {"limit": 2} if after is None else {"limit": 2, "after": after}
        body = (await client.get("/cursor", params=params)).json()
        pages += 1
        seen += [item["name"] for item in body["items"]]
        after = body["next_cursor"]
        if after is None:
            break
    assert (seen, pages) == (names, 3)
    bad = await client.get("/cursor", params={"after": "not-a-cursor"})
    assert (bad.status_code, bad.json()["error"]) == (400, "invalid_cursor")


async def concurrently(calls: list[Callable[[], Any]]) -> list[Any]:
    if _IS_ASYNC:
        return await asyncio.gather(*(call() for call in calls))
    else:
        with ThreadPoolExecutor(len(calls)) as pool:
            return list(pool.map(lambda call: call(), calls))


async def test_twice_pool_size_concurrent_requests_complete(url: str) -> None:
    db = twinsql.connect_async(url, pool_size=2, max_overflow=0, pool_timeout=30)
    await fresh_table(
        db, "fa_items", {"id": "pk", "name": "VARCHAR(100) NOT NULL", "owner_id": "bigint"}
    )
    started: list[bool] = []

    # As many worker threads as connections: requests waiting for a connection must not
    # hold the threads that the requests holding one need to finish.
    app = make_app(db, inner=few_threads(2, started))

    @app.get("/slow", dependencies=[tf.transaction(db)])
    async def slow() -> int:
        return await FaItem.query().async_count()

    async for client in serve(app):
        answers = await concurrently([lambda c=client: c.get("/slow") for _ in range(4)])
        assert db.pool_stats().checked_out == 0  # every request gave its connection back
    assert [answer.status_code for answer in answers] == [200] * 4
    assert started == [True]
    assert db.closed  # the lifespan closed it


async def test_pool_timeout_is_503(url: str) -> None:
    db = twinsql.connect_async(url, pool_size=1, max_overflow=0, pool_timeout=0.3)
    app = make_app(db)
    holding, release = threading.Event(), threading.Event()

    @app.get("/hold", dependencies=[tf.transaction(db)])
    async def hold() -> int:
        value = int(await db.execute_scalar("SELECT 1"))
        holding.set()
        await anyio.to_thread.run_sync(release.wait) if _IS_ASYNC else release.wait()
        return value

    @app.get("/other", dependencies=[tf.transaction(db)])
    async def other() -> int:
        return int(await db.execute_scalar("SELECT 2"))

    async def second() -> Any:
        await anyio.to_thread.run_sync(holding.wait) if _IS_ASYNC else holding.wait()
        try:
            # Two at once: one waits in the pool, the other for a thread to wait on.
            return await concurrently([lambda: client.get("/other"), lambda: client.get("/other")])
        finally:
            release.set()

    async for client in serve(app):
        first, others = await concurrently([lambda c=client: c.get("/hold"), second])
        assert db.pool_stats().checked_out == 0
    assert (first.status_code, first.json()) == (200, 1)
    for busy in others:
        assert (busy.status_code, busy.headers["retry-after"]) == (503, "1")
        assert busy.json() == {"error": "unavailable", "detail": "the database is busy; try again"}


SLOW = {
    "postgresql": "SELECT pg_sleep(2)",
    "mysql": "SELECT MAX(MD5(seq)) FROM seq_1_to_100000000",
    "sqlite": (
        "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s "
        "WHERE n < 100000000) SELECT COUNT(*) FROM s"
    ),
}


async def test_statement_timeout_is_504(url: str) -> None:
    db = twinsql.connect_async(url, statement_timeout=0.2)
    app = FastAPI(lifespan=tf.lifespan(db))
    tf.register_exception_handlers(app)

    @app.get("/slow", dependencies=[tf.transaction(db)])
    async def slow() -> int:
        return int(await db.execute_scalar(SLOW[db.dialect.name]))

    async for client in serve(app):
        answer = await client.get("/slow")
    assert (answer.status_code, answer.json()) == (
        504,
        {"error": "timeout", "detail": "the database did not answer in time"},
    )


async def test_a_block_opened_in_the_endpoint_is_a_savepoint_of_the_request(
    app_db: twinsql.AsyncDatabase,
) -> None:
    app = make_app(app_db)

    @app.post("/nested", dependencies=[tf.transaction(app_db)])
    async def nested() -> int:
        await FaOwner(name="kept").async_save()
        try:
            async with app_db.transaction():
                await FaItem(name="undone").async_save()
                raise RuntimeError("undo the inner block only")
        except RuntimeError:
            pass
        return await FaItem.query().async_count()

    async for client in serve(app):
        answer = await client.post("/nested")
        assert (answer.status_code, answer.json()) == (200, 0)
        assert await rows_in(app_db, "fa_owners") == 1
        assert await rows_in(app_db, "fa_items") == 0


async def test_lifespan_stops_the_app_when_the_database_does_not_open(
    url: str, backend: str, tmp_path: Any
) -> None:
    if backend == "sqlite":
        bad = f"sqlite:///{tmp_path}/no/such/dir/app.db"
    else:
        bad = url.rsplit("/", 1)[0] + "/twinsql_no_such_database"
    db = twinsql.connect_async(bad, pool_timeout=5)
    app = FastAPI(lifespan=tf.lifespan(db))
    with pytest.raises(twinsql.DatabaseError):
        async for _client in serve(app):
            pass
    assert db.closed
