"""The ``load`` workload: ``twinsql load`` beside each server's own client on real dumps.

For each backend a source database is generated (a small sample-like shop: customers,
products, orders and their lines, a view and an index; or the same schema scaled up to a
dump of about ``--large-mb`` MB), dumped with the real tool (``pg_dump`` in its default COPY
format and with ``--inserts``, ``mariadb-dump`` with its defaults, ``sqlite3 .dump``), and
each dump is loaded into a new empty database by the native client (``psql -f``,
``mariadb <``, ``sqlite3 <``) and by ``python -m twinsql load``, in alternating order, one
fresh process each. Measured per load, from the process's own resource usage (``wait4``):
wall time (process start included), CPU time and peak RSS (GNU ``time``); twinsql's modules
are compiled to byte code first, as installing it does. Every load is checked: the
row counts of the loaded database must equal the source's, else the run fails.

Written: ``bench/load_results.json`` (every run) and the "twinsql load" section of
``RESULTS.md`` (between its markers; the other sections are left as they are).

    bench/.venv/bin/python bench/load.py                 # small + large, every backend
    .venv/bin/python bench/load.py --sizes small --reps 5 --backends sqlite
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from config import TITLES  # noqa: E402
from machine import machine_info  # noqa: E402

TIME = "/usr/bin/time"  # GNU time: the peak RSS of the process it runs
PG = {"host": "127.0.0.1", "port": "5432", "user": "postgres"}
MY = {"host": "127.0.0.1", "port": "3306", "user": "root"}
PREFIX = f"twinsql_loadbench_{os.getpid()}"
BEGIN, END = "<!-- load:begin -->", "<!-- load:end -->"
SMALL_SCALE = 1  # about 0.6 MB of dump
TABLES = ("customers", "products", "orders", "order_lines")
# The dumps made per backend: label → the tool's extra options.
SHAPES: dict[str, dict[str, list[str]]] = {
    "sqlite": {"sqlite3 .dump": []},
    "postgresql": {"pg_dump (COPY)": [], "pg_dump --inserts": ["--inserts"]},
    "mysql": {"mariadb-dump": []},
}
NATIVE = {"sqlite": "sqlite3 <", "postgresql": "psql -f", "mysql": "mariadb <"}


def _schema(backend: str) -> str:
    text = "text" if backend != "mysql" else "varchar(200)"
    stamp = {"postgresql": "timestamptz", "mysql": "datetime", "sqlite": "text"}[backend]
    return f"""
CREATE TABLE customers (id int PRIMARY KEY, name {text} NOT NULL, email {text},
                        city {text}, joined {stamp});
CREATE TABLE products (id int PRIMARY KEY, title {text} NOT NULL, price decimal(10, 2),
                       note {text});
CREATE TABLE orders (id int PRIMARY KEY, customer_id int REFERENCES customers (id),
                     placed {stamp}, status {text});
CREATE TABLE order_lines (order_id int REFERENCES orders (id), line int,
                          product_id int REFERENCES products (id), qty int,
                          price decimal(10, 2), PRIMARY KEY (order_id, line));
CREATE INDEX orders_by_customer ON orders (customer_id);
CREATE VIEW big_orders AS SELECT order_id, sum(qty * price) AS total FROM order_lines
    GROUP BY order_id HAVING sum(qty * price) > 100;
"""


def _counts(scale: int) -> dict[str, int]:
    return {"customers": 600 * scale, "products": 200 * scale, "orders": 2000 * scale,
            "order_lines": 6000 * scale}  # fmt: skip


def _fill(backend: str, scale: int) -> list[str]:
    """INSERT … SELECT statements that fill the tables, every value a function of the row
    number (series: generate_series, MariaDB's seq_1_to_N, a recursive CTE)."""
    n = _counts(scale)

    def series(count: int) -> tuple[str, str]:
        if backend == "postgresql":
            return f"generate_series(1, {count}) AS s(x)", ""
        if backend == "mysql":
            return f"(SELECT seq AS x FROM seq_1_to_{count}) AS s", ""
        recursive = f"SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < {count}"
        return "s", f"WITH RECURSIVE s(x) AS ({recursive}) "

    def cat(*parts: str) -> str:
        return f"concat({', '.join(parts)})" if backend == "mysql" else " || ".join(parts)

    def ts(minutes: str) -> str:
        if backend == "postgresql":
            return f"timestamptz '2024-01-01 00:00+00' + ({minutes}) * interval '1 minute'"
        if backend == "mysql":
            return f"'2024-01-01' + interval ({minutes}) minute"
        return f"datetime('2024-01-01', '+' || ({minutes}) || ' minutes')"

    div = "DIV" if backend == "mysql" else "/"  # integer division everywhere
    name, email = cat("'Customer '", "x"), cat("'c'", "x", "'@example.com'")
    city, title = cat("'City '", "(x % 50)", "'; it''s \\\\ here'"), cat("'Product ☕ '", "x")
    note = cat("'note: '", "x", "' 日本語'")
    out = []
    source, head = series(n["customers"])
    out.append(f"{head}INSERT INTO customers SELECT x, {name}, {email}, {city}, {ts('x * 7')} "
               f"FROM {source}")  # fmt: skip
    source, head = series(n["products"])
    out.append(f"{head}INSERT INTO products SELECT x, {title}, (x % 97) + 0.99, {note} "
               f"FROM {source}")  # fmt: skip
    source, head = series(n["orders"])
    out.append(f"{head}INSERT INTO orders SELECT x, (x % {n['customers']}) + 1, "
               f"{ts('x * 13')}, CASE WHEN x % 3 = 0 THEN 'shipped' ELSE 'open' END FROM {source}")
    source, head = series(n["order_lines"])
    out.append(f"{head}INSERT INTO order_lines SELECT ((x - 1) {div} 3) + 1, ((x - 1) % 3) + 1, "
               f"(x % {n['products']}) + 1, (x % 5) + 1, (x % 89) + 0.5 FROM {source}")
    return out


# -- servers -------------------------------------------------------------------------------


def _psql(database: str, *args: str, stdin: Any = None) -> None:
    subprocess.run(["psql", "-X", "-q", "-h", PG["host"], "-p", PG["port"], "-U", PG["user"],
                    "-d", database, "-v", "ON_ERROR_STOP=1", *args],
                   check=True, stdin=stdin, stdout=subprocess.DEVNULL)  # fmt: skip


def _mariadb(*args: str) -> None:
    subprocess.run(["mariadb", "-h", MY["host"], "-P", MY["port"], "-u", MY["user"], *args],
                   check=True, stdout=subprocess.DEVNULL)  # fmt: skip


class Target:
    """One backend: make an empty database, fill a source one, dump it, count rows."""

    def __init__(self, backend: str, work: Path) -> None:
        self.backend = backend
        self.work = work
        self.made: list[str] = []

    def new(self) -> str:
        name = f"{PREFIX}_{len(self.made)}"
        self.made.append(name)
        if self.backend == "postgresql":
            _psql("postgres", "-c", f'CREATE DATABASE "{name}"')
        elif self.backend == "mysql":
            _mariadb("-e", f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        return name

    def drop(self, name: str) -> None:
        if self.backend == "postgresql":
            _psql("postgres", "-c", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        elif self.backend == "mysql":
            _mariadb("-e", f"DROP DATABASE IF EXISTS `{name}`")
        else:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{self.work / name}.db{suffix}").unlink(missing_ok=True)

    def url(self, name: str) -> str:
        if self.backend == "postgresql":
            return f"postgresql://{PG['user']}@{PG['host']}:{PG['port']}/{name}"
        if self.backend == "mysql":
            return f"mysql://{MY['user']}@{MY['host']}:{MY['port']}/{name}"
        return f"sqlite:///{self.work / name}.db"

    def fill(self, name: str, scale: int) -> None:
        script = _schema(self.backend) + ";\n".join(_fill(self.backend, scale)) + ";\n"
        path = self.work / "fill.sql"
        path.write_text(script)
        with path.open("rb") as handle:
            self.native(name, handle)

    def native_argv(self, name: str, single: bool = False) -> list[str]:
        if self.backend == "postgresql":
            return ["psql", "-X", "-q", "-h", PG["host"], "-p", PG["port"], "-U", PG["user"],
                    "-d", name, "-o", os.devnull, *(["-1"] if single else [])]  # fmt: skip
        if self.backend == "mysql":
            return ["mariadb", "-h", MY["host"], "-P", MY["port"], "-u", MY["user"], name]
        return ["sqlite3", f"{self.work / name}.db"]

    def native(self, name: str, stdin: Any) -> None:
        subprocess.run(self.native_argv(name), stdin=stdin, check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip

    def shapes(self) -> list[str]:
        return list(SHAPES[self.backend])

    def dump(self, name: str, shape: str, label: str) -> Path:
        if self.backend == "postgresql":
            argv = ["pg_dump", "-h", PG["host"], "-p", PG["port"], "-U", PG["user"],
                    "--no-owner", *SHAPES[self.backend][shape], name]  # fmt: skip
        elif self.backend == "mysql":
            argv = ["mariadb-dump", "-h", MY["host"], "-P", MY["port"], "-u", MY["user"], name]
        else:
            argv = ["sqlite3", f"{self.work / name}.db", ".dump"]
        path = self.work / f"{label}-{len(SHAPES[self.backend][shape])}.sql"
        with path.open("wb") as handle:
            subprocess.run(argv, stdout=handle, check=True)
        return path

    def counts(self, name: str) -> dict[str, int]:
        sql = " UNION ALL ".join(f"SELECT '{t}', count(*) FROM {t}" for t in TABLES)
        if self.backend == "postgresql":
            out = subprocess.run(["psql", "-X", "-At", "-F", "\t", "-h", PG["host"], "-p",
                                  PG["port"], "-U", PG["user"], "-d", name, "-c", sql],
                                 check=True, capture_output=True, text=True).stdout  # fmt: skip
        elif self.backend == "mysql":
            out = subprocess.run(["mariadb", "-N", "-B", "-h", MY["host"], "-P", MY["port"],
                                  "-u", MY["user"], name, "-e", sql],
                                 check=True, capture_output=True, text=True).stdout  # fmt: skip
        else:
            with sqlite3.connect(f"{self.work / name}.db") as conn:
                return {t: int(c) for t, c in conn.execute(sql)}
        return {t: int(c) for t, c in (line.split("\t") for line in out.splitlines())}


# -- measuring -----------------------------------------------------------------------------


def measure(argv: list[str], stdin_path: Path | None) -> dict[str, float]:
    """Run ``argv`` to completion under GNU time: wall seconds, CPU seconds and peak RSS
    (MB) of that process. (Not ``wait4`` here: a child forked from this process counts this
    process's pages in its peak until it execs.)"""
    report = Path(tempfile.mktemp(prefix="twinsql-loadbench-time-"))
    stdin = stdin_path.open("rb") if stdin_path is not None else subprocess.DEVNULL
    try:
        done = subprocess.run([TIME, "-f", "%e %U %S %M", "-o", str(report), *argv],
                              stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              check=False)  # fmt: skip
        figures = report.read_text().split()[-4:]
    finally:
        if stdin_path is not None:
            stdin.close()  # type: ignore[union-attr]
        report.unlink(missing_ok=True)
    if done.returncode != 0:
        raise RuntimeError(f"{argv[0]} exited with {done.returncode}: {done.stderr[-2000:]!r}")
    wall, user, system, rss = map(float, figures)
    return {"wall": wall, "cpu": user + system, "rss_mb": rss / 1024}


def run_pair(
    target: Target, dump: Path, expected: dict[str, int], reps: int, single: bool = False
) -> dict[str, Any]:
    runs: dict[str, list[dict[str, float]]] = {"native": [], "twinsql": []}
    for rep in range(reps):
        order = ("native", "twinsql") if rep % 2 == 0 else ("twinsql", "native")
        for who in order:
            name = target.new()
            try:
                if who == "native":
                    figures = measure(target.native_argv(name, single), dump)
                else:
                    figures = measure([sys.executable, "-m", "twinsql", "load", target.url(name),
                                       str(dump), "--no-progress"], None)  # fmt: skip
                found = target.counts(name)
                if found != expected:
                    raise RuntimeError(f"{who} loaded {found}, the source has {expected}")
                runs[who].append(figures)
            finally:
                target.drop(name)
    return runs


def median(runs: list[dict[str, float]], key: str) -> float:
    return statistics.median(run[key] for run in runs)


# -- the page ------------------------------------------------------------------------------


def section(results: dict[str, Any]) -> str:
    info = results["machine"]
    lines = [
        BEGIN,
        "## twinsql load against the native clients",
        "",
        "Re-run: `bench/.venv/bin/python bench/load.py` (method in its docstring). Each dump is "
        "made by the real tool from a generated database and loaded into a new empty database "
        "by the server's own client and by `python -m twinsql load` (defaults: merged INSERTs, "
        "a transaction per ~1 MB batch), alternating, one fresh process each; row counts "
        "checked after every load. Wall time includes process start (twinsql's modules "
        "compiled to byte code, as installed); peak RSS is the process's own (GNU `time`). "
        "Medians over the repetitions.",
        "",
        f"* Run: {results['started']} → {results['finished']}; machine: {info['cpu_model']}, "
        f"{info['cpu_count']} CPUs, shared (load average {info['loadavg_start'][0]:.2f} at "
        f"the start, {results['loadavg_end']:.2f} at the end); twinsql at commit "
        f"{info['git_commit']}.",
        "",
        "| backend | dump | size | native client: wall / CPU / peak RSS | twinsql: wall / "
        "CPU / peak RSS | wall ratio | reps |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in results["rows"]:
        native, ours = row["runs"]["native"], row["runs"]["twinsql"]
        ratio = median(ours, "wall") / median(native, "wall")

        def cell(runs: list[dict[str, float]]) -> str:
            return (f"{median(runs, 'wall'):.2f} s / {median(runs, 'cpu'):.2f} s / "
                    f"{max(r['rss_mb'] for r in runs):.0f} MB")  # fmt: skip

        lines.append(f"| {TITLES[row['backend']]} | {row['shape']} ({row['size']}) | "
                     f"{row['bytes'] / 1e6:.1f} MB | `{row.get('native', '')}` {cell(native)} | "
                     f"{cell(ours)} | "
                     f"**{ratio:.2f}×** | {len(ours)} |")  # fmt: skip
    lines += ["", "Targets: ≤ 1.5× the native client's wall time on the small dumps (process "
              "start included), ≤ 0.8× on large INSERT dumps; peak RSS ≤ 100 MB for a 200 MB "
              "dump of any shape.", END]  # fmt: skip
    return "\n".join(lines) + "\n"


def section_of(page: str) -> str:
    """The twinsql load section of a ``RESULTS.md`` text, markers included ("" if none)."""
    if BEGIN not in page or END not in page:
        return ""
    return BEGIN + page.split(BEGIN, 1)[1].split(END, 1)[0] + END + "\n"


def write_section(text: str) -> None:
    page = BENCH / "RESULTS.md"
    current = page.read_text() if page.exists() else ""
    if BEGIN in current and END in current:
        head, rest = current.split(BEGIN, 1)
        tail = rest.split(END, 1)[1].lstrip("\n")
        current = head + text + tail
    else:
        current = current.rstrip("\n") + "\n\n" + text
    page.write_text(current)


@contextmanager
def workdir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="twinsql-loadbench-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def one_dump(target: Target, size: str, shape: str, args: argparse.Namespace) -> dict[str, Any]:
    """Make the dump of ``shape`` in ``size`` (a large one: the small database scaled up to
    about ``--large-mb`` MB of that dump), load it both ways, and return its row."""
    source = target.new()
    try:
        scale = SMALL_SCALE
        target.fill(source, scale)
        if size == "large":
            probe = target.dump(source, shape, "probe")
            scale = max(1, round(args.large_mb * 1e6 / probe.stat().st_size))
            probe.unlink()
            target.drop(source)
            source = target.new()
            target.fill(source, scale)
        expected = target.counts(source)
        dump = target.dump(source, shape, size)
    finally:
        target.drop(source)
    try:
        reps = args.reps if size == "small" else args.large_reps
        # psql runs each statement of a script in a transaction of its own: 200 MB of
        # single-row INSERTs would take hours, so the large one runs as one (psql -1).
        single = size == "large" and shape == "pg_dump --inserts"
        runs = run_pair(target, dump, expected, reps, single)
        row = {"backend": target.backend, "size": size, "shape": shape, "runs": runs,
               "bytes": dump.stat().st_size, "scale": scale,
               "native": "psql -1" if single else NATIVE[target.backend]}  # fmt: skip
    finally:
        dump.unlink(missing_ok=True)
    ratio = median(runs["twinsql"], "wall") / median(runs["native"], "wall")
    print(f"{target.backend} {size} {shape}: {row['bytes'] / 1e6:.1f} MB, wall ratio "
          f"{ratio:.2f}, twinsql peak {max(r['rss_mb'] for r in runs['twinsql']):.0f} MB, "
          f"native {max(r['rss_mb'] for r in runs['native']):.0f} MB", flush=True)  # fmt: skip
    return row


def compile_twinsql() -> None:
    """Compile twinsql's modules to byte code first, as installing a package does: a
    process that may not write byte code (PYTHONDONTWRITEBYTECODE) would otherwise compile
    every module from source at each start, which no installed copy does."""
    import compileall

    import twinsql

    compileall.compile_dir(str(Path(twinsql.__file__).parent), quiet=1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", default="mysql,postgresql,sqlite")
    parser.add_argument("--sizes", default="small,large")
    parser.add_argument("--reps", type=int, default=3, help="repetitions of a small dump")
    parser.add_argument("--large-reps", type=int, default=1)
    parser.add_argument("--large-mb", type=float, default=200.0)
    parser.add_argument("--no-write", action="store_true", help="print; write nothing")
    args = parser.parse_args(argv)
    compile_twinsql()
    results: dict[str, Any] = {"machine": machine_info(), "rows": [],
                               "started": time.strftime("%Y-%m-%d %H:%M:%S UTC",
                                                        time.gmtime())}  # fmt: skip
    with workdir() as work:
        for backend in args.backends.split(","):
            target = Target(backend, work)
            for size in args.sizes.split(","):
                for shape in target.shapes():
                    results["rows"].append(one_dump(target, size, shape, args))
                    save(results, args)  # as it goes: a long run stopped keeps its rows
    save(results, args)
    if args.no_write:
        print(section(results))
    return 0


def save(results: dict[str, Any], args: argparse.Namespace) -> None:
    results["finished"] = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    results["loadavg_end"] = os.getloadavg()[0]
    if not args.no_write:
        (BENCH / "load_results.json").write_text(json.dumps(results, indent=1, default=str))
        write_section(section(results))


if __name__ == "__main__":
    sys.exit(main())
