"""Benchmark, scale-out workload: async point reads at 100 concurrent tasks.

Four configurations on the topology of ``make topology`` (endpoints from its state file):
the PostgreSQL primary alone; the primary with its streaming replica (reads routed to the
replica); the primary through PgBouncer in transaction mode (``pooler="pgbouncer"``, a
server pool of 10) against the primary direct. Each cell runs ``--seconds`` of point reads
(``SELECT … WHERE id = ?`` on a 10 000-row table, ids drawn from a fixed seed) from 100
tasks, after a warm-up; ``--repeat`` cells per configuration, interleaved, median reported.

Run: ``python bench/scale.py [--driver asyncpg|psycopg] [--seconds 5] [--repeat 3]``;
prints a Markdown table (the "Scale-out" section of RESULTS.md).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

import twinsql  # noqa: E402

ROWS = 10_000
TASKS = 100
TABLE = "bench_scale_points"


def state() -> dict[str, Any]:
    path = Path(os.environ.get("TWINSQL_TOPOLOGY_STATE", REPO / ".topology" / "state.json"))
    found: dict[str, Any] = json.loads(path.read_text())
    return found


def configurations(driver: str) -> dict[str, tuple[str, dict[str, Any]]]:
    found = state()
    scheme = "postgresql+asyncpg" if driver == "asyncpg" else "postgresql"

    def url(port: int) -> str:
        return f"{scheme}://postgres@127.0.0.1:{port}/test"

    pool = {"pool_size": TASKS, "max_overflow": 0, "pool_timeout": 60}
    return {
        "primary only": (url(found["pg_primary_port"]), pool),
        "primary + 1 replica": (
            url(found["pg_primary_port"]),
            {**pool, "replicas": [url(found["pg_replica_port"])], "read_your_writes": 0},
        ),
        "through PgBouncer (pool 10)": (
            url(found["pgbouncer_port"]),
            {**pool, "pooler": "pgbouncer"},
        ),
    }


async def prepare(primary_url: str) -> None:
    async with twinsql.connect_async(primary_url) as db:
        await db.execute(f"DROP TABLE IF EXISTS {TABLE}")
        await db.execute(f"CREATE TABLE {TABLE} (id INTEGER PRIMARY KEY, name TEXT, score INT)")
        await db.execute(
            f"INSERT INTO {TABLE} SELECT n, 'name ' || n, n % 100 "
            "FROM generate_series(1, ?::int) AS n",
            (ROWS,),
        )
        await db.execute(f"ANALYZE {TABLE}")


async def cell(url: str, options: dict[str, Any], seconds: float, seed: int) -> float:
    """Point reads per second from TASKS tasks over ``seconds``."""
    sql = f"SELECT id, name, score FROM {TABLE} WHERE id = ?"
    async with twinsql.connect_async(url, **options) as db:
        # Replicated and warm: every task has read once before the clock starts.
        await asyncio.gather(*(db.fetch_one(sql, (1 + i,)) for i in range(TASKS)))
        deadline = time.monotonic() + seconds
        counts = [0] * TASKS

        async def worker(index: int) -> None:
            rng = random.Random(seed * 1000 + index)
            while time.monotonic() < deadline:
                row = await db.fetch_one(sql, (rng.randint(1, ROWS),))
                assert row is not None
                counts[index] += 1

        started = time.monotonic()
        await asyncio.gather(*(worker(i) for i in range(TASKS)))
        elapsed = time.monotonic() - started
        if "replicas" in options:
            replica = db.node_stats()[1]
            assert replica.reads >= sum(counts), "reads did not go to the replica"
    return sum(counts) / elapsed


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--driver", default="asyncpg", choices=["asyncpg", "psycopg"])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    configs = configurations(args.driver)
    await prepare(configs["primary only"][0])
    results: dict[str, list[float]] = {name: [] for name in configs}
    for repetition in range(args.repeat):
        for name, (url, options) in configs.items():
            results[name].append(await cell(url, options, args.seconds, repetition))
    median = {name: statistics.median(values) for name, values in results.items()}
    base = median["primary only"]
    print(f"| configuration ({args.driver}, {TASKS} tasks) | reads/s (median) | ÷ primary only |")
    print("|---|---|---|")
    for name, value in median.items():
        spread = f"{min(results[name]):,.0f}–{max(results[name]):,.0f}"
        print(f"| {name} | {value:,.0f} ({spread}) | {value / base:.2f}× |")
    async with twinsql.connect_async(configs["primary only"][0]) as db:
        await db.execute(f"DROP TABLE {TABLE}")


if __name__ == "__main__":
    asyncio.run(main())
