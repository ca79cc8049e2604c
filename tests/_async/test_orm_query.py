# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""The query builder and its terminals on every backend."""

from __future__ import annotations

import datetime
import decimal

import pytest

import twinsql
from tests.orm_models import Employee, Order, Staff, User
from twinsql import Avg, Count, Max, Min


async def seed_users(n: int = 20) -> None:
    await User.async_insert_many(
        [
            {
                "name": f"user{i:02d}",
                "email": f"user{i}@x.io",
                "age": 20 + i % 10,
                "status": "active" if i % 3 else "blocked",
                "score": float(i),
            }
            for i in range(n)
        ]
    )


async def test_where_forms(orm_db: twinsql.AsyncDatabase) -> None:
    await seed_users()
    by_qmark = await User.query().where("status = ?", "active").async_count()
    by_tuple = await User.query().where("status = ?", ("active",)).async_count()
    by_named = await User.query().where("status = :s", {"s": "active"}).async_count()
    by_kw = await User.query().where(status="active").async_count()
    by_expr = await User.query().where(User.c.status == "active").async_count()
    assert by_qmark == by_tuple == by_named == by_kw == by_expr == 13
    combined = User.query().where((User.c.age < 22) | (User.c.age > 28), status="active")
    assert await combined.async_count() == 4
    negated = await User.query().where(~(User.c.status == "active")).async_count()
    assert negated == 7
    either = await User.query().where(age=20).or_where(age=21).async_count()
    assert either == 4


async def test_operators(orm_db: twinsql.AsyncDatabase) -> None:
    await seed_users()
    assert await User.query().where(User.c.age.in_([20, 21])).async_count() == 4
    assert await User.query().where(User.c.age.in_([])).async_count() == 0
    assert await User.query().where(User.c.age.between(22, 23)).async_count() == 4
    assert await User.query().where(User.c.score.is_null()).async_count() == 0
    assert await User.query().where(User.c.name.like("user1%")).async_count() == 10
    assert await User.query().where(User.c.name.startswith("user0")).async_count() == 10
    await User.async_create(name="100%_off", email="pct@x.io")
    # LIKE wildcards in contains() match literally: only the real "%_" name.
    assert await User.query().where(User.c.name.contains("%_")).async_count() == 1
    assert await User.query().where(User.c.name.endswith("_off")).async_count() == 1


async def test_order_limit_offset_distinct_select(orm_db: twinsql.AsyncDatabase) -> None:
    await seed_users()
    page = await User.query().order_by("-age", User.c.name).limit(3).offset(1).async_all()
    assert [(u.age, u.name) for u in page] == [(29, "user19"), (28, "user08"), (28, "user18")]
    ages = await User.query().select("age").distinct().order_by("age").async_all()
    assert [u.age for u in ages] == list(range(20, 30))
    only_names = await User.query().select("id", "name").order_by("id").limit(1).async_all()
    assert only_names[0].name == "user00"


async def test_first_one_exists(orm_db: twinsql.AsyncDatabase) -> None:
    await seed_users()
    earliest = await User.query().order_by("name").async_first()
    assert earliest is not None and earliest.name == "user00"
    assert await User.query().where(email="user5@x.io").async_one() is not None
    with pytest.raises(twinsql.RecordNotFound):
        await User.query().where(email="none").async_one()
    with pytest.raises(twinsql.ProgrammingError):
        await User.query().where(age=20).async_one_or_none()
    assert await User.query().where(age=20).async_exists()
    assert not await User.query().where(age=99).async_exists()


async def test_aggregates(orm_db: twinsql.AsyncDatabase) -> None:
    await seed_users()
    assert await User.query().async_sum("age") == sum(20 + i % 10 for i in range(20))
    assert float(await User.query().async_average("score")) == pytest.approx(9.5)
    assert await User.query().async_min("age") == 20
    assert await User.query().async_max("age") == 29


async def test_aggregates_of_a_column(orm_db: twinsql.AsyncDatabase) -> None:
    # A column names the field as its name does (the typed form of the same terminal).
    await seed_users()
    query = User.query().where(User.c.status == "active")
    assert await query.async_sum(User.c.age) == await query.async_sum("age") == 317
    assert await query.async_min(User.c.age) == 20
    assert await query.async_max(User.c.age) == 29
    assert float(await query.async_average(User.c.score)) == pytest.approx(127 / 13)
    assert await User.query().where(User.c.age > 99).async_max(User.c.age) is None
    with pytest.raises(twinsql.ArgumentError, match="another table"):
        await query.async_sum(Order.c.total)


async def test_department_statistics_with_aggregate(orm_db: twinsql.AsyncDatabase) -> None:
    hire = datetime.date(2020, 1, 1)
    await Employee.async_insert_many(
        [
            Employee(
                name=f"e{i}",
                department="eng" if i % 2 else "ops",
                salary=1000.0 + i,
                hire_date=hire + datetime.timedelta(days=i),
            )
            for i in range(10)
        ]
    )
    rows = await (
        Employee.query()
        .group_by("department")
        .order_by("department")
        .async_aggregate(
            employee_count=Count("id"),
            avg_salary=Avg("salary"),
            earliest_hire=Min("hire_date"),
            top=Max("salary"),
        )
    )
    assert [r["department"] for r in rows] == ["eng", "ops"]
    assert [int(r["employee_count"]) for r in rows] == [5, 5]
    assert float(rows[0]["avg_salary"]) == pytest.approx(1005.0)
    assert str(rows[1]["earliest_hire"]).startswith("2020-01-01")
    having = await (
        Employee.query()
        .group_by("department")
        .having(Count("id") > 4)
        .async_aggregate(n=Count("id"))
    )
    assert len(having) == 2


async def test_bulk_update_and_delete(orm_db: twinsql.AsyncDatabase) -> None:
    await seed_users()
    changed = await User.query().where(status="blocked").async_update(status="active", age=1)
    assert changed == 7
    assert await User.query().where(age=1).async_count() == 7
    removed = await User.query().where(age=1).async_delete()
    assert removed == 7
    assert await User.query().async_count() == 13


async def test_paginate_and_iterate(orm_db: twinsql.AsyncDatabase) -> None:
    await seed_users(45)
    page = await User.query().order_by("id").async_paginate(2, 20)
    assert (page.total, page.pages, page.page, len(page.items)) == (45, 3, 2, 20)
    assert page.has_next
    last = await User.query().order_by("id").async_paginate(3, 20)
    assert len(last.items) == 5 and not last.has_next
    with pytest.raises(twinsql.ArgumentError):
        await User.query().async_paginate(1, 100_000)
    seen = [u.id async for u in User.query().where(User.c.age >= 20).async_iterate(7)]
    assert len(seen) == 45 and seen == sorted(seen)


async def test_subquery_and_join(orm_db: twinsql.AsyncDatabase) -> None:
    await seed_users(5)
    users = await User.query().order_by("id").async_all()
    for user in users[:3]:
        assert user.id is not None
        await Order.async_create(user_id=user.id, total=decimal.Decimal("10.00"))
    buyers = User.query().where(User.c.id.in_(Order.query().select("user_id")))
    assert await buyers.async_count() == 3
    joined = await (
        User.query()
        .join(Order, Order.c.user_id == User.c.id)
        .where(Order.c.total > 5)
        .distinct()
        .async_all()
    )
    assert len(joined) == 3
    everyone = await User.query().left_join(Order, Order.c.user_id == User.c.id).async_all()
    assert len(everyone) == 5


async def test_upsert(orm_db: twinsql.AsyncDatabase) -> None:
    await User.async_create(name="old", email="up@x.io", age=1)
    query = User.query().on_conflict("email")
    await query.do_nothing().async_insert_many([{"name": "ignored", "email": "up@x.io"}])
    assert (await User.async_find_one(email="up@x.io")).name == "old"  # type: ignore[union-attr]
    # One row updated and one inserted: 2 on every backend (MySQL itself reports 3).
    both = await query.do_update("name", "age").async_insert_many(
        [{"name": "new", "email": "up@x.io", "age": 2}, {"name": "other", "email": "o@x.io"}]
    )
    assert both == 2
    # Unchanged values still count as updated.
    again = await query.do_update("name").async_insert_many([{"name": "new", "email": "up@x.io"}])
    assert again == 1
    updated = await User.async_find_one(email="up@x.io")
    assert updated is not None and (updated.name, updated.age) == ("new", 2)
    assert await User.query().async_count() == 2


async def test_returning(orm_db: twinsql.AsyncDatabase) -> None:
    await seed_users(4)
    query = User.query().where(User.c.age < 22).returning("id", "age")
    if not orm_db.dialect.capabilities.returning_update_delete:
        with pytest.raises(twinsql.ArgumentError):
            await query.async_update(age=0)
        return
    rows = await query.async_update(age=0)
    assert sorted(r["age"] for r in rows) == [0, 0]


async def test_union(orm_db: twinsql.AsyncDatabase) -> None:
    await seed_users()
    young = User.query().where(User.c.age < 21)
    old = User.query().where(User.c.age > 28)
    both = await young.union(old).order_by("id").async_all()
    assert sorted(u.age for u in both) == [20, 20, 29, 29]
    assert await young.union_all(young).async_count() == 4


async def test_window_function(orm_db: twinsql.AsyncDatabase) -> None:
    await seed_users(6)
    ranked = await (
        User.query()
        .select("name", "age", twinsql.Count("id").over(partition_by="age").label("same_age"))
        .order_by("id")
        .async_rows()
    )
    assert [int(r["same_age"]) for r in ranked] == [1] * 6
    assert ranked[0]["name"] == "user00"


async def test_recursive_cte_walks_a_chain(orm_db: twinsql.AsyncDatabase) -> None:
    hire = datetime.date(2021, 1, 1)
    for name, salary in [("boss", 3), ("mid", 2), ("low", 1), ("other", 1), ("apart", 7)]:
        await Employee.async_create(name=name, department="d", salary=salary, hire_date=hire)
    # From the boss down: each step takes the employees earning one less than a chain row.
    walk = Employee.query().where(name="boss").union_all(
        Employee.query().join_cte("chain", lambda chain: Employee.c.salary == chain.salary - 1)
    )
    found = await (
        Employee.query()
        .with_cte("chain", walk, recursive=True)
        .from_cte("chain")
        .order_by("-salary", "name")
        .async_all()
    )
    assert [e.name for e in found] == ["boss", "mid", "low", "other"]


async def test_recursive_cte_on_mapped_columns(orm_db: twinsql.AsyncDatabase) -> None:
    boss = await Staff.async_create(name="boss")
    mid = await Staff.async_create(name="mid", reports_to=boss.id)
    await Staff.async_create(name="low", reports_to=mid.id)
    await Staff.async_create(name="apart")
    # The CTE's columns are the field names: the join names chain.id, not chain.StaffId.
    walk = Staff.query().where(name="boss").union_all(
        Staff.query().join_cte("chain", lambda chain: Staff.c.reports_to == chain.id)
    )
    found = await (
        Staff.query().with_cte("chain", walk, recursive=True).from_cte("chain").order_by("id")
    ).async_all()
    assert [(s.name, s.reports_to) for s in found] == [
        ("boss", None),
        ("mid", boss.id),
        ("low", mid.id),
    ]


async def test_for_update_options(orm_db: twinsql.AsyncDatabase) -> None:
    await seed_users(3)
    async with User.async_transaction():
        locked = await User.query().where(age=20).for_update().async_all()
        assert len(locked) == 1
        if orm_db.dialect.capabilities.skip_locked:
            assert len(await User.query().for_update(skip_locked=True).async_all()) == 3
            assert len(await User.query().for_update(nowait=True).async_all()) == 3
