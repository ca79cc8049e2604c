"""The example FastAPI app's measured routes answering from memory, with no database: the
ceiling that ``bench/fastapi_app.py`` puts beside the database-backed cells (the cost of
FastAPI, uvicorn and the load generator alone on this machine)."""

from __future__ import annotations

import itertools
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel

app = FastAPI()
_ids = itertools.count(1)
_BOOKS = [{"id": n, "title": f"b{n}", "author_id": 1} for n in range(3)]


class AuthorIn(BaseModel):
    name: str
    email: str


class BookIn(BaseModel):
    title: str


@app.post("/authors", status_code=201)
async def create_author(body: AuthorIn) -> dict[str, Any]:
    return {"id": next(_ids), "name": body.name, "email": body.email}


@app.post("/authors/{author_id}/books", status_code=201)
async def add_book(author_id: int, body: BookIn) -> dict[str, Any]:
    return {"id": next(_ids), "title": body.title, "author_id": author_id}


@app.get("/authors")
async def list_authors(page: int = 1, per_page: int = 20) -> dict[str, Any]:
    items = [{"id": n, "name": "x", "email": f"{n}@x.org"} for n in range(per_page)]
    return {"items": items, "page": page, "per_page": per_page, "total": 100, "pages": 5,
            "has_next": page < 5}  # fmt: skip


@app.get("/authors/{author_id}")
async def read_author(author_id: int) -> dict[str, Any]:
    return {"id": author_id, "name": "x", "email": "x@x.org", "books": _BOOKS}
