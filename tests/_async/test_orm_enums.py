# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""Enum fields on every backend: PostgreSQL stores a string-valued enum in its own enum
type (created by ``create_all``, dropped by ``drop_all``), MySQL in an inline ``ENUM``
column, SQLite as TEXT; members are bound as their values, filtered by value and read back
as the Python enum."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

import twinsql
from tests.enum_models import EnumBase, Priority, Status, Ticket
from twinsql.orm.bulk import COPY_MIN_ROWS


@pytest.fixture
async def edb(db: twinsql.AsyncDatabase) -> AsyncIterator[twinsql.AsyncDatabase]:
    await twinsql.drop_all_async(db, [Ticket])
    await twinsql.create_all_async(db, [Ticket])
    await twinsql.create_all_async(db, [Ticket])  # a second run finds the type and table
    EnumBase.bind(db)
    try:
        yield db
    finally:
        await twinsql.drop_all_async(db, [Ticket])


async def _pg_types(db: twinsql.AsyncDatabase) -> dict[str, list[str]]:
    rows = await db.execute(
        "SELECT t.typname AS name, e.enumlabel AS label FROM pg_type t "
        "JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace "
        "WHERE n.nspname = current_schema() AND t.typname LIKE 'en\\_tickets\\_%' "
        "ORDER BY t.typname, e.enumsortorder"
    )
    out: dict[str, list[str]] = {}
    for row in rows:
        out.setdefault(str(row["name"]), []).append(str(row["label"]))
    return out


async def test_enum_fields_round_trip_and_filter_by_value(edb: twinsql.AsyncDatabase) -> None:
    ticket = await Ticket.async_create(title="a", status=Status.HELD, priority=Priority.HIGH)
    await Ticket.async_create(title="b", previous=Status.CLOSED)
    assert ticket.id is not None
    found = await Ticket.async_find_or_fail(ticket.id)
    assert found.status is Status.HELD and found.previous is None
    assert found.priority is Priority.HIGH
    held = await Ticket.query().where(Ticket.c.status == Status.HELD.value).async_all()
    assert [t.title for t in held] == ["a"]
    some = Ticket.query().where(Ticket.c.status.in_([Status.OPEN.value, Status.CLOSED.value]))
    assert [t.title for t in await some.async_all()] == ["b"]
    found.status = Status.CLOSED
    await found.async_save()
    await Ticket.query().where(title="b").async_update(previous=Status.OPEN)
    rows = await Ticket.query().order_by("title").async_all()
    assert [(t.status, t.previous) for t in rows] == [
        (Status.CLOSED, None),
        (Status.OPEN, Status.OPEN),
    ]
    # What the server holds is the member's value, whatever the column type.
    q = edb.dialect.quote_identifier
    raw = await edb.execute(
        f"SELECT {q('status')} AS s FROM {q('en_tickets')} ORDER BY {q('title')}"
    )
    assert [str(r["s"]) for r in raw] == ["closed", "open"]


async def test_postgresql_enum_types_are_created_and_dropped(
    edb: twinsql.AsyncDatabase,
) -> None:
    if edb.dialect.name != "postgresql":
        pytest.skip("native enum types exist on PostgreSQL only")
    assert await _pg_types(edb) == {
        "en_tickets_previous": ["open", "closed", "on hold"],
        "en_tickets_status": ["open", "closed", "on hold"],
    }
    udt = await edb.execute(
        "SELECT column_name AS c, udt_name AS t FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND table_name = 'en_tickets' "
        "AND data_type = 'USER-DEFINED' ORDER BY column_name"
    )
    assert [(r["c"], r["t"]) for r in udt] == [
        ("previous", "en_tickets_previous"),
        ("status", "en_tickets_status"),
    ]
    await twinsql.drop_all_async(edb, [Ticket])
    assert await _pg_types(edb) == {}


async def test_many_rows_of_enum_values_go_in_by_the_bulk_path(edb: twinsql.AsyncDatabase) -> None:
    # From COPY_MIN_ROWS rows on, PostgreSQL drivers that can COPY do so.
    many = COPY_MIN_ROWS + 1
    rows = [
        {"title": f"t{i}", "status": Status.CLOSED, "previous": Status.HELD} for i in range(many)
    ]
    assert await Ticket.async_insert_many(rows) == many
    closed = Ticket.query().where(Ticket.c.status == "closed", Ticket.c.previous == "on hold")
    assert await closed.async_count() == many
    top = await Ticket.query().order_by("id").async_first()
    assert top is not None and (top.status, top.previous) == (Status.CLOSED, Status.HELD)


async def test_the_server_refuses_a_value_outside_the_enum(edb: twinsql.AsyncDatabase) -> None:
    if edb.dialect.name == "sqlite":
        pytest.skip("SQLite stores the value as TEXT; the model validates it")
    with pytest.raises(twinsql.DatabaseError):
        await edb.execute_non_query(
            "INSERT INTO en_tickets (title, status, priority) VALUES ('x', 'nope', 1)"
        )
    assert await Ticket.query().async_count() == 0


async def test_enum_members_filter_and_update_like_their_values(
    edb: twinsql.AsyncDatabase,
) -> None:
    await Ticket.async_create(title="a", status=Status.HELD)
    await Ticket.async_create(title="b", status=Status.CLOSED)
    await Ticket.async_create(title="c", status=Status.OPEN)
    held = Ticket.query().where(Ticket.c.status == Status.HELD)
    assert [t.title for t in await held.async_all()] == ["a"]
    by_name = Ticket.query().where(status=Status.CLOSED)
    assert [t.title for t in await by_name.async_all()] == ["b"]
    some = Ticket.query().where(Ticket.c.status.in_([Status.OPEN, Status.CLOSED]))
    assert sorted(t.title for t in await some.async_all()) == ["b", "c"]
    changed = await Ticket.query().where(Ticket.c.status == Status.OPEN).async_update(
        status=Status.HELD
    )
    assert changed == 1
    raw = await edb.execute(
        "SELECT title FROM en_tickets WHERE status = ? ORDER BY title", (Status.HELD.value,)
    )
    assert [r["title"] for r in raw] == ["a", "c"]
