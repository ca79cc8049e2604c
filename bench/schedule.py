"""The order of the cells, their processes, and the RTT proxies.

Each repetition runs every cell once, one fresh ``cell.py`` process at a time. The
comparison blocks — one (table, workload) each: twinsql, the raw baselines, the peers —
are shuffled with a fixed seed per repetition and the order inside a block is reversed
every other repetition, so the drift of a shared machine hits every library alike. A cell
shared by two tables (sync sqlite3 is also the floor of async SQLite) runs once per
repetition. A failed cell is tried once more at the end of its repetition. The first
repetition of a full run also counts Python calls (``--profile``) and, on the servers,
statements on the wire (``--wire``): figures that do not depend on the load.
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from admin import Admin
from config import BENCH, WORK, host_port, redact, with_port
from plan import GROUPS, SYNC_ABSENT, Cell, Group, block, group_workloads, na_reason
from workloads import WORKLOADS

CELL_TIMEOUT = 600
DELAY_MS = 0.5


def cell_env() -> dict[str, str]:
    """The cells' environment: byte-code caching on, into ``_work/pycache`` (startup time
    only — a process that compiles twinsql from source takes 0.2 s longer to start)."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(WORK / "pycache")
    return env


class Plan:
    def __init__(self, urls: dict[str, str], status: dict[str, dict[str, Any]], quick: bool,
                 selected: list[str] | None, batcher: bool, seed: int) -> None:  # fmt: skip
        self.urls, self.status, self.quick, self.batcher, self.seed = (
            urls, status, quick, batcher, seed)  # fmt: skip
        self.groups = [g for g in GROUPS if status.get(g.backend, {}).get("ok")]
        self.blocks: list[tuple[Group, str, list[Cell]]] = [
            (g, w.name, block(g, w, urls, batcher))
            for g in self.groups
            for w in group_workloads(g, quick, selected)
        ]
        self.proxies: dict[str, tuple[subprocess.Popen[str], int]] = {}
        self.rtt_info: dict[str, Any] = {}

    def count(self) -> int:
        return len({c.key for _, _, cells in self.blocks for c in cells})

    # -- the 1 ms round-trip proxies ---------------------------------------------------------

    def start_proxies(self, log: Callable[[str], None]) -> None:
        backends = {c.backend for _, _, cells in self.blocks for c in cells
                    if WORKLOADS[c.workload].rtt}  # fmt: skip
        for backend in sorted(backends):
            host, port = host_port(self.urls[backend], 5432 if backend == "postgresql" else 3306)
            proc = subprocess.Popen(
                [sys.executable, str(BENCH / "proxy.py"), "--target", f"{host}:{port}",
                 "--delay-ms", str(DELAY_MS)], stdout=subprocess.PIPE, text=True,
            )  # fmt: skip
            assert proc.stdout is not None
            line = proc.stdout.readline().split()
            self.proxies[backend] = (proc, int(line[1]))
            self.rtt_info[backend] = {"delay_ms_each_way": DELAY_MS,
                                      **self._measure_rtt(backend)}  # fmt: skip
            log(f"[rtt] {backend}: proxy on port {line[1]}, {self.rtt_info[backend]}")

    def _measure_rtt(self, backend: str) -> dict[str, float]:
        """Median ``SELECT 1`` round trip, direct and through the proxy, in ms."""
        out = {}
        for name, url in (("direct_ms", self.urls[backend]),
                          ("proxied_ms", self.url_for(backend, True))):  # fmt: skip
            with Admin(backend, url) as admin:
                times = []
                for _ in range(200):
                    t0 = time.perf_counter()
                    admin.scalar("SELECT 1")
                    times.append(time.perf_counter() - t0)
                out[name] = round(sorted(times)[100] * 1000, 3)
        return out

    def stop_proxies(self) -> None:
        for proc, _ in self.proxies.values():
            proc.terminate()
            proc.wait(10)
        self.proxies.clear()

    def url_for(self, backend: str, rtt: bool, url: str | None = None) -> str:
        url = url or self.urls[backend]
        return with_port(url, self.proxies[backend][1]) if rtt else url

    # -- running -------------------------------------------------------------------------------

    def command(self, cell: Cell, rep: int) -> list[str]:
        w = WORKLOADS[cell.workload]
        cmd = [sys.executable, str(BENCH / "cell.py"), "--impl", cell.impl,
               "--backend", cell.backend, "--url", self.url_for(cell.backend, w.rtt, cell.url),
               "--admin-url", self.urls[cell.backend], "--workload", cell.workload,
               "--variant", cell.variant]  # fmt: skip
        if self.quick:
            cmd.append("--quick")
        if cell.backend == "postgresql" and self.status["postgresql"]["pgstats"]["ok"]:
            cmd.append("--pgstats")
        if rep == 0 and not self.quick:
            cmd.append("--profile")
            if cell.backend != "sqlite" and not w.rtt and w.name != "w6_100k":
                cmd.append("--wire")
        return cmd

    def run_cell(self, cell: Cell, rep: int) -> dict[str, Any]:
        try:
            proc = subprocess.run(self.command(cell, rep), capture_output=True, text=True,
                                  timeout=CELL_TIMEOUT, cwd=BENCH, env=cell_env())  # fmt: skip
        except subprocess.TimeoutExpired:
            return {"error": f"timed out after {CELL_TIMEOUT} s"}
        lines = proc.stdout.strip().splitlines()
        if proc.returncode != 0 or not lines:
            tail = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
            return {"error": f"exit {proc.returncode}: {tail[:300]}"}
        result: dict[str, Any] = json.loads(lines[-1])
        return result

    def run(self, reps: int, log: Callable[[str], None]) -> dict[str, dict[str, Any]]:
        runs: dict[str, dict[str, Any]] = {}
        total, done, started = self.count() * reps, 0, time.perf_counter()
        for rep in range(reps):
            order = self.blocks[:]
            random.Random(self.seed + rep).shuffle(order)
            seen: dict[str, Cell] = {}
            for _group, _workload, cells in order:
                for cell in reversed(cells) if rep % 2 else cells:
                    if cell.key in seen:
                        continue
                    seen[cell.key] = cell
                    entry = runs.setdefault(cell.key, {"cell": self.public(cell), "runs": []})
                    entry["runs"].append(self.run_cell(cell, rep))
                    done += 1
                    eta = (time.perf_counter() - started) / done * (total - done)
                    log(f"[{rep + 1}/{reps} {done}/{total} eta {eta / 60:4.1f} min] "
                        f"{cell.key}: {_shown(entry['runs'][-1])}")  # fmt: skip
            for key, cell in seen.items():
                if "error" in runs[key]["runs"][-1]:
                    result = self.run_cell(cell, rep)
                    if "error" not in result:
                        result["retried"] = True
                        runs[key]["runs"][-1] = result
                    log(f"[{rep + 1}/{reps} retry] {key}: {_shown(result)}")
        return runs

    def public(self, cell: Cell) -> dict[str, str]:
        return {**dataclasses.asdict(cell), "url": redact(cell.url)}

    def group_records(self) -> list[dict[str, Any]]:
        """What the report needs to know about each table."""
        out = []
        for g in self.groups:
            blocks = [(w, cells) for grp, w, cells in self.blocks if grp is g]
            absent = {}
            for impl in g.peers:
                for w, _ in blocks:
                    reason = na_reason(impl, g.backend, WORKLOADS[w])
                    if reason:
                        absent[f"{impl}|{w}"] = reason
            out.append({**dataclasses.asdict(g), "sync_absent": SYNC_ABSENT if g.mode == "sync"
                        else {}, "na": absent,
                        "blocks": {w: [c.key for c in cells] for w, cells in blocks}})  # fmt: skip
        return out


def _shown(result: dict[str, Any]) -> str:
    if "error" in result:
        return "ERROR " + str(result["error"])
    return f"{result['wall_us_per_op']:,.1f} µs wall, {result['cpu_us_per_op']:,.1f} µs CPU"
