# twinsql: async source — tools/unasync.py generates the sync twin of this file.
"""ORM feature, I/O: the link API of many-to-many relations — add, remove and set the join
rows of one owner.

What each call writes, and how a loaded relation follows, is planned by the pure
``twinsql.orm.links``; this module sends it: the join rows through the bulk insert, the
DELETEs by owner and target keys, and for ``set_links`` one SELECT of the current links
first, all in one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from twinsql.connection._async.database import AsyncDatabase
from twinsql.orm import eager, links
from twinsql.orm._async.record import async_database_of, async_insert_many
from twinsql.orm.eager import in_list_size
from twinsql.orm.relation_spec import RelationSpec, key_getter
from twinsql.orm.state import hydrate

__all__ = ["async_add_links", "async_remove_links", "async_set_links"]


async def async_add_links(
    owner: Any,
    name: str,
    targets: Iterable[Any],
    *,
    values: Mapping[str, Any] | None = None,
    using: AsyncDatabase | None = None,
) -> int:
    """Insert the join rows linking ``owner`` to ``targets``; the rows inserted. A link that
    exists already is the database's to refuse (the join model's key or unique index)."""
    spec = links.many_to_many(type(owner), name)
    targets = list(targets)
    key = links.owner_key(spec, owner)
    keys = links.target_keys(spec, targets)
    count = await _insert(spec, key, keys, values, async_database_of(type(owner), using))
    links.after_add(owner, spec, targets)
    return count


async def _insert(
    spec: RelationSpec,
    key: tuple[Any, ...],
    keys: list[Any],
    values: Mapping[str, Any] | None,
    db: AsyncDatabase,
) -> int:
    if not keys:
        return 0
    assert spec.through is not None
    rows = links.link_rows(spec, key, keys, values)
    return await async_insert_many(spec.through.model, rows, using=db)


async def _delete(
    spec: RelationSpec, key: tuple[Any, ...], keys: list[Any], db: AsyncDatabase
) -> int:
    size = in_list_size(db.dialect.default_max_params)
    count = 0
    for sql, params in links.delete_statements(spec, key, keys, size, db.dialect):
        count += await db.execute_non_query(sql, params)
    return count


async def async_remove_links(
    owner: Any, name: str, targets: Iterable[Any], *, using: AsyncDatabase | None = None
) -> int:
    """Delete the join rows linking ``owner`` to ``targets``; the rows deleted."""
    spec = links.many_to_many(type(owner), name)
    key = links.owner_key(spec, owner)
    keys = links.target_keys(spec, targets)
    db = async_database_of(type(owner), using)
    async with db.transaction():
        count = await _delete(spec, key, keys, db)
    links.after_remove(owner, spec, keys)
    return count


async def async_set_links(
    owner: Any,
    name: str,
    targets: Iterable[Any],
    *,
    values: Mapping[str, Any] | None = None,
    using: AsyncDatabase | None = None,
) -> tuple[int, int]:
    """Make ``targets`` exactly the owner's links: one SELECT of the current links, then
    the DELETE of the unwanted ones and the INSERT of the missing ones (``values`` fills
    the new rows), in one transaction. Returns (rows inserted, rows deleted)."""
    spec = links.many_to_many(type(owner), name)
    targets = list(targets)
    key = links.owner_key(spec, owner)
    wanted = links.target_keys(spec, targets)
    db = async_database_of(type(owner), using)
    through = spec.through
    assert through is not None
    size = in_list_size(db.dialect.default_max_params)
    async with db.transaction():
        current: list[Any] = []
        owner_value = key[0] if len(key) == 1 else key
        for sql, params in eager.select_in(
            through, spec.through_owner_keys, [owner_value], size, db.dialect
        ):
            result = await db.execute_result(sql, params)
            current.extend(hydrate(through, result.rows, db.dialect.name))
        held = list(dict.fromkeys(map(key_getter(spec.through_target_keys), current)))
        wanted_set, held_set = set(wanted), set(held)
        removed = await _delete(spec, key, [k for k in held if k not in wanted_set], db)
        added = await _insert(spec, key, [k for k in wanted if k not in held_set], values, db)
    links.after_set(owner, spec, targets)
    return added, removed
