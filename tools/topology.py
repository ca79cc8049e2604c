"""Test tooling: the scale-out topology the replica and pooler tests run against.

``python tools/topology.py up`` (``make topology``) makes sure these run on free local ports:

* a PostgreSQL primary (its own cluster, ``wal_level = replica``, replication allowed from
  127.0.0.1 without a password) and one streaming replica cloned with ``pg_basebackup -R``;
* a MariaDB primary and one replica, two ``mariadbd`` processes with their own data
  directories, ``server_id`` and binary logs, replicating by GTID;
* PgBouncer in transaction pooling mode (a pool of 10 server connections per database and
  user) in front of the PostgreSQL primary.

It is idempotent: what already runs is reused, what exists but stopped is started, a broken
replica is cloned again. It writes the endpoints to a JSON state file (``.topology/state.json``
in the repository, or ``$TWINSQL_TOPOLOGY_STATE``), which the tests read.
``python tools/topology.py down`` (``make topology-down``) stops and removes all of it.

The shared servers on 5432/3306 are never touched: everything here has its own ports, data
directories and processes. It needs root (it creates PostgreSQL clusters and runs the servers
as their system users).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
STATE_DIR = REPO / ".topology"
STATE_FILE = Path(os.environ.get("TWINSQL_TOPOLOGY_STATE", STATE_DIR / "state.json"))
PG_VERSION = os.environ.get("TWINSQL_TOPOLOGY_PG_VERSION", "15")
# Cluster names carry a prefix so they never collide with a cluster someone else made.
PG_PRIMARY = "twinsql_primary"
PG_REPLICA = "twinsql_replica"
# Preferred ports; the next free one is taken when one is busy.
PREFERRED = {
    "pg_primary": 55432,
    "pg_replica": 55433,
    "pgbouncer": 56432,
    "mysql_primary": 53306,
    "mysql_replica": 53307,
}
MYSQL_SERVER_IDS = {"mysql_primary": 101, "mysql_replica": 102}


def log(message: str) -> None:
    print(f"topology: {message}", flush=True)


def run(*cmd: str, check: bool = True, user: str | None = None) -> str:
    if user is not None:
        cmd = ("runuser", "-u", user, "--", *cmd)
    done = subprocess.run(cmd, capture_output=True, text=True)
    if check and done.returncode != 0:
        raise SystemExit(f"topology: {' '.join(cmd)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def port_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def free_port(preferred: int, taken: set[int]) -> int:
    port = preferred
    while port in taken or port_answers(port):
        port += 1
    taken.add(port)
    return port


def wait_until(what: str, check: Any, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise SystemExit(f"topology: {what} not ready after {timeout:g} s")
        time.sleep(0.2)


def load_state() -> dict[str, Any]:
    try:
        state: dict[str, Any] = json.loads(STATE_FILE.read_text())
        return state
    except (OSError, ValueError):
        return {}


# -- PostgreSQL -----------------------------------------------------------------------------


def pg_clusters() -> dict[str, dict[str, Any]]:
    """Clusters of our version: name -> {port, online, datadir}."""
    out = run("pg_lsclusters", "--no-header", check=False)
    found = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 6 and parts[0] == PG_VERSION:
            found[parts[1]] = {
                "port": int(parts[2]),
                "online": parts[3].startswith("online"),
                "datadir": parts[5],
            }
    return found


def psql(port: int, sql: str, database: str = "postgres") -> str:
    return run(
        "psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-d", database,
        "-XtAc", sql,
    ).strip()  # fmt: skip


def pg_conf(name: str) -> Path:
    return Path("/etc/postgresql") / PG_VERSION / name


def ensure_pg_primary(taken: set[int]) -> int:
    clusters = pg_clusters()
    if PG_PRIMARY not in clusters:
        port = free_port(PREFERRED["pg_primary"], taken)
        log(f"creating PostgreSQL primary on port {port}")
        run("pg_createcluster", PG_VERSION, PG_PRIMARY, "--port", str(port))
    else:
        port = int(clusters[PG_PRIMARY]["port"])
        taken.add(port)
    conf = pg_conf(PG_PRIMARY)
    # Settings of our own go in conf.d, so that re-running replaces them instead of
    # appending duplicates.
    (conf / "conf.d").mkdir(exist_ok=True)
    (conf / "conf.d" / "twinsql.conf").write_text(
        "listen_addresses = '127.0.0.1'\n"
        "wal_level = replica\n"
        "max_wal_senders = 10\n"
        "max_connections = 300\n"
        "fsync = off\n"
        "synchronous_commit = off\n"
        "full_page_writes = off\n"
    )
    allow_replication(conf / "pg_hba.conf")
    if not pg_clusters()[PG_PRIMARY]["online"]:
        run("pg_ctlcluster", "--skip-systemctl-redirect", PG_VERSION, PG_PRIMARY, "start")
    else:
        run("pg_ctlcluster", "--skip-systemctl-redirect", PG_VERSION, PG_PRIMARY, "reload")
    wait_until("PostgreSQL primary", lambda: port_answers(port))
    if psql(port, "SHOW wal_level") != "replica":
        log("restarting the primary for wal_level")
        run("pg_ctlcluster", "--skip-systemctl-redirect", PG_VERSION, PG_PRIMARY, "restart")
        wait_until("PostgreSQL primary", lambda: port_answers(port))
    if psql(port, "SELECT 1 FROM pg_database WHERE datname = 'test'") != "1":
        psql(port, "CREATE DATABASE test")
    return port


def allow_replication(hba: Path) -> None:
    """Trust local replication and local users; the rules go first, since pg_hba.conf is
    read top-down and the first matching line decides (a scram line below would ask the
    replica for a password it does not have)."""
    rules = [
        "host replication all 127.0.0.1/32 trust",
        "host all all 127.0.0.1/32 trust",
    ]
    lines = hba.read_text().splitlines()
    kept = [line for line in lines if line.strip() not in rules]
    hba.write_text("\n".join([*rules, *kept]) + "\n")


def ensure_pg_replica(primary_port: int, taken: set[int]) -> int:
    clusters = pg_clusters()
    preferred = PREFERRED["pg_replica"]
    if PG_REPLICA in clusters:
        port = int(clusters[PG_REPLICA]["port"])
        taken.add(port)
        if not clusters[PG_REPLICA]["online"]:
            run(
                "pg_ctlcluster", "--skip-systemctl-redirect", PG_VERSION, PG_REPLICA, "start",
                check=False,
            )  # fmt: skip
        if port_answers(port) and replica_streams(port):
            # A replica left with replay paused by an interrupted test would lag for ever.
            psql(port, "SELECT pg_wal_replay_resume()")
            return port
        log("the PostgreSQL replica does not stream: cloning it again")
        run("pg_dropcluster", "--stop", PG_VERSION, PG_REPLICA)
        taken.discard(port)
        preferred = port
    port = free_port(preferred, taken)
    log(f"creating PostgreSQL replica on port {port}")
    run("pg_createcluster", PG_VERSION, PG_REPLICA, "--port", str(port))
    conf = pg_conf(PG_REPLICA)
    (conf / "conf.d").mkdir(exist_ok=True)
    (conf / "conf.d" / "twinsql.conf").write_text(
        "listen_addresses = '127.0.0.1'\n"
        "hot_standby = on\n"
        "max_connections = 300\n"
        "fsync = off\n"
        # Replay is not held back by queries on the replica: tests measure lag themselves.
        "max_standby_streaming_delay = 1s\n"
    )
    allow_replication(conf / "pg_hba.conf")
    datadir = pg_clusters()[PG_REPLICA]["datadir"]
    # pg_basebackup fills an empty directory; the cluster's own (postgres-owned) one is kept.
    for child in Path(datadir).iterdir():
        shutil.rmtree(child) if child.is_dir() else child.unlink()
    run(
        "pg_basebackup", "-h", "127.0.0.1", "-p", str(primary_port), "-U", "postgres",
        "-D", datadir, "-R", "-X", "stream", "-c", "fast",
        user="postgres",
    )  # fmt: skip
    run("pg_ctlcluster", "--skip-systemctl-redirect", PG_VERSION, PG_REPLICA, "start")
    wait_until("PostgreSQL replica", lambda: port_answers(port))
    wait_until("PostgreSQL replica streaming", lambda: replica_streams(port))
    return port


def replica_streams(port: int) -> bool:
    try:
        in_recovery = psql(port, "SELECT pg_is_in_recovery()")
        receiving = psql(
            port, "SELECT count(*) FROM pg_stat_wal_receiver WHERE status = 'streaming'"
        )
    except SystemExit:
        return False
    return in_recovery == "t" and receiving == "1"


# -- PgBouncer ------------------------------------------------------------------------------


def ensure_pgbouncer(primary_port: int, taken: set[int], previous: dict[str, Any]) -> int:
    if shutil.which("pgbouncer") is None:
        raise SystemExit("topology: pgbouncer is not installed (apt-get install -y pgbouncer)")
    home = STATE_DIR / "pgbouncer"
    home.mkdir(parents=True, exist_ok=True)
    pidfile = home / "pgbouncer.pid"
    port = previous.get("pgbouncer_port")
    if port and pid_alive(pidfile) and port_answers(port):
        taken.add(port)
        return int(port)
    stop_pid(pidfile)
    port = free_port(PREFERRED["pgbouncer"], taken)
    log(f"starting PgBouncer on port {port}")
    (home / "userlist.txt").write_text('"postgres" ""\n')
    (home / "pgbouncer.ini").write_text(
        "[databases]\n"
        f"* = host=127.0.0.1 port={primary_port}\n"
        "[pgbouncer]\n"
        "listen_addr = 127.0.0.1\n"
        f"listen_port = {port}\n"
        "unix_socket_dir =\n"
        "auth_type = trust\n"
        f"auth_file = {home / 'userlist.txt'}\n"
        "admin_users = postgres\n"
        "pool_mode = transaction\n"
        "default_pool_size = 10\n"
        "reserve_pool_size = 0\n"
        "max_client_conn = 1000\n"
        "ignore_startup_parameters = extra_float_digits,options\n"
        f"logfile = {home / 'pgbouncer.log'}\n"
        f"pidfile = {pidfile}\n"
    )
    shutil.chown(home, "postgres")
    for child in home.iterdir():
        shutil.chown(child, "postgres")
    run("pgbouncer", "-d", str(home / "pgbouncer.ini"), user="postgres")
    wait_until("PgBouncer", lambda: port_answers(int(port)))
    return int(port)


def pid_alive(pidfile: Path) -> bool:
    try:
        pid = int(pidfile.read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return False
    return True


def stop_pid(pidfile: Path) -> None:
    try:
        pid = int(pidfile.read_text().strip())
    except (OSError, ValueError):
        return
    try:
        os.kill(pid, 15)
    except OSError:
        return
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except OSError:
            return
        time.sleep(0.1)


# -- MariaDB --------------------------------------------------------------------------------


def mariadb(port: int, sql: str) -> str:
    return run(
        "mariadb", "-h", "127.0.0.1", "-P", str(port), "-u", "root", "-N", "-B", "-e", sql
    ).strip()


def ensure_mysql(name: str, taken: set[int], previous: dict[str, Any]) -> int:
    home = STATE_DIR / name
    datadir = home / "data"
    pidfile = home / "mariadbd.pid"
    port = previous.get(f"{name}_port")
    if port and pid_alive(pidfile) and port_answers(port):
        taken.add(port)
        return int(port)
    stop_pid(pidfile)
    port = free_port(PREFERRED[name], taken)
    if not (datadir / "mysql").is_dir():
        log(f"initialising {name} data directory")
        shutil.rmtree(home, ignore_errors=True)
        datadir.mkdir(parents=True)
        run(
            "mariadb-install-db", "--no-defaults", f"--datadir={datadir}", "--user=root",
            "--auth-root-authentication-method=normal", "--skip-test-db",
        )  # fmt: skip
    log(f"starting {name} on port {port}")
    subprocess.Popen(
        [
            "mariadbd", "--no-defaults", f"--datadir={datadir}", f"--port={port}",
            "--bind-address=127.0.0.1", f"--socket={home / 'mariadbd.sock'}",
            f"--pid-file={pidfile}", f"--log-error={home / 'error.log'}", "--user=root",
            f"--server-id={MYSQL_SERVER_IDS[name]}", f"--log-bin={home / 'binlog'}",
            "--log-slave-updates", "--skip-name-resolve", "--innodb-flush-log-at-trx-commit=2",
            "--max-connections=500",
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    wait_until(name, lambda: port_answers(int(port)))
    if name == "mysql_primary":
        mariadb(port, "CREATE DATABASE IF NOT EXISTS test")
    return int(port)


def slave_status(port: int) -> dict[str, str]:
    out = run(
        "mariadb", "-h", "127.0.0.1", "-P", str(port), "-u", "root", "-e", "SHOW SLAVE STATUS\\G"
    )
    pairs = (line.partition(":") for line in out.splitlines())
    return {k.strip(): v.strip() for k, sep, v in pairs if sep}


def ensure_mysql_replication(primary_port: int, replica_port: int) -> None:
    fields = slave_status(replica_port)
    if (
        fields.get("Slave_IO_Running") == "Yes"
        and fields.get("Slave_SQL_Running") == "Yes"
        and fields.get("Master_Port") == str(primary_port)
    ):
        return
    log("configuring MariaDB GTID replication")
    mariadb(
        replica_port,
        "STOP SLAVE; RESET SLAVE ALL; "
        f"CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT={primary_port}, "
        "MASTER_USER='root', MASTER_PASSWORD='', MASTER_USE_GTID=slave_pos, "
        "MASTER_CONNECT_RETRY=1; START SLAVE",
    )

    def running() -> bool:
        fields = slave_status(replica_port)
        return fields.get("Slave_IO_Running") == fields.get("Slave_SQL_Running") == "Yes"

    wait_until("MariaDB replication", running)


# -- entry points -----------------------------------------------------------------------------


def up() -> dict[str, Any]:
    started = time.monotonic()
    STATE_DIR.mkdir(exist_ok=True)
    previous = load_state()
    taken: set[int] = set()
    pg_primary = ensure_pg_primary(taken)
    pg_replica = ensure_pg_replica(pg_primary, taken)
    bouncer = ensure_pgbouncer(pg_primary, taken, previous)
    my_primary = ensure_mysql("mysql_primary", taken, previous)
    my_replica = ensure_mysql("mysql_replica", taken, previous)
    ensure_mysql_replication(my_primary, my_replica)
    state = {
        "pg_primary_port": pg_primary,
        "pg_replica_port": pg_replica,
        "pg_replica_cluster": [PG_VERSION, PG_REPLICA],
        "pgbouncer_port": bouncer,
        "mysql_primary_port": my_primary,
        "mysql_replica_port": my_replica,
        "mysql_primary_server_id": MYSQL_SERVER_IDS["mysql_primary"],
        "mysql_replica_server_id": MYSQL_SERVER_IDS["mysql_replica"],
        "mysql_replica_pidfile": str(STATE_DIR / "mysql_replica" / "mariadbd.pid"),
        "postgresql_url": f"postgresql://postgres@127.0.0.1:{pg_primary}/test",
        "postgresql_replica_url": f"postgresql://postgres@127.0.0.1:{pg_replica}/test",
        "pgbouncer_url": f"postgresql://postgres@127.0.0.1:{bouncer}/test",
        "mysql_url": f"mysql://root@127.0.0.1:{my_primary}/test",
        "mysql_replica_url": f"mysql://root@127.0.0.1:{my_replica}/test",
    }
    STATE_FILE.parent.mkdir(parents=True, exist_ok=True)
    STATE_FILE.write_text(json.dumps(state, indent=2) + "\n")
    log(f"ready in {time.monotonic() - started:.1f} s; endpoints in {STATE_FILE}")
    return state


def down() -> None:
    for name in ("mysql_replica", "mysql_primary"):
        stop_pid(STATE_DIR / name / "mariadbd.pid")
    stop_pid(STATE_DIR / "pgbouncer" / "pgbouncer.pid")
    clusters = pg_clusters()
    for cluster in (PG_REPLICA, PG_PRIMARY):
        if cluster in clusters:
            log(f"dropping PostgreSQL cluster {cluster}")
            run("pg_dropcluster", "--stop", PG_VERSION, cluster)
    shutil.rmtree(STATE_DIR, ignore_errors=True)
    if STATE_FILE.exists():
        STATE_FILE.unlink()
    log("down")


def main(argv: list[str]) -> int:
    if argv[1:] == ["up"]:
        up()
    elif argv[1:] == ["down"]:
        down()
    elif len(argv) == 3 and argv[1] == "get":
        # One endpoint of the running topology, e.g. `topology.py get pgbouncer_url`.
        value = load_state().get(argv[2])
        if value is None:
            print(f"topology: no {argv[2]!r} (run `make topology` first)", file=sys.stderr)
            return 1
        print(value)
    else:
        print("usage: topology.py up|down|get KEY", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
