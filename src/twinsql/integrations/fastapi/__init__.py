"""Integrations, FastAPI / Starlette: twinsql in a FastAPI app (``pip install twinsql[fastapi]``).

* ``lifespan(db, models=…, lifespan=…)``: opens the database(s) at startup, binds the
  models, runs the app's own lifespan inside, closes on shutdown.
* ``transaction(db)`` / ``read_only(db)``: a dependency giving the request one transaction
  that every ``Model`` and database call made while handling it uses, committed before the
  response is sent, rolled back on an exception or an error status.
* ``register_exception_handlers(app)``: twinsql errors become HTTP responses whose body is
  the same on every backend (``error_body``).
* ``OffsetPage`` / ``CursorPage``: page responses usable as ``response_model``, filled by
  ``offset_page`` / ``cursor_page`` (and their ``async_`` twins).

This subpackage is the only part of twinsql that imports FastAPI or Starlette.
"""

from __future__ import annotations

from twinsql.integrations.fastapi.handlers import error_body, register_exception_handlers
from twinsql.integrations.fastapi.lifespan import lifespan
from twinsql.integrations.fastapi.pages import (
    CursorPage,
    InvalidCursor,
    OffsetPage,
    async_cursor_page,
    async_offset_page,
    cursor_page,
    offset_page,
)
from twinsql.integrations.fastapi.transaction import (
    FUNCTION_SCOPE,
    read_only,
    transaction,
)

__all__ = [
    "FUNCTION_SCOPE",
    "CursorPage",
    "InvalidCursor",
    "OffsetPage",
    "async_cursor_page",
    "async_offset_page",
    "cursor_page",
    "error_body",
    "lifespan",
    "offset_page",
    "read_only",
    "register_exception_handlers",
    "transaction",
]
