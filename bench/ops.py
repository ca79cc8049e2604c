"""What each workload does around the timed calls: arguments, checks, table resets.

For operation number ``i`` (counted from 0 over warm-up, timed and profiled operations of
one cell) ``args`` gives the call's arguments and ``expected`` what ``touch`` must return
for its result. ``touch`` reads every row's id (and, for W9, every post's), so a library
that returns fewer rows, or lazily defers them, cannot pass; ``checksum`` compares every
value of every row of one extra operation with the generated data. ``setup`` resets the
write tables before a cell; ``between`` restores them between W6 operations; ``verify``
checks the database afterwards (row counts and sums) — all through ``admin.Admin``,
outside the timed region.
"""

from __future__ import annotations

import random
from typing import Any

import dataset
from admin import Admin
from workloads import Workload

RMS_ROWS = 2_000


def _user_pk(i: int) -> int:
    return 1 + (i * 7_919) % dataset.N_USERS


def _page(i: int) -> tuple[int, int]:
    return 18 + i % 63, (i * 13) % 1_000


def _range(i: int, size: int) -> tuple[int, int]:
    lo = 1 + (i * size * 7) % (dataset.N_USERS - size)
    return lo, lo + size - 1


def args(w: Workload, i: int) -> tuple[Any, ...]:
    op = w.op
    if op == "select1":
        return ()
    if op == "get_user":
        return (_user_pk(i),)
    if op in ("users", "user_dicts", "wide"):
        return (w.arg,)
    if op == "page":
        return _page(i)
    if op == "insert_item":
        return (dataset.item_values(i + 1),)
    if op == "rms":
        return (1 + i % RMS_ROWS,)
    if op == "bulk_update":
        return (1, w.arg)
    if op == "delete_item":
        return (i + 1,)
    if op == "users_with_posts":
        return _range(i, w.arg)
    raise ValueError(op)


def bulk_rows(n: int) -> list[tuple[Any, ...]]:
    return [(k, *dataset.item_values(k)) for k in range(1, n + 1)]


def touch(w: Workload, result: Any) -> int:
    op = w.op
    if op == "select1":
        return int(result)
    if op == "get_user":
        return int(result.id)
    if op == "insert_item":
        return int(result)
    if op == "delete_item":
        return 1 if result is None else int(result)
    if w.dicts:
        return sum(row["id"] for row in result)
    if op == "users_with_posts":
        return sum(u.id + sum(p.id for p in u.posts) for u in result)
    if op in ("users", "wide", "page"):
        return sum(o.id for o in result)
    return 0


def expected(w: Workload, i: int) -> int:
    op = w.op
    if op == "select1":
        return 1
    if op == "get_user":
        return _user_pk(i)
    if op in ("users", "user_dicts", "wide"):
        return w.arg * (w.arg + 1) // 2
    if op == "page":
        return sum(dataset.page_ids(*_page(i)))
    if op == "insert_item":
        return i + 1
    if op == "delete_item":
        return 1
    if op == "users_with_posts":
        lo, hi = _range(i, w.arg)
        return sum(u + sum(dataset.post_ids_of(u)) for u in range(lo, hi + 1))
    return 0


def checksum(w: Workload, i: int, result: Any) -> str | None:
    """Compare every value of every row of one result with the generated data; returns
    the checksum (None for write workloads, which ``verify`` checks in the database)."""
    op = w.op
    if op == "get_user":
        got = dataset.checksum(dataset.values_of([result], dataset.USER_COLUMNS))
        want = dataset.users_checksum([_user_pk(i)])
    elif op in ("users", "user_dicts", "page"):
        ids = range(1, w.arg + 1) if op != "page" else dataset.page_ids(*_page(i))
        got = dataset.checksum(dataset.values_of(result, dataset.USER_COLUMNS))
        want = dataset.users_checksum(ids)
    elif op == "wide":
        got = dataset.checksum(dataset.values_of(result, dataset.WIDE_COLUMNS))
        want = dataset.wide_checksum(range(1, w.arg + 1))
    elif op == "users_with_posts":
        lo, hi = _range(i, w.arg)
        posts = sorted((p for u in result for p in u.posts), key=lambda p: p.id)
        got = dataset.checksum(dataset.values_of(result, dataset.USER_COLUMNS))
        got += dataset.checksum(dataset.values_of(posts, dataset.POST_COLUMNS))
        want = dataset.users_checksum(range(lo, hi + 1))
        want += dataset.posts_checksum(j for u in range(lo, hi + 1) for j in dataset.post_ids_of(u))
    else:
        return None
    if got != want:
        raise AssertionError(f"{w.name}: checksum {got} differs from the generated data's {want}")
    return got


# -- the database around the timed region --------------------------------------------------


def _fill_items(admin: Admin, n: int) -> None:
    admin.truncate("bench_items")
    marks = ", ".join([admin.ph] * 6)
    admin.executemany(
        f"INSERT INTO bench_items ({', '.join(dataset.ITEM_COLUMNS)}) VALUES ({marks})",
        bulk_rows(n),
    )


def setup(w: Workload, admin: Admin, max_ops: int) -> dict[str, Any]:
    """Reset what the workload writes; returns the 'before' figures ``verify`` needs."""
    op = w.op
    if op in ("insert_item", "bulk_insert"):
        admin.truncate("bench_items")
    elif op == "rms":
        _fill_items(admin, RMS_ROWS)
    elif op == "bulk_update":
        _fill_items(admin, w.arg)
    elif op == "delete_item":
        _fill_items(admin, max_ops)
    elif op == "transfer":
        admin.truncate("bench_transfers")
        admin.truncate("bench_accounts")
        marks = ", ".join([admin.ph] * 3)
        admin.executemany(
            f"INSERT INTO bench_accounts (id, owner, balance) VALUES ({marks})",
            [(k, f"owner{k}", dataset.START_BALANCE) for k in range(1, dataset.N_ACCOUNTS + 1)],
        )
    else:
        return {}
    return {"age_sum": admin.scalar("SELECT SUM(age) FROM bench_items") or 0,
            "count": admin.scalar("SELECT COUNT(*) FROM bench_items")}  # fmt: skip


def between(w: Workload, admin: Admin) -> None:
    """After one W6 operation: check it inserted every row, then empty the table."""
    count = admin.scalar("SELECT COUNT(*) FROM bench_items")
    id_sum = admin.scalar("SELECT SUM(id) FROM bench_items")
    if count != w.arg or id_sum != w.arg * (w.arg + 1) // 2:
        raise AssertionError(f"{w.name}: {count} rows after one bulk insert, not {w.arg}")
    admin.truncate("bench_items")


def verify(w: Workload, admin: Admin, before: dict[str, Any], done: int) -> None:
    """After the cell: the database holds exactly what ``done`` operations should leave."""
    op = w.op
    count = admin.scalar("SELECT COUNT(*) FROM bench_items")
    age_sum = admin.scalar("SELECT SUM(age) FROM bench_items") or 0
    problems = []
    if op == "insert_item" and (count != done or admin.scalar(
            "SELECT MAX(id) FROM bench_items") != done):  # fmt: skip
        problems.append(f"{count} rows after {done} inserts")
    if op == "rms" and age_sum - before["age_sum"] != done:
        problems.append(f"ages grew by {age_sum - before['age_sum']} after {done} saves")
    if op == "bulk_update" and age_sum - before["age_sum"] != done * w.arg:
        problems.append(f"ages grew by {age_sum - before['age_sum']} after {done} updates")
    if op == "delete_item" and count != before["count"] - done:
        problems.append(f"{count} rows left, expected {before['count'] - done}")
    if op == "transfer":
        total = admin.scalar("SELECT SUM(balance) FROM bench_accounts")
        moves = admin.scalar("SELECT COUNT(*) FROM bench_transfers")
        if total != dataset.N_ACCOUNTS * dataset.START_BALANCE or moves != done:
            problems.append(f"balance total {total}, {moves} transfers logged for {done}")
    if problems:
        raise AssertionError(f"{w.name}: " + "; ".join(problems))


class Transfers:
    """W10's per-worker stream of (from, to, amount), reproducible per worker."""

    def __init__(self, worker: int) -> None:
        self._rng = random.Random(1_000 + worker)

    def next(self) -> tuple[int, int, int]:
        a = self._rng.randint(1, dataset.N_ACCOUNTS)
        b = self._rng.randint(1, dataset.N_ACCOUNTS - 1)
        return a, b if b < a else b + 1, self._rng.randint(1, 100)
