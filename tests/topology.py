"""Test support for the scale-out tests (hand-written, shared by both modes): the endpoints
``make topology`` started (read from its state file), this run's databases on them, and the
admin actions the tests take on the replicas (pause replay, stop and restart a replica).

The state file is ``.topology/state.json`` in the repository or ``$TWINSQL_TOPOLOGY_STATE``.
Without it the tests skip, saying how to start the topology; under ``CI=true`` they fail.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import support

REPO = Path(__file__).resolve().parent.parent
STATE_FILE = Path(os.environ.get("TWINSQL_TOPOLOGY_STATE", REPO / ".topology" / "state.json"))

_created: set[str] = set()


def state() -> dict[str, Any]:
    """The topology's endpoints; skips (fails under CI) when it was not started."""
    try:
        found: dict[str, Any] = json.loads(STATE_FILE.read_text())
    except (OSError, ValueError):
        message = "the scale-out topology is not running: start it with `make topology`"
        if support.IN_CI:
            pytest.fail(f"CI=true: {message}", pytrace=False)
        pytest.skip(message)
    return found


def _pg(port: int, sql: str, database: str = "postgres") -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(
        host="127.0.0.1", port=port, user="postgres", dbname=database, autocommit=True
    ) as conn:
        cursor = conn.execute(sql.encode())
        return cursor.fetchall() if cursor.description else []


def _my(port: int, sql: str) -> list[tuple[Any, ...]]:
    import pymysql

    conn = pymysql.connect(host="127.0.0.1", port=port, user="root", password="")
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql)
            return list(cursor.fetchall())
    finally:
        conn.close()


def _wait(what: str, check: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return
        except Exception:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout:g} s")
        time.sleep(0.05)


def urls(server: str, driver: str) -> tuple[str, str]:
    """(primary URL, replica URL) of ``server`` for ``driver``, on this run's database
    (created on the primary the first time, and waited for on the replica)."""
    found = state()
    database = support.RUN_DATABASE
    if server == "postgresql":
        primary, replica = found["pg_primary_port"], found["pg_replica_port"]
        if server not in _created:
            _pg(primary, f'CREATE DATABASE "{database}"')
            _created.add(server)
            _wait(
                "the run database on the replica",
                lambda: _pg(replica, f"SELECT 1 FROM pg_database WHERE datname = '{database}'"),
            )
        scheme = "postgresql+asyncpg" if driver == "asyncpg" else "postgresql"
    else:
        primary, replica = found["mysql_primary_port"], found["mysql_replica_port"]
        if server not in _created:
            _my(primary, f"CREATE DATABASE `{database}`")
            _created.add(server)
            _wait(
                "the run database on the replica",
                lambda: _my(replica, f"SHOW DATABASES LIKE '{database}'"),
            )
        scheme = "mysql"
    user = "postgres" if server == "postgresql" else "root"
    return (
        f"{scheme}://{user}@127.0.0.1:{primary}/{database}",
        f"{scheme}://{user}@127.0.0.1:{replica}/{database}",
    )


def pgbouncer_url(driver: str) -> str:
    """The run's PostgreSQL database through PgBouncer (transaction pooling)."""
    urls("postgresql", driver)
    scheme = "postgresql+asyncpg" if driver == "asyncpg" else "postgresql"
    return f"{scheme}://postgres@127.0.0.1:{state()['pgbouncer_port']}/{support.RUN_DATABASE}"


def drop_run_databases() -> None:
    if not _created:
        return
    found = json.loads(STATE_FILE.read_text())
    if "postgresql" in _created:
        drop = f'DROP DATABASE IF EXISTS "{support.RUN_DATABASE}" WITH (FORCE)'
        _pg(found["pg_primary_port"], drop)
    if "mysql" in _created:
        _my(found["mysql_primary_port"], f"DROP DATABASE IF EXISTS `{support.RUN_DATABASE}`")


# -- what the tests do to a replica --------------------------------------------------------------


def pause_replay(server: str) -> None:
    """Stop applying changes on the replica (they still arrive): lag becomes certain."""
    if server == "postgresql":
        _pg(state()["pg_replica_port"], "SELECT pg_wal_replay_pause()")
    else:
        _my(state()["mysql_replica_port"], "STOP SLAVE SQL_THREAD")


def resume_replay(server: str) -> None:
    if server == "postgresql":
        _pg(state()["pg_replica_port"], "SELECT pg_wal_replay_resume()")
    else:
        _my(state()["mysql_replica_port"], "START SLAVE SQL_THREAD")


def wait_replicated(server: str) -> None:
    """Wait until the replica has applied everything the primary has written."""
    found = state()
    if server == "postgresql":
        lsn = _pg(found["pg_primary_port"], "SELECT pg_current_wal_insert_lsn()::text")[0][0]
        _wait(
            "replay on the replica",
            lambda: _pg(
                found["pg_replica_port"],
                f"SELECT pg_last_wal_replay_lsn() >= '{lsn}'::pg_lsn",
            )[0][0],
        )
    else:
        gtid = _my(found["mysql_primary_port"], "SELECT @@gtid_binlog_pos")[0][0]
        _wait(
            "replay on the replica",
            lambda: _my(
                found["mysql_replica_port"], f"SELECT MASTER_GTID_WAIT('{gtid}', 1)"
            )[0][0]
            == 0,
        )


def stop_replica(server: str) -> None:
    """Stop the replica's server process (its clients see connections refused)."""
    found = state()
    if server == "postgresql":
        version, cluster = found["pg_replica_cluster"]
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", version, cluster, "stop", "-m", "fast"],
            check=True,
            capture_output=True,
        )
    else:
        pid = int(Path(found["mysql_replica_pidfile"]).read_text().strip())
        os.kill(pid, 15)
        _wait("the MariaDB replica to stop", lambda: not _alive(pid))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def restart_topology() -> None:
    """Bring every piece of the topology back (what ``make topology`` does)."""
    subprocess.run(
        [sys.executable, str(REPO / "tools" / "topology.py"), "up"],
        check=True,
        capture_output=True,
    )


def _bouncer_admin(command: str) -> list[str]:
    return subprocess.run(
        ["psql", "-h", "127.0.0.1", "-p", str(state()["pgbouncer_port"]), "-U", "postgres",
         "-d", "pgbouncer", "-XAF", "|", "-c", command],
        check=True, capture_output=True, text=True,
    ).stdout.splitlines()  # fmt: skip


def pgbouncer_fresh_servers() -> None:
    """Drop PgBouncer's connections to this run's database, so that the next server
    connections are new sessions (no prepared statements left by earlier tests)."""
    _bouncer_admin(f"KILL {support.RUN_DATABASE}")
    _bouncer_admin(f"RESUME {support.RUN_DATABASE}")


def pgbouncer_server_connections() -> int:
    """Server connections PgBouncer has open for this run's database (its admin console
    speaks the simple query protocol only: asked through psql)."""
    out = _bouncer_admin("SHOW POOLS")
    header = out[0].split("|")
    total = 0
    for line in out[1:]:
        row = dict(zip(header, line.split("|")))
        if row.get("database") == support.RUN_DATABASE:
            states = ("sv_active", "sv_idle", "sv_used", "sv_tested", "sv_login")
            total += sum(int(row[k]) for k in states)
    return total


# The advisory lock key of the turns on the topology's PostgreSQL primary ("twrepl").
_TURN_KEY = 0x7477_7265_706C


@contextlib.contextmanager
def replica_turn(server: str, alone: bool) -> Iterator[None]:
    """Every test run on this machine shares the topology's PostgreSQL primary and replica (the
    MariaDB pair belongs to one checkout). A test that holds replay back or stops the replica
    takes them ``alone``; every other replica test shares its turn with the other runs' —
    a session advisory lock on the primary, held on a connection of its own for the test."""
    if server != "postgresql":
        yield
        return
    import psycopg

    take = "pg_advisory_lock" if alone else "pg_advisory_lock_shared"
    with psycopg.connect(
        host="127.0.0.1", port=state()["pg_primary_port"], user="postgres", dbname="postgres",
        autocommit=True,
    ) as conn:  # fmt: skip
        conn.execute(f"SELECT {take}(%s)".encode(), (_TURN_KEY,))
        yield  # the session's end releases the lock
