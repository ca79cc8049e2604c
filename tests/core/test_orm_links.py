"""Pure tests of twinsql.orm.links: the join rows the link API inserts, the DELETEs it
sends (golden text), and how a loaded relation follows."""

from __future__ import annotations

from typing import Any, ClassVar

import twinsql
from tests.key_models import Playlist, PlaylistTrack, Track
from twinsql.orm import eager, links
from twinsql.orm.state import hydrate, state_of
from twinsql.sql.dialects import MYSQL, POSTGRESQL


def loaded(model: type[Any], *rows: tuple[object, ...]) -> list[Any]:
    return hydrate(model.__twinsql__, list(rows), "sqlite")


def test_the_join_rows_of_one_owner() -> None:
    spec = links.many_to_many(Playlist, "tracks")
    assert spec.through is PlaylistTrack.__twinsql__
    (owner,) = loaded(Playlist, (7, "rock"))
    tracks = loaded(Track, (1, "a"), (2, "b"), (1, "a"))
    key = links.owner_key(spec, owner)
    keys = links.target_keys(spec, tracks)
    assert (key, keys) == ((7,), [1, 2])
    assert links.link_rows(spec, key, keys, {"position": 3}) == [
        {"playlist_id": 7, "track_id": 1, "position": 3},
        {"playlist_id": 7, "track_id": 2, "position": 3},
    ]


def test_the_deletes_name_the_owner_and_each_target() -> None:
    spec = links.many_to_many(Playlist, "tracks")
    assert links.delete_statements(spec, (7,), [1, 2, 3], 100, POSTGRESQL) == [
        (
            'DELETE FROM "key_playlist_tracks" WHERE "playlist_id" = ? AND "track_id" IN (?, ?, ?)',
            [7, 1, 2, 3],
        )
    ]
    # Under a limit of 3 parameters: the owner's plus two targets per statement.
    assert links.delete_statements(spec, (7,), [1, 2, 3], 3, MYSQL) == [
        ("DELETE FROM `key_playlist_tracks` WHERE `playlist_id` = ? AND `track_id` IN (?, ?)",
         [7, 1, 2]),
        ("DELETE FROM `key_playlist_tracks` WHERE `playlist_id` = ? AND `track_id` IN (?)",
         [7, 3]),
    ]  # fmt: skip
    assert links.delete_statements(spec, (7,), [], 100, MYSQL) == []


def test_a_loaded_relation_follows_and_an_unloaded_one_stays_unloaded() -> None:
    spec = links.many_to_many(Playlist, "tracks")
    owner, other = loaded(Playlist, (7, "rock"), (8, "jazz"))
    a, b, c = loaded(Track, (1, "a"), (2, "b"), (3, "c"))
    state_of(owner).relations["tracks"] = [a]
    links.after_add(owner, spec, [b, a, c])
    assert owner.tracks == [a, b, c]
    links.after_remove(owner, spec, [1, 3])
    assert owner.tracks == [b]
    links.after_set(owner, spec, [c, a, c])
    assert owner.tracks == [c, a]
    links.after_add(other, spec, [a])
    assert "tracks" not in state_of(other).relations


class CkSeat(twinsql.Model):
    __table_name__ = "ck_seats"
    hall: str = twinsql.Field(primary_key=True, max_length=5)
    number: int = twinsql.Field(primary_key=True)


class CkSeatBooking(twinsql.Model):
    __table_name__ = "ck_seat_bookings"
    ck_booking_id: int = twinsql.Field(primary_key=True)
    ck_seat_hall: str = twinsql.Field(primary_key=True, max_length=5)
    ck_seat_number: int = twinsql.Field(primary_key=True)


class CkBooking(twinsql.Model):
    __table_name__ = "ck_bookings"
    id: int | None = None

    seats: ClassVar[twinsql.ManyToMany[CkSeat]] = twinsql.ManyToMany(through="CkSeatBooking")


def test_a_target_with_a_composite_key_is_linked_by_each_key_field() -> None:
    spec = links.many_to_many(CkBooking, "seats")
    # The join model's fields default to <target>_<key field> for a composite target key.
    assert spec.through_target_keys == ("ck_seat_hall", "ck_seat_number")
    assert spec.target_keys == ("hall", "number")
    (booking,) = loaded(CkBooking, (4,))
    seats = loaded(CkSeat, ("A", 1), ("B", 2))
    keys = links.target_keys(spec, seats)
    assert keys == [("A", 1), ("B", 2)]
    assert links.link_rows(spec, (4,), keys, None) == [
        {"ck_booking_id": 4, "ck_seat_hall": "A", "ck_seat_number": 1},
        {"ck_booking_id": 4, "ck_seat_hall": "B", "ck_seat_number": 2},
    ]
    assert links.delete_statements(spec, (4,), keys, 100, POSTGRESQL) == [
        (
            'DELETE FROM "ck_seat_bookings" WHERE "ck_booking_id" = ? AND '
            '("ck_seat_hall", "ck_seat_number") IN ((?, ?), (?, ?))',
            [4, "A", 1, "B", 2],
        )
    ]
    # Eager loading attaches targets by both fields.
    joins = loaded(CkSeatBooking, (4, "B", 2), (4, "A", 1))
    eager.attach_through(spec, [booking], joins, seats)
    assert booking.seats == [seats[1], seats[0]]
