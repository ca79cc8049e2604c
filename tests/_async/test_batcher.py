# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""The batcher on every backend: merging, the ledger per transaction mode, refusals."""

from __future__ import annotations

from typing import Any

import pytest

import twinsql
from tests._async.helpers import fresh_table
from twinsql import AsyncListQueryCollector, AsyncSQLBatcher, StatementState

COLUMNS = {"id": "BIGINT PRIMARY KEY", "k": "VARCHAR(64) NOT NULL UNIQUE",
           "n": "INTEGER CHECK (n >= 0)", "note": "VARCHAR(200)"}  # fmt: skip


def inserts(table: str, ids: range, bad: tuple[int, ...] = ()) -> list[tuple[str, Any]]:
    """One INSERT per id, all the same size; ids in ``bad`` break the CHECK constraint."""
    sql = f"INSERT INTO {table} (id, k, n, note) VALUES (?, ?, ?, ?)"
    return [(sql, (i, f"k{i:05d}", -1 if i in bad else i, f"note {i:05d}")) for i in ids]


async def ids_in(db: twinsql.AsyncDatabase, table: str) -> list[int]:
    return [int(r["id"]) for r in await db.execute(f"SELECT id FROM {table} ORDER BY id")]


async def statement_size(db: twinsql.AsyncDatabase, statement: tuple[str, Any]) -> int:
    probe = AsyncSQLBatcher(db)
    await probe.add_statement(*statement)
    size = probe.current_size
    await probe.reset()
    return size


async def assert_ledger_matches_table(
    db: twinsql.AsyncDatabase, table: str, report: twinsql.BatchReport
) -> None:
    """After every run: the counts add up and what is applied is exactly what is stored."""
    assert report.applied + report.rejected + report.pending + report.unknown == report.submitted
    assert sorted(report.indices("applied")) == await ids_in(db, table)


async def test_consecutive_inserts_merge_and_order_is_kept(db: twinsql.AsyncDatabase) -> None:
    table = await fresh_table(db, "bt_merge", COLUMNS)
    collector = AsyncListQueryCollector()
    statements: list[Any] = [
        *inserts(table, range(0, 5)),
        (f"UPDATE {table} SET note = ? WHERE id = ?", ("changed", 3)),
        (f"DELETE FROM {table} WHERE id = ?", (4,)),
        *inserts(table, range(5, 8)),
        (f"UPDATE {table} SET n = n + 100 WHERE id >= ?", (5,)),
    ]
    report = await AsyncSQLBatcher(db, collector=collector).process_statements(statements)
    assert report.ok and report.submitted == 11, report.summary()
    rows = await db.execute(f"SELECT id, n, note FROM {table} ORDER BY id")
    assert [(r["id"], r["n"], r["note"]) for r in rows] == [
        (0, 0, "note 00000"), (1, 1, "note 00001"), (2, 2, "note 00002"), (3, 3, "changed"),
        (5, 105, "note 00005"), (6, 106, "note 00006"), (7, 107, "note 00007"),
    ]  # fmt: skip
    kinds = [
        (r["metadata"]["kind"], r["metadata"]["statements"]) for r in await collector.get_all()
    ]
    assert kinds == [("values", 5), ("single", 1), ("single", 1), ("values", 3), ("single", 1)]


async def test_values_survive_merging(db: twinsql.AsyncDatabase) -> None:
    table = await fresh_table(db, "bt_values", COLUMNS)
    notes = ["x)y", "a;b", "it's", 'dq"', "100%", "?", ":name", "naïve ✓", "", None, "--", "/*"]
    sql = f"INSERT INTO {table} (id, k, n, note) VALUES (?, ?, ?, ?)"
    statements = [(sql, (i, f"k{i}", i, note)) for i, note in enumerate(notes)]
    statements.append((f"INSERT INTO {table} (id, k, n, note) VALUES (99, 'lit)eral', 1, 'x;y')",
                       None))  # fmt: skip
    report = await AsyncSQLBatcher(db).process_statements(statements)
    assert report.ok, report.summary()
    rows = await db.execute(f"SELECT id, note FROM {table} ORDER BY id")
    assert [r["note"] for r in rows] == [*notes, "x;y"]


async def test_long_runs_take_the_fast_path(db: twinsql.AsyncDatabase, backend: str) -> None:
    table = await fresh_table(db, "bt_copy", COLUMNS)
    collector = AsyncListQueryCollector()
    batcher = AsyncSQLBatcher(db, collector=collector, copy_min_rows=100, max_bytes=10**7)
    # Values that COPY's text format must escape (None must stay NULL, never '').
    awkward = [None, "tab\there", "new\nline", "back\\slash", "a,b", "\\N", "", "quote'"]
    sql = f"INSERT INTO {table} (id, k, n, note) VALUES (?, ?, ?, ?)"
    statements = [(sql, (i, f"k{i:05d}", i, awkward[i % len(awkward)])) for i in range(2500)]
    report = await batcher.process_statements(statements)
    assert report.ok, report.summary()
    kinds = {r["metadata"]["kind"] for r in await collector.get_all()}
    assert kinds == ({"copy"} if backend in ("psycopg", "asyncpg") else {"values"})
    assert await ids_in(db, table) == list(range(2500))
    assert int(await db.execute_scalar(f"SELECT SUM(n) FROM {table}")) == sum(range(2500))
    notes = [r["note"] for r in await db.execute(f"SELECT note FROM {table} ORDER BY id")]
    assert notes == [awkward[i % len(awkward)] for i in range(2500)]


async def test_permanent_error_rolls_back_its_batch_and_stops(db: twinsql.AsyncDatabase) -> None:
    table = await fresh_table(db, "bt_stop", COLUMNS)
    statements = inserts(table, range(60), bad=(37,))
    size = await statement_size(db, statements[0])
    batcher = AsyncSQLBatcher(db, max_bytes=size * 10)
    report = await batcher.process_statements(statements)
    assert report.indices("applied") == list(range(30))  # three batches committed
    assert report.indices("rejected") == [37]
    # the rest of the failed batch is pending; so is what follows it, never read: every
    # statement of the list is accounted for
    assert report.indices("pending") == [*range(30, 37), *range(38, 60)]
    assert report.submitted == 60
    assert report.pending_statements() == [*statements[30:37], *statements[38:]]
    assert isinstance(report.error, twinsql.CheckViolation)
    assert isinstance(report.entry(37).error, twinsql.CheckViolation)
    assert report.entry(37).params == statements[37][1]
    await assert_ledger_matches_table(db, table, report)
    # The pending statements are still queued: an explicit flush sends them.
    assert batcher.pending == 9
    assert await batcher.flush() == 9
    report = await batcher.process_statements(statements[40:])
    assert report.indices("applied") == list(range(40, 60)) and report.start == 40
    final = batcher.report
    assert final.applied == 59 and final.rejected == 1 and final.pending == 0
    await assert_ledger_matches_table(db, table, final)


async def test_isolate_errors_keeps_the_rest_of_the_batch(db: twinsql.AsyncDatabase) -> None:
    table = await fresh_table(db, "bt_isolate", COLUMNS)
    statements = inserts(table, range(40), bad=(3, 17, 18))
    duplicate = statements[5][0], (100, "k00005", 1, "duplicate key")
    statements.insert(20, duplicate)
    report = await AsyncSQLBatcher(db, isolate_errors=True).process_statements(statements)
    assert report.indices("rejected") == [3, 17, 18, 20]
    assert isinstance(report.entry(20).error, twinsql.UniqueViolation)
    assert report.applied == 37 and report.pending == 0 and report.error is None
    stored = await ids_in(db, table)
    assert stored == [i for i in range(40) if i not in (3, 17, 18)]


async def test_whole_transaction_is_all_or_nothing(db: twinsql.AsyncDatabase) -> None:
    table = await fresh_table(db, "bt_whole", COLUMNS)
    statements = inserts(table, range(60), bad=(37,))
    size = await statement_size(db, statements[0])
    report = await AsyncSQLBatcher(db, max_bytes=size * 10, transaction="whole").process_statements(
        statements
    )
    assert (report.applied, report.rejected, report.pending) == (0, 1, 59)
    assert await ids_in(db, table) == []
    good = inserts(table, range(100, 160))
    batcher = AsyncSQLBatcher(db, max_bytes=size * 10, transaction="whole")
    report = await batcher.process_statements(good)
    assert report.ok and report.batches >= 6
    assert await ids_in(db, table) == list(range(100, 160))


async def test_autocommit_mode(db: twinsql.AsyncDatabase) -> None:
    table = await fresh_table(db, "bt_none", COLUMNS)
    statements = inserts(table, range(20), bad=(7,))
    report = await AsyncSQLBatcher(db, transaction="none").process_statements(statements)
    # The merged INSERT failed as a whole and was re-run row by row, each committing alone.
    assert report.indices("applied") == list(range(7))
    assert report.indices("rejected") == [7]
    assert report.indices("pending") == list(range(8, 20))
    await assert_ledger_matches_table(db, table, report)
    table2 = await fresh_table(db, "bt_none2", COLUMNS)
    report = await AsyncSQLBatcher(db, transaction="none", isolate_errors=True).process_statements(
        inserts(table2, range(20), bad=(7, 8))
    )
    assert report.indices("rejected") == [7, 8] and report.applied == 18
    await assert_ledger_matches_table(db, table2, report)


async def test_process_batch_returns_real_results(db: twinsql.AsyncDatabase) -> None:
    table = await fresh_table(db, "bt_results", COLUMNS)
    batcher = AsyncSQLBatcher(db)
    results = await batcher.process_batch(
        [
            *inserts(table, range(3)),
            (f"UPDATE {table} SET note = ? WHERE id < ?", ("x", 2)),
            f"SELECT id, note FROM {table} ORDER BY id",
        ]
    )
    assert results[:4] == [1, 1, 1, 2]
    assert [(r["id"], r["note"]) for r in results[4]] == [(0, "x"), (1, "x"), (2, "note 00002")]
    isolating = AsyncSQLBatcher(db, isolate_errors=True)
    mixed = await isolating.process_batch(inserts(table, range(10, 13), bad=(11,)))
    assert mixed[0] == 1 and mixed[2] == 1 and isinstance(mixed[1], twinsql.CheckViolation)
    with pytest.raises(twinsql.CheckViolation):
        await AsyncSQLBatcher(db).process_batch(inserts(table, range(20, 23), bad=(21,)))


async def test_context_manager_flushes_only_on_success(db: twinsql.AsyncDatabase) -> None:
    table = await fresh_table(db, "bt_context", COLUMNS)
    async with AsyncSQLBatcher(db) as batcher:
        for sql, params in inserts(table, range(5)):
            await batcher.add_statement(sql, params)
        assert await ids_in(db, table) == []  # nothing sent before the exit
    assert await ids_in(db, table) == list(range(5))

    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        async with AsyncSQLBatcher(db) as batcher:
            for sql, params in inserts(table, range(10, 15)):
                await batcher.add_statement(sql, params)
            raise Boom()
    # An exception in the block sends nothing: the pending statements are reported.
    assert await ids_in(db, table) == list(range(5))
    assert batcher.report.pending == 5 and batcher.report.pending_statements()[0][1][0] == 10

    with pytest.raises(twinsql.BatchIncomplete) as info:
        async with AsyncSQLBatcher(db, isolate_errors=True) as batcher:
            for sql, params in inserts(table, range(20, 23), bad=(21,)):
                await batcher.add_statement(sql, params)
    assert info.value.report.indices("rejected") == [1]
    assert await ids_in(db, table) == [0, 1, 2, 3, 4, 20, 22]


async def test_statements_that_can_never_run_are_refused_before_sending(
    db: twinsql.AsyncDatabase,
) -> None:
    table = await fresh_table(db, "bt_refuse", COLUMNS)
    collector = AsyncListQueryCollector()
    batcher = AsyncSQLBatcher(db, collector=collector, max_bytes=2000)
    with pytest.raises(twinsql.MultipleStatementsError):
        await batcher.add_statement(
            f"INSERT INTO {table} (id, k) VALUES (1, 'a'); DROP TABLE {table}"
        )
    with pytest.raises(twinsql.ParameterError):
        await batcher.add_statement(f"INSERT INTO {table} (id, k) VALUES (?, ?)", (1,))
    with pytest.raises(twinsql.ArgumentError, match="transaction control"):
        await batcher.add_statement("BEGIN")
    # max_bytes is a batch budget: a statement larger than it is taken, as a batch alone.
    assert await batcher.add_statement(f"INSERT INTO {table} (id, k, note) VALUES (?, ?, ?)",
                                       (1, "k", "x" * 5000)) is True  # fmt: skip
    assert len(await batcher.reset()) == 1
    limit = db.dialect.default_max_params
    with pytest.raises(twinsql.StatementTooLarge):
        await batcher.add_statement("SELECT " + ", ".join(["?"] * (limit + 1)),
                                    tuple(range(limit + 1)))  # fmt: skip
    assert batcher.report.submitted == 0 and await collector.get_count() == 0
    # In a list, each refusal is a rejected entry; isolate_errors goes on past them.
    isolating = AsyncSQLBatcher(db, isolate_errors=True, max_bytes=2000)
    report = await isolating.process_statements(
        [
            *inserts(table, range(2)),
            f"INSERT INTO {table} (id, k) VALUES (5, 'a'); DROP TABLE {table}",
            "COMMIT",
            *inserts(table, range(2, 4)),
        ]
    )
    assert report.indices("rejected") == [2, 3] and report.applied == 4
    assert isinstance(report.entry(2).error, twinsql.MultipleStatementsError)
    assert await ids_in(db, table) == [0, 1, 2, 3]
    # Without isolate_errors, what came before the refusal is sent and nothing after it.
    stopping = AsyncSQLBatcher(db)
    report = await stopping.process_statements(
        [*inserts(table, range(10, 12)), ("SELECT ?", ()), *inserts(table, range(12, 14))]
    )
    assert report.indices("applied") == [0, 1] and report.indices("rejected") == [2]
    assert report.indices("pending") == [3, 4]  # never read, still accounted for
    assert report.submitted == 5 and isinstance(report.error, twinsql.ParameterError)


async def test_allow_multiple_sends_each_statement_as_one_entry(db: twinsql.AsyncDatabase) -> None:
    table = await fresh_table(db, "bt_multi", COLUMNS)
    script = (
        f"INSERT INTO {table} (id, k, n) VALUES (?, ?, ?); UPDATE {table} SET note = ? WHERE id = ?"
    )
    for mode in ("per_batch", "none"):
        batcher = AsyncSQLBatcher(db, allow_multiple=True, transaction=mode, isolate_errors=True)
        report = await batcher.process_statements(
            [(script, (1, "one", 1, "noted", 1)), (script, (2, "two", -1, "never", 2))]
        )
        assert report.indices("applied") == [0] and report.indices("rejected") == [1]
        assert await ids_in(db, table) == [1]  # the failing entry left nothing behind
        await db.execute_non_query(f"DELETE FROM {table}")
    named = AsyncSQLBatcher(db)
    await named.add_statement(
        f"INSERT INTO {table} (id, k) VALUES (:i, :k); UPDATE {table} SET n = :i WHERE id = :i",
        {"i": 7, "k": "seven"},
        allow_multiple=True,
    )
    assert await named.flush() == 1
    assert await db.execute_scalar(f"SELECT n FROM {table} WHERE id = 7") == 7


async def test_dry_run_collects_without_executing(url: str) -> None:
    async with twinsql.connect_async(url) as db:
        collector = AsyncListQueryCollector()
        batcher = AsyncSQLBatcher(db, dry_run=True, collector=collector)
        for sql, params in inserts("dry_t", range(3)):
            await batcher.add_statement(sql, params)
        await batcher.add_statement("DELETE FROM dry_t WHERE id = ?", (1,))
        assert await batcher.flush() == 0
        assert await batcher.flush() == 0  # nothing collected twice
        queries = await collector.get_queries()
        assert len(queries) == 2 and queries[1].startswith("DELETE")
        records = await collector.get_all()
        assert all(r["metadata"]["dry_run"] for r in records)
        assert records[0]["metadata"]["statements"] == 3
        report = batcher.report
        assert report.dry_run and report.pending == 4 and report.ok
        assert db.pool_stats().opened == 0  # never connected


async def test_column_adjustment_and_sizing_api(db: twinsql.AsyncDatabase) -> None:
    batcher = AsyncSQLBatcher(db, max_bytes=10_000, auto_adjust_for_columns=True)
    assert batcher.detect_column_count("INSERT INTO t (a, b, c, d, e) VALUES (?, ?, ?, ?, ?)") == 5
    assert batcher.detect_column_count("UPDATE t SET a = 1") is None
    assert batcher.get_adjusted_max_bytes() == 10_000
    await batcher.add_statement("INSERT INTO t (a, b, c, d, e) VALUES (?, ?, ?, ?, ?)",
                                (1, 2, 3, 4, 5))  # fmt: skip
    assert batcher.column_count == 5 and batcher.adjustment_factor == 2.0
    assert batcher.get_adjusted_max_bytes() == 20_000
    assert batcher.current_batch == ["INSERT INTO t (a, b, c, d, e) VALUES (?, ?, ?, ?, ?)"]
    dropped = await batcher.reset()
    assert dropped == [("INSERT INTO t (a, b, c, d, e) VALUES (?, ?, ?, ?, ?)", (1, 2, 3, 4, 5))]
    assert batcher.column_count is None and batcher.report.submitted == 0


async def test_add_statement_says_when_to_flush_and_progress_is_reported(
    db: twinsql.AsyncDatabase,
) -> None:
    table = await fresh_table(db, "bt_progress", COLUMNS)
    statements = inserts(table, range(30))
    size = await statement_size(db, statements[0])
    seen: list[twinsql.LedgerCounts] = []
    batcher = AsyncSQLBatcher(db, max_bytes=size * 10, progress=seen.append)
    answers = [await batcher.add_statement(sql, params) for sql, params in statements[:10]]
    assert answers == [False] * 9 + [True]
    assert await batcher.flush() == 10
    await batcher.process_statements(statements[10:])
    assert [counts.applied for counts in seen] == [10, 20, 30]
    assert seen[-1].submitted == 30 and seen[-1].pending == 0


async def test_a_batcher_inside_a_transaction_block_is_refused(db: twinsql.AsyncDatabase) -> None:
    table = await fresh_table(db, "bt_inside", COLUMNS)
    async with db.transaction():
        batcher = AsyncSQLBatcher(db)
        for sql, params in inserts(table, range(2)):
            await batcher.add_statement(sql, params)
        with pytest.raises(twinsql.InterfaceError, match="own transactions"):
            await batcher.flush()
    assert batcher.report.pending == 2


async def test_url_target_opens_and_closes_its_own_database(url: str, backend: str) -> None:
    async with twinsql.connect_async(url) as db:
        table = await fresh_table(db, "bt_url", COLUMNS)
    async with AsyncSQLBatcher(url) as batcher:
        for sql, params in inserts(table, range(3)):
            await batcher.add_statement(sql, params)
    assert batcher.adapter.database.closed  # type: ignore[attr-defined]
    async with twinsql.connect_async(url) as db:
        assert await ids_in(db, table) == [0, 1, 2]
    with pytest.raises(twinsql.InterfaceError):
        await batcher.flush()
    assert batcher.report.entry(0).state is StatementState.APPLIED
