"""ORM feature, pure: how two models are linked — which key on which side.

A ``RelationSpec`` is the resolved form of a relation declaration (``BelongsTo``, ``HasOne``,
``HasMany``, ``ManyToMany``): the owner and target models' metadata, the foreign key and the
key it refers to, and for a many-to-many relation the join model and its two keys. The
eager-load plan (``eager``) and the DDL (``ddl``) read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from twinsql.orm.meta import ModelInfo

__all__ = ["Kind", "RelationSpec"]

Kind = Literal["belongs_to", "has_one", "has_many", "many_to_many"]


@dataclass(frozen=True)
class RelationSpec:
    kind: Kind
    name: str
    owner: ModelInfo
    target: ModelInfo
    # belongs_to: owner field holding the target's key; has_one/has_many: target field
    # holding the owner's key.
    foreign_key: str
    # The key on the other side: target pk (belongs_to) or owner pk (has_*).
    key: str
    through: ModelInfo | None = None
    through_owner_key: str | None = None  # through field → owner pk
    through_target_key: str | None = None  # through field → target pk

    @property
    def many(self) -> bool:
        return self.kind in ("has_many", "many_to_many")
