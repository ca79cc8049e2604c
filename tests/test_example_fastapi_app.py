"""The example FastAPI app's own tests pass on every backend (run as the example's reader
runs them: ``pytest examples/fastapi_app`` with ``DATABASE_URL`` set)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import support
from tests.conftest import require_server

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("backend", ["sqlite", "psycopg", "asyncpg", "mysql"])
def test_example_app_tests_pass(backend: str, tmp_path: Path) -> None:
    require_server(backend)
    env = dict(os.environ)
    env["DATABASE_URL"] = support.url_for(backend, str(tmp_path / "shop.db"))
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "examples/fastapi_app"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "6 passed" in done.stdout


def test_load_script_runs_against_the_app_in_process(tmp_path: Path) -> None:
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp_path / 'load.db'}")
    done = subprocess.run(
        [sys.executable, "examples/fastapi_app/load.py", "--in-process", "--seconds", "1",
         "--clients", "4", "--seed-authors", "3"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)
    assert result["errors"] == 0
    assert result["requests"] > 0
