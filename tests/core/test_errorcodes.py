"""Backend error codes map to one hierarchy."""

from __future__ import annotations

import pytest

from twinsql import errors as e
from twinsql.sql.errorcodes import classify_mysql_errno, classify_sqlite, classify_sqlstate


@pytest.mark.parametrize(
    ("sqlstate", "cls"),
    [
        ("23505", e.UniqueViolation),
        ("23503", e.ForeignKeyViolation),
        ("23502", e.NotNullViolation),
        ("23514", e.CheckViolation),
        ("23000", e.IntegrityError),
        ("40001", e.SerializationFailure),
        ("40P01", e.DeadlockDetected),
        ("55P03", e.LockTimeout),
        ("57014", e.QueryCanceled),
        ("57P01", e.ConnectionLost),
        ("08006", e.ConnectionLost),
        ("42601", e.ProgrammingError),
        ("42P01", e.ProgrammingError),
        ("22003", e.DataError),
        ("25P02", e.TransactionAborted),
        ("XX000", e.DatabaseError),
        (None, e.DatabaseError),
    ],
)
def test_sqlstates(sqlstate: str | None, cls: type[e.Error]) -> None:
    assert classify_sqlstate(sqlstate) is cls


@pytest.mark.parametrize(
    ("errno", "cls"),
    [
        (1062, e.UniqueViolation),
        (1452, e.ForeignKeyViolation),
        (1048, e.NotNullViolation),
        (4025, e.CheckViolation),
        (1213, e.DeadlockDetected),
        (1205, e.LockTimeout),
        (1969, e.StatementTimeout),
        (2006, e.ConnectionLost),
        (2013, e.ConnectionLost),
        (1064, e.ProgrammingError),
        (1406, e.DataError),
        (99999, None),
        (None, None),
    ],
)
def test_mysql_errnos(errno: int | None, cls: type[e.Error] | None) -> None:
    assert classify_mysql_errno(errno) is cls


@pytest.mark.parametrize(
    ("name", "message", "cls"),
    [
        ("SQLITE_CONSTRAINT_UNIQUE", "", e.UniqueViolation),
        ("SQLITE_CONSTRAINT_PRIMARYKEY", "", e.UniqueViolation),
        ("SQLITE_CONSTRAINT_FOREIGNKEY", "", e.ForeignKeyViolation),
        ("SQLITE_CONSTRAINT_NOTNULL", "", e.NotNullViolation),
        ("SQLITE_CONSTRAINT_CHECK", "", e.CheckViolation),
        ("SQLITE_CONSTRAINT_TRIGGER", "", e.IntegrityError),
        ("SQLITE_BUSY", "", e.LockTimeout),
        ("SQLITE_INTERRUPT", "", e.QueryCanceled),
        ("SQLITE_ERROR", "near x: syntax error", e.ProgrammingError),
        ("SQLITE_FULL", "", e.OperationalError),
        # Python 3.10 has no error names: the message decides.
        (None, "UNIQUE constraint failed: t.a", e.UniqueViolation),
        (None, "database is locked", e.LockTimeout),
        (None, "something else", e.DatabaseError),
    ],
)
def test_sqlite(name: str | None, message: str, cls: type[e.Error]) -> None:
    assert classify_sqlite(name, message) is cls


def test_messages_carry_sql_and_parameters() -> None:
    error = e.ProgrammingError("boom", sql="SELECT ?", params=(1,))
    assert str(error) == "boom\nSQL: SELECT ?\nParameters: (1)"
    hidden = e.ProgrammingError("boom", sql="SELECT ?", params=("x",), hide_parameters=True)
    assert "x'" not in str(hidden) and "[parameters hidden]" in str(hidden)
    many = e.DataError("big", sql="INSERT", params=list(range(100)))
    assert "… 80 more" in str(many)
