# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""ORM feature, I/O: select-in loading of relations.

The plan is pure (``twinsql.orm.eager``): which keys each level selects, in which IN lists,
and how the fetched records attach to their parents. This module sends those SELECTs — one
per relation per level, two for a many-to-many level — and hydrates the rows, level by
level down the ``with_`` tree.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from twinsql.connection._async.database import AsyncDatabase
from twinsql.orm import eager
from twinsql.orm.eager import LoadNode, in_list_size
from twinsql.orm.meta import ModelInfo, orm_attributes
from twinsql.orm.persist import origin_key
from twinsql.orm.query_state import QueryState
from twinsql.orm.relation_spec import RelationSpec, key_getter
from twinsql.orm.state import hydrate

__all__ = ["async_load_eager", "async_load_relations"]


async def async_load_eager(state: QueryState, records: list[Any], db: AsyncDatabase) -> None:
    """Load the query's ``with_`` relations onto ``records``."""
    await _load_level(state.info.model, records, eager.tree_for_query(state.eager), db)


async def async_load_relations(
    model: type[Any], records: list[Any], names: Sequence[str], db: AsyncDatabase
) -> None:
    """Load relations named by dotted paths onto ``records`` (``record.load(...)``)."""
    await _load_level(model, records, eager.tree_for_names(model, names), db)


async def _load_level(
    model: type[Any], records: list[Any], tree: dict[str, LoadNode], db: AsyncDatabase
) -> None:
    relations = model.__twinsql__.relations
    for name, node in tree.items():
        spec: RelationSpec = relations[name].spec()
        children = await _load_one(spec, records, node, db)
        if node.children and children:
            await _load_level(spec.target.model, children, node.children, db)


async def _select_in(
    info: ModelInfo, fields: tuple[str, ...], keys: list[Any], refine: Any, db: AsyncDatabase
) -> list[Any]:
    """Records of ``info`` whose ``fields`` hold one of ``keys``, narrowed by ``refine``."""
    size = in_list_size(db.dialect.default_max_params)
    out: list[Any] = []
    for sql, params in eager.select_in(info, fields, keys, size, db.dialect, refine):
        result = await db.execute_result(sql, params)
        out.extend(hydrate(info, result.rows, db.dialect.name, origin=origin_key(db)))
    return out


async def _load_one(
    spec: RelationSpec, records: list[Any], node: LoadNode, db: AsyncDatabase
) -> list[Any]:
    if db.observer is not None:
        # One operation per relation level: its statements (one per IN-list chunk) nest in it.
        attributes = {**orm_attributes(spec.target), "twinsql.eager.parents": len(records)}
        with db.observer.operation("eager", f"{spec.owner.model.__name__}.{spec.name}", attributes):
            return await _load_targets(spec, records, node, db)
    return await _load_targets(spec, records, node, db)


async def _load_targets(
    spec: RelationSpec, records: list[Any], node: LoadNode, db: AsyncDatabase
) -> list[Any]:
    if spec.kind == "many_to_many":
        return await _load_many_to_many(spec, records, node, db)
    fields, keys = eager.lookup(spec, records)
    targets = await _select_in(spec.target, fields, keys, node.refine, db)
    eager.attach(spec, records, targets)
    return targets


async def _load_many_to_many(
    spec: RelationSpec, records: list[Any], node: LoadNode, db: AsyncDatabase
) -> list[Any]:
    through = spec.through
    assert through is not None
    owner_keys = eager.unique_keys(map(key_getter(spec.keys), records))
    links = await _select_in(through, spec.through_owner_keys, owner_keys, None, db)
    target_keys = eager.unique_keys(map(key_getter(spec.through_target_keys), links))
    refine = eager.unpaged(node.refine, spec.name)
    targets = await _select_in(spec.target, spec.target_keys, target_keys, refine, db)
    eager.attach_through(spec, records, links, targets)
    return targets
