"""pg_dump's plain format (COPY blocks and psql meta-commands) and ``--inserts`` load with
``twinsql load`` into an empty database exactly as they were dumped."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from tests.dumps.roundtrip import (
    assert_inserts_read_alike,
    load,
    pg_connect,
    pg_database,
    pg_dump_argv,
    pg_fingerprint,
    pg_url,
    run_tool,
)

SCHEMA = """
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN posint AS integer CHECK (VALUE > 0);
CREATE SEQUENCE counter START 5;
CREATE TABLE items (
    id serial PRIMARY KEY,
    name text NOT NULL,
    note text,
    price numeric(12, 4),
    ratio double precision,
    data bytea,
    born date,
    at timestamptz,
    flag boolean,
    tags text[],
    doc jsonb,
    feeling mood,
    qty posint,
    total numeric GENERATED ALWAYS AS (price * 2) STORED
);
CREATE TABLE audit (id serial PRIMARY KEY, item_id int REFERENCES items (id), what text);
CREATE VIEW cheap AS SELECT id, name FROM items WHERE price < 10;
CREATE VIEW keyed AS SELECT id FROM items WHERE doc ? 'k' OR doc ?| array['a', 'b'];
CREATE FUNCTION log_item() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO audit (item_id, what) VALUES (NEW.id, 'insert; ' || NEW.name);
    RETURN NEW;
END $$;
CREATE TRIGGER items_log AFTER INSERT ON items FOR EACH ROW EXECUTE FUNCTION log_item();
CREATE PROCEDURE bump(n int) LANGUAGE sql AS $$ SELECT setval('counter', nextval('counter') + n) $$;
"""

ROWS = [
    ("Café ☕ 日本語 🎉", None, Decimal("9.5"), 0.25, b"\x00\x01\\\xff", date(2024, 2, 29),
     datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=timezone.utc), True, ["a", "b;c"],
     '{"k": 1, "q": "?"}', "happy", 3),
    ("tab\there\nnew line \\ backslash", "it's; here", Decimal("123456.0001"), -1e300,
     b"", date(1970, 1, 1), None, False, [], '{"a": [1, 2]}', "sad", 1),
    ("\\.", None, None, None, None, None, None, None, None, None, None, None),
]


@pytest.fixture(scope="module")
def source() -> Iterator[str]:
    with pg_database() as name:
        with pg_connect(name) as conn:
            conn.execute(SCHEMA.encode())
            for row in ROWS:
                conn.execute(
                    "INSERT INTO items (name, note, price, ratio, data, born, at, flag, tags, "
                    "doc, feeling, qty) VALUES "
                    "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)", row,
                )  # fmt: skip
            conn.execute("CALL bump(3)")
        yield name


@pytest.mark.parametrize("options", [[], ["--inserts"]], ids=["copy", "inserts"])
def test_pg_dump_round_trip(
    source: str, options: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dump = tmp_path / "dump.sql"
    run_tool([*pg_dump_argv(source), *options], dump)
    if "--inserts" in options:  # the COPY format holds no INSERT
        assert_inserts_read_alike(dump, "postgresql")
    with pg_database() as target:
        status = load(pg_url(target), dump)
        out, err = capsys.readouterr()
        assert (status, err) == (0, ""), out
        assert "rejected 0  pending 0  unknown 0" in out
        assert pg_fingerprint(target) == pg_fingerprint(source)


def test_a_bad_copy_row_rejects_its_block_at_its_line(
    source: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dump = tmp_path / "dump.sql"
    run_tool(pg_dump_argv(source), dump)
    lines = dump.read_text(encoding="utf-8").splitlines(keepends=True)
    copy = next(i for i, line in enumerate(lines) if line.startswith("COPY public.audit "))
    lines.insert(copy + 1, "x\tnot a number\n")  # the block's first row
    dump.write_text("".join(lines), encoding="utf-8")
    with pg_database() as target:
        assert load(pg_url(target), dump) == 1
        out, _ = capsys.readouterr()
        assert f"(line {copy + 2}): DataError" in out, out
        assert "stopped by DataError" in out
