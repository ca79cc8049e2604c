"""Database options: names, validation, URL query options, SQLite memory pinning."""

from __future__ import annotations

import pytest

from twinsql.connection.options import DatabaseOptions, resolve_options
from twinsql.errors import ConfigurationError


def test_defaults() -> None:
    options, rest = resolve_options({}, {})
    assert options == DatabaseOptions()
    assert rest == {}


def test_url_options_are_parsed_and_keywords_win() -> None:
    options, rest = resolve_options(
        {"pool_size": "3", "echo": "true", "pool_recycle": "-1", "sslmode": "require"},
        {"pool_size": 7, "statement_timeout": 2.5},
    )
    assert options.pool_size == 7
    assert options.echo is True
    assert options.pool_recycle is None
    assert options.statement_timeout == 2.5
    assert rest == {"sslmode": "require"}


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"pool_size": 0}, "pool_size"),
        ({"pool_size": "many"}, "pool_size"),
        ({"pool_size": 2.5}, "integer"),
        ({"max_overflow": -1}, "max_overflow"),
        ({"pool_timeout": -0.1}, "pool_timeout"),
        ({"echo": "maybe"}, "echo"),
        ({"pool_pre_ping": 1}, "pool_pre_ping"),
        ({"pool_size": True}, "pool_size"),
        ({"pool_sise": 3}, "pool_sise"),
    ],
)
def test_bad_options_are_clear_errors(kwargs: dict[str, object], fragment: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        resolve_options({}, kwargs)
    assert fragment in str(info.value)


def test_memory_sqlite_uses_one_connection() -> None:
    options, _ = resolve_options({}, {"pool_size": 9, "max_overflow": 4}, memory_sqlite=True)
    assert (options.pool_size, options.max_overflow) == (1, 0)
