"""From the runs to the comparisons: medians, ratios to the raw baseline, geometric means.

Per (table, workload) the baseline is the first raw driver of the table that ran the
workload (async SQLite: sync sqlite3, the floor; aiosqlite where sqlite3 cannot run it, W4),
in its fastest variant (lowest median wall time per operation). Every library is compared
with it; twinsql with its fastest variant (named when there are several, W6). Ratios are
library ÷ baseline per operation — above 1 the library is slower; for throughput
workloads (W4, W10) it is the inverse of the throughput ratio. ``paired`` is the median of
the per-repetition ratios of runs made in the same block, less sensitive to load drift.

The geometric mean per library covers W1–W10 without the RTT repeats: first within each
workload family (W2's five variants count once), then across the families; for a peer
that lacks some cells, twinsql's mean over the same cells is given beside it.
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from impls import IMPLS
from workloads import WORKLOADS


def stats(runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    ok = [r for r in runs if "error" not in r]
    out: dict[str, Any] = {"n": len(ok), "errors": [r["error"] for r in runs if "error" in r]}
    for key in ("wall_us_per_op", "cpu_us_per_op"):
        values = [r[key] for r in ok]
        if values:
            out[key] = {"median": statistics.median(values), "min": min(values),
                        "max": max(values)}  # fmt: skip
    for key in ("calls_per_op", "statements_per_op", "ops"):
        values = [r[key] for r in ok if key in r]
        if values:
            out[key] = statistics.median(values)
    for key in ("statements", "wire", "checksum"):
        found = [r[key] for r in ok if r.get(key)]
        if found:
            out[key] = found[0]
    return out


def _wall(s: dict[str, Any]) -> float:
    return float(s["wall_us_per_op"]["median"]) if "wall_us_per_op" in s else math.inf


def _paired(a: Sequence[dict[str, Any]], b: Sequence[dict[str, Any]]) -> float | None:
    pairs = [x["wall_us_per_op"] / y["wall_us_per_op"] for x, y in zip(a, b)
             if "error" not in x and "error" not in y]  # fmt: skip
    return statistics.median(pairs) if pairs else None


def _ratio(lib: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
    if "wall_us_per_op" not in lib or "wall_us_per_op" not in base:
        return {}
    return {
        "wall": lib["wall_us_per_op"]["median"] / base["wall_us_per_op"]["median"],
        "cpu": lib["cpu_us_per_op"]["median"] / base["cpu_us_per_op"]["median"],
    }


def compare(group: dict[str, Any], cells: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Per workload of one table: the baseline and every library's figures and ratios."""
    out: dict[str, Any] = {}
    for workload, keys in group["blocks"].items():
        by_impl: dict[str, list[tuple[str, dict[str, Any], list[Any]]]] = {}
        for key in keys:
            impl_name, _, _, variant_name = key.split("|")
            missing = {"cell": {"impl": impl_name, "variant": variant_name}, "runs": []}
            entry = cells.get(key, missing)
            runs = entry["runs"]
            by_impl.setdefault(entry["cell"]["impl"], []).append(
                (entry["cell"]["variant"], stats(runs), runs))
        best = {impl: min(vs, key=lambda v: _wall(v[1])) for impl, vs in by_impl.items()}
        base_impl = next((b for b in group["baselines"] if b in best
                          and "wall_us_per_op" in best[b][1]), None)  # fmt: skip
        row: dict[str, Any] = {"baseline": base_impl, "libs": {}, "variants": {}}
        if base_impl is not None:
            row["baseline_variant"], row["base"], base_runs = best[base_impl]
        for impl, (variant, s, runs) in best.items():
            lib: dict[str, Any] = {"variant": variant, "stats": s}
            if base_impl is not None:
                lib["ratio"] = _ratio(s, row["base"])
                lib["paired"] = _paired(runs, base_runs)
                extra = [b for b in group["baselines"][1:] if b in best and b != base_impl]
                for other in extra:
                    lib[f"ratio_{other}"] = _ratio(s, best[other][1])
            row["libs"][impl] = lib
            row["variants"][impl] = {v: st for v, st, _ in by_impl[impl]}
        out[workload] = row
    return out


def gmean(values: Sequence[float]) -> float:
    return math.exp(sum(math.log(v) for v in values) / len(values))


def geomeans(comparison: dict[str, Any], impls: Sequence[str], key: str = "ratio",
             rtt: bool = False) -> dict[str, Any]:
    """Per library: geometric mean of the ratios over W1–W10 (family-weighted); for a
    library measured on fewer workloads than twinsql, twinsql's mean over the same ones."""
    twinsql = next((i for i in impls if IMPLS[i].kind == "twinsql"), None)

    def values(impl: str, only: set[str] | None = None) -> dict[str, list[float]]:
        fam: dict[str, list[float]] = {}
        for workload, row in comparison.items():
            w = WORKLOADS[workload]
            if w.family == "W0" or w.rtt != rtt or (only is not None and workload not in only):
                continue
            value = row["libs"].get(impl, {}).get(key, {}).get("wall")
            if value is not None:
                fam.setdefault(w.family, []).append(value)
        return fam

    def mean(fam: dict[str, list[float]]) -> float:
        return gmean([gmean(v) for v in fam.values()])

    def measured(impl: str) -> set[str]:
        return {w for w, row in comparison.items()
                if WORKLOADS[w].family != "W0" and WORKLOADS[w].rtt == rtt
                and row["libs"].get(impl, {}).get(key, {}).get("wall") is not None}  # fmt: skip

    out: dict[str, Any] = {}
    tw_cells = measured(twinsql) if twinsql else set()
    for impl in impls:
        fam = values(impl)
        if not fam:
            continue
        out[impl] = {"wall": mean(fam), "families": sorted(fam, key=lambda f: int(f[1:])),
                     "cells": sum(len(v) for v in fam.values())}  # fmt: skip
        cells = measured(impl)
        if twinsql and impl != twinsql and cells != tw_cells:
            same = values(twinsql, cells)
            if same and set(same) == set(fam):
                out[impl]["twinsql_same_cells"] = mean(same)
    return out


def build(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Every table with its comparisons and geometric means (the means are also stored in
    results.json; the rest is recomputed from the runs by ``--report-only``)."""
    tables = []
    for group in results["groups"]:
        if not group["blocks"]:
            continue
        comparison = compare(group, results["cells"])
        impls = [group["twinsql"], *group["baselines"][1:], *group["peers"]]
        table = {"group": group, "rows": comparison, "geomean": geomeans(comparison, impls),
                 "geomean_rtt": geomeans(comparison, impls, rtt=True)}  # fmt: skip
        for other in group["baselines"][1:]:
            table[f"geomean_{other}"] = geomeans(comparison, impls, key=f"ratio_{other}")
        tables.append(table)
    return tables


def write(results: dict[str, Any], out: Path) -> None:
    """results.json (the runs, with the geometric means), RESULTS.md, DETAILS.md and
    results.png."""
    import chart
    import load
    import markdown
    import pages

    tables = build(results)
    results.pop("tables", None)  # older files stored every comparison: derived, recomputed
    results["geomeans"] = {t["group"]["key"]: {"W1-W10": t["geomean"], "rtt": t["geomean_rtt"]}
                           for t in tables}  # fmt: skip
    text = json.dumps(results, indent=1, default=str) + "\n"
    # Record paths relative to the repository, never this machine's absolute ones.
    root = str(Path(__file__).resolve().parent.parent) + "/"
    (out / "results.json").write_text(text.replace(root, ""))
    page = out / "RESULTS.md"
    # The twinsql load section comes from its own run (load.py): kept as it is.
    kept = load.section_of(page.read_text()) if page.exists() else ""
    page.write_text(pages.results_md(results, tables) + (f"\n{kept}" if kept else ""))
    (out / "DETAILS.md").write_text(pages.details_md(results, tables))
    chart.draw(results, tables, out / "results.png")
    print(markdown.summary(tables), flush=True)
