"""Benchmark reporting: machine information, medians, twinsql ÷ raw ratios, RESULTS.md.

A comparison pairs twinsql's cell with one raw baseline for one workload. When the raw
library has several ways to build dicts (``workloads`` variants), the one with the lower
median wall time is the baseline and is named in the tables.
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import re
import sqlite3
import statistics
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from workloads import WORKLOADS

_DISTS = ("psycopg", "psycopg-binary", "asyncpg", "PyMySQL", "asyncmy", "aiosqlite", "pydantic")
_BACKEND_TITLES = {"sqlite": "SQLite", "postgresql": "PostgreSQL", "mysql": "MySQL/MariaDB"}


def redact(url: str) -> str:
    """``url`` with any password replaced by ``***``."""
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _git(*args: str) -> str:
    try:
        out = subprocess.run(
            ["git", *args], capture_output=True, text=True, timeout=10,
            cwd=Path(__file__).resolve().parent,
        )  # fmt: skip
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def machine_info() -> dict[str, Any]:
    versions: dict[str, str | None] = {}
    for dist in ("twinsql", *_DISTS):
        try:
            versions[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            versions[dist] = None
    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "sqlite_library": sqlite3.sqlite_version,
        "versions": versions,
        "git_commit": _git("rev-parse", "--short", "HEAD"),
        "git_dirty": bool(_git("status", "--porcelain", "--untracked-files=no")),
        "loadavg_start": os.getloadavg(),
    }


def stats(runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    ok = [r for r in runs if "error" not in r]
    out: dict[str, Any] = {"n": len(ok), "errors": [r["error"] for r in runs if "error" in r]}
    for key in ("wall_us_per_op", "cpu_us_per_op"):
        values = [r[key] for r in ok]
        if values:
            out[key] = {
                "median": statistics.median(values), "min": min(values), "max": max(values),
            }  # fmt: skip
    calls = [r["calls_per_op"] for r in ok if "calls_per_op" in r]
    if calls:
        out["calls_per_op"] = statistics.median(calls)
    out["checksums"] = sorted({r["checksum"] for r in ok})
    return out


def compare(
    groups: Sequence[tuple[str, str, str, str]],
    cells: dict[str, dict[str, Sequence[Any]]],
    runs: dict[str, dict[str, Any]],
) -> list[dict[str, Any]]:
    """One entry per (group, workload, baseline library) with medians and ratios."""
    out = []
    for key, backend, mode, driver in groups:
        for workload, group_cells in cells[key].items():
            tw_cell, *raw_cells = group_cells
            tw = stats(runs.get(tw_cell.key, {}).get("runs", []))
            by_lib: dict[str, list[tuple[str, dict[str, Any]]]] = {}
            for cell in raw_cells:
                by_lib.setdefault(cell.impl, []).append(
                    (cell.variant, stats(runs.get(cell.key, {}).get("runs", [])))
                )
            for lib, variants in by_lib.items():
                measured = [(v, s) for v, s in variants if "wall_us_per_op" in s]
                entry: dict[str, Any] = {
                    "group": key, "backend": backend, "mode": mode, "driver": driver,
                    "workload": workload, "baseline": lib, "twinsql": tw,
                    "variants": {v: s for v, s in variants},
                }  # fmt: skip
                if measured and "wall_us_per_op" in tw:
                    # The baseline variant is the one with the lower median CPU per op (the
                    # figure least disturbed by other tenants of the machine).
                    variant, raw = min(measured, key=lambda vs: vs[1]["cpu_us_per_op"]["median"])
                    raw_key = next(
                        c.key for c in raw_cells if (c.impl, c.variant) == (lib, variant)
                    )
                    entry.update(
                        baseline_variant=variant,
                        raw=raw,
                        ratio_wall=tw["wall_us_per_op"]["median"]
                        / raw["wall_us_per_op"]["median"],
                        ratio_cpu=tw["cpu_us_per_op"]["median"] / raw["cpu_us_per_op"]["median"],
                        paired=_paired(runs[tw_cell.key]["runs"], runs[raw_key]["runs"]),
                        checksums_match=tw["checksums"] == raw["checksums"],
                    )
                out.append(entry)
    return out


def _paired(
    tw_runs: Sequence[dict[str, Any]], raw_runs: Sequence[dict[str, Any]]
) -> dict[str, Any]:
    """Median of the per-repetition ratios: run i of twinsql ran next to run i of the raw
    cell (same block of the same repetition), so machine drift affects both alike."""
    pairs = [(t, r) for t, r in zip(tw_runs, raw_runs) if "error" not in t and "error" not in r]
    out: dict[str, Any] = {"n": len(pairs)}
    for key, name in (("wall_us_per_op", "wall"), ("cpu_us_per_op", "cpu")):
        if pairs:
            out[name] = statistics.median(t[key] / r[key] for t, r in pairs)
    return out


def _fmt(x: float) -> str:
    return f"{x:,.1f}" if x < 1000 else f"{x:,.0f}"


def _ratio(entry: dict[str, Any], key: str) -> str:
    return f"{entry[key]:.2f}×" if key in entry else "n/a"


def _baseline_name(e: dict[str, Any]) -> str:
    name = str(e["baseline"])
    if e["mode"] == "async" and name in ("sqlite3", "psycopg", "pymysql"):
        name += " (sync)"
    return name


def summary_table(comparisons: Sequence[dict[str, Any]]) -> str:
    workloads = list(dict.fromkeys(e["workload"] for e in comparisons))
    head = "| backend | mode | twinsql on | baseline | " + " | ".join(
        f"{WORKLOADS[w].title} wall | CPU" for w in workloads
    )
    lines = [head + " |", "|" + "---|" * (4 + 2 * len(workloads))]
    rows: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
    for e in comparisons:
        rows.setdefault((e["group"], e["baseline"]), {})[e["workload"]] = e
    for (_group, _lib), per_w in rows.items():
        first = next(iter(per_w.values()))
        cells = []
        for w in workloads:
            e = per_w.get(w, {})
            cells += [_ratio(e, "ratio_wall"), _ratio(e, "ratio_cpu")]
        lines.append(
            f"| {_BACKEND_TITLES[first['backend']]} | {first['mode']} | {first['driver']} | "
            f"{_baseline_name(first)} | " + " | ".join(cells) + " |"
        )
    return "\n".join(lines)


def _detail(entries: Sequence[dict[str, Any]]) -> list[str]:
    """Per workload: twinsql's line, then one line per baseline with twinsql ÷ it."""
    lines = [
        "| workload | library | wall µs/op: median (min–max) | CPU µs/op | Python calls/op | "
        "twinsql ÷ this, wall | CPU | paired wall / CPU |",
        "|---|---|---|---|---|---|---|---|",
    ]
    by_workload: dict[str, list[dict[str, Any]]] = {}
    for e in entries:
        by_workload.setdefault(e["workload"], []).append(e)
    for workload, group in by_workload.items():
        title = WORKLOADS[workload].title
        tw = group[0]["twinsql"]
        if "wall_us_per_op" in tw:
            lines.append(
                f"| {title} | **twinsql** | {_span(tw['wall_us_per_op'])} | "
                f"{_fmt(tw['cpu_us_per_op']['median'])} | {_calls(tw)} | | | |"
            )
        errors = [("twinsql", err) for err in tw.get("errors", [])]
        for e in group:
            errors += [
                (f"{e['baseline']} [{v}]", err)
                for v, s in e["variants"].items()
                for err in s.get("errors", [])
            ]
            if "raw" not in e:
                continue
            raw, variant = e["raw"], e["baseline_variant"]
            label = _baseline_name(e)
            if variant != "zip" and workload != "w0":
                label += f" [{variant}]"
            lines.append(
                f"| {title} | {label} | {_span(raw['wall_us_per_op'])} | "
                f"{_fmt(raw['cpu_us_per_op']['median'])} | {_calls(raw)} | "
                f"**{_ratio(e, 'ratio_wall')}** | "
                f"**{_ratio(e, 'ratio_cpu')}** | {_ratio(e['paired'], 'wall')} / "
                f"{_ratio(e['paired'], 'cpu')} |"
            )
        for who in dict.fromkeys(w for w, _ in errors):
            messages = [m for w, m in errors if w == who]
            lines.append(
                f"| {title} | {who}: {len(messages)} failed run(s) | {messages[0]} | | | | | |"
            )
    return lines


def _calls(s: dict[str, Any]) -> str:
    return f"{s['calls_per_op']:,.0f}" if "calls_per_op" in s else "–"


def _span(s: dict[str, float]) -> str:
    return f"{_fmt(s['median'])} ({_fmt(s['min'])}–{_fmt(s['max'])})"


def markdown(results: dict[str, Any]) -> str:
    meta, config = results["meta"], results["config"]
    v = meta["versions"]
    servers = "; ".join(
        f"{b}: {s['server'].split(' on ')[0] if s.get('ok') else 'unavailable'}"
        for b, s in results["backends"].items()
    )
    ops = ", ".join(f"{WORKLOADS[w].title}: {n} ops" for w, n in config["ops"].items())
    out = [
        "# twinsql benchmark results",
        "",
        "Re-run: `.venv/bin/python bench/run.py` (add `--quick` for 3 repetitions, "
        "`--backends sqlite` for a subset). Method and fairness rules: "
        "[README.md](README.md). Raw figures: [results.json](results.json).",
        "",
        f"* Run: {meta['started']} → {meta['finished']}, "
        f"{'quick, ' if config['quick'] else ''}{config['reps']} repetitions per cell "
        f"(medians), one fresh process per cell, interleaved order. {ops}.",
        f"* Machine: {meta['cpu_model']}, {meta['cpu_count']} CPUs, {meta['platform']}, "
        f"{meta['python_implementation']} {meta['python']}; load average "
        f"{meta['loadavg_start'][0]:.2f} at start, {meta['loadavg_end'][0]:.2f} at end "
        "(shared and noisy: read the ratios, not the absolute µs).",
        f"* Servers: {servers}. twinsql {v['twinsql']} at commit {meta['git_commit']}"
        f"{' (uncommitted changes)' if meta['git_dirty'] else ''}; psycopg {v['psycopg']}, "
        f"asyncpg {v['asyncpg']}, PyMySQL {v['PyMySQL']}, asyncmy {v['asyncmy']}, "
        f"aiosqlite {v['aiosqlite']}, SQLite library {meta['sqlite_library']}.",
        "",
        "## twinsql ÷ raw (median wall and client CPU per op; below 1.00× twinsql is faster)",
        "",
        summary_table(results["comparisons"]),
        "",
        "Targets (docs `performance.md`): W2 → dicts goal ≤ 1.15×, good ≤ 1.5×; sync API "
        "≥ 0.8× raw throughput (≤ 1.25×); async SQLite per call ≤ 2× sync sqlite3 (aiosqlite "
        "is expected at 12–28×). The raw baseline for W2 is the faster of the driver's "
        "dict-building variants in this run by median CPU (named in brackets below when it is "
        "not `dict(zip())`). The detail tables also give the *paired* ratio: the median of "
        "the per-repetition ratios of runs made next to each other, which is less sensitive "
        "to load drift; when it disagrees much with the ratio of medians, the figure is "
        "noise-limited. *Python calls/op* (function calls counted by `cProfile` over a few "
        "extra ops, coroutine resumptions included) does not depend on the load: it shows "
        "how much Python each library runs per operation.",
    ]
    for b, s in results["backends"].items():
        if not s.get("ok"):
            out += ["", f"**{b} not measured**: {s['error']}"]
    groups: dict[str, list[dict[str, Any]]] = {}
    for e in results["comparisons"]:
        groups.setdefault(e["group"], []).append(e)
    for entries in groups.values():
        first = entries[0]
        out += [
            "",
            f"## {_BACKEND_TITLES[first['backend']]} — {first['mode']} "
            f"(twinsql on {first['driver']})",
            "",
            *_detail(entries),
        ]
    return "\n".join(out) + "\n"
