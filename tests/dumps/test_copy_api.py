"""A dump's ``COPY … FROM STDIN`` rows through the batcher's API, on both PostgreSQL
drivers and in both modes: the rows arrive as written, one ledger entry per piece."""

from __future__ import annotations

import asyncio

import pytest

import twinsql
from tests import support
from tests.conftest import require_server
from twinsql.batch.statements import CopyData

ROWS = "1\tCafé ☕\t\\\\x00ff\n2\t\\N\t\\N\n3\ttab\\there\t\\\\x\n"
EXPECTED = [(1, "Café ☕", b"\x00\xff"), (2, None, None), (3, "tab\there", b"")]


def _rows(rows: list[dict[str, object]]) -> list[tuple[object, ...]]:
    return [(r["id"], r["name"], None if r["data"] is None else bytes(r["data"]))  # type: ignore[call-overload]
            for r in rows]  # fmt: skip


def _copy(table: str) -> list[tuple[str, object]]:
    return [(f"DROP TABLE IF EXISTS {table}", None),
            (f"CREATE TABLE {table} (id int PRIMARY KEY, name text, data bytea)", None),
            (f"COPY public.{table} (id, name, data) FROM stdin", CopyData(ROWS, 3))]  # fmt: skip


def test_copy_rows_sync_psycopg() -> None:
    require_server("psycopg")
    with twinsql.connect(support.url_for("psycopg", "")) as db:
        report = twinsql.SQLBatcher(db).process_statements(_copy("copy_api_sync"))
        assert (report.applied, report.rejected) == (3, 0)
        rows = db.execute("SELECT id, name, data FROM copy_api_sync ORDER BY id")
    assert _rows(rows) == EXPECTED


@pytest.mark.parametrize("backend", ["psycopg", "asyncpg"])
def test_copy_rows_async(backend: str) -> None:
    require_server(backend)

    async def run() -> list[tuple[object, ...]]:
        async with twinsql.connect_async(support.url_for(backend, "")) as db:
            table = f"copy_api_{backend}"
            report = await twinsql.AsyncSQLBatcher(db).process_statements(_copy(table))
            assert (report.applied, report.rejected) == (3, 0)
            rows = await db.execute(f"SELECT id, name, data FROM {table} ORDER BY id")
        return _rows(rows)

    assert asyncio.run(run()) == EXPECTED
