"""The measured phases of one cell, sync and async (``cell.py`` runs them).

``Cell`` keeps the bookkeeping: the operation counter (so every operation's arguments and
expected result are known), the timer, the statement counts of ``pg_stat_statements``, the
result record. ``run_sync`` / ``run_async``: warm-up, choice of the operation count, timed
loop, checks, one checksummed operation, a ``cProfile`` pass. ``count_wire`` /
``acount_wire``: the same operations through the counting proxy, untimed.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import time
from typing import Any

import loops
import ops
import pgstats
from admin import Admin
from impls import IMPLS
from workloads import BUDGET, WORKLOADS, Workload

PROFILE_CAP = 200
WIRE_OPS = 10


class Cell:
    """The bookkeeping shared by the sync and async runs of one cell."""

    def __init__(self, a: argparse.Namespace) -> None:
        self.w: Workload = WORKLOADS[a.workload]
        self.quick = a.quick
        self.profile = a.profile
        self.impl = IMPLS[a.impl]
        self.admin = Admin(a.backend, a.admin_url)
        self.counter = pgstats.Counter(a.admin_url) if a.pgstats else None
        self.max_ops = self.w.warmup + self.w.ref + PROFILE_CAP + 2 * WIRE_OPS + 1
        self.before = ops.setup(self.w, self.admin, self.max_ops)
        self.next = 0  # index of the next operation
        self.out: dict[str, Any] = {}

    def take(self, n: int) -> list[tuple[Any, ...]]:
        arglist = [ops.args(self.w, i) for i in range(self.next, self.next + n)]
        self.next += n
        return arglist

    def expect(self, start: int, n: int) -> int:
        return sum(ops.expected(self.w, i) for i in range(start, start + n))

    def n_ops(self, per_op: float) -> int:
        w = self.w
        n = int(BUDGET[self.quick] / max(per_op, 1e-9))
        n = max(w.min_ops, min(w.ref, n))
        if w.concurrency:
            n = max(w.concurrency, n - n % w.concurrency)
        return n

    def start_timer(self) -> None:
        gc.collect()
        if self.counter:
            self.counter.reset()
        self.t = (time.perf_counter(), time.process_time())

    def stop_timer(self, n: int) -> None:
        wall, cpu = time.perf_counter() - self.t[0], time.process_time() - self.t[1]
        stmts = self.counter.read() if self.counter else None
        self.add_time(wall, cpu, n, stmts)

    def add_time(self, wall: float, cpu: float, n: int, stmts: Any) -> None:
        o = self.out
        o["wall_s"] = o.get("wall_s", 0.0) + wall
        o["cpu_s"] = o.get("cpu_s", 0.0) + cpu
        o["ops"] = o.get("ops", 0) + n
        if stmts is not None:
            merged = dict(o.get("_stmts", {}))
            for q, c in stmts:
                merged[q] = merged.get(q, 0) + c
            o["_stmts"] = merged

    def check(self, got: int, want: int) -> None:
        if got != want:
            raise AssertionError(f"{self.w.name}: touch sum {got} != expected {want}")

    def profiled_ops(self, per_op: float) -> int:
        return max(1, min(PROFILE_CAP, int(0.04 / max(per_op, 1e-9))))

    def finish(self, profile: cProfile.Profile | None, n_profiled: int) -> dict[str, Any]:
        o = self.out
        if profile is not None and n_profiled:
            o["calls_per_op"] = pstats.Stats(profile).total_calls / n_profiled  # type: ignore[attr-defined]
        stmts = o.pop("_stmts", None)
        if stmts is not None:
            top = sorted(stmts.items(), key=lambda qc: (-qc[1], qc[0]))
            o["statements_per_op"] = sum(stmts.values()) / o["ops"]
            o["statements"] = [[q[:160], c / o["ops"]] for q, c in top[:8]]
        o["wall_us_per_op"] = o["wall_s"] / o["ops"] * 1e6
        o["cpu_us_per_op"] = o["cpu_s"] / o["ops"] * 1e6
        return o

    def verify(self) -> None:
        ops.verify(self.w, self.admin, self.before, self.next)

    def wire_ops(self) -> int:
        w = self.w
        return w.concurrency * 2 if w.concurrency else max(1, min(WIRE_OPS, w.min_ops))

    def record_wire(self, tally: Any, n: int) -> None:
        statements, round_trips, prepares, top = tally.snapshot()
        self.out["wire"] = {
            "ops": n, "statements_per_op": statements / n, "round_trips_per_op": round_trips / n,
            "prepares_per_op": prepares / n, "statements": [[q, c / n] for q, c in top[:8]],
        }  # fmt: skip

    def close(self) -> None:
        self.admin.close()
        if self.counter:
            self.counter.close()


def run_sync(cell: Cell, client: Any) -> dict[str, Any]:
    w = cell.w
    fn = getattr(client, w.op)
    if w.op == "transfer":
        cell.next = loops.for_duration(fn, w.concurrency, 0.3, seed=0)
        cell.start_timer()
        n = loops.for_duration(fn, w.concurrency, w.seconds / (3 if cell.quick else 1), 100)
        cell.stop_timer(n)
        cell.next += n
        return cell.finish(None, 0)
    if w.reset_each:
        rows = ops.bulk_rows(w.arg)
        for _ in range(w.warmup):
            fn(rows)
            ops.between(w, cell.admin)
        for _ in range(1 if cell.quick else w.ref):
            cell.start_timer()
            fn(rows)
            cell.stop_timer(1)
            ops.between(w, cell.admin)
        return cell.finish(None, 0)
    half = max(1, w.warmup // 2)
    first, rest = cell.next, w.warmup - half
    cell.check(loops.sequential(w, fn, cell.take(rest)), cell.expect(first, rest))
    first, t0 = cell.next, time.perf_counter()
    cell.check(loops.sequential(w, fn, cell.take(half)), cell.expect(first, half))
    per_op = (time.perf_counter() - t0) / half
    n = cell.n_ops(per_op)
    first, arglist = cell.next, cell.take(n)
    cell.start_timer()
    acc = loops.sequential(w, fn, arglist)
    cell.stop_timer(n)
    cell.check(acc, cell.expect(first, n))
    first, (a,) = cell.next, cell.take(1)
    cell.out["checksum"] = ops.checksum(w, first, fn(*a))
    if not cell.profile:
        return cell.finish(None, 0)
    k = cell.profiled_ops(per_op)
    arglist, profile = cell.take(k), cProfile.Profile()
    profile.runcall(loops.sequential, w, fn, arglist)
    return cell.finish(profile, k)


async def run_async(cell: Cell, client: Any) -> dict[str, Any]:
    w = cell.w
    fn = getattr(client, w.op)
    if w.op == "transfer":
        cell.next = await loops.afor_duration(fn, w.concurrency, 0.3, seed=0)
        cell.start_timer()
        n = await loops.afor_duration(fn, w.concurrency, w.seconds / (3 if cell.quick else 1), 100)
        cell.stop_timer(n)
        cell.next += n
        return cell.finish(None, 0)
    if w.reset_each:
        rows = ops.bulk_rows(w.arg)
        for _ in range(w.warmup):
            await fn(rows)
            ops.between(w, cell.admin)
        for _ in range(1 if cell.quick else w.ref):
            cell.start_timer()
            await fn(rows)
            cell.stop_timer(1)
            ops.between(w, cell.admin)
        return cell.finish(None, 0)
    loop = loops.asequential if w.sequential else loops.concurrent
    half = max(1, w.warmup // 2) if w.sequential else w.warmup
    first = cell.next
    cell.check(await loop(w, fn, cell.take(w.warmup - half)), cell.expect(first, w.warmup - half))
    first, t0 = cell.next, time.perf_counter()
    cell.check(await loop(w, fn, cell.take(half)), cell.expect(first, half))
    per_op = (time.perf_counter() - t0) / half
    n = cell.n_ops(per_op)
    first, arglist = cell.next, cell.take(n)
    cell.start_timer()
    acc = await loop(w, fn, arglist)
    cell.stop_timer(n)
    cell.check(acc, cell.expect(first, n))
    if not w.sequential:
        return cell.finish(None, 0)
    first, (a,) = cell.next, cell.take(1)
    cell.out["checksum"] = ops.checksum(w, first, await fn(*a))
    if not cell.profile:
        return cell.finish(None, 0)
    k = cell.profiled_ops(per_op)
    arglist, profile = cell.take(k), cProfile.Profile()
    profile.enable()
    await loop(w, fn, arglist)
    profile.disable()
    return cell.finish(profile, k)


def count_wire(cell: Cell, client: Any, tally: Any) -> None:
    """The workload's operations through the counting proxy (sync), after a warm-up."""
    w = cell.w
    fn = getattr(client, w.op)
    if w.op == "transfer":
        cell.next += loops.for_duration(fn, w.concurrency, 0.2, seed=200)
        tally.reset()
        n = loops.for_duration(fn, w.concurrency, 0.3, seed=300)
    elif w.reset_each:
        rows = ops.bulk_rows(w.arg)
        fn(rows)
        ops.between(w, cell.admin)
        tally.reset()
        n = 1
        fn(rows)
        ops.between(w, cell.admin)
    else:
        n = cell.wire_ops()
        loops.sequential(w, fn, cell.take(max(n, 6)))  # past psycopg's prepare threshold
        tally.reset()
        loops.sequential(w, fn, cell.take(n))
    cell.record_wire(tally, n)
    if w.op == "transfer":
        cell.next += n


async def acount_wire(cell: Cell, client: Any, tally: Any) -> None:
    """The workload's operations through the counting proxy (async), after a warm-up."""
    w = cell.w
    fn = getattr(client, w.op)
    if w.op == "transfer":
        cell.next += await loops.afor_duration(fn, w.concurrency, 0.2, seed=200)
        tally.reset()
        n = await loops.afor_duration(fn, w.concurrency, 0.3, seed=300)
        cell.next += n
    elif w.reset_each:
        rows = ops.bulk_rows(w.arg)
        await fn(rows)
        ops.between(w, cell.admin)
        tally.reset()
        n = 1
        await fn(rows)
        ops.between(w, cell.admin)
    else:
        n = cell.wire_ops()
        loop = loops.asequential if w.sequential else loops.concurrent
        await loop(w, fn, cell.take(max(n, 6)))
        tally.reset()
        await loop(w, fn, cell.take(n))
    cell.record_wire(tally, n)
