"""``RESULTS.md``: the geometric means, one table of ratios per backend and mode, the
statements each library sends, the machine and the versions. ``details.py`` writes the
per-cell figures (``DETAILS.md``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from config import TITLES
from impls import IMPLS
from workloads import WORKLOADS

COLUMNS = (  # library column -> impl per mode
    ("twinsql", {"sync": "twinsql", "async": "twinsql-async"}),
    ("SQLAlchemy", {"sync": "sqlalchemy", "async": "sqlalchemy-async"}),
    ("Tortoise ORM", {"sync": "tortoise", "async": "tortoise"}),
    ("Piccolo", {"sync": "piccolo", "async": "piccolo"}),
    ("peewee", {"sync": "peewee", "async": "peewee-async"}),
)
_CONTROL = ("BEGIN", "START", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "RESET", "DISCARD",
            "CLOSE", "UNLISTEN", "SET ", "SHOW", "PING", "SELECT pg_advisory_unlock_all")


def title(group: dict[str, Any]) -> str:
    return (f"{TITLES[group['backend']]} — {group['mode']} (twinsql on {group['driver']}, "
            f"baseline {_impl_title(group['baselines'][0], group['mode'])})")  # fmt: skip


def _impl_title(impl: str, mode: str) -> str:
    name = IMPLS[impl].title
    return name + " (sync)" if IMPLS[impl].mode == "sync" and mode == "async" else name


def _x(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}×"


def _us(value: float) -> str:
    return f"{value:,.1f}" if value < 1000 else f"{value:,.0f}"


def _n(value: float) -> str:
    """A count per operation: 3 significant digits, thousands separated."""
    return f"{value:,.0f}" if value >= 1000 else f"{value:.3g}"


def _column_impls(group: dict[str, Any]) -> list[tuple[str, str]]:
    """The library columns of a table (twinsql alone in a table without peers)."""
    columns = [(name, by_mode[group["mode"]]) for name, by_mode in COLUMNS]
    return columns if group["peers"] else columns[:1]


class Notes:
    """Numbered footnotes (reasons for n/a, errors), deduplicated."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def mark(self, text: str) -> str:
        if text not in self.items:
            self.items.append(text)
        return f"<sup>{self.items.index(text) + 1}</sup>"

    def lines(self) -> list[str]:
        return [f"<sup>{i}</sup> {t}  " for i, t in enumerate(self.items, 1)]


def _absent(group: dict[str, Any], impl: str, workload: str) -> str | None:
    if impl in group["sync_absent"]:
        return f"{IMPLS[impl].title}: {group['sync_absent'][impl]}"
    if impl == group["twinsql"] or impl in group["peers"]:
        reason = group["na"].get(f"{impl}|{workload}")
        return f"{IMPLS[impl].title}: {reason}" if reason else None
    return f"{IMPLS[impl].title}: not in this table"


def _cell(table: dict[str, Any], workload: str, impl: str, notes: Notes, key: str) -> str:
    group, row = table["group"], table["rows"][workload]
    w = WORKLOADS[workload]
    if not w.peers and impl != group["twinsql"]:
        return ""
    lib = row["libs"].get(impl)
    if lib is None:
        reason = _absent(group, impl, workload)
        return "n/a" + notes.mark(reason) if reason else ""
    if lib["stats"].get("errors") and "wall_us_per_op" not in lib["stats"]:
        return "error" + notes.mark(f"{IMPLS[impl].title}, {w.title}: {lib['stats']['errors'][0]}")
    text = _x(lib.get(key, {}).get("wall"))
    if lib["variant"] not in ("-",) and len(row["variants"].get(impl, {})) > 1:
        text += f" ({lib['variant']})"
    return f"**{text}**" if impl == group["twinsql"] else text


def ratio_table(table: dict[str, Any], notes: Notes) -> list[str]:
    group = table["group"]
    cols = _column_impls(group)
    extra = list(group["baselines"][1:])
    head = ["workload", "baseline: µs/op (wall)"] + [n for n, _ in cols]
    head += [f"{IMPLS[e].title} ÷ baseline" for e in extra]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for workload, row in table["rows"].items():
        w = WORKLOADS[workload]
        if row["baseline"] is None:
            base = "no baseline" + notes.mark(f"{w.title}: no raw driver ran it")
        else:
            base = f"{_us(row['base']['wall_us_per_op']['median'])} "
            base += f"({_impl_title(row['baseline'], group['mode'])}"
            variant = row["baseline_variant"]
            base += f", {variant})" if variant != "-" and len(
                row["variants"][row["baseline"]]) > 1 else ")"  # fmt: skip
        cells = [_cell(table, workload, impl, notes, "ratio") for _, impl in cols]
        cells += [_x(row["libs"][e]["ratio"].get("wall")) if e in row["libs"]
                  and e != row["baseline"] else "" for e in extra]  # fmt: skip
        lines.append(f"| {w.title} | {base} | " + " | ".join(cells) + " |")
    for label, key in (("geometric mean W1–W10", "geomean"),
                       ("geometric mean, 1 ms RTT", "geomean_rtt")):  # fmt: skip
        means = table.get(key, {})
        if not means:
            continue
        cells = [_gm(means, impl, group) for _, impl in cols]
        cells += ["" for _ in extra]
        lines.append(f"| **{label}** | | " + " | ".join(cells) + " |")
    for other in extra:
        means = table.get(f"geomean_{other}", {})
        cells = [_gm(means, impl, group) for _, impl in cols] + ["" for _ in extra]
        lines.append(f"| **geometric mean ÷ {IMPLS[other].title}** | | "
                     + " | ".join(cells) + " |")  # fmt: skip
    return lines


def _gm(means: dict[str, Any], impl: str, group: dict[str, Any]) -> str:
    m = means.get(impl)
    if m is None:
        return "n/a"
    text = _x(m["wall"])
    if impl == group["twinsql"]:
        return f"**{text}**"
    same = m.get("twinsql_same_cells")
    return text + (f" (twinsql {_x(same)})" if same is not None else "")


def statement_table(table: dict[str, Any]) -> list[str]:
    """Statements and round trips per operation on the wire (pg_stat_statements beside
    them on PostgreSQL when it counted differently)."""
    group = table["group"]
    cols = [(IMPLS[group["baselines"][0]].title, group["baselines"][0]), *_column_impls(group)]
    lines = ["| workload | " + " | ".join(n for n, _ in cols) + " |",
             "|---|" + "---|" * len(cols)]  # fmt: skip
    for workload, row in table["rows"].items():
        cells = []
        for _, impl in cols:
            lib = row["libs"].get(impl)
            s = lib["stats"] if lib else {}
            wire = s.get("wire")
            if not wire:
                cells.append("")
                continue
            text = f"{_n(wire['statements_per_op'])} st, {_n(wire['round_trips_per_op'])} rt"
            pgss = s.get("statements_per_op")
            if pgss is not None and abs(pgss - wire["statements_per_op"]) > 0.05:
                text += f" (pg_stat_statements: {_n(pgss)})"
            cells.append(text)
        if any(cells):
            lines.append(f"| {WORKLOADS[workload].title} | " + " | ".join(cells) + " |")
    return lines if len(lines) > 2 else []


def control_statements(table: dict[str, Any]) -> list[str]:
    """Per library: the transaction-control and reset statements it sends per operation in
    the read (W1) and the single insert (W5)."""
    out = []
    group = table["group"]
    for _, impl in [("", group["baselines"][0]), *_column_impls(group)]:
        parts = []
        for workload in ("w1", "w5"):
            lib = table["rows"].get(workload, {}).get("libs", {}).get(impl)
            wire = lib["stats"].get("wire") if lib else None
            if not wire:
                continue
            found = [f"`{q[:60]}` ×{c:.3g}" for q, c in wire["statements"]
                     if q.upper().startswith(_CONTROL) and c >= 0.5]  # fmt: skip
            parts.append(f"{WORKLOADS[workload].family}: " + (", ".join(found) or "none"))
        if parts:
            out.append(f"* {IMPLS[impl].title}: " + "; ".join(parts))
    return out


def summary(tables: Sequence[dict[str, Any]]) -> str:
    """The geometric means, one line per table (printed at the end of a run)."""
    lines = []
    for t in tables:
        g = t["group"]
        means = ", ".join(f"{IMPLS[i].title} {m['wall']:.2f}×" for i, m in t["geomean"].items())
        lines.append(f"{g['key']}: {means or 'n/a'}")
    return "\n".join(lines)
