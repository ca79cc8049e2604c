"""Pure tests of relation target resolution (``orm.registry``): per-module lookup, explicit
registries, lambdas, dotted paths, and the error for a name that is truly ambiguous."""

from __future__ import annotations

from typing import ClassVar

import pytest

import twinsql
from tests.model_sets import label, store
from twinsql.errors import ArgumentError


def target(model: type[twinsql.Model], relation: str) -> type[twinsql.Model]:
    return model.__twinsql__.relations[relation].target_model()  # type: ignore[no-any-return]


def test_each_module_resolves_its_own_models() -> None:
    assert target(store.Artist, "albums") is store.Album
    assert target(store.Album, "artist") is store.Artist


def test_a_registry_resolves_names_lambdas_and_dotted_paths() -> None:
    assert target(label.Artist, "albums") is label.Album  # a name, in the registry
    assert target(label.Artist, "singles") is label.Single  # a lambda
    assert target(label.Album, "artist") is label.Artist  # a dotted path
    assert target(label.Single, "artist") is label.Artist  # the annotation, in the registry
    assert [m.__name__ for m in label.LABEL] == ["Artist", "Album", "Single"]
    assert "Album" in label.LABEL and len(label.LABEL) == 3
    assert repr(label.LABEL) == "<twinsql.Registry 'label': 3 models>"


def test_a_name_found_in_several_model_sets_is_ambiguous() -> None:
    class Review(twinsql.Model):
        id: int | None = None
        artist_id: int = 0
        artist: ClassVar[twinsql.BelongsTo[twinsql.Model]] = twinsql.BelongsTo("Artist")

    with pytest.raises(ArgumentError) as info:
        target(Review, "artist")
    message = str(info.value)
    assert message.startswith("relation target 'Artist' of Review is ambiguous: ")
    assert "tests.model_sets.label.Artist" in message
    assert "tests.model_sets.store.Artist" in message
    assert "lambda: Artist" in message and "twinsql.Registry()" in message


def test_a_name_missing_from_the_registry_is_not_looked_up_elsewhere() -> None:
    registry = twinsql.Registry("reviews")

    class ReviewBase(twinsql.Model):
        __abstract__: ClassVar[bool] = True
        __registry__ = registry

    class Critic(ReviewBase):
        __table_name__ = "reg_critics"
        id: int | None = None
        artist_id: int = 0
        artist: ClassVar[twinsql.BelongsTo[twinsql.Model]] = twinsql.BelongsTo("Artist")

    with pytest.raises(ArgumentError) as info:
        target(Critic, "artist")
    assert str(info.value) == (
        "relation target 'Artist' of Critic: <twinsql.Registry 'reviews': 1 models> has no "
        "model named 'Artist' (it has: Critic); name a model of another registry by its "
        "class, a lambda or a dotted path"
    )


def test_one_scope_defined_twice_is_ambiguous_not_guessed() -> None:
    """A function run twice defines two ``Book`` classes of the same scope: a name cannot
    tell them apart, so it is refused rather than guessed."""

    def model_pair(tag: str) -> tuple[type[twinsql.Model], type[twinsql.Model]]:
        class Author(twinsql.Model):
            __table_name__ = f"scoped_authors_{tag}"
            id: int | None = None
            books: ClassVar[twinsql.HasMany[twinsql.Model]] = twinsql.HasMany("Book")

        class Book(twinsql.Model):
            __table_name__ = f"scoped_books_{tag}"
            id: int | None = None
            author_id: int = 0

        return Author, Book

    first, second = model_pair("a"), model_pair("b")
    with pytest.raises(ArgumentError, match="is ambiguous"):
        target(first[0], "books")
    assert first[1] is not second[1]


def test_a_scope_finds_its_own_model_over_another_scopes() -> None:
    class Writer(twinsql.Model):
        __table_name__ = "scope_writers"
        id: int | None = None
        notes: ClassVar[twinsql.HasMany[twinsql.Model]] = twinsql.HasMany("Note")

    class Note(twinsql.Model):
        __table_name__ = "scope_notes"
        id: int | None = None
        writer_id: int = 0

    assert target(Writer, "notes") is Note
    assert _other_note() is not Note


def _other_note() -> type[twinsql.Model]:
    class Note(twinsql.Model):
        __table_name__ = "scope_other_notes"
        id: int | None = None

    return Note


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("no_such_module_xyz.Album", "cannot import module 'no_such_module_xyz'"),
        ("tests.model_sets.store.Nope", "module 'tests.model_sets.store' has no 'Nope'"),
        ("tests.model_sets.store.StoreBase", "is not a model with a table"),
        (lambda: int, "is not a model with a table"),
        (3, "expected a model class, a lambda or a name"),
    ],
)
def test_bad_targets_are_explained(given: object, expected: str) -> None:
    class Holder(twinsql.Model):
        __table_name__ = "bad_target_holders"
        id: int | None = None
        thing_id: int = 0
        thing: ClassVar[twinsql.BelongsTo[twinsql.Model]] = twinsql.BelongsTo(given)  # type: ignore[arg-type]

    with pytest.raises(ArgumentError, match=expected.replace("(", r"\(")):
        target(Holder, "thing")


def test_a_registry_refuses_two_models_of_one_name() -> None:
    registry = twinsql.Registry()

    class Base(twinsql.Model):
        __abstract__: ClassVar[bool] = True
        __registry__ = registry

    class Song(Base):
        __table_name__ = "reg_songs"
        id: int | None = None

    with pytest.raises(ArgumentError, match="already has a model named 'Song'"):
        _another_song(Base)
    assert registry.get("Song") is Song


def _another_song(base: type[twinsql.Model]) -> type[twinsql.Model]:
    class Song(base):  # type: ignore[valid-type,misc]
        __table_name__ = "reg_other_songs"
        id: int | None = None

    return Song  # type: ignore[no-any-return]


def test_registry_must_be_a_registry() -> None:
    with pytest.raises(ArgumentError, match=r"__registry__ must be a twinsql.Registry\(\)"):

        class Wrong(twinsql.Model):
            __registry__ = "label"  # type: ignore[assignment]
            id: int | None = None


def test_a_many_to_many_takes_lambdas_for_target_and_link() -> None:
    class Room(twinsql.Model):
        __table_name__ = "m2m_rooms"
        id: int | None = None
        guests: ClassVar[twinsql.ManyToMany[twinsql.Model]] = twinsql.ManyToMany(
            lambda: Guest, through=lambda: Stay
        )

    class Guest(twinsql.Model):
        __table_name__ = "m2m_guests"
        id: int | None = None

    class Stay(twinsql.Model):
        __table_name__ = "m2m_stays"
        id: int | None = None
        room_id: int = 0
        guest_id: int = 0

    spec = Room.__twinsql__.relations["guests"].spec()
    assert spec.target.model is Guest
    assert spec.through is not None and spec.through.model is Stay
    assert (spec.through_owner_keys, spec.through_target_keys) == (("room_id",), ("guest_id",))
