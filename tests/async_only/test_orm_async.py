"""ORM behaviour that only the async API has: gather, and a FastAPI app end to end."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

import twinsql
from tests.orm_models import ALL_MODELS, Order, OrmBase, User


@pytest.fixture
async def orm_db(url: str) -> AsyncIterator[twinsql.AsyncDatabase]:
    db = twinsql.connect_async(url, pool_size=4)
    try:
        await twinsql.drop_all_async(db, ALL_MODELS)
        await twinsql.create_all_async(db, ALL_MODELS)
        OrmBase.bind(db)
        yield db
    finally:
        await db.close()


async def test_three_independent_queries_under_gather(orm_db: twinsql.AsyncDatabase) -> None:
    await User.async_insert_many(
        [{"name": f"n{i}", "email": f"{i}@x.io", "age": i} for i in range(9)]
    )
    users, count, oldest = await asyncio.gather(
        User.query().where(User.c.age < 3).order_by("age").async_all(),
        User.query().async_count(),
        User.query().order_by("-age").async_first(),
    )
    assert [u.age for u in users] == [0, 1, 2]
    assert count == 9
    assert oldest is not None and oldest.age == 8


async def test_child_task_inside_a_model_transaction_is_refused(
    orm_db: twinsql.AsyncDatabase,
) -> None:
    async with User.async_transaction():
        with pytest.raises(twinsql.ConcurrentUseError):
            await asyncio.gather(User.query().async_count(), User.query().async_count())


async def test_crud_through_fastapi(orm_db: twinsql.AsyncDatabase) -> None:
    fastapi = pytest.importorskip("fastapi")
    httpx = pytest.importorskip("httpx")
    app = fastapi.FastAPI()

    @app.post("/users", response_model=User, status_code=201)
    async def create(user: User) -> User:
        return await user.async_save()

    @app.get("/users/{user_id}", response_model=User)
    async def read(user_id: int) -> User:
        try:
            return await User.async_find_or_fail(user_id)
        except twinsql.RecordNotFound:
            raise fastapi.HTTPException(404) from None

    @app.get("/users", response_model=list[User])
    async def listing(page: int = 1) -> list[User]:
        return (await User.query().order_by("id").async_paginate(page, 10)).items

    @app.delete("/users/{user_id}", status_code=204)
    async def remove(user_id: int) -> None:
        user = await User.async_find_or_fail(user_id)
        await user.async_delete()

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        created = await client.post("/users", json={"name": "Ada", "email": "ada@x.io"})
        assert created.status_code == 201, created.text
        user_id = created.json()["id"]
        assert isinstance(user_id, int)
        fetched = await client.get(f"/users/{user_id}")
        assert fetched.json()["email"] == "ada@x.io"
        bad = await client.post("/users", json={"name": "x", "email": "y", "age": "old"})
        assert bad.status_code == 422
        assert len((await client.get("/users")).json()) == 1
        assert (await client.delete(f"/users/{user_id}")).status_code == 204
        assert (await client.get(f"/users/{user_id}")).status_code == 404
    assert await Order.query().async_count() == 0
