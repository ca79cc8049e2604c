"""Run one benchmark cell — one (library, backend, workload, mode) — and print one JSON line.

    python bench/cell.py --impl psycopg --url postgresql://postgres@127.0.0.1/test \\
        --workload w2_10k --variant zip --ops 30 --warmup 3

``run.py`` starts a fresh process per cell, so no library shares caches, imports or a heap
with another. The cell opens its client, runs the warm-up ops, collects garbage, then times
``ops`` operations with ``time.perf_counter`` (wall) and ``time.process_time`` (CPU of the
whole client process, worker threads included). Every op's rows are touched (the ``id`` of
every row is summed, and W0's value is summed) and the sums are checked against the expected
ones; after timing, one more op's result is checksummed over every value of every row
(outside the timed region) and compared with the checksum of the generated data. Finally a
few more ops run under ``cProfile`` to count Python-level function calls per op: a figure
that, unlike time, does not depend on the machine's load.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import json
import pstats
import sys
import time
from typing import Any

import dataset
from workloads import IMPLS, WORKLOADS, AsyncClient, Impl, SyncClient


def _profiled_ops(limit: int, ops: int) -> int:
    """How many ops to run under the call counter (a few, so that it stays cheap)."""
    return min(ops, 1_000 if limit == 0 else 100 if limit <= 100 else 3)


def _calls(profile: cProfile.Profile, n: int) -> float:
    stats = pstats.Stats(profile)
    return float(stats.total_calls) / n  # type: ignore[attr-defined]


def _verify(rows: list[dict[str, Any]], limit: int) -> str:
    if len(rows) != limit:
        raise AssertionError(f"expected {limit} rows, got {len(rows)}")
    got = dataset.checksum_dicts(rows)
    if got != dataset.expected_checksum(limit):
        raise AssertionError(f"checksum {got} differs from the generated data's")
    return got


def run_sync(
    impl: Impl, url: str, variant: str, limit: int, ops: int, warmup: int
) -> dict[str, Any]:
    client: SyncClient = impl.open_sync(url, variant)
    try:
        if limit:
            sql = dataset.select_sql(limit)
            fetch = client.fetch_dicts

            def loop(n: int) -> int:
                acc = 0
                for _ in range(n):
                    for row in fetch(sql):
                        acc += row["id"]
                return acc

            expected = dataset.expected_id_sum(limit)
        else:
            select1 = client.select1

            def loop(n: int) -> int:
                acc = 0
                for _ in range(n):
                    acc += select1()
                return acc

            expected = 1
        loop(warmup)
        gc.collect()
        w0, c0 = time.perf_counter(), time.process_time()
        acc = loop(ops)
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
        if acc != expected * ops:
            raise AssertionError(f"touch sum {acc} != {expected * ops}")
        checksum = _verify(client.fetch_dicts(sql), limit) if limit else "-"
        n = _profiled_ops(limit, ops)
        profile = cProfile.Profile()
        profile.runcall(loop, n)
    finally:
        client.close()
    return {"wall_s": wall, "cpu_s": cpu, "checksum": checksum, "calls_per_op": _calls(profile, n)}


async def run_async(
    impl: Impl, url: str, variant: str, limit: int, ops: int, warmup: int
) -> dict[str, Any]:
    client: AsyncClient = await impl.open_async(url, variant)
    try:
        if limit:
            sql = dataset.select_sql(limit)
            fetch = client.fetch_dicts

            async def loop(n: int) -> int:
                acc = 0
                for _ in range(n):
                    for row in await fetch(sql):
                        acc += row["id"]
                return acc

            expected = dataset.expected_id_sum(limit)
        else:
            select1 = client.select1

            async def loop(n: int) -> int:
                acc = 0
                for _ in range(n):
                    acc += await select1()
                return acc

            expected = 1
        await loop(warmup)
        gc.collect()
        w0, c0 = time.perf_counter(), time.process_time()
        acc = await loop(ops)
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
        if acc != expected * ops:
            raise AssertionError(f"touch sum {acc} != {expected * ops}")
        checksum = _verify(await client.fetch_dicts(sql), limit) if limit else "-"
        n = _profiled_ops(limit, ops)
        profile = cProfile.Profile()
        profile.enable()
        await loop(n)
        profile.disable()
    finally:
        await client.close()
    return {"wall_s": wall, "cpu_s": cpu, "checksum": checksum, "calls_per_op": _calls(profile, n)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--impl", required=True, choices=sorted(IMPLS))
    parser.add_argument("--url", required=True)
    parser.add_argument("--workload", required=True, choices=sorted(WORKLOADS))
    parser.add_argument("--variant", default="zip")
    parser.add_argument("--ops", type=int, required=True)
    parser.add_argument("--warmup", type=int, default=0)
    args = parser.parse_args(argv)
    impl = IMPLS[args.impl]
    limit = WORKLOADS[args.workload].limit
    if impl.mode == "sync":
        result = run_sync(impl, args.url, args.variant, limit, args.ops, args.warmup)
    else:
        result = asyncio.run(
            run_async(impl, args.url, args.variant, limit, args.ops, args.warmup)
        )
    result.update(
        impl=args.impl,
        mode=impl.mode,
        workload=args.workload,
        variant=args.variant,
        ops=args.ops,
        wall_us_per_op=result["wall_s"] / args.ops * 1e6,
        cpu_us_per_op=result["cpu_s"] / args.ops * 1e6,
    )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
