"""What the raw clients share: the object floor and the hand-written SQL.

The object floor (performance reference): for a workload that returns records, the raw
baseline builds one plain ``dataclass(slots=True)`` per row, positionally from the driver's
row — the cheapest Python object a library could return. SQL is written once with ``?``
placeholders and rendered for each driver's parameter style.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field, make_dataclass
from typing import Any

import dataset


@dataclass(slots=True)
class UserRow:
    id: int
    name: str
    email: str
    age: int
    score: float
    active: bool
    created_at: datetime.datetime
    posts: list[Any] = field(default_factory=list)


@dataclass(slots=True)
class PostRow:
    id: int
    user_id: int
    title: str
    body: str
    likes: int


@dataclass(slots=True)
class ItemRow:
    id: int
    name: str
    email: str
    age: int
    score: float
    active: bool


WideRow: Any = make_dataclass(
    "WideRow", [(c, Any) for c in dataset.WIDE_COLUMNS], slots=True
)

U = ", ".join(dataset.USER_COLUMNS)
P = ", ".join(dataset.POST_COLUMNS)
W = ", ".join(dataset.WIDE_COLUMNS)
I_COLS = ", ".join(dataset.ITEM_COLUMNS)
I_VALUES = ", ".join(dataset.ITEM_COLUMNS[1:])

SQL = {
    "select1": "SELECT 1",
    "get_user": f"SELECT {U} FROM bench_users WHERE id = ?",
    "users": f"SELECT {U} FROM bench_users ORDER BY id LIMIT ?",
    "wide": f"SELECT {W} FROM bench_wide ORDER BY id LIMIT ?",
    "page": f"SELECT {U} FROM bench_users WHERE age = ? ORDER BY id LIMIT ? OFFSET ?",
    "users_range": f"SELECT {U} FROM bench_users WHERE id >= ? AND id <= ? ORDER BY id",
    "insert_item": f"INSERT INTO bench_items ({I_VALUES}) VALUES (?, ?, ?, ?, ?)",
    "bulk_item": f"INSERT INTO bench_items ({I_COLS}) VALUES (?, ?, ?, ?, ?, ?)",
    "get_item": f"SELECT {I_COLS} FROM bench_items WHERE id = ?",
    "set_age": "UPDATE bench_items SET age = ? WHERE id = ?",
    "bulk_update": "UPDATE bench_items SET age = age + 1 WHERE id >= ? AND id <= ?",
    "delete_item": "DELETE FROM bench_items WHERE id = ?",
    "lock_balance": "SELECT balance FROM bench_accounts WHERE id = ? FOR UPDATE",
    "set_balance": "UPDATE bench_accounts SET balance = ? WHERE id = ?",
    "insert_transfer": "INSERT INTO bench_transfers (src, dst, amount) VALUES (?, ?, ?)",
}


def render(sql: str, style: str) -> str:
    """``?`` placeholders → ``%s`` (``format``) or ``$1, $2…`` (``numeric``)."""
    if style == "qmark":
        return sql
    if style == "format":
        return sql.replace("?", "%s")
    parts = sql.split("?")
    return "".join(p + (f"${n}" if n < len(parts) else "") for n, p in enumerate(parts, 1))


def sql_for(style: str) -> dict[str, str]:
    return {name: render(text, style) for name, text in SQL.items()}


def in_list(n: int, style: str) -> str:
    """``(?, ?, …)`` with ``n`` placeholders in the driver's style."""
    if style == "numeric":
        return "(" + ", ".join(f"${i}" for i in range(1, n + 1)) + ")"
    mark = "?" if style == "qmark" else "%s"
    return "(" + ", ".join([mark] * n) + ")"


def posts_sql(n: int, style: str) -> str:
    """The second query of hand-written eager loading: the posts of ``n`` users."""
    if style == "numeric":
        return f"SELECT {P} FROM bench_posts WHERE user_id = ANY($1::int[])"
    return f"SELECT {P} FROM bench_posts WHERE user_id IN {in_list(n, style)}"


def attach_posts(users: list[UserRow], posts: list[PostRow]) -> list[UserRow]:
    by_id = {u.id: u for u in users}
    for post in posts:
        by_id[post.user_id].posts.append(post)
    return users


def lock_order(a: int, b: int) -> tuple[int, int]:
    """Rows are locked in key order, so that concurrent transfers cannot deadlock."""
    return (a, b) if a < b else (b, a)
