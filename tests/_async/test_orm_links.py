# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""The link API of a many-to-many relation on every backend: add_links, remove_links and
set_links write exactly the join rows asked for (checked with hand-written SQL), keep a
loaded relation in step, and do no I/O beyond what they document."""

from __future__ import annotations

import logging

import pytest

import twinsql
from tests._async.key_seed import link_rows, seed
from tests.key_models import InvoiceLine, Playlist, PlaylistTrack, Track


def statements(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "twinsql.sql"]


async def test_add_links_inserts_one_row_per_target(keys_db: twinsql.AsyncDatabase) -> None:
    playlists, tracks = await seed(keys_db)
    empty = playlists[2]
    before = await link_rows(keys_db)
    added = await empty.async_add_links("tracks", tracks[3], tracks[1], values={"position": 7})
    assert added == 2
    after = await link_rows(keys_db)
    assert sorted(set(after) - set(before)) == sorted(
        [(empty.id, tracks[3].id, 7), (empty.id, tracks[1].id, 7)]
    )
    assert len(after) == len(before) + 2
    # Linking the same pair again is refused by the link table's key.
    with pytest.raises(twinsql.IntegrityError):
        await empty.async_add_links("tracks", tracks[3])
    assert await link_rows(keys_db) == after


async def test_remove_links_deletes_exactly_those_rows(keys_db: twinsql.AsyncDatabase) -> None:
    playlists, tracks = await seed(keys_db)
    rock = playlists[0]
    before = await link_rows(keys_db)
    removed = await rock.async_remove_links("tracks", tracks[1], tracks[3])
    # tracks[3] was never on this playlist: one row goes, and the jazz link to tracks[1] stays.
    assert removed == 1
    after = await link_rows(keys_db)
    assert after == [r for r in before if r[:2] != (rock.id, tracks[1].id)]
    assert (playlists[1].id, tracks[1].id, 1) in after


async def test_set_links_keeps_the_rows_that_stay(
    url: str, keys_db: twinsql.AsyncDatabase, caplog: pytest.LogCaptureFixture
) -> None:
    playlists, tracks = await seed(keys_db)
    rock = await Playlist.async_find_or_fail(playlists[0].id)
    # rock holds tracks 0, 1, 2 (positions 3, 1, 2); it becomes 2, 3.
    async with twinsql.connect_async(url, echo=True) as db:
        with caplog.at_level(logging.INFO, logger="twinsql.sql"):
            added, removed = await rock.async_set_links(
                "tracks", [tracks[2], tracks[3]], values={"position": 5}, using=db
            )
    assert (added, removed) == (1, 2)
    sent = statements(caplog)
    assert [s.split()[0] for s in sent if s.split()[0] in ("SELECT", "DELETE", "INSERT")] == [
        "SELECT",
        "DELETE",
        "INSERT",
    ], sent
    rows = await link_rows(keys_db)
    # The link that stays keeps its position; the new one gets the values given.
    assert [r for r in rows if r[0] == rock.id] == sorted(
        [(rock.id, tracks[2].id, 2), (rock.id, tracks[3].id, 5)]
    )
    assert (playlists[1].id, tracks[1].id, 1) in rows
    assert await rock.async_set_links("tracks", [tracks[2], tracks[3]]) == (0, 0)
    assert await rock.async_set_links("tracks", []) == (0, 2)
    assert [r for r in await link_rows(keys_db) if r[0] == rock.id] == []


async def test_a_loaded_relation_follows_the_links_written(
    keys_db: twinsql.AsyncDatabase,
) -> None:
    playlists, tracks = await seed(keys_db)
    jazz = await Playlist.query().with_("tracks").where(id=playlists[1].id).async_one()
    assert sorted(t.title for t in jazz.tracks) == ["t1", "t3"]
    await jazz.async_add_links("tracks", tracks[0])
    assert sorted(t.title for t in jazz.tracks) == ["t0", "t1", "t3"]
    await jazz.async_remove_links("tracks", tracks[1])
    assert sorted(t.title for t in jazz.tracks) == ["t0", "t3"]
    await jazz.async_set_links("tracks", [tracks[2], tracks[0]])
    assert [t.title for t in jazz.tracks] == ["t2", "t0"]
    # The same answer as reading the links again from the database.
    again = await Playlist.query().with_("tracks").where(id=playlists[1].id).async_one()
    assert sorted(t.title for t in again.tracks) == sorted(t.title for t in jazz.tracks)
    # A relation not loaded stays not loaded: writing links never reads it.
    rock = await Playlist.async_find_or_fail(playlists[0].id)
    await rock.async_add_links("tracks", tracks[3])
    with pytest.raises(twinsql.RelationNotLoaded):
        rock.tracks  # noqa: B018


async def test_links_refuse_bad_input_before_any_io(
    keys_db: twinsql.AsyncDatabase, caplog: pytest.LogCaptureFixture
) -> None:
    playlists, tracks = await seed(keys_db)
    rock = playlists[0]
    with caplog.at_level(logging.INFO, logger="twinsql.sql"):
        with pytest.raises(twinsql.ArgumentError) as kind:
            await rock.async_add_links("links", tracks[0])
        with pytest.raises(twinsql.ArgumentError) as unknown:
            await rock.async_add_links("songs", tracks[0])
        with pytest.raises(twinsql.ArgumentError) as wrong:
            await rock.async_add_links("tracks", playlists[1])
        with pytest.raises(twinsql.InterfaceError) as unsaved:
            await rock.async_add_links("tracks", Track(title="new"))
        with pytest.raises(twinsql.InterfaceError) as owner:
            await Playlist(name="new").async_add_links("tracks", tracks[0])
        with pytest.raises(twinsql.ArgumentError) as key_value:
            await rock.async_add_links("tracks", tracks[3], values={"track_id": 1})
    assert str(kind.value) == (
        "Playlist.links is a has_many relation: links are written for a ManyToMany relation "
        "only; set the foreign key field and save the record instead"
    )
    assert str(unknown.value) == "Playlist has no relation 'songs'; relations: tracks, links"
    assert str(wrong.value) == "Playlist.tracks links Track records, not Playlist"
    assert str(unsaved.value) == (
        "this Track is not saved: save it before linking it to Playlist.tracks"
    )
    assert str(owner.value) == "this Playlist is not saved: save it before linking tracks"
    assert str(key_value.value) == (
        "values= sets the other fields of the link rows, not the key field 'track_id'"
    )
    assert statements(caplog) == []
    assert await InvoiceLine.query().async_count() == 3  # the seed is untouched
    assert len(await PlaylistTrack.query().async_all()) == 5
