"""Schemas derived from a model, served by FastAPI (through httpx's ASGI transport) from
async endpoints and from sync ones (which FastAPI runs on worker threads): the create schema
refuses server-filled fields, a model as ``response_model`` returns its loaded relations,
and ``/openapi.json`` shows each schema as it is."""

# No ``from __future__ import annotations``: FastAPI reads the endpoints' annotations, which
# name schemas local to the test.

import decimal
from collections.abc import AsyncIterator
from typing import Any

import pytest

import twinsql
from tests.naming_models import SAMPLE_MODELS, Album, Artist, Sample, Track

fastapi = pytest.importorskip("fastapi")
httpx = pytest.importorskip("httpx")


@pytest.fixture
async def sample_db(url: str) -> AsyncIterator[twinsql.AsyncDatabase]:
    database = twinsql.connect_async(url, pool_size=2, max_overflow=2, pool_timeout=10)
    # The sync endpoints' database: the same server through its sync driver.
    sync_db = twinsql.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await twinsql.drop_all_async(database, SAMPLE_MODELS)
        await twinsql.create_all_async(database, SAMPLE_MODELS)
        Sample.bind(database)
        Sample.bind(sync_db)
        yield database
    finally:
        sync_db.close()
        await twinsql.drop_all_async(database, SAMPLE_MODELS)
        await database.close()


def async_app() -> Any:
    app = fastapi.FastAPI()
    create_body = Album.create_schema()
    with_tracks = Album.read_schema(include=("tracks",))

    @app.post("/albums", response_model=Album.read_schema(), status_code=201)
    async def create(body: create_body) -> Any:  # type: ignore[valid-type]
        return await Album.async_create(**body.model_dump())  # type: ignore[attr-defined]

    @app.get("/albums/{album_id}", response_model=Album)
    async def read(album_id: int) -> Any:
        return await Album.query().where(album_id=album_id).with_("tracks").async_one()

    @app.get("/albums/{album_id}/full", response_model=with_tracks)
    async def full(album_id: int) -> Any:
        return await Album.query().where(album_id=album_id).with_("tracks").async_one()

    return app


def sync_app() -> Any:
    app = fastapi.FastAPI()
    create_body = Album.create_schema()
    with_tracks = Album.read_schema(include=("tracks",))

    @app.post("/albums", response_model=Album.read_schema(), status_code=201)
    def create(body: create_body) -> Any:  # type: ignore[valid-type]
        return Album.create(**body.model_dump())  # type: ignore[attr-defined]

    @app.get("/albums/{album_id}", response_model=Album)
    def read(album_id: int) -> Any:
        return Album.query().where(album_id=album_id).with_("tracks").one()

    @app.get("/albums/{album_id}/full", response_model=with_tracks)
    def full(album_id: int) -> Any:
        return Album.query().where(album_id=album_id).with_("tracks").one()

    return app


@pytest.mark.parametrize("make_app", [async_app, sync_app], ids=["async", "sync"])
async def test_create_read_and_openapi(sample_db: twinsql.AsyncDatabase, make_app: Any) -> None:
    artist = await Artist.async_create(name="AC/DC")
    transport = httpx.ASGITransport(app=make_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        refused = await client.post(
            "/albums", json={"album_id": 424242, "title": "x", "artist_id": artist.artist_id}
        )
        assert refused.status_code == 422
        assert refused.json()["detail"][0]["type"] == "extra_forbidden"
        assert await Album.query().async_count() == 0

        created = await client.post(
            "/albums", json={"title": "Powerage", "artist_id": artist.artist_id}
        )
        assert created.status_code == 201, created.text
        body = created.json()
        album_id = body["album_id"]
        assert isinstance(album_id, int) and body["version"] == 1 and body["created_at"]
        await Track.async_insert_many(
            [{"name": n, "album_id": album_id, "milliseconds": i} for i, n in enumerate("xyz")]
        )
        quote = sample_db.dialect.quote_identifier
        rows = await sample_db.execute(
            f"SELECT {quote('TrackId')}, {quote('Name')}, {quote('UnitPrice')} FROM "
            f"{quote('Track')} WHERE {quote('AlbumId')} = ? ORDER BY {quote('TrackId')}",
            (album_id,),
        )
        expected = [(r["TrackId"], r["Name"], decimal.Decimal(str(r["UnitPrice"]))) for r in rows]
        assert len(expected) == 3
        for path in (f"/albums/{album_id}", f"/albums/{album_id}/full"):
            answer = await client.get(path)
            assert answer.status_code == 200, answer.text
            tracks = answer.json()["tracks"]
            got = [
                (t["track_id"], t["name"], decimal.Decimal(str(t["unit_price"]))) for t in tracks
            ]
            assert sorted(got) == expected, path
            assert answer.json()["title"] == "Powerage"

        schemas = (await client.get("/openapi.json")).json()["components"]["schemas"]
    create = schemas["AlbumCreate"]
    assert list(create["properties"]) == ["title", "artist_id"]
    assert create["required"] == ["title", "artist_id"]
    assert create["additionalProperties"] is False
    read = schemas["AlbumReadWithTracks"]
    assert read["properties"]["tracks"] == {
        "items": {"$ref": "#/components/schemas/TrackRead"},
        "title": "Tracks",
        "type": "array",
    }
    assert set(read["required"]) == {
        "version",
        "created_at",
        "updated_at",
        "album_id",
        "title",
        "artist_id",
        "tracks",
    }
    assert list(schemas["TrackRead"]["properties"]) == [
        "track_id",
        "name",
        "album_id",
        "milliseconds",
        "unit_price",
    ]
    assert "album_id" in schemas["AlbumRead"]["properties"]
