"""Where the benchmark runs: paths, backends and the servers' URLs.

Servers: ``BENCH_POSTGRESQL_URL`` / ``BENCH_MYSQL_URL`` name the database to use as is.
Without them the servers of the test suite are used (``TWINSQL_TEST_POSTGRESQL_URL`` /
``TWINSQL_TEST_MYSQL_URL``, else ``postgresql://postgres@127.0.0.1:5432/test`` and
``mysql://root@127.0.0.1:3306/test``) but with a database of the benchmark's own,
``twinsql_bench``, created when missing: the benchmark's tables, its statement statistics
(``pg_stat_statements`` is filtered by database) and the tests' tables never mix. SQLite
uses ``bench/_work/bench.db``.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

BENCH = Path(__file__).resolve().parent
WORK = BENCH / "_work"
BACKENDS = ("sqlite", "postgresql", "mysql")
BENCH_DB = "twinsql_bench"
TITLES = {"sqlite": "SQLite", "postgresql": "PostgreSQL", "mysql": "MySQL/MariaDB"}

_DEFAULTS = {
    "postgresql": ("TWINSQL_TEST_POSTGRESQL_URL", "postgresql://postgres@127.0.0.1:5432/test"),
    "mysql": ("TWINSQL_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test"),
}


def with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + database))


def server_urls() -> dict[str, tuple[str, str | None]]:
    """Per backend: (the URL to benchmark on, the URL of an existing database from which
    to create it, or None when it is used as given)."""
    out: dict[str, tuple[str, str | None]] = {"sqlite": (f"sqlite:///{WORK / 'bench.db'}", None)}
    for backend, (test_var, default) in _DEFAULTS.items():
        explicit = os.environ.get(f"BENCH_{backend.upper()}_URL")
        if explicit:
            out[backend] = (explicit, None)
        else:
            base = os.environ.get(test_var) or default
            out[backend] = (with_database(base, BENCH_DB), base)
    return out


def with_port(url: str, port: int) -> str:
    """``url`` pointing at ``127.0.0.1:port`` (the delay proxy) instead of its server."""
    parts = urlsplit(url)
    auth = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
    return urlunsplit(parts._replace(netloc=f"{auth}127.0.0.1:{port}"))


def with_scheme(url: str, scheme: str) -> str:
    return scheme + "://" + url.split("://", 1)[1]


def host_port(url: str, default_port: int) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or default_port


def url_parts(url: str) -> dict[str, object]:
    """host, port, user, password, database of a server URL (decoded)."""
    parts = urlsplit(url)
    backend = "mysql" if url.startswith(("mysql", "mariadb")) else "postgresql"
    return {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or (3306 if backend == "mysql" else 5432),
        "user": unquote(parts.username or ("root" if backend == "mysql" else "postgres")),
        "password": unquote(parts.password or ""),
        "database": parts.path.lstrip("/"),
    }


def sqlite_path(url: str) -> str:
    """The file path of a ``sqlite:////abs/path`` or ``sqlite:///rel/path`` URL."""
    return url.split("sqlite:///", 1)[1]


def redact(url: str) -> str:
    """``url`` with any password replaced by ``***``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(":" + parts.password + "@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))
