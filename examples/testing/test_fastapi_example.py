"""A FastAPI app under test: its per-request transaction (a dependency that opens
``Account.async_transaction()``) becomes a savepoint inside the test's transaction, and the
request runs in the test's context, so everything it wrote is rolled back after the test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from conftest import Account

import twinsql

fastapi = pytest.importorskip("fastapi")
httpx = pytest.importorskip("httpx")

app = fastapi.FastAPI()


async def in_transaction() -> AsyncIterator[None]:
    async with Account.async_transaction():
        yield


@app.post("/accounts/{owner}", dependencies=[fastapi.Depends(in_transaction)])
async def open_account(owner: str) -> dict[str, object]:
    account = await Account.async_create(owner=owner)
    return {"id": account.id, "owner": account.owner}


@app.get("/accounts/count")
async def count_accounts() -> dict[str, int]:
    return {"count": await Account.query().async_count()}


@pytest.mark.asyncio
async def test_requests_write_inside_the_test_transaction(
    twinsql_async_db: twinsql.AsyncDatabase,
) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        created = await client.post("/accounts/ann")
        assert created.status_code == 200 and created.json()["owner"] == "ann"
        assert (await client.get("/accounts/count")).json() == {"count": 1}
    assert await Account.query().async_count() == 1


@pytest.mark.asyncio
async def test_the_previous_requests_were_rolled_back(
    twinsql_async_db: twinsql.AsyncDatabase,
) -> None:
    assert await Account.query().async_count() == 0
