"""Pure tests of twinsql.orm.eager and twinsql.orm.relation_spec: the load tree, the
select-in statements (golden text), and how fetched records attach to their parents."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

import twinsql
from twinsql.errors import ArgumentError
from twinsql.orm import eager
from twinsql.orm.eager import LoadNode
from twinsql.orm.query_state import EagerLoad, QueryState
from twinsql.orm.relation_spec import RelationSpec
from twinsql.orm.state import hydrate, loaded_relations
from twinsql.sql.dialects import MYSQL, SQLITE


class LdUser(twinsql.Model):
    __table_name__ = "ld_users"
    id: int | None = None
    name: str

    orders: ClassVar[twinsql.HasMany[LdOrder]] = twinsql.HasMany()
    profile: ClassVar[twinsql.HasOne[LdProfile]] = twinsql.HasOne("LdProfile")


class LdProfile(twinsql.Model):
    __table_name__ = "ld_profiles"
    id: int | None = None
    ld_user_id: int


class LdOrder(twinsql.Model):
    __table_name__ = "ld_orders"
    id: int | None = None
    ld_user_id: int | None

    user: ClassVar[twinsql.BelongsTo[LdUser]] = twinsql.BelongsTo(LdUser, foreign_key="ld_user_id")


class LdTag(twinsql.SoftDeleteMixin):
    __table_name__ = "ld_tags"
    id: int | None = None
    label: str


class LdPostTag(twinsql.Model):
    __table_name__ = "ld_post_tags"
    id: int | None = None
    ld_post_id: int
    ld_tag_id: int


class LdPost(twinsql.Model):
    __table_name__ = "ld_posts"
    id: int | None = None

    tags: ClassVar[twinsql.ManyToMany[LdTag]] = twinsql.ManyToMany(LdTag, through=LdPostTag)


def records(model: type[twinsql.Model], *rows: tuple[Any, ...]) -> list[Any]:
    return hydrate(model.__twinsql__, list(rows), "postgresql")


def spec(model: type[twinsql.Model], name: str) -> RelationSpec:
    return model.__twinsql__.relations[name].spec()  # type: ignore[no-any-return]


# -- relation specs ------------------------------------------------------------------------


def test_relation_specs_resolve_keys_on_the_right_side() -> None:
    users, orders = LdUser.__twinsql__, LdOrder.__twinsql__
    assert spec(LdUser, "orders") == RelationSpec(
        "has_many", "orders", users, orders, ("ld_user_id",), ("id",)
    )
    assert spec(LdUser, "profile") == RelationSpec(
        "has_one", "profile", users, LdProfile.__twinsql__, ("ld_user_id",), ("id",)
    )
    assert spec(LdOrder, "user") == RelationSpec(
        "belongs_to", "user", orders, users, ("ld_user_id",), ("id",)
    )
    assert spec(LdPost, "tags") == RelationSpec(
        "many_to_many",
        "tags",
        LdPost.__twinsql__,
        LdTag.__twinsql__,
        ("ld_post_id",),
        ("id",),
        LdPostTag.__twinsql__,
        ("ld_post_id",),
        ("ld_tag_id",),
        ("id",),
    )
    assert spec(LdUser, "orders").many and spec(LdPost, "tags").many
    assert not spec(LdUser, "profile").many and not spec(LdOrder, "user").many


# -- load trees ----------------------------------------------------------------------------


def test_paths_merge_into_a_tree_and_a_refinement_sits_on_its_last_segment() -> None:
    def refine(state: QueryState) -> QueryState:
        return state

    tree = eager.build_load_tree([(("orders",), None), (("orders", "items"), refine)])
    assert tree == {"orders": LoadNode("orders", None, {"items": LoadNode("items", refine, {})})}
    again = eager.build_load_tree([(("orders", "items"), None), (("orders",), refine)])
    assert again == {"orders": LoadNode("orders", refine, {"items": LoadNode("items", None, {})})}
    assert eager.build_load_tree([]) == {}


def test_tree_for_query_and_for_names() -> None:
    loads = (EagerLoad(("orders",)), EagerLoad(("profile",)))
    assert eager.tree_for_query(loads) == {
        "orders": LoadNode("orders", None, {}),
        "profile": LoadNode("profile", None, {}),
    }
    assert eager.tree_for_names(LdOrder, ["user", "user.orders"]) == {
        "user": LoadNode("user", None, {"orders": LoadNode("orders", None, {})})
    }
    with pytest.raises(ArgumentError) as info:
        eager.tree_for_names(LdOrder, ["user", "customer.orders"])
    assert str(info.value) == "LdOrder has no relation 'customer'"


def test_chunks_and_in_list_sizes() -> None:
    assert eager.chunks([1, 2, 3, 4, 5], 2) == [[1, 2], [3, 4], [5]]
    assert eager.chunks([], 3) == []
    assert eager.in_list_size(32766) == 10_000
    assert eager.in_list_size(999) == 899
    assert eager.in_list_size(50) == 1


def test_unique_keys_keep_first_seen_order_without_none() -> None:
    assert eager.unique_keys([3, None, 1, 3, 2, 1, None]) == [3, 1, 2]
    assert eager.unique_keys(iter([])) == []


# -- statements ----------------------------------------------------------------------------


def test_select_in_cuts_the_keys_into_in_lists() -> None:
    info = LdOrder.__twinsql__
    assert eager.select_in(info, "ld_user_id", [1, 2, 3], 2, SQLITE) == [
        ('SELECT "id", "ld_user_id" FROM "ld_orders" WHERE "ld_user_id" IN (?, ?)', [1, 2]),
        ('SELECT "id", "ld_user_id" FROM "ld_orders" WHERE "ld_user_id" IN (?)', [3]),
    ]
    assert eager.select_in(info, "ld_user_id", [], 2, SQLITE) == []


def test_select_in_hides_soft_deleted_targets_and_applies_the_refinement() -> None:
    def refine(state: QueryState) -> QueryState:
        return state.with_select(order_by=(LdTag.c.label.desc(),))

    assert eager.select_in(LdTag.__twinsql__, "id", [5, 6], 100, MYSQL, refine) == [
        (
            "SELECT `deleted_at`, `id`, `label` FROM `ld_tags` WHERE `id` IN (?, ?) "
            "AND `deleted_at` IS NULL ORDER BY `label` DESC",
            [5, 6],
        )
    ]


def test_a_refined_limit_and_offset_apply_per_parent() -> None:
    def refine(state: QueryState) -> QueryState:
        return state.with_select(order_by=(LdTag.c.label.desc(),), limit=3, offset=1)

    assert eager.select_in(LdTag.__twinsql__, "label", ["x", "y"], 100, MYSQL, refine) == [
        (
            "WITH `_tw_ranked` AS (SELECT `deleted_at`, `id`, `label`, ROW_NUMBER() OVER "
            "(PARTITION BY `label` ORDER BY `label` DESC) AS `_tw_rn` FROM `ld_tags` "
            "WHERE `label` IN (?, ?) AND `deleted_at` IS NULL) "
            "SELECT `deleted_at`, `id`, `label` FROM `_tw_ranked` "
            "WHERE `_tw_rn` > ? AND `_tw_rn` <= ? ORDER BY `_tw_rn`",
            ["x", "y", 1, 4],
        )
    ]
    # Without an order the rows of a parent are numbered in key order.
    limit_only = eager.select_in(
        LdOrder.__twinsql__, "ld_user_id", [1], 100, SQLITE, lambda s: s.with_select(limit=2)
    )
    assert limit_only == [
        (
            'WITH "_tw_ranked" AS (SELECT "id", "ld_user_id", ROW_NUMBER() OVER '
            '(PARTITION BY "ld_user_id" ORDER BY "id") AS "_tw_rn" FROM "ld_orders" '
            'WHERE "ld_user_id" IN (?)) SELECT "id", "ld_user_id" FROM "_tw_ranked" '
            'WHERE "_tw_rn" > ? AND "_tw_rn" <= ? ORDER BY "_tw_rn"',
            [1, 0, 2],
        )
    ]


def test_a_many_to_many_refinement_refuses_paging() -> None:
    assert eager.unpaged(None, "tags") is None
    paged = eager.unpaged(lambda s: s.with_select(offset=2), "tags")
    state = QueryState(LdTag.__twinsql__, LdTag.query().state.select)
    with pytest.raises(ArgumentError, match="'tags' cannot take limit"):
        paged(state)
    plain = eager.unpaged(lambda s: s, "tags")
    assert plain(state) is state


def test_lookup_names_the_field_and_the_keys_of_a_level() -> None:
    users = records(LdUser, (1, "a"), (2, "b"), (1, "a again"))
    assert eager.lookup(spec(LdUser, "orders"), users) == (("ld_user_id",), [1, 2])
    orders = records(LdOrder, (10, 2), (11, None), (12, 2), (13, 1))
    assert eager.lookup(spec(LdOrder, "user"), orders) == (("id",), [2, 1])


# -- attaching -----------------------------------------------------------------------------


def test_attach_has_many_and_has_one() -> None:
    users = records(LdUser, (1, "a"), (2, "b"), (3, "c"))
    orders = records(LdOrder, (10, 1), (11, 2), (12, 1))
    eager.attach(spec(LdUser, "orders"), users, orders)
    assert [[o.id for o in u.orders] for u in users] == [[10, 12], [11], []]
    profiles = records(LdProfile, (7, 2), (8, 2))
    eager.attach(spec(LdUser, "profile"), users, profiles)
    assert [u.profile for u in users] == [None, profiles[0], None]


def test_attach_belongs_to() -> None:
    orders = records(LdOrder, (10, 1), (11, None), (12, 9))
    users = records(LdUser, (1, "a"))
    eager.attach(spec(LdOrder, "user"), orders, users)
    assert [o.user for o in orders] == [users[0], None, None]
    assert loaded_relations(orders[1]) == {"user": None}


def test_attach_through_follows_the_join_rows() -> None:
    posts = records(LdPost, (1,), (2,), (3,))
    links = records(LdPostTag, (100, 1, 5), (101, 1, 6), (102, 2, 6), (103, 2, 7))
    tags = records(LdTag, (None, 5, "five"), (None, 6, "six"))  # 7: filtered out
    eager.attach_through(spec(LdPost, "tags"), posts, links, tags)
    assert [[t.label for t in p.tags] for p in posts] == [["five", "six"], ["six"], []]
