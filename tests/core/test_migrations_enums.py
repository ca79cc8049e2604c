"""Migrations of enum types, pure: what the autodetector emits as an enum's values change,
the SQL of each step per backend, the written file, the guard and the reverses."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.enum_steps import ticket_models
from twinsql.errors import MigrationError
from twinsql.migrations import operations as ops
from twinsql.migrations.autodetect import detect
from twinsql.migrations.commands import make_migration
from twinsql.migrations.loader import load_graph
from twinsql.migrations.models import models_state
from twinsql.migrations.sqlgen import Statement, statements
from twinsql.migrations.state import SchemaState
from twinsql.sql.dialects import get_dialect

PG = get_dialect("postgresql")
NAME = "mge_tickets_status"


def _sql(op: ops.Operation, before: SchemaState, dialect: str = "postgresql") -> list[str]:
    out = []
    for step in statements(op, before, get_dialect(dialect)):
        assert isinstance(step, Statement)
        out.append(step.sql)
    return out


def test_a_new_enum_field_creates_its_type_before_the_table() -> None:
    found = detect(SchemaState(), ticket_models(1))
    assert found[0] == ops.CreateEnum(ops.EnumType(NAME, ("open", "closed")))
    assert isinstance(found[1], ops.CreateTable)
    assert found[1].table.column("status").enum == NAME
    assert _sql(found[0], SchemaState()) == [
        "CREATE TYPE \"mge_tickets_status\" AS ENUM ('open', 'closed')"
    ]
    after = found[0].apply(SchemaState())
    assert '"status" "mge_tickets_status" NOT NULL' in _sql(found[1], after)[0]
    for other in ("sqlite", "mysql"):
        assert _sql(found[0], SchemaState(), other) == []  # no named types there
    assert "`status` ENUM('open', 'closed') NOT NULL" in _sql(found[1], after, "mysql")[0]


def test_an_appended_value_is_added_alone_outside_a_transaction() -> None:
    state = models_state(ticket_models(1))
    (op,) = detect(state, ticket_models(2))
    assert op == ops.AddEnumValue(NAME, "on hold")
    assert op.atomic is False
    assert _sql(op, state) == ["ALTER TYPE \"mge_tickets_status\" ADD VALUE 'on hold'"]
    # MySQL writes the values into the column's type; SQLite's TEXT needs nothing.
    assert _sql(op, state, "mysql") == [
        "ALTER TABLE `mge_tickets` MODIFY COLUMN `status` ENUM('open', 'closed', 'on hold') "
        "NOT NULL"
    ]
    assert _sql(op, state, "sqlite") == []
    # Undoing it rebuilds the type with the former values.
    assert op.reverse(state) == [ops.RebuildEnum(NAME, ("open", "closed"))]


def test_removing_or_reordering_values_is_a_guarded_rebuild() -> None:
    state = models_state(ticket_models(2))
    with pytest.raises(MigrationError, match="rebuild enum type mge_tickets_status"):
        detect(state, ticket_models(3))
    (op,) = detect(state, ticket_models(3), allow_destructive=True)
    assert op == ops.RebuildEnum(NAME, ("closed", "open"))
    assert op.removed(state) == ("on hold",)
    assert _sql(op, state) == [
        'ALTER TYPE "mge_tickets_status" RENAME TO "mge_tickets_status__old"',
        "CREATE TYPE \"mge_tickets_status\" AS ENUM ('closed', 'open')",
        'ALTER TABLE "mge_tickets" ALTER COLUMN "status" TYPE "mge_tickets_status" '
        'USING "status"::text::"mge_tickets_status"',
        'DROP TYPE "mge_tickets_status__old"',
    ]
    assert _sql(op, state, "mysql") == [
        "ALTER TABLE `mge_tickets` MODIFY COLUMN `status` ENUM('closed', 'open') NOT NULL"
    ]


def test_a_dropped_enum_field_drops_its_type_after_the_column() -> None:
    state = models_state(ticket_models(3))
    found = detect(state, ticket_models(4), allow_destructive=True)
    assert found == [ops.DropColumn("mge_tickets", "status"), ops.DropEnum(NAME)]
    assert _sql(found[1], found[0].apply(state)) == ['DROP TYPE "mge_tickets_status"']
    assert found[1].reverse(found[0].apply(state)) == [
        ops.CreateEnum(ops.EnumType(NAME, ("closed", "open")))
    ]


def test_enum_steps_refuse_impossible_states() -> None:
    state = models_state(ticket_models(1))
    with pytest.raises(MigrationError, match=r"column mge_tickets\.status uses it"):
        ops.DropEnum(NAME).apply(state)
    with pytest.raises(MigrationError, match="already has the value 'open'"):
        ops.AddEnumValue(NAME, "open").apply(state)
    with pytest.raises(MigrationError, match="already exists"):
        ops.CreateEnum(ops.EnumType(NAME, ("x",))).apply(state)
    with pytest.raises(MigrationError, match="lists a value twice"):
        ops.CreateEnum(ops.EnumType("other", ("x", "x"))).apply(state)
    table = state["mge_tickets"]
    with pytest.raises(MigrationError, match="names the enum type 'mge_tickets_status'"):
        ops.CreateTable(table).apply(SchemaState())


def test_files_written_for_the_enum_steps_replay_to_the_models_state(tmp_path: Path) -> None:
    for version in (1, 2, 3, 4):
        assert make_migration(tmp_path, ticket_models(version), allow_destructive=True)
        assert make_migration(tmp_path, ticket_models(version)) is None
        assert load_graph(tmp_path).state() == models_state(ticket_models(version))
    text = sorted(tmp_path.glob("0001_*.py"))[0].read_text()
    assert "ops.CreateEnum(enum=ops.EnumType(name='mge_tickets_status'" in text


def test_an_added_value_stays_in_the_transaction_only_where_it_has_no_sql(tmp_path: Path) -> None:
    from twinsql.migrations.script import forward

    make_migration(tmp_path, ticket_models(1))
    path = make_migration(tmp_path, ticket_models(2))
    assert path is not None
    graph = load_graph(tmp_path)
    migration = graph.get(path.stem)
    atomic = {
        name: [p.atomic for p in forward(graph, migration, get_dialect(name))]
        for name in ("postgresql", "mysql", "sqlite")
    }
    # No SQL on SQLite: the step stays in the migration's transaction there (MySQL has
    # no transactional DDL to stay in).
    assert atomic == {"postgresql": [False], "mysql": [False], "sqlite": [True]}
