"""Run one benchmark cell — (library, backend, workload, mode[, variant]) — and print one
JSON line. ``run.py`` starts a fresh process per cell, so no library shares imports,
caches or a heap with another. By hand, e.g. to profile a cell:

    cd bench && .venv/bin/python cell.py --impl twinsql --backend sqlite \\
        --url sqlite:///_work/bench.db --workload w1

Phases (``measure.py``): reset the write tables (``ops.setup``); open the client; warm
up; choose the number of operations from the warm-up's speed (``workloads.BUDGET``);
collect garbage; reset ``pg_stat_statements``; time the operations with ``perf_counter``
(wall) and ``process_time`` (CPU of the whole process, threads included); read the
statement counts; check every operation's touch sum; checksum one more operation's
result; with ``--profile``, run a few more under ``cProfile`` to count Python calls per
operation; with ``--wire``, open a second client through an in-process counting proxy
(``proxy.CountingProxy``) and count statements and round trips on the wire; finally check
the database (``ops.verify``). Output: one JSON line on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from config import url_parts, with_port
from impls import IMPLS
from measure import Cell, acount_wire, count_wire, run_async, run_sync
from workloads import WORKLOADS


def _proxy(a: argparse.Namespace) -> Any:
    from proxy import CountingProxy

    p = url_parts(a.admin_url)
    return CountingProxy(a.backend, (str(p["host"]), int(p["port"])))  # type: ignore[call-overload]


def _sync(cell: Cell, a: argparse.Namespace) -> None:
    client = cell.impl.open(a.backend, a.url, cell.w.pool, a.variant)
    try:
        run_sync(cell, client)
    finally:
        client.close()
    if a.wire:
        proxy = _proxy(a)
        client = cell.impl.open(a.backend, with_port(a.url, proxy.port), cell.w.pool, a.variant)
        try:
            count_wire(cell, client, proxy.tally)
        finally:
            client.close()
            proxy.stop()


async def _async(cell: Cell, a: argparse.Namespace) -> None:
    client = await cell.impl.open(a.backend, a.url, cell.w.pool, a.variant)
    try:
        await run_async(cell, client)
    finally:
        await client.close()
    if a.wire:
        proxy = _proxy(a)
        url = with_port(a.url, proxy.port)
        client = await cell.impl.open(a.backend, url, cell.w.pool, a.variant)
        try:
            await acount_wire(cell, client, proxy.tally)
        finally:
            await client.close()
            proxy.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--impl", required=True, choices=sorted(IMPLS))
    parser.add_argument("--backend", required=True)
    parser.add_argument("--url", required=True, help="the library's URL (maybe via the proxy)")
    parser.add_argument("--admin-url", help="direct URL for setup and checks (default: --url)")
    parser.add_argument("--workload", required=True, choices=sorted(WORKLOADS))
    parser.add_argument("--variant", default="-")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--pgstats", action="store_true", help="count statements (PostgreSQL)")
    parser.add_argument("--wire", action="store_true", help="count statements on the wire too")
    parser.add_argument("--profile", action="store_true", help="count Python calls per op")
    a = parser.parse_args(argv)
    a.admin_url = a.admin_url or a.url
    cell = Cell(a)
    try:
        if cell.impl.mode == "sync":
            _sync(cell, a)
        else:
            asyncio.run(_async(cell, a))
        cell.verify()
        result = cell.out
    finally:
        cell.close()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
