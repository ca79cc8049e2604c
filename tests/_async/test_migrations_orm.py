# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""Declarative data migrations on every backend: a ``RunORM`` step written in a migration
file builds inserts, an update and a delete from the historical models, both runners send
them in the migration's transaction, a later rename does not disturb them, the step
reverts, and the rows equal what the ORM's executing methods give for the same writes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import twinsql
from tests._async.migration_helpers import drop_tables
from twinsql.migrations.historical import historical_models
from twinsql.migrations.loader import load_graph

VERSIONS = "twinsql_migrations_orm"
TABLE = "mgo_items"

FILES = {
    "0001_items": """
from twinsql.migrations import operations as ops

dependencies: list[str] = []

operations: list[ops.Operation] = [
    ops.CreateTable(
        ops.Table(
            "mgo_items",
            (
                ops.Column("id", "int", auto=True),
                ops.Column("code", "str", max_length=20),
                ops.Column("qty", "int"),
            ),
            ("id",),
        )
    ),
]
""",
    "0002_stock": """
from twinsql.migrations import operations as ops

dependencies: list[str] = ["0001_items"]


def stock(models):
    items = models["mgo_items"]
    return [
        items.insert_many_statement(
            [{"code": "a", "qty": 1}, {"code": "b", "qty": 2}, {"code": "c", "qty": 3}]
        ),
        items.query().where(items.c.qty >= 2).update_statement(qty=10),
        items.query().where(code="a").delete_statement(),
    ]


def unstock(models):
    return models["mgo_items"].query().delete_statement()


operations: list[ops.Operation] = [ops.RunORM(stock, unstock)]
""",
    "0003_amount": """
from twinsql.migrations import operations as ops

dependencies: list[str] = ["0002_stock"]

operations: list[ops.Operation] = [ops.RenameColumn("mgo_items", "qty", "amount")]
""",
}


@pytest.fixture
async def odb(db: twinsql.AsyncDatabase) -> AsyncIterator[twinsql.AsyncDatabase]:
    await drop_tables(db, TABLE, VERSIONS)
    try:
        yield db
    finally:
        await drop_tables(db, TABLE, VERSIONS)


def _write(directory: Path) -> None:
    directory.mkdir()
    for name, text in FILES.items():
        (directory / f"{name}.py").write_text(text.lstrip())


async def _rows(db: twinsql.AsyncDatabase, column: str) -> list[tuple[str, int]]:
    q = db.dialect.quote_identifier
    rows = await db.execute(f"SELECT code, {q(column)} AS n FROM mgo_items ORDER BY code")
    return [(str(r["code"]), int(r["n"])) for r in rows]


async def test_orm_writes_in_a_migration_run_and_revert_like_the_orm_methods(
    odb: twinsql.AsyncDatabase, tmp_path: Path
) -> None:
    migrations = tmp_path / "migrations"
    _write(migrations)
    migrator = twinsql.AsyncMigrator(odb, migrations, table=VERSIONS)
    # From zero in one go: the step builds from the models as they were at 0002 (qty),
    # although the table's column is called amount once 0003 has run.
    assert await migrator.apply() == list(FILES)
    migrated = await _rows(odb, "amount")
    assert await migrator.revert("0001_items") == ["0003_amount", "0002_stock"]
    assert await _rows(odb, "qty") == []

    # The same writes through the ORM's executing methods, on the same models.
    graph = load_graph(migrations)
    items = historical_models(graph.state_before("0002_stock"), odb)[TABLE]
    await items.async_insert_many(
        [{"code": "a", "qty": 1}, {"code": "b", "qty": 2}, {"code": "c", "qty": 3}]
    )
    await items.query().where(items.c.qty >= 2).async_update(qty=10)
    await items.query().where(code="a").async_delete()
    assert await _rows(odb, "qty") == migrated
    assert len(migrated) == 2


async def test_a_step_whose_write_cannot_be_built_is_reported_and_changes_nothing(
    odb: twinsql.AsyncDatabase, tmp_path: Path
) -> None:
    migrations = tmp_path / "migrations"
    _write(migrations)
    # A second step whose update names a column the model of that step does not have.
    (migrations / "0002_stock.py").write_text(
        FILES["0002_stock"]
        .lstrip()
        .replace("update_statement(qty=10)", "update_statement(missing=10)")
    )
    migrator = twinsql.AsyncMigrator(odb, migrations, table=VERSIONS)
    assert await migrator.apply("0001_items") == ["0001_items"]
    with pytest.raises(twinsql.MigrationError, match="missing"):
        await migrator.apply()
    assert await _rows(odb, "qty") == []
    assert [s.applied for s in await migrator.status()] == [True, False, False]
