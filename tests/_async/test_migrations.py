# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""Migrations on every backend: a scripted evolution of a model set applied from zero and
reverted to zero with rows in the tables, the final schema compared with ``create_all``'s
through the catalog, the version table, checksums, faking an initial migration, and a
failure mid-way (MySQL: resumed from the recorded operation)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import twinsql
from tests._async.migration_helpers import (
    EVOLUTION_TABLES,
    drop_tables,
    fingerprint,
    schema_of,
    table_names,
)
from tests.migration_models import STEPS, models_at, write_evolution
from twinsql.migrations import operations as ops
from twinsql.migrations.loader import write_migration
from twinsql.migrations.writer import render_migration

VERSIONS = "twinsql_migrations_test"
_IS_ASYNC = True


@pytest.fixture
async def mdb(db: twinsql.AsyncDatabase) -> AsyncIterator[twinsql.AsyncDatabase]:
    """The test database without the evolution's tables or its version table."""
    await drop_tables(db, *EVOLUTION_TABLES, "mg_items", VERSIONS)
    try:
        yield db
    finally:
        await drop_tables(db, *EVOLUTION_TABLES, "mg_items", VERSIONS)


def _queries(step: int) -> list[str]:
    """Queries whose rows must survive every step up to ``step`` (and back)."""
    name = "full_name" if step >= 6 else "name"
    out = [f"SELECT id, {name} FROM ev_authors ORDER BY id"]
    if step >= 3:
        out.append("SELECT id, title, author_id FROM ev_books ORDER BY id")
    if step >= 8:
        tags = "ev_labels" if step >= 13 else "ev_tags"
        out.append(f"SELECT id, label FROM {tags} ORDER BY id")
        out.append("SELECT book_id, tag_id FROM ev_book_tags ORDER BY book_id, tag_id")
    return out


async def _fingerprints(db: twinsql.AsyncDatabase, step: int) -> list[str]:
    return [await fingerprint(db, sql) for sql in _queries(step)]


async def _seed(db: twinsql.AsyncDatabase, step: int) -> None:
    if step == 1:
        await db.execute_many(
            "INSERT INTO ev_authors (name) VALUES (?)", [("Ann",), ("Bob",), ("Cy",)]
        )
    elif step == 3:
        await db.execute_many(
            "INSERT INTO ev_books (title, author_id, rating) VALUES (?, ?, 0)",
            [("Tides", 1), ("Stone", 1), ("Rain", 2)],
        )
    elif step == 8:
        await db.execute_many("INSERT INTO ev_tags (label) VALUES (?)", [("sea",), ("old",)])
        await db.execute_many(
            "INSERT INTO ev_book_tags (book_id, tag_id) VALUES (?, ?)", [(1, 1), (1, 2), (3, 2)]
        )


def _evolution_tables(step: int) -> list[str]:
    names = ["ev_authors"] + (["ev_books"] if step >= 3 else [])
    if step >= 8:
        names += ["ev_labels" if step >= 13 else "ev_tags", "ev_book_tags"]
    return names


async def test_a_scripted_evolution_applies_and_reverts_with_rows_intact(
    mdb: twinsql.AsyncDatabase, tmp_path: Path
) -> None:
    names = write_evolution(str(tmp_path))
    migrator = twinsql.AsyncMigrator(mdb, tmp_path, table=VERSIONS)
    seen: dict[int, list[str]] = {}
    for step, name in enumerate(names, 1):
        before = await _fingerprints(mdb, step - 1) if step > 1 else []
        assert await migrator.plan(name) == [(name, "apply")]
        assert await migrator.apply(name) == [name]
        if step > 1:
            # The same rows, read under the step's column and table names.
            assert (await _fingerprints(mdb, step))[: len(before)] == before
        await _seed(mdb, step)
        seen[step] = await _fingerprints(mdb, step)
        if step == 9:
            ratings = await mdb.execute("SELECT rating FROM ev_books ORDER BY id")
            assert [int(r["rating"]) for r in ratings] == [5, 5, 5]
        if step == 11:
            pages = await mdb.execute("SELECT pages FROM ev_books ORDER BY id")
            assert [r["pages"] for r in pages] == [1, 1, 1]
    assert [s.applied for s in await migrator.status()] == [True] * STEPS
    assert await migrator.apply() == []

    migrated = await schema_of(mdb, _evolution_tables(STEPS))

    for step in range(STEPS, 0, -1):
        target = names[step - 2] if step > 1 else "zero"
        assert await migrator.revert(target) == [names[step - 1]]
        if step > 1:
            assert await _fingerprints(mdb, step - 1) == seen[step - 1]
            assert set(_evolution_tables(step - 1)) <= await table_names(mdb)
        if step == 9:
            ratings = await mdb.execute("SELECT rating FROM ev_books ORDER BY id")
            assert [int(r["rating"]) for r in ratings] == [0, 0, 0]
    assert not (set(EVOLUTION_TABLES) & await table_names(mdb))
    assert [s.recorded for s in await migrator.status()] == [False] * STEPS

    final = models_at(STEPS)
    await twinsql.create_all_async(mdb, final)
    assert await schema_of(mdb, _evolution_tables(STEPS)) == migrated


async def test_applying_everything_from_zero_equals_create_all(
    mdb: twinsql.AsyncDatabase, tmp_path: Path
) -> None:
    names = write_evolution(str(tmp_path))
    applied = await twinsql.AsyncMigrator(mdb, tmp_path, table=VERSIONS).apply()
    assert applied == names
    migrated = await schema_of(mdb, _evolution_tables(STEPS))
    await drop_tables(mdb, *EVOLUTION_TABLES)
    await twinsql.create_all_async(mdb, models_at(STEPS))
    assert await schema_of(mdb, _evolution_tables(STEPS)) == migrated


async def test_a_file_edited_after_it_was_applied_is_refused_before_any_ddl(
    mdb: twinsql.AsyncDatabase, tmp_path: Path
) -> None:
    names = write_evolution(str(tmp_path), 3)
    await twinsql.AsyncMigrator(mdb, tmp_path, table=VERSIONS).apply(names[0])
    first = tmp_path / f"{names[0]}.py"
    first.write_text(first.read_text() + "# edited\n")
    migrator = twinsql.AsyncMigrator(mdb, tmp_path, table=VERSIONS)
    with pytest.raises(twinsql.MigrationError, match=f"{names[0]} was edited after it was applied"):
        await migrator.apply()
    assert "ev_books" not in await table_names(mdb)


async def test_an_existing_database_adopts_an_initial_migration_without_running_it(
    mdb: twinsql.AsyncDatabase, tmp_path: Path
) -> None:
    await twinsql.create_all_async(mdb, models_at(3))
    await mdb.execute("INSERT INTO ev_authors (name, email) VALUES ('Ann', NULL)")
    names = write_evolution(str(tmp_path), 4)
    migrator = twinsql.AsyncMigrator(mdb, tmp_path, table=VERSIONS)
    assert await migrator.apply(names[2], fake=True) == names[:3]
    assert [s.applied for s in await migrator.status()] == [True, True, True, False]
    assert await migrator.apply() == [names[3]]
    assert await mdb.execute_scalar("SELECT COUNT(*) FROM ev_authors") == 1
    migrated = await schema_of(mdb, ["ev_authors", "ev_books"])
    await drop_tables(mdb, "ev_books", "ev_authors")
    await twinsql.create_all_async(mdb, models_at(4))
    assert await schema_of(mdb, ["ev_authors", "ev_books"]) == migrated


async def test_a_failing_migration_leaves_a_precise_state_and_resumes(
    mdb: twinsql.AsyncDatabase, tmp_path: Path
) -> None:
    items = ops.Table(
        "mg_items",
        (ops.Column("id", "int", auto=True), ops.Column("code", "str", max_length=20)),
        ("id",),
    )
    write_migration(
        tmp_path, "0001_items", render_migration("0001_items", [], [ops.CreateTable(items)])
    )
    migration = [
        ops.AddColumn("mg_items", ops.Column("note", "str", nullable=True, max_length=50)),
        ops.CreateIndex("mg_items", ops.Index("uq_mg_items_code", ("code",), unique=True)),
        ops.AddColumn("mg_items", ops.Column("qty", "int", default=0)),
    ]
    write_migration(tmp_path, "0002_more", render_migration("0002_more", ["0001_items"], migration))
    migrator = twinsql.AsyncMigrator(mdb, tmp_path, table=VERSIONS)
    await migrator.apply("0001_items")
    await mdb.execute_many("INSERT INTO mg_items (code) VALUES (?)", [("a",), ("a",), ("b",)])
    with pytest.raises(twinsql.MigrationError) as failed:
        await migrator.apply()
    (first, second) = await migrator.status()
    assert first.applied
    columns = set((await schema_of(mdb, ["mg_items"]))["mg_items"]["columns"])
    if mdb.dialect.name == "mysql":
        # DDL commits on its own: the first operation stays, recorded as done.
        assert "stopped at operation 2 of 3" in str(failed.value)
        assert (second.recorded, second.steps, second.total) == (True, 1, 3)
        assert columns == {"id", "code", "note"}
    else:
        # One transaction: nothing of the migration is left.
        assert not second.recorded
        assert columns == {"id", "code"}
    await mdb.execute("DELETE FROM mg_items WHERE id = 2")
    assert await migrator.apply() == ["0002_more"]
    layout = (await schema_of(mdb, ["mg_items"]))["mg_items"]
    assert set(layout["columns"]) == {"id", "code", "note", "qty"}
    assert (("code",), True) in layout["indexes"]
    rows = await mdb.execute("SELECT code, qty FROM mg_items ORDER BY id")
    assert [(r["code"], r["qty"]) for r in rows] == [("a", 0), ("b", 0)]
    assert await migrator.revert("zero") == ["0002_more", "0001_items"]
    assert "mg_items" not in await table_names(mdb)


def _two_tables() -> list[ops.Operation]:
    parent = ops.Table(
        "mg_parents",
        (ops.Column("id", "int", auto=True), ops.Column("label", "str", nullable=True)),
        ("id",),
    )
    child = ops.Table(
        "mg_children",
        (
            ops.Column("id", "int", auto=True),
            ops.Column("parent_id", "int"),
            ops.Column("note", "str", nullable=True, max_length=40),
        ),
        ("id",),
        foreign_keys=(
            ops.ForeignKey("fk_mg_children_parent_id", ("parent_id",), "mg_parents", ("id",)),
        ),
    )
    return [ops.CreateTable(parent), ops.CreateTable(child)]


async def test_altering_tables_with_foreign_keys_and_a_view_keeps_rows_view_and_keys(
    mdb: twinsql.AsyncDatabase, tmp_path: Path
) -> None:
    # On SQLite both changes are table rebuilds: the referenced table is recreated under
    # the child's foreign key, and the view naming both is dropped and recreated.
    await drop_tables(mdb, "mg_children", "mg_parents")
    write_migration(tmp_path, "0001_tables", render_migration("0001_tables", [], _two_tables()))
    changes = [
        ops.AlterColumn("mg_parents", ops.Column("label", "str"), backfill="none"),
        ops.AlterColumn("mg_children", ops.Column("note", "str", max_length=40), backfill="-"),
    ]
    write_migration(
        tmp_path, "0002_tighten", render_migration("0002_tighten", ["0001_tables"], changes)
    )
    migrator = twinsql.AsyncMigrator(mdb, tmp_path, table=VERSIONS)
    try:
        await migrator.apply("0001_tables")
        await mdb.execute_many("INSERT INTO mg_parents (label) VALUES (?)", [("a",), (None,)])
        await mdb.execute_many(
            "INSERT INTO mg_children (parent_id, note) VALUES (?, ?)", [(1, "x"), (2, None)]
        )
        await mdb.execute(
            "CREATE VIEW mg_family AS SELECT c.id, p.label, c.note FROM mg_children c "
            "JOIN mg_parents p ON p.id = c.parent_id"
        )
        assert await migrator.apply() == ["0002_tighten"]
        rows = await mdb.execute("SELECT id, label, note FROM mg_family ORDER BY id")
        assert [(r["id"], r["label"], r["note"]) for r in rows] == [(1, "a", "x"), (2, "none", "-")]
        layout = await schema_of(mdb, ["mg_children", "mg_parents"])
        assert layout["mg_children"]["foreign"] == [(("parent_id",), "mg_parents", ("id",))]
        with pytest.raises(twinsql.IntegrityError):
            await mdb.execute("INSERT INTO mg_children (parent_id, note) VALUES (9, 'y')")
        with pytest.raises(twinsql.IntegrityError):
            await mdb.execute("INSERT INTO mg_parents (label) VALUES (NULL)")
        assert await migrator.revert("0001_tables") == ["0002_tighten"]
        await mdb.execute("INSERT INTO mg_parents (label) VALUES (NULL)")
        rows = await mdb.execute("SELECT id, label, note FROM mg_family ORDER BY id")
        assert [(r["id"], r["label"], r["note"]) for r in rows] == [(1, "a", "x"), (2, "none", "-")]
    finally:
        await mdb.execute_non_query("DROP VIEW IF EXISTS mg_family")
        await drop_tables(mdb, "mg_children", "mg_parents")


async def test_a_foreign_key_that_rows_break_changes_nothing_and_applies_once_fixed(
    mdb: twinsql.AsyncDatabase, tmp_path: Path
) -> None:
    await drop_tables(mdb, "mg_children", "mg_parents")
    first = _two_tables()
    first[1] = ops.CreateTable(
        ops.Table(first[1].table.name, first[1].table.columns, ("id",))  # type: ignore[attr-defined]
    )
    write_migration(tmp_path, "0001_tables", render_migration("0001_tables", [], first))
    key = ops.ForeignKey("fk_mg_children_parent_id", ("parent_id",), "mg_parents", ("id",))
    write_migration(
        tmp_path,
        "0002_key",
        render_migration("0002_key", ["0001_tables"], [ops.AddForeignKey("mg_children", key)]),
    )
    migrator = twinsql.AsyncMigrator(mdb, tmp_path, table=VERSIONS)
    try:
        await migrator.apply("0001_tables")
        await mdb.execute("INSERT INTO mg_children (parent_id, note) VALUES (7, 'orphan')")
        with pytest.raises(twinsql.MigrationError):
            await migrator.apply()
        layout = await schema_of(mdb, ["mg_children"])
        assert layout["mg_children"]["foreign"] == []
        second = (await migrator.status())[1]
        if mdb.dialect.name == "mysql":
            # Recorded as started with no operation done, so that apply resumes it.
            assert (second.recorded, second.steps) == (True, 0)
        else:
            # SQLite checks the rebuilt table's keys before committing; PostgreSQL refuses
            # the constraint: either way the transaction leaves nothing.
            assert not second.recorded
        await mdb.execute("DELETE FROM mg_children")
        assert await migrator.apply() == ["0002_key"]
        layout = await schema_of(mdb, ["mg_children"])
        assert layout["mg_children"]["foreign"] == [(("parent_id",), "mg_parents", ("id",))]
    finally:
        await drop_tables(mdb, "mg_children", "mg_parents")


DATA_MIGRATION = """from tests import migration_data
from twinsql.migrations import operations as ops

dependencies = ["0001_items"]

operations = [
    ops.AddColumn("mg_items", ops.Column("slug", "str", nullable=True, max_length=40)),
    ops.RunPython({callables}),
]
"""
BOTH = (
    "forward=migration_data.fill_slugs, backward=migration_data.clear_slugs, "
    "forward_async=migration_data.fill_slugs_async, "
    "backward_async=migration_data.clear_slugs_async"
)


def _items_migration(tmp_path: Path, callables: str) -> None:
    items = ops.Table(
        "mg_items",
        (ops.Column("id", "int", auto=True), ops.Column("code", "str", max_length=20)),
        ("id",),
    )
    write_migration(
        tmp_path, "0001_items", render_migration("0001_items", [], [ops.CreateTable(items)])
    )
    (tmp_path / "0002_slugs.py").write_text(DATA_MIGRATION.format(callables=callables))


async def test_a_python_data_migration_runs_with_historical_models_and_reverts(
    mdb: twinsql.AsyncDatabase, tmp_path: Path
) -> None:
    _items_migration(tmp_path, BOTH)
    migrator = twinsql.AsyncMigrator(mdb, tmp_path, table=VERSIONS)
    await migrator.apply("0001_items")
    await mdb.execute_many("INSERT INTO mg_items (code) VALUES (?)", [("a",), ("b",)])
    assert await migrator.apply() == ["0002_slugs"]
    rows = await mdb.execute("SELECT slug FROM mg_items ORDER BY id")
    assert [r["slug"] for r in rows] == ["a-1", "b-2"]
    assert await migrator.revert("0001_items") == ["0002_slugs"]
    assert "slug" not in (await schema_of(mdb, ["mg_items"]))["mg_items"]["columns"]
    assert await migrator.revert("zero") == ["0001_items"]


async def test_a_runner_without_the_callable_of_its_mode_refuses_before_anything(
    mdb: twinsql.AsyncDatabase, tmp_path: Path
) -> None:
    if _IS_ASYNC:
        only_other_mode = "forward=migration_data.fill_slugs"
    else:
        only_other_mode = "forward_async=migration_data.fill_slugs_async"
    _items_migration(tmp_path, only_other_mode)
    migrator = twinsql.AsyncMigrator(mdb, tmp_path, table=VERSIONS)
    mode = "async" if _IS_ASYNC else "sync"
    with pytest.raises(
        twinsql.MigrationError,
        match=f"migration 0002_slugs, operation 2: run python .* has no {mode} callable",
    ):
        await migrator.apply()
    # Nothing ran: not even the first migration, which needs no callable.
    assert "mg_items" not in await table_names(mdb)


async def test_an_index_built_concurrently_runs_outside_a_transaction(
    mdb: twinsql.AsyncDatabase, tmp_path: Path
) -> None:
    items = ops.Table(
        "mg_items",
        (ops.Column("id", "int", auto=True), ops.Column("code", "str", max_length=20)),
        ("id",),
    )
    index = ops.CreateIndex("mg_items", ops.Index("ix_mg_items_code", ("code",)), concurrently=True)
    write_migration(
        tmp_path,
        "0001_items",
        render_migration("0001_items", [], [ops.CreateTable(items), index]),
    )
    migrator = twinsql.AsyncMigrator(mdb, tmp_path, table=VERSIONS)
    # PostgreSQL refuses CREATE INDEX CONCURRENTLY inside a transaction block: this passes
    # only because the runner sends it alone.
    assert await migrator.apply() == ["0001_items"]
    assert (await migrator.status())[0].applied
    layout = (await schema_of(mdb, ["mg_items"]))["mg_items"]
    assert layout["indexes"] == [(("code",), False)]
    assert await migrator.revert("zero") == ["0001_items"]
    assert "mg_items" not in await table_names(mdb)


async def test_a_squash_takes_the_place_of_applied_migrations_and_builds_a_new_database(
    mdb: twinsql.AsyncDatabase, tmp_path: Path
) -> None:
    from twinsql.migrations.commands import squash

    names = write_evolution(str(tmp_path), 5)
    migrator = twinsql.AsyncMigrator(mdb, tmp_path, table=VERSIONS)
    assert await migrator.apply() == names
    squashed = squash(tmp_path, names[-1]).stem
    # Beside its originals it is dormant: nothing to apply.
    assert await twinsql.AsyncMigrator(mdb, tmp_path, table=VERSIONS).apply() == []
    for name in names:
        (tmp_path / f"{name}.py").unlink()
    migrator = twinsql.AsyncMigrator(mdb, tmp_path, table=VERSIONS)
    assert [s.describe() for s in await migrator.status()] == [f"{squashed}: applied"]
    migrated = await schema_of(mdb, ["ev_authors", "ev_books"])
    # Reverting first also works: the rows of the replaced files are folded under the lock.
    assert await migrator.revert("zero") == [squashed]
    assert await mdb.execute(f"SELECT name FROM {VERSIONS}") == []
    assert not ({"ev_authors", "ev_books"} & await table_names(mdb))
    assert await migrator.apply() == [squashed]
    assert await migrator.apply() == []
    recorded = await mdb.execute(f"SELECT name FROM {VERSIONS}")
    assert [r["name"] for r in recorded] == [squashed]
    assert await schema_of(mdb, ["ev_authors", "ev_books"]) == migrated


async def test_check_constraints_partial_and_expression_indexes(
    mdb: twinsql.AsyncDatabase, tmp_path: Path
) -> None:
    items = ops.Table(
        "mg_items",
        (
            ops.Column("id", "int", auto=True),
            ops.Column("code", "str", max_length=20),
            ops.Column("qty", "int"),
        ),
        ("id",),
    )
    write_migration(
        tmp_path, "0001_items", render_migration("0001_items", [], [ops.CreateTable(items)])
    )
    check = ops.AddCheck("mg_items", ops.Check("ck_mg_items_qty", "qty >= 0"))
    write_migration(tmp_path, "0002_check", render_migration("0002_check", ["0001_items"], [check]))
    indexes = [
        ops.CreateIndex(
            "mg_items", ops.Index("ix_mg_items_lower_code", (), expression="lower(code)")
        ),
        ops.CreateIndex(
            "mg_items", ops.Index("uq_mg_items_live_code", ("code",), unique=True, where="qty > 0")
        ),
    ]
    write_migration(
        tmp_path, "0003_indexes", render_migration("0003_indexes", ["0002_check"], indexes)
    )
    migrator = twinsql.AsyncMigrator(mdb, tmp_path, table=VERSIONS)
    assert await migrator.apply("0002_check") == ["0001_items", "0002_check"]
    await mdb.execute("INSERT INTO mg_items (code, qty) VALUES ('a', 1)")
    with pytest.raises(twinsql.IntegrityError):
        await mdb.execute("INSERT INTO mg_items (code, qty) VALUES ('b', -1)")
    if mdb.dialect.name == "mysql":
        with pytest.raises(
            twinsql.MigrationError, match="MySQL and MariaDB have no partial indexes"
        ):
            await migrator.apply()
        assert [s.recorded for s in await migrator.status()] == [True, True, False]
    else:
        assert await migrator.apply() == ["0003_indexes"]
        if mdb.dialect.name == "sqlite":
            found = "SELECT sql AS text FROM sqlite_master WHERE name = 'ix_mg_items_lower_code'"
        else:
            found = (
                "SELECT indexdef AS text FROM pg_indexes WHERE schemaname = current_schema() "
                "AND indexname = 'ix_mg_items_lower_code'"
            )
        # PostgreSQL shows it normalised: lower((code)::text).
        text = str(await mdb.execute_scalar(found)).replace("(code)::text", "code")
        assert "lower(code)" in text
        # Unique among rows with qty > 0 only.
        await mdb.execute("INSERT INTO mg_items (code, qty) VALUES ('a', 0)")
        with pytest.raises(twinsql.IntegrityError):
            await mdb.execute("INSERT INTO mg_items (code, qty) VALUES ('a', 2)")
        assert await migrator.revert("0002_check") == ["0003_indexes"]
        await mdb.execute("INSERT INTO mg_items (code, qty) VALUES ('a', 2)")
    assert await migrator.revert("0001_items") == ["0002_check"]
    await mdb.execute("INSERT INTO mg_items (code, qty) VALUES ('b', -1)")
    assert await migrator.revert("zero") == ["0001_items"]
