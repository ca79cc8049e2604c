"""Pure tests of composite primary keys: the SQL a find, save, delete, eager load and keyset
batch sends for a key of several fields (golden text per dialect), and the refusals before
any I/O."""

from __future__ import annotations

from typing import ClassVar

import pytest

import twinsql
from tests.key_models import PlaylistTrack
from twinsql.errors import ArgumentError, InterfaceError
from twinsql.orm import eager, persist
from twinsql.orm import query_state as q
from twinsql.orm.bulk import upsert_statements
from twinsql.orm.ddl import create_statements
from twinsql.orm.state import hydrate
from twinsql.sql.compiler import compile_select
from twinsql.sql.dialects import MYSQL, POSTGRESQL, SQLITE
from twinsql.sql.expr import Col
from twinsql.sql.nodes import RowIn
from twinsql.sql.select import Select
from twinsql.sql.table import TableInfo


class KLine(twinsql.Model):
    __table_name__ = "k_lines"
    invoice: str = twinsql.Field(primary_key=True, max_length=10)
    line: int = twinsql.Field(primary_key=True)
    sku: str = ""

    notes: ClassVar[twinsql.HasMany[KNote]] = twinsql.HasMany(foreign_key=("invoice", "line"))


class KNote(twinsql.Model):
    __table_name__ = "k_notes"
    id: int | None = None
    invoice: str = twinsql.Field(max_length=10)
    line: int
    text: str = ""

    owner: ClassVar[twinsql.BelongsTo[KLine]] = twinsql.BelongsTo(foreign_key=("invoice", "line"))


def loaded(model: type[twinsql.Model], *rows: tuple[object, ...]) -> list[twinsql.Model]:
    return hydrate(model.__twinsql__, list(rows), "sqlite")


def test_find_names_every_key_field() -> None:
    info = KLine.__twinsql__
    assert persist.find_sql(info, SQLITE) == (
        'SELECT "invoice", "line", "sku" FROM "k_lines" WHERE "invoice" = ? AND "line" = ?'
    )
    assert persist.key_from_arguments(info, ("A", 1), {}) == ("A", 1)
    assert persist.key_from_arguments(info, ["A", 1], {}) == ("A", 1)
    assert persist.key_from_arguments(info, persist.NO_KEY, {"line": 1, "invoice": "A"}) == (
        "A",
        1,
    )


@pytest.mark.parametrize(
    ("pk", "named", "message"),
    [
        ("A", {}, "KLine has a composite primary key (invoice, line): pass a tuple of 2 "
         "values or the fields by name, not 'A'"),
        (("A", 1, 2), {}, "KLine has a composite primary key (invoice, line): pass a tuple "
         "of 2 values or the fields by name, not ('A', 1, 2)"),
        (persist.NO_KEY, {"invoice": "A", "sku": "x"},
         "KLine is found by its key fields invoice, line; got invoice, sku"),
        (persist.NO_KEY, {}, "KLine: find needs the primary key (invoice, line)"),
    ],
)  # fmt: skip
def test_a_key_of_the_wrong_shape_is_refused(
    pk: object, named: dict[str, object], message: str
) -> None:
    with pytest.raises(ArgumentError) as error:
        persist.key_from_arguments(KLine.__twinsql__, pk, named)
    assert str(error.value) == message


def test_update_and_delete_name_the_row_by_every_key_field() -> None:
    info = KLine.__twinsql__
    (record,) = loaded(KLine, ("A", 2, "x"))
    record.sku = "y"  # type: ignore[attr-defined]
    plan = persist.plan_update(info, record, MYSQL, persist.utc_now())
    assert plan is not None
    assert (plan.sql, plan.params) == (
        "UPDATE `k_lines` SET `sku` = ? WHERE `invoice` = ? AND `line` = ?",
        ["y", "A", 2],
    )
    # The cached text takes the same parameters in the same order.
    again = persist.plan_update(info, record, MYSQL, persist.utc_now())
    assert again is not None and again.params == ["y", "A", 2]
    assert persist.plan_delete(info, record, POSTGRESQL) == (
        'DELETE FROM "k_lines" WHERE "invoice" = ? AND "line" = ?',
        ["A", 2],
    )


def test_a_changed_key_field_is_refused() -> None:
    (record,) = loaded(KLine, ("A", 2, "x"))
    record.line = 3  # type: ignore[attr-defined]
    with pytest.raises(ArgumentError) as error:
        persist.plan_update(KLine.__twinsql__, record, SQLITE, persist.utc_now())
    assert str(error.value).startswith("KLine: the key field line of a saved record was changed")


def test_insert_sends_every_key_field_and_generates_none() -> None:
    plan = persist.plan_insert(
        KLine.__twinsql__, KLine(invoice="A", line=1), POSTGRESQL, persist.utc_now()
    )
    assert (plan.sql, plan.params, plan.generated, plan.use_returning) == (
        'INSERT INTO "k_lines" ("invoice", "line", "sku") VALUES (?, ?, ?)',
        ["A", 1, ""],
        (),
        False,
    )


@pytest.mark.parametrize(
    ("dialect", "expected"),
    [
        # SQLite's planner searches the key's index for ORs, not for a row-value IN.
        (SQLITE, 'SELECT "a" FROM "t" WHERE (("a" = ? AND "b" = ?) OR ("a" = ? AND "b" = ?))'),
        (POSTGRESQL, 'SELECT "a" FROM "t" WHERE ("a", "b") IN ((?, ?), (?, ?))'),
        (MYSQL, "SELECT `a` FROM `t` WHERE (`a`, `b`) IN ((?, ?), (?, ?))"),
    ],
)
def test_row_in_renders_one_row_value_per_key(dialect: object, expected: str) -> None:
    table = TableInfo("t", ("a", "b"), primary_keys=("a", "b"))
    condition = RowIn([Col("a", table=table), Col("b", table=table)], [(1, "x"), (2, "y")])
    select = Select(table, columns=(Col("a", table=table),), where=condition)
    assert compile_select(select, dialect) == (expected, [1, "x", 2, "y"])  # type: ignore[arg-type]
    empty = Select(table, columns=(Col("a", table=table),), where=RowIn(condition.exprs, []))
    assert compile_select(empty, SQLITE)[0].endswith("WHERE 1 = 0")


def test_ored_rows_nest_in_balanced_halves() -> None:
    table = TableInfo("t", ("a", "b"), primary_keys=("a", "b"))
    rows = [(i, -i) for i in range(5)]
    where = RowIn([Col("a", table=table), Col("b", table=table)], rows)
    select = Select(table, columns=(Col("a", table=table),), where=where)
    sql, params = compile_select(select, SQLITE)
    term = '("a" = ? AND "b" = ?)'
    assert sql.endswith(f"WHERE (({term} OR {term}) OR ({term} OR ({term} OR {term})))")
    assert params == [v for row in rows for v in row]
    # Inside NOT or beside OR it stays one operand.
    negated = compile_select(Select(table, where=~RowIn(where.exprs, rows[:1])), SQLITE)[0]
    assert negated.endswith(f"WHERE NOT ({term})")


def test_keys_per_statement_caps_ored_rows() -> None:
    assert eager.keys_per_statement(32000, 2, SQLITE) == 500
    assert eager.keys_per_statement(32000, 2, POSTGRESQL) == 16000
    assert eager.keys_per_statement(32000, 1, SQLITE) == 32000
    assert eager.keys_per_statement(3, 2, MYSQL) == 1


def test_row_in_refuses_rows_of_the_wrong_width() -> None:
    table = TableInfo("t", ("a", "b"), primary_keys=("a", "b"))
    with pytest.raises(ArgumentError) as error:
        RowIn([Col("a", table=table), Col("b", table=table)], [(1,)])
    assert str(error.value) == "a row of 1 values matched against 2 columns"


def test_eager_loads_over_two_columns() -> None:
    lines = loaded(KLine, ("A", 1, "x"), ("A", 2, "y"), ("A", 1, "x"))
    spec = KLine.__twinsql__.relations["notes"].spec()
    fields, keys = eager.lookup(spec, lines)
    assert (fields, keys) == (("invoice", "line"), [("A", 1), ("A", 2)])
    # Two parameters per key: an IN list of 3 parameters holds one key.
    assert eager.select_in(KNote.__twinsql__, fields, keys, 3, SQLITE) == [
        (
            'SELECT "id", "invoice", "line", "text" FROM "k_notes" '
            'WHERE ("invoice" = ? AND "line" = ?)',
            ["A", 1],
        ),
        (
            'SELECT "id", "invoice", "line", "text" FROM "k_notes" '
            'WHERE ("invoice" = ? AND "line" = ?)',
            ["A", 2],
        ),
    ]
    notes = loaded(KNote, (1, "A", 2, "n1"), (2, "A", 1, "n2"), (3, "A", 2, "n3"))
    eager.attach(spec, lines, notes)
    assert [[n.text for n in line.notes] for line in lines] == [["n2"], ["n1", "n3"], ["n2"]]  # type: ignore[attr-defined]
    back = KNote.__twinsql__.relations["owner"].spec()
    assert eager.lookup(back, notes) == (("invoice", "line"), [("A", 2), ("A", 1)])
    eager.attach(back, notes, lines[:2])
    assert [n.owner.line for n in notes] == [2, 1, 2]  # type: ignore[attr-defined]


def test_a_limit_per_parent_partitions_by_every_key_field() -> None:
    def refine(state: q.QueryState) -> q.QueryState:
        return state.with_select(limit=1)

    ((sql, params),) = eager.select_in(
        KNote.__twinsql__, ("invoice", "line"), [("A", 1)], 100, POSTGRESQL, refine
    )
    assert 'OVER (PARTITION BY "invoice", "line" ORDER BY "id")' in sql
    assert params == ["A", 1, 0, 1]


def test_a_foreign_key_must_pair_with_the_key() -> None:
    class KBad(twinsql.Model):
        __table_name__ = "k_bad"
        id: int | None = None
        invoice: str = ""

        owner: ClassVar[twinsql.BelongsTo[KLine]] = twinsql.BelongsTo(foreign_key="invoice")

    with pytest.raises(ArgumentError) as error:
        KBad.__twinsql__.relations["owner"].spec()
    assert str(error.value) == (
        "relation KBad.owner: the foreign key (invoice) has 1 field(s) but the key it refers "
        "to (invoice, line) has 2; pass foreign_key=(...) with one field per key field"
    )


def test_keyset_batches_follow_every_key_field() -> None:
    start = q.keyset_start(q.QueryState(KLine.__twinsql__, Select(KLine.__twinsql__.table)), 2)
    sql, params = q.select_sql(q.keyset_after(start, ("A", 7)), SQLITE)
    assert sql == (
        'SELECT "invoice", "line", "sku" FROM "k_lines" '
        'WHERE "invoice" > ? OR ("invoice" = ? AND "line" > ?) ORDER BY "invoice", "line" LIMIT ?'
    )
    assert params == ["A", "A", 7, 2]


def test_the_ddl_declares_the_key_as_a_table_constraint() -> None:
    assert create_statements(KLine.__twinsql__, POSTGRESQL) == [
        'CREATE TABLE IF NOT EXISTS "k_lines" (\n'
        '    "invoice" VARCHAR(10) NOT NULL,\n'
        '    "line" BIGINT NOT NULL,\n'
        '    "sku" TEXT NOT NULL,\n'
        '    PRIMARY KEY ("invoice", "line")\n'
        ")"
    ]
    (note,) = create_statements(KNote.__twinsql__, MYSQL)
    assert note.endswith(
        "FOREIGN KEY (`invoice`, `line`) REFERENCES `k_lines` (`invoice`, `line`)\n)"
    )


def test_a_has_many_from_a_composite_key_defaults_to_one_field_per_key_field() -> None:
    class KBox(twinsql.Model):
        __table_name__ = "k_boxes"
        country: str = twinsql.Field(primary_key=True, max_length=2)
        code: int = twinsql.Field(primary_key=True)

        parcels: ClassVar[twinsql.HasMany[KParcel]] = twinsql.HasMany()

    class KParcel(twinsql.Model):
        __table_name__ = "k_parcels"
        id: int | None = None
        k_box_country: str = twinsql.Field(max_length=2)
        k_box_code: int

        box: ClassVar[twinsql.BelongsTo[KBox]] = twinsql.BelongsTo(
            foreign_key=("k_box_country", "k_box_code")
        )

    parcels = KBox.__twinsql__.relations["parcels"].spec()
    assert parcels.target.model is KParcel
    assert (parcels.foreign_keys, parcels.keys) == (
        ("k_box_country", "k_box_code"),
        ("country", "code"),
    )
    box = KParcel.__twinsql__.relations["box"].spec()
    assert (box.foreign_keys, box.keys) == (("k_box_country", "k_box_code"), ("country", "code"))
    with pytest.raises(InterfaceError) as error:
        box.foreign_key  # noqa: B018
    assert str(error.value) == "relation box is keyed by several fields (k_box_country, k_box_code)"


def test_an_upsert_on_a_composite_key_updates_the_other_fields_by_default() -> None:
    query = PlaylistTrack.query().on_conflict("playlist_id", "track_id").do_update()
    info = PlaylistTrack.__twinsql__
    fields = ("playlist_id", "track_id", "position")
    ((pg, params),) = upsert_statements(
        info, fields, [(1, 2, 3)], POSTGRESQL, 100, query.state.on_conflict
    )
    assert pg == (
        'INSERT INTO "key_playlist_tracks" ("playlist_id", "track_id", "position") VALUES '
        '(?, ?, ?) ON CONFLICT ("playlist_id", "track_id") DO UPDATE SET '
        '"position" = EXCLUDED."position"'
    )
    assert params == [1, 2, 3]
    ((my, _),) = upsert_statements(info, fields, [(1, 2, 3)], MYSQL, 100, query.state.on_conflict)
    assert my.endswith("ON DUPLICATE KEY UPDATE `position` = VALUES(`position`)")
