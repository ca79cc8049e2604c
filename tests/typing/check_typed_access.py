"""Static typing test, checked by mypy --strict and pyright strict (``make typecheck``), never
executed: relation attributes, declared column namespaces, field specifiers and the typed
aggregate and update terminals. Each ``# type: ignore[...]`` marks an error both checkers
must report: an ignore that is not needed fails the check (mypy's warn_unused_ignores,
pyright's reportUnnecessaryTypeIgnoreComment)."""

from __future__ import annotations

import datetime
import decimal
from typing import Any, ClassVar

from typing_extensions import assert_type

import twinsql
from tests.orm_models import Order, Post, Profile, Tag, User


class Invoice(twinsql.Model):
    id: int | None = twinsql.Field(default=None, primary_key=True)
    number: str = twinsql.Field(max_length=20)
    total: decimal.Decimal = twinsql.Field(max_digits=10, decimal_places=2)
    issued: datetime.date
    paid: bool = False
    note: str | None = twinsql.Field(default=None, column="Note")
    lines: list[str] = twinsql.Field(default_factory=list[str])

    customer: ClassVar[twinsql.BelongsTo[User]] = twinsql.BelongsTo(foreign_key="number")

    class Columns(twinsql.ColumnSet):
        id: twinsql.Col[int | None]
        number: twinsql.Col[str]
        total: twinsql.Col[decimal.Decimal]
        issued: twinsql.Col[datetime.date]
        paid: twinsql.Col[bool]
        note: twinsql.Col[str | None]


def relations(user: User, order: Order, profile: Profile, post: Post, invoice: Invoice) -> None:
    assert_type(user.orders, list[Order])
    assert_type(user.profile, Profile | None)
    assert_type(order.user, User | None)
    assert_type(profile.user, User | None)
    assert_type(post.tags, list[Tag])
    assert_type(invoice.customer, User | None)
    # On the class: the declaration itself.
    assert_type(User.orders, twinsql.HasMany[Order])
    assert_type(Order.user, twinsql.BelongsTo[User])
    assert_type(Post.tags, twinsql.ManyToMany[Tag])
    for item in order.items:
        assert_type(item.qty, int)
    user.orders.append(1)  # type: ignore[arg-type]


def columns() -> None:
    assert_type(Invoice.c.number, twinsql.Col[str])
    assert_type(Invoice.c.total, twinsql.Col[decimal.Decimal])
    assert_type(Invoice.c.total >= decimal.Decimal("1.50"), twinsql.Condition)
    assert_type(Invoice.c.issued < datetime.date(2026, 1, 1), twinsql.Condition)
    assert_type(Invoice.c.note > "a", twinsql.Condition)
    assert_type(Invoice.c.number > Invoice.c.number, twinsql.Condition)
    assert_type(Invoice.c["number"], twinsql.Col[Any])
    Invoice.c.number > 5  # type: ignore[operator]  # noqa: B015
    Invoice.c.issued >= "2026-01-01"  # type: ignore[operator]  # noqa: B015
    Invoice.c.numbr  # type: ignore[attr-defined]  # noqa: B018
    # A model without a declared namespace: every name is a column of unknown type.
    assert_type(User.c.age, twinsql.Col[Any])
    assert_type(User.c.age > 18, twinsql.Condition)
    Invoice.query().where(Invoice.c.paid == True, Invoice.c.total > decimal.Decimal(0))  # noqa: E712


def field_specifiers() -> None:
    Invoice(number="A1", total=decimal.Decimal(1), issued=datetime.date(2026, 1, 1))
    Invoice(total=decimal.Decimal(1), issued=datetime.date(2026, 1, 1))  # type: ignore[call-arg]
    Invoice(number=1, total=decimal.Decimal(1), issued=datetime.date(2026, 1, 1))  # type: ignore[arg-type]
    Invoice(number="A1", total=decimal.Decimal(1), issued=datetime.date(2026, 1, 1), nope=2)  # type: ignore[call-arg]


class WrongDefault(twinsql.Model):
    id: int | None = None
    count: int = twinsql.Field(default="zero")  # type: ignore[assignment]


def aggregates(db: twinsql.Database) -> None:
    query = Invoice.query()
    assert_type(query.sum(Invoice.c.total, using=db), decimal.Decimal | None)
    assert_type(query.sum(Invoice.c.paid), int | None)
    assert_type(query.min(Invoice.c.issued), datetime.date | None)
    assert_type(query.max(Invoice.c.number), str | None)
    assert_type(query.max(Invoice.c.note), str | None)
    assert_type(query.average(Invoice.c.total), decimal.Decimal | None)
    assert_type(query.average(Invoice.c.id), float | None)
    assert_type(query.sum("total"), Any)
    assert_type(query.update(paid=True), int)
    assert_type(query.delete(), int)
    returning = query.where(Invoice.c.paid == False).returning("id", "total")  # noqa: E712
    assert_type(returning, twinsql.Query[Invoice, list[dict[str, Any]]])
    assert_type(returning.update(paid=True), list[dict[str, Any]])
    assert_type(returning.limit(3).delete(), list[dict[str, Any]])


async def async_aggregates(db: twinsql.AsyncDatabase) -> None:
    query = Invoice.query()
    assert_type(await query.async_sum(Invoice.c.total, using=db), decimal.Decimal | None)
    assert_type(await query.async_min(Invoice.c.issued), datetime.date | None)
    assert_type(await query.async_max(Invoice.c.number), str | None)
    assert_type(await query.async_average(Invoice.c.total), decimal.Decimal | None)
    assert_type(await query.async_update(paid=True), int)
    assert_type(await query.returning("id").async_delete(), list[dict[str, Any]])


async def reflection(db: twinsql.Database, adb: twinsql.AsyncDatabase) -> None:
    assert_type(twinsql.reflect(db, tables=["users"], naming="PascalCase"), str)
    assert_type(await twinsql.reflect_async(adb), str)
    twinsql.reflect(db, naming="pascal")  # type: ignore[arg-type]
