"""Connection layer, pure: database URLs — parse, validate, render and redact.

``parse_url`` turns ``sqlite:///app.db``, ``postgresql+asyncpg://u:p@host:5432/db`` or
``mariadb://…`` into a frozen ``DatabaseURL``; with no argument it reads ``DATABASE_URL``.

Written here rather than taken from ``urllib.parse`` or SQLAlchemy's ``make_url`` because the
job is small and the edge cases are ours to decide: ``urlsplit`` raises on a bad port with the
whole netloc in hand and guesses about ``@`` and ``:`` in passwords, and SQLAlchemy is far too
large a dependency for a URL.  The rules:

* The password is never printed: ``str``, ``repr`` and ``redacted`` show ``***``, and
  option values whose key looks like a secret (``password``, ``sslpassword``, ``token`` …)
  are masked as well; ``render_with_password`` is the one rendering that includes it.  The
  ``password`` field is read in two places only: by the drivers, which pass it to the native
  driver as a connect keyword (never inside a DSN string) and hide it in a failed connect's
  message, and by the database, which scrubs it from every message it raises.
* Error messages never quote the URL: a URL that fails to parse may have split the password
  anywhere, so a message shows the scheme only (and only when it looks like one).
* Special characters in the user name, password and database name are percent-encoded
  (``urllib.parse.quote(password, safe="")``).  An ``@`` after the host, or a ``%`` that
  starts no escape, is almost always an unencoded password, so it is rejected with that
  hint instead of being parsed into the wrong fields.  A ``:`` in the password needs no
  encoding (the user name ends at the first ``:``), nor does an ``@`` (the host starts
  after the last one).
* Query options are ``key=value`` pairs, percent-decoded (``+`` is kept, not turned into a
  space).  A key given twice is an error rather than "last wins": silently dropping one of
  two ``sslmode`` values is the kind of surprise a security setting must not have.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from urllib.parse import quote, unquote

from twinsql.errors import ConfigurationError

__all__ = ["SUPPORTED_DRIVERS", "DatabaseURL", "parse_url"]

# Backend → the drivers that may be pinned with ``backend+driver://``.  ``mysqlclient`` is
# recognised so that the driver registry can refuse it with what to use instead.
SUPPORTED_DRIVERS: Mapping[str, tuple[str, ...]] = {
    "sqlite": ("sqlite3",),
    "postgresql": ("psycopg", "asyncpg"),
    "mysql": ("pymysql", "mysqlclient", "asyncmy"),
}
_BACKEND_ALIASES = {
    "sqlite": "sqlite",
    "postgresql": "postgresql",
    "postgres": "postgresql",
    "mysql": "mysql",
    "mariadb": "mysql",
}
# ``mysqldb`` is the module name mysqlclient installs, and SQLAlchemy's spelling of it.
_DRIVER_ALIASES = {"mysqldb": "mysqlclient"}
_SUPPORTED_TEXT = (
    "sqlite://, sqlite+sqlite3://, postgresql:// (or postgres://), postgresql+psycopg://, "
    "postgresql+asyncpg://, mysql:// (or mariadb://), mysql+pymysql://, mysql+asyncmy://"
)
_SCHEME_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]{0,39}\Z")
_BAD_ESCAPE_RE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_SECRET_OPTION_RE = re.compile(r"pass|pwd|secret|token", re.IGNORECASE)
_MEMORY = ":memory:"
_MASK = "***"


class _Options(Mapping[str, str]):
    """An immutable, hashable, picklable ``str → str`` mapping for the query options.

    ``types.MappingProxyType`` would be immutable too, but it can neither be hashed nor
    pickled, and a URL is used as a key (one pool per URL) and sent to worker processes.
    """

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, str] | None = None) -> None:
        self._data: dict[str, str] = dict(data) if data else {}

    def __getitem__(self, key: str) -> str:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        return hash(frozenset(self._data.items()))

    def __repr__(self) -> str:
        shown = {k: (_MASK if _is_secret_option(k) else v) for k, v in self._data.items()}
        return repr(shown)


def _is_secret_option(key: str) -> bool:
    return bool(_SECRET_OPTION_RE.search(key))


@dataclass(frozen=True, repr=False)
class DatabaseURL:
    """A parsed database URL.  Build one with ``parse_url``; constructing it directly works
    too and validates the backend, driver, port and options the same way."""

    backend: str
    driver: str | None
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    host: str | None = None
    port: int | None = None
    database: str | None = None
    options: Mapping[str, str] = field(default_factory=_Options)

    def __post_init__(self) -> None:
        backend = _BACKEND_ALIASES.get(str(self.backend).lower())
        if backend is None:
            raise ConfigurationError(
                f"unknown database backend {self.backend!r}; supported URL schemes: "
                f"{_SUPPORTED_TEXT}"
            )
        object.__setattr__(self, "backend", backend)
        if self.driver is not None:
            driver = _normalize_driver(backend, str(self.driver))
            if driver is None:
                raise ConfigurationError(
                    f"{_unknown_driver(backend, str(self.driver))} "
                    f"(supported URL schemes: {_SUPPORTED_TEXT})"
                )
            object.__setattr__(self, "driver", driver)
        if self.port is not None and (
            isinstance(self.port, bool)
            or not isinstance(self.port, int)
            or not 1 <= self.port <= 65535
        ):
            raise ConfigurationError("the port must be an integer from 1 to 65535")
        for key, value in self.options.items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise ConfigurationError("URL options must map str to str")
        if not isinstance(self.options, _Options):
            object.__setattr__(self, "options", _Options(self.options))
        if backend == "sqlite" and not self.database:
            object.__setattr__(self, "database", _MEMORY)

    @property
    def is_memory(self) -> bool:
        """True for an in-memory SQLite database: ``:memory:`` or the ``mode=memory`` option."""
        return self.backend == "sqlite" and (
            self.database == _MEMORY or self.options.get("mode") == "memory"
        )

    def redacted(self) -> str:
        """The URL as text with the password (and secret-looking option values) as ``***``."""
        return self._render(redact=True)

    def render_with_password(self) -> str:
        """The full URL, password included and percent-encoded (``parse_url`` reads it back
        unchanged): never log it or put it in a message."""
        return self._render(redact=False)

    def __str__(self) -> str:
        return self.redacted()

    def __repr__(self) -> str:
        return f"DatabaseURL({self.redacted()!r})"

    def _render(self, *, redact: bool) -> str:
        scheme = self.backend if self.driver is None else f"{self.backend}+{self.driver}"
        parts = [scheme, "://"]
        if self.backend == "sqlite":
            # sqlite:///relative.db, sqlite:////abs/path.db: the path follows the third slash.
            parts.append("/" + quote(self.database or _MEMORY, safe="/:"))
        else:
            if self.username is not None or self.password is not None:
                parts.append(quote(self.username or "", safe=""))
                if self.password is not None:
                    secret = _MASK if redact else quote(self.password, safe="")
                    parts.append(":" + secret)
                parts.append("@")
            if self.host is not None:
                parts.append(_render_host(self.host))
            if self.port is not None:
                parts.append(f":{self.port}")
            if self.database is not None:
                parts.append("/" + quote(self.database, safe=""))
        if self.options:
            pairs = []
            for key, value in self.options.items():
                shown = _MASK if redact and _is_secret_option(key) else quote(value, safe="")
                pairs.append(f"{quote(key, safe='')}={shown}")
            parts.append("?" + "&".join(pairs))
        return "".join(parts)


def _render_host(host: str) -> str:
    if ":" in host:  # an IPv6 address; a zone id's "%" must be escaped inside the brackets
        return "[" + host.replace("%", "%25") + "]"
    return quote(host, safe="")  # e.g. a Unix-socket directory such as /var/run/postgresql


def _normalize_driver(backend: str, driver: str) -> str | None:
    name = driver.lower()
    name = _DRIVER_ALIASES.get(name, name)
    return name if name in SUPPORTED_DRIVERS[backend] else None


def _unknown_driver(backend: str, driver: str) -> str:
    shown = repr(driver) if _SCHEME_RE.match(driver) else "given"
    return (
        f"unknown driver {shown} for {backend}; supported drivers: "
        f"{', '.join(SUPPORTED_DRIVERS[backend])}"
    )


def parse_url(
    url: str | DatabaseURL | None = None, *, environ: Mapping[str, str] | None = None
) -> DatabaseURL:
    """Parse a database URL; with ``url=None`` read ``DATABASE_URL`` from ``environ``
    (default ``os.environ``).  A ``DatabaseURL`` is returned unchanged.

    Raises ``ConfigurationError`` for anything that is not a supported URL; the message
    names the scheme at most, never any other part of the URL.
    """
    if isinstance(url, DatabaseURL):
        return url
    source = "database URL"
    if url is None:
        env = os.environ if environ is None else environ
        url = env.get("DATABASE_URL")
        if url is None or not str(url).strip():
            raise ConfigurationError(
                "no database URL given: pass a URL (for example 'sqlite:///app.db') "
                "or set the DATABASE_URL environment variable"
            )
        source = "DATABASE_URL"
    if not isinstance(url, str):
        raise ConfigurationError(
            f"the database URL must be a str or DatabaseURL, not {type(url).__name__}"
        )
    return _parse(url.strip(), source)


def _fail(scheme: str | None, source: str, problem: str) -> ConfigurationError:
    where = f" ({scheme}://…)" if scheme else ""
    return ConfigurationError(
        f"invalid {source}{where}: {problem}. Supported URL schemes: {_SUPPORTED_TEXT}"
    )


def _parse(text: str, source: str) -> DatabaseURL:
    if not text:
        raise _fail(None, source, "the URL is empty")
    head, sep, rest = text.partition("://")
    if not sep:
        raise _fail(None, source, "expected 'scheme://…'")
    # Only echo something that looks like a scheme: text before a stray "://" could be
    # a piece of the password.
    scheme = head.lower() if _SCHEME_RE.match(head) else None
    if scheme is None:
        raise _fail(None, source, "the scheme is not valid")
    backend_name, plus, driver_name = scheme.partition("+")
    backend = _BACKEND_ALIASES.get(backend_name)
    if backend is None:
        raise _fail(scheme, source, f"unknown scheme {backend_name!r}")
    driver: str | None = None
    if plus:
        driver = _normalize_driver(backend, driver_name)
        if driver is None:
            raise _fail(scheme, source, _unknown_driver(backend, driver_name))
    if "#" in rest:
        raise _fail(scheme, source, "URL fragments are not supported; write '#' as %23")

    # The authority ends at the first "/" or "?"; the path (database) runs to the "?".
    cut = len(rest)
    for ch in "/?":
        i = rest.find(ch)
        if i != -1:
            cut = min(cut, i)
    authority, tail = rest[:cut], rest[cut:]
    path, _, query = tail.partition("?")
    if backend != "sqlite" and "@" in tail:
        raise _fail(
            scheme,
            source,
            "'@' after the host: percent-encode special characters in the user name and "
            "password, e.g. urllib.parse.quote(password, safe='')",
        )
    options = _parse_options(query, scheme, source)

    if backend == "sqlite":
        if authority:
            raise _fail(
                scheme,
                source,
                "SQLite URLs have no host: use sqlite:///relative.db (three slashes), "
                "sqlite:////absolute/path.db (four) or sqlite:// for an in-memory database",
            )
        database = unquote(path[1:]) if path else ""
        return DatabaseURL(backend, driver, database=database or _MEMORY, options=options)

    # A "%" that starts no escape is most often an unencoded password that spilled into
    # another field (SQLite paths are exempt: "100%.db" is a plain file name).
    if _BAD_ESCAPE_RE.search(rest):
        raise _fail(
            scheme,
            source,
            "invalid percent-escape: encode special characters in the user name, password "
            "and database name with urllib.parse.quote(value, safe='')",
        )
    userinfo, at, hostport = authority.rpartition("@")
    username: str | None = None
    password: str | None = None
    if at:
        user_raw, colon, password_raw = userinfo.partition(":")
        username = unquote(user_raw) or None
        password = unquote(password_raw) if colon else None
    host, port = _parse_hostport(hostport, scheme, source)
    db_name = unquote(path[1:]) if len(path) > 1 else None
    return DatabaseURL(
        backend,
        driver,
        username=username,
        password=password,
        host=host,
        port=port,
        database=db_name,
        options=options,
    )


def _parse_hostport(hostport: str, scheme: str, source: str) -> tuple[str | None, int | None]:
    port_text = ""
    if hostport.startswith("["):
        end = hostport.find("]")
        if end == -1:
            raise _fail(scheme, source, "unclosed '[' in an IPv6 host")
        host = hostport[1:end]
        after = hostport[end + 1 :]
        if after and not after.startswith(":"):
            raise _fail(scheme, source, "unexpected text after an IPv6 host")
        port_text = after[1:]
    else:
        if hostport.count(":") > 1:
            raise _fail(scheme, source, "an IPv6 host must be written in brackets, e.g. [::1]")
        host, _, port_text = hostport.partition(":")
    port: int | None = None
    if port_text:
        # The value is not echoed: with an unencoded ":" it may be part of the password.
        if not (port_text.isascii() and port_text.isdigit()) or not 1 <= int(port_text) <= 65535:
            raise _fail(scheme, source, "the port must be a number from 1 to 65535")
        port = int(port_text)
    return (unquote(host) or None), port


def _parse_options(query: str, scheme: str, source: str) -> _Options:
    options: dict[str, str] = {}
    for pair in query.split("&"):
        if not pair:
            continue
        raw_key, _, raw_value = pair.partition("=")
        key = unquote(raw_key)
        if not key:
            raise _fail(scheme, source, "a query option has no name")
        if key in options:
            # The key is not echoed: with an unencoded "?" or "&" it may be password text.
            raise _fail(scheme, source, "a query option is given more than once")
        options[key] = unquote(raw_value)
    return _Options(options)
