# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""I/O shell: select-in loading of relations.

For each relation at each level of a ``with_`` tree, one query fetches the related rows for
all parent records at once — ``SELECT … FROM orders WHERE user_id IN (…)``, the key list
chunked under the backend's parameter limit — and the rows are attached to their parents.
Users with their orders is exactly two statements, whatever the number of users. A
many-to-many level takes two: the join table, then the targets.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from twinsql.connection._async.database import AsyncDatabase
from twinsql.orm.query_state import QueryState, select_sql
from twinsql.orm.relation_spec import (
    LoadNode,
    RelationSpec,
    build_load_tree,
    chunks,
    in_list_size,
)
from twinsql.orm.state import hydrate, state_of
from twinsql.sql.expr import Col
from twinsql.sql.select import Select

__all__ = ["async_load_eager", "async_load_relations"]


async def async_load_eager(state: QueryState, records: list[Any], db: AsyncDatabase) -> None:
    """Load the query's ``with_`` relations onto ``records``."""
    tree = build_load_tree([(load.path, load.refine) for load in state.eager])
    await _load_level(state.info.model, records, tree, db)


async def async_load_relations(
    model: type[Any], records: list[Any], names: Sequence[str], db: AsyncDatabase
) -> None:
    """Load relations named by dotted paths onto ``records`` (``record.load(...)``)."""
    from_names = [(tuple(name.split(".")), None) for name in names]
    tree = build_load_tree(from_names)
    for node_name in tree:
        if node_name not in model.__twinsql__.relations:
            from twinsql.errors import ArgumentError

            raise ArgumentError(f"{model.__name__} has no relation {node_name!r}")
    await _load_level(model, records, tree, db)


async def _load_level(
    model: type[Any], records: list[Any], tree: dict[str, LoadNode], db: AsyncDatabase
) -> None:
    relations = model.__twinsql__.relations
    for name, node in tree.items():
        spec: RelationSpec = relations[name].spec()
        children = await _load_one(spec, records, node, db)
        if node.children and children:
            await _load_level(spec.target.model, children, node.children, db)


async def _fetch(
    spec: RelationSpec, field: str, keys: list[Any], node: LoadNode, db: AsyncDatabase
) -> list[Any]:
    """Targets whose ``field`` is in ``keys``, chunked, with the node's refinement."""
    target = spec.target
    out: list[Any] = []
    size = in_list_size(db.dialect.default_max_params)
    for chunk in chunks(keys, size):
        condition = Col(field, table=target.table).in_(list(chunk))
        state = QueryState(target, Select(target.table, where=condition))
        if node.refine is not None:
            state = node.refine(state)
        sql, params = select_sql(state, db.dialect)
        result = await db.execute_result(sql, params)
        out.extend(hydrate(target, result.rows, db.dialect.name))
    return out


def _unique(values: Sequence[Any]) -> list[Any]:
    return list(dict.fromkeys(v for v in values if v is not None))


async def _load_one(
    spec: RelationSpec, records: list[Any], node: LoadNode, db: AsyncDatabase
) -> list[Any]:
    if spec.kind == "belongs_to":
        keys = _unique([getattr(r, spec.foreign_key) for r in records])
        targets = await _fetch(spec, spec.key, keys, node, db) if keys else []
        by_key = {getattr(t, spec.key): t for t in targets}
        for record in records:
            state_of(record).relations[spec.name] = by_key.get(getattr(record, spec.foreign_key))
        return targets
    if spec.kind in ("has_one", "has_many"):
        keys = _unique([getattr(r, spec.key) for r in records])
        targets = await _fetch(spec, spec.foreign_key, keys, node, db) if keys else []
        grouped: dict[Any, list[Any]] = {}
        for target in targets:
            grouped.setdefault(getattr(target, spec.foreign_key), []).append(target)
        for record in records:
            found = grouped.get(getattr(record, spec.key), [])
            value: Any = found if spec.many else (found[0] if found else None)
            state_of(record).relations[spec.name] = value
        return targets
    return await _load_many_to_many(spec, records, node, db)


async def _load_many_to_many(
    spec: RelationSpec, records: list[Any], node: LoadNode, db: AsyncDatabase
) -> list[Any]:
    through = spec.through
    assert through is not None and spec.through_owner_key and spec.through_target_key
    owner_keys = _unique([getattr(r, spec.key) for r in records])
    links: list[Any] = []
    size = in_list_size(db.dialect.default_max_params)
    for chunk in chunks(owner_keys, size):
        condition = Col(spec.through_owner_key, table=through.table).in_(list(chunk))
        sql, params = select_sql(
            QueryState(through, Select(through.table, where=condition)), db.dialect
        )
        result = await db.execute_result(sql, params)
        links.extend(hydrate(through, result.rows, db.dialect.name))
    target_keys = _unique([getattr(link, spec.through_target_key) for link in links])
    target_pk = spec.target.primary_key
    targets = await _fetch(spec, target_pk, target_keys, node, db) if target_keys else []
    by_key = {getattr(t, target_pk): t for t in targets}
    grouped: dict[Any, list[Any]] = {}
    for link in links:
        target = by_key.get(getattr(link, spec.through_target_key))
        if target is not None:
            grouped.setdefault(getattr(link, spec.through_owner_key), []).append(target)
    for record in records:
        state_of(record).relations[spec.name] = grouped.get(getattr(record, spec.key), [])
    return targets
