"""mariadb-dump's output — executable comments, DELIMITER blocks, extended INSERTs larger
than the batch budget — loads with ``twinsql load`` into an empty database exactly as it
was dumped."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from tests.dumps.roundtrip import (
    assert_inserts_read_alike,
    load,
    my_connect,
    my_database,
    my_dump_argv,
    my_fingerprint,
    my_url,
    run_tool,
)

SCHEMA = [
    "CREATE TABLE items (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(100) NOT NULL, "
    "note TEXT, price DECIMAL(12, 4), ratio DOUBLE, data BLOB, born DATE, at DATETIME(6), "
    "flag TINYINT(1), feeling ENUM('sad', 'ok', 'happy'), "
    "total DECIMAL(13, 4) AS (price * 2) STORED) ENGINE=InnoDB",
    "CREATE TABLE audit (id INT AUTO_INCREMENT PRIMARY KEY, item_id INT, what VARCHAR(200), "
    "FOREIGN KEY (item_id) REFERENCES items (id)) ENGINE=InnoDB",
    # A child table dumped before its parent (alphabetical order): FOREIGN_KEY_CHECKS=0
    "CREATE TABLE zparent (id INT PRIMARY KEY) ENGINE=InnoDB",
    "CREATE TABLE achild (id INT PRIMARY KEY, parent INT, "
    "FOREIGN KEY (parent) REFERENCES zparent (id)) ENGINE=InnoDB",
    "CREATE TABLE bulk (id INT PRIMARY KEY, payload VARCHAR(2000)) ENGINE=InnoDB",
    "CREATE SEQUENCE counter START WITH 5",
    # No rollback: its writes are settled one by one
    "CREATE TABLE legacy (id INT PRIMARY KEY, note VARCHAR(100)) ENGINE=MyISAM",
    "CREATE VIEW cheap AS SELECT id, name FROM items WHERE price < 10",
    "CREATE TRIGGER items_log AFTER INSERT ON items FOR EACH ROW "
    "INSERT INTO audit (item_id, what) VALUES (NEW.id, CONCAT('insert; ', NEW.name))",
    "CREATE FUNCTION twice(x INT) RETURNS INT DETERMINISTIC RETURN x * 2",
    "CREATE PROCEDURE bump(IN n INT) BEGIN DECLARE i INT DEFAULT 0; "
    "WHILE i < n DO SET i = i + 1; END WHILE; SELECT i; END",
    "CREATE EVENT cleanup ON SCHEDULE EVERY 1 DAY DISABLE DO DELETE FROM audit WHERE id < 0",
]

ROWS = [
    (0, "zero id; kept as 0", None, Decimal("9.5"), 0.25, b"\x00\x01\\'\xff", date(2024, 2, 29),
     datetime(2024, 1, 2, 3, 4, 5, 678901), 1, "happy"),
    (7, "Café ☕ 日本語 🎉", "it's; here\n\\", Decimal("123456.0001"), -1e300, b"",
     date(1970, 1, 1), None, 0, "sad"),
    (8, "/*!99999 not code */ -- nor this", None, None, None, None, None, None, None, None),
]


@pytest.fixture(scope="module")
def source() -> Iterator[str]:
    with my_database() as name:
        with closing(my_connect(name)) as conn, conn.cursor() as cursor:
            for statement in SCHEMA:
                cursor.execute(statement)
            cursor.execute("SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_AUTO_VALUE_ON_ZERO')")
            cursor.executemany(
                "INSERT INTO items (id, name, note, price, ratio, data, born, at, flag, "
                "feeling) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)", ROWS,
            )  # fmt: skip
            cursor.execute("INSERT INTO zparent VALUES (1)")
            cursor.execute("INSERT INTO achild VALUES (1, 1)")
            cursor.executemany("INSERT INTO legacy VALUES (%s, %s)",
                               [(i, f"legacy {i}; ü") for i in range(40)])  # fmt: skip
            # about 1.2 MB: one extended INSERT larger than the batch budget of 1 MB
            cursor.executemany("INSERT INTO bulk VALUES (%s, %s)",
                               [(i, f"{i:06d}" * 250) for i in range(800)])  # fmt: skip
        yield name


@pytest.mark.parametrize(
    "options",
    [[], ["--routines", "--triggers", "--events"], ["--skip-extended-insert"]],
    ids=["defaults", "routines", "single-row-inserts"],
)
def test_mariadb_dump_round_trip(
    source: str, options: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dump = tmp_path / "dump.sql"
    run_tool(my_dump_argv(source, *options), dump)
    assert_inserts_read_alike(dump, "mysql")
    with my_database() as target:
        status = load(my_url(target), dump)
        out, err = capsys.readouterr()
        assert (status, err) == (0, ""), out
        assert "rejected 0  pending 0  unknown 0" in out
        expected = my_fingerprint(source)
        got = my_fingerprint(target)
        if "--routines" not in options:  # routines and events are dumped only when asked for
            expected["routines"] = expected["events"] = []
        for key in ("views", "triggers", "columns"):  # the schema name differs
            expected[key] = [tuple(str(v).replace(source, target) for v in row)
                             for row in expected[key]]  # fmt: skip
            got[key] = [tuple(map(str, row)) for row in got[key]]
        assert got == expected
