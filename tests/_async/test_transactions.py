# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""Transactions and savepoints behave the same on every backend."""

from __future__ import annotations

import pytest

import twinsql
from tests._async.helpers import fresh_table


class Boom(Exception):
    pass


async def count(db: twinsql.AsyncDatabase | twinsql.AsyncConnection, table: str) -> int:
    return int(await db.execute_scalar(f"SELECT COUNT(*) FROM {table}"))


async def test_commit(db: twinsql.AsyncDatabase) -> None:
    table = await fresh_table(db, "tx_commit", {"id": "pk", "n": "bigint"})
    async with db.transaction() as conn:
        await conn.execute_non_query(f"INSERT INTO {table} (n) VALUES (?)", (1,))
        await db.execute_non_query(f"INSERT INTO {table} (n) VALUES (?)", (2,))
        assert conn.in_transaction
    assert await count(db, table) == 2


async def test_rollback_on_exception_keeps_the_original_exception(
    db: twinsql.AsyncDatabase,
) -> None:
    table = await fresh_table(db, "tx_rollback", {"id": "pk", "n": "bigint"})
    original = Boom("the caller's own error")
    with pytest.raises(Boom) as info:
        async with db.transaction():
            await db.execute_non_query(f"INSERT INTO {table} (n) VALUES (?)", (1,))
            raise original
    assert info.value is original
    assert await count(db, table) == 0
    assert db.pool_stats().checked_out == 0


async def test_inner_savepoint_failure_keeps_outer_work(db: twinsql.AsyncDatabase) -> None:
    table = await fresh_table(db, "tx_nested", {"id": "pk", "n": "bigint"})
    async with db.transaction():
        await db.execute_non_query(f"INSERT INTO {table} (n) VALUES (?)", (1,))
        with pytest.raises(Boom):
            async with db.transaction():
                await db.execute_non_query(f"INSERT INTO {table} (n) VALUES (?)", (2,))
                raise Boom()
        async with db.transaction():
            await db.execute_non_query(f"INSERT INTO {table} (n) VALUES (?)", (3,))
    rows = await db.execute(f"SELECT n FROM {table} ORDER BY n")
    assert [r["n"] for r in rows] == [1, 3]


async def test_failed_statement_in_savepoint_is_recoverable(db: twinsql.AsyncDatabase) -> None:
    table = await fresh_table(db, "tx_sp_err", {"id": "pk", "n": "bigint UNIQUE"})
    async with db.transaction():
        await db.execute_non_query(f"INSERT INTO {table} (n) VALUES (?)", (1,))
        with pytest.raises(twinsql.UniqueViolation):
            async with db.transaction():
                await db.execute_non_query(f"INSERT INTO {table} (n) VALUES (?)", (1,))
        await db.execute_non_query(f"INSERT INTO {table} (n) VALUES (?)", (2,))
    assert await count(db, table) == 2


async def test_error_inside_transaction_refuses_further_statements(
    db: twinsql.AsyncDatabase,
) -> None:
    """PostgreSQL refuses statements after an error until rollback; twinsql makes every
    backend do the same, so no half-done unit of work is committed anywhere."""
    table = await fresh_table(db, "tx_aborted", {"id": "pk", "n": "bigint UNIQUE"})
    with pytest.raises(twinsql.TransactionAborted):
        async with db.transaction():
            await db.execute_non_query(f"INSERT INTO {table} (n) VALUES (?)", (1,))
            with pytest.raises(twinsql.UniqueViolation):
                await db.execute_non_query(f"INSERT INTO {table} (n) VALUES (?)", (1,))
            with pytest.raises(twinsql.TransactionAborted):
                await db.execute_scalar("SELECT 1")
            # Leaving the block without an exception: rolled back, and said so.
    assert await count(db, table) == 0
    assert await db.execute_scalar("SELECT 1") == 1


async def test_explicit_commit_and_rollback_on_a_connection(db: twinsql.AsyncDatabase) -> None:
    table = await fresh_table(db, "tx_explicit", {"id": "pk", "n": "bigint"})
    async with db.connection() as conn:
        txn = await conn.transaction().begin()
        await conn.execute_non_query(f"INSERT INTO {table} (n) VALUES (?)", (1,))
        await txn.rollback()
        txn = await conn.transaction().begin()
        await conn.execute_non_query(f"INSERT INTO {table} (n) VALUES (?)", (2,))
        await txn.commit()
        assert not conn.in_transaction
    assert [r["n"] for r in await db.execute(f"SELECT n FROM {table}")] == [2]


async def test_isolation_and_readonly(db: twinsql.AsyncDatabase) -> None:
    table = await fresh_table(db, "tx_readonly", {"id": "pk", "n": "bigint"})
    async with db.transaction(isolation="serializable") as conn:
        await conn.execute_non_query(f"INSERT INTO {table} (n) VALUES (?)", (1,))
    with pytest.raises(twinsql.DatabaseError):
        async with db.transaction(readonly=True):
            assert await count(db, table) == 1
            await db.execute_non_query(f"INSERT INTO {table} (n) VALUES (?)", (2,))
    assert await count(db, table) == 1
    # A read-only transaction leaves the connection writable afterwards.
    await db.execute_non_query(f"INSERT INTO {table} (n) VALUES (?)", (3,))
    assert await count(db, table) == 2


async def test_hostile_isolation_level_is_rejected_before_io(db: twinsql.AsyncDatabase) -> None:
    with pytest.raises(twinsql.ArgumentError):
        db.transaction(isolation="serializable; DROP TABLE x")
    assert db.pool_stats().opened == 0


async def test_connection_returned_inside_transaction_is_rolled_back(
    db: twinsql.AsyncDatabase,
) -> None:
    table = await fresh_table(db, "tx_returned", {"id": "pk", "n": "bigint"})
    async with db.connection() as conn:
        await conn.execute_non_query("BEGIN")
        await conn.execute_non_query(f"INSERT INTO {table} (n) VALUES (?)", (1,))
        assert conn.in_transaction
    assert await count(db, table) == 0
    async with db.connection() as conn:
        assert not conn.in_transaction
