"""Models shared by the ORM tests of both modes (hand-written, not generated)."""

from __future__ import annotations

import datetime
import decimal
import enum
import uuid
from typing import ClassVar

from pydantic import AwareDatetime

from twinsql import (
    BelongsTo,
    Field,
    HasMany,
    HasOne,
    ManyToMany,
    Model,
    OptimisticLockMixin,
    SoftDeleteMixin,
    TimestampsMixin,
)


class OrmBase(Model):
    __abstract__: ClassVar[bool] = True


class User(OrmBase):
    __table_name__ = "orm_users"
    id: int | None = None
    name: str = Field(max_length=100)
    email: str = Field(unique=True, max_length=200)
    age: int = 0
    status: str = "active"
    score: float | None = None

    orders: ClassVar[HasMany[Order]] = HasMany(foreign_key="user_id")
    profile: ClassVar[HasOne[Profile]] = HasOne(foreign_key="user_id")


class Profile(OrmBase):
    __table_name__ = "orm_profiles"
    id: int | None = None
    user_id: int
    bio: str = ""

    user: ClassVar[BelongsTo[User]] = BelongsTo()


class Order(OrmBase):
    __table_name__ = "orm_orders"
    id: int | None = None
    user_id: int = Field(index=True)
    total: decimal.Decimal = Field(max_digits=12, decimal_places=2)
    note: str | None = None

    user: ClassVar[BelongsTo[User]] = BelongsTo()
    items: ClassVar[HasMany[OrderItem]] = HasMany(foreign_key="order_id")


class OrderItem(OrmBase):
    __table_name__ = "orm_order_items"
    id: int | None = None
    order_id: int = Field(index=True)
    sku: str = Field(max_length=40)
    qty: int = 1


class Tag(OrmBase):
    __table_name__ = "orm_tags"
    id: int | None = None
    name: str = Field(unique=True, max_length=50)
    weight: int | None = Field(default=None, server_default=5)


class PostTag(OrmBase):
    __table_name__ = "orm_post_tags"
    id: int | None = None
    post_id: int
    tag_id: int


class Post(TimestampsMixin, SoftDeleteMixin, OrmBase):
    __table_name__ = "orm_posts"
    id: int | None = None
    title: str

    tags: ClassVar[ManyToMany[Tag]] = ManyToMany(through="PostTag")


class Account(OptimisticLockMixin, OrmBase):
    __table_name__ = "orm_accounts"
    id: int | None = None
    owner: str = Field(max_length=50)
    balance: decimal.Decimal = Field(max_digits=14, decimal_places=2)


class Employee(OrmBase):
    __table_name__ = "orm_employees"
    id: int | None = None
    name: str
    department: str = Field(max_length=50, index=True)
    salary: float
    hire_date: datetime.date


class Kind(enum.Enum):
    CLICK = "click"
    VIEW = "view"


class Event(OrmBase):
    __table_name__ = "orm_events"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    kind: Kind
    payload: dict[str, object] = Field(default_factory=dict)
    at: AwareDatetime
    flag: bool = False
    amount: decimal.Decimal | None = Field(default=None, max_digits=10, decimal_places=3)


class Staff(OrmBase):
    """Columns named unlike the fields, as an existing schema may have them."""

    __table_name__ = "orm_staff"
    id: int | None = Field(default=None, primary_key=True, column="StaffId")
    name: str = Field(column="FullName", max_length=50)
    reports_to: int | None = Field(default=None, column="ReportsTo")


class Moment(OrmBase):
    """A naive and an aware datetime field side by side."""

    __table_name__ = "orm_moments"
    id: int | None = None
    label: str = Field(default="", max_length=20)
    naive: datetime.datetime | None = None
    aware: AwareDatetime | None = None


class Ledger(OrmBase):
    """Decimals at the widest precision every backend has (38 digits), and a float."""

    __table_name__ = "orm_ledger"
    id: int | None = None
    amount: decimal.Decimal = Field(max_digits=38, decimal_places=4)
    price: decimal.Decimal = Field(default=decimal.Decimal("0"), max_digits=10, decimal_places=2)
    qty: int = 0
    ratio: float = 0.0
    on: datetime.date | None = None


ALL_MODELS: list[type[Model]] = [
    User,
    Profile,
    Order,
    OrderItem,
    Tag,
    PostTag,
    Post,
    Account,
    Employee,
    Event,
    Staff,
    Moment,
    Ledger,
]
