"""``twinsql load`` keeps what a script says about its session: after a lost connection
the retry runs the script's SET search_path / USE first, and ``SET NAMES latin1`` makes the
text after it read as latin1 — as the native clients do."""

from __future__ import annotations

import subprocess
from contextlib import closing
from pathlib import Path

import pytest

from tests.dumps.roundtrip import (
    _my_params,
    load,
    my_connect,
    my_database,
    my_url,
    pg_connect,
    pg_database,
    pg_url,
    tool,
)


def test_postgresql_retry_after_a_killed_connection_keeps_the_search_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The script kills its own connection once (a sequence counts the calls) in the batch
    that creates its table, after the batch of its SET committed (a statement larger than
    the budget stands between them): the retry, on a new connection, must create the table
    in ``app``, not in ``public``."""
    with pg_database() as database:
        with pg_connect(database) as conn:
            conn.execute("CREATE SCHEMA app")
            conn.execute("CREATE SEQUENCE public.kills")
        path = tmp_path / "search_path.sql"
        path.write_text(
            "SET search_path = app;\n"
            f"SELECT '{'x' * 600}';\n"
            "CREATE TABLE t (id INTEGER PRIMARY KEY);\n"
            "INSERT INTO t VALUES (1);\n"
            "SELECT CASE WHEN nextval('public.kills') = 1 "
            "THEN pg_terminate_backend(pg_backend_pid()) END;\n"
            "INSERT INTO t VALUES (2);\n",
            encoding="utf-8",
        )
        assert load(pg_url(database), path, "--max-bytes", "500") == 0, capsys.readouterr().out
        out = capsys.readouterr().out
        assert "applied 6  rejected 0  pending 0  unknown 0" in out
        assert "1 retries" in out
        with pg_connect(database) as conn:
            assert conn.execute("SELECT id FROM app.t ORDER BY id").fetchall() == [(1,), (2,)]
            assert conn.execute("SELECT to_regclass('public.t')").fetchone() == (None,)
            assert conn.execute("SELECT last_value FROM public.kills").fetchone() == (2,)


def test_mariadb_retry_after_a_killed_connection_keeps_the_database_of_use(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with my_database() as database, my_database() as other:
        with closing(my_connect(database)) as conn, conn.cursor() as cursor:
            cursor.execute("CREATE SEQUENCE kills")
            cursor.execute("CREATE PROCEDURE kill_once() BEGIN IF NEXTVAL(kills) = 1 THEN "
                           "KILL CONNECTION_ID(); END IF; END")  # fmt: skip
        path = tmp_path / "use.sql"
        path.write_text(
            f"USE `{other}`;\n"
            "CREATE TABLE t (id INTEGER PRIMARY KEY) ENGINE=InnoDB;\n"
            "INSERT INTO t VALUES (1);\n"
            f"CALL `{database}`.kill_once();\n"
            "INSERT INTO t VALUES (2);\n",
            encoding="utf-8",
        )
        assert load(my_url(database), path) == 0, capsys.readouterr().out
        out = capsys.readouterr().out
        assert "applied 5  rejected 0" in out and "1 retries" in out
        with closing(my_connect(other)) as conn, conn.cursor() as cursor:
            cursor.execute("SELECT id FROM t ORDER BY id")
            assert cursor.fetchall() == ((1,), (2,))


LATIN1_SCRIPT = (
    "SET NAMES latin1;\n"
    "CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(40)) DEFAULT CHARSET=utf8mb4;\n"
    "INSERT INTO t VALUES (1, 'Café'), (2, 'naïve € – ÿ');\n"
    "INSERT INTO t VALUES (3, 'Ærø');\n"
)


def test_set_names_latin1_reads_the_script_as_latin1_like_the_mariadb_client(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Differential: a real latin1 (Windows-1252) file, loaded with the mariadb client into
    one database and with twinsql load into another, gives the same text."""
    path = tmp_path / "latin1.sql"
    path.write_bytes(LATIN1_SCRIPT.encode("cp1252"))
    params = _my_params()
    found = []
    with my_database() as native, my_database() as loaded:
        argv = [tool("mariadb"), "-h", params["host"], "-P", str(params["port"]),
                "-u", params["user"], native]  # fmt: skip
        if params["password"]:
            argv.insert(-1, f"--password={params['password']}")
        with path.open("rb") as script:
            subprocess.run(argv, stdin=script, check=True, timeout=60)
        assert load(my_url(loaded), path) == 0
        out = capsys.readouterr().out
        assert "SET NAMES latin1 (line 1): the text after it was read as latin1" in out
        for database in (native, loaded):
            with closing(my_connect(database)) as conn, conn.cursor() as cursor:
                cursor.execute("SELECT id, name FROM t ORDER BY id")
                found.append(cursor.fetchall())
    assert found[0] == found[1]
    assert [name for _, name in found[1]] == ["Café", "naïve € – ÿ", "Ærø"]


def test_set_names_of_a_character_set_that_cannot_be_read_is_refused_with_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "sjis.sql"
    path.write_text("CREATE TABLE t (id INT);\nSET NAMES sjis;\nINSERT INTO t VALUES (1);\n")
    with my_database() as database:
        assert load(my_url(database), path) == 1
    out = capsys.readouterr().out
    assert "rejected #1 (line 2): ArgumentError: SET NAMES sjis" in out
