"""Statements per operation on PostgreSQL, from ``pg_stat_statements``.

``ensure(url)`` (run once by the runner) makes the extension usable in the benchmark
database: when the server does not preload the library and the server is a local Debian
cluster we may manage (we are root, ``pg_ctlcluster`` exists), it appends
``pg_stat_statements`` to ``shared_preload_libraries`` with ``ALTER SYSTEM``, restarts the
cluster and waits until it accepts connections again; then ``CREATE EXTENSION IF NOT
EXISTS``. When that is not possible it says why, and the results show "statements: n/a".

``Counter`` (used by a cell) resets the statistics of the benchmark database right before
the timed loop and reads them right after it. Utility statements (BEGIN, COMMIT, ROLLBACK,
SAVEPOINT, RESET, DISCARD…) are tracked by default, so a library's hidden round trips show.
The counter's own queries are excluded by their text.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from typing import Any

from admin import Admin
from config import url_parts

_OWN = "%pg_stat_statements%"


def _preloaded(admin: Admin) -> bool:
    value = str(admin.scalar("SHOW shared_preload_libraries") or "")
    return "pg_stat_statements" in [v.strip() for v in value.split(",")]


def _restart(admin: Admin, url: str) -> str | None:
    """Add the library to the preload list and restart a local cluster; None on success,
    else the reason it was not done."""
    if str(url_parts(url)["host"]) not in ("127.0.0.1", "localhost", "::1"):
        return "the server is not local"
    if os.geteuid() != 0 or not shutil.which("pg_ctlcluster"):
        return "not root, or no pg_ctlcluster to restart the server with"
    data_dir = str(admin.scalar("SHOW data_directory"))  # /var/lib/postgresql/15/main
    version, cluster = data_dir.rstrip("/").split("/")[-2:]
    current = str(admin.scalar("SHOW shared_preload_libraries") or "").strip()
    value = f"{current},pg_stat_statements" if current else "pg_stat_statements"
    admin.execute(f"ALTER SYSTEM SET shared_preload_libraries = '{value}'")
    admin.close()
    proc = subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, cluster, "restart"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    if proc.returncode != 0:
        return f"pg_ctlcluster restart failed: {proc.stderr.strip()[-200:]}"
    return None


def _wait_ready(url: str, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            Admin("postgresql", url, timeout=2).close()
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def ensure(url: str) -> dict[str, Any]:
    """Make ``pg_stat_statements`` usable in the database of ``url``; report what was done."""
    admin = Admin("postgresql", url)
    done: list[str] = []
    try:
        if not _preloaded(admin):
            reason = _restart(admin, url)
            if reason:
                return {"ok": False, "note": "pg_stat_statements is not preloaded and the "
                        f"benchmark could not enable it: {reason}"}  # fmt: skip
            done.append("added to shared_preload_libraries and restarted the server")
            _wait_ready(url)
            admin = Admin("postgresql", url)
        admin.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        admin.execute("SELECT pg_stat_statements_reset(0, 0, 0)")
        return {"ok": True, "note": "; ".join(done) or "already enabled"}
    except Exception as exc:
        return {"ok": False, "note": f"pg_stat_statements unusable: {type(exc).__name__}: {exc}"}
    finally:
        admin.close()


class Counter:
    """Per-cell statement counter on its own connection to the benchmark database."""

    def __init__(self, url: str) -> None:
        self._admin = Admin("postgresql", url)
        self._dbid = self._admin.scalar("SELECT oid FROM pg_database WHERE datname = "
                                        "current_database()")  # fmt: skip

    def reset(self) -> None:
        self._admin.execute("SELECT pg_stat_statements_reset(0, %s, 0)", (self._dbid,))

    def read(self) -> list[tuple[str, int]]:
        """(normalised statement text, calls) since ``reset``, most frequent first."""
        rows = self._admin.rows(
            "SELECT query, calls FROM pg_stat_statements WHERE dbid = %s AND query NOT ILIKE %s "
            "ORDER BY calls DESC, query",
            (self._dbid, _OWN),
        )
        return [(" ".join(str(q).split()), int(c)) for q, c in rows]

    def close(self) -> None:
        self._admin.close()
