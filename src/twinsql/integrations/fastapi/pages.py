"""Integrations, FastAPI: page responses, by offset and by cursor (keyset).

``OffsetPage[T]`` carries what ``Query.paginate`` computes (``twinsql.Page``) plus the
derived ``pages`` and ``has_next``; ``offset_page(query, page, per_page)`` runs it.

``CursorPage[T]`` is keyset pagination: the page after a cursor is ``WHERE key > last
ORDER BY key LIMIT n``, which costs the same on page 1 and page 10 000 and neither skips
nor repeats a row when rows are inserted meanwhile. ``cursor_page(query, key, after,
limit)`` fetches one row more than the page to know whether another page follows; the
cursor is opaque to clients (the last key, JSON in URL-safe base64), so the key must be a
unique field of JSON values (the primary key, typically). A cursor that does not decode
raises ``InvalidCursor`` (400 with ``register_exception_handlers``).

Both are pydantic models, usable as ``response_model``; they import no FastAPI.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from twinsql import errors
from twinsql.connection._async.database import AsyncDatabase
from twinsql.connection._sync.database import Database
from twinsql.orm.query import Query
from twinsql.orm.query_state import Page
from twinsql.sql.expr import Col

__all__ = [
    "CursorPage",
    "InvalidCursor",
    "OffsetPage",
    "async_cursor_page",
    "async_offset_page",
    "cursor_page",
    "offset_page",
]

T = TypeVar("T")

MAX_LIMIT = 1000


class InvalidCursor(errors.ArgumentError):
    """A page cursor that this module did not write (or that was altered)."""


class OffsetPage(BaseModel, Generic[T]):
    """Page ``page`` (from 1) of ``per_page`` items out of ``total``."""

    items: list[T]
    page: int
    per_page: int
    total: int
    pages: int
    has_next: bool

    @classmethod
    def of(cls, page: Page[T]) -> OffsetPage[T]:
        """The response for a ``twinsql.Page`` (what ``Query.paginate`` returns)."""
        return cls(
            items=page.items,
            page=page.page,
            per_page=page.per_page,
            total=page.total,
            pages=page.pages,
            has_next=page.has_next,
        )


class CursorPage(BaseModel, Generic[T]):
    """Up to ``limit`` items after a cursor; ``next_cursor`` asks for the next page (None:
    this is the last one)."""

    items: list[T]
    next_cursor: str | None


def offset_page(
    query: Query[T], page: int, per_page: int, *, using: Database | None = None
) -> OffsetPage[T]:
    return OffsetPage[Any].of(query.paginate(page, per_page, using=using))


async def async_offset_page(
    query: Query[T], page: int, per_page: int, *, using: AsyncDatabase | None = None
) -> OffsetPage[T]:
    return OffsetPage[Any].of(await query.async_paginate(page, per_page, using=using))


def cursor_page(
    query: Query[T], key: str, after: str | None, limit: int, *, using: Database | None = None
) -> CursorPage[T]:
    """The page of ``query`` after cursor ``after`` (None: the first page), ordered by
    field ``key`` ascending."""
    rows = _keyset(query, key, after, limit).all(using=using)
    return _cursor_page(rows, key, limit)


async def async_cursor_page(
    query: Query[T],
    key: str,
    after: str | None,
    limit: int,
    *,
    using: AsyncDatabase | None = None,
) -> CursorPage[T]:
    rows = await _keyset(query, key, after, limit).async_all(using=using)
    return _cursor_page(rows, key, limit)


def _keyset(query: Query[T], key: str, after: str | None, limit: int) -> Query[T]:
    if not 1 <= limit <= MAX_LIMIT:
        raise errors.ArgumentError(f"limit must be between 1 and {MAX_LIMIT}, got {limit!r}")
    info = query.state.info
    column = Col(info.check_field(key), table=info.table)  # an unknown field raises here
    page = query.order_by(key).limit(limit + 1)
    if after is not None:
        page = page.where(column > decode_cursor(after))  # the value is bound, never inlined
    return page


def _cursor_page(rows: list[T], key: str, limit: int) -> CursorPage[T]:
    items = rows[:limit]
    more = len(rows) > limit
    next_cursor = encode_cursor(getattr(items[-1], key)) if more else None
    return CursorPage[Any](items=items, next_cursor=next_cursor)


def encode_cursor(value: Any) -> str:
    """The cursor after a row whose key is ``value``."""
    text = json.dumps([value], separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> Any:
    """The key value in ``cursor``; ``InvalidCursor`` when it is not one ``encode_cursor``
    wrote."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError):
        raise InvalidCursor("the page cursor is not valid") from None
    if not (isinstance(value, list) and len(value) == 1) or isinstance(
        value[0], (list, dict, type(None))
    ):
        raise InvalidCursor("the page cursor is not valid")
    return value[0]
