# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""PgBouncer in transaction pooling mode (pool of 10 server connections), on the real thing:
no named prepared statements, session settings as SET LOCAL, the statement timeout per
transaction, clear refusals, the hint when the mode is off, and 200 concurrent clients
running the ORM over the 10 server connections. Needs ``make topology``."""

from __future__ import annotations

import functools
import logging
import threading
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import twinsql
from tests import topology
from tests._async.helpers import meeting_point, run_concurrently
from tests.orm_models import ALL_MODELS, Order, OrmBase, User
from twinsql.migrations.script import VERSION_TABLE

_IS_ASYNC = True

DRIVERS = ["psycopg", "asyncpg"] if _IS_ASYNC else ["psycopg"]


@pytest.fixture(params=DRIVERS)
def driver(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def bouncer_url(driver: str) -> str:
    return topology.pgbouncer_url(driver)


@pytest.fixture
def direct_url(driver: str) -> str:
    return topology.urls("postgresql", driver)[0]


@pytest.fixture
async def db(bouncer_url: str) -> AsyncIterator[twinsql.AsyncDatabase]:
    async with twinsql.connect_async(bouncer_url, pooler="pgbouncer") as database:
        yield database


_PREPARED = "SELECT count(*) FROM pg_prepared_statements"


async def test_no_named_prepared_statements(
    db: twinsql.AsyncDatabase, direct_url: str
) -> None:
    async with db.transaction():
        for i in range(10):
            assert await db.execute_scalar("SELECT ?::int + 1", (i,)) == i + 1
        assert await db.execute_scalar(_PREPARED) == 0
    # The same statements straight to PostgreSQL, with the driver's defaults, are prepared.
    async with twinsql.connect_async(direct_url) as direct, direct.transaction():
        for i in range(10):
            assert await direct.execute_scalar("SELECT ?::int + 1", (i,)) == i + 1
        assert await direct.execute_scalar(_PREPARED) >= 1


async def test_session_settings_become_set_local(
    db: twinsql.AsyncDatabase, direct_url: str
) -> None:
    name = f"tw_{uuid.uuid4().hex[:8]}"
    async with db.connection() as conn:
        await conn.execute(f"SET application_name = '{name}'")
        assert await conn.execute_scalar("SELECT current_setting('application_name')") == name
        async with conn.transaction():
            assert await conn.execute_scalar("SHOW application_name") == name
        # No server session kept it: each transaction set it for itself.
        async with twinsql.connect_async(direct_url) as direct:
            sessions = "SELECT count(*) FROM pg_stat_activity WHERE application_name = ?"
            assert await direct.execute_scalar(sessions, (name,)) == 0
        await conn.execute("RESET application_name")
        assert await conn.execute_scalar("SHOW application_name") != name


async def test_statement_timeout_is_applied_per_transaction(bouncer_url: str) -> None:
    async with twinsql.connect_async(bouncer_url, pooler="pgbouncer", statement_timeout=0.5) as db:
        # Not a startup parameter: the server session itself has no timeout.
        assert await db.execute_scalar("SHOW statement_timeout") == "0"
        async with db.transaction():
            assert await db.execute_scalar("SHOW statement_timeout") == "500ms"
        with pytest.raises(twinsql.StatementTimeout):
            async with db.transaction():
                await db.execute("SELECT pg_sleep(3)")
        # Outside a transaction twinsql's own deadline stops the statement.
        with pytest.raises(twinsql.StatementTimeout):
            await db.execute("SELECT pg_sleep(3)")
        assert await db.execute_scalar("SELECT 1") == 1


@pytest.mark.parametrize(
    "sql",
    [
        "LISTEN channel_x",
        "SELECT pg_advisory_lock(42)",
        "SELECT pg_try_advisory_lock_shared(42)",
        "CREATE TEMP TABLE tmp_x (id int)",
        "DECLARE c CURSOR WITH HOLD FOR SELECT 1",
        "PREPARE p AS SELECT 1",
    ],
)
async def test_what_needs_a_session_is_refused_before_it_is_sent(
    db: twinsql.AsyncDatabase, sql: str
) -> None:
    with pytest.raises(twinsql.PoolerUnsupported, match="pooler='pgbouncer'"):
        await db.execute(sql)
    assert await db.execute_scalar("SELECT 1") == 1


async def test_the_transaction_scoped_forms_work(db: twinsql.AsyncDatabase) -> None:
    async with db.transaction():
        await db.execute("SELECT pg_advisory_xact_lock(42)")
        await db.execute("CREATE TEMP TABLE tmp_y (id int) ON COMMIT DROP")
        await db.execute("INSERT INTO tmp_y VALUES (1), (2)")
        assert await db.execute_scalar("SELECT count(*) FROM tmp_y") == 2
        await db.execute("NOTIFY channel_x")


async def test_stream_through_the_pooler(db: twinsql.AsyncDatabase) -> None:
    rows = db.stream("SELECT n FROM generate_series(1, 5000) AS n", chunk_size=100)
    total = 0
    async for row in rows:
        total += row["n"]
    assert total == 5000 * 5001 // 2


async def test_the_mode_off_names_the_fix_once(caplog: pytest.LogCaptureFixture) -> None:
    bouncer_url = topology.pgbouncer_url("psycopg")
    topology.pgbouncer_fresh_servers()
    caplog.set_level(logging.WARNING, "twinsql.pool")
    # psycopg (prepare_threshold=0) prepares the statement on the server connection
    # PgBouncer gave this client first; another client then holds that server connection
    # in a transaction (PgBouncer hands out the most recently used server first), so the
    # next execution lands on another one, where the name is unknown.
    async with twinsql.connect_async(bouncer_url + "?prepare_threshold=0") as db:
        other = twinsql.connect_async(bouncer_url)
        try:
            for sql in ("SELECT 1 + ?::int", "SELECT 2 + ?::int"):
                async with db.connection() as held:
                    await held.execute_scalar(sql, (1,))
                    async with other.transaction():
                        await other.execute_scalar("SELECT 3")
                        with pytest.raises(twinsql.DatabaseError, match="prepared statement"):
                            await held.execute_scalar(sql, (1,))
        finally:
            await other.close()
            # Its prepared statements stay on PgBouncer's server connections: end them.
            topology.pgbouncer_fresh_servers()
    hints = [r for r in caplog.records if "pooler='pgbouncer'" in r.getMessage()]
    assert len(hints) == 1


async def test_200_clients_run_the_orm_over_10_server_connections(bouncer_url: str) -> None:
    async with twinsql.connect_async(
        bouncer_url, pooler="pgbouncer", pool_size=200, max_overflow=0, pool_timeout=60
    ) as db:
        await twinsql.drop_all_async(db, ALL_MODELS)
        await twinsql.create_all_async(db, ALL_MODELS)
        OrmBase.bind(db)
        peak = await _run_clients(db, 200)
        try:
            assert await User.query().async_count() == 200
            assert await Order.query().async_count() == 400
            totals = await Order.query().async_sum("total")
            assert totals == Decimal(sum(3 * i for i in range(200)))
            renamed = await User.query().where("name LIKE ?", "renamed%").async_count()
            assert renamed == 200
            # 200 client connections were open at once; PgBouncer never used more than its pool.
            assert peak <= 10
            assert db.pool_stats().opened == 200
        finally:
            await twinsql.drop_all_async(db, ALL_MODELS)


async def _client(db: twinsql.AsyncDatabase, i: int, gate: Any) -> None:
    async with db.connection():
        await gate.wait()  # every client holds a connection of its own at the same time
    user = await User.async_create(name=f"user {i}", email=f"u{i}@example.com", age=i % 90)
    async with db.transaction():
        await Order.async_create(user_id=user.id, total=Decimal(i))
        await Order.async_create(user_id=user.id, total=Decimal(2 * i))
    found = await User.query().where("id = ?", user.id).with_("orders").async_first()
    assert found is not None and len(found.orders) == 2
    found.name = f"renamed {i}"
    await found.async_save()


async def _run_clients(db: twinsql.AsyncDatabase, clients: int) -> int:
    """Run ``clients`` clients at once; the most server connections PgBouncer had open."""
    peak = 0
    stop = threading.Event()

    def watch() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, topology.pgbouncer_server_connections())
            stop.wait(0.02)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        gate = meeting_point(clients)
        calls = [functools.partial(_client, db, i, gate) for i in range(clients)]
        results = await run_concurrently(calls)
    finally:
        stop.set()
        watcher.join()
    failures = [r for r in results if isinstance(r, BaseException)]
    assert not failures, failures[:3]
    return peak


async def test_migrations_say_they_need_a_direct_connection(
    db: twinsql.AsyncDatabase, direct_url: str, tmp_path: Path
) -> None:
    with pytest.raises(twinsql.MigrationError, match="direct connection"):
        await twinsql.migrate_async(db, tmp_path)
    async with twinsql.connect_async(direct_url) as direct:
        found = await direct.execute_scalar("SELECT to_regclass(?)::text", (VERSION_TABLE,))
        assert found is None
