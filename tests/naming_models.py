"""Models on a schema named the way a well-known sample database names it: PascalCase
tables and columns, declared once on an abstract base (hand-written, used by both modes)."""

from __future__ import annotations

import decimal
from typing import ClassVar

from twinsql import (
    BelongsTo,
    Field,
    HasMany,
    ManyToMany,
    Model,
    Naming,
    OptimisticLockMixin,
    SoftDeleteMixin,
    TimestampsMixin,
)


class Sample(Model):
    __abstract__: ClassVar[bool] = True
    __naming__ = Naming(column="PascalCase", table="PascalCase")


class Artist(Sample):
    artist_id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)

    albums: ClassVar[HasMany[Album]] = HasMany(foreign_key="artist_id")


class Album(TimestampsMixin, OptimisticLockMixin, Sample):
    album_id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=160, unique=True)
    artist_id: int = Field(index=True)

    artist: ClassVar[BelongsTo[Artist]] = BelongsTo(foreign_key="artist_id")
    tracks: ClassVar[HasMany[Track]] = HasMany(foreign_key="album_id")


class Track(Sample):
    track_id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    album_id: int | None = Field(default=None, index=True)
    milliseconds: int = 0
    unit_price: decimal.Decimal = Field(
        default=decimal.Decimal("0.99"), max_digits=10, decimal_places=2
    )

    album: ClassVar[BelongsTo[Album]] = BelongsTo(foreign_key="album_id")


class Playlist(Sample):
    playlist_id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)

    tracks: ClassVar[ManyToMany[Track]] = ManyToMany(
        through="PlaylistEntry", owner_key="playlist_id", target_key="track_id"
    )


class PlaylistEntry(Sample):
    entry_id: int | None = Field(default=None, primary_key=True)
    playlist_id: int = Field(index=True)
    track_id: int = Field(index=True)


class Customer(SoftDeleteMixin, Sample):
    customer_id: int | None = Field(default=None, primary_key=True)
    first_name: str = Field(max_length=40)


SAMPLE_MODELS: list[type[Model]] = [Artist, Album, Track, Playlist, PlaylistEntry, Customer]
