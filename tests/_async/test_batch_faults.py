# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""Batcher faults against real servers.

A connection killed mid-batch (``pg_terminate_backend`` / ``KILL CONNECTION`` from an admin
connection), a COMMIT whose reply is lost (a small TCP proxy forwards the COMMIT and closes the
client side before the reply), an unreachable server (the proxy refuses), 100 constraint
errors, MariaDB's ``max_allowed_packet``. After every fault: the counts add up, no statement
is stored twice (a UNIQUE idempotency key would refuse it), and what the ledger calls applied
is exactly what the table holds (plus, for ``unknown`` statements, possibly those).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import twinsql
from tests import support
from tests._async.helpers import fresh_table, session_id
from tests.faultproxy import FaultProxy
from twinsql import (
    AsyncListQueryCollector,
    AsyncQueryCollector,
    AsyncSQLBatcher,
    CircuitBreaker,
    CircuitState,
    LedgerEntry,
    RetryPolicy,
)

COLUMNS = {"id": "BIGINT PRIMARY KEY", "k": "VARCHAR(64) NOT NULL UNIQUE",
           "n": "INTEGER CHECK (n >= 0)"}  # fmt: skip
NO_WAIT = RetryPolicy(max_attempts=3, base_delay=0.0, jitter=False)


def inserts(table: str, ids: range, bad: tuple[int, ...] = ()) -> list[tuple[str, Any]]:
    sql = f"INSERT INTO {table} (id, k, n) VALUES (?, ?, ?)"
    return [(sql, (i, f"key-{i}", -1 if i in bad else i)) for i in ids]


async def stored(db: twinsql.AsyncDatabase, table: str) -> list[int]:
    rows = await db.execute(f"SELECT id FROM {table} ORDER BY id")
    distinct = await db.execute_scalar(f"SELECT COUNT(DISTINCT k) FROM {table}")
    assert int(distinct) == len(rows)  # no statement ran twice
    return [int(r["id"]) for r in rows]


def check(report: twinsql.BatchReport, rows: list[int]) -> None:
    assert report.applied + report.rejected + report.pending + report.unknown == report.submitted
    applied = set(report.indices("applied"))
    assert applied <= set(rows) <= applied | set(report.indices("unknown"))


@pytest.fixture
def proxy(backend: str) -> Iterator[FaultProxy]:
    if backend == "sqlite":
        pytest.skip("SQLite runs in-process: no connection to cut")
    parsed = twinsql.parse_url(support.url_for(backend, ""))
    server = FaultProxy(parsed.host or "127.0.0.1", parsed.port or 0)
    try:
        yield server
    finally:
        server.close()


async def test_permanent_error_at_statement_k_in_each_mode(db: twinsql.AsyncDatabase) -> None:
    """All-or-nothing per batch, savepoint isolation, whole run, autocommit."""
    expectations = {
        ("per_batch", False): (0, 1, 49),
        ("per_batch", True): (49, 1, 0),
        ("whole", False): (0, 1, 49),
        ("whole", True): (49, 1, 0),
        ("none", False): (17, 1, 32),
        ("none", True): (49, 1, 0),
    }
    for (mode, isolate), (applied, rejected, pending) in expectations.items():
        table = await fresh_table(db, "bf_k", COLUMNS)
        batcher = AsyncSQLBatcher(db, transaction=mode, isolate_errors=isolate)
        report = await batcher.process_statements(inserts(table, range(50), bad=(17,)))
        assert (report.applied, report.rejected, report.pending) == (applied, rejected, pending), (
            mode, isolate, report.summary(),
        )  # fmt: skip
        assert report.indices("rejected") == [17]
        check(report, await stored(db, table))
        assert sorted(report.indices("applied")) == await stored(db, table)


async def test_connection_killed_mid_batch_is_retried_without_loss_or_duplicates(
    db: twinsql.AsyncDatabase, admin: twinsql.AsyncDatabase, backend: str
) -> None:
    """A killed connection: the server rolls the open batch back; the batcher retries it on a
    new connection."""
    if backend == "sqlite":
        pytest.skip("SQLite has no server session to kill")
    table = await fresh_table(db, "bf_kill", COLUMNS)
    killed: list[int | None] = []

    class Killer(AsyncQueryCollector):
        async def collect(self, query: str, metadata: dict[str, Any] | None = None) -> None:
            await super().collect(query, metadata)
            assert metadata is not None
            first, last = metadata["indices"]
            if first <= 45 <= last and not killed:
                # Runs on the batcher's own pinned connection, mid-transaction.
                victim = await session_id(db)
                killed.append(victim)
                await admin.execute(support.kill_sql(db.dialect.name), (victim,))

    statements = inserts(table, range(100))
    probe = AsyncSQLBatcher(db)
    await probe.add_statement(*statements[0])
    size = probe.current_size
    batcher = AsyncSQLBatcher(db, max_bytes=size * 10, isolate_errors=True, collector=Killer(),
                              retry=NO_WAIT)  # fmt: skip
    report = await batcher.process_statements(statements)
    assert killed and report.retries >= 1
    assert report.ok, report.summary()
    assert await stored(db, table) == list(range(100))
    attempts = [r["metadata"]["attempt"] for r in await batcher.collector.get_all()]  # type: ignore[union-attr]
    assert max(attempts) == 2


async def test_lost_commit_reply_is_unknown_until_reconciled(
    db: twinsql.AsyncDatabase, url: str, proxy: FaultProxy
) -> None:
    """COMMIT reached the server, its reply did not reach us: those statements are unknown."""
    table = await fresh_table(db, "bf_commit", COLUMNS)
    async with twinsql.connect_async(proxy.url(url), pool_size=2) as through_proxy:
        proxy.cut_after = b"COMMIT"
        batcher = AsyncSQLBatcher(through_proxy, retry=NO_WAIT)
        report = await batcher.process_statements(inserts(table, range(20)))
        assert proxy.cuts == 1
        assert isinstance(report.error, twinsql.CommitOutcomeUnknown)
        assert report.unknown == 20 and report.applied == 0
        assert report.retries == 0  # never retried blindly
        check(report, await stored(db, table))
        assert await stored(db, table) == list(range(20))  # it had committed after all

        asked: list[list[int]] = []

        async def reconcile(entries: list[LedgerEntry]) -> list[bool]:
            """Read the idempotency keys back (on a connection that did not break)."""
            asked.append([e.index for e in entries])
            keys = [e.params[1] for e in entries]
            marks = ", ".join(["?"] * len(keys))
            found = {r["k"] for r in await db.execute(
                f"SELECT k FROM {table} WHERE k IN ({marks})", keys)}  # fmt: skip
            return [key in found for key in keys]

        proxy.cut_after = b"COMMIT"
        reconciling = AsyncSQLBatcher(through_proxy, retry=NO_WAIT, reconcile=reconcile)
        report = await reconciling.process_statements(inserts(table, range(20, 50)))
        assert proxy.cuts == 2 and asked == [list(range(30))]
        assert report.ok and report.unknown == 0, report.summary()
        assert await stored(db, table) == list(range(50))


async def test_reconciled_as_not_applied_is_retried(
    db: twinsql.AsyncDatabase, url: str, proxy: FaultProxy
) -> None:
    table = await fresh_table(db, "bf_notapplied", COLUMNS)
    async with twinsql.connect_async(proxy.url(url), pool_size=2) as through_proxy:

        async def reconcile(entries: list[LedgerEntry]) -> list[bool]:
            # Pretend the first half was lost: delete it, and say so.
            lost = [e.params[0] for e in entries[: len(entries) // 2]]
            marks = ", ".join(["?"] * len(lost))
            await db.execute_non_query(f"DELETE FROM {table} WHERE id IN ({marks})", lost)
            return [e.params[0] not in lost for e in entries]

        proxy.cut_after = b"COMMIT"
        batcher = AsyncSQLBatcher(through_proxy, retry=NO_WAIT, reconcile=reconcile)
        report = await batcher.process_statements(inserts(table, range(10)))
        assert report.ok and report.retries == 1, report.summary()
        assert await stored(db, table) == list(range(10))


async def test_constraint_errors_do_not_open_the_breaker(db: twinsql.AsyncDatabase) -> None:
    """Statement errors (constraint violations) are not connection failures: the breaker
    stays closed."""
    table = await fresh_table(db, "bf_breaker", COLUMNS)
    breaker = CircuitBreaker(failure_threshold=5)
    batcher = AsyncSQLBatcher(db, circuit_breaker=breaker)
    for i in range(100):
        report = await batcher.process_statements(inserts(table, range(i, i + 1), bad=(i,)))
        assert isinstance(report.error, twinsql.CheckViolation)
    assert breaker.state is CircuitState.CLOSED and breaker.opened_count == 0
    isolating = AsyncSQLBatcher(db, circuit_breaker=breaker, isolate_errors=True)
    report = await isolating.process_statements(inserts(table, range(100), bad=tuple(range(100))))
    assert report.rejected == 100 and breaker.state is CircuitState.CLOSED


async def test_unreachable_server_opens_the_breaker_and_nothing_is_dropped(
    db: twinsql.AsyncDatabase, url: str, proxy: FaultProxy
) -> None:
    """The circuit breaker: open after N connection failures, fail fast while open, probe,
    close, deliver."""
    table = await fresh_table(db, "bf_outage", COLUMNS)
    now = [0.0]
    breaker = CircuitBreaker(failure_threshold=4, recovery_timeout=30.0, clock=lambda: now[0])
    proxy.refuse = True
    async with twinsql.connect_async(proxy.url(url), connect_timeout=5) as through_proxy:
        batcher = AsyncSQLBatcher(through_proxy, circuit_breaker=breaker, retry=NO_WAIT)
        for sql, params in inserts(table, range(10)):
            await batcher.add_statement(sql, params)
        with pytest.raises(twinsql.ConnectionLost):
            await batcher.flush()  # three attempts, three failures
        with pytest.raises(twinsql.CircuitOpenError):
            await batcher.flush()  # the fourth failure opened it
        assert breaker.state is CircuitState.OPEN
        reached = proxy.accepted
        assert reached >= 4  # one connection attempt (or more: drivers may retry) per failure
        for _ in range(5):
            with pytest.raises(twinsql.CircuitOpenError):
                await batcher.flush()
        with pytest.raises(twinsql.CircuitOpenError):
            await batcher.process_statements(inserts(table, range(10, 12)))
        assert proxy.accepted == reached  # while open, nothing reached the network
        assert batcher.pending == 10 and batcher.report.pending == 10  # nothing dropped
        proxy.refuse = False
        now[0] += 31  # half-open: one probe goes through, succeeds, and closes it
        assert await batcher.flush() == 10
        assert breaker.state is CircuitState.CLOSED
    assert await stored(db, table) == list(range(10))


async def test_oversized_statements_are_split_or_refused_before_sending(
    db: twinsql.AsyncDatabase, backend: str
) -> None:
    """A run larger than the packet is split; one statement larger alone is refused
    (MariaDB would answer 2006 and drop the connection)."""
    if backend != "mysql":
        pytest.skip("max_allowed_packet is MySQL/MariaDB's")
    table = await fresh_table(db, "bf_packet", {"id": "BIGINT PRIMARY KEY", "k": "VARCHAR(64)",
                                                "payload": "LONGTEXT"})  # fmt: skip
    packet = int(await db.execute_scalar("SELECT @@max_allowed_packet"))
    sql = f"INSERT INTO {table} (id, k, payload) VALUES (?, ?, ?)"
    chunk = "x" * (packet // 8)
    rows = [(sql, (i, f"k{i}", chunk)) for i in range(12)]  # 1.5 packets in all
    big = (sql, (99, "big", "y" * (packet + 1000)))
    batcher = AsyncSQLBatcher(db, max_bytes=packet * 4)
    report = await batcher.process_statements([*rows[:6], big, *rows[6:]])
    assert report.indices("rejected") == [6]
    assert isinstance(report.entry(6).error, twinsql.StatementTooLarge)
    assert "may be sent at once" in str(report.entry(6).error)
    # refused when its batch was planned: what follows stays queued (pending), not sent
    assert (report.applied, report.pending) == (6, 6) and report.indices("pending")[0] == 7
    assert db.pool_stats().discarded == 0  # no connection was lost to the size
    assert await batcher.flush() == 6
    more = [(sql, (i, f"k{i}", chunk)) for i in range(12, 18)]
    isolating = AsyncSQLBatcher(db, max_bytes=packet * 4, isolate_errors=True)
    report = await isolating.process_statements([big, *more])
    assert report.indices("rejected") == [0] and report.applied == 6
    assert await stored(db, table) == list(range(18))
    assert db.pool_stats().discarded == 0


async def test_serialization_failure_is_retried_and_applied_once(
    db: twinsql.AsyncDatabase, backend: str
) -> None:
    """A transient error before COMMIT: the batch was rolled back, so it runs again."""
    if backend not in ("psycopg", "asyncpg"):
        pytest.skip("SQLSTATE injection with DO blocks is PostgreSQL's")
    table = await fresh_table(db, "bf_retry", COLUMNS)
    await db.execute_non_query("DROP SEQUENCE IF EXISTS bf_retry_attempts")
    await db.execute_non_query("CREATE SEQUENCE bf_retry_attempts")
    # nextval is not rolled back: the first run of the batch fails, the second passes.
    flaky = (
        "DO $$ BEGIN IF nextval('bf_retry_attempts') = 1 THEN "
        "RAISE EXCEPTION 'try again' USING ERRCODE = '40001'; END IF; END $$"
    )
    statements: list[Any] = [*inserts(table, range(5)), flaky, *inserts(table, range(5, 10))]
    batcher = AsyncSQLBatcher(db, retry=NO_WAIT)
    report = await batcher.process_statements(statements)
    assert report.ok and report.retries == 1, report.summary()
    assert await stored(db, table) == list(range(10))
    no_retry = AsyncSQLBatcher(db, retry=RetryPolicy(max_attempts=1))
    await db.execute_non_query("ALTER SEQUENCE bf_retry_attempts RESTART")
    report = await no_retry.process_statements([*inserts(table, range(10, 12)), flaky])
    assert isinstance(report.error, twinsql.SerializationFailure)
    assert report.pending == 3 and report.rejected == 0  # not the statement's fault


async def test_copy_falls_back_to_inserts_for_columns_it_cannot_carry(
    db: twinsql.AsyncDatabase, backend: str
) -> None:
    """asyncpg's binary COPY has no format for twinsql's JSON codecs: the run is sent as
    multi-row INSERTs instead, with nothing lost or doubled."""
    if backend not in ("psycopg", "asyncpg"):
        pytest.skip("COPY is PostgreSQL's")
    table = await fresh_table(db, "bf_json", {"id": "BIGINT PRIMARY KEY", "doc": "json"})
    collector = AsyncListQueryCollector()
    sql = f"INSERT INTO {table} (id, doc) VALUES (?, ?)"
    statements = [(sql, (i, {"n": i, "tags": ["a", "b"]})) for i in range(300)]
    batcher = AsyncSQLBatcher(db, collector=collector, max_bytes=5000, copy_min_rows=10)
    report = await batcher.process_statements(statements)
    assert report.ok, report.summary()
    kinds = [r["metadata"]["kind"] for r in await collector.get_all()]
    if backend == "asyncpg":
        assert kinds[0] == "copy" and set(kinds[1:]) == {"values"}  # tried once, then not
    else:
        assert set(kinds) == {"copy"}
    rows = await db.execute(f"SELECT id, doc FROM {table} ORDER BY id")
    assert [r["doc"]["n"] for r in rows] == list(range(300))


async def test_a_refused_copy_is_remembered_by_its_batcher_only(
    db: twinsql.AsyncDatabase, backend: str
) -> None:
    """The batcher that saw its COPY refused sends that statement as multi-row INSERTs from
    then on; another batcher, given the same statement text, still tries COPY first."""
    if backend != "asyncpg":
        pytest.skip("only asyncpg's binary COPY refuses these columns")
    table = await fresh_table(db, "bf_json_each", {"id": "BIGINT PRIMARY KEY", "doc": "json"})
    sql = f"INSERT INTO {table} (id, doc) VALUES (?, ?)"

    def rows(ids: range) -> list[tuple[str, Any]]:
        return [(sql, (i, {"n": i})) for i in ids]

    async def kinds(batcher: AsyncSQLBatcher, ids: range) -> list[str]:
        collector = AsyncListQueryCollector()
        report = await batcher.process_statements(rows(ids), query_collector=collector)
        assert report.ok, report.summary()
        return [r["metadata"]["kind"] for r in await collector.get_all()]

    first = AsyncSQLBatcher(db, copy_min_rows=10)
    assert (await kinds(first, range(0, 50)))[0] == "copy"
    assert set(await kinds(first, range(50, 100))) == {"values"}
    other = AsyncSQLBatcher(db, copy_min_rows=10)
    again = await kinds(other, range(100, 150))
    assert again[0] == "copy" and set(again[1:]) == {"values"}
    assert await db.execute_scalar(f"SELECT COUNT(*) FROM {table}") == 150
