"""ORM feature, pure: how two models are linked — which key on which side.

A ``RelationSpec`` is the resolved form of a relation declaration (``BelongsTo``, ``HasOne``,
``HasMany``, ``ManyToMany``): the owner and target models' metadata, the foreign key and the
key it refers to, and for a many-to-many relation the join model and its two keys. The
eager-load plan (``eager``), the link API (``links``) and the DDL (``ddl``) read it.

Every key is a tuple of fields, paired position by position with the fields it refers to:
one field for a simple key, several when the referenced key is composite
(``BelongsTo(foreign_key=("order_id", "line_no"))``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from twinsql.errors import InterfaceError
from twinsql.orm.meta import ModelInfo

__all__ = ["Kind", "RelationSpec", "key_getter"]

Kind = Literal["belongs_to", "has_one", "has_many", "many_to_many"]


@dataclass(frozen=True)
class RelationSpec:
    kind: Kind
    name: str
    owner: ModelInfo
    target: ModelInfo
    # belongs_to: owner fields holding the target's key; has_one/has_many: target fields
    # holding the owner's key; many_to_many: the through fields holding the owner's key.
    foreign_keys: tuple[str, ...]
    # The key on the other side: target fields (belongs_to) or owner fields (the others).
    keys: tuple[str, ...]
    through: ModelInfo | None = None
    through_owner_keys: tuple[str, ...] = ()  # through fields → owner ``keys``
    through_target_keys: tuple[str, ...] = ()  # through fields → target primary key
    target_keys: tuple[str, ...] = ()  # the target fields ``through_target_keys`` refer to

    @property
    def many(self) -> bool:
        return self.kind in ("has_many", "many_to_many")

    @property
    def foreign_key(self) -> str:
        """The one foreign key field of a single-column relation."""
        return _single(self, self.foreign_keys)

    @property
    def key(self) -> str:
        """The one referenced field of a single-column relation."""
        return _single(self, self.keys)


def _single(spec: RelationSpec, fields: tuple[str, ...]) -> str:
    if len(fields) != 1:
        raise InterfaceError(
            f"relation {spec.name} is keyed by several fields ({', '.join(fields)})"
        )
    return fields[0]


def key_getter(fields: Sequence[str]) -> Any:
    """A function giving a record's value of ``fields``: the value itself for one field, a
    tuple for several — or None when any of them is None (no related row)."""
    if len(fields) == 1:
        (name,) = fields
        return lambda record: record.__dict__.get(name)
    names = tuple(fields)

    def several(record: Any) -> tuple[Any, ...] | None:
        values = tuple(record.__dict__.get(n) for n in names)
        return None if any(v is None for v in values) else values

    return several
