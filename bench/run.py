"""Benchmark entry point: twinsql against the raw drivers, as ratios measured in one run.

    .venv/bin/python bench/run.py [--quick] [--backends sqlite,postgresql,mysql]
                                  [--workloads w0,w2_100,w2_10k] [--reps N] [--report-only]

Steps: make sure ``bench_users`` holds the expected 10 000 rows on every selected backend
(loaded through twinsql's ``execute_many`` only when missing or wrong); then, for each
repetition, run every cell in a fresh ``bench/cell.py`` process, in an interleaved order
(comparison blocks shuffled with a fixed seed per repetition, the order inside a block
reversed every other repetition); finally write ``bench/results.json`` (every raw figure
and the machine) and ``bench/RESULTS.md`` (medians and ratios, via ``report.py``).

Server URLs: ``BENCH_POSTGRESQL_URL`` / ``BENCH_MYSQL_URL`` (else the test-suite variables
``TWINSQL_TEST_POSTGRESQL_URL`` / ``TWINSQL_TEST_MYSQL_URL``, else the local defaults).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dataset
import report
from workloads import IMPLS, WORKLOADS

BENCH = Path(__file__).resolve().parent
WORK = BENCH / "_work"
CELL = BENCH / "cell.py"
BACKENDS = ("sqlite", "postgresql", "mysql")


def backend_urls() -> dict[str, str]:
    env = os.environ.get
    return {
        "sqlite": f"sqlite:///{WORK / 'bench.db'}",
        "postgresql": env("BENCH_POSTGRESQL_URL")
        or env("TWINSQL_TEST_POSTGRESQL_URL")
        or "postgresql://postgres@127.0.0.1:5432/test",
        "mysql": env("BENCH_MYSQL_URL")
        or env("TWINSQL_TEST_MYSQL_URL")
        or "mysql://root@127.0.0.1:3306/test",
    }


@dataclass(frozen=True)
class Group:
    """One comparison table: twinsql in one mode/driver against its raw baselines."""

    backend: str
    mode: str
    driver: str  # the native driver twinsql runs on
    twinsql_url_scheme: str | None  # e.g. "postgresql+asyncpg" (None: the plain URL)
    baselines: tuple[str, ...]  # raw impl names

    @property
    def key(self) -> str:
        return f"{self.backend}/{self.mode}/{self.driver}"

    @property
    def twinsql_impl(self) -> str:
        return "twinsql" if self.mode == "sync" else "twinsql-async"


GROUPS = (
    Group("sqlite", "sync", "sqlite3", None, ("sqlite3",)),
    Group("sqlite", "async", "sqlite3 (inline)", None, ("sqlite3", "aiosqlite")),
    Group("postgresql", "sync", "psycopg", None, ("psycopg",)),
    Group("postgresql", "async", "asyncpg", "postgresql+asyncpg", ("asyncpg",)),
    Group("postgresql", "async", "psycopg", None, ("psycopg-async",)),
    Group("mysql", "sync", "pymysql", None, ("pymysql",)),
    Group("mysql", "async", "asyncmy", None, ("asyncmy",)),
)


@dataclass(frozen=True)
class Cell:
    impl: str
    url: str
    workload: str
    variant: str

    @property
    def key(self) -> str:
        scheme = self.url.split("://", 1)[0]
        return f"{self.impl}|{scheme}|{self.workload}|{self.variant}"

    def public(self) -> dict[str, str]:
        """The cell's fields for results.json (password redacted)."""
        return {**dataclasses.asdict(self), "url": report.redact(self.url)}


def group_cells(group: Group, workload: str, urls: dict[str, str]) -> list[Cell]:
    """The cells one (group, workload) block needs: twinsql, then each raw variant."""
    url = urls[group.backend]
    tw_url = url
    if group.twinsql_url_scheme:
        tw_url = group.twinsql_url_scheme + "://" + url.split("://", 1)[1]
    cells = [Cell(group.twinsql_impl, tw_url, workload, "-")]
    for name in group.baselines:
        variants = IMPLS[name].variants if WORKLOADS[workload].limit else ("zip",)
        cells.extend(Cell(name, url, workload, v) for v in variants)
    return cells


def run_cell(cell: Cell, quick: bool) -> dict[str, Any]:
    w = WORKLOADS[cell.workload]
    ops = w.quick_ops if quick else w.ops
    cmd = [
        sys.executable, str(CELL), "--impl", cell.impl, "--url", cell.url,
        "--workload", cell.workload, "--variant", cell.variant,
        "--ops", str(ops), "--warmup", str(w.warmup),
    ]  # fmt: skip
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900, cwd=BENCH)
    except subprocess.TimeoutExpired:
        return {"error": "timed out after 900 s"}
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
        return {"error": f"exit {proc.returncode}: {tail}"}
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def _run_logged(cell: Cell, quick: bool, label: str) -> dict[str, Any]:
    result = run_cell(cell, quick)
    shown = result.get("error") or (
        f"{result['wall_us_per_op']:.1f} µs wall, {result['cpu_us_per_op']:.1f} µs CPU"
    )
    print(f"[{label}] {cell.key}: {shown}", file=sys.stderr, flush=True)
    return result


def prepare(backends: list[str], urls: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Load the data set where needed; return per-backend status and server version."""
    import twinsql

    WORK.mkdir(exist_ok=True)
    status: dict[str, dict[str, Any]] = {}
    for backend in backends:
        try:
            with twinsql.connect(urls[backend], pool_size=1, max_overflow=0) as db:
                started = time.perf_counter()
                state = dataset.ensure_table(db, backend)
                if backend == "sqlite":
                    version = "SQLite " + db.execute_scalar("SELECT sqlite_version()")
                else:
                    version = db.execute_scalar("SELECT version()")
            status[backend] = {
                "ok": True, "data": state, "server": version,
                "prepare_s": round(time.perf_counter() - started, 2),
            }  # fmt: skip
        except Exception as exc:
            status[backend] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        print(f"[prepare] {backend}: {status[backend]}", file=sys.stderr, flush=True)
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="twinsql vs raw drivers (ratios)")
    parser.add_argument("--quick", action="store_true", help="3 repetitions, fewer W2 ops")
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--workloads", default=",".join(WORKLOADS))
    parser.add_argument("--reps", type=int, default=None, help="default 5 (quick: 3)")
    parser.add_argument("--seed", type=int, default=20240101)
    parser.add_argument(
        "--report-only", action="store_true",
        help="rewrite RESULTS.md (and the comparisons) from the existing results.json",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.report_only:
        write_results(json.loads((BENCH / "results.json").read_text()), backend_urls())
        return 0
    backends = [b for b in args.backends.split(",") if b]
    workloads = [w for w in args.workloads.split(",") if w]
    bad = [b for b in backends if b not in BACKENDS] + [w for w in workloads if w not in WORKLOADS]
    if bad:
        parser.error(f"unknown backend/workload: {', '.join(bad)}")
    reps = args.reps or (3 if args.quick else 5)
    urls = backend_urls()
    status = prepare(backends, urls)
    groups = [g for g in GROUPS if status.get(g.backend, {}).get("ok")]
    blocks = [(g, w) for g in groups for w in workloads]
    runs: dict[str, dict[str, Any]] = {}
    meta = report.machine_info()
    meta["started"] = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    for rep in range(reps):
        order = blocks[:]
        random.Random(args.seed + rep).shuffle(order)
        done: dict[str, Cell] = {}
        for group, workload in order:
            cells = group_cells(group, workload, urls)
            if rep % 2:
                cells.reverse()
            for cell in cells:
                if cell.key in done:  # a baseline shared by two groups runs once per rep
                    continue
                done[cell.key] = cell
                entry = runs.setdefault(cell.key, {"cell": cell.public(), "runs": []})
                entry["runs"].append(_run_logged(cell, args.quick, f"{rep + 1}/{reps}"))
        # A cell that failed (e.g. the source tree was mid-edit) is tried once more at the
        # end of its repetition; the run keeps its index so pairing stays aligned.
        for key, cell in done.items():
            if "error" in runs[key]["runs"][-1]:
                result = _run_logged(cell, args.quick, f"{rep + 1}/{reps} retry")
                if "error" not in result:
                    result["retried"] = True
                    runs[key]["runs"][-1] = result
    meta["finished"] = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    meta["loadavg_end"] = os.getloadavg()
    results = {
        "meta": meta,
        "config": {
            "quick": args.quick, "reps": reps, "seed": args.seed,
            "backends": backends, "workloads": workloads,
            "ops": {w: WORKLOADS[w].quick_ops if args.quick else WORKLOADS[w].ops
                    for w in workloads},
            "warmup": {w: WORKLOADS[w].warmup for w in workloads},
        },
        "backends": status,
        "cells": runs,
    }
    write_results(results, urls)
    return 0


def write_results(results: dict[str, Any], urls: dict[str, str]) -> None:
    """(Re)compute the comparisons from the cells' runs; write results.json and RESULTS.md."""
    status, workloads = results["backends"], results["config"]["workloads"]
    groups = [g for g in GROUPS if status.get(g.backend, {}).get("ok")]
    results["comparisons"] = report.compare(
        [(g.key, g.backend, g.mode, g.driver) for g in groups],
        {g.key: {w: group_cells(g, w, urls) for w in workloads} for g in groups},
        results["cells"],
    )
    (BENCH / "results.json").write_text(json.dumps(results, indent=1, default=str) + "\n")
    (BENCH / "RESULTS.md").write_text(report.markdown(results))
    print(report.summary_table(results["comparisons"]), file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
