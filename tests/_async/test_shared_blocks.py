# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""Shared blocks: ``transaction(shared=True)`` / ``connection(shared=True)`` let the tasks
(async) or threads (sync) that inherit the block's context use its connection, one
operation at a time; without ``shared`` they are refused as before."""

from __future__ import annotations

import pytest

import twinsql
from tests import support
from tests._async.helpers import fresh_table, run_in_children


class Boom(Exception):
    pass


def slow_double(dialect: str) -> str:
    """A statement that takes a few milliseconds and answers twice its parameter: long
    enough for children started together to overlap on one connection."""
    series = support.series_sql(dialect)
    return f"SELECT ? * 2 AS v FROM (SELECT COUNT(*) AS c FROM ({series}) AS s) AS t"


async def test_children_write_into_a_shared_transaction_and_share_its_outcome(
    db: twinsql.AsyncDatabase,
) -> None:
    table = await fresh_table(db, "shared_txn", {"id": "pk", "n": "bigint"})
    insert = f"INSERT INTO {table} (n) VALUES (?)"

    def child(n: int) -> object:
        return lambda: db.execute_non_query(insert, (n,))

    async with db.transaction(shared=True) as conn:
        await db.execute_non_query(insert, (0,))
        outcomes = await run_in_children([child(n) for n in range(1, 6)])
        assert outcomes == [1] * 5
        # The children's rows are in the block's (uncommitted) transaction.
        assert conn.in_transaction
        assert await db.execute_scalar(f"SELECT COUNT(*) FROM {table}") == 6
    assert await db.execute_scalar(f"SELECT SUM(n) FROM {table}") == 15

    with pytest.raises(Boom):
        async with db.transaction(shared=True):
            assert await run_in_children([child(n) for n in range(10, 13)]) == [1] * 3
            raise Boom()
    assert await db.execute_scalar(f"SELECT COUNT(*) FROM {table}") == 6
    assert db.pool_stats().checked_out == 0


async def test_without_shared_a_child_is_still_refused(db: twinsql.AsyncDatabase) -> None:
    async with db.transaction():
        outcomes = await run_in_children([lambda: db.execute_scalar("SELECT 1")])
        assert len(outcomes) == 1 and isinstance(outcomes[0], twinsql.ConcurrentUseError)
    async with db.connection():
        outcomes = await run_in_children([lambda: db.execute_scalar("SELECT 1")])
        assert len(outcomes) == 1 and isinstance(outcomes[0], twinsql.ConcurrentUseError)


async def test_overlapping_statements_of_children_take_turns(db: twinsql.AsyncDatabase) -> None:
    sql = slow_double(db.dialect.name)

    def child(i: int) -> object:
        return lambda: db.execute_scalar(sql, (i, 3000))

    async with db.transaction(shared=True):
        outcomes = await run_in_children([child(i) for i in range(8)])
    # Without the turn-taking, every child that found the connection busy would have got
    # ConcurrentUseError instead of its answer.
    assert outcomes == [i * 2 for i in range(8)]


async def test_a_childs_savepoint_holds_the_connection_until_it_ends(
    db: twinsql.AsyncDatabase,
) -> None:
    table = await fresh_table(db, "shared_sp", {"id": "pk", "n": "bigint"})
    insert = f"INSERT INTO {table} (n) VALUES (?)"
    sql = slow_double(db.dialect.name)

    async def failing_block() -> None:
        async with db.transaction():  # a savepoint in the shared transaction
            await db.execute_non_query(insert, (1,))
            # Long enough for the other child to try its INSERT meanwhile.
            for _ in range(5):
                await db.execute_scalar(sql, (1, 3000))
            raise Boom()

    async def plain_insert() -> int:
        return await db.execute_non_query(insert, (2,))

    async with db.transaction(shared=True):
        outcomes = await run_in_children([failing_block, plain_insert])
        assert isinstance(outcomes[0], Boom) and outcomes[1] == 1
    # The other child's row was not written inside the rolled-back savepoint.
    rows = await db.execute(f"SELECT n FROM {table}")
    assert [r["n"] for r in rows] == [2]


async def test_application_transactions_inside_a_shared_block_are_savepoints(
    db: twinsql.AsyncDatabase,
) -> None:
    table = await fresh_table(db, "shared_app", {"id": "pk", "n": "bigint"})
    insert = f"INSERT INTO {table} (n) VALUES (?)"

    async def unit_of_work(conn: twinsql.AsyncConnection) -> int:
        return await conn.execute_non_query(insert, (7,))

    async def child() -> int:
        return await twinsql.run_in_transaction_async(unit_of_work, db)

    with pytest.raises(Boom):
        async with db.transaction(shared=True):
            assert await run_in_children([child, child]) == [1, 1]
            assert await db.execute_scalar(f"SELECT COUNT(*) FROM {table}") == 2
            raise Boom()
    # The children "committed" savepoints only: the outer rollback undid them.
    assert await db.execute_scalar(f"SELECT COUNT(*) FROM {table}") == 0


async def test_shared_connection_block(db: twinsql.AsyncDatabase) -> None:
    sid = support.session_id_sql(db.dialect.name)
    async with db.connection(shared=True) as conn:
        if sid is not None:
            mine = await conn.execute_scalar(sid)
            children = await run_in_children([lambda: db.execute_scalar(sid)] * 3)
            assert children == [mine] * 3
        else:
            children = await run_in_children([lambda: db.execute_scalar("SELECT 1")] * 3)
            assert children == [1] * 3
    assert db.pool_stats().checked_out == 0


async def test_models_in_a_shared_transaction(orm_db: twinsql.AsyncDatabase) -> None:
    from tests.orm_models import User

    async def create(name: str) -> object:
        return await User(name=name, email=f"{name}@example.org").async_save()

    with pytest.raises(Boom):
        async with orm_db.transaction(shared=True):
            await run_in_children([lambda: create("ann"), lambda: create("bob")])
            assert await User.query().async_count() == 2
            raise Boom()
    assert await User.query().async_count() == 0
