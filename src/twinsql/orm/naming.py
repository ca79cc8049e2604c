"""ORM feature, pure: the names the ORM derives from a model's class and field names.

Naming rules (``Naming``)
-------------------------

A model, or a shared abstract base, says how its field names become column names and its
class name becomes a table name, with ``__naming__ = Naming(column=…, table=…)``. Each side
is a preset name or a callable ``str -> str``:

* ``"snake_case"``: ``albumId`` → ``album_id``, ``MediaType`` → ``media_type``;
* ``"PascalCase"``: ``album_id`` → ``AlbumId``, ``media_type`` → ``MediaType``;
* ``"camelCase"``: ``album_id`` → ``albumId``, ``MediaType`` → ``mediaType``;
* ``"as_is"``: the name unchanged.

The presets cut a name into words at underscores and at case changes (acronyms are one
word, as below), then join them. Left unset, columns keep the field names and tables follow
the plural rule below. ``Field(column=…)`` and ``__table_name__`` still win for one field or
one model.

Default table names
-------------------

A model without ``__table_name__`` gets the snake-case form of its class name with the last
word in the plural: ``User`` → ``users``, ``OrderItem`` → ``order_items``, ``HTTPRequest`` →
``http_requests``. A plural table is the convention of most schemas, and it keeps the common
nouns clear of reserved words (``user``, ``order``, ``group`` are reserved in SQL).

The rules, in order, on the last word:

* a run of capitals is one word (an acronym): ``HTTPRequest`` is ``http`` + ``request``;
* uncountable nouns stay as they are (``data``, ``news``, ``series``, ``metadata`` …);
* irregular nouns take their plural (``person`` → ``people``, ``child`` → ``children``,
  ``leaf`` → ``leaves`` …);
* ``-is`` becomes ``-es`` (``analysis`` → ``analyses``);
* ``-s``, ``-x``, ``-z``, ``-ch``, ``-sh`` take ``-es`` (``box`` → ``boxes``, ``address`` →
  ``addresses``, ``status`` → ``statuses``), except a word already in the plural: a final
  ``s`` after a consonant other than ``s`` (``Users``, ``Settings``) is kept;
* a consonant then ``y`` becomes ``-ies`` (``category`` → ``categories``);
* anything else takes ``-s``.

Anything the rules get wrong is one line away: ``__table_name__ = "…"``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from twinsql.errors import ArgumentError

__all__ = [
    "Naming",
    "NamingRule",
    "Preset",
    "apply_rule",
    "column_name",
    "default_table_name",
    "plural",
    "snake_case",
    "table_name",
]

Preset = Literal["snake_case", "PascalCase", "camelCase", "as_is"]
NamingRule = Preset | Callable[[str], str]

# A boundary before a capital that follows a lower-case letter or digit (``orderItem``), and
# before the last capital of a run that starts a new word (``HTTPRequest`` → ``HTTP|Request``).
_WORD_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")

_UNCOUNTABLE = frozenset(
    {
        "data",
        "equipment",
        "feedback",
        "fish",
        "hardware",
        "information",
        "media",
        "metadata",
        "money",
        "news",
        "series",
        "sheep",
        "software",
        "species",
        "staff",
    }
)

_IRREGULAR = {
    "calf": "calves",
    "child": "children",
    "criterion": "criteria",
    "datum": "data",
    "foot": "feet",
    "goose": "geese",
    "half": "halves",
    "index": "indices",
    "knife": "knives",
    "leaf": "leaves",
    "life": "lives",
    "man": "men",
    "matrix": "matrices",
    "medium": "media",
    "mouse": "mice",
    "ox": "oxen",
    "person": "people",
    "quiz": "quizzes",
    "self": "selves",
    "shelf": "shelves",
    "thief": "thieves",
    "tooth": "teeth",
    "vertex": "vertices",
    "wife": "wives",
    "wolf": "wolves",
    "woman": "women",
}


def snake_case(class_name: str) -> str:
    """``OrderItem`` → ``order_item``, ``HTTPRequest`` → ``http_request``, ``V2Item`` →
    ``v2_item``."""
    return _WORD_BOUNDARY.sub("_", class_name).lower()


def plural(word: str) -> str:
    """The plural of one lower-case English word, by the rules in this module's docstring."""
    if word in _UNCOUNTABLE:
        return word
    irregular = _IRREGULAR.get(word)
    if irregular is not None:
        return irregular
    if word.endswith("is") and len(word) > 2:
        return word[:-2] + "es"
    if word.endswith("s"):
        already_plural = len(word) > 1 and word[-2] not in "aeious"
        return word if already_plural else word + "es"
    if word.endswith(("x", "z", "ch", "sh")):
        return word + "es"
    if word.endswith("y") and len(word) > 1 and word[-2] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


def default_table_name(class_name: str) -> str:
    """The table of a model that names none: snake case, the last word in the plural."""
    head, _, last = snake_case(class_name).rpartition("_")
    return f"{head}_{plural(last)}" if head else plural(last)


def _words(name: str) -> list[str]:
    return [w for w in snake_case(name).split("_") if w]


def _pascal(name: str) -> str:
    return "".join(w[:1].upper() + w[1:] for w in _words(name))


def _camel(name: str) -> str:
    pascal = _pascal(name)
    return pascal[:1].lower() + pascal[1:]


def _snake(name: str) -> str:
    return "_".join(_words(name))


def _as_is(name: str) -> str:
    return name


_PRESETS: dict[str, Callable[[str], str]] = {
    "snake_case": _snake,
    "PascalCase": _pascal,
    "camelCase": _camel,
    "as_is": _as_is,
}


def _check_rule(rule: object, side: str) -> None:
    if rule is None or callable(rule):
        return
    if isinstance(rule, str) and rule in _PRESETS:
        return
    raise ArgumentError(
        f"Naming({side}={rule!r}): use one of {', '.join(map(repr, _PRESETS))} or a "
        "function from a name to a name"
    )


@dataclass(frozen=True)
class Naming:
    """How a model's field names map to column names (``column``) and its class name to a
    table name (``table``): a preset name or a callable ``str -> str``; ``None`` keeps the
    default (columns as the field names, tables by ``default_table_name``)."""

    column: NamingRule | None = None
    table: NamingRule | None = None

    def __post_init__(self) -> None:
        _check_rule(self.column, "column")
        _check_rule(self.table, "table")


def apply_rule(rule: NamingRule, name: str, what: str) -> str:
    """``name`` under ``rule``; a callable must return a non-empty str (``what`` names the
    result in the error)."""
    function = _PRESETS[rule] if isinstance(rule, str) else rule
    result = function(name)
    if not isinstance(result, str) or not result:
        raise ArgumentError(
            f"the naming rule {rule!r} gave {result!r} as the {what} for {name!r}; it must "
            "return a non-empty str"
        )
    return result


def column_name(naming: Naming | None, field_name: str) -> str:
    """The column of a field that names none itself."""
    if naming is None or naming.column is None:
        return field_name
    return apply_rule(naming.column, field_name, "column")


def table_name(naming: Naming | None, class_name: str) -> str:
    """The table of a model that names none itself."""
    if naming is None or naming.table is None:
        return default_table_name(class_name)
    return apply_rule(naming.table, class_name, "table")
