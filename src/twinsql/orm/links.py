"""ORM feature, pure: what the link API of a many-to-many relation writes, and how it keeps a
loaded relation in step.

``playlist.add_links("tracks", t1, t2)`` inserts one row of the join model per target,
``remove_links`` deletes the join rows of the targets given (``DELETE … WHERE playlist_id =
? AND track_id IN (…)``: exactly those rows), and ``set_links`` makes the links exactly the
targets given: it reads the owner's current links (one SELECT), deletes the ones not
wanted and inserts the missing ones, in one transaction, so a link that stays keeps the
other values of its row. Nothing else is read or written: the targets are not saved, the
owner is not refreshed. A relation already loaded on the owner is updated to match what
was written (targets appended in the order given, removed ones dropped); one not loaded
stays not loaded. The I/O source (``_async/links.py``) only sends what this module plans.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from twinsql.errors import ArgumentError, InterfaceError
from twinsql.orm.eager import chunks, key_in, keys_per_statement
from twinsql.orm.relation_spec import RelationSpec, key_getter
from twinsql.orm.state import is_persisted, loaded_relations, state_of
from twinsql.sql.dialects import Dialect
from twinsql.sql.dml import compile_delete
from twinsql.sql.expr import Col, Condition

__all__ = [
    "after_add",
    "after_remove",
    "after_set",
    "delete_statements",
    "link_rows",
    "many_to_many",
    "owner_key",
    "target_keys",
]


def many_to_many(model: type[Any], name: str) -> RelationSpec:
    """The resolved many-to-many relation ``name`` of ``model``; a clear error for an unknown
    name or another kind of relation."""
    relations = model.__twinsql__.relations
    relation = relations.get(name)
    if relation is None:
        known = ", ".join(relations) or "none"
        raise ArgumentError(f"{model.__name__} has no relation {name!r}; relations: {known}")
    spec: RelationSpec = relation.spec()
    if spec.kind != "many_to_many":
        raise ArgumentError(
            f"{model.__name__}.{name} is a {spec.kind} relation: links are written for a "
            "ManyToMany relation only; set the foreign key field and save the record instead"
        )
    return spec


def owner_key(spec: RelationSpec, owner: Any) -> tuple[Any, ...]:
    """The owner's values of the fields its links hold; the owner must be saved."""
    values = tuple(owner.__dict__.get(k) for k in spec.keys)
    if not is_persisted(owner) or any(v is None for v in values):
        raise InterfaceError(
            f"this {type(owner).__name__} is not saved: save it before linking {spec.name}"
        )
    return values


def target_keys(spec: RelationSpec, targets: Iterable[Any]) -> list[Any]:
    """Each target's key once, in the order given (a value, or a tuple for a composite key);
    every target must be a saved record of the relation's target model."""
    model = spec.target.model
    key = key_getter(spec.target_keys)
    out: dict[Any, None] = {}
    for target in targets:
        if not isinstance(target, model):
            raise ArgumentError(
                f"{spec.owner.model.__name__}.{spec.name} links {model.__name__} records, "
                f"not {type(target).__name__}"
            )
        value = key(target)
        if value is None or not is_persisted(target):
            raise InterfaceError(
                f"this {model.__name__} is not saved: save it before linking it to "
                f"{spec.owner.model.__name__}.{spec.name}"
            )
        out[value] = None
    return list(out)


def _as_tuple(key: Any, width: int) -> tuple[Any, ...]:
    return (key,) if width == 1 else tuple(key)


def link_rows(
    spec: RelationSpec,
    owner: tuple[Any, ...],
    keys: Sequence[Any],
    values: Mapping[str, Any] | None,
) -> list[dict[str, Any]]:
    """The join rows that link ``owner`` to the targets of ``keys``; ``values`` fills the
    join model's other fields (e.g. a position), the same on every row."""
    extra = dict(values or {})
    through = spec.through
    assert through is not None  # a many-to-many relation has its join model
    for name in extra:
        through.check_field(name)
        if name in spec.through_owner_keys or name in spec.through_target_keys:
            raise ArgumentError(
                f"values= sets the other fields of the link rows, not the key field {name!r}"
            )
    width = len(spec.through_target_keys)
    rows = []
    for key in keys:
        row = dict(zip(spec.through_owner_keys, owner, strict=True))
        row.update(zip(spec.through_target_keys, _as_tuple(key, width), strict=True))
        row.update(extra)
        rows.append(row)
    return rows


def owner_condition(spec: RelationSpec, owner: tuple[Any, ...]) -> Condition:
    """The join rows of ``owner``."""
    through = spec.through
    assert through is not None
    condition: Condition | None = None
    for name, value in zip(spec.through_owner_keys, owner, strict=True):
        equal = Col(name, table=through.table) == value
        condition = equal if condition is None else condition & equal
    assert condition is not None
    return condition


def delete_statements(
    spec: RelationSpec,
    owner: tuple[Any, ...],
    keys: Sequence[Any],
    size: int,
    dialect: Dialect,
) -> list[tuple[str, list[Any]]]:
    """The DELETEs of the join rows linking ``owner`` to the targets of ``keys``: one per
    IN list of at most ``size`` parameters (none for no keys)."""
    through = spec.through
    assert through is not None
    fields = spec.through_target_keys
    per_statement = keys_per_statement(size - len(owner), len(fields), dialect)
    return [
        compile_delete(
            through.table, owner_condition(spec, owner) & key_in(through, fields, chunk), dialect
        )
        for chunk in chunks(keys, per_statement)
    ]


def _loaded(owner: Any, spec: RelationSpec) -> list[Any] | None:
    relations = loaded_relations(owner)
    if relations is None or spec.name not in relations:
        return None
    current: list[Any] = relations[spec.name]
    return current


def after_add(owner: Any, spec: RelationSpec, targets: Sequence[Any]) -> None:
    """A loaded relation gains the targets it did not hold, in the order given."""
    current = _loaded(owner, spec)
    if current is None:
        return
    key = key_getter(spec.target_keys)
    held = {key(t) for t in current}
    for target in targets:
        if key(target) not in held:
            held.add(key(target))
            current.append(target)


def after_remove(owner: Any, spec: RelationSpec, keys: Sequence[Any]) -> None:
    """A loaded relation loses the targets whose links were deleted."""
    current = _loaded(owner, spec)
    if current is None:
        return
    key = key_getter(spec.target_keys)
    gone = set(keys)
    state_of(owner).relations[spec.name] = [t for t in current if key(t) not in gone]


def after_set(owner: Any, spec: RelationSpec, targets: Sequence[Any]) -> None:
    """A loaded relation becomes the targets given (each once, in the order given)."""
    if _loaded(owner, spec) is None:
        return
    key = key_getter(spec.target_keys)
    unique = {key(t): t for t in targets}
    state_of(owner).relations[spec.name] = list(unique.values())
