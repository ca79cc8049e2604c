"""Pure tests of twinsql.orm.persist: the SQL a find, save or delete of one record sends
(golden text per dialect), the values the ORM owns, and what each result changes on the
record."""

from __future__ import annotations

import datetime
import decimal

import pytest

import twinsql
from twinsql.errors import InterfaceError, StaleObjectError
from twinsql.orm import persist
from twinsql.orm.persist import InsertPlan, UpdatePlan
from twinsql.orm.state import hydrate, is_persisted, state_of
from twinsql.sql.dialects import MYSQL, POSTGRESQL, SQLITE

NOW = datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=datetime.timezone.utc)
EARLIER = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)


class PUser(twinsql.Model):
    __table_name__ = "p_users"
    id: int | None = None
    name: str
    age: int = 0


class PTag(twinsql.Model):
    __table_name__ = "p_tags"
    id: int | None = None
    name: str
    weight: decimal.Decimal | None = twinsql.Field(default=None, server_default=5)


class PPost(twinsql.TimestampsMixin, twinsql.SoftDeleteMixin):
    __table_name__ = "p_posts"
    id: int | None = None
    title: str


class PAccount(twinsql.OptimisticLockMixin):
    __table_name__ = "p_accounts"
    id: int | None = None
    owner: str


def loaded(model: type[twinsql.Model], row: tuple[object, ...]) -> twinsql.Model:
    (record,) = hydrate(model.__twinsql__, [row], "postgresql")
    return record


def test_utc_now_is_aware_utc() -> None:
    assert persist.utc_now().tzinfo is datetime.timezone.utc


# -- find ----------------------------------------------------------------------------------


def test_find_sql_per_dialect_hides_soft_deleted_rows() -> None:
    info = PPost.__twinsql__
    columns = '"deleted_at", "created_at", "updated_at", "id", "title"'
    assert persist.find_sql(info, SQLITE) == (
        f'SELECT {columns} FROM "p_posts" WHERE "id" = ? AND "deleted_at" IS NULL'
    )
    assert persist.find_sql(info, POSTGRESQL, include_deleted=True) == (
        f'SELECT {columns} FROM "p_posts" WHERE "id" = ?'
    )
    assert persist.find_sql(PUser.__twinsql__, MYSQL) == (
        "SELECT `id`, `name`, `age` FROM `p_users` WHERE `id` = ?"
    )
    assert persist.find_sql(PUser.__twinsql__, MYSQL, include_deleted=True) == (
        "SELECT `id`, `name`, `age` FROM `p_users` WHERE `id` = ?"
    )


def test_find_sql_is_compiled_once_per_dialect() -> None:
    info = PUser.__twinsql__
    first = persist.find_sql(info, SQLITE)
    assert persist.find_sql(info, SQLITE) is first
    assert info.sql_cache[("sqlite", "find")] is first


# -- insert --------------------------------------------------------------------------------


def test_fill_on_insert_sets_timestamps_and_the_first_version() -> None:
    post = PPost(title="t", created_at=EARLIER)
    persist.fill_on_insert(PPost.__twinsql__, post, NOW)
    assert (post.created_at, post.updated_at) == (EARLIER, NOW)  # a given value stays
    account = PAccount(owner="o")
    persist.fill_on_insert(PAccount.__twinsql__, account, NOW)
    assert account.version == 1
    kept = PAccount(owner="o", version=7)
    persist.fill_on_insert(PAccount.__twinsql__, kept, NOW)
    assert kept.version == 7


def test_insert_plan_sqlite_takes_the_new_key_from_lastrowid() -> None:
    user = PUser(name="ada", age=36)
    plan = persist.plan_insert(PUser.__twinsql__, user, SQLITE, NOW)
    assert plan == InsertPlan(
        sql='INSERT INTO "p_users" ("name", "age") VALUES (?, ?)',
        params=["ada", 36],
        generated=("id",),
        use_returning=False,
    )
    persist.finish_insert(PUser.__twinsql__, user, plan, None, 12, "sqlite")
    assert user == PUser(id=12, name="ada", age=36)
    assert user.model_fields_set == {"id", "name", "age"}


def test_insert_plan_postgresql_returns_the_key() -> None:
    user = PUser(name="ada")
    plan = persist.plan_insert(PUser.__twinsql__, user, POSTGRESQL, NOW)
    assert plan == InsertPlan(
        sql='INSERT INTO "p_users" ("name", "age") VALUES (?, ?) RETURNING "id"',
        params=["ada", 0],
        generated=("id",),
        use_returning=True,
    )
    persist.finish_insert(PUser.__twinsql__, user, plan, (31,), None, "postgresql")
    assert user.id == 31


def test_insert_plan_mysql_has_no_returning() -> None:
    tag = PTag(name="n")
    plan = persist.plan_insert(PTag.__twinsql__, tag, MYSQL, NOW)
    assert plan == InsertPlan(
        sql="INSERT INTO `p_tags` (`name`) VALUES (?)",
        params=["n"],
        generated=("id", "weight"),
        use_returning=False,
    )
    persist.finish_insert(PTag.__twinsql__, tag, plan, None, 4, "mysql")
    assert tag == PTag(id=4, name="n", weight=None)


def test_server_defaults_are_read_back_with_returning_and_converted() -> None:
    tag = PTag(name="n")
    plan = persist.plan_insert(PTag.__twinsql__, tag, SQLITE, NOW)
    assert plan == InsertPlan(
        sql='INSERT INTO "p_tags" ("name") VALUES (?) RETURNING "id", "weight"',
        params=["n"],
        generated=("id", "weight"),
        use_returning=True,
    )
    persist.finish_insert(PTag.__twinsql__, tag, plan, (3, 5), None, "sqlite")
    assert tag == PTag(id=3, name="n", weight=decimal.Decimal(5))
    assert isinstance(tag.weight, decimal.Decimal)
    # A NULL the server returned stays None.
    other = PTag(name="m")
    persist.finish_insert(PTag.__twinsql__, other, plan, (4, None), None, "sqlite")
    assert (other.id, other.weight) == (4, None)


def test_an_insert_without_a_row_or_key_leaves_the_key_unset() -> None:
    user = PUser(name="x")
    plan = persist.plan_insert(PUser.__twinsql__, user, POSTGRESQL, NOW)
    persist.finish_insert(PUser.__twinsql__, user, plan, None, None, "postgresql")
    assert user.id is None


def test_a_given_key_is_inserted_and_nothing_is_generated() -> None:
    user = PUser(id=5, name="x")
    plan = persist.plan_insert(PUser.__twinsql__, user, POSTGRESQL, NOW)
    assert plan == InsertPlan(
        sql='INSERT INTO "p_users" ("id", "name", "age") VALUES (?, ?, ?)',
        params=[5, "x", 0],
        generated=(),
        use_returning=False,
    )
    persist.finish_insert(PUser.__twinsql__, user, plan, None, 99, "postgresql")
    assert user.id == 5


def test_insert_fills_the_owned_values() -> None:
    post = PPost(title="t")
    plan = persist.plan_insert(PPost.__twinsql__, post, POSTGRESQL, NOW)
    assert plan.sql == (
        'INSERT INTO "p_posts" ("deleted_at", "created_at", "updated_at", "title") '
        'VALUES (?, ?, ?, ?) RETURNING "id"'
    )
    assert plan.params == [None, NOW, NOW, "t"]


def test_insert_sql_is_cached_per_field_set() -> None:
    info = PUser.__twinsql__
    first = persist.plan_insert(info, PUser(name="a"), MYSQL, NOW)
    second = persist.plan_insert(info, PUser(name="b"), MYSQL, NOW)
    assert second.sql is first.sql and second.params == ["b", 0]
    assert info.sql_cache[("mysql", "insert:name,age")] is first.sql


# -- update --------------------------------------------------------------------------------


def test_update_sends_only_the_dirty_fields() -> None:
    user = loaded(PUser, (1, "ada", 36))
    assert persist.plan_update(PUser.__twinsql__, user, SQLITE, NOW) is None
    user.age = 37
    plan = persist.plan_update(PUser.__twinsql__, user, SQLITE, NOW)
    assert plan == UpdatePlan('UPDATE "p_users" SET "age" = ? WHERE "id" = ?', [37, 1], None)
    # The same shape again takes the cached text; the parameters are rebuilt in order.
    again = persist.plan_update(PUser.__twinsql__, user, SQLITE, NOW)
    assert again == plan and again is not None and again.sql is plan.sql
    persist.finish_update(PUser.__twinsql__, user, plan, 1)
    assert state_of(user).dirty == set()


def test_update_sets_updated_at() -> None:
    post = loaded(PPost, (None, EARLIER, EARLIER, 3, "old"))
    assert persist.plan_update(PPost.__twinsql__, post, MYSQL, NOW) is None
    post.title = "new"
    plan = persist.plan_update(PPost.__twinsql__, post, MYSQL, NOW)
    assert plan == UpdatePlan(
        "UPDATE `p_posts` SET `title` = ?, `updated_at` = ? WHERE `id` = ?",
        ["new", NOW, 3],
        None,
    )
    assert post.updated_at == NOW


def test_a_versioned_update_checks_and_moves_the_version() -> None:
    info = PAccount.__twinsql__
    account = loaded(PAccount, (4, 9, "ann"))
    # Nothing dirty: a versioned model without timestamps has nothing to send.
    assert persist.plan_update(info, account, POSTGRESQL, NOW) is None
    account.owner = "bob"
    expected = UpdatePlan(
        'UPDATE "p_accounts" SET "owner" = ?, "version" = ? WHERE "id" = ? AND "version" = ?',
        ["bob", 5, 9, 4],
        4,
    )
    assert persist.plan_update(info, account, POSTGRESQL, NOW) == expected
    cached = persist.plan_update(info, account, POSTGRESQL, NOW)
    assert cached == expected
    assert cached is not None
    persist.finish_update(info, account, cached, 1)
    assert account.version == 5 and state_of(account).dirty == set()


def test_a_versioned_update_that_matched_nothing_is_stale() -> None:
    info = PAccount.__twinsql__
    account = loaded(PAccount, (4, 9, "ann"))
    account.owner = "bob"
    plan = persist.plan_update(info, account, SQLITE, NOW)
    assert plan is not None
    with pytest.raises(StaleObjectError) as error:
        persist.finish_update(info, account, plan, 0)
    assert str(error.value) == (
        "PAccount 9 was changed or deleted by someone else since it was read (version 4)"
    )
    assert account.version == 4 and state_of(account).dirty == {"owner"}


def test_an_unversioned_update_that_matched_nothing_is_stale() -> None:
    user = loaded(PUser, (1, "ada", 36))
    user.name = "eve"
    plan = persist.plan_update(PUser.__twinsql__, user, SQLITE, NOW)
    assert plan is not None
    with pytest.raises(StaleObjectError) as error:
        persist.finish_update(PUser.__twinsql__, user, plan, 0)
    assert str(error.value) == (
        "PUser 1 was not saved: its row no longer exists (deleted since it was read)"
    )
    assert state_of(user).dirty == {"name"}
    persist.finish_update(PUser.__twinsql__, user, plan, 1)
    assert state_of(user).dirty == set()


# -- delete --------------------------------------------------------------------------------


def test_delete_plan_per_dialect() -> None:
    user = loaded(PUser, (1, "ada", 36))
    assert persist.plan_delete(PUser.__twinsql__, user, SQLITE) == (
        'DELETE FROM "p_users" WHERE "id" = ?',
        [1],
    )
    account = loaded(PAccount, (4, 9, "ann"))
    assert persist.plan_delete(PAccount.__twinsql__, account, MYSQL) == (
        "DELETE FROM `p_accounts` WHERE `id` = ? AND `version` = ?",
        [9, 4],
    )


def test_finish_delete() -> None:
    user = loaded(PUser, (1, "ada", 36))
    persist.finish_delete(PUser.__twinsql__, user, 0)
    assert not is_persisted(user)
    account = loaded(PAccount, (4, 9, "ann"))
    with pytest.raises(StaleObjectError) as error:
        persist.finish_delete(PAccount.__twinsql__, account, 0)
    assert str(error.value) == (
        "PAccount 9 was changed or deleted by someone else since it was read"
    )
    assert is_persisted(account)
    persist.finish_delete(PAccount.__twinsql__, account, 1)
    assert not is_persisted(account)


def test_only_a_saved_record_can_be_deleted() -> None:
    with pytest.raises(InterfaceError) as error:
        persist.check_deletable(PUser(name="new"))
    assert str(error.value) == "this PUser was never saved; nothing to delete"
    persist.check_deletable(loaded(PUser, (1, "ada", 36)))


def test_soft_delete_field() -> None:
    assert persist.soft_delete_field(PPost.__twinsql__) == "deleted_at"
    with pytest.raises(InterfaceError) as error:
        persist.soft_delete_field(PUser.__twinsql__)
    assert str(error.value) == "PUser has no soft-delete field"


class PDoc(twinsql.TimestampsMixin, twinsql.OptimisticLockMixin):
    __table_name__ = "p_docs"
    id: int | None = None
    body: str


def test_a_versioned_save_with_timestamps_always_touches_the_row() -> None:
    doc = loaded(PDoc, (2, EARLIER, EARLIER, 8, "text"))
    plan = persist.plan_update(PDoc.__twinsql__, doc, SQLITE, NOW)
    assert plan == UpdatePlan(
        'UPDATE "p_docs" SET "updated_at" = ?, "version" = ? WHERE "id" = ? AND "version" = ?',
        [NOW, 3, 8, 2],
        2,
    )
