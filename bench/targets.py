"""twinsql against the targets of the performance reference, per table, from one run.

Each target is a limit on twinsql ÷ raw (wall time per operation; a throughput target
"≥ x× raw" is a limit of 1/x on that ratio), with the "goal" and the "good" limit. A cell
reads ✓ (goal met), ~ (good met) or ✗ (neither), with the measured ratio; W1 and W9 also
need their round trips / statements on the wire, when counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from config import TITLES

# (label, workloads, goal, good, modes or None, backends or None)
TARGETS: tuple[tuple[str, tuple[str, ...], float, float, str | None, str | None], ...] = (
    ("W1 point get ≤ 1.3× (good ≤ 2×), one round trip", ("w1",), 1.3, 2.0, None, None),
    ("W2 10k rows → models ≤ 1.5× (≤ 2.5×)", ("w2_10k",), 1.5, 2.5, None, None),
    ("W2 → dicts ≤ 1.15× (≤ 1.5×)", ("w2d_100", "w2d_10k"), 1.15, 1.5, None, None),
    ("W4 ≥ 0.8× raw throughput (≥ 0.5×)", ("w4_100", "w4_1k"), 1.25, 2.0, "async", None),
    ("W5/W7/W8 single-row writes ≤ 1.3× (≤ 2×)", ("w5", "w7", "w8"), 1.3, 2.0, None, None),
    ("W6 bulk ≥ 0.8× raw COPY (≥ 0.7×) and ≥ 1.0× raw executemany", ("w6_10k", "w6_100k"),
     1.25, 1.43, None, "postgresql"),
    ("W6 bulk ≥ 0.9× raw (≥ 0.7×)", ("w6_10k",), 1.11, 1.43, None, "sqlite,mysql"),
    ("W9 ≤ 2 statements, ≤ 1.5× (≤ 2×)", ("w9",), 1.5, 2.0, None, None),
    ("W10 ≥ 0.85× raw throughput (≥ 0.7×)", ("w10",), 1.18, 1.43, None, None),
    ("async SQLite per call ≤ 2× sync sqlite3 (≤ 4×)", ("w1", "w2_100", "w2_10k", "w6_10k"),
     2.0, 4.0, "async", "sqlite"),
    ("sync API ≥ 0.8× raw sync driver (≥ 0.6×)", ("w1", "w2_100", "w2_10k", "w5", "w6_10k",
     "w10"), 1.25, 1.67, "sync", None),
)  # fmt: skip


_LABELS = {"w1": "W1", "w2_100": "W2 100", "w2_10k": "W2 10k", "w2d_100": "100",
           "w2d_10k": "10k", "w4_100": "100 tasks", "w4_1k": "1k burst", "w5": "W5",
           "w6_10k": "W6 10k", "w6_100k": "W6 100k", "w7": "W7", "w8": "W8",
           "w10": "W10"}  # fmt: skip


def _mark(value: float, goal: float, good: float, extra_ok: bool = True) -> str:
    sign = "✓" if value <= goal and extra_ok else "~" if value <= good else "✗"
    return f"{value:.2f}× {sign}"


def _cell(table: dict[str, Any], workloads: Sequence[str], goal: float, good: float) -> str:
    group, rows = table["group"], table["rows"]
    parts = []
    for workload in workloads:
        lib = rows.get(workload, {}).get("libs", {}).get(group["twinsql"])
        ratio = (lib or {}).get("ratio", {}).get("wall")
        if ratio is None:
            continue
        wire = lib["stats"].get("wire") or {}
        extra = True
        if workload == "w1" and wire:
            extra = wire["round_trips_per_op"] <= 1.05
        if workload == "w9" and wire:
            extra = wire["statements_per_op"] <= 2.05
        label = _LABELS.get(workload, workload) if len(workloads) > 1 else ""
        text = (f"{label}: " if label else "") + _mark(ratio, goal, good, extra)
        executemany = _versus_executemany(table, workload)
        if executemany is not None:
            text += f" (÷ raw executemany {_mark(executemany, 1.0, 1.43)})"
        parts.append(text)
    return "; ".join(parts)


def _versus_executemany(table: dict[str, Any], workload: str) -> float | None:
    """PostgreSQL W6: twinsql ÷ the raw driver's ``executemany`` (target ≥ 1.0× its speed)."""
    row = table["rows"].get(workload, {})
    raw = row.get("variants", {}).get(row.get("baseline") or "", {}).get("executemany")
    lib = row.get("libs", {}).get(table["group"]["twinsql"])
    if not raw or not lib or "wall_us_per_op" not in raw:
        return None
    return float(lib["stats"]["wall_us_per_op"]["median"] / raw["wall_us_per_op"]["median"])


def table(tables: Sequence[dict[str, Any]]) -> list[str]:
    shown = [t for t in tables if not t["group"]["key"].endswith("-psycopg")]
    head = ["target (twinsql ÷ raw, wall)"] + [
        f"{TITLES[t['group']['backend']]} {t['group']['mode']}" for t in shown
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for label, workloads, goal, good, mode, backends in TARGETS:
        cells = []
        for t in shown:
            g = t["group"]
            applies = (mode is None or g["mode"] == mode) and (
                backends is None or g["backend"] in backends.split(","))  # fmt: skip
            cells.append(_cell(t, workloads, goal, good) if applies else "")
        if any(cells):
            lines.append(f"| {label} | " + " | ".join(cells) + " |")
    means = []
    for t in shown:
        m = t["geomean"].get(t["group"]["twinsql"])
        means.append(_mark(m["wall"], 1.35, 2.0) if m else "")
    lines.append("| **geometric mean W1–W10 ≤ 1.35× (≤ 2×)** | " + " | ".join(means) + " |")
    return lines
