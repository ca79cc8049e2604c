"""The timed loops, sync and async: as little harness as possible between two calls.

Arguments are computed before the loop; each result is touched at once (its ids summed,
see ``ops.touch``) and dropped, so no library is measured holding more objects than it
returns. ``sequential`` runs the calls one after the other; ``concurrent`` runs W4's tasks
(``concurrency`` workers sharing the calls, or bursts of that many tasks at once);
``for_duration`` runs W10's workers (threads in sync mode, tasks in async mode) until a
deadline and returns how many operations completed.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from ops import Transfers
from workloads import Workload


def _kind(w: Workload) -> str:
    if w.op in ("select1", "insert_item", "delete_item"):
        return "scalar"
    if w.op == "get_user":
        return "obj"
    if w.dicts:
        return "dicts"
    if w.op == "users_with_posts":
        return "tree"
    if w.op in ("users", "wide", "page"):
        return "rows"
    return "none"


def sequential(w: Workload, fn: Callable[..., Any], arglist: Sequence[tuple[Any, ...]]) -> int:
    acc = 0
    kind = _kind(w)
    if kind == "scalar":
        for a in arglist:
            r = fn(*a)
            acc += 1 if r is None else r
    elif kind == "obj":
        for a in arglist:
            acc += fn(*a).id
    elif kind == "rows":
        for a in arglist:
            for o in fn(*a):
                acc += o.id
    elif kind == "dicts":
        for a in arglist:
            for row in fn(*a):
                acc += row["id"]
    elif kind == "tree":
        for a in arglist:
            for u in fn(*a):
                acc += u.id
                for p in u.posts:
                    acc += p.id
    else:
        for a in arglist:
            fn(*a)
    return acc


async def asequential(
    w: Workload, fn: Callable[..., Any], arglist: Sequence[tuple[Any, ...]]
) -> int:
    acc = 0
    kind = _kind(w)
    if kind == "scalar":
        for a in arglist:
            r = await fn(*a)
            acc += 1 if r is None else r
    elif kind == "obj":
        for a in arglist:
            acc += (await fn(*a)).id
    elif kind == "rows":
        for a in arglist:
            for o in await fn(*a):
                acc += o.id
    elif kind == "dicts":
        for a in arglist:
            for row in await fn(*a):
                acc += row["id"]
    elif kind == "tree":
        for a in arglist:
            for u in await fn(*a):
                acc += u.id
                for p in u.posts:
                    acc += p.id
    else:
        for a in arglist:
            await fn(*a)
    return acc


async def concurrent(w: Workload, fn: Callable[..., Any], arglist: Sequence[Any]) -> int:
    """W4: ``w.concurrency`` tasks. 100: long-lived workers splitting the calls between
    them; 1000: bursts of 1000 one-call tasks gathered at once."""
    n = w.concurrency

    async def one(a: tuple[Any, ...]) -> int:
        return int((await fn(*a)).id)

    if n >= 1_000:
        acc = 0
        for start in range(0, len(arglist), n):
            acc += sum(await asyncio.gather(*(one(a) for a in arglist[start : start + n])))
        return acc

    async def worker(k: int) -> int:
        acc = 0
        for a in arglist[k::n]:
            acc += (await fn(*a)).id
        return acc

    return sum(await asyncio.gather(*(worker(k) for k in range(n))))


def for_duration(fn: Callable[..., Any], workers: int, seconds: float, seed: int) -> int:
    """W10, sync: ``workers`` threads calling ``fn(a, b, amount)`` until the deadline."""
    deadline = time.perf_counter() + seconds
    counts = [0] * workers
    errors: list[BaseException] = []

    def run(k: int) -> None:
        stream = Transfers(seed + k)
        try:
            while time.perf_counter() < deadline:
                fn(*stream.next())
                counts[k] += 1
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return sum(counts)


async def afor_duration(fn: Callable[..., Any], workers: int, seconds: float, seed: int) -> int:
    """W10, async: ``workers`` tasks calling ``fn(a, b, amount)`` until the deadline."""
    deadline = time.perf_counter() + seconds

    async def run(k: int) -> int:
        stream = Transfers(seed + k)
        done = 0
        while time.perf_counter() < deadline:
            await fn(*stream.next())
            done += 1
        return done

    return sum(await asyncio.gather(*(run(k) for k in range(workers))))
