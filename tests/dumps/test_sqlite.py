"""``sqlite3 .dump`` output — ``PRAGMA foreign_keys=OFF``, ``BEGIN TRANSACTION`` … ``COMMIT``,
a child table before its parent — loads with ``twinsql load`` into a new file exactly as
it was dumped, and the load leaves the file's journal mode alone."""

from __future__ import annotations

import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

import pytest

from tests.dumps.roundtrip import (
    assert_inserts_read_alike,
    load,
    sqlite_fingerprint,
    sqlite_journal_mode,
    tool,
)

SCHEMA = """
CREATE TABLE child (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES parent (id), note TEXT);
CREATE TABLE parent (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, price NUMERIC,
                     ratio REAL, data BLOB, born DATE, at TIMESTAMP);
CREATE VIEW cheap AS SELECT id, name FROM parent WHERE price < 10;
CREATE TABLE audit (id INTEGER PRIMARY KEY, what TEXT);
CREATE TRIGGER parent_log AFTER INSERT ON parent BEGIN
    INSERT INTO audit (what) VALUES ('insert; ' || NEW.name);
END;
CREATE INDEX child_parent ON child (parent);
"""

ROWS = [
    ("Café ☕ 日本語 🎉", 9.5, 0.25, b"\x00\x01'\xff", "2024-02-29", "2024-01-02 03:04:05.678"),
    ("it's; here\n-- not a comment", 123456.0001, -1e300, b"", "1970-01-01", None),
    ("NULLs", None, None, None, None, None),
]


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite") / "source.db"
    with closing(sqlite3.connect(path)) as conn:
        conn.executescript(SCHEMA)
        conn.executemany("INSERT INTO parent (name, price, ratio, data, born, at) "
                         "VALUES (?, ?, ?, ?, ?, ?)", ROWS)  # fmt: skip
        conn.executemany("INSERT INTO child VALUES (?, ?, ?)",
                         [(i, 1 + i % 3, f"c{i}") for i in range(1, 50)])  # fmt: skip
        conn.commit()
    return path


def test_sqlite_dump_round_trip(
    source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dump = tmp_path / "dump.sql"
    dump.write_bytes(subprocess.run([tool("sqlite3"), str(source), ".dump"],
                                    capture_output=True, check=True).stdout)  # fmt: skip
    text = dump.read_text(encoding="utf-8")
    assert text.startswith("PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;")
    assert_inserts_read_alike(dump, "sqlite")
    target = tmp_path / "target.db"
    status = load(f"sqlite:///{target}", dump)
    out, err = capsys.readouterr()
    assert (status, err) == (0, ""), out
    assert "rejected 0  pending 0  unknown 0" in out
    assert "BEGIN/COMMIT" in out  # says how the script's transactions were taken
    assert sqlite_fingerprint(target) == sqlite_fingerprint(source)
    assert sqlite_journal_mode(target) == "delete"


def test_an_existing_file_keeps_its_journal_mode(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "wal.db"
    with closing(sqlite3.connect(target)) as conn:
        conn.execute("PRAGMA journal_mode = wal")  # the one mode a file keeps
    dump = tmp_path / "dump.sql"
    dump.write_text("CREATE TABLE t (a);\nINSERT INTO t VALUES (1);\n", encoding="utf-8")
    assert load(f"sqlite:///{target}", dump) == 0
    capsys.readouterr()
    assert sqlite_journal_mode(target) == "wal"
