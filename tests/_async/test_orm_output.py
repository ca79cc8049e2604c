# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""Records as output on a real server: relations loaded by the query appear nested in
``model_dump``/JSON, exactly as the rows read back with raw SQL; unloaded ones never query."""

from __future__ import annotations

import decimal
import json
import logging

import pytest

import twinsql
from tests.naming_models import Album, Artist, Track


async def test_loaded_relations_are_in_the_output(
    url: str, sample_db: twinsql.AsyncDatabase, caplog: pytest.LogCaptureFixture
) -> None:
    artist = await Artist.async_create(name="AC/DC")
    album = await Album.async_create(title="Powerage", artist_id=artist.artist_id)
    await Track.async_insert_many(
        [{"name": n, "album_id": album.album_id, "milliseconds": i} for i, n in enumerate("ab")]
    )
    (loaded,) = await Artist.query().with_("albums.tracks").async_all()
    dumped = json.loads(loaded.model_dump_json())
    quote = sample_db.dialect.quote_identifier
    rows = await sample_db.execute(
        f"SELECT {quote('TrackId')}, {quote('Name')}, {quote('Milliseconds')}, "
        f"{quote('UnitPrice')} FROM {quote('Track')} ORDER BY {quote('TrackId')}"
    )
    assert [
        {k: t[k] for k in ("track_id", "name", "milliseconds")}
        for t in dumped["albums"][0]["tracks"]
    ] == [
        {"track_id": r["TrackId"], "name": r["Name"], "milliseconds": r["Milliseconds"]}
        for r in rows
    ]
    assert [decimal.Decimal(t["unit_price"]) for t in dumped["albums"][0]["tracks"]] == [
        decimal.Decimal("0.99")
    ] * 2
    assert dumped["name"] == "AC/DC" and dumped["albums"][0]["title"] == "Powerage"
    assert dumped["albums"][0]["version"] == 1
    # A record with nothing loaded dumps its fields only, and sends nothing.
    async with twinsql.connect_async(url, echo=True) as db:
        plain = await Album.query().async_one(using=db)
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="twinsql.sql"):
            out = plain.model_dump()
        assert [r for r in caplog.records if r.name == "twinsql.sql"] == []
    assert set(out) == {"version", "created_at", "updated_at", "album_id", "title", "artist_id"}
    # A loaded belongs-to is nested as an object; loaded on demand with load().
    await plain.async_load("artist")
    assert plain.model_dump()["artist"] == {"artist_id": artist.artist_id, "name": "AC/DC"}
