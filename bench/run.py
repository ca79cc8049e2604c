"""Benchmark entry point: twinsql beside the raw drivers and the peers, measured in one run.

    bench/.venv/bin/python bench/run.py [--quick] [--backends sqlite,postgresql,mysql]
        [--workloads w1,w9,...] [--reps N] [--report-only]

(``make bench`` / ``make bench-quick`` create ``bench/.venv`` and call this.) Steps:
prepare every selected backend (``loader``: database, tables, the data set loaded once;
``pgstats``: ``pg_stat_statements``); start the 1 ms round-trip proxies when an RTT
workload is selected; then, repetition after repetition, run every cell in a fresh
``cell.py`` process in an interleaved order (``schedule``); write ``results.json`` (every
raw figure), ``RESULTS.md`` and ``results.png`` (``report``, ``chart``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import loader
import pgstats
import report
import schedule
from admin import create_database
from config import BACKENDS, BENCH, BENCH_DB, WORK, redact, server_urls
from machine import machine_info
from workloads import WORKLOADS


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def prepare(backends: list[str]) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
    """The URL and the status of every backend; a failure disables that backend only."""
    WORK.mkdir(exist_ok=True)
    urls, status = {}, {}
    for backend in backends:
        url, base = server_urls()[backend]
        urls[backend] = url
        try:
            if base is not None and create_database(backend, base, BENCH_DB):
                log(f"[prepare] created database {BENCH_DB} on {redact(base)}")
            status[backend] = {"ok": True, "url": redact(url), **loader.prepare(backend, url, log)}
            if backend == "postgresql":
                status[backend]["pgstats"] = pgstats.ensure(url)
                if not status[backend]["pgstats"]["ok"]:
                    log("[prepare] !!! statements per operation: n/a — "
                        + status[backend]["pgstats"]["note"])  # fmt: skip
        except Exception as exc:
            status[backend] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        log(f"[prepare] {backend}: {status[backend]}")
    return urls, status


def batcher_available() -> bool:
    try:
        import twinsql

        return hasattr(twinsql, "SQLBatcher") and hasattr(twinsql, "AsyncSQLBatcher")
    except Exception:
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="the quick subset: fewer workloads, shorter loops, 1 repetition")
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--workloads", default="", help="comma-separated (default: all)")
    parser.add_argument("--reps", type=int, default=None, help="default 3 (quick: 1)")
    parser.add_argument("--seed", type=int, default=20240101)
    parser.add_argument("--report-only", action="store_true",
                        help="rewrite RESULTS.md and the chart from results.json")
    parser.add_argument("--out", default=str(BENCH), help="directory of the output files")
    a = parser.parse_args(argv)  # fmt: skip
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    if a.report_only:
        report.write(json.loads((out / "results.json").read_text()), out)
        return 0
    backends = [b for b in a.backends.split(",") if b]
    selected = [w for w in a.workloads.split(",") if w] or None
    unknown = [b for b in backends if b not in BACKENDS]
    unknown += [w for w in selected or () if w not in WORKLOADS]
    if unknown:
        parser.error(f"unknown backend/workload: {', '.join(unknown)}")
    reps = a.reps or (1 if a.quick else 3)
    meta = machine_info()
    meta["started"] = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    urls, status = prepare(backends)
    plan = schedule.Plan(urls, status, a.quick, selected, batcher_available(), a.seed)
    log(f"[plan] {plan.count()} cells per repetition × {reps} repetitions")
    try:
        plan.start_proxies(log)
        runs = plan.run(reps, log)
    finally:
        plan.stop_proxies()
    meta["finished"] = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    meta["loadavg_end"] = os.getloadavg()
    results = {
        "meta": meta,
        "config": {"quick": a.quick, "reps": reps, "seed": a.seed, "backends": backends,
                   "workloads": selected, "batcher": plan.batcher, "rtt": plan.rtt_info},
        "backends": status,
        "groups": plan.group_records(),
        "cells": runs,
    }  # fmt: skip
    report.write(results, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
