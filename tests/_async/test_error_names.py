# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""An integrity error names its constraint, table and columns the same way on every backend
(and never carries the offending values in those names)."""

from __future__ import annotations

import pytest

import twinsql
from tests import support
from tests._async.helpers import fresh_table

PARENT = "err_names_parent"
CHILD = "err_names_child"


@pytest.fixture
async def tables(db: twinsql.AsyncDatabase) -> None:
    await db.execute_non_query(f"DROP TABLE IF EXISTS {CHILD}")
    await fresh_table(db, PARENT, {"id": "pk", "code": "bigint", "a": "bigint", "b": "bigint"})
    await db.execute_non_query(f"CREATE UNIQUE INDEX uq_err_code ON {PARENT} (code)")
    await db.execute_non_query(f"CREATE UNIQUE INDEX uq_err_ba ON {PARENT} (b, a)")
    pk = support.col(db.dialect.name, "pk")
    await db.execute_non_query(
        f"CREATE TABLE {CHILD} (id {pk}, parent_id INTEGER NOT NULL, qty INTEGER, "
        f"CONSTRAINT fk_err_parent FOREIGN KEY (parent_id) REFERENCES {PARENT} (id), "
        "CONSTRAINT ck_err_qty CHECK (qty > 0))"
    )
    await db.execute_non_query(f"INSERT INTO {PARENT} (code, a, b) VALUES (?, ?, ?)", (7, 1, 2))


def names(error: twinsql.IntegrityError) -> tuple[str | None, str | None, tuple[str, ...]]:
    return error.constraint, error.table, error.columns


async def test_unique_index_names_itself_and_its_column(
    db: twinsql.AsyncDatabase, tables: None
) -> None:
    with pytest.raises(twinsql.UniqueViolation) as info:
        await db.execute_non_query(f"INSERT INTO {PARENT} (code, a, b) VALUES (?, ?, ?)", (7, 5, 5))
    assert names(info.value) == ("uq_err_code", PARENT, ("code",))


async def test_foreign_key_names_the_referencing_table_and_columns(
    db: twinsql.AsyncDatabase, backend: str, tables: None
) -> None:
    with pytest.raises(twinsql.ForeignKeyViolation) as info:
        await db.execute_non_query(f"INSERT INTO {CHILD} (parent_id, qty) VALUES (?, ?)", (999, 1))
    # SQLite reports no constraint names for foreign keys, even named ones.
    constraint = None if backend == "sqlite" else "fk_err_parent"
    assert names(info.value) == (constraint, CHILD, ("parent_id",))


async def test_not_null_names_the_column(db: twinsql.AsyncDatabase, tables: None) -> None:
    with pytest.raises(twinsql.NotNullViolation) as info:
        await db.execute_non_query(f"INSERT INTO {CHILD} (parent_id, qty) VALUES (?, ?)", (None, 1))
    assert names(info.value) == (None, CHILD, ("parent_id",))


async def test_named_check_constraint(db: twinsql.AsyncDatabase, tables: None) -> None:
    parent_id = await db.execute_scalar(f"SELECT id FROM {PARENT}")
    with pytest.raises(twinsql.CheckViolation) as info:
        await db.execute_non_query(
            f"INSERT INTO {CHILD} (parent_id, qty) VALUES (?, ?)", (parent_id, -5)
        )
    assert names(info.value) == ("ck_err_qty", CHILD, ())


async def test_names_are_completed_inside_a_transaction_which_stays_failed(
    db: twinsql.AsyncDatabase, tables: None
) -> None:
    with pytest.raises(twinsql.UniqueViolation):
        async with db.transaction():
            await db.execute_non_query(
                f"INSERT INTO {PARENT} (code, a, b) VALUES (?, ?, ?)", (9, 9, 9)
            )
            with pytest.raises(twinsql.UniqueViolation) as info:
                await db.execute_non_query(
                    f"INSERT INTO {PARENT} (code, a, b) VALUES (?, ?, ?)", (10, 1, 2)
                )
            assert names(info.value) == ("uq_err_ba", PARENT, ("b", "a"))
            with pytest.raises(twinsql.TransactionAborted):
                await db.execute_scalar("SELECT 1")
            raise info.value
    # The whole transaction was rolled back: the first insert is gone.
    assert await db.execute_scalar(f"SELECT COUNT(*) FROM {PARENT}") == 1


async def test_quoted_table_name_and_values_stay_out_of_the_names(
    db: twinsql.AsyncDatabase, tables: None
) -> None:
    quoted = db.dialect.quote_identifier("Err Names Odd")
    await db.execute_non_query(f"DROP TABLE IF EXISTS {quoted}")
    await db.execute_non_query(f"CREATE TABLE {quoted} (email VARCHAR(100) NOT NULL)")
    await db.execute_non_query(f"CREATE UNIQUE INDEX uq_odd_email ON {quoted} (email)")
    await db.execute_non_query(f"INSERT INTO {quoted} (email) VALUES (?)", ("secret@x.org",))
    with pytest.raises(twinsql.UniqueViolation) as info:
        await db.execute_non_query(f"INSERT INTO {quoted} (email) VALUES (?)", ("secret@x.org",))
    assert names(info.value) == ("uq_odd_email", "Err Names Odd", ("email",))
