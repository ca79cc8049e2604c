# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""Enum types through migrations on every backend: a status enum created, given a value,
rebuilt without one (refused while a row holds it) and dropped, applied step by step with
rows and reverted to zero; after each step the schema (and on PostgreSQL the enum types
and their values) equals what ``create_all`` makes for the models of that step."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

import twinsql
from tests._async.migration_helpers import drop_tables, schema_of, table_names
from tests.enum_steps import STATUS_VALUES, ticket_models
from twinsql.migrations import operations as ops
from twinsql.migrations.commands import make_migration
from twinsql.migrations.loader import write_migration
from twinsql.migrations.writer import render_migration

VERSIONS = "twinsql_migrations_enums"
TABLE = "mge_tickets"
TYPE = "mge_tickets_status"


async def _drop_type(db: twinsql.AsyncDatabase) -> None:
    if db.dialect.name == "postgresql":
        await db.execute_non_query(f'DROP TYPE IF EXISTS "{TYPE}"')
        await db.execute_non_query(f'DROP TYPE IF EXISTS "{TYPE}__old"')


@pytest.fixture
async def edb(db: twinsql.AsyncDatabase) -> AsyncIterator[twinsql.AsyncDatabase]:
    await drop_tables(db, TABLE, VERSIONS)
    await _drop_type(db)
    try:
        yield db
    finally:
        await drop_tables(db, TABLE, VERSIONS)
        await _drop_type(db)


async def _enum_types(db: twinsql.AsyncDatabase) -> dict[str, list[str]]:
    """Enum type → labels in sort order (PostgreSQL; empty elsewhere)."""
    if db.dialect.name != "postgresql":
        return {}
    rows = await db.execute(
        "SELECT t.typname AS name, e.enumlabel AS label FROM pg_type t "
        "JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace "
        "WHERE n.nspname = current_schema() AND t.typname LIKE 'mge\\_%' "
        "ORDER BY t.typname, e.enumsortorder"
    )
    out: dict[str, list[str]] = {}
    for row in rows:
        out.setdefault(str(row["name"]), []).append(str(row["label"]))
    return out


async def _layout(db: twinsql.AsyncDatabase) -> tuple[Any, dict[str, list[str]]]:
    return await schema_of(db, [TABLE]), await _enum_types(db)


async def _statuses(db: twinsql.AsyncDatabase) -> list[tuple[str, str]]:
    rows = await db.execute("SELECT title, status FROM mge_tickets ORDER BY id")
    return [(str(r["title"]), str(r["status"])) for r in rows]


async def test_enum_steps_apply_with_rows_revert_to_zero_and_match_create_all(
    edb: twinsql.AsyncDatabase, tmp_path: Path
) -> None:
    migrations = tmp_path / "migrations"
    names = []
    for version in (1, 2, 3, 4):
        path = make_migration(migrations, ticket_models(version), allow_destructive=True)
        assert path is not None
        names.append(path.stem)
    migrator = twinsql.AsyncMigrator(edb, migrations, table=VERSIONS)
    layouts = {}
    for version, name in enumerate(names, 1):
        if version == 3:
            held = await edb.execute("SELECT id FROM mge_tickets WHERE status = 'on hold'")
            assert len(held) == 1
            if edb.dialect.name != "sqlite":
                # A row holds the value the rebuild removes: the conversion fails (MySQL's
                # strict mode refuses to truncate it) and the schema stays as it was.
                with pytest.raises(twinsql.MigrationError, match="rebuild enum type"):
                    await migrator.apply(name)
                assert await _layout(edb) == layouts[2]
            await edb.execute_non_query("DELETE FROM mge_tickets WHERE status = 'on hold'")
        assert await migrator.apply(name) == [name]
        layouts[version] = await _layout(edb)
        values = STATUS_VALUES[version]
        expected = {TYPE: list(values)} if values and edb.dialect.name == "postgresql" else {}
        assert layouts[version][1] == expected
        if version == 1:
            await edb.execute_many(
                "INSERT INTO mge_tickets (title, status) VALUES (?, ?)",
                [("a", "open"), ("b", "closed")],
            )
        if version == 2:
            # The ORM binds and reads the added value through the migrated column.
            (ticket,) = ticket_models(2)
            status = ticket.model_fields["status"].annotation
            created = await ticket.async_create(using=edb, title="c", status=status("on hold"))
            found = await ticket.async_find_or_fail(created.id, using=edb)
            assert found.status is status("on hold")
            listed = await ticket.query().order_by("id").async_all(using=edb)
            assert [t.status for t in listed] == [status("open"), status("closed"), found.status]
        if version <= 3:
            assert (await _statuses(edb))[:2] == [("a", "open"), ("b", "closed")]
    for version in (4, 3, 2, 1):
        target = names[version - 2] if version > 1 else "zero"
        assert await migrator.revert(target) == [names[version - 1]]
        if version > 1:
            assert await _layout(edb) == layouts[version - 1]
    assert TABLE not in await table_names(edb)
    assert await _enum_types(edb) == {}
    for version in (1, 2, 3, 4):
        await twinsql.create_all_async(edb, ticket_models(version))
        assert await _layout(edb) == layouts[version]
        await twinsql.drop_all_async(edb, ticket_models(version))
        assert await _enum_types(edb) == {}


async def test_an_added_value_is_committed_before_the_next_step_uses_it(
    edb: twinsql.AsyncDatabase, tmp_path: Path
) -> None:
    enum_type = ops.EnumType(TYPE, ("open", "closed"))
    table = ops.Table(
        TABLE,
        (
            ops.Column("id", "int", auto=True),
            ops.Column("title", "str"),
            ops.Column("status", "enum", enum=TYPE),
        ),
        ("id",),
    )
    first = [ops.CreateEnum(enum_type), ops.CreateTable(table)]
    # PostgreSQL refuses a value added in the same transaction ("unsafe use of new value"):
    # this applies only because the runner commits the added value on its own first.
    second = [
        ops.AddEnumValue(TYPE, "on hold"),
        ops.RunSQL("UPDATE mge_tickets SET status = 'on hold' WHERE title = 'a'"),
    ]
    write_migration(tmp_path, "0001_tickets", render_migration("0001_tickets", [], first))
    write_migration(
        tmp_path,
        "0002_on_hold",
        render_migration("0002_on_hold", ["0001_tickets"], second),
    )
    migrator = twinsql.AsyncMigrator(edb, tmp_path, table=VERSIONS)
    assert await migrator.apply("0001_tickets") == ["0001_tickets"]
    await edb.execute_many(
        "INSERT INTO mge_tickets (title, status) VALUES (?, ?)", [("a", "open"), ("b", "closed")]
    )
    assert await migrator.apply() == ["0002_on_hold"]
    assert await _statuses(edb) == [("a", "on hold"), ("b", "closed")]
    if edb.dialect.name == "postgresql":
        assert await _enum_types(edb) == {TYPE: ["open", "closed", "on hold"]}
