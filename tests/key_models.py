"""Models with composite keys, shared by the key tests of both modes (hand-written, not
generated): a playlist/track link table keyed by both ids, and invoice lines keyed by an
invoice number and a line number, with notes referring to a line by both columns."""

from __future__ import annotations

from typing import ClassVar

from twinsql import BelongsTo, Field, HasMany, ManyToMany, Model


class KeyBase(Model):
    __abstract__: ClassVar[bool] = True


class Playlist(KeyBase):
    __table_name__ = "key_playlists"
    id: int | None = None
    name: str = Field(max_length=100)

    tracks: ClassVar[ManyToMany[Track]] = ManyToMany(through="PlaylistTrack")
    links: ClassVar[HasMany[PlaylistTrack]] = HasMany(foreign_key="playlist_id")


class Track(KeyBase):
    __table_name__ = "key_tracks"
    id: int | None = None
    title: str = Field(max_length=100)


class PlaylistTrack(KeyBase):
    __table_name__ = "key_playlist_tracks"
    playlist_id: int = Field(primary_key=True)
    track_id: int = Field(primary_key=True)
    position: int = 0

    playlist: ClassVar[BelongsTo[Playlist]] = BelongsTo()
    track: ClassVar[BelongsTo[Track]] = BelongsTo()


class InvoiceLine(KeyBase):
    __table_name__ = "key_invoice_lines"
    invoice_no: str = Field(primary_key=True, max_length=20)
    line_no: int = Field(primary_key=True)
    sku: str = Field(max_length=40)

    notes: ClassVar[HasMany[LineNote]] = HasMany(foreign_key=("invoice_no", "line_no"))


class LineNote(KeyBase):
    __table_name__ = "key_line_notes"
    id: int | None = None
    invoice_no: str = Field(max_length=20)
    line_no: int
    text: str = Field(max_length=100)

    line: ClassVar[BelongsTo[InvoiceLine]] = BelongsTo(foreign_key=("invoice_no", "line_no"))


KEY_MODELS: list[type[Model]] = [Playlist, Track, PlaylistTrack, InvoiceLine, LineNote]
