"""Requests/s of the example FastAPI app against the same routes on the raw driver.

    .venv/bin/python bench/fastapi_app.py [--seconds 15] [--clients 50] [--repeat 2]

Each cell runs one uvicorn worker (a process of its own, started and stopped here) on a
free port over a PostgreSQL database made for this run (dropped at the end): the example
app (``examples/fastapi_app/app.py``) on twinsql with asyncpg and with psycopg,
``bench/fastapi_raw_app.py`` on asyncpg alone, and ``bench/fastapi_nodb_app.py`` answering
from memory (the ceiling of FastAPI, uvicorn and the load generator here).
``examples/fastapi_app/load.py`` drives each with the same mix (80 % an author with its
books, 10 % a page, 10 % a new author); cells are interleaved and repeated, and the median run
of each is reported. Prints a Markdown section; ``--write`` also keeps it in
``bench/fastapi_results.md`` and ``bench/RESULTS.md``.
Needs uvicorn (``pip install uvicorn``) and the PostgreSQL server of the tests.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SERVER = os.environ.get("TWINSQL_TEST_POSTGRESQL_URL", "postgresql://postgres@127.0.0.1:5432/test")
CELLS = {
    "twinsql, asyncpg": ("examples.fastapi_app.app:app", "postgresql+asyncpg"),
    "twinsql, psycopg": ("examples.fastapi_app.app:app", "postgresql"),
    "raw asyncpg": ("bench.fastapi_raw_app:app", "postgresql"),
    "no database": ("bench.fastapi_nodb_app:app", "postgresql"),
}


def admin(sql: str) -> None:
    with psycopg.connect(SERVER.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(sql.encode())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for(port: int, server: subprocess.Popen[bytes]) -> None:
    for _ in range(200):
        if server.poll() is not None:
            raise RuntimeError("the server exited at startup")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the server did not start")


def run_cell(app: str, url: str, args: argparse.Namespace) -> dict[str, Any]:
    port = free_port()
    env = dict(os.environ, DATABASE_URL=url)
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", app, "--port", str(port), "--log-level", "warning",
         "--no-access-log"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    try:
        wait_for(port, server)
        done = subprocess.run(
            [sys.executable, str(ROOT / "examples/fastapi_app/load.py"),
             f"http://127.0.0.1:{port}", "--clients", str(args.clients),
             "--seconds", str(args.seconds), "--seed-authors", "50"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if not done.stdout.strip():
            raise RuntimeError(done.stderr[-2000:])
        result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        return result
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--write", action="store_true", help="update bench/RESULTS.md")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    database = f"twinsql_fastapi_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin(f'CREATE DATABASE "{database}"')
    base = SERVER.split("://", 1)[1].rsplit("/", 1)[0]
    try:
        # The example's lifespan creates the tables; the raw app finds them.
        order = [name for _ in range(args.repeat) for name in CELLS]
        runs: dict[str, list[dict[str, Any]]] = {name: [] for name in CELLS}
        for name in order:
            app, scheme = CELLS[name]
            result = run_cell(app, f"{scheme}://{base}/{database}", args)
            print(name, json.dumps(result), file=sys.stderr)
            runs[name].append(result)
    finally:
        admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    section = markdown(runs, args, load_before, os.getloadavg()[0])
    print(section)
    if args.write:
        (HERE / "fastapi_results.md").write_text(section)
        results = HERE / "RESULTS.md"
        text = results.read_text()
        if HEADING in text:
            text = text[: text.index(HEADING)].rstrip("\n") + "\n"
        results.write_text(text + "\n" + section)


HEADING = "## FastAPI: the example app under uvicorn"


def median_run(results: list[dict[str, Any]]) -> dict[str, Any]:
    """The run with the median requests/s (the lower middle one of an even count)."""
    ordered = sorted(results, key=lambda r: r["requests_per_s"])
    return ordered[(len(ordered) - 1) // 2]


def markdown(
    runs: dict[str, list[dict[str, Any]]],
    args: argparse.Namespace,
    load_before: float,
    load_after: float,
) -> str:
    raw = median_run(runs["raw asyncpg"])["requests_per_s"]
    lines = [
        HEADING,
        "",
        f"`examples/fastapi_app` on PostgreSQL, one uvicorn worker, {args.clients} concurrent "
        f"clients for {args.seconds:g} s (80 % an author with its books, 10 % a page of "
        "authors, 10 % a new author), against the same routes written on raw asyncpg "
        f"(`bench/fastapi_raw_app.py`) and answered from memory with no database "
        f"(`bench/fastapi_nodb_app.py`); the median of {args.repeat} interleaved runs (its "
        "latencies; the range of requests/s in parentheses). The load "
        "generator runs on the same machine (1-minute load average "
        f"{load_before:.1f} before, {load_after:.1f} after: a shared machine, so compare the "
        "ratios, not the absolute figures). Re-run: `python bench/fastapi_app.py --write`.",
        "",
        "| app | requests/s | ÷ raw asyncpg | p50 ms | p99 ms | errors (all runs) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, results in runs.items():
        r = median_run(results)
        low = min(x["requests_per_s"] for x in results)
        high = max(x["requests_per_s"] for x in results)
        errors = sum(x["errors"] for x in results)
        lines.append(
            f"| {name} | {r['requests_per_s']:.0f} ({low:.0f}–{high:.0f}) | "
            f"{r['requests_per_s'] / raw:.2f}× | {r['p50_ms']} | {r['p99_ms']} | {errors} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
