# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""Model registries on a real server: two model sets that both have an ``Artist`` and an
``Album`` load their own relations, whichever way each names its targets."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

import twinsql
from tests.model_sets import label, store

MODELS: list[type[twinsql.Model]] = [
    store.Artist,
    store.Album,
    label.Artist,
    label.Album,
    label.Single,
]


@pytest.fixture
async def sets_db(url: str) -> AsyncIterator[twinsql.AsyncDatabase]:
    database = twinsql.connect_async(url, pool_size=2, max_overflow=2, pool_timeout=10)
    try:
        await twinsql.drop_all_async(database, MODELS)
        await twinsql.create_all_async(database, MODELS)
        store.StoreBase.bind(database)
        label.LabelBase.bind(database)
        yield database
    finally:
        await twinsql.drop_all_async(database, MODELS)
        await database.close()


async def test_two_model_sets_with_the_same_names(sets_db: twinsql.AsyncDatabase) -> None:
    shop = await store.Artist.async_create(name="in the store")
    signed = await label.Artist.async_create(name="on the label")
    assert shop.id is not None and signed.id is not None
    await store.Album.async_create(title="store album", artist_id=shop.id)
    await label.Album.async_create(title="label album", artist_id=signed.id)
    await label.Single.async_create(title="label single", artist_id=signed.id)

    (shop_loaded,) = await store.Artist.query().with_("albums").async_all()
    assert [type(a) for a in shop_loaded.albums] == [store.Album]
    assert [a.title for a in shop_loaded.albums] == ["store album"]

    (signed_loaded,) = await label.Artist.query().with_("albums", "singles").async_all()
    assert [(type(a), a.title) for a in signed_loaded.albums] == [(label.Album, "label album")]
    assert [(type(s), s.title) for s in signed_loaded.singles] == [
        (label.Single, "label single")
    ]

    album = await label.Album.query().with_("artist").async_one()
    assert type(album.artist) is label.Artist and album.artist.name == "on the label"
    single = await label.Single.query().with_("artist").async_one()
    assert type(single.artist) is label.Artist and single.artist.id == signed.id
    back = await store.Album.query().with_("artist").async_one()
    assert type(back.artist) is store.Artist and back.artist.name == "in the store"
