"""Static typing test, run by mypy (``make typecheck``), never executed: naming rules,
registries, relation targets given by lambda or path, and the derived schemas type-check as
users write them."""

from __future__ import annotations

from typing import Any, ClassVar

import pydantic
from typing_extensions import assert_type

import twinsql
from twinsql.orm.naming import NamingRule

catalog = twinsql.Registry("catalog")


class Base(twinsql.Model):
    __abstract__: ClassVar[bool] = True
    __naming__ = twinsql.Naming(column="PascalCase", table=lambda name: name.lower())
    __registry__ = catalog


class Disc(Base):
    disc_id: int | None = twinsql.Field(default=None, primary_key=True)
    title: str

    songs: ClassVar[twinsql.HasMany[Song]] = twinsql.HasMany(lambda: Song)


class Song(Base):
    song_id: int | None = twinsql.Field(default=None, primary_key=True)
    disc_id: int

    disc: ClassVar[twinsql.BelongsTo[Disc]] = twinsql.BelongsTo("app.catalog.Disc")


def schemas() -> None:
    assert_type(Disc.create_schema(), type[pydantic.BaseModel])
    assert_type(Disc.read_schema(include=("songs",), exclude=("title",)), type[pydantic.BaseModel])
    assert_type(twinsql.Naming(column="snake_case").column, NamingRule | None)
    assert_type(catalog.get("Disc"), type[Any] | None)


def refused() -> None:
    # An unknown preset is a static error (the ignore would be reported unused otherwise).
    twinsql.Naming(column="pascal")  # type: ignore[arg-type]
