"""The SQL log in a fresh process, as a user meets it: ``logging.basicConfig(level=INFO)``
alone logs every statement, and ``echo=True`` alone prints them; in both modes, on every
backend. (In-process checks of levels and parameters: tests/_async/test_orm_records.py.)"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests import support
from tests.conftest import require_server

# asyncpg is async-only.
CASES = [(b, m) for b in ("sqlite", "psycopg", "asyncpg", "mysql") for m in ("sync", "async")
         if (b, m) != ("asyncpg", "sync")]  # fmt: skip

SCRIPTS = {
    "sync": """
        db = twinsql.connect(URL, {option})
        db.execute_scalar("SELECT ? AS marker_value", ("p-sentinel",))
        db.close()
    """,
    "async": """
        async def main():
            db = twinsql.connect_async(URL, {option})
            await db.execute_scalar("SELECT ? AS marker_value", ("p-sentinel",))
            await db.close()
        asyncio.run(main())
    """,
}


def run(url: str, mode: str, *, configure: str, option: str, cwd: Path) -> tuple[str, str]:
    body = textwrap.dedent(SCRIPTS[mode]).format(option=option)
    source = f"import asyncio, logging, twinsql\n{configure}\nURL = {url!r}\n{body}"
    done = subprocess.run(
        [sys.executable, "-c", source], cwd=cwd, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout, done.stderr


@pytest.mark.parametrize(("backend", "mode"), CASES)
def test_basic_config_alone_logs_statements(backend: str, mode: str, tmp_path: Path) -> None:
    require_server(backend)
    url = support.url_for(backend, str(tmp_path / "log.db"))
    configure = "logging.basicConfig(level=logging.INFO, format='%(name)s %(message)s')"
    stdout, stderr = run(url, mode, configure=configure, option="", cwd=tmp_path)
    assert "twinsql.sql SELECT ? AS marker_value" in stderr
    assert "p-sentinel" not in stderr  # parameters are logged at DEBUG
    assert stdout == ""


@pytest.mark.parametrize(("backend", "mode"), CASES)
def test_echo_alone_prints_statements(backend: str, mode: str, tmp_path: Path) -> None:
    require_server(backend)
    url = support.url_for(backend, str(tmp_path / "log.db"))
    stdout, _ = run(url, mode, configure="", option="echo=True", cwd=tmp_path)
    assert "twinsql.sql SELECT ? AS marker_value" in stdout
