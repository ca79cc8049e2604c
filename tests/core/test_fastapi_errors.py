"""Pure: the status and body each twinsql error gets in a FastAPI app."""

from __future__ import annotations

import pytest

from twinsql import errors
from twinsql.integrations.fastapi import InvalidCursor, error_body


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (errors.RecordNotFound("no User with primary key 5"), 404, "not_found"),
        (errors.ForeignKeyViolation("fk"), 409, "foreign_key_violation"),
        (errors.NotNullViolation("nn"), 422, "not_null_violation"),
        (errors.CheckViolation("ck"), 422, "check_violation"),
        (errors.IntegrityError("other"), 409, "integrity_error"),
        (errors.DataError("too long"), 422, "data_error"),
        (errors.StaleObjectError("changed"), 409, "stale_record"),
        (errors.PoolTimeout("busy"), 503, "unavailable"),
        (errors.ConnectionLost("gone"), 503, "unavailable"),
        (errors.StatementTimeout("slow"), 504, "timeout"),
        (InvalidCursor("bad"), 400, "invalid_cursor"),
    ],
)
def test_each_error_has_its_status(error: Exception, status: int, code: str) -> None:
    found = error_body(error)
    assert found is not None
    assert (found[0], found[1]["error"]) == (status, code)


def test_unique_violation_body_names_only_the_constraint_table_and_columns() -> None:
    error = errors.UniqueViolation(
        "duplicate key", sql="INSERT INTO users (email) VALUES (?)", params=("ann@x.org",)
    )
    error.constraint, error.table, error.columns = "uq_email", "users", ("email",)
    status, body = error_body(error) or (0, {})
    assert (status, body) == (
        409,
        {
            "error": "unique_violation",
            "detail": "a record with these values exists",
            "constraint": "uq_email",
            "table": "users",
            "columns": ["email"],
        },
    )
    assert "ann@x.org" not in repr(body)


def test_other_errors_are_not_answered() -> None:
    assert error_body(errors.ProgrammingError("syntax")) is None
    assert error_body(ValueError("x")) is None
    # A commit whose outcome is unknown is not "try again": it is left to the app.
    assert error_body(errors.CommitOutcomeUnknown("lost")) is None
