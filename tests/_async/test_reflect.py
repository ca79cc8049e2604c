# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""Reflection on every backend: a schema built with raw DDL (``tests.reflect_schema``) is
reflected, the source is imported and type-checked, and the models read and write the
database as raw SQL sees it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from mypy import api as mypy_api

import twinsql
from tests.reflect_schema import DDL, DROP_ORDER, SEED, TABLES, load_models


async def _build(db: twinsql.AsyncDatabase) -> None:
    quote = db.dialect.quote_identifier
    for table in DROP_ORDER:
        await db.execute(f"DROP TABLE IF EXISTS {quote(table)}")
    for statement in DDL[db.dialect.name]:
        await db.execute(statement)
    for table, columns, rows in SEED:
        names = ", ".join(quote(c) for c in columns)
        marks = ", ".join("?" for _ in columns)
        for row in rows:
            await db.execute(f"INSERT INTO {quote(table)} ({names}) VALUES ({marks})", row)
        if db.dialect.name == "postgresql" and table != "RfPlaylistTrack":
            # Explicit keys leave a sequence behind: move it past them.
            key = columns[0]
            await db.execute(
                f"SELECT setval(pg_get_serial_sequence('{quote(table)}', '{key}'), "
                f"(SELECT MAX({quote(key)}) FROM {quote(table)}))"
            )


@pytest.fixture
async def reflected(
    db: twinsql.AsyncDatabase, tmp_path: Path
) -> AsyncIterator[tuple[ModuleType, str]]:
    await _build(db)
    source = await twinsql.reflect_async(db, tables=TABLES)
    models = load_models(source, tmp_path)
    for name in ("RfArtist", "RfAlbum", "RfEmployee", "RfTrack", "RfPlaylist",
                 "RfPlaylistTrack", "RfLinkNote", "RfSetting"):  # fmt: skip
        getattr(models, name).bind(db)
    try:
        yield models, source
    finally:
        for table in DROP_ORDER:
            await db.execute(f"DROP TABLE IF EXISTS {db.dialect.quote_identifier(table)}")


def _decimal(value: Any) -> Decimal:
    # SQLite keeps a NUMERIC(10, 2) as a REAL: compare at the column's scale.
    return Decimal(str(value)).quantize(Decimal("0.01"))


async def test_the_reflected_source_type_checks(
    reflected: tuple[ModuleType, str], tmp_path: Path
) -> None:
    m, source = reflected
    # PascalCase tables and columns: one rule on a shared base instead of a name per field.
    assert "    __naming__ = Naming(column='PascalCase', table='PascalCase')\n" in source
    assert m.RfAlbum.__twinsql__.table.column("artist_id") == "ArtistId"
    assert "__table_name__ = 'rf_settings'" in source and "column='Title'" not in source
    path = tmp_path / "reflected_models.py"
    path.write_text(source)
    out, _, status = mypy_api.run(["--strict", "--no-error-summary", str(path)])
    assert (status, out) == (0, "")


async def test_reads_match_raw_sql(
    reflected: tuple[ModuleType, str], db: twinsql.AsyncDatabase
) -> None:
    m, _ = reflected
    albums = await m.RfAlbum.query().order_by("album_id").with_("artist", "rf_tracks").async_all()
    raw = await db.execute(
        'SELECT a."AlbumId", a."Title", a."Price", a."Released", r."Name" '
        'FROM "RfAlbum" a JOIN "RfArtist" r ON r."ArtistId" = a."ArtistId" ORDER BY a."AlbumId"'
        if db.dialect.name != "mysql"
        else "SELECT a.`AlbumId`, a.`Title`, a.`Price`, a.`Released`, r.`Name` "
        "FROM `RfAlbum` a JOIN `RfArtist` r ON r.`ArtistId` = a.`ArtistId` ORDER BY a.`AlbumId`"
    )
    assert [(a.album_id, a.title, a.price, a.released, a.artist.name) for a in albums] == [
        (r["AlbumId"], r["Title"], _decimal(r["Price"]),
         None if r["Released"] is None else date.fromisoformat(str(r["Released"])), r["Name"])
        for r in raw
    ]  # fmt: skip
    tracks = await db.execute(
        'SELECT "AlbumId", "TrackId" FROM "RfTrack" ORDER BY "TrackId"'.replace(
            '"', "`" if db.dialect.name == "mysql" else '"'
        )
    )
    for album in albums:
        expected = [t["TrackId"] for t in tracks if t["AlbumId"] == album.album_id]
        assert sorted(t.track_id for t in album.rf_tracks) == expected

    # The self-reference, both ways.
    people = await m.RfEmployee.query().order_by("employee_id").with_(
        "reports_to_rf_employee", "rf_employees"
    ).async_all()
    assert [
        (p.last_name, p.reports_to_rf_employee and p.reports_to_rf_employee.last_name,
         sorted(r.last_name for r in p.rf_employees), p.active)
        for p in people
    ] == [
        ("Adams", None, ["Edwards"], True),
        ("Edwards", "Adams", ["Park", "Peacock"], True),
        ("Peacock", "Edwards", [], False),
        ("Park", "Edwards", [], True),
    ]  # fmt: skip

    # Many-to-many through the two-column link table, against the link rows.
    links = await db.execute(
        'SELECT "PlaylistId", "TrackId" FROM "RfPlaylistTrack"'.replace(
            '"', "`" if db.dialect.name == "mysql" else '"'
        )
    )
    playlists = await m.RfPlaylist.query().order_by("playlist_id").with_("rf_tracks").async_all()
    assert {p.playlist_id: sorted(t.track_id for t in p.rf_tracks) for p in playlists} == {
        pid: sorted(r["TrackId"] for r in links if r["PlaylistId"] == pid) for pid in (1, 2, 3)
    }
    track = await m.RfTrack.query().where(track_id=3).with_("rf_playlists", "album").async_one()
    assert sorted(p.name for p in track.rf_playlists) == ["Movies", "Music"]
    assert track.album.title == "Let There Be Rock"
    assert await m.RfPlaylistTrack.async_find((1, 2)) is not None
    assert await m.RfPlaylistTrack.async_find((3, 1)) is None

    # A foreign key of two columns, both ways.
    notes = await db.execute(
        'SELECT "PlaylistId", "TrackId", "Text" FROM "RfLinkNote"'.replace(
            '"', "`" if db.dialect.name == "mysql" else '"'
        )
    )
    linked = await m.RfPlaylistTrack.query().order_by("playlist_id", "track_id").with_(
        "rf_link_notes"
    ).async_all()
    by_link = {
        (k.playlist_id, k.track_id): sorted(n.text for n in k.rf_link_notes) for k in linked
    }
    raw_by_link: dict[tuple[int, int], list[str]] = {
        (r["PlaylistId"], r["TrackId"]): [] for r in links
    }
    for n in notes:
        raw_by_link[(n["PlaylistId"], n["TrackId"])].append(n["Text"])
    assert by_link == {key: sorted(texts) for key, texts in raw_by_link.items()}
    assert by_link[(1, 1)] == ["loud", "opener"]
    note = await m.RfLinkNote.query().where(text="score").with_("rf_playlist_track").async_one()
    assert (note.rf_playlist_track.playlist_id, note.rf_playlist_track.track_id) == (2, 3)


async def test_writes_match_raw_sql(
    reflected: tuple[ModuleType, str], db: twinsql.AsyncDatabase
) -> None:
    m, _ = reflected
    q = db.dialect.quote_identifier

    artist = await m.RfArtist.async_create(name="Alice in Chains")
    album = await m.RfAlbum.async_create(title="Facelift", artist_id=artist.artist_id)
    rows = await db.execute(
        f"SELECT {q('Title')}, {q('Price')}, {q('ArtistId')} FROM {q('RfAlbum')} "
        f"WHERE {q('AlbumId')} = ?",
        (album.album_id,),
    )
    # The server default filled the price; the key came back.
    assert [(r["Title"], _decimal(r["Price"]), r["ArtistId"]) for r in rows] == [
        ("Facelift", Decimal("9.99"), artist.artist_id)
    ]
    assert album.album_id == 4

    album.released = date(1990, 8, 27)
    await album.async_save()
    raw = await db.execute(
        f"SELECT {q('Released')} FROM {q('RfAlbum')} WHERE {q('AlbumId')} = 4"
    )
    assert str(raw[0]["Released"]) == "1990-08-27"

    # A link of the composite-key table: only that row goes.
    link = await m.RfPlaylistTrack.async_find((1, 2))
    await link.async_delete()
    await m.RfPlaylistTrack.async_create(playlist_id=3, track_id=4)
    links = await db.execute(
        f"SELECT {q('PlaylistId')}, {q('TrackId')} FROM {q('RfPlaylistTrack')} "
        f"ORDER BY {q('PlaylistId')}, {q('TrackId')}"
    )
    assert [(r["PlaylistId"], r["TrackId"]) for r in links] == [
        (1, 1), (1, 3), (2, 3), (2, 4), (3, 4)
    ]  # fmt: skip

    boss = await m.RfEmployee.async_find(2)
    hire = await m.RfEmployee.async_create(
        last_name="Mitchell", reports_to=boss.employee_id, active=False
    )
    raw = await db.execute(
        f"SELECT {q('ReportsTo')}, {q('Active')} FROM {q('RfEmployee')} "
        f"WHERE {q('EmployeeId')} = ?",
        (hire.employee_id,),
    )
    assert [(r["ReportsTo"], bool(r["Active"])) for r in raw] == [(2, False)]

    setting = m.RfSetting()
    if db.dialect.name != "sqlite":
        setting.data = {"theme": "dark", "sizes": [1, 2]}
    await setting.async_save()
    raw = await db.execute(f"SELECT * FROM {q('rf_settings')} WHERE id = ?", (setting.id,))
    assert raw[0]["label"] == "none" and raw[0]["created_at"] is not None
    if db.dialect.name != "sqlite":
        stored = raw[0]["data"]
        assert (json.loads(stored) if isinstance(stored, str) else stored) == {
            "theme": "dark", "sizes": [1, 2]
        }  # fmt: skip
        again = await m.RfSetting.async_find(setting.id)
        assert again.data == {"theme": "dark", "sizes": [1, 2]}

    await m.RfTrack.query().where(m.RfTrack.c.album_id == None).async_delete()  # noqa: E711
    count = await db.execute(f"SELECT COUNT(*) AS n FROM {q('RfTrack')}")
    assert count[0]["n"] == 4
