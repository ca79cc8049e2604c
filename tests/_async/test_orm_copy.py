# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""Copying records between databases on every backend: a record remembers the database it
was read from; saving it to another one is refused with the fix named, and
save(force_insert=True) and insert_many copy it — checked with hand-written SQL on the
target (a separate SQLite file) and back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import twinsql
from tests._async.key_seed import link_rows, seed
from tests.key_models import KEY_MODELS, Playlist, PlaylistTrack, Track


@pytest.fixture
async def other(tmp_path: Path) -> AsyncIterator[twinsql.AsyncDatabase]:
    """A second database: a SQLite file of its own, with the same tables."""
    database = twinsql.connect_async(f"sqlite:///{tmp_path / 'copy.db'}")
    try:
        await twinsql.create_all_async(database, KEY_MODELS)
        yield database
    finally:
        await database.close()


async def titles(db: twinsql.AsyncDatabase) -> list[tuple[int, str]]:
    rows = await db.execute("SELECT id, title FROM key_tracks ORDER BY id")
    return [(r["id"], r["title"]) for r in rows]


async def test_saving_a_loaded_record_to_another_database_is_refused(
    keys_db: twinsql.AsyncDatabase, other: twinsql.AsyncDatabase
) -> None:
    await seed(keys_db)
    tracks = await Track.query().order_by("id").async_all()
    with pytest.raises(twinsql.InterfaceError) as refused:
        await tracks[0].async_save(using=other)
    assert str(refused.value) == (
        f"Track {tracks[0].id!r} was read from another database than {other.url.redacted()}: "
        "save() writes the row it was read from, never a row of another database. To copy "
        "the record there: save(using=..., force_insert=True), or "
        "Track.insert_many(records, using=...)"
    )
    with pytest.raises(twinsql.InterfaceError):
        await tracks[0].async_delete(using=other)
    assert await titles(other) == []
    assert len(await titles(keys_db)) == 4


async def test_force_insert_copies_records_key_included(
    keys_db: twinsql.AsyncDatabase, other: twinsql.AsyncDatabase
) -> None:
    await seed(keys_db)
    source = await titles(keys_db)
    tracks = await Track.query().order_by("id").async_all()
    for track in tracks:
        await track.async_save(using=other, force_insert=True)
    assert await titles(other) == source
    # The copies belong to the other database now: a change is saved there, and the
    # database they were read from is the one refused.
    tracks[1].title = "renamed"
    await tracks[1].async_save(using=other)
    assert await titles(other) == [
        (i, "renamed" if i == tracks[1].id else t) for i, t in source
    ]
    assert await titles(keys_db) == source
    with pytest.raises(twinsql.InterfaceError):
        await tracks[1].async_save()
    # A composite key is copied the same way (its playlist first: the link refers to it).
    playlist = await Playlist.query().order_by("id").async_first()
    assert playlist is not None
    await playlist.async_save(using=other, force_insert=True)
    link = await PlaylistTrack.async_find_or_fail(playlist_id=playlist.id, track_id=tracks[0].id)
    await link.async_save(using=other, force_insert=True)
    assert await link_rows(other) == [(link.playlist_id, link.track_id, link.position)]


async def test_insert_many_copies_loaded_records(
    keys_db: twinsql.AsyncDatabase, other: twinsql.AsyncDatabase
) -> None:
    await seed(keys_db)
    playlists = await Playlist.query().order_by("id").async_all()
    tracks = await Track.query().order_by("id").async_all()
    links = await PlaylistTrack.query().async_all()
    assert await Playlist.async_insert_many(playlists, using=other) == 3
    assert await Track.async_insert_many(tracks, using=other) == 4
    assert await PlaylistTrack.async_insert_many(links, using=other) == 5
    assert await link_rows(other) == await link_rows(keys_db)
    assert await titles(other) == await titles(keys_db)
    # The copied records are the other database's rows now.
    links[0].position = 77
    await links[0].async_save(using=other)
    changed = await other.fetch_one(
        "SELECT position FROM key_playlist_tracks WHERE playlist_id = ? AND track_id = ?",
        (links[0].playlist_id, links[0].track_id),
    )
    assert changed == {"position": 77}


async def test_a_second_database_object_on_the_same_url_is_the_same_database(
    url: str, keys_db: twinsql.AsyncDatabase
) -> None:
    await seed(keys_db)
    async with twinsql.connect_async(url) as again:
        track = await Track.query().order_by("id").async_first(using=again)
    assert track is not None
    track.title = "same database"
    await track.async_save()  # the bound database: the one it was read from
    assert (await titles(keys_db))[0] == (track.id, "same database")
