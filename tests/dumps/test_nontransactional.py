"""``twinsql load`` into MyISAM tables (no rollback): each write is settled on its own, so
the table holds exactly what the ledger says, as after the mariadb client."""

from __future__ import annotations

import subprocess
from contextlib import closing
from pathlib import Path

import pytest

from tests.dumps.roundtrip import _my_params, load, my_connect, my_database, my_url, tool

SCRIPT = "".join(
    [
        "CREATE TABLE m (id INT PRIMARY KEY, n INT) ENGINE=MyISAM;\n",
        *[f"INSERT INTO m VALUES ({i}, {i});\n" for i in range(4)],
        "INSERT INTO m VALUES (1, 99);\n",  # line 6: a duplicate key
        *[f"INSERT INTO m VALUES ({i}, {i});\n" for i in range(4, 8)],
    ]
)


def _native(database: str, path: Path, *options: str) -> int:
    params = _my_params()
    argv = [tool("mariadb"), "-h", params["host"], "-P", str(params["port"]),
            "-u", params["user"], *options, database]  # fmt: skip
    if params["password"]:
        argv.insert(-1, f"--password={params['password']}")
    with path.open("rb") as script:
        return subprocess.run(argv, stdin=script, check=False, timeout=60,
                               capture_output=True).returncode  # fmt: skip


def _rows(database: str) -> tuple[tuple[int, int], ...]:
    with closing(my_connect(database)) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT id, n FROM m ORDER BY id")
        return tuple(cursor.fetchall())


@pytest.mark.parametrize(("native_options", "load_options"), [((), ()),
                         (("--force",), ("--isolate-errors",))])  # fmt: skip
def test_myisam_rows_match_the_native_client_and_the_ledger(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    native_options: tuple[str, ...],
    load_options: tuple[str, ...],
) -> None:
    path = tmp_path / "myisam.sql"
    path.write_text(SCRIPT, encoding="utf-8")
    with my_database() as native, my_database() as loaded:
        status = _native(native, path, *native_options)
        assert status == 0 if native_options else status != 0  # --force exits 0
        assert load(my_url(loaded), path, *load_options) == 1
        out = capsys.readouterr().out
        expected = _rows(native)
        assert _rows(loaded) == expected
    assert "rejected #5 (line 6): UniqueViolation" in out
    # the ledger counts what is in the table: the CREATE and one INSERT per row
    assert f"applied {1 + len(expected)}  rejected 1" in out
