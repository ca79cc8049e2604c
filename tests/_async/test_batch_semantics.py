# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""What the batcher's statements mean, on every backend: merged INSERTs mean what the
single statements mean, statements that refuse a transaction run alone, errors that are a
statement's are that statement's, and every statement of a list is accounted for."""

from __future__ import annotations

import random
import uuid
from typing import Any

import pytest

import twinsql
from tests import support
from tests._async.helpers import fresh_table, run_concurrently, session_id
from twinsql import AsyncListQueryCollector, AsyncSQLBatcher
from twinsql._compat import async_sleep


async def rows_of(db: twinsql.AsyncDatabase, table: str, columns: str) -> list[tuple[Any, ...]]:
    rows = await db.execute(f"SELECT {columns} FROM {table} ORDER BY id")
    return [tuple(row.values()) for row in rows]


def reads_the_rows_before(backend: str, table: str) -> str:
    """A value that depends on the rows inserted before it: a subquery on the table being
    filled, or (MySQL refuses that subquery) the id the statement before generated."""
    if backend == "mysql":
        return "LAST_INSERT_ID()"
    if backend == "sqlite":
        return f"(SELECT COUNT(*) FROM {table}) + last_insert_rowid()"
    return f"(SELECT COUNT(*) FROM {table})"


async def test_merged_inserts_mean_what_the_single_statements_mean(
    db: twinsql.AsyncDatabase, backend: str
) -> None:
    """Differential: the same statements through the batcher and one by one through the
    connection give the same rows."""
    serial = {"sqlite": "INTEGER PRIMARY KEY", "postgresql": "SERIAL PRIMARY KEY",
              "mysql": "INTEGER AUTO_INCREMENT PRIMARY KEY"}[db.dialect.name]  # fmt: skip
    columns = {"id": serial, "prev": "BIGINT", "label": "VARCHAR(20)"}
    results = []
    for name, through_batcher in (("bs_merge_b", True), ("bs_merge_s", False)):
        table = await fresh_table(db, name, columns)
        value = reads_the_rows_before(backend, table)
        statements = [
            *[f"INSERT INTO {table} (prev, label) VALUES ({value}, 'r{i}')" for i in range(3)],
            *[(f"INSERT INTO {table} (prev, label) VALUES ({value}, ?)", (f"p{i}",))
              for i in range(3)],
        ]  # fmt: skip
        if through_batcher:
            collector = AsyncListQueryCollector()
            report = await AsyncSQLBatcher(db, collector=collector).process_statements(statements)
            assert report.ok, report.summary()
            # executemany runs the statement once per row: only a merged one would differ
            kinds = {r["metadata"]["kind"] for r in await collector.get_all()}
            assert kinds <= {"single", "many"} and "single" in kinds
        else:
            async with db.connection() as conn:  # one session, as the batcher's
                for statement in statements:
                    sql, params = statement if isinstance(statement, tuple) else (statement, None)
                    await conn.execute_non_query(sql, params)
        results.append(await rows_of(db, table, "id, prev, label"))
    # The first row's LAST_INSERT_ID() is what the pooled connection last generated: the
    # rows after it are compared whole.
    assert [row[0::2] for row in results[0]] == [row[0::2] for row in results[1]]
    assert results[0][1:] == results[1][1:]
    assert len({prev for _, prev, _ in results[0][1:]}) == 5  # each row saw the ones before


async def test_a_repeated_name_binds_each_merged_row_its_own_values(
    db: twinsql.AsyncDatabase,
) -> None:
    table = await fresh_table(db, "bs_named", {"id": "BIGINT PRIMARY KEY", "a": "BIGINT",
                                               "b": "BIGINT", "c": "VARCHAR(20)"})  # fmt: skip
    sql = f"INSERT INTO {table} (id, a, b, c) VALUES (:id, :v, :v, :c)"
    statements = [(sql, {"id": i, "v": i * 10, "c": f"c{i}"}) for i in range(5)]
    collector = AsyncListQueryCollector()
    report = await AsyncSQLBatcher(db, collector=collector, copy_min_rows=None).process_statements(
        statements
    )
    assert report.ok, report.summary()
    assert [r["metadata"]["kind"] for r in await collector.get_all()] == ["values"]
    assert await rows_of(db, table, "id, a, b, c") == [
        (i, i * 10, i * 10, f"c{i}") for i in range(5)
    ]


async def test_no_merging_under_a_mysql_sql_mode_that_is_not_strict(url: str, backend: str) -> None:
    """A multi-row INSERT would store the NULL as '' with a warning; the single statement
    fails, as it does alone."""
    if backend != "mysql":
        pytest.skip("sql_mode is MySQL's")
    async with twinsql.connect_async(url, pool_size=1, max_overflow=0) as db:
        table = await fresh_table(db, "bs_mode", {"id": "BIGINT PRIMARY KEY",
                                                  "name": "VARCHAR(20) NOT NULL"})  # fmt: skip
        sql = f"INSERT INTO {table} (id, name) VALUES (?, ?)"
        rows = [(sql, (i, None if i == 2 else f"n{i}")) for i in range(4)]
        collector = AsyncListQueryCollector()
        batcher = AsyncSQLBatcher(db, isolate_errors=True, collector=collector)
        report = await batcher.process_statements(["SET SESSION sql_mode = ''", *rows])
        assert report.indices("rejected") == [3] and report.applied == 4, report.summary()
        assert isinstance(report.entry(3).error, twinsql.IntegrityError)
        assert await rows_of(db, table, "id, name") == [(0, "n0"), (1, "n1"), (3, "n3")]
        assert "values" not in {r["metadata"]["kind"] for r in await collector.get_all()}
        # Back in a strict mode, the same statements merge again.
        strict = await batcher.process_statements(
            ["SET SESSION sql_mode = DEFAULT", *[(sql, (i, f"m{i}")) for i in range(10, 13)]]
        )
        assert strict.ok, strict.summary()
        kinds = [r["metadata"]["kind"] for r in await collector.get_all()]
        assert kinds[-1] == "values"


async def test_statements_that_refuse_a_transaction_run_alone(
    db: twinsql.AsyncDatabase, backend: str
) -> None:
    """In the default mode (a transaction per batch) they run alone, in autocommit."""
    if backend == "mysql":
        pytest.skip("MySQL commits such statements implicitly: covered by the planner")
    mood = ""
    table = await fresh_table(db, "bs_notx", {"id": "BIGINT PRIMARY KEY", "n": "BIGINT"})
    statements: list[Any] = [(f"INSERT INTO {table} (id, n) VALUES (?, ?)", (i, i))
                             for i in range(3)]  # fmt: skip
    if backend == "sqlite":
        statements += ["VACUUM"]
    else:
        mood = "bs_mood"
        await db.execute_non_query(f"DROP TYPE IF EXISTS {mood}")
        await db.execute_non_query(f"CREATE TYPE {mood} AS ENUM ('sad')")
        await db.execute_non_query(f"ALTER TABLE {table} ADD COLUMN m {mood}")
        statements += [
            f"CREATE INDEX CONCURRENTLY bs_notx_n ON {table} (n)",
            f"ALTER TYPE {mood} ADD VALUE 'happy'",
            # the new value is used at once: it must have been committed alone
            f"INSERT INTO {table} (id, n, m) VALUES (3, 3, 'happy')",
            "DROP INDEX CONCURRENTLY bs_notx_n",
            f"VACUUM {table}",
        ]
    statements.append((f"INSERT INTO {table} (id, n) VALUES (?, ?)", (9, 9)))
    collector = AsyncListQueryCollector()
    report = await AsyncSQLBatcher(db, collector=collector).process_statements(statements)
    assert report.ok, report.summary()
    ids = [row[0] for row in await rows_of(db, table, "id")]
    assert ids == ([0, 1, 2, 9] if backend == "sqlite" else [0, 1, 2, 3, 9])
    if mood:
        await db.execute_non_query(f"DROP TABLE {table}")
        await db.execute_non_query(f"DROP TYPE {mood}")


async def test_isolate_errors_rejects_a_statement_whose_error_is_classed_operational(
    db: twinsql.AsyncDatabase, backend: str
) -> None:
    """MySQL 1136 (column count) and PostgreSQL 54000 (program limit) are the statement's:
    under isolate_errors it is rejected, named, and the load goes on."""
    table = await fresh_table(db, "bs_oper", {"id": "BIGINT PRIMARY KEY", "n": "BIGINT",
                                              "t": "TEXT"})  # fmt: skip
    bad: Any = f"INSERT INTO {table} (id, n) VALUES (1, 1, 1)"  # MySQL 1136
    if db.dialect.name == "postgresql":
        await db.execute_non_query(f"CREATE INDEX bs_oper_t ON {table} (t)")
        # A btree entry over a third of a page that does not compress: 54000.
        noise = random.Random(7).randbytes(6000).hex()
        bad = (f"INSERT INTO {table} (id, n, t) VALUES (?, ?, ?)", (1, 1, noise))
    sql = f"INSERT INTO {table} (id, n) VALUES (?, ?)"
    statements = [(sql, (0, 0)), bad, (sql, (2, 2)), (sql, (3, 3))]
    report = await AsyncSQLBatcher(db, isolate_errors=True).process_statements(statements)
    assert report.indices("rejected") == [1] and report.applied == 3, report.summary()
    assert report.error is None
    assert [row[0] for row in await rows_of(db, table, "id")] == [0, 2, 3]
    # Without isolate_errors the statement is still the one blamed: rejected, named.
    await db.execute_non_query(f"DELETE FROM {table}")
    report = await AsyncSQLBatcher(db).process_statements(statements)
    assert report.indices("rejected") == [1] and report.entry(1).sql is not None
    assert report.indices("pending") == [0, 2, 3], report.summary()
    assert await rows_of(db, table, "id") == []


async def test_every_statement_of_a_list_is_accounted_for(db: twinsql.AsyncDatabase) -> None:
    table = await fresh_table(db, "bs_count", {"id": "BIGINT PRIMARY KEY", "n": "BIGINT"})
    sql = f"INSERT INTO {table} (id, n) VALUES (?, ?)"
    statements = [(sql, (i, i)) for i in range(1000)]
    statements[600] = (sql, (0, 600))  # a duplicate key: the run stops there
    probe = AsyncSQLBatcher(db)
    await probe.add_statement(*statements[0])
    batcher = AsyncSQLBatcher(db, max_bytes=probe.current_size * 100)
    report = await batcher.process_statements(statements)
    counts = report.counts
    assert counts.submitted == 1000
    assert counts.applied + counts.rejected + counts.pending + counts.unknown == 1000
    assert report.indices("rejected") == [600]
    assert report.applied == 600 and report.pending == 399
    assert report.pending_statements() == statements[601:]
    assert [row[0] for row in await rows_of(db, table, "id")] == list(range(600))
    # a generator has no length: what it never yielded is not in the report
    gen_table = await fresh_table(db, "bs_count_gen", {"id": "BIGINT PRIMARY KEY"})
    gen_sql = f"INSERT INTO {gen_table} (id) VALUES (?)"
    generated = AsyncSQLBatcher(db, max_bytes=probe.current_size * 100)
    report = await generated.process_statements((gen_sql, (i % 600,)) for i in range(1000))
    assert report.submitted < 1000 and report.indices("rejected")


NO_WAIT = twinsql.RetryPolicy(max_attempts=3, base_delay=0.0, jitter=False)


async def test_session_statements_are_replayed_on_the_connection_a_retry_takes(
    db: twinsql.AsyncDatabase, admin: twinsql.AsyncDatabase, backend: str
) -> None:
    """The batcher's connection is killed mid-batch, after the script's SET search_path /
    USE committed: the retry runs them again on its new connection before anything else,
    so the table lands where the script put it."""
    if backend == "sqlite":
        pytest.skip("SQLite has no server session to kill")
    place = f"bs_replay_{uuid.uuid4().hex[:10]}"
    mysql = db.dialect.name == "mysql"
    await admin.execute_non_query(f"CREATE {'DATABASE' if mysql else 'SCHEMA'} {place}")
    killed: list[int] = []

    class Killer(AsyncListQueryCollector):
        async def collect(self, query: str, metadata: dict[str, Any] | None = None) -> None:
            await super().collect(query, metadata)
            assert metadata is not None
            first, last = metadata["indices"]
            if first <= 10 <= last and not killed:
                victim = await session_id(db)  # the batcher's own pinned connection
                assert victim is not None
                killed.append(victim)
                await admin.execute(support.kill_sql(db.dialect.name), (victim,))

    try:
        sql = "INSERT INTO bs_replay (id, n) VALUES (?, ?)"
        statements: list[Any] = [
            f"USE {place}" if mysql else f"SET search_path = {place}",
            "CREATE TABLE bs_replay (id BIGINT PRIMARY KEY, n BIGINT)",
            *[(sql, (i, i)) for i in range(30)],
        ]
        batcher = AsyncSQLBatcher(db, collector=Killer(), retry=NO_WAIT, max_bytes=400)
        report = await batcher.process_statements(statements)
        assert killed and report.retries >= 1
        assert report.ok, report.summary()
        rows = await admin.execute(f"SELECT id FROM {place}.bs_replay ORDER BY id")
        assert [int(r["id"]) for r in rows] == list(range(30))
        # nothing landed in the connection's default schema / database
        default = "DATABASE()" if mysql else "'public'"
        strays = await admin.execute_scalar(
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 'bs_replay' "
            f"AND table_schema = {default}"
        )
        assert int(strays) == 0
    finally:
        await admin.execute_non_query(
            f"DROP DATABASE {place}" if mysql else f"DROP SCHEMA {place} CASCADE"
        )


async def test_writes_to_a_table_that_cannot_roll_back_are_settled_one_by_one(
    db: twinsql.AsyncDatabase, backend: str
) -> None:
    """MyISAM keeps what a failed batch wrote: its statements run alone, unmerged, and the
    ledger says exactly which rows are in the table."""
    if backend != "mysql":
        pytest.skip("MyISAM is MySQL's")
    sql = "INSERT INTO {} (id, n) VALUES (?, ?)"
    for isolate in (False, True):
        myisam = await fresh_table(db, "bs_myisam", {"id": "BIGINT PRIMARY KEY", "n": "BIGINT"})
        await db.execute_non_query(f"ALTER TABLE {myisam} ENGINE=MyISAM")
        innodb = await fresh_table(db, "bs_innodb", {"id": "BIGINT PRIMARY KEY", "n": "BIGINT"})
        statements: list[Any] = [(sql.format(myisam), (i, i)) for i in range(6)]
        statements[4] = (sql.format(myisam), (1, 4))  # a duplicate key
        statements += [(sql.format(innodb), (i, i)) for i in range(3)]
        collector = AsyncListQueryCollector()
        batcher = AsyncSQLBatcher(db, isolate_errors=isolate, collector=collector)
        report = await batcher.process_statements(statements)
        assert report.indices("rejected") == [4], report.summary()
        stored = [row[0] for row in await rows_of(db, myisam, "id")]
        applied = [statements[i][1][0] for i in report.indices("applied") if i < 6]
        assert stored == sorted(applied)
        assert stored == ([0, 1, 2, 3, 5] if isolate else [0, 1, 2, 3])
        kinds = [
            (r["metadata"]["kind"], r["metadata"]["indices"]) for r in await collector.get_all()
        ]
        assert all(kind == "single" for kind, (first, _) in kinds if first < 6)
        if isolate:
            assert [row[0] for row in await rows_of(db, innodb, "id")] == [0, 1, 2]
            assert kinds[-1] == ("values", (6, 8))  # the InnoDB rows still merge


async def test_session_statements_are_replayed_on_another_pooled_connection(
    db: twinsql.AsyncDatabase, admin: twinsql.AsyncDatabase, backend: str
) -> None:
    """The first flush runs the session statement on the pool's one connection; while a
    task holds that connection, the second flush gets a new one: the statement runs there
    first."""
    dialect = db.dialect.name
    place = f"bs_pool_{uuid.uuid4().hex[:10]}"
    if dialect == "sqlite":
        parent = await fresh_table(db, "bs_parent", {"id": "INTEGER PRIMARY KEY"})
        child = {"id": "INTEGER PRIMARY KEY", "parent": f"INTEGER REFERENCES {parent} (id)"}
        await fresh_table(db, "bs_child", child)
        session_sql, target = "PRAGMA foreign_keys = OFF", "bs_child (id, parent)"
    else:
        kind = "DATABASE" if dialect == "mysql" else "SCHEMA"
        await admin.execute_non_query(f"CREATE {kind} {place}")
        await admin.execute_non_query(
            f"CREATE TABLE {place}.bs_pooled (id INTEGER, parent INTEGER)"
        )
        session_sql = f"USE {place}" if dialect == "mysql" else f"SET search_path = {place}"
        target = "bs_pooled (id, parent)"
    try:
        batcher = AsyncSQLBatcher(db)
        assert (await batcher.process_statements([session_sql])).ok
        assert db.pool_stats().size == 1  # the connection the first flush used
        finished: list[twinsql.BatchReport | None] = []

        async def hold() -> None:
            """Keep the pool's one connection (another task or thread) until the flush
            is over."""
            async with db.connection():
                while not finished:
                    await async_sleep(0.005)

        async def flush() -> None:
            while db.pool_stats().checked_out < 1:
                await async_sleep(0.005)
            try:
                finished.append(await batcher.process_statements(
                    [(f"INSERT INTO {target} VALUES (?, ?)", (1, 99))]  # 99: no such parent
                ))  # fmt: skip
            finally:
                if not finished:
                    finished.append(None)  # let the holder go

        outcomes = await run_concurrently([hold, flush])
        assert outcomes == [None, None] and db.pool_stats().opened == 2
        report = finished[0]
        assert report is not None and report.ok, report and report.summary()
        table = "bs_child" if dialect == "sqlite" else f"{place}.bs_pooled"
        assert await rows_of(db, table, "id, parent") == [(1, 99)]
    finally:
        if dialect == "mysql":
            await admin.execute_non_query(f"DROP DATABASE {place}")
        elif dialect == "postgresql":
            await admin.execute_non_query(f"DROP SCHEMA {place} CASCADE")


async def test_set_names_of_another_character_set_is_refused_on_mysql(
    db: twinsql.AsyncDatabase, backend: str
) -> None:
    """The driver encodes and decodes as utf8mb4: a SET NAMES latin1 sent to the server
    would garble every non-ASCII value, so the batcher refuses it before sending."""
    if backend != "mysql":
        pytest.skip("SET NAMES is MySQL's")
    batcher = AsyncSQLBatcher(db)
    with pytest.raises(twinsql.ArgumentError, match="SET NAMES latin1"):
        await batcher.add_statement("SET NAMES latin1")
    assert await batcher.add_statement("/*!40101 SET NAMES utf8mb4 */") is False
    assert await batcher.flush() == 1
