"""Pure tests of twinsql.orm.query_state: the SQL each terminal sends (golden text), the
soft-delete visibility, unions, paging, keyset iteration and the checks made before I/O."""

from __future__ import annotations

from typing import Any

import pytest

import twinsql
from tests.orm_models import Post, User
from twinsql.errors import ArgumentError, InvalidIdentifierError, ProgrammingError, RecordNotFound
from twinsql.orm import query_state as q
from twinsql.orm.query_state import Page, QueryState
from twinsql.sql.dialects import MYSQL, POSTGRESQL, SQLITE

POST_COLUMNS = '"deleted_at", "created_at", "updated_at", "id", "title"'
USER_COLUMNS = '"id", "name", "email", "age", "status", "score"'


def posts(title: str = "x") -> QueryState:
    return Post.query().where(title=title).state


def test_live_records_only_by_default() -> None:
    assert q.select_sql(posts(), SQLITE) == (
        f'SELECT {POST_COLUMNS} FROM "orm_posts" WHERE "title" = ? AND "deleted_at" IS NULL',
        ["x"],
    )


def test_visibility_all_and_deleted() -> None:
    assert q.select_sql(posts().evolve(visibility="all"), SQLITE) == (
        f'SELECT {POST_COLUMNS} FROM "orm_posts" WHERE "title" = ?',
        ["x"],
    )
    assert q.select_sql(posts().evolve(visibility="deleted"), SQLITE) == (
        f'SELECT {POST_COLUMNS} FROM "orm_posts" WHERE "title" = ? AND "deleted_at" IS NOT NULL',
        ["x"],
    )
    unfiltered = Post.query().state
    assert q.visible_select(unfiltered).where is not None
    assert q.select_sql(unfiltered, SQLITE) == (
        f'SELECT {POST_COLUMNS} FROM "orm_posts" WHERE "deleted_at" IS NULL',
        [],
    )
    # A model without soft delete is left as it is.
    users = User.query().state
    assert q.visible_select(users) is users.select


def test_first_count_exists_and_aggregate() -> None:
    assert q.first_sql(posts(), SQLITE) == (
        f'SELECT {POST_COLUMNS} FROM "orm_posts" WHERE "title" = ? AND "deleted_at" IS NULL '
        "LIMIT ?",
        ["x", 1],
    )
    assert q.count_sql(posts(), SQLITE) == (
        'SELECT COUNT(*) FROM "orm_posts" WHERE "title" = ? AND "deleted_at" IS NULL',
        ["x"],
    )
    assert q.exists_sql(posts(), SQLITE) == (
        'SELECT EXISTS (SELECT 1 FROM "orm_posts" WHERE "title" = ? AND "deleted_at" IS NULL)',
        ["x"],
    )
    assert q.aggregate_sql(posts(), {"n": twinsql.Count("id")}, SQLITE) == (
        'SELECT COUNT("id") AS "n" FROM "orm_posts" WHERE "title" = ? AND "deleted_at" IS NULL',
        ["x"],
    )


def test_a_union_orders_and_limits_the_whole_compound() -> None:
    head = User.query().where(age=3).order_by("-id").limit(5).state
    other = q.statement(User.query().where(age=4).state)
    assert q.statement(head) is head.select  # no unions, no soft delete: the select itself
    union = head.evolve(unions=(("UNION", other),))
    assert q.select_sql(union, SQLITE) == (
        f'SELECT {USER_COLUMNS} FROM "orm_users" WHERE "age" = ? UNION '
        f'SELECT {USER_COLUMNS} FROM "orm_users" WHERE "age" = ? ORDER BY "id" DESC LIMIT ?',
        [3, 4, 5],
    )
    assert q.count_sql(head.evolve(unions=(("UNION ALL", other),)), SQLITE) == (
        f'SELECT COUNT(*) FROM (SELECT {USER_COLUMNS} FROM "orm_users" WHERE "age" = ? '
        f'UNION ALL SELECT {USER_COLUMNS} FROM "orm_users" WHERE "age" = ? '
        'ORDER BY "id" DESC LIMIT ?) AS "_count"',
        [3, 4, 5],
    )


def test_update_and_delete_apply_to_the_visible_rows() -> None:
    assert q.update_sql(posts(), {"title": "y"}, SQLITE) == (
        'UPDATE "orm_posts" SET "title" = ? WHERE "title" = ? AND "deleted_at" IS NULL',
        ["y", "x"],
    )
    returning = User.query().where(age=1).returning("id").state
    assert q.update_sql(returning, {"status": "z"}, POSTGRESQL) == (
        'UPDATE "orm_users" SET "status" = ? WHERE "age" = ? RETURNING "id"',
        ["z", 1],
    )
    assert q.delete_sql(posts(), SQLITE) == (
        'DELETE FROM "orm_posts" WHERE "title" = ? AND "deleted_at" IS NULL',
        ["x"],
    )
    assert q.delete_sql(User.query().state, MYSQL) == ("DELETE FROM `orm_users`", [])


def test_update_checks_its_fields() -> None:
    with pytest.raises(InvalidIdentifierError):
        q.update_sql(User.query().state, {"nope": 1}, SQLITE)
    with pytest.raises(ArgumentError) as info:
        q.check_update_values({})
    assert str(info.value) == "update() needs at least one field=value"
    q.check_update_values({"age": 1})


@pytest.mark.parametrize(
    "query",
    [
        User.query().limit(3),
        User.query().offset(3),
        User.query().group_by("age"),
        User.query().join(Post, User.c.id == Post.c.id),
    ],
)
def test_update_and_delete_refuse_joins_grouping_and_paging(query: Any) -> None:
    message = (
        "{}() applies to the rows a WHERE selects; joins, grouping, limit and offset are "
        "not allowed on it"
    )
    with pytest.raises(ArgumentError) as info:
        q.update_sql(query.state, {"age": 1}, SQLITE)
    assert str(info.value) == message.format("update")
    with pytest.raises(ArgumentError) as info:
        q.delete_sql(query.state, SQLITE)
    assert str(info.value) == message.format("delete")


def test_aggregate_names() -> None:
    q.check_aggregate_names({"n": twinsql.Count("id"), "avg_age": twinsql.Avg("age")})
    with pytest.raises(ArgumentError) as info:
        q.check_aggregate_names({})
    assert str(info.value) == "aggregate() needs at least one named aggregate"
    with pytest.raises(ArgumentError):
        q.check_aggregate_names({"n; DROP": twinsql.Count("id")})


def test_evolve_and_with_select_return_new_states() -> None:
    state = User.query().state
    limited = state.with_select(limit=3)
    assert (state.select.limit, limited.select.limit) == (None, 3)
    everything = state.evolve(visibility="all")
    assert (state.visibility, everything.visibility) == ("live", "all")


# -- paging, one(), iterate() -----------------------------------------------------------


def test_page() -> None:
    page = Page(items=[1, 2], page=2, per_page=2, total=5)
    assert (page.pages, page.has_next) == (3, True)
    last = Page(items=[5], page=3, per_page=2, total=5)
    assert (last.pages, last.has_next) == (3, False)
    empty = Page(items=[], page=1, per_page=10, total=0)
    assert (empty.pages, empty.has_next) == (1, False)


def test_page_state() -> None:
    third = q.page_state(User.query().state, 3, 10)
    assert q.select_sql(third, SQLITE) == (
        f'SELECT {USER_COLUMNS} FROM "orm_users" LIMIT ? OFFSET ?',
        [10, 20],
    )
    assert q.page_state(User.query().state, 1, q.MAX_PER_PAGE).select.limit == 1000


@pytest.mark.parametrize("page", [0, -1, True, 1.0, "1", None])
def test_page_must_be_a_positive_int(page: Any) -> None:
    with pytest.raises(ArgumentError) as info:
        q.page_state(User.query().state, page, 10)
    assert str(info.value) == f"page must be an int >= 1, got {page!r}"


@pytest.mark.parametrize("per_page", [0, 1001, False, 2.5, "10"])
def test_per_page_must_be_an_int_up_to_the_maximum(per_page: Any) -> None:
    with pytest.raises(ArgumentError) as info:
        q.page_state(User.query().state, 1, per_page)
    assert str(info.value) == f"per_page must be an int from 1 to 1000, got {per_page!r}"


def test_one_reads_at_most_two_rows() -> None:
    state = User.query().state
    assert q.select_sql(q.at_most_two(state), SQLITE) == (
        f'SELECT {USER_COLUMNS} FROM "orm_users" LIMIT ?',
        [2],
    )
    limited = User.query().limit(1).state
    assert q.at_most_two(limited) is limited


def test_only_record() -> None:
    state = User.query().state
    assert q.only_record(state, ["a"], required=True) == "a"
    assert q.only_record(state, ["a"], required=False) == "a"
    assert q.only_record(state, [], required=False) is None
    with pytest.raises(RecordNotFound) as missing:
        q.only_record(state, [], required=True)
    assert str(missing.value) == "one() found no User"
    for required in (True, False):
        with pytest.raises(ProgrammingError) as several:
            q.only_record(state, ["a", "b"], required=required)
        assert str(several.value) == "one_or_none() expected at most one User, found several"


def test_keyset_batches_follow_the_primary_key() -> None:
    start = q.keyset_start(User.query().where(status="a").order_by("name").state, 100)
    assert q.select_sql(start, SQLITE) == (
        f'SELECT {USER_COLUMNS} FROM "orm_users" WHERE "status" = ? ORDER BY "id" LIMIT ?',
        ["a", 100],
    )
    assert q.select_sql(q.keyset_after(start, (42,)), SQLITE) == (
        f'SELECT {USER_COLUMNS} FROM "orm_users" WHERE "status" = ? AND "id" > ? '
        'ORDER BY "id" LIMIT ?',
        ["a", 42, 100],
    )
    bare = q.keyset_start(User.query().state, 2)
    assert q.select_sql(q.keyset_after(bare, (7,)), SQLITE) == (
        f'SELECT {USER_COLUMNS} FROM "orm_users" WHERE "id" > ? ORDER BY "id" LIMIT ?',
        [7, 2],
    )


@pytest.mark.parametrize("batch_size", [0, -5, True, 1.5, "10"])
def test_batch_size_must_be_a_positive_int(batch_size: Any) -> None:
    with pytest.raises(ArgumentError) as info:
        q.keyset_start(User.query().state, batch_size)
    assert str(info.value) == f"batch_size must be an int >= 1, got {batch_size!r}"
