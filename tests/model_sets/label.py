"""A model set carrying its own registry, naming targets by class name, by a lambda and by a
dotted path."""

from __future__ import annotations

from typing import ClassVar

from twinsql import BelongsTo, Field, HasMany, Model, Registry

LABEL = Registry("label")


class LabelBase(Model):
    __abstract__: ClassVar[bool] = True
    __registry__ = LABEL


class Artist(LabelBase):
    __table_name__ = "label_artists"
    id: int | None = None
    name: str = Field(max_length=100)

    albums: ClassVar[HasMany[Album]] = HasMany("Album", foreign_key="artist_id")
    singles: ClassVar[HasMany[Single]] = HasMany(lambda: Single, foreign_key="artist_id")


class Album(LabelBase):
    __table_name__ = "label_albums"
    id: int | None = None
    title: str = Field(max_length=100)
    artist_id: int = Field(index=True)

    artist: ClassVar[BelongsTo[Artist]] = BelongsTo("tests.model_sets.label.Artist")


class Single(LabelBase):
    __table_name__ = "label_singles"
    id: int | None = None
    title: str = Field(max_length=100)
    artist_id: int = Field(index=True)

    artist: ClassVar[BelongsTo[Artist]] = BelongsTo()
