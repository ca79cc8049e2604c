"""A sync call on a thread that runs an event loop would block the loop: the sync database
(and so every sync ORM method) refuses it, unless the database allows it. Sync only: the
refusal is the sync mode's; async code is what runs the loop."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

import twinsql
from tests import support
from tests.conftest import require_server

REFUSAL = (
    "was called on a thread that is running an event loop: the call would block the loop "
    "until the database answers. Use an AsyncDatabase there (models: the async_ methods, e.g. "
    "await User.async_find(...)), or move the call to a thread (asyncio.to_thread), or allow "
    "it: connect(url, allow_sync_in_event_loop=True)"
)


class Gadget(twinsql.Model):
    __table_name__ = "loop_gadgets"
    id: int | None = None
    name: str = ""


@pytest.fixture(params=support.backends(is_async=False))
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    require_server(request.param)
    return support.url_for(request.param, str(tmp_path / "test.db"))


@pytest.fixture
def db(url: str) -> Iterator[twinsql.Database]:
    database = twinsql.connect(url)
    try:
        twinsql.drop_all(database, [Gadget])
        twinsql.create_all(database, [Gadget])
        yield database
    finally:
        database.close()


def test_a_sync_call_inside_a_running_loop_is_refused(db: twinsql.Database) -> None:
    async def inside() -> None:
        with pytest.raises(twinsql.InterfaceError) as error:
            db.execute_scalar("SELECT 1")
        assert str(error.value) == f"{db!r} {REFUSAL}"
        with pytest.raises(twinsql.InterfaceError, match="would block the loop"):
            db.transaction().__enter__()

    asyncio.run(inside())
    assert db.execute_scalar("SELECT 1") == 1  # outside the loop: as always


def test_the_orm_refuses_it_too(db: twinsql.Database) -> None:
    Gadget.bind(db)
    Gadget.create(name="a")

    async def inside() -> None:
        with pytest.raises(twinsql.InterfaceError, match="would block the loop"):
            Gadget.find(1)
        with pytest.raises(twinsql.InterfaceError, match="would block the loop"):
            Gadget(name="b").save()
        # A worker thread runs no loop: the documented way out for one call.
        found = await asyncio.to_thread(Gadget.find, 1)
        assert found is not None and found.name == "a"

    asyncio.run(inside())
    assert Gadget.query().count() == 1


def test_a_database_may_allow_it(url: str) -> None:
    with twinsql.connect(url, allow_sync_in_event_loop=True) as db:

        async def inside() -> int:
            return int(db.execute_scalar("SELECT 2"))

        assert asyncio.run(inside()) == 2
    from_query = twinsql.connect(f"{url}{'&' if '?' in url else '?'}allow_sync_in_event_loop=1")
    assert from_query.options.allow_sync_in_event_loop is True
    from_query.close()
