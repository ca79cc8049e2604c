"""Pure tests of a record's origin: the database it was read from or saved to, kept through
state changes and copies, compared by URL location, and the refusal to write a record into
another database."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

import twinsql
from tests.key_models import Track
from twinsql.errors import InterfaceError
from twinsql.orm import persist
from twinsql.orm.state import hydrate, is_persisted, mark_saved, origin_of, state_of


class FakeDatabase:
    """What origin_key reads of a database: its URL."""

    def __init__(self, url: str) -> None:
        self.url = twinsql.parse_url(url)


def test_the_origin_is_the_location_the_url_names(tmp_path: Path) -> None:
    a = FakeDatabase("postgresql://u:secret@db.example:5432/app")
    b = FakeDatabase("postgresql+asyncpg://other@db.example:5432/app?application_name=x")
    c = FakeDatabase("postgresql://u@db.example:5432/reports")
    expected = ("postgresql", "db.example", 5432, "app")
    assert persist.origin_key(a) == persist.origin_key(b) == expected
    assert persist.origin_key(c) != persist.origin_key(a)
    path = tmp_path / "x.db"
    assert persist.origin_key(FakeDatabase(f"sqlite:///{path}")) == ("sqlite", str(path))
    one, two = FakeDatabase("sqlite:///:memory:"), FakeDatabase("sqlite:///:memory:")
    assert persist.origin_key(one) != persist.origin_key(two)


def test_a_record_keeps_its_origin_through_changes_and_copies() -> None:
    (track,) = hydrate(Track.__twinsql__, [(1, "a")], "sqlite", origin=("here",))
    assert is_persisted(track) and origin_of(track) == ("here",)
    track.title = "b"
    assert state_of(track).dirty == {"title"} and origin_of(track) == ("here",)
    assert origin_of(copy.deepcopy(track)) == ("here",)
    mark_saved(track, ("there",))
    assert origin_of(track) == ("there",)
    assert origin_of(Track(title="new")) is None


def test_writing_into_another_database_is_refused() -> None:
    info = Track.__twinsql__
    here = FakeDatabase("mysql://root@127.0.0.1:3306/one")
    there = FakeDatabase("mysql://root:pw@127.0.0.1:3306/two")
    (track,) = hydrate(info, [(5, "a")], "mysql", origin=persist.origin_key(here))
    persist.check_origin(info, track, persist.origin_key(here), "save", here)
    with pytest.raises(InterfaceError) as error:
        persist.check_origin(info, track, persist.origin_key(there), "delete", there)
    assert str(error.value) == (
        "Track 5 was read from another database than mysql://root:***@127.0.0.1:3306/two: "
        "delete() writes the row it was read from, never a row of another database. To copy "
        "the record there: save(using=..., force_insert=True), or "
        "Track.insert_many(records, using=...)"
    )
    # A record of unknown origin (unpickled, or loaded before origins) is not refused.
    (unknown,) = hydrate(info, [(6, "b")], "mysql")
    persist.check_origin(info, unknown, persist.origin_key(there), "save", there)
