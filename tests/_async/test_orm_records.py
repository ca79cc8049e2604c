# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""Records that stay records, on every backend: a copy or an unpickled record of a loaded
row updates that row, an equal assignment sends nothing, the SQL log follows the logging
configuration (one placeholder style, parameters at DEBUG), and a model bound in the other
mode only says so."""

from __future__ import annotations

import copy
import logging
import pickle

import pytest

import twinsql
from tests.orm_models import User

_IS_ASYNC = True


def logged(caplog: pytest.LogCaptureFixture) -> list[tuple[int, str]]:
    return [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "twinsql.sql"]


def statements(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [message for level, message in logged(caplog) if level == logging.INFO]


async def test_copies_and_unpickled_records_update_their_row(orm_db: twinsql.AsyncDatabase) -> None:
    user = await User.async_create(name="Ada", email="ada@x.io", age=36)
    loaded = await User.async_find_or_fail(user.id)
    older = loaded.model_copy(update={"age": 37})
    older.name = "Ada L."
    await older.async_save()  # an UPDATE of that row, not an INSERT (no UniqueViolation)
    for twin in (copy.copy(loaded), copy.deepcopy(loaded), pickle.loads(pickle.dumps(loaded))):
        assert twin.is_persisted and twin.id == user.id
        twin.status = f"via {type(twin).__name__}"
        await twin.async_save()
    assert await User.query().async_count() == 1
    final = await User.async_find_or_fail(user.id)
    assert (final.name, final.age, final.status) == ("Ada L.", 37, "via User")


async def test_a_new_copy_is_built_from_the_values(orm_db: twinsql.AsyncDatabase) -> None:
    user = await User.async_create(name="Bo", email="bo@x.io", age=5)
    loaded = await User.async_find_or_fail(user.id)
    fresh = User(**loaded.model_dump(exclude={"id", "email"}), email="bo2@x.io")
    assert not fresh.is_persisted
    await fresh.async_save()
    assert fresh.id != user.id
    assert await User.query().select("email").order_by("id").async_rows() == [
        {"email": "bo@x.io"},
        {"email": "bo2@x.io"},
    ]


async def test_an_equal_assignment_sends_nothing(
    orm_db: twinsql.AsyncDatabase, caplog: pytest.LogCaptureFixture
) -> None:
    user = await User.async_create(name="Cy", email="cy@x.io", age=20, score=1.5)
    loaded = await User.async_find_or_fail(user.id)
    with caplog.at_level(logging.INFO, logger="twinsql.sql"):
        loaded.name = loaded.name
        loaded.age = 20
        loaded.score = 1.5
        await loaded.async_save()
    assert statements(caplog) == []
    with caplog.at_level(logging.INFO, logger="twinsql.sql"):
        loaded.age = 21
        await loaded.async_save()
    (update,) = statements(caplog)
    assert update.startswith("UPDATE") and "age" in update and "name" not in update
    assert (await User.async_find_or_fail(user.id)).age == 21


async def test_statements_are_logged_when_the_logger_is_enabled(
    url: str, caplog: pytest.LogCaptureFixture
) -> None:
    sql = "SELECT ? AS shown_value"
    async with twinsql.connect_async(url) as db:  # no echo: the logging configuration decides
        await db.execute_scalar("SELECT 1")  # connect first: only the statement is logged
        await db.execute(sql, ("not-logged",))
        assert logged(caplog) == []
        with caplog.at_level(logging.INFO, logger="twinsql.sql"):
            await db.execute(sql, ("info-sentinel",))
        assert logged(caplog) == [(logging.INFO, sql)]
        caplog.clear()
        with caplog.at_level(logging.DEBUG, logger="twinsql.sql"):
            await db.execute(sql, ("debug-sentinel",))
        assert logged(caplog) == [
            (logging.INFO, sql),
            (logging.DEBUG, "parameters: ('debug-sentinel')"),
        ]
    caplog.clear()
    async with twinsql.connect_async(url, hide_parameters=True) as db:
        await db.execute_scalar("SELECT 1")
        with caplog.at_level(logging.DEBUG, logger="twinsql.sql"):
            await db.execute(sql, ("hidden-sentinel",))
    assert logged(caplog) == [(logging.INFO, sql)]


async def test_bulk_inserts_are_logged_with_question_marks(
    orm_db: twinsql.AsyncDatabase, caplog: pytest.LogCaptureFixture
) -> None:
    rows = [{"name": f"b{i}", "email": f"b{i}@x.io"} for i in range(3)]
    with caplog.at_level(logging.INFO, logger="twinsql.sql"):
        assert await User.async_insert_many(rows) == 3
    q = orm_db.dialect.quote_identifier
    columns = ", ".join(q(c) for c in ("name", "email", "age", "status", "score"))
    inserts = [s for s in statements(caplog) if s.startswith("INSERT")]
    assert inserts == [
        f"INSERT INTO {q('orm_users')} ({columns}) VALUES (?, ?, ?, ?, ?) [merged: 3 rows]"
    ]


async def test_a_model_bound_in_the_other_mode_only_says_so(url: str) -> None:
    class Lone(twinsql.Model):
        __table_name__ = "orm_lone"
        id: int | None = None

    # The other mode's database (no I/O: nothing to close).
    other = getattr(twinsql, "connect" if _IS_ASYNC else "connect_async")(url)
    Lone.bind(other)
    with pytest.raises(twinsql.InterfaceError) as error:
        await Lone.async_find(1)
    expected = (
        "Lone is bound to a Database only: call its sync methods (Lone.find(...)), or bind an "
        "AsyncDatabase too: Lone.bind(db)"
        if _IS_ASYNC
        else "Lone is bound to an AsyncDatabase only: call its async methods "
        "(await Lone.async_find(...)), or bind a Database too: Lone.bind(db)"
    )
    assert str(error.value) == expected
