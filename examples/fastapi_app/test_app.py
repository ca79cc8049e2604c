"""The example app's tests, through httpx's ASGI transport (no server needed).

Run with ``pytest examples/fastapi_app``; ``DATABASE_URL`` picks the database (default: a
SQLite file in a temporary directory). Each test starts from empty tables.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

import twinsql
from examples.fastapi_app.app import MODELS, create_app


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp_path / 'shop.db'}"
    async with twinsql.connect_async(url) as db:
        await twinsql.drop_all_async(db, MODELS)
    app = create_app(url)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://shop") as client:
            yield client


async def test_author_crud(client: httpx.AsyncClient) -> None:
    created = await client.post("/authors", json={"name": "Ursula", "email": "ul@x.org"})
    assert created.status_code == 201
    author_id = created.json()["id"]
    renamed = await client.patch(
        f"/authors/{author_id}", json={"name": "Ursula K.", "email": "ul@x.org"}
    )
    assert renamed.json() == {"id": author_id, "name": "Ursula K.", "email": "ul@x.org"}
    assert (await client.delete(f"/authors/{author_id}")).status_code == 204
    missing = await client.get(f"/authors/{author_id}")
    assert (missing.status_code, missing.json()) == (404, {"detail": "no such author"})
    gone = await client.delete(f"/authors/{author_id}")
    assert (gone.status_code, gone.json()["error"]) == (404, "not_found")


async def test_duplicate_email_is_a_409_naming_the_column(client: httpx.AsyncClient) -> None:
    await client.post("/authors", json={"name": "A", "email": "same@x.org"})
    again = await client.post("/authors", json={"name": "B", "email": "same@x.org"})
    assert again.status_code == 409
    body = again.json()
    assert (body["error"], body["table"], body["columns"]) == (
        "unique_violation",
        "app_authors",
        ["email"],
    )
    assert "same@x.org" not in again.text


async def test_author_with_books_in_the_response(client: httpx.AsyncClient) -> None:
    author_id = (await client.post("/authors", json={"name": "Le", "email": "le@x.org"})).json()[
        "id"
    ]
    for title in ("Earthsea", "The Dispossessed"):
        added = await client.post(f"/authors/{author_id}/books", json={"title": title})
        assert added.status_code == 201
    body = (await client.get(f"/authors/{author_id}")).json()
    assert [book["title"] for book in body["books"]] == ["Earthsea", "The Dispossessed"]
    # An author with books cannot be deleted (a foreign key), and nothing changes.
    refused = await client.delete(f"/authors/{author_id}")
    assert (refused.status_code, refused.json()["error"]) == (409, "foreign_key_violation")
    assert (await client.get(f"/authors/{author_id}")).status_code == 200


async def test_book_for_a_missing_author_is_refused(client: httpx.AsyncClient) -> None:
    answer = await client.post("/authors/424242/books", json={"title": "Orphan"})
    assert (answer.status_code, answer.json()["error"]) == (409, "foreign_key_violation")


async def test_sign_up_writes_both_models_or_neither(client: httpx.AsyncClient) -> None:
    ok = await client.post(
        "/signup", json={"name": "Ann", "email": "ann@x.org", "first_book": "First"}
    )
    assert ok.status_code == 201
    assert [book["title"] for book in ok.json()["books"]] == ["First"]
    refused = await client.post(
        "/signup", json={"name": "Bo", "email": "bo@x.org", "first_book": "  "}
    )
    assert refused.status_code == 422
    emails = [a["email"] for a in (await client.get("/authors")).json()["items"]]
    assert emails == ["ann@x.org"]


async def test_pages(client: httpx.AsyncClient) -> None:
    author_id = (await client.post("/authors", json={"name": "P", "email": "p@x.org"})).json()["id"]
    for i in range(5):
        await client.post(f"/authors/{author_id}/books", json={"title": f"b{i}"})
    page = (await client.get("/authors", params={"page": 1, "per_page": 1})).json()
    assert (page["total"], page["pages"], page["has_next"]) == (1, 1, False)
    titles: list[str] = []
    params: dict[str, str | int] = {"limit": 2}
    while True:
        body = (await client.get("/books", params=params)).json()
        titles += [book["title"] for book in body["items"]]
        if body["next_cursor"] is None:
            break
        params = {"limit": 2, "after": body["next_cursor"]}
    assert titles == [f"b{i}" for i in range(5)]
