"""The model set of the migration tests at each step of a scripted evolution (hand-written,
shared by the pure and the integration tests of both modes).

``models_at(step)`` builds the classes as they are after ``step`` changes, each call in a
registry of its own, so several versions of the same models live side by side.
"""

from typing import Any, ClassVar

from twinsql import BelongsTo, Field, Model, Registry

STEPS = 15
# What each step changes (the migration file's subject).
CHANGES = {
    1: "authors table",
    2: "nullable email",
    3: "books table with a foreign key",
    4: "index on books.title",
    5: "NOT NULL age with a default",
    6: "rename authors.name to full_name",
    7: "unique email",
    8: "tags and a composite-key link table",
    9: "data migration (hand-written)",
    10: "nullable books.pages",
    11: "books.pages becomes NOT NULL (backfill)",
    12: "drop authors.age",
    13: "rename table tags to labels",
    14: "books.rating int to float",
    15: "drop the index on books.title, add a server default",
}


def models_at(step: int) -> list[type[Any]]:
    class Base(Model):
        __abstract__: ClassVar[bool] = True
        __registry__ = Registry(f"evolution-{step}")

    class Author(Base):
        __table_name__ = "ev_authors"
        id: int | None = None
        if step >= 6:
            full_name: str = Field(max_length=100, renamed_from="name")
        else:
            name: str = Field(max_length=100)
        if step >= 7:
            email: str | None = Field(None, unique=True, max_length=200)
        elif step >= 2:
            email: str | None = Field(None, max_length=200)  # type: ignore[no-redef]
        if 5 <= step < 12:
            age: int = 0
        if step >= 15:
            active: bool = Field(True, server_default=True)

    models: list[type[Any]] = [Author]
    if step < 3:
        return models

    class Book(Base):
        __table_name__ = "ev_books"
        id: int | None = None
        title: str = Field(max_length=150, index=4 <= step < 15)
        author_id: int
        if step >= 14:
            rating: float = 0.0
        else:
            rating: int = 0  # type: ignore[no-redef]
        if step >= 11:
            pages: int = 1
        elif step >= 10:
            pages: int | None = None  # type: ignore[no-redef]

        author: ClassVar[BelongsTo[Author]] = BelongsTo()

    models.append(Book)
    if step < 8:
        return models

    class Tag(Base):
        __table_name__ = "ev_labels" if step >= 13 else "ev_tags"
        if step >= 13:
            __renamed_from__ = "ev_tags"
        id: int | None = None
        label: str = Field(max_length=50)

    class BookTag(Base):
        __table_name__ = "ev_book_tags"
        book_id: int = Field(primary_key=True)
        tag_id: int = Field(primary_key=True)

        book: ClassVar[BelongsTo[Book]] = BelongsTo()
        tag: ClassVar[BelongsTo[Tag]] = BelongsTo()

    models.extend([Tag, BookTag])
    return models


def write_evolution(directory: str, upto: int = STEPS) -> list[str]:
    """Write the migration files of steps 1..``upto`` with ``make`` (step 9 by hand: a data
    migration); returns the migration names in order."""
    from twinsql.migrations import operations as ops
    from twinsql.migrations.commands import make_migration
    from twinsql.migrations.loader import load_graph, write_migration
    from twinsql.migrations.writer import render_migration

    names: list[str] = []
    for step in range(1, upto + 1):
        if step == 9:
            name = "0009_rate_books"
            data = ops.RunSQL(
                "UPDATE ev_books SET rating = 5 WHERE rating = 0",
                reverse_sql="UPDATE ev_books SET rating = 0 WHERE rating = 5",
            )
            heads = load_graph(directory).heads()
            write_migration(directory, name, render_migration(name, heads, [data]))
        else:
            path = make_migration(directory, models_at(step), allow_destructive=True)
            assert path is not None, f"step {step} made no migration"
            name = path.stem
        names.append(name)
    return names
