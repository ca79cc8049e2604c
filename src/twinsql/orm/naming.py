"""ORM feature, pure: the names the ORM derives from a model class's name.

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

__all__ = ["default_table_name", "plural", "snake_case"]

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
