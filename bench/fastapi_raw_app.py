"""The example FastAPI app's measured routes written on the raw asyncpg driver, for the
side-by-side figure of ``bench/fastapi_app.py``.

Same routes, same JSON, same work per request as ``examples/fastapi_app/app.py``: reads in a
read-only transaction (the author, then its books), pages as a count and a page query, a new
author in a write transaction. Tables are the example's (its lifespan creates them).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel

DSN = os.environ["DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://")
pool: Any = None


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    global pool
    pool = await asyncpg.create_pool(DSN, min_size=10, max_size=20)
    try:
        yield
    finally:
        await pool.close()


app = FastAPI(lifespan=lifespan)


class AuthorIn(BaseModel):
    name: str
    email: str


class BookIn(BaseModel):
    title: str


@app.post("/authors", status_code=201)
async def create_author(body: AuthorIn) -> dict[str, Any]:
    async with pool.acquire() as conn, conn.transaction():
        author_id = await conn.fetchval(
            "INSERT INTO app_authors (name, email) VALUES ($1, $2) RETURNING id",
            body.name,
            body.email,
        )
    return {"id": author_id, "name": body.name, "email": body.email}


@app.post("/authors/{author_id}/books", status_code=201)
async def add_book(author_id: int, body: BookIn) -> dict[str, Any]:
    async with pool.acquire() as conn, conn.transaction():
        book_id = await conn.fetchval(
            "INSERT INTO app_books (title, author_id) VALUES ($1, $2) RETURNING id",
            body.title,
            author_id,
        )
    return {"id": book_id, "title": body.title, "author_id": author_id}


@app.get("/authors")
async def list_authors(page: int = 1, per_page: int = 20) -> dict[str, Any]:
    async with pool.acquire() as conn, conn.transaction(readonly=True):
        total = await conn.fetchval("SELECT COUNT(*) FROM app_authors")
        rows = await conn.fetch(
            "SELECT id, name, email FROM app_authors ORDER BY id LIMIT $1 OFFSET $2",
            per_page,
            (page - 1) * per_page,
        )
    pages = max(1, -(-total // per_page))
    return {
        "items": [dict(row) for row in rows],
        "page": page,
        "per_page": per_page,
        "total": total,
        "pages": pages,
        "has_next": page < pages,
    }


@app.get("/authors/{author_id}")
async def read_author(author_id: int) -> dict[str, Any]:
    async with pool.acquire() as conn, conn.transaction(readonly=True):
        author = await conn.fetchrow(
            "SELECT id, name, email FROM app_authors WHERE id = $1", author_id
        )
        if author is None:
            raise HTTPException(status_code=404, detail="no such author")
        books = await conn.fetch(
            "SELECT id, title, author_id FROM app_books WHERE author_id = ANY($1::bigint[]) "
            "ORDER BY id",
            [author_id],
        )
    return {**dict(author), "books": [dict(book) for book in books]}
