"""Core layer (pure): relation metadata and the select-in loading plan.

A ``RelationSpec`` says how two models are linked (which key on which side). The eager-load
planner turns ``with_("orders", "orders.items")`` into a tree; the I/O shell then runs one
query per relation per level — ``WHERE user_id IN (…)``, the key list chunked under the
backend's parameter limit — and attaches the results. Attribute access never queries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from twinsql.orm.meta import ModelInfo

__all__ = ["LoadNode", "RelationSpec", "build_load_tree", "chunks"]

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


@dataclass
class LoadNode:
    """One relation to load on a set of records, with the relations to load below it."""

    name: str
    refine: Any = None
    children: dict[str, LoadNode] | None = None


def build_load_tree(paths: Sequence[tuple[tuple[str, ...], Any]]) -> dict[str, LoadNode]:
    """Merge dotted paths into a tree; a refine function applies to its last segment."""
    root: dict[str, LoadNode] = {}
    for path, refine in paths:
        level = root
        for depth, name in enumerate(path):
            node = level.get(name)
            if node is None:
                node = level[name] = LoadNode(name)
            if depth == len(path) - 1 and refine is not None:
                node.refine = refine
            if node.children is None:
                node.children = {}
            level = node.children
    return root


def chunks(values: Sequence[Any], size: int) -> list[Sequence[Any]]:
    """``values`` in slices of at most ``size`` (an IN list per slice)."""
    return [values[i : i + size] for i in range(0, len(values), size)]


def in_list_size(max_params: int) -> int:
    """How many keys one IN list may hold: the parameter limit, less room for the
    refinement's own parameters, and never more than 10 000 per statement."""
    return max(1, min(10_000, max_params - 100))
