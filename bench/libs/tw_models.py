"""twinsql ORM models of the benchmark tables (see ``dataset.py``); the loader uses them too.

Defined here, not in the tests: the benchmark must not depend on test code.
"""

from __future__ import annotations

import datetime
from typing import Any, ClassVar

import dataset

from twinsql import HasMany, Model


class BenchModel(Model):
    __abstract__: ClassVar[bool] = True


class User(BenchModel):
    __table_name__ = "bench_users"
    id: int | None = None
    name: str
    email: str
    age: int
    score: float
    active: bool
    created_at: datetime.datetime

    posts: ClassVar[HasMany[Post]] = HasMany(foreign_key="user_id")


class Post(BenchModel):
    __table_name__ = "bench_posts"
    id: int | None = None
    user_id: int
    title: str
    body: str
    likes: int


def _wide_annotations() -> dict[str, Any]:
    out: dict[str, Any] = {"id": int | None}
    out.update({c: int for c in dataset.WIDE_INTS})
    out.update({c: float for c in dataset.WIDE_FLOATS})
    out.update({c: str for c in dataset.WIDE_TEXTS})
    return out


Wide: Any = type(
    "Wide", (BenchModel,),
    {"__annotations__": _wide_annotations(), "__table_name__": "bench_wide", "id": None,
     "__module__": __name__},
)  # fmt: skip


class Item(BenchModel):
    __table_name__ = "bench_items"
    id: int | None = None
    name: str
    email: str
    age: int
    score: float
    active: bool


class Account(BenchModel):
    __table_name__ = "bench_accounts"
    id: int | None = None
    owner: str
    balance: int


class Transfer(BenchModel):
    __table_name__ = "bench_transfers"
    id: int | None = None
    src: int
    dst: int
    amount: int
