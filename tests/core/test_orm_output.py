"""Pure tests of records as output (loaded relations in ``model_dump``/JSON) and of the
schemas derived from a model for requests and responses."""

from __future__ import annotations

import datetime
import decimal
import json
from typing import Any

import pydantic
import pytest

import twinsql
from tests.naming_models import Album, Artist, Track
from twinsql.errors import ArgumentError, RelationNotLoaded
from twinsql.orm.state import LOADED, state_of

AT = datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)


def loaded(record: Any, **relations: Any) -> Any:
    """A record as the database returns it, with ``relations`` loaded (no I/O)."""
    object.__setattr__(record, "_tw_state", LOADED)
    state_of(record).relations.update(relations)
    return record


def album_graph() -> tuple[Artist, Album, list[Track]]:
    artist = loaded(Artist(artist_id=1, name="AC/DC"))
    tracks = [
        loaded(Track(track_id=i, name=f"t{i}", album_id=10, unit_price=decimal.Decimal("0.99")))
        for i in (1, 2)
    ]
    album = Album(
        album_id=10, title="Powerage", artist_id=1, created_at=AT, updated_at=AT, version=1
    )
    loaded(album, tracks=tracks, artist=artist)
    return artist, album, tracks


TRACK_1 = {
    "track_id": 1,
    "name": "t1",
    "album_id": 10,
    "milliseconds": 0,
    "unit_price": decimal.Decimal("0.99"),
}
ALBUM_FIELDS = {
    "version": 1,
    "created_at": AT,
    "updated_at": AT,
    "album_id": 10,
    "title": "Powerage",
    "artist_id": 1,
}


def test_unloaded_relations_are_left_out() -> None:
    album = Album(
        album_id=10, title="Powerage", artist_id=1, created_at=AT, updated_at=AT, version=1
    )
    assert album.model_dump() == ALBUM_FIELDS
    loaded(album)
    assert album.model_dump() == ALBUM_FIELDS
    with pytest.raises(RelationNotLoaded):
        _ = album.tracks


def test_loaded_relations_are_dumped_nested() -> None:
    artist, album, _ = album_graph()
    dumped = album.model_dump()
    assert dumped == {
        **ALBUM_FIELDS,
        "tracks": [TRACK_1, {**TRACK_1, "track_id": 2, "name": "t2"}],
        "artist": {"artist_id": 1, "name": "AC/DC"},
    }
    as_json = json.loads(album.model_dump_json())
    assert as_json["tracks"][1] == {
        "track_id": 2,
        "name": "t2",
        "album_id": 10,
        "milliseconds": 0,
        "unit_price": "0.99",
    }
    assert as_json["created_at"] == "2024-01-02T03:04:05Z"
    # Recursively: the artist's albums hold the album's tracks.
    state_of(artist).relations["albums"] = [album]
    deep = artist.model_dump()
    assert deep["albums"][0]["tracks"][0] == TRACK_1


def test_a_belongs_to_loaded_as_none_is_dumped_as_none() -> None:
    track = loaded(Track(track_id=3, name="orphan"), album=None)
    assert track.model_dump()["album"] is None
    assert "album" not in track.model_dump(exclude_none=True)


def test_include_and_exclude_reach_relations() -> None:
    _, album, _ = album_graph()
    assert album.model_dump(include={"title", "artist"}) == {
        "title": "Powerage",
        "artist": {"artist_id": 1, "name": "AC/DC"},
    }
    assert "tracks" not in album.model_dump(exclude={"tracks"})
    trimmed = album.model_dump(include={"title": True, "tracks": {"__all__": {"name"}}})
    assert trimmed == {"title": "Powerage", "tracks": [{"name": "t1"}, {"name": "t2"}]}
    lean = album.model_dump(exclude={"tracks": {"unit_price", "milliseconds"}})
    assert lean["tracks"][0] == {"track_id": 1, "name": "t1", "album_id": 10}


def test_a_back_reference_is_cut() -> None:
    artist, album, _ = album_graph()
    state_of(artist).relations["albums"] = [album]
    dumped = album.model_dump()
    assert dumped["artist"] == {"artist_id": 1, "name": "AC/DC"}  # no "albums" back to album
    assert "artist" not in artist.model_dump()["albums"][0]


def test_the_json_schema_of_a_model_stays_its_fields() -> None:
    for mode in ("validation", "serialization"):
        schema = Track.model_json_schema(mode=mode)  # type: ignore[arg-type]
        assert list(schema["properties"]) == list(TRACK_1), mode


# -- create schema -----------------------------------------------------------------------------


def test_the_create_schema_leaves_server_filled_fields_out() -> None:
    create = Album.create_schema()
    assert create.__name__ == "AlbumCreate"
    assert list(create.model_fields) == ["title", "artist_id"]
    with pytest.raises(pydantic.ValidationError) as info:
        create.model_validate({"album_id": 424242, "title": "x", "artist_id": 1})
    assert [e["type"] for e in info.value.errors()] == ["extra_forbidden"]
    with pytest.raises(pydantic.ValidationError, match="at most 160 characters"):
        create(title="x" * 161, artist_id=1)
    body = create(title="Highway to Hell", artist_id=1)
    assert Album(**body.model_dump()).title == "Highway to Hell"
    assert Album.create_schema() is create
    assert list(Album.create_schema(exclude=("artist_id",)).model_fields) == ["title"]
    assert list(Track.create_schema().model_fields) == [
        "name",
        "album_id",
        "milliseconds",
        "unit_price",
    ]


class Ticket(twinsql.Model):
    """A natural key (required) and a field validator."""

    code: str = twinsql.Field(primary_key=True, max_length=8)
    seat: int
    issued: str | None = twinsql.Field(default=None, server_default=twinsql.sql_expression("now()"))

    @pydantic.field_validator("seat")
    @classmethod
    def positive(cls, value: int) -> int:
        if value <= 0:
            raise ValueError("a seat number is positive")
        return value


def test_a_required_key_stays_and_validators_carry_over() -> None:
    create = Ticket.create_schema()
    assert list(create.model_fields) == ["code", "seat"]
    with pytest.raises(pydantic.ValidationError, match="a seat number is positive"):
        create(code="A1", seat=0)
    assert create(code="A1", seat=3).model_dump() == {"code": "A1", "seat": 3}


def test_schema_arguments_are_checked() -> None:
    with pytest.raises(twinsql.InvalidIdentifierError, match="unknown field 'nope'"):
        Album.create_schema(exclude=("nope",))
    with pytest.raises(ArgumentError, match="has no relation 'nope'"):
        Album.read_schema(include=("nope",))
    with pytest.raises(ArgumentError, match="not a str"):
        Album.read_schema(include="tracks")


# -- read schema -------------------------------------------------------------------------------


def test_the_read_schema_holds_fields_and_chosen_relations() -> None:
    plain = Album.read_schema()
    assert plain.__name__ == "AlbumRead" and list(plain.model_fields) == list(ALBUM_FIELDS)
    full = Album.read_schema(include=("tracks", "artist"))
    assert full.__name__ == "AlbumReadWithArtistWithTracks"
    assert Album.read_schema(include=("artist", "tracks")) is full
    _, album, _ = album_graph()
    out = full.model_validate(album).model_dump()
    assert out == album.model_dump()
    assert plain.model_validate(album).model_dump() == ALBUM_FIELDS


def test_a_nested_path_and_a_relation_not_loaded() -> None:
    nested = Artist.read_schema(include=("albums.tracks",))
    assert nested.__name__ == "ArtistReadWithAlbumsWithAlbumsTracks"
    both = ("albums.tracks", "albums.artist")
    assert Artist.read_schema(include=both) is Artist.read_schema(include=both[::-1])
    artist, album, _ = album_graph()
    state_of(artist).relations["albums"] = [album]
    out = nested.model_validate(artist).model_dump()
    assert out["albums"][0]["tracks"][0] == TRACK_1
    assert "artist" not in out["albums"][0]  # not asked for
    lonely = loaded(Artist(artist_id=2, name="no albums loaded"))
    with pytest.raises(pydantic.ValidationError, match=r"Artist.albums is not loaded.*with_"):
        nested.model_validate(lonely)


def test_the_read_schema_in_json_schema() -> None:
    schema = Album.read_schema(include=("tracks",)).model_json_schema(mode="serialization")
    assert schema["properties"]["tracks"] == {
        "items": {"$ref": "#/$defs/TrackRead"},
        "title": "Tracks",
        "type": "array",
    }
    assert set(schema["required"]) == {*ALBUM_FIELDS, "tracks"}
    track = schema["$defs"]["TrackRead"]
    assert list(track["properties"]) == list(TRACK_1)
    assert track["properties"]["name"] == {"maxLength": 200, "title": "Name", "type": "string"}
