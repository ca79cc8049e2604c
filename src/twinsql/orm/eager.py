"""ORM feature, pure: the select-in plan of eager loading, and attaching what it fetched.

``with_("orders", "orders.items")`` (or ``record.load(...)``) becomes a tree of relations to
load, one level at a time. For each relation at each level, the parents' keys are collected
(each once, None skipped) and the related rows are selected by ``WHERE key IN (…)`` — the
key list cut into IN lists that stay under the backend's parameter limit — so users with
their orders is exactly two statements, whatever the number of users. A refinement's
``limit``/``offset`` applies to each parent's related rows (``sql.per_group``: numbered per
parent key), never to the batch as a whole. A many-to-many level
takes two: the join rows, then the targets. The fetched records are then attached to their
parents: a record (or None) for ``belongs_to`` and ``has_one``, a list for the others, in
fetch order. The I/O source only sends the statements and hydrates the rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from twinsql.errors import ArgumentError
from twinsql.orm.meta import ModelInfo
from twinsql.orm.query_state import EagerLoad, QueryState, statement
from twinsql.orm.relation_spec import RelationSpec
from twinsql.orm.state import state_of
from twinsql.sql.compiler import compile_select
from twinsql.sql.dialects import Dialect
from twinsql.sql.expr import Col
from twinsql.sql.per_group import per_group
from twinsql.sql.select import Select

__all__ = [
    "LoadNode",
    "attach",
    "attach_through",
    "build_load_tree",
    "chunks",
    "in_list_size",
    "lookup",
    "select_in",
    "tree_for_names",
    "tree_for_query",
    "unique_keys",
    "unpaged",
]


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


def tree_for_query(eager: Sequence[EagerLoad]) -> dict[str, LoadNode]:
    """The load tree of a query's ``with_`` paths (checked when they were added)."""
    return build_load_tree([(load.path, load.refine) for load in eager])


def tree_for_names(model: type[Any], names: Sequence[str]) -> dict[str, LoadNode]:
    """The load tree of ``record.load("orders", "orders.items")``; a first segment that is
    not a relation of ``model`` fails here, before any I/O."""
    tree = build_load_tree([(tuple(name.split(".")), None) for name in names])
    for node_name in tree:
        if node_name not in model.__twinsql__.relations:
            raise ArgumentError(f"{model.__name__} has no relation {node_name!r}")
    return tree


def chunks(values: Sequence[Any], size: int) -> list[Sequence[Any]]:
    """``values`` in slices of at most ``size`` (an IN list per slice)."""
    return [values[i : i + size] for i in range(0, len(values), size)]


def in_list_size(max_params: int) -> int:
    """How many keys one IN list may hold: the parameter limit, less room for the
    refinement's own parameters, and never more than 10 000 per statement."""
    return max(1, min(10_000, max_params - 100))


def unique_keys(values: Iterable[Any]) -> list[Any]:
    """Each key once, in first-seen order; None (no related row) left out."""
    return list(dict.fromkeys(v for v in values if v is not None))


def select_in(
    info: ModelInfo,
    field: str,
    keys: Sequence[Any],
    size: int,
    dialect: Dialect,
    refine: Any = None,
) -> list[tuple[str, list[Any]]]:
    """The SELECTs of ``info``'s records whose ``field`` is in ``keys``: one per IN list of
    at most ``size`` keys (none for no keys), each narrowed by ``refine`` (a function from
    query state to query state), whose limit and offset apply per ``field`` value.
    Soft-deleted records stay hidden."""
    out = []
    for chunk in chunks(keys, size):
        condition = Col(field, table=info.table).in_(list(chunk))
        state = QueryState(info, Select(info.table, where=condition))
        if refine is not None:
            state = refine(state)
        select = statement(state)
        if not isinstance(select, Select):
            raise ArgumentError("a with_() refinement cannot add a union")
        out.append(compile_select(per_group(select, field), dialect))
    return out


def lookup(spec: RelationSpec, records: Sequence[Any]) -> tuple[str, list[Any]]:
    """For a ``belongs_to``, ``has_one`` or ``has_many`` level: the target field to select
    by, and the parents' keys to select."""
    if spec.kind == "belongs_to":
        return spec.key, unique_keys(getattr(r, spec.foreign_key) for r in records)
    return spec.foreign_key, unique_keys(getattr(r, spec.key) for r in records)


def attach(spec: RelationSpec, records: Sequence[Any], targets: Sequence[Any]) -> None:
    """Attach the fetched ``targets`` of a ``belongs_to``, ``has_one`` or ``has_many``
    level to their parents (every parent gets a value: None or [] when nothing matched)."""
    if spec.kind == "belongs_to":
        by_key = {getattr(t, spec.key): t for t in targets}
        for record in records:
            state_of(record).relations[spec.name] = by_key.get(getattr(record, spec.foreign_key))
        return
    grouped: dict[Any, list[Any]] = {}
    for target in targets:
        grouped.setdefault(getattr(target, spec.foreign_key), []).append(target)
    for record in records:
        found = grouped.get(getattr(record, spec.key), [])
        value: Any = found if spec.many else (found[0] if found else None)
        state_of(record).relations[spec.name] = value


def attach_through(
    spec: RelationSpec, records: Sequence[Any], links: Sequence[Any], targets: Sequence[Any]
) -> None:
    """Attach the fetched ``targets`` of a many-to-many level to their parents, following
    the join rows ``links`` (a link to a target not fetched — filtered out by a refinement
    or soft-deleted — is skipped)."""
    assert spec.through_owner_key is not None and spec.through_target_key is not None
    target_pk = spec.target.primary_key
    by_key = {getattr(t, target_pk): t for t in targets}
    grouped: dict[Any, list[Any]] = {}
    for link in links:
        target = by_key.get(getattr(link, spec.through_target_key))
        if target is not None:
            grouped.setdefault(getattr(link, spec.through_owner_key), []).append(target)
    for record in records:
        state_of(record).relations[spec.name] = grouped.get(getattr(record, spec.key), [])


def unpaged(refine: Any, relation: str) -> Any:
    """``refine`` for the targets of a many-to-many level, which are selected by their own
    keys, not per parent: a limit or offset there cannot mean "per parent", so it is
    refused rather than applied to the wrong rows."""
    if refine is None:
        return None

    def apply(state: QueryState) -> QueryState:
        refined: QueryState = refine(state)
        if refined.select.limit is not None or refined.select.offset is not None:
            raise ArgumentError(
                f"with_() of the many-to-many relation {relation!r} cannot take limit() or "
                "offset(): they would not apply per parent"
            )
        return refined

    return apply
