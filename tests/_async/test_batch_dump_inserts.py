# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""The INSERTs a backend's own dump tool writes (``sqlite3 .dump``, ``pg_dump --inserts``,
``mariadb-dump``), handed to the batcher's API as strings, fill a table with exactly the
rows the dumped one holds, on every backend — through the batcher's one-step reading of
literal rows, which the command line reaches only through its script reader."""

from __future__ import annotations

import re
import shutil
import subprocess
from decimal import Decimal
from typing import Any

import pytest

import twinsql
from tests._async.helpers import fresh_table
from twinsql import AsyncSQLBatcher
from twinsql.batch.script import ScriptReader, ScriptStatement
from twinsql.sql.literal_insert import literal_insert

COLUMNS = {"id": "INTEGER PRIMARY KEY", "name": "VARCHAR(100)", "price": "DECIMAL(10, 2)",
           "note": "TEXT"}  # fmt: skip
ROWS = [
    (1, "Café ☕ 日本語 🎉", Decimal("9.50"), "it's; here"),
    (2, None, Decimal("-1.25"), "back\\slash, and 'quotes'"),
    (3, "O'Brien", None, "line\nbreak"),
    *[(i, f"name {i}", Decimal(i) / 4, None) for i in range(4, 40)],
]

_COMMENT_LINES = re.compile(r"\A(?:\s*--[^\n]*\n)*\s*")


def _dump_argv(url: twinsql.DatabaseURL, table: str) -> list[str]:
    """The backend's own dump tool writing ``table``'s rows as INSERT statements."""
    if url.backend == "sqlite":
        return [_tool("sqlite3"), str(url.database), f".dump {table}"]
    if url.backend == "postgresql":
        return [_tool("pg_dump"), "--inserts", "--data-only", "-t", table,
                "-h", url.host or "127.0.0.1", "-p", str(url.port or 5432),
                "-U", url.username or "postgres", str(url.database)]  # fmt: skip
    return [_tool("mariadb-dump"), "--no-create-info", "-h", url.host or "127.0.0.1",
            "-P", str(url.port or 3306), "-u", url.username or "root",
            *([f"-p{url.password}"] if url.password else []), str(url.database), table]  # fmt: skip


def _dump(url: twinsql.DatabaseURL, table: str) -> str:
    # A test may wait on a tool: nothing else runs on its event loop meanwhile.
    done = subprocess.run(_dump_argv(url, table), capture_output=True, check=True, timeout=60)
    return done.stdout.decode("utf-8")


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed")
    return path


async def _rows(db: twinsql.AsyncDatabase, table: str) -> list[tuple[Any, ...]]:
    return [tuple(row.values()) for row in await db.execute(f"SELECT * FROM {table} ORDER BY id")]


async def test_a_dump_tools_inserts_given_as_strings_fill_the_table_as_it_was(
    db: twinsql.AsyncDatabase,
) -> None:
    source = await fresh_table(db, "bdi_rows", COLUMNS)
    await db.execute_many(f"INSERT INTO {source} VALUES (?, ?, ?, ?)", ROWS)
    dump = _dump(db.url, "bdi_rows")
    lexer = db.dialect.name
    # Its INSERTs alone (not its SET lines, nor pg_dump's \restrict), as a list of strings,
    # each with the comment lines the dump wrote above it.
    items = ScriptReader(lexer).read([dump])  # type: ignore[arg-type]
    inserts = [item.sql for item in items if isinstance(item, ScriptStatement)
               and _COMMENT_LINES.sub("", item.sql).upper().startswith("INSERT")]  # fmt: skip
    # The dump's INSERTs are what the one-step reading takes (but for one: sqlite3 writes
    # the row with a newline through replace(), pg_dump a comment above its first INSERT,
    # and those are left to the full reading).
    taken = [sql for sql in inserts if literal_insert(sql, lexer) is not None]  # type: ignore[arg-type]
    assert len(taken) >= len(inserts) - 1 and taken

    reference = await fresh_table(db, "bdi_reference", COLUMNS)
    await db.execute_non_query(f"INSERT INTO {reference} SELECT * FROM {source}")
    await db.execute_non_query(f"DELETE FROM {source}")
    report = await AsyncSQLBatcher(db).process_statements(inserts)
    assert report.ok and report.applied == len(inserts), report.summary()
    assert await _rows(db, source) == await _rows(db, reference)
    assert [(row[0], row[1], row[3]) for row in await _rows(db, source)] == [
        (row[0], row[1], row[3]) for row in ROWS
    ]
    assert [row[2] for row in await _rows(db, source)] == [row[2] for row in ROWS]
