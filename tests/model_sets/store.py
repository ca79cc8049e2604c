"""A model set whose relations find their targets by name in this module (no registry)."""

from __future__ import annotations

from typing import ClassVar

from twinsql import BelongsTo, Field, HasMany, Model


class StoreBase(Model):
    __abstract__: ClassVar[bool] = True


class Artist(StoreBase):
    __table_name__ = "store_artists"
    id: int | None = None
    name: str = Field(max_length=100)

    albums: ClassVar[HasMany[Album]] = HasMany(foreign_key="artist_id")


class Album(StoreBase):
    __table_name__ = "store_albums"
    id: int | None = None
    title: str = Field(max_length=100)
    artist_id: int = Field(index=True)

    artist: ClassVar[BelongsTo[Artist]] = BelongsTo()
