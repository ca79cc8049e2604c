"""The examples in ``examples/`` run as they are, on every backend, and exit 0."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import support
from tests.conftest import require_server

EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.py"))


@pytest.mark.parametrize("backend", ["sqlite", "psycopg", "mysql"])
@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.stem)
def test_example_runs(example: Path, backend: str, tmp_path: Path) -> None:
    require_server(backend)
    env = dict(os.environ)
    if backend == "sqlite":
        env.pop("DATABASE_URL", None)  # the example's own default: a file in its directory
    else:
        env["DATABASE_URL"] = support.url_for(backend, "")
    done = subprocess.run(
        [sys.executable, str(example)], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=240,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
