"""The test helpers' pure parts: session database names, the backend marker's names, the
statements that empty tables, the capture's counting and listing, and observer chains."""

from __future__ import annotations

import pytest

import twinsql
from twinsql.connection.observe import Observer, Observers, with_observer, without_observer
from twinsql.sql.dialects import get_dialect
from twinsql.testing import QueryCapture, reset_statements
from twinsql.testing.plan import backend_matches, session_database_name


def test_session_database_names() -> None:
    assert session_database_name("app", None) == "app_test"
    assert session_database_name("app", "gw3") == "app_test_gw3"
    with pytest.raises(twinsql.ArgumentError, match="cannot derive"):
        session_database_name('app"; DROP', None)
    with pytest.raises(twinsql.ArgumentError):
        session_database_name("a" * 60, "gw0")


def test_backend_marker_names() -> None:
    assert backend_matches("mysql", ["mariadb"])
    assert backend_matches("postgresql", ["sqlite", "postgres"])
    assert not backend_matches("sqlite", ["postgresql", "mysql"])
    with pytest.raises(twinsql.ArgumentError, match="backend names"):
        backend_matches("sqlite", ["oracle"])
    with pytest.raises(twinsql.ArgumentError):
        backend_matches("sqlite", [])


def test_reset_statements_per_backend() -> None:
    tables = ["authors", "books"]
    assert reset_statements(get_dialect("postgresql"), tables) == [
        'TRUNCATE "authors", "books" RESTART IDENTITY CASCADE'
    ]
    assert reset_statements(get_dialect("mysql"), tables) == [
        "SET FOREIGN_KEY_CHECKS = 0",
        "DELETE FROM `books`",
        "DELETE FROM `authors`",
        "SET FOREIGN_KEY_CHECKS = 1",
    ]
    assert reset_statements(get_dialect("sqlite"), tables) == [
        'DELETE FROM "books"',
        'DELETE FROM "authors"',
    ]
    assert reset_statements(get_dialect("sqlite"), []) == []


def test_capture_counts_statements_and_lists_them_numbered() -> None:
    capture = QueryCapture()
    for sql, control in [("SAVEPOINT sp1", True), ("SELECT\n  1", False), ("SELECT 2", False)]:
        capture.call_ended(capture.call_started(sql, None, control), None)
    capture.call_ended(capture.call_started("INSERT x", (1,), False), ValueError("boom"))
    assert len(capture) == 3
    assert capture.queries == ["SELECT\n  1", "SELECT 2", "INSERT x"]
    assert capture.numbered() == (
        "  1. SELECT 1\n  2. SELECT 2\n  3. INSERT x  -- failed: ValueError"
    )
    assert capture.numbered(include_control=True).startswith("  1. SAVEPOINT sp1\n")
    assert QueryCapture().numbered() == "  (no statement)"


def test_observer_chains() -> None:
    a, b = Observer(), QueryCapture()
    assert with_observer(None, a) is a
    both = with_observer(a, b)
    assert isinstance(both, Observers) and both.members == (a, b)
    assert without_observer(both, a) is b
    assert without_observer(b, b) is None
    handle = both.call_started("SELECT 1", None, False)
    both.call_ended(handle, None)
    assert b.queries == ["SELECT 1"]
    with both.operation("orm", "User.find"):
        both.event("retry")
