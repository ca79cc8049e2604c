"""Connection layer, pure: a database's options, validated before any connection is opened.

Options come from keyword arguments (``connect(url, pool_size=10)``) or from the URL's
query string (``?pool_size=10&echo=true``); keywords win. The names are SQLAlchemy's, so
code written for its engines moves over unchanged. Query-string options twinsql does not
know are left for the driver, which rejects the ones it does not know either.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from twinsql.errors import ConfigurationError

__all__ = ["DatabaseOptions", "PoolStats", "resolve_options"]

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class DatabaseOptions:
    pool_size: int = 5
    max_overflow: int = 10
    pool_timeout: float = 30.0
    pool_recycle: float | None = None
    pool_pre_ping: bool = False
    echo: bool = False
    hide_parameters: bool = False
    statement_timeout: float | None = None
    connect_timeout: float | None = None
    # A sync database refuses a call on a thread that runs an event loop (it would block the
    # loop); True allows it, e.g. in a notebook.
    allow_sync_in_event_loop: bool = False


@dataclass(frozen=True)
class PoolStats:
    """A snapshot of a pool: ``size`` connections open, of which ``checked_out`` are in use
    and ``idle`` wait in the pool; ``waiting`` callers queue for one. The counters run from
    the pool's start."""

    size: int
    checked_out: int
    idle: int
    waiting: int
    pool_size: int
    max_overflow: int
    opened: int
    discarded: int
    timeouts: int


def _as_bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in _TRUE | _FALSE:
        return value.lower() in _TRUE
    raise ConfigurationError(f"option {name} must be a boolean, got {value!r}")


def _as_number(name: str, value: Any, *, minimum: float, integer: bool) -> float:
    if isinstance(value, bool):
        raise ConfigurationError(f"option {name} must be a number, got {value!r}")
    try:
        number = int(value) if integer else float(value)
    except (TypeError, ValueError):
        raise ConfigurationError(f"option {name} must be a number, got {value!r}") from None
    if integer and isinstance(value, float) and value != number:
        raise ConfigurationError(f"option {name} must be an integer, got {value!r}")
    if number < minimum:
        raise ConfigurationError(f"option {name} must be >= {minimum:g}, got {value!r}")
    return number


def _as_optional_seconds(name: str, value: Any) -> float | None:
    if value is None or (isinstance(value, str) and value.lower() in {"", "none"}):
        return None
    seconds = _as_number(name, value, minimum=0, integer=False)
    # SQLAlchemy's convention: pool_recycle=-1 means "never"; accept 0 the same way.
    return seconds or None


def resolve_options(
    url_options: Mapping[str, str], kwargs: Mapping[str, Any], *, memory_sqlite: bool = False
) -> tuple[DatabaseOptions, dict[str, str]]:
    """Merge and validate options; return them and the URL options left for the driver."""
    known = set(DatabaseOptions.__dataclass_fields__)
    unknown = set(kwargs) - known
    if unknown:
        raise ConfigurationError(
            f"unknown option(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(known))}"
        )
    merged: dict[str, Any] = {k: v for k, v in url_options.items() if k in known}
    merged.update(kwargs)
    driver_options = {k: v for k, v in url_options.items() if k not in known}
    recycle = merged.get("pool_recycle")
    if recycle is not None and not isinstance(recycle, bool) and str(recycle).strip() == "-1":
        recycle = None
    options = DatabaseOptions(
        pool_size=int(_as_number("pool_size", merged.get("pool_size", 5), minimum=1, integer=True)),
        max_overflow=int(
            _as_number("max_overflow", merged.get("max_overflow", 10), minimum=0, integer=True)
        ),
        pool_timeout=_as_number(
            "pool_timeout", merged.get("pool_timeout", 30.0), minimum=0, integer=False
        ),
        pool_recycle=_as_optional_seconds("pool_recycle", recycle),
        pool_pre_ping=_as_bool("pool_pre_ping", merged.get("pool_pre_ping", False)),
        echo=_as_bool("echo", merged.get("echo", False)),
        hide_parameters=_as_bool("hide_parameters", merged.get("hide_parameters", False)),
        statement_timeout=_as_optional_seconds(
            "statement_timeout", merged.get("statement_timeout")
        ),
        connect_timeout=_as_optional_seconds("connect_timeout", merged.get("connect_timeout")),
        allow_sync_in_event_loop=_as_bool(
            "allow_sync_in_event_loop", merged.get("allow_sync_in_event_loop", False)
        ),
    )
    if memory_sqlite:
        # Every sqlite3 connection to ":memory:" is a database of its own: one connection is
        # the only way all callers see the same data.
        options = DatabaseOptions(**{**options.__dict__, "pool_size": 1, "max_overflow": 0})
    return options, driver_options
