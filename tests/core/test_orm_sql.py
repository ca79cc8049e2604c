"""Golden SQL of ORM queries per dialect (pure: ``to_sql`` does no I/O)."""

from __future__ import annotations

import pytest

import twinsql
from tests.orm_models import Employee, Post, Staff, User

USER_COLUMNS = '"id", "name", "email", "age", "status", "score"'
POST_COLUMNS = '"deleted_at", "created_at", "updated_at", "id", "title"'


def test_where_order_limit_per_dialect() -> None:
    query = User.query().where(User.c.age >= 18, status="active").order_by("-id").limit(10)
    sqlite_sql, params = query.to_sql("sqlite")
    assert sqlite_sql == (
        'SELECT "id", "name", "email", "age", "status", "score" FROM "orm_users" '
        'WHERE "age" >= ? AND "status" = ? ORDER BY "id" DESC LIMIT ?'
    )
    assert params == [18, "active", 10]
    assert query.to_sql("mysql") == (
        "SELECT `id`, `name`, `email`, `age`, `status`, `score` FROM `orm_users` "
        "WHERE `age` >= ? AND `status` = ? ORDER BY `id` DESC LIMIT ?",
        [18, "active", 10],
    )
    assert query.to_sql("postgresql") == (sqlite_sql, params)


def test_soft_delete_filter_is_part_of_the_sql() -> None:
    assert Post.query().to_sql("postgresql") == (
        f'SELECT {POST_COLUMNS} FROM "orm_posts" WHERE "deleted_at" IS NULL',
        [],
    )
    assert Post.query().with_deleted().to_sql("postgresql") == (
        f'SELECT {POST_COLUMNS} FROM "orm_posts"',
        [],
    )
    assert Post.query().only_deleted().to_sql("postgresql") == (
        f'SELECT {POST_COLUMNS} FROM "orm_posts" WHERE "deleted_at" IS NOT NULL',
        [],
    )


def test_raw_fragments_keep_values_bound() -> None:
    query = User.query().where("name = :n OR email = :n", {"n": "x"})
    assert query.to_sql("sqlite") == (
        f'SELECT {USER_COLUMNS} FROM "orm_users" WHERE name = ? OR email = ?',
        ["x", "x"],
    )


def test_to_sql_binds_every_value() -> None:
    hostile = "x'; DROP TABLE t; --"
    assert User.query().where(name=hostile).limit(5).to_sql("postgresql") == (
        f'SELECT {USER_COLUMNS} FROM "orm_users" WHERE "name" = ? LIMIT ?',
        [hostile, 5],
    )


@pytest.mark.parametrize(
    "hostile",
    ["id; DROP TABLE orm_users --", 'name"', "name`", "1=1", "-", ""],
)
def test_hostile_order_by_and_keywords_are_rejected(hostile: str) -> None:
    with pytest.raises(twinsql.ArgumentError):
        User.query().order_by(hostile)
    with pytest.raises(twinsql.ArgumentError):
        User.query().where(**{hostile: 1})


def test_aggregate_names_are_checked() -> None:
    # Checked before the model's binding is even looked at: no database is bound here.
    for hostile in ("n; DROP", 'n"', "n--", "1n", ""):
        with pytest.raises(twinsql.ArgumentError):
            Employee.query().aggregate(**{hostile: twinsql.Count("id")})


def test_a_cte_on_mapped_columns_is_addressed_by_field_name() -> None:
    walk = Staff.query().where(name="boss").union_all(
        Staff.query().join_cte("chain", lambda chain: Staff.c.reports_to == chain.id)
    )
    query = Staff.query().with_cte("chain", walk, recursive=True).from_cte("chain")
    sql, params = query.to_sql("mysql")
    assert sql == (
        "WITH RECURSIVE `chain` AS ("
        "SELECT `StaffId` AS `id`, `FullName` AS `name`, `ReportsTo` AS `reports_to` "
        "FROM `orm_staff` WHERE `FullName` = ? UNION ALL "
        "SELECT `orm_staff`.`StaffId` AS `id`, `orm_staff`.`FullName` AS `name`, "
        "`orm_staff`.`ReportsTo` AS `reports_to` FROM `orm_staff` "
        "INNER JOIN `chain` ON `orm_staff`.`ReportsTo` = `chain`.`id`) "
        "SELECT `id`, `name`, `reports_to` FROM `chain`"
    )
    assert params == ["boss"]
