# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""Naming rules on a real server: models on a PascalCase schema use field names in every
builder and the database holds the PascalCase columns, checked with raw SQL."""

from __future__ import annotations

import decimal
from typing import Any

import twinsql
from tests.naming_models import Album, Artist, Customer, Playlist, PlaylistEntry, Track


async def raw(db: twinsql.AsyncDatabase, sql: str, *params: Any) -> list[dict[str, Any]]:
    """Raw SQL with ``[Name]`` standing for a quoted physical identifier."""
    quote = db.dialect.quote_identifier
    parts = sql.split("[")
    text = parts[0] + "".join(quote(p.split("]", 1)[0]) + p.split("]", 1)[1] for p in parts[1:])
    return await db.execute(text, params)


async def seed(db: twinsql.AsyncDatabase) -> tuple[Artist, Album, Album]:
    artist = await Artist.async_create(name="AC/DC")
    assert artist.artist_id is not None
    loud = await Album.async_create(title="Let There Be Rock", artist_id=artist.artist_id)
    quiet = await Album.async_create(title="Powerage", artist_id=artist.artist_id)
    await Track.async_insert_many(
        [
            {"name": f"t{i}", "album_id": loud.album_id, "milliseconds": 1000 * i}
            for i in range(1, 4)
        ]
        + [{"name": "solo", "album_id": quiet.album_id, "unit_price": decimal.Decimal("1.99")}]
    )
    return artist, loud, quiet


async def test_the_schema_has_the_physical_names(sample_db: twinsql.AsyncDatabase) -> None:
    artist, loud, _ = await seed(sample_db)
    rows = await raw(
        sample_db,
        "SELECT [AlbumId], [Title], [ArtistId], [Version] FROM [Album] WHERE [Title] = ?",
        "Let There Be Rock",
    )
    assert rows == [
        {
            "AlbumId": loud.album_id,
            "Title": "Let There Be Rock",
            "ArtistId": artist.artist_id,
            "Version": 1,
        }
    ]
    names = await raw(
        sample_db, "SELECT [Name], [UnitPrice] FROM [Track] ORDER BY [Milliseconds], [Name]"
    )
    assert [(r["Name"], decimal.Decimal(str(r["UnitPrice"]))) for r in names] == [
        ("solo", decimal.Decimal("1.99")),
        ("t1", decimal.Decimal("0.99")),
        ("t2", decimal.Decimal("0.99")),
        ("t3", decimal.Decimal("0.99")),
    ]


async def test_find_save_refresh_delete(sample_db: twinsql.AsyncDatabase) -> None:
    _, loud, _ = await seed(sample_db)
    found = await Album.async_find(loud.album_id)
    assert found is not None and found.title == "Let There Be Rock" and found.version == 1
    found.title = "Let There Be Rock (Live)"
    await found.async_save()
    assert found.version == 2
    (row,) = await raw(
        sample_db, "SELECT [Title], [Version] FROM [Album] WHERE [AlbumId] = ?", loud.album_id
    )
    assert row == {"Title": "Let There Be Rock (Live)", "Version": 2}
    await raw(sample_db, "UPDATE [Album] SET [Title] = ? WHERE [AlbumId] = ?", "X", loud.album_id)
    await loud.async_refresh()
    assert loud.title == "X"
    track = await Track.query().where(name="solo").async_one()
    await track.async_delete()
    assert await raw(sample_db, "SELECT [TrackId] FROM [Track] WHERE [Name] = ?", "solo") == []


async def test_query_builders_take_field_names(sample_db: twinsql.AsyncDatabase) -> None:
    _, loud, quiet = await seed(sample_db)
    tracks = await (
        Track.query()
        .where(Track.c.milliseconds >= 2000, album_id=loud.album_id)
        .order_by("-milliseconds")
        .async_all()
    )
    assert [t.name for t in tracks] == ["t3", "t2"]
    # A raw condition is SQL: it names the physical column.
    quote = sample_db.dialect.quote_identifier
    cheap = await Track.query().where(f"{quote('UnitPrice')} < ?", 1).order_by("name").async_all()
    assert [t.name for t in cheap] == ["t1", "t2", "t3"]
    assert await Track.query().where(album_id=quiet.album_id).async_count() == 1
    assert await Track.query().async_sum("milliseconds") == 6000
    assert await Track.query().async_max("unit_price") == decimal.Decimal("1.99")
    assert await Track.query().async_min("milliseconds") == 0
    groups = await (
        Track.query()
        .group_by("album_id")
        .order_by("album_id")
        .async_aggregate(n=twinsql.Count("track_id"), longest=twinsql.Max("milliseconds"))
    )
    # Grouped output is keyed by field name, whatever the column is called.
    assert groups == [
        {"album_id": loud.album_id, "n": 3, "longest": 3000},
        {"album_id": quiet.album_id, "n": 1, "longest": 0},
    ]
    page = await Track.query().order_by("track_id").async_paginate(2, 3)
    assert [t.name for t in page.items] == ["solo"] and page.total == 4
    seen = [t.name async for t in Track.query().async_iterate(batch_size=2)]
    assert sorted(seen) == ["solo", "t1", "t2", "t3"]


async def test_update_and_delete_by_query(sample_db: twinsql.AsyncDatabase) -> None:
    _, loud, _ = await seed(sample_db)
    changed = await Track.query().where(album_id=loud.album_id).async_update(milliseconds=7)
    assert changed == 3
    rows = await raw(
        sample_db, "SELECT [Milliseconds] FROM [Track] WHERE [AlbumId] = ?", loud.album_id
    )
    assert [r["Milliseconds"] for r in rows] == [7, 7, 7]
    assert await Track.query().where(Track.c.milliseconds == 7).async_delete() == 3
    assert len(await raw(sample_db, "SELECT [TrackId] FROM [Track]")) == 1


async def test_upsert_on_a_unique_field(sample_db: twinsql.AsyncDatabase) -> None:
    artist, loud, _ = await seed(sample_db)
    await (
        Album.query()
        .on_conflict("title")
        .do_update("artist_id")
        .async_insert_many([{"title": "Powerage", "artist_id": artist.artist_id}])
    )
    other = await Artist.async_create(name="Rose Tattoo")
    await (
        Album.query()
        .on_conflict("title")
        .do_update("artist_id")
        .async_insert_many([{"title": loud.title, "artist_id": other.artist_id}])
    )
    rows = await raw(sample_db, "SELECT [Title], [ArtistId] FROM [Album] ORDER BY [Title]")
    assert rows == [
        {"Title": "Let There Be Rock", "ArtistId": other.artist_id},
        {"Title": "Powerage", "ArtistId": artist.artist_id},
    ]


async def test_eager_loading_on_every_relation_kind(sample_db: twinsql.AsyncDatabase) -> None:
    artist, loud, quiet = await seed(sample_db)
    (loaded,) = await Artist.query().with_("albums.tracks").async_all()
    assert [a.title for a in sorted(loaded.albums, key=lambda a: a.title)] == [
        "Let There Be Rock",
        "Powerage",
    ]
    assert sorted(len(a.tracks) for a in loaded.albums) == [1, 3]
    track = await Track.query().where(name="solo").with_("album.artist").async_one()
    assert track.album is not None and track.album.album_id == quiet.album_id
    assert track.album.artist is not None and track.album.artist.name == artist.name
    playlist = await Playlist.async_create(name="Rock")
    t1 = await Track.query().where(name="t1").async_one()
    await PlaylistEntry.async_create(playlist_id=playlist.playlist_id, track_id=t1.track_id)
    (again,) = await Playlist.query().with_("tracks").async_all()
    assert [t.name for t in again.tracks] == ["t1"]
    await loud.async_load("tracks")
    assert len(loud.tracks) == 3


async def test_joins_subqueries_having_and_find_one(sample_db: twinsql.AsyncDatabase) -> None:
    artist, loud, quiet = await seed(sample_db)
    other = await Artist.async_create(name="Rose Tattoo")
    await Album.async_create(title="Rock 'n' Roll Outlaw", artist_id=other.artist_id)
    with_tracks = Album.query().where(Album.c.album_id.in_(Track.query().select("album_id")))
    assert sorted(a.title for a in await with_tracks.async_all()) == [loud.title, quiet.title]
    joined = await (
        Artist.query()
        .join(Album, Album.c.artist_id == Artist.c.artist_id)
        .join(Track, Track.c.album_id == Album.c.album_id)
        .where(Track.c.unit_price > 1)
        .distinct()
        .async_all()
    )
    assert [a.name for a in joined] == [artist.name]
    busy = await (
        Track.query()
        .group_by("album_id")
        .having(twinsql.Count("track_id") > 1)
        .async_aggregate(n=twinsql.Count("track_id"))
    )
    assert busy == [{"album_id": loud.album_id, "n": 3}]
    found = await Album.async_find_one(title="Powerage")
    assert found is not None and found.album_id == quiet.album_id
    everyone = Artist.query().left_join(Album, Album.c.artist_id == Artist.c.artist_id)
    assert len(await everyone.async_all()) == 3
    if sample_db.dialect.capabilities.returning_update_delete:
        changed = await (
            Track.query()
            .where(Track.c.milliseconds > 2000)
            .returning("track_id", "milliseconds")
            .async_update(milliseconds=1)
        )
        (t3,) = await raw(sample_db, "SELECT [TrackId] FROM [Track] WHERE [Name] = ?", "t3")
        assert changed == [{"track_id": t3["TrackId"], "milliseconds": 1}]


async def test_soft_delete_on_a_mapped_column(sample_db: twinsql.AsyncDatabase) -> None:
    kept = await Customer.async_create(first_name="Luís")
    gone = await Customer.async_create(first_name="Leonie")
    await gone.async_delete()
    assert [c.first_name for c in await Customer.query().async_all()] == ["Luís"]
    assert [c.customer_id for c in await Customer.query().only_deleted().async_all()] == [
        gone.customer_id
    ]
    rows = await raw(sample_db, "SELECT [CustomerId] FROM [Customer] WHERE [DeletedAt] IS NULL")
    assert rows == [{"CustomerId": kept.customer_id}]
