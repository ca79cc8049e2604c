"""Pure tests of twinsql.orm.state: a record's persistence state (new, loaded, dirty) and the
hydration of rows into models, per dialect."""

from __future__ import annotations

import datetime
import decimal
import enum

import pytest

import twinsql
from twinsql.errors import InvalidIdentifierError
from twinsql.orm.state import (
    LOADED,
    RecordState,
    hydrate,
    is_persisted,
    loaded_relations,
    mark_dirty,
    mark_saved,
    refresh_from_row,
    state_of,
)


class Mood(enum.Enum):
    CALM = "calm"
    ANGRY = "angry"


class Diary(twinsql.Model):
    __table_name__ = "state_diaries"
    id: int | None = None
    title: str
    mood: Mood = Mood.CALM
    price: decimal.Decimal | None = None
    written: datetime.date | None = None
    public: bool = False


INFO = Diary.__twinsql__


def test_a_new_record_is_not_persisted_and_tracks_nothing() -> None:
    diary = Diary(title="t")
    assert not is_persisted(diary)
    assert loaded_relations(diary) is None
    diary.title = "changed"
    assert diary.dirty_fields == frozenset()  # a new record is inserted whole
    state = state_of(diary)
    assert (state.persisted, state.dirty, state.relations) == (False, set(), {})
    assert state_of(diary) is state


def test_a_loaded_record_shares_the_marker_until_it_is_written() -> None:
    (diary,) = hydrate(INFO, [(1, "t", "calm", None, None, 0)], "postgresql")
    assert diary._tw_state is LOADED
    assert repr(LOADED) == "LOADED"
    assert is_persisted(diary)
    assert loaded_relations(diary) is None
    diary.title = "changed"
    assert isinstance(diary._tw_state, RecordState)
    assert diary.dirty_fields == {"title"}
    diary.public = True
    assert diary.dirty_fields == {"title", "public"}
    mark_saved(diary)
    assert diary.dirty_fields == frozenset() and is_persisted(diary)


def test_state_of_a_loaded_record_is_persisted_and_clean() -> None:
    (diary,) = hydrate(INFO, [(1, "t", "calm", None, None, 0)], "postgresql")
    state = state_of(diary)
    assert (state.persisted, state.dirty, state.relations) == (True, set(), {})
    assert loaded_relations(diary) == {}


def test_mark_dirty_by_state() -> None:
    fresh = Diary(title="t")
    mark_dirty(fresh, "title")
    assert fresh._tw_state is None  # still new: nothing recorded
    (loaded,) = hydrate(INFO, [(1, "t", "calm", None, None, 0)], "sqlite")
    mark_dirty(loaded, "mood")
    assert state_of(loaded).dirty == {"mood"} and state_of(loaded).persisted
    mark_dirty(loaded, "title")
    assert state_of(loaded).dirty == {"mood", "title"}


def test_mark_saved_makes_a_new_record_persisted() -> None:
    diary = Diary(title="t")
    mark_saved(diary)
    assert is_persisted(diary) and state_of(diary).dirty == set()


def test_hydrate_builds_exact_models_without_validation_per_dialect() -> None:
    rows = [
        (1, "first", "angry", "12.50", "2024-02-29", 1),
        (2, "second", "calm", None, None, 0),
    ]
    first, second = hydrate(INFO, rows, "sqlite")
    assert first == Diary(
        id=1,
        title="first",
        mood=Mood.ANGRY,
        price=decimal.Decimal("12.50"),
        written=datetime.date(2024, 2, 29),
        public=True,
    )
    assert second == Diary(id=2, title="second", mood=Mood.CALM, public=False)
    assert first.model_fields_set == set(INFO.fields)
    # PostgreSQL returns the types natively: only the enum is converted.
    (pg,) = hydrate(
        INFO,
        [(3, "pg", "calm", decimal.Decimal("1.5"), datetime.date(2024, 1, 1), True)],
        "postgresql",
    )
    assert pg == Diary(
        id=3,
        title="pg",
        mood=Mood.CALM,
        price=decimal.Decimal("1.5"),
        written=datetime.date(2024, 1, 1),
        public=True,
    )
    assert hydrate(INFO, [], "sqlite") == []


def test_hydrate_a_partial_select() -> None:
    (diary,) = hydrate(INFO, [("angry", 7)], "sqlite", ["mood", "id"])
    assert diary.__dict__ == {"mood": Mood.ANGRY, "id": 7}
    assert diary.model_fields_set == {"mood", "id"}
    # The columns of a whole record, in field order, are the plain path.
    (whole,) = hydrate(INFO, [(1, "t", "calm", None, None, 0)], "sqlite", list(INFO.fields))
    assert whole == Diary(id=1, title="t", public=False)


def test_hydrate_refuses_a_column_that_is_not_a_field() -> None:
    with pytest.raises(InvalidIdentifierError):
        hydrate(INFO, [(1,)], "sqlite", ["nope"])


def test_refresh_from_row_overwrites_every_field() -> None:
    diary = Diary(title="mine", public=False)
    refresh_from_row(INFO, diary, (9, "theirs", "angry", None, "2020-01-02", 1), "sqlite")
    assert diary == Diary(
        id=9, title="theirs", mood=Mood.ANGRY, written=datetime.date(2020, 1, 2), public=True
    )
    assert diary.model_fields_set == set(INFO.fields)
    diary.title = "again"  # the fields-set is a real set again: assignment works
    assert diary.title == "again"
