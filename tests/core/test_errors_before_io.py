"""Mistakes caught before any I/O, in both modes: a model with no database bound, a URL of
an unknown scheme, a batcher given nothing it can call."""

from __future__ import annotations

import pytest

import twinsql


class Loose(twinsql.Model):
    __table_name__ = "loose_records"
    id: int | None = None


def test_unbound_model_is_a_clear_error() -> None:
    with pytest.raises(twinsql.InterfaceError) as info:
        Loose.find(1)
    assert str(info.value) == (
        "Loose has no Database bound: call Loose.bind(db) (or bind a base model) or pass using="
    )


async def test_unbound_model_is_a_clear_error_async() -> None:
    with pytest.raises(twinsql.InterfaceError) as info:
        await Loose.async_find(1)
    assert str(info.value) == (
        "Loose has no AsyncDatabase bound: call Loose.bind(db) (or bind a base model) or "
        "pass using="
    )


UNKNOWN_SCHEME = (
    "invalid database URL (mssql://…): unknown scheme 'mssql'. Supported URL schemes: "
    "sqlite://, sqlite+sqlite3://, postgresql:// (or postgres://), postgresql+psycopg://, "
    "postgresql+asyncpg://, mysql:// (or mariadb://), mysql+pymysql://, mysql+asyncmy://"
)


def test_unknown_url_scheme_is_a_clear_error_without_the_password() -> None:
    for connect in (twinsql.connect, twinsql.connect_async):
        with pytest.raises(twinsql.ConfigurationError) as info:
            connect("mssql://user:S3ntinel@host/db")
        assert str(info.value) == UNKNOWN_SCHEME


@pytest.mark.parametrize(
    ("adapter", "batcher"),
    [
        (twinsql.GenericAdapter, twinsql.SQLBatcher),
        (twinsql.AsyncGenericAdapter, twinsql.AsyncSQLBatcher),
    ],
)
def test_a_batcher_needs_something_to_call(adapter: type, batcher: type) -> None:
    with pytest.raises(twinsql.ArgumentError):
        adapter()
    with pytest.raises(twinsql.ArgumentError):
        adapter(object())
    with pytest.raises(twinsql.ArgumentError):
        batcher(42)
    with pytest.raises(twinsql.ArgumentError):
        batcher("sqlite://", transaction="sometimes")
