# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""Composite primary keys on every backend: find, save, delete, refresh, relations keyed by
several columns, eager loading, bulk inserts, upserts and keyset iteration — each answer
compared with hand-written SQL on the same database."""

from __future__ import annotations

import logging

import pytest

import twinsql
from tests._async.key_seed import link_rows, seed
from tests.key_models import InvoiceLine, LineNote, Playlist, PlaylistTrack


def statements(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "twinsql.sql"]


async def test_the_table_has_a_primary_key_of_both_columns(
    keys_db: twinsql.AsyncDatabase,
) -> None:
    playlists, tracks = await seed(keys_db)
    # The same pair twice is refused by the database; another pair is not.
    with pytest.raises(twinsql.IntegrityError):
        await keys_db.execute(
            "INSERT INTO key_playlist_tracks (playlist_id, track_id, position) VALUES (?, ?, 0)",
            (playlists[0].id, tracks[0].id),
        )
    await keys_db.execute(
        "INSERT INTO key_playlist_tracks (playlist_id, track_id, position) VALUES (?, ?, 0)",
        (playlists[2].id, tracks[0].id),
    )
    assert len(await link_rows(keys_db)) == 6


async def test_find_by_a_tuple_or_by_field_names(keys_db: twinsql.AsyncDatabase) -> None:
    playlists, tracks = await seed(keys_db)
    pid, tid = playlists[0].id, tracks[2].id
    raw = await keys_db.fetch_one(
        "SELECT position FROM key_playlist_tracks WHERE playlist_id = ? AND track_id = ?",
        (pid, tid),
    )
    assert raw is not None
    by_tuple = await PlaylistTrack.async_find((pid, tid))
    by_name = await PlaylistTrack.async_find(track_id=tid, playlist_id=pid)
    assert by_tuple is not None and by_name is not None
    assert by_tuple == by_name
    assert (by_tuple.playlist_id, by_tuple.track_id, by_tuple.position) == (
        pid,
        tid,
        raw["position"],
    )
    assert await PlaylistTrack.async_find((playlists[1].id, tracks[0].id)) is None
    with pytest.raises(twinsql.RecordNotFound) as missing:
        await PlaylistTrack.async_find_or_fail(playlist_id=playlists[1].id, track_id=tracks[0].id)
    assert str(missing.value) == (
        f"no PlaylistTrack with primary key playlist_id={playlists[1].id!r}, "
        f"track_id={tracks[0].id!r}"
    )
    line = await InvoiceLine.async_find_or_fail(("A-1", 2))
    assert line.sku == "y"


async def test_a_wrong_key_shape_is_refused_before_any_io(
    keys_db: twinsql.AsyncDatabase, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="twinsql.sql"):
        with pytest.raises(twinsql.ArgumentError) as one:
            await PlaylistTrack.async_find(1)
        with pytest.raises(twinsql.ArgumentError) as partial:
            await PlaylistTrack.async_find(playlist_id=1)
        with pytest.raises(twinsql.ArgumentError) as both:
            await PlaylistTrack.async_find((1, 2), track_id=2)
    assert str(one.value) == (
        "PlaylistTrack has a composite primary key (playlist_id, track_id): pass a tuple of 2 "
        "values or the fields by name, not 1"
    )
    assert str(partial.value) == (
        "PlaylistTrack is found by its key fields playlist_id, track_id; got playlist_id"
    )
    assert str(both.value) == (
        "PlaylistTrack: give the key either positionally or by field name, not both"
    )
    assert statements(caplog) == []


async def test_save_updates_exactly_one_link_row(keys_db: twinsql.AsyncDatabase) -> None:
    playlists, tracks = await seed(keys_db)
    before = await link_rows(keys_db)
    link = await PlaylistTrack.async_find_or_fail((playlists[0].id, tracks[1].id))
    link.position = 9
    await link.async_save()
    after = await link_rows(keys_db)
    changed = [(b, a) for b, a in zip(before, after, strict=True) if b != a]
    assert changed == [((playlists[0].id, tracks[1].id, 1), (playlists[0].id, tracks[1].id, 9))]


async def test_delete_deletes_exactly_one_link_row(keys_db: twinsql.AsyncDatabase) -> None:
    playlists, tracks = await seed(keys_db)
    before = await link_rows(keys_db)
    link = await PlaylistTrack.async_find_or_fail((playlists[0].id, tracks[1].id))
    await link.async_delete()
    after = await link_rows(keys_db)
    assert after == [r for r in before if r[:2] != (playlists[0].id, tracks[1].id)]
    assert len(after) == len(before) - 1


async def test_insert_refresh_and_a_changed_key(keys_db: twinsql.AsyncDatabase) -> None:
    playlists, tracks = await seed(keys_db)
    link = await PlaylistTrack.async_create(
        playlist_id=playlists[2].id, track_id=tracks[3].id, position=4
    )
    assert link.is_persisted
    assert (playlists[2].id, tracks[3].id, 4) in await link_rows(keys_db)
    await keys_db.execute(
        "UPDATE key_playlist_tracks SET position = 8 WHERE playlist_id = ? AND track_id = ?",
        (playlists[2].id, tracks[3].id),
    )
    await link.async_refresh()
    assert link.position == 8
    # A key field of a saved record cannot be moved by save(): it would name another row.
    link.track_id = tracks[0].id  # type: ignore[assignment]
    with pytest.raises(twinsql.ArgumentError) as moved:
        await link.async_save()
    assert str(moved.value).startswith(
        "PlaylistTrack: the key field track_id of a saved record was changed"
    )
    # A composite key is never generated: an unset field is refused before the INSERT.
    with pytest.raises(twinsql.ArgumentError) as unset:
        await InvoiceLine.model_construct(invoice_no="C-1", sku="q").async_save()
    assert str(unset.value) == (
        "InvoiceLine is keyed by invoice_no, line_no: set line_no before saving"
    )


async def test_relations_over_two_columns(
    url: str, keys_db: twinsql.AsyncDatabase, caplog: pytest.LogCaptureFixture
) -> None:
    await seed(keys_db)
    raw = await keys_db.execute(
        "SELECT l.invoice_no, l.line_no, n.text FROM key_invoice_lines l "
        "LEFT JOIN key_line_notes n ON n.invoice_no = l.invoice_no AND n.line_no = l.line_no "
        "ORDER BY l.invoice_no, l.line_no, n.id"
    )
    expected: dict[tuple[str, int], list[str]] = {}
    for row in raw:
        texts = expected.setdefault((row["invoice_no"], row["line_no"]), [])
        if row["text"] is not None:
            texts.append(row["text"])
    async with twinsql.connect_async(url, echo=True) as db:
        with caplog.at_level(logging.INFO, logger="twinsql.sql"):
            lines = await (
                InvoiceLine.query()
                .with_(("notes", lambda q: q.order_by("id")))
                .order_by("invoice_no", "line_no")
                .async_all(using=db)
            )
            notes = await LineNote.query().with_("line").order_by("id").async_all(using=db)
    assert len(statements(caplog)) == 4, statements(caplog)
    assert {(ln.invoice_no, ln.line_no): [n.text for n in ln.notes] for ln in lines} == expected
    assert [(n.text, n.line.invoice_no, n.line.line_no, n.line.sku) for n in notes] == [  # type: ignore[union-attr]
        ("n1", "A-1", 1, "x"),
        ("n2", "A-1", 1, "x"),
        ("n3", "B-7", 1, "z"),
    ]
    # load() on one record follows the same two-column key.
    line = await InvoiceLine.async_find_or_fail(("B-7", 1))
    await line.async_load("notes")
    assert [n.text for n in line.notes] == ["n3"]


async def test_many_to_many_through_a_composite_key_link_table(
    keys_db: twinsql.AsyncDatabase,
) -> None:
    playlists, _ = await seed(keys_db)
    raw = await keys_db.execute(
        "SELECT p.id AS pid, t.title FROM key_playlists p "
        "JOIN key_playlist_tracks pt ON pt.playlist_id = p.id "
        "JOIN key_tracks t ON t.id = pt.track_id ORDER BY p.id, t.title"
    )
    expected: dict[int, list[str]] = {p.id: [] for p in playlists}  # type: ignore[misc]
    for row in raw:
        expected[row["pid"]].append(row["title"])
    loaded = await Playlist.query().with_("tracks", "links.track").order_by("id").async_all()
    assert {p.id: sorted(t.title for t in p.tracks) for p in loaded} == expected
    assert {p.id: sorted(link.track.title for link in p.links) for p in loaded} == expected  # type: ignore[union-attr]


async def test_many_composite_keys_load_in_few_statements(
    url: str, keys_db: twinsql.AsyncDatabase, caplog: pytest.LogCaptureFixture
) -> None:
    count = 1200
    await InvoiceLine.async_insert_many(
        [{"invoice_no": f"I-{i // 10}", "line_no": i % 10, "sku": f"s{i}"} for i in range(count)]
    )
    await LineNote.async_insert_many(
        [
            {"invoice_no": f"I-{i // 10}", "line_no": i % 10, "text": f"n{i}"}
            for i in range(0, count, 3)
        ]
    )
    raw = await keys_db.execute(
        "SELECT l.sku, n.text FROM key_invoice_lines l "
        "JOIN key_line_notes n ON n.invoice_no = l.invoice_no AND n.line_no = l.line_no"
    )
    async with twinsql.connect_async(url, echo=True) as db:
        with caplog.at_level(logging.INFO, logger="twinsql.sql"):
            lines = await InvoiceLine.query().with_("notes").async_all(using=db)
    # Where keys are matched by ORs (SQLite), at most 500 keys per statement: 1 + 3.
    per_statement = 500 if not db.dialect.capabilities.row_value_in else count
    assert len(statements(caplog)) == 1 + -(-count // per_statement)
    assert sorted((ln.sku, n.text) for ln in lines for n in ln.notes) == sorted(
        (r["sku"], r["text"]) for r in raw
    )
    assert len(raw) == count // 3


async def test_a_limit_per_parent_over_a_composite_key(keys_db: twinsql.AsyncDatabase) -> None:
    await seed(keys_db)
    lines = await (
        InvoiceLine.query()
        .with_(("notes", lambda q: q.order_by("-id").limit(1)))
        .order_by("invoice_no", "line_no")
        .async_all()
    )
    assert [[n.text for n in ln.notes] for ln in lines] == [["n2"], [], ["n3"]]


async def test_insert_many_and_upsert_on_the_composite_key(
    keys_db: twinsql.AsyncDatabase,
) -> None:
    playlists, tracks = await seed(keys_db)
    pid = playlists[2].id
    assert pid is not None
    inserted = await PlaylistTrack.async_insert_many(
        [PlaylistTrack(playlist_id=pid, track_id=t.id, position=i) for i, t in enumerate(tracks)]  # type: ignore[arg-type]
    )
    assert inserted == 4
    upsert = PlaylistTrack.query().on_conflict("playlist_id", "track_id")
    count = await upsert.do_update("position").async_insert_many(
        [
            {"playlist_id": pid, "track_id": tracks[0].id, "position": 40},
            {"playlist_id": playlists[1].id, "track_id": tracks[0].id, "position": 41},
        ]
    )
    assert count == 2
    ignored = await upsert.do_nothing().async_insert_many(
        [{"playlist_id": pid, "track_id": tracks[1].id, "position": 99}]
    )
    # MySQL cannot tell a skipped row from an inserted one (the documented upsert count).
    assert ignored == (1 if keys_db.dialect.capabilities.upsert == "on_duplicate_key" else 0)
    rows = await link_rows(keys_db)
    assert [r for r in rows if r[0] == pid] == [
        (pid, tracks[0].id, 40),
        (pid, tracks[1].id, 1),
        (pid, tracks[2].id, 2),
        (pid, tracks[3].id, 3),
    ]
    assert (playlists[1].id, tracks[0].id, 41) in rows


async def test_iterate_follows_every_key_column(keys_db: twinsql.AsyncDatabase) -> None:
    playlists, tracks = await seed(keys_db)
    for t in tracks:
        await PlaylistTrack.async_create(playlist_id=playlists[2].id, track_id=t.id, position=0)
    raw = [r[:2] for r in await link_rows(keys_db)]
    for size in (1, 2, 3, 100):
        seen = [
            (pt.playlist_id, pt.track_id) async for pt in PlaylistTrack.query().async_iterate(size)
        ]
        assert seen == raw
    filtered = [
        (pt.playlist_id, pt.track_id)
        async for pt in PlaylistTrack.query().where(position=0).async_iterate(2)
    ]
    assert filtered == [(playlists[2].id, t.id) for t in tracks]
