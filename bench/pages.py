"""The two Markdown pages of a run: ``RESULTS.md`` (what the README links to) and
``DETAILS.md`` (every cell's medians, spread, CPU, Python calls and statements)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import markdown as md
import report
import targets
from config import TITLES
from impls import IMPLS
from workloads import WORKLOADS

_TARGETS = (
    "Targets (`performance.md`, twinsql ÷ raw in the same run): geometric mean W1–W10 goal "
    "≤ 1.35×, good ≤ 2× (the peers measured ≈ 3.3–4.3×); W1 ≤ 1.3× with exactly one round "
    "trip; W2 10k → models ≤ 1.5×, → dicts ≤ 1.15×; W4 ≥ 0.8× raw throughput (≤ 1.25× here); "
    "W5/W7/W8 ≤ 1.3×; W6 on PostgreSQL ≥ 1.0× raw `executemany` and ≥ 0.8× raw COPY (the "
    "baseline here is the fastest raw variant, usually COPY: ≤ 1.25× meets it), SQLite/MySQL "
    "≥ 0.9× raw (≤ 1.11×); W9 ≤ 2 statements and ≤ 1.5×; W10 ≥ 0.85× raw throughput "
    "(≤ 1.18×); async SQLite ≤ 2× sync sqlite3; sync API ≥ 0.8× the raw sync driver."
)


def _versions(meta: dict[str, Any]) -> str:
    v = meta["versions"]
    names = ("psycopg", "asyncpg", "PyMySQL", "asyncmy", "aiosqlite", "pydantic", "SQLAlchemy",
             "greenlet", "tortoise-orm", "piccolo", "peewee")  # fmt: skip
    listed = ", ".join(f"{n} {v.get(n)}" for n in names)
    return f"{listed}; SQLite library {meta['sqlite_library']}"


def _header(res: dict[str, Any]) -> list[str]:
    meta, config = res["meta"], res["config"]
    servers = "; ".join(
        f"{TITLES[b]}: {s['server'] if s.get('ok') else 'not measured — ' + s['error']}"
        for b, s in res["backends"].items()
    )
    pg = res["backends"].get("postgresql", {}).get("pgstats")
    dirty = " + uncommitted changes in src/ (the working tree)" if meta.get("git_dirty_src") else ""
    batcher = "measured" if config.get("batcher") else "not importable: not measured"
    rtt = "; ".join(f"{TITLES[b]}: {i['direct_ms']} ms direct, {i['proxied_ms']} ms through "
                    "the proxy" for b, i in (config.get("rtt") or {}).items())  # fmt: skip
    return [
        f"* Run: {meta['started']} → {meta['finished']}; "
        f"{'quick subset, ' if config['quick'] else ''}{config['reps']} repetition(s) per cell "
        "(medians), one fresh process per cell, interleaved order.",
        f"* Machine: {meta['cpu_model']}, {meta['cpu_count']} CPUs, {meta['platform']}, "
        f"{meta['python_implementation']} {meta['python']}; load average "
        f"{meta['loadavg_start'][0]:.2f} at the start, {meta['loadavg_end'][0]:.2f} at the end "
        "(shared and noisy: read the ratios, not the absolute µs).",
        f"* Servers: {servers}. `pg_stat_statements`: "
        f"{(pg['note'] if pg['ok'] else '**n/a** — ' + pg['note']) if pg else 'n/a'}."
        + (f" 1 ms RTT proxy (`SELECT 1`, median): {rtt}." if rtt else ""),
        f"* twinsql {meta['versions']['twinsql']} at commit {meta['git_commit']}{dirty}; "
        f"batcher {batcher}. {_versions(meta)}.",
    ]


def _summary_table(tables: Sequence[dict[str, Any]], key: str) -> list[str]:
    head = ["backend — mode (twinsql on)", "baseline"] + [n for n, _ in md.COLUMNS]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for t in tables:
        g = t["group"]
        means = t.get(key, {})
        if not means or g["key"].endswith("-psycopg"):
            continue
        cells = [md._gm(means, by_mode[g["mode"]], g) for _, by_mode in md.COLUMNS]
        base = md._impl_title(g["baselines"][0], g["mode"])
        lines.append(f"| {TITLES[g['backend']]} — {g['mode']} ({g['driver']}) | {base} | "
                     + " | ".join(cells) + " |")  # fmt: skip
    if len(lines) > 3:
        lines.append("| **all tables** | | " + " | ".join(_overall(tables, key)) + " |")
    return lines


def _overall(tables: Sequence[dict[str, Any]], key: str) -> list[str]:
    """Per library column: the geometric mean of its tables' means (twinsql's over the same
    tables in parentheses when the library is absent from some)."""
    per: dict[str, dict[str, float]] = {}
    for t in tables:
        g = t["group"]
        if g["key"].endswith("-psycopg"):
            continue
        for name, by_mode in md.COLUMNS:
            m = t.get(key, {}).get(by_mode[g["mode"]])
            if m is not None:
                per.setdefault(name, {})[g["key"]] = m["wall"]
    tw = per.get("twinsql", {})
    cells = []
    for name, _ in md.COLUMNS:
        values = per.get(name)
        if not values:
            cells.append("n/a")
            continue
        text = md._x(report.gmean(list(values.values())))
        if name == "twinsql":
            cells.append(f"**{text}**")
            continue
        if set(values) != set(tw) and all(k in tw for k in values):
            text += f" (twinsql {md._x(report.gmean([tw[k] for k in values]))})"
        cells.append(text)
    return cells


def _rtt_summary(tables: Sequence[dict[str, Any]]) -> list[str]:
    lines = _summary_table(tables, "geomean_rtt")
    if len(lines) <= 2:
        return []
    return ["With 1 ms added round trips (W1, W4, W9 through the delay proxy):", "", *lines, ""]


def results_md(res: dict[str, Any], tables: Sequence[dict[str, Any]]) -> str:
    out = [
        "# twinsql benchmark results",
        "",
        "Re-run: `make bench` (full) or `make bench-quick` (a subset in about two minutes). "
        "Method and fairness rules: [README.md](README.md). Every cell's medians, spread, CPU, "
        "Python calls and statement texts: [DETAILS.md](DETAILS.md). Raw figures: "
        "[results.json](results.json). Chart: [results.png](results.png).",
        "",
        *_header(res),
        "",
        "## Geometric means: library ÷ raw driver, wall time per operation (lower is better)",
        "",
        "Over W1–W10 (each workload family weighted once; W0 and the 1 ms RTT repeats "
        "excluded). For a peer without every workload, twinsql's mean over the same cells is "
        "in parentheses.",
        "",
        *_summary_table(tables, "geomean"),
        "",
        *_rtt_summary(tables),
        "## twinsql against its targets",
        "",
        "✓ goal met, ~ only the \"good\" limit met, ✗ neither. W1 also needs one round trip "
        "and W9 at most two statements on the wire (where counted).",
        "",
        *targets.table(tables),
        "",
        _TARGETS,
        "",
        "![twinsql and the peers ÷ the raw drivers](results.png)",
    ]
    for t in tables:
        notes = md.Notes()
        out += ["", f"## {md.title(t['group'])}", "", *md.ratio_table(t, notes)]
        if notes.items:
            out += ["", *notes.lines()]
        statements = md.statement_table(t)
        if statements:
            out += ["", "Statements (st) and round trips (rt) per operation, counted on the "
                    "wire in the first repetition:", "", *statements]  # fmt: skip
            control = md.control_statements(t)
            if control:
                out += ["", "Transaction control and session resets per operation "
                        "(W1 read, W5 insert):", "", *control]  # fmt: skip
    # The FastAPI app's section is measured by bench/fastapi_app.py on its own schedule.
    fastapi = Path(__file__).with_name("fastapi_results.md")
    if fastapi.exists():
        out += ["", fastapi.read_text().rstrip("\n")]
    return "\n".join(out) + "\n"


def _span(s: dict[str, float]) -> str:
    return f"{md._us(s['median'])} ({md._us(s['min'])}–{md._us(s['max'])})"


def details_md(res: dict[str, Any], tables: Sequence[dict[str, Any]]) -> str:
    out = ["# twinsql benchmark: every cell", "",
           "Medians over the repetitions (min–max); CPU is the client process's; *calls* are "
           "Python function calls per operation under `cProfile` (load-independent); *st*/*rt* "
           "statements and round trips per operation on the wire, *pgss* statements per "
           "operation per `pg_stat_statements`. Statement texts are listed where a library "
           "sends a different number of statements than the baseline.",
           *_header(res)]  # fmt: skip
    for t in tables:
        out += ["", f"## {md.title(t['group'])}", "",
                "| workload | library [variant] | wall µs/op | CPU µs/op | ops | calls/op | st "
                "| rt | pgss | ÷ baseline: wall, paired | errors |",
                "|---|---|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
        texts: list[str] = []
        for workload, row in t["rows"].items():
            base_st = (row.get("base") or {}).get("wire", {}).get("statements_per_op")
            for impl, variants in row["variants"].items():
                for variant, s in variants.items():
                    lib = row["libs"].get(impl, {})
                    chosen = lib if lib.get("variant") == variant else {}
                    out.append(_detail_line(WORKLOADS[workload].title, impl, variant, s, chosen))
                    wire = s.get("wire")
                    if wire and base_st is not None and abs(
                            wire["statements_per_op"] - base_st) > 0.05:  # fmt: skip
                        sent = "; ".join(f"`{q[:90]}` ×{c:.3g}" for q, c in wire["statements"][:5])
                        texts.append(f"* {WORKLOADS[workload].title}, {IMPLS[impl].title} "
                                     f"[{variant}]: {sent}")  # fmt: skip
        if texts:
            out += ["", "Statements sent (per operation):", "", *texts]
    return "\n".join(out) + "\n"


def _detail_line(title: str, impl: str, variant: str, s: dict[str, Any],
                 chosen: dict[str, Any]) -> str:  # fmt: skip
    name = IMPLS[impl].title + (f" [{variant}]" if variant != "-" else "")
    if "wall_us_per_op" not in s:
        return f"| {title} | {name} | | | | | | | | | {'; '.join(s.get('errors', []))[:200]} |"
    wire = s.get("wire") or {}
    ratio = chosen.get("ratio", {}).get("wall")
    paired = chosen.get("paired")
    fields = [
        _span(s["wall_us_per_op"]), md._us(s["cpu_us_per_op"]["median"]), f"{s.get('ops', 0):,.0f}",
        f"{s['calls_per_op']:,.0f}" if "calls_per_op" in s else "",
        md._n(wire["statements_per_op"]) if wire else "",
        md._n(wire["round_trips_per_op"]) if wire else "",
        md._n(s["statements_per_op"]) if "statements_per_op" in s else "",
        f"{md._x(ratio)}, {md._x(paired)}" if ratio is not None else "",
        f"{len(s['errors'])} failed: {s['errors'][0][:120]}" if s.get("errors") else "",
    ]
    return f"| {title} | {name} | " + " | ".join(fields) + " |"
