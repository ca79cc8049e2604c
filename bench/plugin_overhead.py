"""What the pytest plugin's per-test fixtures cost, in milliseconds per test.

    .venv/bin/python bench/plugin_overhead.py [--tests 300] [--loop-scope function] [URL ...]

For each URL (default: a SQLite file) two inner pytest sessions run the same number of
empty tests: one whose tests take the session database only (``twinsql_database`` /
``twinsql_async_database``), one whose tests take the per-test fixture (``twinsql_db``: a
rolled-back transaction; ``twinsql_async_db``: the same on the test's new event loop, which
opens a pool there; with ``--loop-scope session`` every test shares one loop and one pool).
Both sessions pay the same start-up and schema work, so the difference
of their wall times, divided by the number of tests, is the fixture's cost per test.
Not part of the test suite: nothing asserts on time.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CONFTEST = """
import pytest
import twinsql

class Item(twinsql.Model):
    __table_name__ = "overhead_items"
    id: int | None = None
    name: str = "x"

@pytest.fixture(scope="session")
def twinsql_models():
    return [Item]
"""

BODY = {
    "sync": "def test_{i}({fixture}):\n    pass\n",
    "async": "async def test_{i}({fixture}):\n    pass\n",
}
FIXTURES = {
    "sync": ("twinsql_database", "twinsql_db"),
    "async": ("twinsql_async_database", "twinsql_async_db"),
}


def session_seconds(url: str | None, mode: str, fixture: str, tests: int, scope: str) -> float:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "conftest.py").write_text(CONFTEST)
        body = "".join(BODY[mode].format(i=i, fixture=fixture) for i in range(tests))
        (root / "test_overhead.py").write_text(body)
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                   "-o", "asyncio_mode=auto", "-o", f"asyncio_default_fixture_loop_scope={scope}",
                   "-o", f"asyncio_default_test_loop_scope={scope}", str(root)]  # fmt: skip
        if url:
            command.append(f"--twinsql-url={url}")
        started = time.perf_counter()
        done = subprocess.run(command, cwd=root, capture_output=True, text=True)
        elapsed = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(done.stdout[-2000:] + done.stderr[-2000:])
        return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tests", type=int, default=300)
    parser.add_argument("--loop-scope", default="function", choices=["function", "session"])
    parser.add_argument("urls", nargs="*")
    args = parser.parse_args()
    for url in args.urls or [None]:
        for mode in ("sync", "async"):
            if mode == "sync" and url and "+asyncpg" in url:
                continue
            base, per_test = FIXTURES[mode]
            plain = session_seconds(url, mode, base, args.tests, args.loop_scope)
            wrapped = session_seconds(url, mode, per_test, args.tests, args.loop_scope)
            cost = (wrapped - plain) / args.tests * 1000
            label = (url or "sqlite (default)").split("@")[-1]
            print(f"{label:40} {mode:5} {args.loop_scope:8} {per_test:18} {cost:6.2f} ms per test "
                  f"({plain:.2f} s -> {wrapped:.2f} s for {args.tests} tests)")  # fmt: skip


if __name__ == "__main__":
    main()
