"""Pure tests of SELECT compilation (twinsql.sql.select / compiler / context / scope):
golden SQL and parameters per dialect for select lists, ORDER BY (and NULLS emulation),
LIMIT / OFFSET, DISTINCT, joins, GROUP BY / HAVING, windows, CTEs (recursive too),
compounds, row locks, subqueries, and the count / exists / aggregate shapes."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from twinsql.errors import ArgumentError, InvalidIdentifierError
from twinsql.sql import (
    CTE,
    Avg,
    Col,
    Compound,
    Count,
    ForUpdate,
    Func,
    Join,
    Max,
    OrderItem,
    RowNumber,
    Select,
    Star,
    Sum,
    TableInfo,
    Value,
    compile_aggregate,
    compile_count,
    compile_exists,
    compile_select,
    exists,
    order_item,
    raw,
)
from twinsql.sql.dialects import MYSQL, POSTGRESQL, SQLITE, Dialect

DIALECTS = [SQLITE, POSTGRESQL, MYSQL]
USERS = TableInfo("users", ("id", "name", "age", "created_at", "manager_id"), {}, "id")
PEOPLE = TableInfo("people", ("id", "name", "email"), {"name": "full_name"}, "id")
ORDERS = TableInfo("orders", ("id", "user_id", "total", "status"), {}, "id")
TREE = TableInfo("tree", USERS.fields, {}, "id")  # a CTE seen as a table


def golden(
    query: Select | Compound,
    text: str | dict[str, str],
    params: list[Any],
    compile: Any = compile_select,
) -> None:
    """Check one query on every dialect.  A str golden is SQLite's and PostgreSQL's text
    and, with backticks for double quotes, MySQL's; a dict gives each dialect's text."""
    for dialect in DIALECTS:
        if isinstance(text, dict):
            expected = text[dialect.name]
        else:
            expected = text.replace('"', "`") if dialect is MYSQL else text
        assert compile(query, dialect) == (expected, params), dialect.name


def sql_of(query: Select | Compound, dialect: Dialect = SQLITE) -> str:
    return compile_select(query, dialect)[0]


# --- select lists ----------------------------------------------------------------------------


def test_default_select_list_is_every_field() -> None:
    golden(Select(USERS), 'SELECT "id", "name", "age", "created_at", "manager_id" FROM "users"', [])


def test_columns_named_differently_are_aliased_to_the_field() -> None:
    golden(Select(PEOPLE), 'SELECT "id", "full_name" AS "name", "email" FROM "people"', [])
    golden(
        Select(PEOPLE, columns=(Col("name"), Col("email")), where=Col("name") == "x"),
        'SELECT "full_name" AS "name", "email" FROM "people" WHERE "full_name" = ?',
        ["x"],
    )


def test_explicit_select_list() -> None:
    golden(
        Select(USERS, columns=(Col("id"), Count().label("n"), Value(1).label("one"), Star())),
        'SELECT "id", COUNT(*) AS "n", ? AS "one", * FROM "users"',
        [1],
    )
    with pytest.raises(ArgumentError):
        Select(USERS, columns=("id",))  # type: ignore[arg-type]


def test_typical_query() -> None:
    golden(
        Select(
            USERS,
            where=Col("age") == 30,
            order_by=(order_item("id", USERS),),
            limit=20,
        ),
        'SELECT "id", "name", "age", "created_at", "manager_id" FROM "users" WHERE "age" = ? '
        'ORDER BY "id" LIMIT ?',
        [30, 20],
    )


# --- ORDER BY ---------------------------------------------------------------------------------


def test_order_item_strings() -> None:
    item = order_item("-created_at", USERS)
    assert item.descending and item.nulls is None
    assert isinstance(item.expr, Col)
    assert (item.expr.field, item.expr.table) == ("created_at", USERS)
    assert order_item(item, USERS) is item
    golden(
        Select(USERS, columns=(Col("id"),), order_by=(
            order_item("-created_at", USERS), order_item("name", USERS), Col("age").desc(),
            order_item(Col("id"), USERS), order_item(Col("age").asc(), USERS))),
        'SELECT "id" FROM "users" ORDER BY "created_at" DESC, "name", "age" DESC, "id", "age"',
        [],
    )  # fmt: skip


def test_order_by_mapped_column() -> None:
    golden(
        Select(PEOPLE, columns=(Col("id"),), order_by=(order_item("-name", PEOPLE),)),
        'SELECT "id" FROM "people" ORDER BY "full_name" DESC',
        [],
    )


@pytest.mark.parametrize("spec", ["id desc", "id; DROP TABLE users --", "--id", "", "-", "ID"])
def test_order_item_accepts_only_field_names(spec: str) -> None:
    with pytest.raises(InvalidIdentifierError, match="known fields: id, name, age"):
        order_item(spec, USERS)


def test_order_item_rejects_other_types() -> None:
    with pytest.raises(ArgumentError):
        order_item(5, USERS)  # type: ignore[arg-type]


def test_nulls_first_last_per_dialect() -> None:
    golden(
        Select(USERS, columns=(Col("id"),), order_by=(
            Col("age").asc(nulls="last"), Col("name").desc(nulls="first"), Col("id").desc())),
        {
            "sqlite": 'SELECT "id" FROM "users" ORDER BY "age" NULLS LAST, "name" DESC NULLS '
                      'FIRST, "id" DESC',
            "postgresql": 'SELECT "id" FROM "users" ORDER BY "age" NULLS LAST, "name" DESC '
                          'NULLS FIRST, "id" DESC',
            "mysql": "SELECT `id` FROM `users` ORDER BY `age` IS NULL, `age`, `name` IS NULL "
                     "DESC, `name` DESC, `id` DESC",
        },
        [],
    )  # fmt: skip


def test_nulls_emulation_repeats_params_in_order() -> None:
    query = Select(USERS, columns=(Col("id"),), order_by=((Col("age") + 5).desc(nulls="last"),),
                   limit=3)  # fmt: skip
    assert compile_select(query, MYSQL) == (
        "SELECT `id` FROM `users` ORDER BY `age` + ? IS NULL, `age` + ? DESC LIMIT ?",
        [5, 5, 3],
    )
    assert compile_select(query, POSTGRESQL) == (
        'SELECT "id" FROM "users" ORDER BY "age" + ? DESC NULLS LAST LIMIT ?',
        [5, 3],
    )


# --- LIMIT / OFFSET -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("limit", "offset", "tails", "params"),
    [
        (None, None, ("", "", ""), []),
        (10, None, (" LIMIT ?", " LIMIT ?", " LIMIT ?"), [10]),
        (0, None, (" LIMIT ?", " LIMIT ?", " LIMIT ?"), [0]),
        (10, 5, (" LIMIT ? OFFSET ?",) * 3, [10, 5]),
        (None, 5, (" LIMIT -1 OFFSET ?", " OFFSET ?", " LIMIT 18446744073709551615 OFFSET ?"),
         [5]),
        (None, 0, (" LIMIT -1 OFFSET ?", " OFFSET ?", " LIMIT 18446744073709551615 OFFSET ?"),
         [0]),
    ],
)  # fmt: skip
def test_limit_offset_per_dialect(
    limit: int | None, offset: int | None, tails: tuple[str, str, str], params: list[Any]
) -> None:
    query = Select(USERS, columns=(Col("id"),), limit=limit, offset=offset)
    for dialect, tail in zip(DIALECTS, tails):
        base = "SELECT `id` FROM `users`" if dialect is MYSQL else 'SELECT "id" FROM "users"'
        assert compile_select(query, dialect) == (base + tail, params), dialect.name


@pytest.mark.parametrize("bad", ["10", True, False, -1, 1.5, 2**63, b"1", [1]])
@pytest.mark.parametrize("field", ["limit", "offset"])
def test_limit_offset_must_be_non_negative_ints(field: str, bad: object) -> None:
    with pytest.raises(ArgumentError, match=field):
        Select(USERS, **{field: bad})  # type: ignore[arg-type]
    with pytest.raises(ArgumentError, match=field):
        Select(USERS).replace(**{field: bad})
    with pytest.raises(ArgumentError, match=field):
        Compound((("", Select(USERS)), ("UNION", Select(USERS))), **{field: bad})


def test_largest_limit_is_accepted() -> None:
    assert Select(USERS, limit=2**63 - 1).limit == 2**63 - 1


# --- DISTINCT, GROUP BY, HAVING -----------------------------------------------------------------


def test_distinct() -> None:
    golden(
        Select(USERS, columns=(Col("age"),), distinct=True, where=Col("age") > 1),
        'SELECT DISTINCT "age" FROM "users" WHERE "age" > ?',
        [1],
    )
    with pytest.raises(ArgumentError):
        Select(USERS, distinct="yes")  # type: ignore[arg-type]


def test_group_by_having() -> None:
    golden(
        Select(
            ORDERS,
            columns=(Col("user_id"), Sum("total").label("spent")),
            where=Col("status") == "paid",
            group_by=(Col("user_id"),),
            having=(Sum("total") > 100) & (Count() >= 2),
            order_by=(Sum("total").desc(),),
            limit=5,
        ),
        'SELECT "user_id", SUM("total") AS "spent" FROM "orders" WHERE "status" = ? '
        'GROUP BY "user_id" HAVING SUM("total") > ? AND COUNT(*) >= ? '
        'ORDER BY SUM("total") DESC LIMIT ?',
        ["paid", 100, 2, 5],
    )


def test_group_by_label_renders_the_expression() -> None:
    year = Func("substr", "created_at", 1, 4).label("year")
    golden(
        Select(USERS, columns=(year, Count().label("n")), group_by=(year,)),
        'SELECT substr("created_at", ?, ?) AS "year", COUNT(*) AS "n" FROM "users" '
        'GROUP BY substr("created_at", ?, ?)',
        [1, 4, 1, 4],
    )


def test_window_in_select() -> None:
    golden(
        Select(USERS, columns=(Col("id"), Count("id").over("manager_id", "-age").label("c"),
                               RowNumber().over(order_by="id").label("rn"))),
        'SELECT "id", COUNT("id") OVER (PARTITION BY "manager_id" ORDER BY "age" DESC) AS "c", '
        'ROW_NUMBER() OVER (ORDER BY "id") AS "rn" FROM "users"',
        [],
    )  # fmt: skip


# --- joins --------------------------------------------------------------------------------------


def test_inner_join_qualifies_every_column() -> None:
    join = Join("INNER", ORDERS, Col("user_id", table=ORDERS) == Col("id"))
    golden(
        Select(USERS, columns=(Col("name"), Col("total", table=ORDERS)), joins=(join,),
               where=(Col("total", table=ORDERS) > 10) & (Col("age") > 18),
               order_by=(order_item("-id", USERS),)),
        'SELECT "users"."name", "orders"."total" FROM "users" INNER JOIN "orders" ON '
        '"orders"."user_id" = "users"."id" WHERE "orders"."total" > ? AND "users"."age" > ? '
        'ORDER BY "users"."id" DESC',
        [10, 18],
    )  # fmt: skip


def test_join_default_list_is_the_main_tables() -> None:
    join = Join("left", ORDERS, Col("user_id", table=ORDERS) == Col("id"), None)
    assert join.kind == "LEFT"
    golden(
        Select(PEOPLE, joins=(Join("LEFT", ORDERS, Col("user_id", table=ORDERS) == Col("id")),)),
        'SELECT "people"."id", "people"."full_name" AS "name", "people"."email" FROM "people" '
        'LEFT JOIN "orders" ON "orders"."user_id" = "people"."id"',
        [],
    )


def test_left_join_with_alias() -> None:
    join = Join("LEFT", ORDERS, Col("user_id", table_alias="o") == Col("id"), "o")
    golden(
        Select(USERS, columns=(Col("id"), Col("total", table_alias="o"),
                               Col("status", table=ORDERS)), joins=(join,),
               where=Col("total", table_alias="o") == None),  # noqa: E711
        'SELECT "users"."id", "o"."total", "o"."status" FROM "users" LEFT JOIN "orders" AS "o" '
        'ON "o"."user_id" = "users"."id" WHERE "o"."total" IS NULL',
        [],
    )  # fmt: skip


def test_self_join() -> None:
    join = Join("LEFT", USERS, Col("manager_id") == Col("id", table_alias="m"), "m")
    golden(
        Select(USERS, columns=(Col("name"), Col("name", table_alias="m").label("manager")),
               joins=(join,), where=Col("id", table=USERS) == 1),
        'SELECT "users"."name", "m"."name" AS "manager" FROM "users" LEFT JOIN "users" AS "m" '
        'ON "users"."manager_id" = "m"."id" WHERE "users"."id" = ?',
        [1],
    )  # fmt: skip


def test_joined_mapped_column_is_aliased_in_the_select_list() -> None:
    join = Join("INNER", PEOPLE, Col("id", table=PEOPLE) == Col("user_id"))
    golden(
        Select(ORDERS, columns=(Col("total"), Col("name", table=PEOPLE)), joins=(join,),
               where=Col("name", table=PEOPLE) == "x"),
        'SELECT "orders"."total", "people"."full_name" AS "name" FROM "orders" INNER JOIN '
        '"people" ON "people"."id" = "orders"."user_id" WHERE "people"."full_name" = ?',
        ["x"],
    )  # fmt: skip


def test_star_of_a_joined_table() -> None:
    join = Join("INNER", ORDERS, Col("user_id", table=ORDERS) == Col("id"), "o")
    golden(
        Select(USERS, columns=(Star(table=ORDERS), Star(table_alias="users")), joins=(join,)),
        'SELECT "o".*, "users".* FROM "users" INNER JOIN "orders" AS "o" ON "o"."user_id" = '
        '"users"."id"',
        [],
    )


def test_join_errors() -> None:
    on = Col("user_id", table=ORDERS) == Col("id")
    with pytest.raises(ArgumentError, match="INNER"):
        Join("RIGHT", ORDERS, on)  # type: ignore[arg-type]
    with pytest.raises(ArgumentError):
        Join("INNER", "orders", on)  # type: ignore[arg-type]
    with pytest.raises(ArgumentError):
        Join("INNER", ORDERS, "user_id = id")  # type: ignore[arg-type]
    with pytest.raises(InvalidIdentifierError):
        Join("INNER", ORDERS, on, 'o"; --')
    twice = Select(USERS, joins=(Join("INNER", ORDERS, on), Join("LEFT", ORDERS, on)))
    with pytest.raises(ArgumentError, match="appears twice"):
        sql_of(twice)
    aliased_twice = Select(USERS, columns=(Col("total", table=ORDERS),),
                           joins=(Join("INNER", ORDERS, on, "a"), Join("LEFT", ORDERS, on, "b")))
    with pytest.raises(ArgumentError, match="joined more than once"):
        sql_of(aliased_twice)
    unknown = Select(USERS, columns=(Col("id", table_alias="zz"),),
                     joins=(Join("INNER", ORDERS, on),))
    with pytest.raises(ArgumentError, match="alias 'zz'; known tables: users, orders"):
        sql_of(unknown)
    bad_field = Select(USERS, columns=(Col("nope", table_alias="o"),),
                       joins=(Join("INNER", ORDERS, on, "o"),))
    with pytest.raises(InvalidIdentifierError, match="on orders; known fields"):
        sql_of(bad_field)  # fmt: skip


def test_alias_of_the_main_table_without_joins() -> None:
    golden(
        Select(USERS, columns=(Col("id", table_alias="users"),)),
        'SELECT "users"."id" FROM "users"',
        [],
    )


# --- subqueries -----------------------------------------------------------------------------------


def test_subquery_params_sit_between_outer_params() -> None:
    sub = Select(ORDERS, columns=(Col("user_id"),), where=Col("total") > 100, limit=50)
    golden(
        Select(USERS, columns=(Col("id"),), where=(Col("age") > 18) & Col("id").in_(sub)
               & (Col("name") != "x"), limit=10),
        'SELECT "id" FROM "users" WHERE "age" > ? AND "id" IN (SELECT "user_id" FROM "orders" '
        'WHERE "total" > ? LIMIT ?) AND "name" <> ? LIMIT ?',
        [18, 100, 50, "x", 10],
    )  # fmt: skip


def test_correlated_subquery_names_the_outer_table() -> None:
    sub = Select(ORDERS, columns=(Count(),), where=Col("user_id") == Col("id", table=USERS))
    golden(
        Select(USERS, columns=(Col("id"),), where=(Col("age") < Value(3) + 1) & exists(sub)),
        'SELECT "id" FROM "users" WHERE "age" < ? + ? AND EXISTS (SELECT COUNT(*) FROM "orders" '
        'WHERE "user_id" = "users"."id")',
        [3, 1],
    )


def test_subquery_of_the_same_table_resolves_to_the_inner_one() -> None:
    sub = Select(USERS, columns=(Col("manager_id", table=USERS),))
    golden(
        Select(USERS, columns=(Col("id"),), where=Col("id", table=USERS).in_(sub)),
        'SELECT "id" FROM "users" WHERE "id" IN (SELECT "manager_id" FROM "users")',
        [],
    )


def test_correlated_subquery_inside_a_join_query() -> None:
    join = Join("INNER", ORDERS, Col("user_id", table=ORDERS) == Col("id"), "o")
    sub = Select(ORDERS, columns=(Max("total"),), where=Col("user_id") == Col("id", table=USERS))
    golden(
        Select(USERS, columns=(Col("id"),), joins=(join,),
               where=Col("total", table_alias="o") == sub),
        'SELECT "users"."id" FROM "users" INNER JOIN "orders" AS "o" ON "o"."user_id" = '
        '"users"."id" WHERE "o"."total" = (SELECT MAX("total") FROM "orders" WHERE "user_id" = '
        '"users"."id")',
        [],
    )  # fmt: skip


# --- CTEs -----------------------------------------------------------------------------------------


def test_cte() -> None:
    big = CTE("big", Select(ORDERS, where=Col("total") > 100))
    big_table = TableInfo("big", ORDERS.fields, {}, "id")
    golden(
        Select(big_table, columns=(Count(),), ctes=(big,), where=Col("status") == "x"),
        'WITH "big" AS (SELECT "id", "user_id", "total", "status" FROM "orders" WHERE "total" > ?) '
        'SELECT COUNT(*) FROM "big" WHERE "status" = ?',
        [100, "x"],
    )


def test_cte_columns_and_several_ctes() -> None:
    a = CTE("a", Select(ORDERS, columns=(Col("user_id"), Sum("total"))), columns=("uid", "s"),
            recursive=False)  # fmt: skip
    b = CTE("b", Select(USERS, columns=(Col("id"),), where=Col("age") > 1))
    golden(
        Select(USERS, columns=(Col("id"),), ctes=(a, b), where=Col("id").in_(
            Select(TableInfo("b", ("id",)), columns=(Col("id"),)))),
        'WITH "a" ("uid", "s") AS (SELECT "user_id", SUM("total") FROM "orders"), "b" AS '
        '(SELECT "id" FROM "users" WHERE "age" > ?) SELECT "id" FROM "users" WHERE "id" IN '
        '(SELECT "id" FROM "b")',
        [1],
    )  # fmt: skip


def test_recursive_cte() -> None:
    base = Select(USERS, where=Col("id") == 1)
    step = Select(USERS, joins=(Join("INNER", TREE, Col("manager_id") == Col("id", table=TREE)),))
    tree = CTE("tree", Compound((("", base), ("UNION ALL", step))), recursive=True)
    golden(
        Select(USERS, columns=(Col("id"), Col("name")), ctes=(tree,), from_cte="tree",
               order_by=(order_item("id", USERS),), limit=100),
        'WITH RECURSIVE "tree" AS (SELECT "id", "name", "age", "created_at", "manager_id" FROM '
        '"users" WHERE "id" = ? UNION ALL SELECT "users"."id", "users"."name", "users"."age", '
        '"users"."created_at", "users"."manager_id" FROM "users" INNER JOIN "tree" ON '
        '"users"."manager_id" = "tree"."id") SELECT "id", "name" FROM "tree" ORDER BY "id" '
        'LIMIT ?',
        [1, 100],
    )  # fmt: skip


def test_from_cte_uses_plain_identifiers() -> None:
    numbers = TableInfo("n", ("n",), {}, "n")
    seq = CTE("n", Compound((
        ("", Select(USERS, columns=(Value(1).label("n"),), limit=1)),
        ("UNION ALL", Select(numbers, columns=(Col("n") + 1,), where=Col("n") < 10)))),
        recursive=True, columns=("n",))
    tail = 'UNION ALL SELECT "n" + ? FROM "n" WHERE "n" < ?) SELECT "depth", "name" FROM "n"'
    golden(
        Select(PEOPLE, columns=(Col("depth"), Col("name")), ctes=(seq,), from_cte="n"),
        {
            "sqlite": 'WITH RECURSIVE "n" ("n") AS (SELECT * FROM (SELECT ? AS "n" FROM "users" '
                      'LIMIT ?) ' + tail,
            "postgresql": 'WITH RECURSIVE "n" ("n") AS ((SELECT ? AS "n" FROM "users" LIMIT ?) '
                          + tail,
            "mysql": ('WITH RECURSIVE "n" ("n") AS ((SELECT ? AS "n" FROM "users" LIMIT ?) '
                      + tail).replace('"', "`"),
        },
        [1, 1, 1, 10],
    )  # fmt: skip


def test_from_cte_default_list_and_joins() -> None:
    join = Join("INNER", ORDERS, Col("user_id", table=ORDERS) == Col("id"))
    golden(
        Select(PEOPLE, from_cte="p", joins=(join,)),
        'SELECT "p"."id", "p"."name", "p"."email" FROM "p" INNER JOIN "orders" ON '
        '"orders"."user_id" = "p"."id"',
        [],
    )


def test_cte_errors() -> None:
    with pytest.raises(InvalidIdentifierError):
        CTE('x"; DROP', Select(USERS))
    with pytest.raises(InvalidIdentifierError):
        CTE("x", Select(USERS), columns=("a b",))
    with pytest.raises(ArgumentError):
        CTE("x", "SELECT 1")  # type: ignore[arg-type]
    with pytest.raises(InvalidIdentifierError):
        Select(USERS, from_cte="t -- x")
    twice = Select(USERS, ctes=(CTE("x", Select(USERS)), CTE("x", Select(ORDERS))))
    with pytest.raises(ArgumentError, match="two CTEs"):
        sql_of(twice)


# --- compounds ------------------------------------------------------------------------------------


def test_union_and_union_all() -> None:
    a = Select(USERS, columns=(Col("id"), Col("name")), where=Col("age") < 18)
    b = Select(USERS, columns=(Col("id"), Col("name")), where=Col("age") > 65)
    golden(
        Compound((("", a), ("union", b), ("UNION  ALL", a)), order_by=(order_item("-name", USERS),),
                 limit=10, offset=20),
        'SELECT "id", "name" FROM "users" WHERE "age" < ? UNION SELECT "id", "name" FROM "users" '
        'WHERE "age" > ? UNION ALL SELECT "id", "name" FROM "users" WHERE "age" < ? ORDER BY '
        '"name" DESC LIMIT ? OFFSET ?',
        [18, 65, 18, 10, 20],
    )  # fmt: skip


def test_compound_part_with_its_own_limit() -> None:
    a = Select(USERS, columns=(Col("id"),), where=Col("age") < 18)
    b = Select(USERS, columns=(Col("id"),), order_by=(order_item("-age", USERS),), limit=1)
    golden(
        Compound((("", a), ("UNION", b))),
        {
            "sqlite": 'SELECT "id" FROM "users" WHERE "age" < ? UNION SELECT * FROM (SELECT '
                      '"id" FROM "users" ORDER BY "age" DESC LIMIT ?)',
            "postgresql": 'SELECT "id" FROM "users" WHERE "age" < ? UNION (SELECT "id" FROM '
                          '"users" ORDER BY "age" DESC LIMIT ?)',
            "mysql": "SELECT `id` FROM `users` WHERE `age` < ? UNION (SELECT `id` FROM `users` "
                     "ORDER BY `age` DESC LIMIT ?)",
        },
        [18, 1],
    )  # fmt: skip


def test_compound_order_by_result_names_and_labels() -> None:
    a = Select(PEOPLE, columns=(Col("name"), Count().label("n")), group_by=(Col("name"),))
    golden(
        Compound((("", a), ("UNION ALL", a)), order_by=(
            order_item("name", PEOPLE), Count().label("n").desc(), Col("name").asc(nulls="last"))),
        {
            "sqlite": 'SELECT "full_name" AS "name", COUNT(*) AS "n" FROM "people" GROUP BY '
                      '"full_name" UNION ALL SELECT "full_name" AS "name", COUNT(*) AS "n" FROM '
                      '"people" GROUP BY "full_name" ORDER BY "name", "n" DESC, "name" NULLS LAST',
            "postgresql": 'SELECT "full_name" AS "name", COUNT(*) AS "n" FROM "people" GROUP BY '
                          '"full_name" UNION ALL SELECT "full_name" AS "name", COUNT(*) AS "n" '
                          'FROM "people" GROUP BY "full_name" ORDER BY "name", "n" DESC, "name" '
                          'NULLS LAST',
            "mysql": "SELECT `full_name` AS `name`, COUNT(*) AS `n` FROM `people` GROUP BY "
                     "`full_name` UNION ALL SELECT `full_name` AS `name`, COUNT(*) AS `n` FROM "
                     "`people` GROUP BY `full_name` ORDER BY `name`, `n` DESC, `name` IS NULL, "
                     "`name`",
        },
        [],
    )  # fmt: skip


def test_intersect_except_not_on_mysql() -> None:
    a = Select(USERS, columns=(Col("id"),))
    b = Select(USERS, columns=(Col("id"),), where=Col("age") > 1)
    for op in ("INTERSECT", "EXCEPT"):
        query = Compound((("", a), (op, b)))
        for dialect in (SQLITE, POSTGRESQL):
            assert compile_select(query, dialect) == (
                f'SELECT "id" FROM "users" {op} SELECT "id" FROM "users" WHERE "age" > ?', [1]
            )
        with pytest.raises(ArgumentError, match="not available on MySQL"):
            compile_select(query, MYSQL)


def test_compound_ctes_are_gathered_in_front() -> None:
    cte = CTE("c", Select(ORDERS, columns=(Col("user_id"),)))
    a = Select(USERS, columns=(Col("id"),), ctes=(cte,), where=Col("id").in_(
        Select(TableInfo("c", ("user_id",), {}, "user_id"), columns=(Col("user_id"),))))
    golden(
        Compound((("", a), ("UNION", a))),
        'WITH "c" AS (SELECT "user_id" FROM "orders") SELECT "id" FROM "users" WHERE "id" IN '
        '(SELECT "user_id" FROM "c") UNION SELECT "id" FROM "users" WHERE "id" IN (SELECT '
        '"user_id" FROM "c")',
        [],
    )  # fmt: skip


def test_compound_errors() -> None:
    a = Select(USERS, columns=(Col("id"),))
    with pytest.raises(ArgumentError, match="at least two"):
        Compound((("", a),))
    with pytest.raises(ArgumentError, match="first compound part"):
        Compound((("UNION", a), ("UNION", a)))
    with pytest.raises(ArgumentError, match="unknown compound operator"):
        Compound((("", a), ("UNION; DROP TABLE users", a)))
    with pytest.raises(ArgumentError):
        Compound((("", a), ("UNION", "SELECT 1")))  # type: ignore[arg-type]
    with pytest.raises(ArgumentError):
        Compound((("", a), ("UNION", a, "x")))  # type: ignore[arg-type]
    expr_order = Compound((("", a), ("UNION", a)), order_by=((Col("id") + 1).asc(),))
    with pytest.raises(ArgumentError, match="result column names"):
        sql_of(expr_order)
    unknown = Compound((("", a), ("UNION", a)), order_by=(order_item("name", USERS),))
    with pytest.raises(InvalidIdentifierError, match="column 'name'; the result has: id"):
        sql_of(unknown)
    locked = Compound((("", a), ("UNION", a.replace(for_update=ForUpdate()))))
    with pytest.raises(ArgumentError, match="row lock"):
        sql_of(locked, POSTGRESQL)  # fmt: skip


# --- row locks ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lock", "postgresql", "mysql"),
    [
        (ForUpdate(), " FOR UPDATE", " FOR UPDATE"),
        (ForUpdate(nowait=True), " FOR UPDATE NOWAIT", " FOR UPDATE NOWAIT"),
        (ForUpdate(skip_locked=True), " FOR UPDATE SKIP LOCKED", " FOR UPDATE SKIP LOCKED"),
        (ForUpdate(share=True), " FOR SHARE", " LOCK IN SHARE MODE"),
        (ForUpdate(of=("users",)), ' FOR UPDATE OF "users"', None),
        (ForUpdate(share=True, skip_locked=True), " FOR SHARE SKIP LOCKED", None),
        (ForUpdate(share=True, nowait=True), " FOR SHARE NOWAIT", None),
    ],
)
def test_for_update_per_dialect(lock: ForUpdate, postgresql: str, mysql: str | None) -> None:
    query = Select(USERS, columns=(Col("id"),), where=Col("id") == 1, limit=1, for_update=lock)
    base = 'SELECT "id" FROM "users" WHERE "id" = ? LIMIT ?'
    assert compile_select(query, POSTGRESQL) == (base + postgresql, [1, 1])
    # SQLite has no row locks: nothing is emitted (its writers are serialised anyway)
    assert compile_select(query, SQLITE) == (base, [1, 1])
    if mysql is None:
        with pytest.raises(ArgumentError):
            compile_select(query, MYSQL)
    else:
        assert compile_select(query, MYSQL) == (base.replace('"', "`") + mysql, [1, 1])


def test_for_update_of_joined_tables() -> None:
    join = Join("INNER", ORDERS, Col("user_id", table=ORDERS) == Col("id"), "o")
    query = Select(USERS, columns=(Col("id"),), joins=(join,),
                   for_update=ForUpdate(of=("users", "o"), nowait=True))  # fmt: skip
    assert sql_of(query, POSTGRESQL).endswith(' FOR UPDATE OF "users", "o" NOWAIT')
    bad = query.replace(for_update=ForUpdate(of=("orders",)))
    with pytest.raises(ArgumentError, match="unknown table 'orders'; known tables: users, o"):
        sql_of(bad, POSTGRESQL)
    with pytest.raises(ArgumentError, match="unknown table"):
        sql_of(Select(USERS, for_update=ForUpdate(of=('users"; --',))), POSTGRESQL)


def test_for_update_option_errors() -> None:
    with pytest.raises(ArgumentError, match="not both"):
        ForUpdate(nowait=True, skip_locked=True)
    with pytest.raises(ArgumentError):
        ForUpdate(of="users")  # type: ignore[arg-type]
    with pytest.raises(ArgumentError):
        Select(USERS, for_update=True)  # type: ignore[arg-type]


# --- Select state ---------------------------------------------------------------------------------


def test_select_is_frozen_and_replace_checks_changes() -> None:
    base = Select(USERS)
    with pytest.raises(dataclasses.FrozenInstanceError):
        base.limit = 3  # type: ignore[misc]
    paged = base.replace(limit=5, order_by=[order_item("id", USERS)])
    assert paged.limit == 5 and isinstance(paged.order_by, tuple) and base.limit is None
    assert dataclasses.replace(base, limit=6).limit == 6
    with pytest.raises(TypeError, match="no field 'limt'"):
        base.replace(limt=5)
    with pytest.raises(ArgumentError, match="where"):
        base.replace(where="id = 1")
    with pytest.raises(ArgumentError):
        base.replace(table="users")
    with pytest.raises(ArgumentError):
        base.replace(joins=("x",))
    assert base == Select(USERS) and hash(base) == hash(Select(USERS))
    assert base.__twinsql_select__() is base


def test_select_lists_become_tuples() -> None:
    query = Select(USERS, columns=[Col("id")], group_by=[Col("age")])  # type: ignore[arg-type]
    assert isinstance(query.columns, tuple) and isinstance(query.group_by, tuple)


def test_compile_rejects_other_objects() -> None:
    with pytest.raises(ArgumentError):
        compile_select("SELECT 1", SQLITE)  # type: ignore[arg-type]
    with pytest.raises(ArgumentError):
        compile_count({"table": USERS}, SQLITE)  # type: ignore[arg-type]


# --- count / exists / aggregate -------------------------------------------------------------------


def test_count_plain_drops_order_and_lock() -> None:
    golden(
        Select(USERS, where=Col("age") > 18, order_by=(order_item("name", USERS),),
               for_update=ForUpdate()),
        'SELECT COUNT(*) FROM "users" WHERE "age" > ?',
        [18],
        compile_count,
    )  # fmt: skip


def test_count_with_joins_is_direct() -> None:
    join = Join("INNER", ORDERS, Col("user_id", table=ORDERS) == Col("id"))
    golden(
        Select(USERS, joins=(join,)),
        'SELECT COUNT(*) FROM "users" INNER JOIN "orders" ON "orders"."user_id" = "users"."id"',
        [],
        compile_count,
    )


def test_count_wraps_distinct_group_limit() -> None:
    golden(
        Select(USERS, columns=(Col("age"), Col("name")), distinct=True, where=Col("id") > 1),
        'SELECT COUNT(*) FROM (SELECT DISTINCT "age" AS "_c1", "name" AS "_c2" FROM "users" '
        'WHERE "id" > ?) AS "_count"',
        [1],
        compile_count,
    )
    golden(
        Select(PEOPLE, distinct=True),
        'SELECT COUNT(*) FROM (SELECT DISTINCT "id" AS "_c1", "full_name" AS "_c2", "email" AS '
        '"_c3" FROM "people") AS "_count"',
        [],
        compile_count,
    )
    golden(
        Select(ORDERS, columns=(Col("user_id"), Count()), group_by=(Col("user_id"),),
               having=Count() > 2, order_by=(order_item("user_id", ORDERS),)),
        'SELECT COUNT(*) FROM (SELECT 1 FROM "orders" GROUP BY "user_id" HAVING COUNT(*) > ?) '
        'AS "_count"',
        [2],
        compile_count,
    )  # fmt: skip
    golden(
        Select(USERS, where=Col("age") > 1, order_by=(order_item("id", USERS),), limit=10,
               offset=5),
        {
            "sqlite": 'SELECT COUNT(*) FROM (SELECT 1 FROM "users" WHERE "age" > ? ORDER BY '
                      '"id" LIMIT ? OFFSET ?) AS "_count"',
            "postgresql": 'SELECT COUNT(*) FROM (SELECT 1 FROM "users" WHERE "age" > ? ORDER BY '
                          '"id" LIMIT ? OFFSET ?) AS "_count"',
            "mysql": "SELECT COUNT(*) FROM (SELECT 1 FROM `users` WHERE `age` > ? ORDER BY `id` "
                     "LIMIT ? OFFSET ?) AS `_count`",
        },
        [1, 10, 5],
        compile_count,
    )  # fmt: skip


def test_count_distinct_join_avoids_duplicate_names() -> None:
    join = Join("INNER", ORDERS, Col("user_id", table=ORDERS) == Col("id"))
    golden(
        Select(USERS, columns=(Col("id"), Col("id", table=ORDERS), Star()), joins=(join,),
               distinct=True),
        'SELECT COUNT(*) FROM (SELECT DISTINCT "users"."id" AS "_c1", "orders"."id" AS "_c2", * '
        'FROM "users" INNER JOIN "orders" ON "orders"."user_id" = "users"."id") AS "_count"',
        [],
        compile_count,
    )  # fmt: skip


def test_count_having_without_group_keeps_the_aggregate() -> None:
    golden(
        Select(ORDERS, columns=(Count(),), having=Count() > 1),
        'SELECT COUNT(*) FROM (SELECT COUNT(*) AS "_c1" FROM "orders" HAVING COUNT(*) > ?) AS '
        '"_count"',
        [1],
        compile_count,
    )


def test_count_compound_and_cte() -> None:
    a = Select(USERS, columns=(Col("id"),), where=Col("age") < 1)
    golden(
        Compound((("", a), ("UNION", a)), limit=3),
        'SELECT COUNT(*) FROM (SELECT "id" FROM "users" WHERE "age" < ? UNION SELECT "id" FROM '
        '"users" WHERE "age" < ? LIMIT ?) AS "_count"',
        [1, 1, 3],
        compile_count,
    )
    cte = CTE("big", Select(ORDERS, where=Col("total") > 5))
    golden(
        Select(TableInfo("big", ORDERS.fields), ctes=(cte,), distinct=True,
               columns=(Col("user_id"),)),
        'WITH "big" AS (SELECT "id", "user_id", "total", "status" FROM "orders" WHERE "total" > '
        '?) SELECT COUNT(*) FROM (SELECT DISTINCT "user_id" AS "_c1" FROM "big") AS "_count"',
        [5],
        compile_count,
    )  # fmt: skip


def test_exists_shapes() -> None:
    golden(
        Select(USERS, columns=(Col("age"),), where=Col("age") > 1, distinct=True,
               order_by=(order_item("age", USERS),), for_update=ForUpdate()),
        'SELECT EXISTS (SELECT 1 FROM "users" WHERE "age" > ?)',
        [1],
        compile_exists,
    )  # fmt: skip
    golden(
        Select(USERS, columns=(Col("age"),), distinct=True, order_by=(order_item("age", USERS),),
               offset=3),
        {
            "sqlite": 'SELECT EXISTS (SELECT 1 FROM (SELECT DISTINCT "age" AS "_c1" FROM '
                      '"users" ORDER BY "age" LIMIT -1 OFFSET ?) AS "_exists")',
            "postgresql": 'SELECT EXISTS (SELECT 1 FROM (SELECT DISTINCT "age" AS "_c1" FROM '
                          '"users" ORDER BY "age" OFFSET ?) AS "_exists")',
            "mysql": "SELECT EXISTS (SELECT 1 FROM (SELECT DISTINCT `age` AS `_c1` FROM `users` "
                     "ORDER BY `age` LIMIT 18446744073709551615 OFFSET ?) AS `_exists`)",
        },
        [3],
        compile_exists,
    )  # fmt: skip
    golden(
        Select(ORDERS, columns=(Sum("total"),), having=Sum("total") > 10),
        'SELECT EXISTS (SELECT 1 FROM (SELECT SUM("total") AS "_c1" FROM "orders" HAVING '
        'SUM("total") > ?) AS "_exists")',
        [10],
        compile_exists,
    )
    a = Select(USERS, columns=(Col("id"),))
    golden(
        Compound((("", a), ("UNION ALL", a))),
        'SELECT EXISTS (SELECT "id" FROM "users" UNION ALL SELECT "id" FROM "users")',
        [],
        compile_exists,
    )


def test_aggregate_with_and_without_group_by() -> None:
    query = Select(PEOPLE, group_by=(Col("name"),), where=Col("id") > 0,
                   order_by=(Count().desc(),), limit=3)  # fmt: skip
    golden(
        query,
        'SELECT "full_name" AS "name", COUNT("id") AS "employee_count", AVG("id") AS "avg_id" '
        'FROM "people" WHERE "id" > ? GROUP BY "full_name" ORDER BY COUNT(*) DESC LIMIT ?',
        [0, 3],
        lambda q, d: compile_aggregate(q, {"employee_count": Count("id"), "avg_id": Avg("id")}, d),
    )
    golden(
        Select(ORDERS, where=Col("status") == "paid"),
        'SELECT SUM("total") AS "total", MAX("total") AS "biggest" FROM "orders" WHERE "status" '
        "= ?",
        ["paid"],
        lambda q, d: compile_aggregate(
            q, {"total": Sum("total"), "biggest": Max("total").label("ignored")}, d
        ),
    )


def test_aggregate_errors() -> None:
    query = Select(USERS, group_by=(Col("age"),))
    with pytest.raises(ArgumentError, match="at least one"):
        compile_aggregate(query, {}, SQLITE)
    with pytest.raises(ArgumentError, match="used twice"):
        compile_aggregate(query, {"age": Count()}, SQLITE)
    with pytest.raises(ArgumentError, match="expression"):
        compile_aggregate(query, {"n": "COUNT(*)"}, SQLITE)  # type: ignore[dict-item]
    for bad in ('n"; DROP TABLE users; --', "a b", "x#", "x--", "1n", "", "n)"):
        with pytest.raises(InvalidIdentifierError, match="invalid alias"):
            compile_aggregate(query, {bad: Count()}, SQLITE)


def test_raw_anywhere() -> None:
    golden(
        Select(USERS, columns=(Col("id"), raw("age * ?", 2)), where=raw("age > ?", 18),
               order_by=(OrderItem(raw("length(name)"), True),), group_by=(raw("age"),)),
        'SELECT "id", age * ? FROM "users" WHERE age > ? GROUP BY age ORDER BY length(name) DESC',
        [2, 18],
    )  # fmt: skip


def test_unknown_dialect_is_refused() -> None:
    oracle = dataclasses.replace(SQLITE, name="oracle")
    with pytest.raises(ArgumentError, match="sqlite, postgresql and mysql"):
        compile_select(Select(USERS), oracle)


def test_select_pickles_and_copies() -> None:
    import copy
    import pickle

    query = Select(PEOPLE, where=Col("name").startswith("a"), order_by=(order_item("-id", PEOPLE),),
                   limit=3, for_update=ForUpdate(skip_locked=True))  # fmt: skip
    for clone in (pickle.loads(pickle.dumps(query)), copy.deepcopy(query)):
        for dialect in DIALECTS:
            assert compile_select(clone, dialect) == compile_select(query, dialect)
