"""ORM feature, facade: relation declarations — ``BelongsTo``, ``HasOne``, ``HasMany``,
``ManyToMany``.

Declared as class variables::

    class User(Model):
        orders: ClassVar[HasMany["Order"]] = HasMany(foreign_key="user_id")

A relation is a descriptor. Reading it on a record returns what was loaded (by
``with_(...)`` or ``load(...)``) and otherwise raises ``RelationNotLoaded`` naming the fix:
reading never queries, in either mode. The target model may be passed (a class, a lambda
returning it, a dotted path or a class name), or taken from the ``ClassVar`` annotation — a
class, a string, or a forward reference (``ClassVar[HasMany["Order"]]`` evaluated without
``from __future__ import annotations``) — and is resolved on first use, by the rules of
``orm.registry``.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Sequence
from typing import (
    TYPE_CHECKING,
    Any,
    ClassVar,
    ForwardRef,
    Generic,
    TypeVar,
    get_args,
    get_origin,
    overload,
)

from twinsql import errors
from twinsql.orm.meta import ModelInfo
from twinsql.orm.naming import snake_case
from twinsql.orm.registry import is_model, resolve_target
from twinsql.orm.relation_spec import Kind, RelationSpec
from twinsql.orm.state import loaded_relations

if TYPE_CHECKING:
    from typing_extensions import Self

    from twinsql.orm.model import Model

__all__ = [
    "BelongsTo",
    "HasMany",
    "HasOne",
    "ManyToMany",
    "Relation",
    "TargetHoldsKey",
    "check_paths",
]

T = TypeVar("T")
# The target in the text of an annotation left unevaluated (``from __future__ import
# annotations``): ``ClassVar[HasMany["Order"]]`` or ``ClassVar[HasMany[Order]]``.
_ANNOTATED_TARGET = re.compile(r"\[\s*['\"]?([A-Za-z_][A-Za-z0-9_.]*)['\"]?\s*\]\s*\]\s*$")


def annotated_target(annotation: Any) -> type[Any] | str | None:
    """The target model an annotation names: a class, or a name to resolve later. Handles
    the annotation as text (postponed evaluation) and as an object, where a quoted target
    arrives as a ``ForwardRef``."""
    if isinstance(annotation, str):
        match = _ANNOTATED_TARGET.search(annotation.replace("typing.", ""))
        return match.group(1).rsplit(".", 1)[-1] if match else None
    if get_origin(annotation) is ClassVar:
        (annotation,) = get_args(annotation) or (None,)
    origin = get_origin(annotation)
    if not (isinstance(origin, type) and issubclass(origin, Relation)):
        return None
    args = get_args(annotation)
    if not args:
        return None
    target = args[0]
    if isinstance(target, ForwardRef):
        return target.__forward_arg__.rsplit(".", 1)[-1]
    if isinstance(target, str):
        return target.rsplit(".", 1)[-1]
    return target if isinstance(target, type) else None


class Relation(Generic[T]):
    """Base of the relation descriptors."""

    kind: Kind

    def __init__(
        self,
        target: type[T] | str | Callable[[], type[T]] | None = None,
        *,
        foreign_key: str | Sequence[str] | None = None,
        key: str | Sequence[str] | None = None,
    ) -> None:
        self._target = target
        self._foreign_key = foreign_key
        self._key = key
        self.name = ""
        self.owner: type[Any] | None = None
        self._spec: RelationSpec | None = None

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self.name = name

    def attach(self, owner: type[Any]) -> None:
        """Called when the owning model class is complete (a subclass re-attaches)."""
        if self.owner is None:  # the class that declares it; subclasses share it
            self.owner = owner
        if self._target is None:
            self._target = self._target_from_annotation(owner)

    def _target_from_annotation(self, owner: type[Any]) -> type[Any] | str:
        for klass in owner.__mro__:
            annotation = inspect.get_annotations(klass).get(self.name)
            if annotation is not None:
                target = annotated_target(annotation)
                if target is not None:
                    return target
                raise errors.ArgumentError(
                    f"relation {owner.__name__}.{self.name}: its annotation {annotation!r} "
                    f"names no target model; write ClassVar[{type(self).__name__}['Order']] "
                    f"or pass the target: {type(self).__name__}('Order', ...)"
                )
        raise errors.ArgumentError(
            f"relation {owner.__name__}.{self.name} has no annotation naming its target: "
            f"pass the target, e.g. {type(self).__name__}('Order', ...)"
        )

    @overload
    def __get__(self, instance: None, owner: type[Any]) -> Relation[T]: ...
    @overload
    def __get__(self, instance: object, owner: type[Any]) -> Any: ...

    def __get__(self, instance: object | None, owner: type[Any]) -> Any:
        if instance is None:
            return self
        loaded = loaded_relations(instance)
        if loaded is None or self.name not in loaded:
            model = type(instance).__name__
            raise errors.RelationNotLoaded(
                f"{model}.{self.name} is not loaded, and reading a relation never queries. "
                f"Load it with the query: {model}.query().with_({self.name!r}), or on this "
                f"record: record.load({self.name!r}) / await record.async_load({self.name!r})"
            )
        return loaded[self.name]

    def __set__(self, instance: object, value: Any) -> None:
        raise errors.InterfaceError(
            f"{self.name} is a relation; set its foreign key field, or save related records"
        )

    # -- resolution -------------------------------------------------------------------------

    def spec(self) -> RelationSpec:
        if self._spec is None:
            assert self.owner is not None, "relation used before its model was created"
            self._spec = self._resolve(
                self.owner.__twinsql__, _resolve_model(self._target, self.owner)
            )
        return self._spec

    def _resolve(self, owner: Any, target: Any) -> RelationSpec:
        raise NotImplementedError

    def target_model(self) -> type[Any]:
        return self.spec().target.model


def _resolve_model(target: Any, owner: type[Any]) -> Any:
    from twinsql.orm.model import Model

    return resolve_target(target, owner, lambda: _all_models(Model))


def _all_models(base: type[Any]) -> list[type[Any]]:
    out = []
    for sub in base.__subclasses__():
        if is_model(sub):
            out.append(sub)
        out.extend(_all_models(sub))
    return out


def _fields(value: str | Sequence[str] | None) -> tuple[str, ...]:
    """A key given as one field name or several."""
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def _paired(
    relation: str,
    foreign: tuple[str, ...],
    foreign_info: ModelInfo,
    keys: tuple[str, ...],
    key_info: ModelInfo,
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Check that each foreign key field pairs with one referenced field."""
    for name in foreign:
        foreign_info.check_field(name)
    for name in keys:
        key_info.check_field(name)
    if len(foreign) != len(keys):
        raise errors.ArgumentError(
            f"relation {relation}: the foreign key ({', '.join(foreign)}) has "
            f"{len(foreign)} field(s) but the key it refers to ({', '.join(keys)}) has "
            f"{len(keys)}; pass foreign_key=(...) with one field per key field"
        )
    return foreign, keys


def _default_foreign(prefix: str, keys: tuple[str, ...]) -> tuple[str, ...]:
    """``<prefix>_id`` for a one-field key; ``<prefix>_<field>`` per field of a composite
    one."""
    return (f"{prefix}_id",) if len(keys) == 1 else tuple(f"{prefix}_{k}" for k in keys)


class BelongsTo(Relation[T]):
    """The owner holds the target's key: ``Order.user`` via ``Order.user_id``; a composite
    target key via several fields: ``BelongsTo(foreign_key=("order_id", "line_no"))``."""

    kind: Kind = "belongs_to"

    if TYPE_CHECKING:
        # Reading on a record gives the loaded target (None when the key is NULL).
        @overload
        def __get__(self, instance: None, owner: type[Any]) -> Self: ...
        @overload
        def __get__(self, instance: object, owner: type[Any]) -> T | None: ...
        def __get__(self, instance: object, owner: type[Any]) -> Any: ...

    def _resolve(self, owner: Any, target: Any) -> RelationSpec:
        info = target.__twinsql__
        keys = _fields(self._key) or info.primary_keys
        foreign = _fields(self._foreign_key) or _default_foreign(self.name, keys)
        foreign, keys = _paired(f"{owner.model.__name__}.{self.name}", foreign, owner, keys, info)
        return RelationSpec("belongs_to", self.name, owner, info, foreign, keys)


class TargetHoldsKey(Relation[T]):
    """Base of ``HasOne`` and ``HasMany``: the target holds the owner's key."""

    def _resolve(self, owner: Any, target: Any) -> RelationSpec:
        info = target.__twinsql__
        keys = _fields(self._key) or owner.primary_keys
        prefix = snake_case(owner.model.__name__)
        foreign = _fields(self._foreign_key) or _default_foreign(prefix, keys)
        foreign, keys = _paired(f"{owner.model.__name__}.{self.name}", foreign, info, keys, owner)
        return RelationSpec(self.kind, self.name, owner, info, foreign, keys)


class HasOne(TargetHoldsKey[T]):
    """The target holds the owner's key, one target per owner."""

    kind: Kind = "has_one"

    if TYPE_CHECKING:
        # Reading on a record gives the loaded target, or None when there is none.
        @overload
        def __get__(self, instance: None, owner: type[Any]) -> Self: ...
        @overload
        def __get__(self, instance: object, owner: type[Any]) -> T | None: ...
        def __get__(self, instance: object, owner: type[Any]) -> Any: ...


class HasMany(TargetHoldsKey[T]):
    """The target holds the owner's key, any number of targets per owner."""

    kind: Kind = "has_many"

    if TYPE_CHECKING:
        # Reading on a record gives the loaded targets.
        @overload
        def __get__(self, instance: None, owner: type[Any]) -> Self: ...
        @overload
        def __get__(self, instance: object, owner: type[Any]) -> list[T]: ...
        def __get__(self, instance: object, owner: type[Any]) -> Any: ...


class ManyToMany(Relation[T]):
    """Linked through a join model: ``ManyToMany("Tag", through="PostTag")``; the join
    model's keys default to ``<owner>_id`` and ``<target>_id``. The join model is usually
    keyed by both (a composite key), so each link is one row of its own."""

    kind: Kind = "many_to_many"

    if TYPE_CHECKING:
        # Reading on a record gives the loaded targets.
        @overload
        def __get__(self, instance: None, owner: type[Any]) -> Self: ...
        @overload
        def __get__(self, instance: object, owner: type[Any]) -> list[T]: ...
        def __get__(self, instance: object, owner: type[Any]) -> Any: ...

    def __init__(
        self,
        target: type[T] | str | Callable[[], type[T]] | None = None,
        *,
        through: type[Any] | str | Callable[[], type[Any]],
        owner_key: str | Sequence[str] | None = None,
        target_key: str | Sequence[str] | None = None,
    ) -> None:
        super().__init__(target)
        self._through = through
        self._owner_key = owner_key
        self._target_key = target_key

    def _resolve(self, owner: Any, target: Any) -> RelationSpec:
        assert self.owner is not None
        through = _resolve_model(self._through, self.owner).__twinsql__
        info = target.__twinsql__
        relation = f"{owner.model.__name__}.{self.name}"
        owner_keys, keys = _paired(
            relation,
            _fields(self._owner_key)
            or _default_foreign(snake_case(owner.model.__name__), owner.primary_keys),
            through,
            owner.primary_keys,
            owner,
        )
        target_keys, target_pk = _paired(
            relation,
            _fields(self._target_key)
            or _default_foreign(snake_case(info.model.__name__), info.primary_keys),
            through,
            info.primary_keys,
            info,
        )
        return RelationSpec(
            "many_to_many",
            self.name,
            owner,
            info,
            owner_keys,
            keys,
            through,
            owner_keys,
            target_keys,
            target_pk,
        )


def check_paths(model: type[Model], paths: Sequence[tuple[str, ...]]) -> type[Any]:
    """Fail before I/O on an unknown relation name anywhere in a ``with_`` path; return the
    target model of the last path's last segment."""
    current: Any = model
    for path in paths:
        current = model
        for name in path:
            relations = current.__twinsql__.relations
            relation = relations.get(name)
            if relation is None:
                known = ", ".join(relations) or "none"
                raise errors.ArgumentError(
                    f"{current.__name__} has no relation {name!r}; relations: {known}"
                )
            current = relation.target_model()
    return current  # type: ignore[no-any-return]
