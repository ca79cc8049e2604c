"""``results.png``: every library ÷ the raw driver, per workload and per table, log scale.

The first panel shows the geometric means per table; then one panel per table with a group
of bars per workload (twinsql first, then the peers). Missing bars are "n/a" cells (see
``RESULTS.md`` for why). matplotlib is a benchmark-only dependency.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from config import TITLES
from markdown import COLUMNS
from workloads import WORKLOADS

_COLORS = {"twinsql": "#d62728", "SQLAlchemy": "#1f77b4", "Tortoise ORM": "#2ca02c",
           "Piccolo": "#9467bd", "peewee": "#ff7f0e"}  # fmt: skip


def _bars(ax: Any, labels: Sequence[str], series: list[tuple[str, list[float | None]]]) -> None:
    width = 0.8 / max(1, len(series))
    shown = [v for _, values in series for v in values if v]
    for k, (name, values) in enumerate(series):
        xs = [i + (k - (len(series) - 1) / 2) * width for i in range(len(labels))]
        pts = [(x, v) for x, v in zip(xs, values) if v]
        if pts:
            ax.bar([p[0] for p in pts], [p[1] for p in pts], width, label=name,
                   color=_COLORS.get(name, "grey"))  # fmt: skip
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_yscale("log")
    if shown:  # at least 0.5–2: a table of ratios near 1 must not look dramatic
        ax.set_ylim(min(0.5, min(shown) * 0.8), max(2.0, max(shown) * 1.25))
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(labels, rotation=35, ha="right", fontsize=7)
    ax.grid(axis="y", which="both", alpha=0.3)
    ax.set_ylabel("÷ raw driver (log)", fontsize=8)


def draw(results: dict[str, Any], tables: Sequence[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = [t for t in tables if t["rows"]]
    fig, axes = plt.subplots(len(shown) + 1, 1, figsize=(14, 3.6 * (len(shown) + 1)))
    axes = list(axes) if len(shown) else [axes]
    labels = [f"{TITLES[t['group']['backend']]} {t['group']['mode']}\n({t['group']['driver']})"
              for t in shown]  # fmt: skip
    series = [(name, [t["geomean"].get(by_mode[t["group"]["mode"]], {}).get("wall")
                      for t in shown]) for name, by_mode in COLUMNS]  # fmt: skip
    _bars(axes[0], labels, series)
    axes[0].set_title("Geometric mean W1–W10, wall time per operation ÷ raw driver "
                      "(lower is better; 1 = the raw driver)", fontsize=10)  # fmt: skip
    axes[0].legend(fontsize=8, ncol=5)
    for ax, t in zip(axes[1:], shown):
        g, rows = t["group"], t["rows"]
        names = list(rows)
        series = []
        for name, by_mode in COLUMNS:
            impl = by_mode[g["mode"]]
            values = [rows[w]["libs"].get(impl, {}).get("ratio", {}).get("wall") for w in names]
            if any(values):
                series.append((name, values))
        _bars(ax, [WORKLOADS[w].title for w in names], series)
        ax.set_title(f"{TITLES[g['backend']]} — {g['mode']}: twinsql on {g['driver']}, "
                     f"baseline {g['baselines'][0]}", fontsize=9)  # fmt: skip
        ax.legend(fontsize=7, ncol=5)
    run = results["meta"]
    fig.suptitle(f"twinsql benchmark — {run['started']} — {run['cpu_model']}, "
                 f"{run['cpu_count']} CPUs", fontsize=11)  # fmt: skip
    fig.tight_layout(rect=(0, 0, 1, 0.985))
    fig.savefig(path, dpi=90)
    plt.close(fig)
