# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""Read replicas on real replication: where each statement ran (the server itself says:
``pg_is_in_recovery()``/``inet_server_port()``, ``@@server_id``), read-your-writes with replay
held back on the replica, ``primary()``/``replica()``, the ORM, a replica stopped and
restarted, and the lag limit. Needs ``make topology``."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Generator
from typing import Any

import pytest

import twinsql
from tests import topology
from tests.orm_models import ALL_MODELS, Order, OrmBase, User
from twinsql._compat import async_sleep

_IS_ASYNC = True

DRIVERS = ["psycopg", "asyncpg", "mysql"] if _IS_ASYNC else ["psycopg", "mysql"]


@pytest.fixture(params=DRIVERS)
def driver(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def server(driver: str) -> str:
    return "mysql" if driver == "mysql" else "postgresql"


@pytest.fixture
def endpoints(server: str, driver: str) -> tuple[str, str]:
    return topology.urls(server, driver)


@pytest.fixture(autouse=True)
def turn(server: str, request: pytest.FixtureRequest) -> Generator[None, None, None]:
    """Runs at once take turns on the shared replica: see ``topology.replica_turn``."""
    alone = request.node.get_closest_marker("disturbs_replica") is not None
    with topology.replica_turn(server, alone):
        yield


@pytest.fixture
def paused(server: str, turn: None) -> Generator[None, None, None]:
    """Replay held back on the replica for the test (always resumed after it)."""
    topology.pause_replay(server)
    try:
        yield
    finally:
        topology.resume_replay(server)


@pytest.fixture
async def table(endpoints: tuple[str, str], server: str) -> AsyncIterator[str]:
    """A fresh table on the primary, replicated before the test starts."""
    name = f"rt_{uuid.uuid4().hex[:10]}"
    async with twinsql.connect_async(endpoints[0]) as db:
        await db.execute(f"CREATE TABLE {name} (id INTEGER PRIMARY KEY, node TEXT)")
        topology.wait_replicated(server)
        yield name
        await db.execute(f"DROP TABLE {name}")


def where_sql(server: str) -> str:
    """A read answering which node runs it."""
    if server == "postgresql":
        return "SELECT CAST(inet_server_port() AS TEXT) AS node"
    return "SELECT CAST(@@server_id AS CHAR) AS node"


def node_of(server: str, role: str) -> str:
    found = topology.state()
    if server == "postgresql":
        return str(found["pg_primary_port" if role == "primary" else "pg_replica_port"])
    return str(found["mysql_primary_server_id" if role == "primary" else "mysql_replica_server_id"])


def routed(endpoints: tuple[str, str], **options: Any) -> twinsql.AsyncDatabase:
    return twinsql.connect_async(endpoints[0], replicas=[endpoints[1]], **options)


async def test_reads_go_to_the_replica_and_writes_to_the_primary(
    endpoints: tuple[str, str], server: str, table: str
) -> None:
    async with routed(endpoints, read_your_writes=0) as db:
        assert await db.execute_scalar(where_sql(server)) == node_of(server, "replica")
        if server == "postgresql":
            assert await db.execute_scalar("SELECT pg_is_in_recovery()") is True
        # The write stores the node it ran on.
        node_expr = "CAST(inet_server_port() AS TEXT)" if server == "postgresql" else "@@server_id"
        await db.execute(f"INSERT INTO {table} (id, node) SELECT 1, {node_expr}")
        with db.primary():
            primary = node_of(server, "primary")
            assert await db.execute_scalar(f"SELECT node FROM {table}") == primary
            assert await db.execute_scalar(where_sql(server)) == node_of(server, "primary")
        # A transaction runs on the primary, reads included.
        async with db.transaction():
            assert await db.execute_scalar(where_sql(server)) == node_of(server, "primary")
        stats = db.node_stats()
        assert [s.role for s in stats] == ["primary", "replica"]
        assert stats[1].reads == (2 if server == "postgresql" else 1) and stats[1].in_rotation
        assert stats[1].pool.opened == 1 and stats[0].pool.opened >= 1


async def test_a_stream_reads_from_the_replica(endpoints: tuple[str, str], server: str) -> None:
    async with routed(endpoints) as db:
        rows = [row async for row in db.stream(where_sql(server))]
        assert rows == [{"node": node_of(server, "replica")}]
        assert db.node_stats()[1].reads == 1


async def test_the_url_form_names_replicas_by_host_and_port(
    endpoints: tuple[str, str], server: str
) -> None:
    port = endpoints[1].rsplit(":", 1)[1].split("/")[0]
    async with twinsql.connect_async(f"{endpoints[0]}?replicas=127.0.0.1:{port}") as db:
        assert await db.execute_scalar(where_sql(server)) == node_of(server, "replica")
        assert "replicas" not in db.url.redacted().split("?", 1)[0]


@pytest.mark.disturbs_replica
async def test_read_your_writes_with_replay_paused(
    endpoints: tuple[str, str], server: str, table: str, paused: None
) -> None:
    async with routed(endpoints, read_your_writes=30) as db:
        await db.execute(f"INSERT INTO {table} (id, node) VALUES (?, ?)", (1, "written"))
        # Right after the write this context reads from the primary, and sees it ...
        assert await db.execute_scalar(f"SELECT node FROM {table} WHERE id = 1") == "written"
        assert await db.execute_scalar(where_sql(server)) == node_of(server, "primary")
        # ... while the replica, forced, has not applied it: the lag is real.
        with db.replica():
            assert await db.execute_scalar(f"SELECT count(*) FROM {table}") == 0
            assert await db.execute_scalar(where_sql(server)) == node_of(server, "replica")


async def test_the_window_ends_and_reads_return_to_the_replica(
    endpoints: tuple[str, str], server: str, table: str
) -> None:
    # A window long enough that the read right after the write falls inside it on a
    # loaded machine too.
    async with routed(endpoints, read_your_writes=1.5) as db:
        await db.execute(f"INSERT INTO {table} (id, node) VALUES (?, ?)", (1, "x"))
        written = time.monotonic()
        assert await db.execute_scalar(where_sql(server)) == node_of(server, "primary")
        await async_sleep(max(0.0, 1.55 - (time.monotonic() - written)))
        assert await db.execute_scalar(where_sql(server)) == node_of(server, "replica")


async def test_a_write_inside_replica_is_refused_before_it_is_sent(
    endpoints: tuple[str, str], server: str, table: str
) -> None:
    async with routed(endpoints) as db:
        with db.replica(), pytest.raises(twinsql.ReplicaWriteError, match=r"db\.primary"):
            await db.execute(f"INSERT INTO {table} (id, node) VALUES (1, 'x')")
        with db.replica(), pytest.raises(twinsql.ReplicaWriteError):
            await db.execute(f"SELECT node FROM {table} FOR UPDATE")
        with db.primary():
            assert await db.execute_scalar(f"SELECT count(*) FROM {table}") == 0
        assert db.node_stats()[1].pool.opened == 0


@pytest.mark.disturbs_replica
async def test_the_orm_follows_the_routing(endpoints: tuple[str, str], server: str) -> None:
    async with routed(endpoints, read_your_writes=30) as db:
        with db.primary():
            await twinsql.drop_all_async(db, ALL_MODELS)
            await twinsql.create_all_async(db, ALL_MODELS)
        OrmBase.bind(db)
        try:
            user = await User.async_create(name="Ann", email="ann@example.com")
            await Order.async_create(user_id=user.id, total=5)
            topology.wait_replicated(server)
            topology.pause_replay(server)
            try:
                user.name = "Ann B"
                await user.async_save()
                # The save's context reads from the primary: the find sees the save.
                found = await User.async_find(user.id)
                assert found is not None and found.name == "Ann B"
                with db.replica():
                    stale = await User.async_find(user.id)
                    assert stale is not None and stale.name == "Ann"
            finally:
                topology.resume_replay(server)
        finally:
            with db.primary():
                await twinsql.drop_all_async(db, ALL_MODELS)


async def test_eager_loading_stays_on_the_node_of_the_parent(
    endpoints: tuple[str, str], server: str
) -> None:
    # Two entries in the rotation (the replica and the primary listed as a replica): without
    # staying on one node, the parent and its relation would alternate between them.
    async with twinsql.connect_async(
        endpoints[0], replicas=[endpoints[1], endpoints[0]], read_your_writes=0
    ) as db:
        with db.primary():
            await twinsql.drop_all_async(db, ALL_MODELS)
            await twinsql.create_all_async(db, ALL_MODELS)
        OrmBase.bind(db)
        try:
            user = await User.async_create(name="Bo", email="bo@example.com")
            await Order.async_create(user_id=user.id, total=7)
            topology.wait_replicated(server)
            for _ in range(4):
                before = [s.reads for s in db.node_stats()[1:]]
                users = await User.query().with_("orders").async_all()
                assert len(users[0].orders) == 1
                after = [s.reads for s in db.node_stats()[1:]]
                assert sorted(a - b for a, b in zip(after, before)) == [0, 2]
        finally:
            with db.primary():
                await twinsql.drop_all_async(db, ALL_MODELS)


@pytest.mark.disturbs_replica
async def test_a_stopped_replica_leaves_the_rotation_and_comes_back(
    endpoints: tuple[str, str], server: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with routed(endpoints, read_your_writes=0, replica_retry_interval=0.2) as db:
        assert await db.execute_scalar(where_sql(server)) == node_of(server, "replica")
        topology.stop_replica(server)
        try:
            # The read that finds the replica gone is answered by the primary at once (a
            # stream too, as long as it has yielded no row).
            rows = [row["node"] async for row in db.stream(where_sql(server))]
            assert rows == [node_of(server, "primary")]
            assert "left the rotation" in caplog.text
            stats = db.node_stats()
            assert not stats[1].in_rotation and stats[1].failures == 1
            assert stats[0].fallbacks >= 1
            assert await db.execute_scalar(where_sql(server)) == node_of(server, "primary")
        finally:
            topology.restart_topology()
        deadline = time.monotonic() + 30
        while not db.node_stats()[1].in_rotation:
            assert time.monotonic() < deadline, db.node_stats()[1]
            # Reads keep working meanwhile (and start the background probes).
            await db.execute_scalar("SELECT 1")
            await async_sleep(0.05)
        assert await db.execute_scalar(where_sql(server)) == node_of(server, "replica")
        assert db.node_stats()[1].recoveries == 1


@pytest.mark.disturbs_replica
async def test_a_replica_lagging_past_the_limit_gets_no_reads(
    endpoints: tuple[str, str], server: str, table: str
) -> None:
    async with routed(
        endpoints, read_your_writes=0, max_replica_lag=0.5, replica_retry_interval=0.1
    ) as db:
        await _wait_rotation(db, True)
        assert await db.execute_scalar(where_sql(server)) == node_of(server, "replica")
        topology.pause_replay(server)
        try:
            await db.execute(f"INSERT INTO {table} (id, node) VALUES (?, ?)", (1, "x"))
            await _wait_rotation(db, False)
            lag = db.node_stats()[1].lag
            assert lag is not None and lag > 0.5
            assert await db.execute_scalar(where_sql(server)) == node_of(server, "primary")
        finally:
            topology.resume_replay(server)
        await _wait_rotation(db, True)
        assert await db.execute_scalar(where_sql(server)) == node_of(server, "replica")


async def _wait_rotation(db: twinsql.AsyncDatabase, wanted: bool) -> None:
    deadline = time.monotonic() + 30
    while db.node_stats()[1].in_rotation is not wanted:
        assert time.monotonic() < deadline, db.node_stats()[1]
        await db.execute_scalar("SELECT 1")  # a routed read starts the due probes
        await async_sleep(0.05)
