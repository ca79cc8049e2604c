"""Integrations, FastAPI: twinsql errors as HTTP responses.

``error_body`` is the one rule of what a client is told: an HTTP status and a JSON body
built only from the error's class and the names it carries (constraint, table, columns),
so the response is the same on every backend and never holds the SQL, the parameters or
the offending values that the error's own message shows. ``register_exception_handlers``
installs it for every class it knows:

=====================================================  ======  ===========================
error                                                  status  ``error`` in the body
=====================================================  ======  ===========================
``RecordNotFound``                                     404     ``not_found``
``UniqueViolation``                                    409     ``unique_violation``
``ForeignKeyViolation``                                409     ``foreign_key_violation``
``NotNullViolation``                                   422     ``not_null_violation``
``CheckViolation``                                     422     ``check_violation``
``IntegrityError`` (any other constraint)              409     ``integrity_error``
``DataError``                                          422     ``data_error``
``StaleObjectError``                                   409     ``stale_record``
``PoolTimeout`` / ``ConnectionLost``                   503     ``unavailable``
``StatementTimeout``                                   504     ``timeout``
``InvalidCursor``                                      400     ``invalid_cursor``
=====================================================  ======  ===========================

A 503 carries ``Retry-After: 1``: both are worth retrying as they are.
"""

from __future__ import annotations

from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from twinsql import errors
from twinsql.integrations.fastapi.pages import InvalidCursor

__all__ = ["error_body", "register_exception_handlers"]

# Most specific first: the first class an error is an instance of decides.
_RULES: Final[tuple[tuple[type[Exception], int, str, str], ...]] = (
    (errors.RecordNotFound, 404, "not_found", "the record does not exist"),
    (errors.UniqueViolation, 409, "unique_violation", "a record with these values exists"),
    (
        errors.ForeignKeyViolation,
        409,
        "foreign_key_violation",
        "the record refers to a record that does not exist, or is referred to",
    ),
    (errors.NotNullViolation, 422, "not_null_violation", "a required value is missing"),
    (errors.CheckViolation, 422, "check_violation", "a value breaks a rule of the table"),
    (errors.IntegrityError, 409, "integrity_error", "the change breaks a constraint"),
    (errors.DataError, 422, "data_error", "a value does not fit its column"),
    (errors.StaleObjectError, 409, "stale_record", "the record was changed by someone else"),
    (errors.PoolTimeout, 503, "unavailable", "the database is busy; try again"),
    (errors.ConnectionLost, 503, "unavailable", "the database is unavailable; try again"),
    (errors.StatementTimeout, 504, "timeout", "the database did not answer in time"),
    (InvalidCursor, 400, "invalid_cursor", "the page cursor is not valid"),
)


def error_body(exc: Exception) -> tuple[int, dict[str, Any]] | None:
    """The status and JSON body for ``exc``, or None when it is not one of the errors
    above. An integrity error's body adds ``constraint``, ``table`` and ``columns``."""
    for cls, status, code, detail in _RULES:
        if isinstance(exc, cls):
            body: dict[str, Any] = {"error": code, "detail": detail}
            if isinstance(exc, errors.IntegrityError):
                body["constraint"] = exc.constraint
                body["table"] = exc.table
                body["columns"] = list(exc.columns)
            return status, body
    return None


async def _handle(request: Request, exc: Exception) -> JSONResponse:
    found = error_body(exc)
    if found is None:  # only registered for the classes above
        raise exc
    status, body = found
    headers = {"Retry-After": "1"} if status == 503 else None
    return JSONResponse(body, status_code=status, headers=headers)


def register_exception_handlers(app: FastAPI) -> None:
    """Answer the errors of ``error_body`` with its status and body in ``app``."""
    for cls, _status, _code, _detail in _RULES:
        app.add_exception_handler(cls, _handle)
