"""Migrations, pure: the autodetector, the file writer, the graph and each operation's SQL,
without a database."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import pytest

import twinsql
from tests.migration_models import STEPS, models_at, write_evolution
from twinsql import Model, Registry
from twinsql.migrations import operations as ops
from twinsql.migrations.autodetect import detect
from twinsql.migrations.commands import check_models, make_migration, merge_heads
from twinsql.migrations.graph import Migration, MigrationGraph
from twinsql.migrations.loader import load_graph
from twinsql.migrations.models import models_state
from twinsql.migrations.sqlgen import Rebuild, Statement, rebuild_statements, statements
from twinsql.migrations.state import SchemaState
from twinsql.sql.dialects import get_dialect

DIALECTS = ["sqlite", "postgresql", "mysql"]


class Yes:
    """A questioner that accepts every rename and fills new columns with ``value``."""

    def __init__(self, value: Any = None) -> None:
        self.value = value
        self.asked: list[tuple[str, str, str]] = []

    def confirm_rename(self, what: str, old: str, new: str) -> bool:
        self.asked.append((what, old, new))
        return True

    def backfill(self, table: str, column: ops.Column) -> Any:
        return self.value


def _people(version: int) -> list[type[Any]]:
    class Base(Model):
        __abstract__: ClassVar[bool] = True
        __registry__ = Registry(f"people-{version}")

    class Person(Base):
        __table_name__ = "mg_people"
        id: int | None = None
        if version == 1:
            nick: str = ""
        elif version == 2:
            handle: str = ""
        else:
            handle: int = 0  # type: ignore[no-redef]

    return [Person]


def test_the_same_models_write_the_same_bytes_and_a_rerun_has_no_changes(
    tmp_path: Path,
) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    write_evolution(str(first))
    write_evolution(str(second))
    names = sorted(p.name for p in first.iterdir())
    assert len(names) == STEPS
    assert names == sorted(p.name for p in second.iterdir())
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes()
    assert make_migration(first, models_at(STEPS)) is None
    assert check_models(first, models_at(STEPS)) == []


def test_replaying_the_files_gives_the_state_of_the_models(tmp_path: Path) -> None:
    write_evolution(str(tmp_path))
    assert load_graph(tmp_path).state() == models_state(models_at(STEPS))


def test_renamed_from_renames_the_column_and_keeps_its_index_rule(tmp_path: Path) -> None:
    before = models_state(models_at(5))
    found = detect(before, models_at(6))
    assert found == [ops.RenameColumn("ev_authors", "name", "full_name")]


def test_a_model_level_rename_renames_the_table() -> None:
    found = detect(models_state(models_at(12)), models_at(13))
    assert found[0] == ops.RenameTable("ev_tags", "ev_labels")


def test_no_input_fails_on_an_ambiguous_drop_and_add() -> None:
    with pytest.raises(twinsql.MigrationError, match=r"'mg_people.nick' was removed and 'handle'"):
        detect(models_state(_people(1)), _people(2))


def test_an_interactive_answer_makes_it_a_rename() -> None:
    asked = Yes()
    found = detect(models_state(_people(1)), _people(2), asked)
    assert found == [ops.RenameColumn("mg_people", "nick", "handle")]
    assert asked.asked == [("column", "mg_people.nick", "handle")]


def test_destructive_steps_need_to_be_allowed() -> None:
    with pytest.raises(twinsql.MigrationError, match=r"drop column ev_authors\.age"):
        detect(models_state(models_at(11)), models_at(12))
    found = detect(models_state(models_at(11)), models_at(12), allow_destructive=True)
    assert found == [ops.DropColumn("ev_authors", "age")]


def test_a_type_change_that_cannot_be_done_in_place_is_refused_before_any_sql() -> None:
    state = models_state(_people(2))
    found = detect(state, _people(3), allow_destructive=True)
    assert found == [
        ops.AlterColumn("mg_people", ops.Column("handle", "int", default=0)),
    ]
    with pytest.raises(twinsql.MigrationError, match="from str to int in place"):
        statements(found[0], state, get_dialect("postgresql"))


def test_a_not_null_column_without_default_needs_a_backfill() -> None:
    class Base(Model):
        __abstract__: ClassVar[bool] = True
        __registry__ = Registry("backfill")

    class Person(Base):
        __table_name__ = "mg_people"
        id: int | None = None
        nick: str = ""
        born: int

    with pytest.raises(twinsql.MigrationError, match=r"mg_people\.born is NOT NULL"):
        detect(models_state(_people(1)), [Person])
    found = detect(models_state(_people(1)), [Person], Yes(1970))
    assert found == [ops.AddColumn("mg_people", ops.Column("born", "int"), backfill=1970)]
    steps = statements(found[0], models_state(_people(1)), get_dialect("postgresql"))
    assert steps[1] == Statement('UPDATE "mg_people" SET "born" = ?', (1970,))


def test_renaming_onto_an_existing_name_is_a_clear_error() -> None:
    state = models_state(models_at(8))
    with pytest.raises(twinsql.MigrationError, match="'ev_books' already exists"):
        ops.RenameTable("ev_tags", "ev_books").apply(state)
    with pytest.raises(twinsql.MigrationError, match=r"ev_authors\.email already exists"):
        ops.RenameColumn("ev_authors", "full_name", "email").apply(state)


def test_every_operation_reverts_to_the_state_before_it(tmp_path: Path) -> None:
    write_evolution(str(tmp_path))
    graph = load_graph(tmp_path)
    state = SchemaState()
    for name in graph.order:
        for op in graph.migrations[name].operations:
            after = op.apply(state)
            back = after
            for undo in op.reverse(state):
                back = undo.apply(back)
            assert back == state, f"{name}: {op.describe()}"
            state = after


def test_an_operation_without_a_reverse_says_so() -> None:
    with pytest.raises(twinsql.MigrationError, match="run SQL cannot be reverted"):
        ops.RunSQL("UPDATE t SET a = 1").reverse(SchemaState())


def _migration(name: str, *deps: str) -> Migration:
    return Migration(name, deps, (), "0" * 64)


def test_the_graph_refuses_a_missing_dependency_and_a_cycle() -> None:
    with pytest.raises(twinsql.MigrationError, match="0002_b depends on 0009_x, which does not"):
        MigrationGraph([_migration("0001_a"), _migration("0002_b", "0009_x")])
    with pytest.raises(twinsql.MigrationError, match="cycle: 0001_a → 0002_b → 0001_a"):
        MigrationGraph([_migration("0001_a", "0002_b"), _migration("0002_b", "0001_a")])


def test_two_branches_are_two_heads_until_merged(tmp_path: Path) -> None:
    write_evolution(str(tmp_path), 2)
    (tmp_path / "0002_other_branch.py").write_text(
        "from twinsql.migrations import operations as ops\n"
        "dependencies = ['0001_initial']\n"
        "operations = [ops.RunSQL('SELECT 1')]\n"
    )
    assert load_graph(tmp_path).heads() == ["0002_add_column_ev_authors_email", "0002_other_branch"]
    assert check_models(tmp_path, models_at(2)) == [
        "several heads: 0002_add_column_ev_authors_email, 0002_other_branch "
        "(run `twinsql migrations merge`)"
    ]
    with pytest.raises(twinsql.MigrationError, match="several heads"):
        make_migration(tmp_path, models_at(3))
    merged = merge_heads(tmp_path)
    assert merged is not None and merged.stem == "0003_merge"
    assert load_graph(tmp_path).heads() == ["0003_merge"]
    assert check_models(tmp_path, models_at(2)) == []


def test_check_reports_models_changed_without_a_migration(tmp_path: Path) -> None:
    write_evolution(str(tmp_path), 3)
    assert check_models(tmp_path, models_at(4)) == [
        "models changed without a migration: create index ix_ev_books_title on ev_books (title)"
    ]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_sql_of_an_indexed_string_column_matches_create_all_types(dialect: str) -> None:
    state = models_state(_people(2))
    op = ops.CreateIndex("mg_people", ops.Index("uq_mg_people_handle", ("handle",), unique=True))
    found = statements(op, state, get_dialect(dialect))
    last = found[-1]
    assert isinstance(last, Statement) and last.sql.startswith("CREATE UNIQUE INDEX")
    if dialect == "mysql":
        # MySQL cannot index TEXT: the column is bounded first, as create_all types it.
        assert found[0] == Statement(
            "ALTER TABLE `mg_people` MODIFY COLUMN `handle` VARCHAR(255) NOT NULL"
        )
        back = statements(
            ops.DropIndex("mg_people", "uq_mg_people_handle"), op.apply(state), get_dialect(dialect)
        )
        assert back[-1] == Statement("ALTER TABLE `mg_people` MODIFY COLUMN `handle` TEXT NOT NULL")
    else:
        assert len(found) == 1


def test_sqlite_rebuilds_what_alter_table_cannot_and_keeps_views() -> None:
    state = models_state(models_at(10))
    op = detect(state, models_at(11))[0]
    assert op == ops.AlterColumn("ev_books", ops.Column("pages", "int", default=1))
    (rebuild,) = statements(op, state, get_dialect("sqlite"))
    assert isinstance(rebuild, Rebuild)
    view = ("view", "ev_titles", 'CREATE VIEW "ev_titles" AS SELECT title FROM ev_books')
    text = [s.sql for s in rebuild_statements(rebuild, get_dialect("sqlite"), [view])]
    assert text[0] == 'DROP VIEW "ev_titles"'
    assert text[1].startswith('CREATE TABLE "_twinsql_new_ev_books"')
    assert 'CONSTRAINT "fk_ev_books_author_id" FOREIGN KEY' in text[1]
    assert text[2] == (
        'INSERT INTO "_twinsql_new_ev_books" ("id", "title", "author_id", "rating", "pages") '
        'SELECT "id", "title", "author_id", "rating", COALESCE("pages", ?) FROM "ev_books"'
    )
    assert text[3:5] == [
        'DROP TABLE "ev_books"',
        'ALTER TABLE "_twinsql_new_ev_books" RENAME TO "ev_books"',
    ]
    assert text[-1] == view[2]


def test_a_concurrent_index_is_marked_to_run_alone_and_spelled_per_backend() -> None:
    state = models_state(_people(2))
    op = ops.CreateIndex(
        "mg_people", ops.Index("ix_mg_people_handle", ("handle",)), concurrently=True
    )
    assert not op.atomic
    assert statements(op, state, get_dialect("postgresql")) == [
        Statement('CREATE INDEX CONCURRENTLY "ix_mg_people_handle" ON "mg_people" ("handle")')
    ]
    assert statements(op, state, get_dialect("sqlite")) == [
        Statement('CREATE INDEX "ix_mg_people_handle" ON "mg_people" ("handle")')
    ]


def test_the_offline_script_holds_the_ddl_and_the_version_table_writes(tmp_path: Path) -> None:
    from twinsql.migrations.script import offline_script

    write_evolution(str(tmp_path), 5)
    graph = load_graph(tmp_path)
    script = offline_script(graph, graph.order, get_dialect("postgresql"))
    assert script.count('INSERT INTO "twinsql_migrations"') == 5
    # The backfill of the NOT NULL column is written as a literal in an offline script.
    assert 'UPDATE "ev_authors" SET "age" = 0;' in script
    assert f"'{graph.migrations['0001_initial'].checksum}'" in script


def test_a_squash_is_dormant_beside_its_originals_and_replaces_them_once_deleted(
    tmp_path: Path,
) -> None:
    from twinsql.migrations.commands import squash

    names = write_evolution(str(tmp_path), 5)
    path = squash(tmp_path, names[-1])
    assert path.stem == "0006_squashed_0005"
    assert "replaces: list[str] = ['0001_initial'," in path.read_text()
    graph = load_graph(tmp_path)
    assert graph.order == names
    for name in names:
        (tmp_path / f"{name}.py").unlink()
    after = make_migration(tmp_path, models_at(6))
    assert after is not None and after.stem.startswith("0007_")
    graph = load_graph(tmp_path)
    assert graph.order == ["0006_squashed_0005", after.stem]
    assert graph.state() == models_state(models_at(6))
    done = {n: {"steps": 1, "total": 1} for n in names}
    rows = graph.normalize_rows(done)
    assert list(rows) == ["0006_squashed_0005"]
    with pytest.raises(twinsql.MigrationError, match="applied only part of what"):
        graph.normalize_rows({names[0]: {"steps": 1, "total": 1}})
    (tmp_path / f"{names[0]}.py").write_text("operations = []\n")
    with pytest.raises(twinsql.MigrationError, match="but only 0001_initial are present"):
        load_graph(tmp_path)


def test_checks_and_partial_indexes_are_written_and_refused_where_missing() -> None:
    state = models_state(_people(2))
    check = ops.AddCheck("mg_people", ops.Check("ck_handle", "handle <> ''"))
    assert statements(check, state, get_dialect("postgresql")) == [
        Statement('ALTER TABLE "mg_people" ADD CONSTRAINT "ck_handle" CHECK (handle <> \'\')')
    ]
    (rebuild,) = statements(check, state, get_dialect("sqlite"))
    assert isinstance(rebuild, Rebuild) and rebuild.after.checks == (check.check,)
    partial = ops.CreateIndex("mg_people", ops.Index("ix_p", ("handle",), where="id > 0"))
    assert statements(partial, state, get_dialect("sqlite")) == [
        Statement('CREATE INDEX "ix_p" ON "mg_people" ("handle") WHERE id > 0')
    ]
    with pytest.raises(twinsql.MigrationError, match="no partial indexes"):
        statements(partial, state, get_dialect("mysql"))


def _named(version: int) -> list[type[Any]]:
    class Base(Model):
        __abstract__: ClassVar[bool] = True
        __registry__ = Registry(f"named-{version}")
        __naming__ = twinsql.Naming(column="PascalCase", table="PascalCase")

    class MediaType(Base):
        media_type_id: int | None = twinsql.Field(None, primary_key=True)
        if version == 1:
            label: str = ""
        else:
            display_name: str = twinsql.Field("", renamed_from="label")

    class Track(Base):
        track_id: int | None = twinsql.Field(None, primary_key=True)
        media_type_id: int

        media_type: ClassVar[twinsql.BelongsTo[MediaType]] = twinsql.BelongsTo()

    return [MediaType, Track]


def test_naming_rules_give_the_names_of_tables_columns_and_renames() -> None:
    state = models_state(_named(1))
    assert list(state) == ["MediaType", "Track"]
    assert [c.name for c in state["MediaType"].columns] == ["MediaTypeId", "Label"]
    assert state["Track"].foreign_keys == (
        ops.ForeignKey("fk_Track_MediaTypeId", ("MediaTypeId",), "MediaType", ("MediaTypeId",)),
    )
    assert detect(state, _named(2)) == [ops.RenameColumn("MediaType", "Label", "DisplayName")]
