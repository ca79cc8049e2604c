"""A complete FastAPI app on twinsql: authors and their books.

Run it with ``uvicorn examples.fastapi_app.app:app`` (``DATABASE_URL`` picks the database;
the default is a SQLite file in the current directory). It shows:

* the lifespan helper: the database is checked at startup, the models bound, the tables
  created by the app's own lifespan, and everything closed at shutdown;
* one transaction per request for every route (``dependencies=[tx]`` on the app), the
  reads in read-only transactions, and no connection passed to any model call;
* CRUD on authors, a relation in a response (an author with its books), offset pages of
  authors and cursor pages of books, and a sign-up that writes two models in one
  transaction (an author and a first book: both or neither);
* twinsql errors as HTTP answers: a duplicate e-mail is a 409 naming the column, a
  missing author a 404.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from typing import ClassVar

from fastapi import APIRouter, FastAPI, HTTPException, Response
from pydantic import BaseModel

import twinsql
from twinsql import BelongsTo, Field, HasMany
from twinsql.integrations import fastapi as tf


class Base(twinsql.Model):
    __abstract__: ClassVar[bool] = True


class Author(Base):
    __table_name__ = "app_authors"
    id: int | None = None
    name: str = Field(max_length=100)
    email: str = Field(unique=True, max_length=200)

    books: ClassVar[HasMany[Book]] = HasMany(foreign_key="author_id")


class Book(Base):
    __table_name__ = "app_books"
    id: int | None = None
    title: str = Field(max_length=200)
    author_id: int

    author: ClassVar[BelongsTo[Author]] = BelongsTo(foreign_key="author_id")


MODELS = [Author, Book]


class AuthorIn(BaseModel):
    name: str
    email: str


class BookIn(BaseModel):
    title: str


class AuthorWithBooks(BaseModel):
    id: int
    name: str
    email: str
    books: list[Book]


class SignUp(BaseModel):
    name: str
    email: str
    first_book: str


def create_app(database_url: str | None = None) -> FastAPI:
    """The app on ``database_url`` (default: ``DATABASE_URL``, else ``sqlite:///shop.db``)."""
    url = database_url or os.environ.get("DATABASE_URL") or "sqlite:///shop.db"
    db = twinsql.connect_async(url, pool_size=10, max_overflow=10, pool_timeout=5)

    @contextlib.asynccontextmanager
    async def tables(app: FastAPI) -> AsyncIterator[None]:
        await twinsql.create_all_async(db, MODELS)  # the tables that do not exist yet
        yield

    app = FastAPI(title="twinsql shop", lifespan=tf.lifespan(db, models=MODELS, lifespan=tables))
    tf.register_exception_handlers(app)
    writes = APIRouter(dependencies=[tf.transaction(db)])
    reads = APIRouter(dependencies=[tf.read_only(db)])

    @writes.post("/authors", status_code=201)
    async def create_author(body: AuthorIn) -> Author:
        author = Author(name=body.name, email=body.email)
        await author.async_save()
        return author

    @reads.get("/authors", response_model=tf.OffsetPage[Author])
    async def list_authors(page: int = 1, per_page: int = 20) -> tf.OffsetPage[Author]:
        return await tf.async_offset_page(Author.query().order_by("id"), page, per_page)

    @reads.get("/authors/{author_id}")
    async def read_author(author_id: int) -> AuthorWithBooks:
        author = await Author.query().where(id=author_id).with_("books").async_one_or_none()
        if author is None:
            raise HTTPException(status_code=404, detail="no such author")
        return AuthorWithBooks(
            id=author_id, name=author.name, email=author.email, books=author.books
        )

    @writes.patch("/authors/{author_id}")
    async def rename_author(author_id: int, body: AuthorIn) -> Author:
        author = await Author.async_find_or_fail(author_id)  # 404 when missing
        author.name, author.email = body.name, body.email
        await author.async_save()
        return author

    @writes.delete("/authors/{author_id}", status_code=204)
    async def delete_author(author_id: int) -> Response:
        author = await Author.async_find_or_fail(author_id)
        await author.async_delete()  # 409 while the author has books (a foreign key)
        return Response(status_code=204)

    @writes.post("/authors/{author_id}/books", status_code=201)
    async def add_book(author_id: int, body: BookIn) -> Book:
        book = Book(title=body.title, author_id=author_id)
        await book.async_save()  # 409 when the author does not exist
        return book

    @reads.get("/books", response_model=tf.CursorPage[Book])
    async def list_books(after: str | None = None, limit: int = 20) -> tf.CursorPage[Book]:
        return await tf.async_cursor_page(Book.query(), "id", after, limit)

    @writes.post("/signup", status_code=201)
    async def sign_up(body: SignUp) -> AuthorWithBooks:
        # Two models, one transaction: a refused book leaves no author behind.
        author = Author(name=body.name, email=body.email)
        await author.async_save()
        if not body.first_book.strip():
            raise HTTPException(status_code=422, detail="the first book needs a title")
        assert author.id is not None
        book = Book(title=body.first_book, author_id=author.id)
        await book.async_save()
        return AuthorWithBooks(id=author.id, name=author.name, email=author.email, books=[book])

    app.include_router(writes)
    app.include_router(reads)
    return app


app = create_app()
