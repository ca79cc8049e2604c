"""SQLAlchemy 2 declarative models of the benchmark tables (see ``dataset.py``)."""

from __future__ import annotations

import datetime
from typing import Any

import dataset
from sqlalchemy import DateTime, Float, ForeignKey, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "bench_users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(100))
    age: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)
    active: Mapped[bool]
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True))
    posts: Mapped[list[Post]] = relationship(back_populates="user")


class Post(Base):
    __tablename__ = "bench_posts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("bench_users.id"))
    title: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(String(400))
    likes: Mapped[int] = mapped_column(Integer)
    user: Mapped[User] = relationship(back_populates="posts")


def _wide_namespace() -> dict[str, Any]:
    ns: dict[str, Any] = {"__tablename__": "bench_wide",
                          "id": mapped_column(Integer, primary_key=True)}  # fmt: skip
    ns.update({c: mapped_column(Integer) for c in dataset.WIDE_INTS})
    ns.update({c: mapped_column(Float) for c in dataset.WIDE_FLOATS})
    ns.update({c: mapped_column(String(100)) for c in dataset.WIDE_TEXTS})
    return ns


Wide: Any = type("Wide", (Base,), _wide_namespace())


class Item(Base):
    __tablename__ = "bench_items"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(100))
    age: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)
    active: Mapped[bool]


class Account(Base):
    __tablename__ = "bench_accounts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner: Mapped[str] = mapped_column(String(100))
    balance: Mapped[int] = mapped_column(Integer)


class Transfer(Base):
    __tablename__ = "bench_transfers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    src: Mapped[int] = mapped_column(Integer)
    dst: Mapped[int] = mapped_column(Integer)
    amount: Mapped[int] = mapped_column(Integer)
