"""``twinsql load`` merges INSERTs only where the merged statement means what the script's
single statements mean: each script here is loaded with the native client into one
database and with ``twinsql load`` into another, and the rows must be the same."""

from __future__ import annotations

import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

import pytest

from tests.dumps.roundtrip import (
    _my_params,
    _pg_params,
    load,
    my_connect,
    my_database,
    my_url,
    pg_connect,
    pg_database,
    pg_url,
    tool,
)

# A value that depends on the rows inserted before it: merged, every row would see none.
COUNTING = "".join(
    [
        "CREATE TABLE t (id INTEGER PRIMARY KEY, seen INTEGER, label VARCHAR(10));\n",
        *[f"INSERT INTO t VALUES ({i}, (SELECT COUNT(*) FROM t), 'r{i}');\n" for i in range(5)],
    ]
)
# MariaDB: LAST_INSERT_ID() is the id the statement before generated; and under a sql_mode
# that is not strict a multi-row INSERT stores a NULL as '' where the single row fails.
MARIADB = "".join(
    [
        "CREATE TABLE p (id INT AUTO_INCREMENT PRIMARY KEY, prev INT, "
        "name VARCHAR(10) NOT NULL);\n",
        *[f"INSERT INTO p (prev, name) VALUES (LAST_INSERT_ID(), 'p{i}');\n" for i in range(4)],
        "SET SESSION sql_mode = '';\n",
        "INSERT INTO p (id, prev, name) VALUES (10, 0, 'a');\n",
        "INSERT INTO p (id, prev, name) VALUES (11, 0, NULL);\n",
        "INSERT INTO p (id, prev, name) VALUES (12, 0, 'c');\n",
    ]
)


def test_sqlite_rows_that_read_the_table_are_not_merged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "counting.sql"
    path.write_text(COUNTING, encoding="utf-8")
    native, loaded = tmp_path / "native.db", tmp_path / "loaded.db"
    with path.open("rb") as script:
        subprocess.run([tool("sqlite3"), str(native)], stdin=script, check=True, timeout=60)
    assert load(f"sqlite:///{loaded}", path) == 0, capsys.readouterr().out
    found = []
    for database in (native, loaded):
        with closing(sqlite3.connect(database)) as conn:
            found.append(conn.execute("SELECT * FROM t ORDER BY id").fetchall())
    assert found[0] == found[1]
    assert [seen for _, seen, _ in found[1]] == list(range(5))


def test_postgresql_rows_that_read_the_table_are_not_merged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "counting.sql"
    path.write_text(COUNTING, encoding="utf-8")
    params = _pg_params("")
    found = []
    with pg_database() as native, pg_database() as loaded:
        subprocess.run([tool("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h",
                        str(params["host"]), "-p", str(params["port"]), "-U", params["user"],
                        "-d", native, "-f", str(path)], check=True, timeout=60,
                       capture_output=True)  # fmt: skip
        assert load(pg_url(loaded), path) == 0, capsys.readouterr().out
        for database in (native, loaded):
            with pg_connect(database) as conn:
                found.append(conn.execute("SELECT * FROM t ORDER BY id").fetchall())
    assert found[0] == found[1]
    assert [seen for _, seen, _ in found[1]] == list(range(5))


def test_mariadb_last_insert_id_and_a_lax_sql_mode_keep_single_row_meaning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "mariadb.sql"
    path.write_text(MARIADB, encoding="utf-8")
    params = _my_params()
    found = []
    with my_database() as native, my_database() as loaded:
        argv = [tool("mariadb"), "--force", "-h", params["host"], "-P", str(params["port"]),
                "-u", params["user"], native]  # fmt: skip
        if params["password"]:
            argv.insert(-1, f"--password={params['password']}")
        with path.open("rb") as script:
            subprocess.run(argv, stdin=script, check=False, timeout=60, capture_output=True)
        assert load(my_url(loaded), path, "--isolate-errors") == 1
        out = capsys.readouterr().out
        assert "rejected #7 (line 8): NotNullViolation" in out
        for database in (native, loaded):
            with closing(my_connect(database)) as conn, conn.cursor() as cursor:
                cursor.execute("SELECT id, prev, name FROM p ORDER BY id")
                found.append(cursor.fetchall())
    assert found[0] == found[1]
    assert [prev for _, prev, _ in found[1][:4]] == [0, 1, 2, 3]
    assert [name for _, _, name in found[1][4:]] == ["a", "c"]
