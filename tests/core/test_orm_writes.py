"""ORM writes built and not sent (``update_statement``, ``delete_statement``,
``insert_many_statement``) and the ``RunORM`` migration step that takes them, without a
database."""

from __future__ import annotations

from pathlib import Path

import pytest

import twinsql
from tests.orm_models import User
from twinsql.errors import ArgumentError, MigrationError
from twinsql.migrations import operations as ops
from twinsql.migrations.commands import squash
from twinsql.migrations.loader import write_migration
from twinsql.migrations.state import SchemaState
from twinsql.migrations.writer import render_migration


def test_an_update_is_compiled_for_every_backend_with_bound_values() -> None:
    built = User.query().where(User.c.age > 30).update_statement(status="senior")
    assert isinstance(built, twinsql.WriteStatement)
    assert built.statements_for("postgresql") == (
        ('UPDATE "orm_users" SET "status" = ? WHERE "age" > ?', ("senior", 30)),
    )
    assert built.statements_for("sqlite") == built.statements_for("postgresql")
    assert built.statements_for("mysql") == (
        ("UPDATE `orm_users` SET `status` = ? WHERE `age` > ?", ("senior", 30)),
    )
    # Values are user data: the repr shows what the statement does, never them.
    assert repr(built) == "WriteStatement('update orm_users set status')"
    with pytest.raises(ArgumentError, match="no statement for dialect 'oracle'"):
        built.statements_for("oracle")


def test_a_delete_and_refusals_before_anything_is_built() -> None:
    built = User.query().where(name="x").delete_statement()
    assert built.statements_for("mysql") == (("DELETE FROM `orm_users` WHERE `name` = ?", ("x",)),)
    with pytest.raises(ArgumentError, match="at least one field"):
        User.query().update_statement()
    with pytest.raises(ArgumentError, match="drop returning"):
        User.query().returning("id").delete_statement()
    with pytest.raises(ArgumentError, match="limit"):
        User.query().limit(1).update_statement(age=1)


def test_insert_many_statement_validates_and_cuts_under_999_parameters() -> None:
    rows = [{"name": f"n{i}", "email": f"e{i}@x", "age": i} for i in range(400)]
    built = User.insert_many_statement(rows)
    parts = built.statements_for("sqlite")
    columns = parts[0][0].split("(")[1].split(")")[0].split(", ")
    per_row = len(columns)
    assert all(len(params) <= 999 for _, params in parts)
    assert sum(len(params) for _, params in parts) == 400 * per_row
    assert len(parts) == -(-400 * per_row // (999 // per_row * per_row))
    assert parts[0][0].startswith('INSERT INTO "orm_users" (')
    assert built.statements_for("mysql")[0][0].startswith("INSERT INTO `orm_users` (")
    with pytest.raises(Exception, match="age"):
        User.insert_many_statement([{"name": "n", "email": "e", "age": "not a number"}])


def test_run_orm_reverses_with_its_backward_and_refuses_what_is_not_a_write() -> None:
    def forward(models: dict[str, type[twinsql.Model]]) -> twinsql.WriteStatement:
        return models["orm_users"].query().update_statement(age=1)

    def backward(models: dict[str, type[twinsql.Model]]) -> twinsql.WriteStatement:
        return models["orm_users"].query().update_statement(age=0)

    op = ops.RunORM(forward, backward)
    assert op.apply(SchemaState()) == SchemaState()
    assert op.reverse(SchemaState()) == [ops.RunORM(backward, forward)]
    assert op.describe() == "run ORM forward"
    with pytest.raises(MigrationError, match="has no backward callable"):
        ops.RunORM(forward).reverse(SchemaState())
    wrong = ops.RunORM(lambda models: "UPDATE orm_users SET age = 1")
    with pytest.raises(MigrationError, match="returned str"):
        wrong.statements({}, "sqlite")
    users = {"orm_users": User}
    assert op.statements(users, "sqlite") == [('UPDATE "orm_users" SET "age" = ?', (1,))]


def test_a_squash_refuses_to_repeat_an_orm_data_migration(tmp_path: Path) -> None:
    table = ops.Table("mgo_items", (ops.Column("id", "int", auto=True),), ("id",))
    write_migration(
        tmp_path, "0001_items", render_migration("0001_items", [], [ops.CreateTable(table)])
    )
    (tmp_path / "0002_data.py").write_text(
        "from twinsql.migrations import operations as ops\n\n"
        "dependencies: list[str] = ['0001_items']\n\n"
        "operations: list[ops.Operation] = [\n"
        "    ops.RunORM(lambda models: models['mgo_items'].query().delete_statement()),\n"
        "]\n"
    )
    with pytest.raises(MigrationError, match=r"callables \(RunPython, RunORM\)"):
        squash(tmp_path, "0002_data")
    assert squash(tmp_path, "0001_items").name.endswith(".py")
