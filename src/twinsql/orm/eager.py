"""ORM feature, pure: the select-in plan of eager loading, and attaching what it fetched.

``with_("orders", "orders.items")`` (or ``record.load(...)``) becomes a tree of relations to
load, one level at a time. For each relation at each level, the parents' keys are collected
(each once, None skipped) and the related rows are selected by ``WHERE key IN (…)`` — the
key list cut into IN lists that stay under the backend's parameter limit — or, for a key of
several fields, by ``WHERE (a, b) IN ((?, ?), …)`` (row values, on every backend), so users with
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
from twinsql.orm.relation_spec import RelationSpec, key_getter
from twinsql.orm.state import state_of
from twinsql.sql.compiler import compile_select
from twinsql.sql.dialects import Dialect
from twinsql.sql.expr import Col, Condition
from twinsql.sql.nodes import OR_ROWS_MAX, RowIn
from twinsql.sql.per_group import per_group
from twinsql.sql.select import Select

__all__ = [
    "LoadNode",
    "attach",
    "attach_through",
    "build_load_tree",
    "chunks",
    "in_list_size",
    "key_in",
    "keys_per_statement",
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


def keys_per_statement(size: int, width: int, dialect: Dialect) -> int:
    """How many keys of ``width`` fields one statement matches, ``size`` parameters in all;
    keys of several fields spelled as ORs (``RowIn``) hold at most ``OR_ROWS_MAX``."""
    count = max(1, size // width)
    if width > 1 and not dialect.capabilities.row_value_in:
        count = min(count, OR_ROWS_MAX)
    return count


def key_in(info: ModelInfo, fields: tuple[str, ...], keys: Sequence[Any]) -> Condition:
    """``field IN (?, …)`` for one field; ``(a, b) IN ((?, ?), …)`` for several, ``keys``
    then being tuples in field order."""
    if len(fields) == 1:
        return Col(fields[0], table=info.table).in_(list(keys))
    return RowIn([Col(f, table=info.table) for f in fields], keys)


def select_in(
    info: ModelInfo,
    fields: str | tuple[str, ...],
    keys: Sequence[Any],
    size: int,
    dialect: Dialect,
    refine: Any = None,
) -> list[tuple[str, list[Any]]]:
    """The SELECTs of ``info``'s records whose ``fields`` hold one of ``keys`` (values for
    one field, tuples for several): one per IN list of at most ``size`` parameters (none
    for no keys), each narrowed by ``refine`` (a function from query state to query state),
    whose limit and offset apply per key. Soft-deleted records stay hidden."""
    fields = (fields,) if isinstance(fields, str) else fields
    out = []
    for chunk in chunks(keys, keys_per_statement(size, len(fields), dialect)):
        condition = key_in(info, fields, chunk)
        state = QueryState(info, Select(info.table, where=condition))
        if refine is not None:
            state = refine(state)
        select = statement(state)
        if not isinstance(select, Select):
            raise ArgumentError("a with_() refinement cannot add a union")
        group = fields[0] if len(fields) == 1 else fields
        out.append(compile_select(per_group(select, group), dialect))
    return out


def lookup(spec: RelationSpec, records: Sequence[Any]) -> tuple[tuple[str, ...], list[Any]]:
    """For a ``belongs_to``, ``has_one`` or ``has_many`` level: the target fields to select
    by, and the parents' keys to select (values, or tuples for a key of several fields)."""
    if spec.kind == "belongs_to":
        return spec.keys, unique_keys(map(key_getter(spec.foreign_keys), records))
    return spec.foreign_keys, unique_keys(map(key_getter(spec.keys), records))


def attach(spec: RelationSpec, records: Sequence[Any], targets: Sequence[Any]) -> None:
    """Attach the fetched ``targets`` of a ``belongs_to``, ``has_one`` or ``has_many``
    level to their parents (every parent gets a value: None or [] when nothing matched)."""
    if spec.kind == "belongs_to":
        target_key = key_getter(spec.keys)
        by_key = {target_key(t): t for t in targets}
        parent_key = key_getter(spec.foreign_keys)
        for record in records:
            state_of(record).relations[spec.name] = by_key.get(parent_key(record))
        return
    grouped: dict[Any, list[Any]] = {}
    target_key = key_getter(spec.foreign_keys)
    for target in targets:
        grouped.setdefault(target_key(target), []).append(target)
    parent_key = key_getter(spec.keys)
    for record in records:
        found = grouped.get(parent_key(record), [])
        value: Any = found if spec.many else (found[0] if found else None)
        state_of(record).relations[spec.name] = value


def attach_through(
    spec: RelationSpec, records: Sequence[Any], links: Sequence[Any], targets: Sequence[Any]
) -> None:
    """Attach the fetched ``targets`` of a many-to-many level to their parents, following
    the join rows ``links`` (a link to a target not fetched — filtered out by a refinement
    or soft-deleted — is skipped)."""
    target_key = key_getter(spec.target_keys)
    by_key = {target_key(t): t for t in targets}
    link_target, link_owner = (
        key_getter(spec.through_target_keys),
        key_getter(spec.through_owner_keys),
    )
    grouped: dict[Any, list[Any]] = {}
    for link in links:
        target = by_key.get(link_target(link))
        if target is not None:
            grouped.setdefault(link_owner(link), []).append(target)
    parent_key = key_getter(spec.keys)
    for record in records:
        state_of(record).relations[spec.name] = grouped.get(parent_key(record), [])


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
