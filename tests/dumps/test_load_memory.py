"""``twinsql load`` holds a bounded amount of memory whatever the dump's size and shape: many
single-row INSERTs (``sqlite3 .dump``), huge multi-row INSERTs (``mariadb-dump``) and big
COPY blocks (``pg_dump``). Each dump is made by the real tool in a small and a four times
larger version; the peak RSS of the load process (GNU time) stays under the bound asked of a
200 MB dump, and the larger file adds no more than a few megabytes to the smaller's."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

import pytest

from tests.dumps.roundtrip import (
    my_connect,
    my_database,
    my_dump_argv,
    my_url,
    pg_connect,
    pg_database,
    pg_dump_argv,
    pg_url,
    run_tool,
    tool,
)

SMALL_ROWS, LARGE_ROWS = 50_000, 200_000  # about 5 MB and 20 MB of dump
BOUND_MB = 100  # the bound for a 200 MB dump
GROWTH_MB = 15  # what four times the file may add: buffers, not the file's statements


def peak_rss_mb(url: str, dump: Path) -> float:
    """Load ``dump`` into ``url`` in a process of its own; its peak RSS in MB."""
    gnu_time = shutil.which("time") or "/usr/bin/time"
    if not Path(gnu_time).exists():
        pytest.skip("GNU time is not installed")
    report = dump.with_suffix(".time")
    done = subprocess.run(
        [gnu_time, "-f", "%M", "-o", str(report), sys.executable, "-m", "twinsql", "load",
         url, str(dump), "--no-progress"],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "rejected 0  pending 0  unknown 0" in done.stdout
    return int(report.read_text().split()[-1]) / 1024


def mariadb_target() -> Iterator[str]:
    """A new database on the MariaDB server to load into, dropped after."""
    with my_database() as name:
        yield my_url(name)


def postgresql_target() -> Iterator[str]:
    """A new database on the PostgreSQL server to load into, dropped after."""
    with pg_database() as name:
        yield pg_url(name)


def check(make: Callable[[int, Path], tuple[Path, Callable[[], Iterator[str]]]],
          tmp_path: Path) -> None:  # fmt: skip
    peaks = []
    for rows in (SMALL_ROWS, LARGE_ROWS):
        dump, target = make(rows, tmp_path / f"dump{rows}.sql")
        for url in target():
            peaks.append(peak_rss_mb(url, dump))
    small, large = peaks
    assert large <= BOUND_MB, peaks
    assert large - small <= GROWTH_MB, peaks


def test_sqlite_dump_of_single_row_inserts(tmp_path: Path) -> None:
    def make(rows: int, dump: Path) -> tuple[Path, Callable[[], Iterator[str]]]:
        source = dump.with_suffix(".db")
        with closing(sqlite3.connect(source)) as conn:
            conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, note TEXT, "
                         "amount REAL, at TEXT)")  # fmt: skip
            conn.execute(
                "WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < ?) "
                "INSERT INTO t SELECT x, 'name ' || x, hex(randomblob(16)) || ' it''s; here', "
                "x * 1.5, datetime('2024-01-01', '+' || x || ' minutes') FROM g",
                (rows,),
            )
            conn.commit()
        with dump.open("wb") as handle:
            subprocess.run([tool("sqlite3"), str(source), ".dump"], stdout=handle, check=True)

        def target() -> Iterator[str]:
            yield f"sqlite:///{dump.with_suffix('.target.db')}"

        return dump, target

    check(make, tmp_path)


def test_mariadb_dump_of_huge_multi_row_inserts(tmp_path: Path) -> None:
    def make(rows: int, dump: Path) -> tuple[Path, Callable[[], Iterator[str]]]:
        with my_database() as source:
            with closing(my_connect(source)) as conn, conn.cursor() as cursor:
                cursor.execute("CREATE TABLE t (id int PRIMARY KEY, name text, note text, "
                               "amount decimal(12, 2), at datetime)")  # fmt: skip
                cursor.execute(
                    "INSERT INTO t SELECT seq, concat('name ', seq), "
                    "concat(md5(seq), ' it''s; here'), seq * 1.5, "
                    f"'2024-01-01' + interval seq minute FROM seq_1_to_{rows}"
                )
            run_tool(my_dump_argv(source), dump)
        return dump, mariadb_target

    check(make, tmp_path)


def test_mariadb_dump_of_dense_numeric_rows(tmp_path: Path) -> None:
    """Rows of short numbers: a 1 MB INSERT holds a hundred thousand values, which the
    analysis of a statement must not keep an object for each."""

    def make(rows: int, dump: Path) -> tuple[Path, Callable[[], Iterator[str]]]:
        with my_database() as source:
            with closing(my_connect(source)) as conn, conn.cursor() as cursor:
                cursor.execute(
                    "CREATE TABLE order_lines (order_id int, line int, product int, qty int, "
                    "price decimal(10, 2), PRIMARY KEY (order_id, line))"
                )
                cursor.execute(
                    "INSERT INTO order_lines SELECT seq div 4, seq mod 4, seq mod 997, seq mod 7, "
                    f"(seq mod 1000) / 4 FROM seq_1_to_{4 * rows}"
                )  # four rows of about 25 bytes for one of the other dumps' 100
            run_tool(my_dump_argv(source), dump)
        return dump, mariadb_target

    check(make, tmp_path)


def test_pg_dump_inserts_of_single_row_inserts(tmp_path: Path) -> None:
    """``pg_dump --inserts``: one short INSERT per row, each a text of its own; a batch
    holds a bounded number of them, whatever its byte budget would let in."""

    def make(rows: int, dump: Path) -> tuple[Path, Callable[[], Iterator[str]]]:
        with pg_database() as source:
            with pg_connect(source) as conn:
                conn.execute("CREATE TABLE t (id int PRIMARY KEY, name text, note text, "
                             "amount numeric(12, 2), at timestamp)")  # fmt: skip
                conn.execute(
                    "INSERT INTO t SELECT g, 'name ' || g, md5(g::text) || ' it''s; here', "
                    "g * 1.5, '2024-01-01'::timestamp + g * interval '1 minute' "
                    f"FROM generate_series(1, {rows}) g".encode()
                )
            run_tool([*pg_dump_argv(source), "--inserts"], dump)
        return dump, postgresql_target

    check(make, tmp_path)


def test_pg_dump_of_big_copy_blocks(tmp_path: Path) -> None:
    def make(rows: int, dump: Path) -> tuple[Path, Callable[[], Iterator[str]]]:
        with pg_database() as source:
            with pg_connect(source) as conn:
                conn.execute("CREATE TABLE t (id int PRIMARY KEY, name text, note text, "
                             "amount numeric(12, 2), at timestamp)")  # fmt: skip
                conn.execute(
                    "INSERT INTO t SELECT g, 'name ' || g, md5(g::text) || ' it''s; here', "
                    "g * 1.5, '2024-01-01'::timestamp + g * interval '1 minute' "
                    f"FROM generate_series(1, {rows}) g".encode()
                )
            run_tool(pg_dump_argv(source), dump)
        return dump, postgresql_target

    check(make, tmp_path)


def test_the_sqlite_statement_cache_size_option(tmp_path: Path) -> None:
    import twinsql

    url = f"sqlite:///{tmp_path / 'x.db'}?statement_cache_size="
    with closing(twinsql.connect(url + "0")) as database:
        assert database.execute_scalar("SELECT 41 + 1") == 42
    with pytest.raises(twinsql.ConfigurationError, match="statement_cache_size"):
        twinsql.connect(url + "many").execute("SELECT 1")
