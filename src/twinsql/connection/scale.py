"""Connection layer, pure: the scale-out options of a database — its read replicas, the
read-your-writes window, the replica lag limit and probe interval, a transaction pooler —
taken out of the URL options and keywords and validated before any I/O.

Every database reads these options, most of them to find none set; where a statement runs
when there are replicas is decided in ``connection.routing``, imported only then.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from twinsql import errors
from twinsql.connection.url import DatabaseURL, parse_url

__all__ = ["RoutingConfig", "replica_urls", "split_scale_options"]

_POOLERS = ("pgbouncer",)
_SCALE_OPTIONS = (
    "replicas",
    "read_your_writes",
    "max_replica_lag",
    "replica_retry_interval",
    "pooler",
)


@dataclass(frozen=True)
class RoutingConfig:
    """The scale-out options of a database (validated, before any I/O)."""

    # Replica URLs as given (full URLs, or host[:port] sharing the primary's other parts);
    # kept out of the repr, since a URL may carry a password.
    replicas: tuple[str, ...] = field(default=(), repr=False)
    read_your_writes: float = 2.0
    max_replica_lag: float | None = None
    replica_retry_interval: float = 1.0
    pooler: str | None = None


def _seconds(name: str, value: Any, *, optional: bool) -> float | None:
    if optional and (value is None or (isinstance(value, str) and value.lower() in {"", "none"})):
        return None
    if isinstance(value, bool):
        raise errors.ConfigurationError(f"option {name} must be a number of seconds")
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise errors.ConfigurationError(
            f"option {name} must be a number of seconds, got {value!r}"
        ) from None
    if seconds < 0:
        raise errors.ConfigurationError(f"option {name} must be >= 0, got {value!r}")
    return seconds


def _replica_list(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    if isinstance(value, Sequence):
        return tuple(str(item) for item in value)
    raise errors.ConfigurationError("option replicas must be a list of URLs")


def replica_urls(primary: DatabaseURL, config: RoutingConfig) -> list[DatabaseURL]:
    """The replicas' URLs: a full URL as it is; the URL form ``host`` or ``host:port``
    shares the primary's scheme, user, password, database and options."""
    own = {k: v for k, v in primary.options.items() if k not in _SCALE_OPTIONS}
    out = []
    for item in config.replicas:
        if "://" in item:
            out.append(parse_url(item))
            continue
        host, _, port = item.rpartition(":") if ":" in item else (item, "", "")
        if not host or "/" in item or "@" in item or (port and not port.isdigit()):
            raise errors.ConfigurationError(
                "a replica in the URL form is host or host:port (it shares the primary's "
                "user, password and database); pass full URLs with replicas=[...]"
            )
        out.append(
            replace(primary, host=host, port=int(port) if port else primary.port, options=own)
        )
    return out


def split_scale_options(
    url_options: Mapping[str, str], kwargs: Mapping[str, Any]
) -> tuple[RoutingConfig, dict[str, str], dict[str, Any]]:
    """Take the scale-out options out of the URL options and keywords (keywords win);
    return them and what is left of each for ``resolve_options``."""
    merged = {k: v for k, v in url_options.items() if k in _SCALE_OPTIONS}
    merged.update({k: v for k, v in kwargs.items() if k in _SCALE_OPTIONS})
    rest_url = {k: v for k, v in url_options.items() if k not in _SCALE_OPTIONS}
    rest_kwargs = {k: v for k, v in kwargs.items() if k not in _SCALE_OPTIONS}
    pooler = merged.get("pooler")
    if pooler is not None and pooler not in _POOLERS:
        raise errors.ConfigurationError(
            f"option pooler must be one of {', '.join(_POOLERS)} or None, got {pooler!r}"
        )
    ryw = _seconds("read_your_writes", merged.get("read_your_writes", 2.0), optional=False)
    retry = _seconds(
        "replica_retry_interval", merged.get("replica_retry_interval", 1.0), optional=False
    )
    assert ryw is not None and retry is not None
    config = RoutingConfig(
        replicas=_replica_list(merged.get("replicas", ())),
        read_your_writes=ryw,
        max_replica_lag=_seconds("max_replica_lag", merged.get("max_replica_lag"), optional=True),
        replica_retry_interval=max(retry, 0.05),
        pooler=pooler,
    )
    return config, rest_url, rest_kwargs
