# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""The composite-key models' database for the key and link tests: fresh tables, and one
seed written with hand-written SQL."""

from __future__ import annotations

from collections.abc import AsyncIterator

import twinsql
from tests.key_models import KEY_MODELS, KeyBase, Playlist, Track


async def open_keys_db(url: str) -> AsyncIterator[twinsql.AsyncDatabase]:
    """A database with the composite-key models' tables freshly created and bound."""
    database = twinsql.connect_async(url, pool_size=4, max_overflow=4, pool_timeout=10)
    try:
        await twinsql.drop_all_async(database, KEY_MODELS)
        await twinsql.create_all_async(database, KEY_MODELS)
        KeyBase.bind(database)
        yield database
    finally:
        await database.close()


async def seed(db: twinsql.AsyncDatabase) -> tuple[list[Playlist], list[Track]]:
    """Two playlists sharing tracks (links written by hand-written SQL), and invoice lines
    keyed by (invoice_no, line_no) with notes."""
    playlists = [await Playlist.async_create(name=n) for n in ("rock", "jazz", "empty")]
    tracks = [await Track.async_create(title=f"t{i}") for i in range(4)]
    links = [(0, 0, 3), (0, 1, 1), (0, 2, 2), (1, 1, 1), (1, 3, 2)]
    for p, t, position in links:
        await db.execute(
            "INSERT INTO key_playlist_tracks (playlist_id, track_id, position) VALUES (?, ?, ?)",
            (playlists[p].id, tracks[t].id, position),
        )
    for invoice, line, sku in [("A-1", 1, "x"), ("A-1", 2, "y"), ("B-7", 1, "z")]:
        await db.execute(
            "INSERT INTO key_invoice_lines (invoice_no, line_no, sku) VALUES (?, ?, ?)",
            (invoice, line, sku),
        )
    for invoice, line, text in [("A-1", 1, "n1"), ("A-1", 1, "n2"), ("B-7", 1, "n3")]:
        await db.execute(
            "INSERT INTO key_line_notes (invoice_no, line_no, text) VALUES (?, ?, ?)",
            (invoice, line, text),
        )
    return playlists, tracks


async def link_rows(db: twinsql.AsyncDatabase) -> list[tuple[int, int, int]]:
    rows = await db.execute(
        "SELECT playlist_id, track_id, position FROM key_playlist_tracks "
        "ORDER BY playlist_id, track_id"
    )
    return [(r["playlist_id"], r["track_id"], r["position"]) for r in rows]


