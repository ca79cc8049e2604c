"""ORM feature, facade: ``twinsql.Model``, one pydantic model class for sync and async code.

Composition only: this module holds no I/O code. Every I/O method exists twice — ``find``
and ``async_find``, ``save`` and ``async_save`` … — and delegates to the generated sync
I/O code (``twinsql.orm._sync.record``) or to its async source (``twinsql.orm._async.record``),
so the two behave the same by construction. Metadata comes from ``orm.meta``; a model class
gets its ``ModelInfo`` (``__twinsql__``) and its column accessor (``c``) when it is created.

A model class that declares no fields of its own and no ``__table_name__`` is *abstract*: a
shared base (``class Base(twinsql.Model): pass``, or one that only sets ``model_config``,
hooks or methods) has no table, and its subclasses are the models. ``__abstract__ = True``
makes any class abstract, fields or not (a mixin that adds fields).

Class attributes a model (or a shared base) may set: ``__table_name__``, ``__naming__`` (a
``Naming``: how field and class names become column and table names, ``orm.naming``) and
``__registry__`` (a ``Registry`` in which its relations find targets named by class name,
``orm.registry``). A record's dump holds its loaded relations, and ``create_schema`` /
``read_schema`` derive request and response models (``orm.output``).

Constructors refuse unknown keywords (pydantic's ``extra="forbid"``: ``User(agee=3)`` raises
``ValidationError``, which FastAPI answers with a 422). A model that should accept and drop
them says so: ``model_config = ConfigDict(extra="ignore")``.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, NoReturn, TypeVar

import pydantic
from pydantic import ConfigDict

from twinsql import errors
from twinsql.connection._async.database import AsyncDatabase, AsyncDatabaseTransaction
from twinsql.connection._sync.database import Database, DatabaseTransaction
from twinsql.orm import writes
from twinsql.orm._async import links as async_links
from twinsql.orm._async import record as async_record
from twinsql.orm._sync import links as sync_links
from twinsql.orm._sync import record as sync_record
from twinsql.orm.columns import ColumnsAccess, ColumnSet, declared_columns
from twinsql.orm.meta import ModelInfo, build_model_info
from twinsql.orm.naming import Naming
from twinsql.orm.output import create_schema, dump_relations, read_schema
from twinsql.orm.persist import NO_KEY
from twinsql.orm.query import Query
from twinsql.orm.registry import Registry
from twinsql.orm.state import (
    MISSING,
    RecordState,
    copy_state,
    is_change,
    is_persisted,
    mark_dirty,
    restore_state,
    snapshot_state,
    state_of,
)
from twinsql.orm.writes import WriteStatement

if TYPE_CHECKING:
    from pydantic._internal._model_construction import ModelMetaclass
    from typing_extensions import Self, dataclass_transform

    from twinsql.orm.fields import Field

    # For type checkers only: pydantic's metaclass with ``twinsql.Field`` added to its field
    # specifiers, so that a field declared with it and no default is required in the
    # constructor. At run time the metaclass is pydantic's own.
    @dataclass_transform(
        kw_only_default=True,
        field_specifiers=(pydantic.Field, pydantic.PrivateAttr, Field),
    )
    class _ModelMetaclass(ModelMetaclass): ...
else:
    _ModelMetaclass = type(pydantic.BaseModel)

__all__ = ["Model"]

M = TypeVar("M", bound="Model")
_set = object.__setattr__


class _AbstractInfo:
    """``__twinsql__`` of an abstract model: any use of it (a query, a find, a save) says why
    there is no table. Reading the attribute itself does not raise, so introspection works."""

    __slots__ = ("model",)

    def __init__(self, model: type[Any]) -> None:
        self.model = model

    def __getattr__(self, name: str) -> NoReturn:
        raise errors.InterfaceError(
            f"{self.model.__name__} is an abstract model (it declares no fields and no "
            "__table_name__, or sets __abstract__ = True): it has no table; use a model that "
            "subclasses it"
        )


def _is_abstract(cls: type[Model]) -> bool:
    """Abstract: ``__abstract__ = True``, or no fields declared in the class body and no
    ``__table_name__`` of its own."""
    if cls.__dict__.get("__abstract__", False):
        return True
    own = inspect.get_annotations(cls)
    declares_fields = any(name in cls.model_fields for name in own)
    return not declares_fields and cls.__dict__.get("__table_name__") is None


def _reserved_names(cls: type[Model]) -> frozenset[str]:
    """The public attributes a model inherits (methods, properties, relations, ``c``): a
    field of the same name would hide them."""
    names = {"c"}
    for base in cls.__mro__[1:]:
        if isinstance(base, type) and issubclass(base, Model):
            fields = getattr(base, "__pydantic_fields__", {})
            names.update(n for n in vars(base) if not n.startswith("_") and n not in fields)
    return frozenset(names)


def _naming_of(cls: type[Model]) -> Naming | None:
    naming = cls.__naming__
    if naming is not None and not isinstance(naming, Naming):
        raise errors.ArgumentError(
            f"{cls.__name__}.__naming__ must be a twinsql.Naming(column=..., table=...), "
            f"not {type(naming).__name__}"
        )
    return naming


class Model(pydantic.BaseModel, metaclass=_ModelMetaclass):
    """Base class of twinsql models. Subclass it with pydantic fields; set
    ``__table_name__`` (default: the class name in snake case, the last word in the plural:
    ``OrderItem`` → ``order_items``, see ``twinsql.orm.naming``)."""

    model_config = ConfigDict(validate_assignment=True, from_attributes=True, extra="forbid")
    # Outside pydantic's field dict: the record's persistence state (orm.state).
    __slots__ = ("_tw_state",)

    __table_name__: ClassVar[str | None] = None
    # How field and class names become column and table names; inherited, so a shared
    # abstract base sets it once for its models.
    __naming__: ClassVar[Naming | None] = None
    # The registry in which relations of the models below find targets named by class name;
    # None: the owner's module, then the process (see orm.registry).
    __registry__: ClassVar[Registry | None] = None
    __twinsql__: ClassVar[ModelInfo]
    __twinsql_db__: ClassVar[Database | None] = None
    __twinsql_async_db__: ClassVar[AsyncDatabase | None] = None
    # Mixins set these to the names of the fields that play the role.
    __soft_delete_field__: ClassVar[str | None] = None
    __version_field__: ClassVar[str | None] = None
    __created_field__: ClassVar[str | None] = None
    __updated_field__: ClassVar[str | None] = None
    if TYPE_CHECKING:
        c: ClassVar[ColumnsAccess]
    else:
        c: ClassVar[ColumnSet]

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if _is_abstract(cls):
            setattr(cls, "__twinsql__", _AbstractInfo(cls))  # noqa: B010  (not a ModelInfo)
            return
        from twinsql.orm.relations import Relation  # the relations module imports us

        relations = {
            name: value
            for klass in reversed(cls.__mro__)
            for name, value in vars(klass).items()
            if isinstance(value, Relation)
        }
        info = build_model_info(
            cls,
            dict(cls.model_fields),
            table_name=cls.__dict__.get("__table_name__"),
            relations=relations,
            roles={
                "soft_delete_field": cls.__soft_delete_field__,
                "version_field": cls.__version_field__,
                "created_field": cls.__created_field__,
                "updated_field": cls.__updated_field__,
            },
            reserved=_reserved_names(cls),
            naming=_naming_of(cls),
        )
        registry = cls.__registry__
        if registry is not None:
            if not isinstance(registry, Registry):
                raise errors.ArgumentError(
                    f"{cls.__name__}.__registry__ must be a twinsql.Registry(), not "
                    f"{type(registry).__name__}"
                )
            registry.add(cls)
        cls.__twinsql__ = info
        setattr(cls, "c", declared_columns(cls, info))  # noqa: B010  (typed as ColumnsAccess)
        for relation in relations.values():
            relation.attach(cls)

    def __init__(self, /, **data: Any) -> None:
        super().__init__(**data)
        # A new record: the slot is set so reading it never falls into pydantic's slow
        # attribute path (None means "not persisted yet").
        _set(self, "_tw_state", None)

    def __setattr__(self, name: str, value: Any) -> None:
        info = type(self).__twinsql__
        if name in info.field_set:
            fields_set = self.__pydantic_fields_set__
            if isinstance(fields_set, frozenset):  # shared by hydration: copy before writing
                _set(self, "__pydantic_fields_set__", set(fields_set))
            old = self.__dict__.get(name, MISSING)
            super().__setattr__(name, value)
            # A new record (no state) is inserted whole: nothing to compare.
            if getattr(self, "_tw_state", None) is not None and is_change(
                old, self.__dict__.get(name, MISSING)
            ):
                mark_dirty(self, name)
        else:
            super().__setattr__(name, value)

    # -- copies and pickling: still the same row ---------------------------------------------

    def __copy__(self) -> Self:
        copied = super().__copy__()
        _set(copied, "__pydantic_fields_set__", set(self.__pydantic_fields_set__))
        copy_state(self, copied)
        return copied

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Self:
        memo = {} if memo is None else memo
        copied = super().__deepcopy__(memo)
        _set(copied, "__pydantic_fields_set__", set(self.__pydantic_fields_set__))
        copy_state(self, copied, memo)
        return copied

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy of the record: still the same row (persisted, same dirty fields), with the
        fields in ``update`` set (not validated, as in pydantic) and dirty where they change
        the value. A new unsaved record: ``User(**user.model_dump(exclude={"id"}))``."""
        copied = super().model_copy(update=update, deep=deep)
        if update and is_persisted(copied):
            field_set = type(self).__twinsql__.field_set
            for name, value in update.items():
                if name in field_set and is_change(self.__dict__.get(name, MISSING), value):
                    mark_dirty(copied, name)
        return copied

    def __getstate__(self) -> dict[Any, Any]:
        state = super().__getstate__()
        state["_tw_state"] = snapshot_state(self)
        return state

    def __setstate__(self, state: dict[Any, Any]) -> None:
        super().__setstate__(state)
        restore_state(self, state.get("_tw_state"))

    # -- output (no I/O) --------------------------------------------------------------------

    # No return annotation on purpose: pydantic would take it as the serialized shape, and
    # the JSON schema of a model (an API's response schema) must stay the one of its fields.
    @pydantic.model_serializer(mode="wrap")
    def _tw_serialize(  # type: ignore[no-untyped-def]
        self, handler: pydantic.SerializerFunctionWrapHandler, info: pydantic.SerializationInfo
    ):
        """Fields, then the relations loaded on this record, nested (``orm.output``)."""
        data = handler(self)
        # Inline test first: most records dumped have no relation loaded.
        state = getattr(self, "_tw_state", None)
        if type(state) is RecordState and state.relations:
            return dump_relations(self, data, info)
        return data

    @classmethod
    def create_schema(cls, *, exclude: Iterable[str] = ()) -> type[pydantic.BaseModel]:
        """A pydantic model for create requests: the fields a client may set, without those
        the server fills in (generated key, server defaults, timestamps, version); unknown
        keys are refused. ``exclude``: more fields to leave out."""
        return create_schema(cls, exclude)

    @classmethod
    def read_schema(
        cls, *, include: Iterable[str] = (), exclude: Iterable[str] = ()
    ) -> type[pydantic.BaseModel]:
        """A pydantic model for responses: every field (but ``exclude``) and the relations
        in ``include`` (``"tracks"``, ``"tracks.album"``), read from a record's attributes.
        Including a relation that was not loaded raises ``RelationNotLoaded``."""
        return read_schema(cls, include, exclude)

    # -- state (no I/O) ---------------------------------------------------------------------

    @property
    def is_persisted(self) -> bool:
        """True once the record was loaded from or saved to the database."""
        return is_persisted(self)

    @property
    def dirty_fields(self) -> frozenset[str]:
        """Fields assigned since the record was loaded or last saved."""
        return frozenset(state_of(self).dirty) if self.is_persisted else frozenset()

    # -- hooks (no I/O; override in models) -------------------------------------------------

    def before_save(self) -> None: ...
    def after_save(self) -> None: ...
    def before_create(self) -> None: ...
    def after_create(self) -> None: ...
    def before_update(self) -> None: ...
    def after_update(self) -> None: ...
    def before_delete(self) -> None: ...
    def after_delete(self) -> None: ...

    # -- binding and transactions -----------------------------------------------------------

    @classmethod
    def bind(cls, db: Database | AsyncDatabase) -> None:
        """Bind this model (and its subclasses) to a database; call once with a ``Database``
        and once with an ``AsyncDatabase`` to use both APIs."""
        if isinstance(db, AsyncDatabase):
            cls.__twinsql_async_db__ = db
        elif isinstance(db, Database):
            cls.__twinsql_db__ = db
        else:
            raise errors.ArgumentError(
                f"bind() takes a twinsql Database or AsyncDatabase, not {type(db).__name__}"
            )

    @classmethod
    def transaction(
        cls, isolation: str | None = None, *, readonly: bool = False, shared: bool = False
    ) -> DatabaseTransaction:
        """``with Account.transaction():`` on the model's sync database (nested: savepoint;
        ``shared``: as ``Database.transaction``)."""
        db = sync_record.database_of(cls, None)
        return db.transaction(isolation, readonly=readonly, shared=shared)

    @classmethod
    def async_transaction(
        cls, isolation: str | None = None, *, readonly: bool = False, shared: bool = False
    ) -> AsyncDatabaseTransaction:
        """``async with Account.async_transaction():`` on the model's async database."""
        db = async_record.async_database_of(cls, None)
        return db.transaction(isolation, readonly=readonly, shared=shared)

    # -- queries ----------------------------------------------------------------------------

    @classmethod
    def query(cls) -> Query[Self]:
        """A new query on this model; immutable, and only its terminals do I/O."""
        return Query(cls)

    @classmethod
    def find(cls, pk: Any = NO_KEY, /, *, using: Database | None = None, **key: Any) -> Self | None:
        """The record with this primary key, or None: ``find(1)``; for a composite key
        ``find((1, 2))`` or ``find(playlist_id=1, track_id=2)``."""
        return sync_record.find(cls, pk, using=using, key=key)

    @classmethod
    async def async_find(
        cls, pk: Any = NO_KEY, /, *, using: AsyncDatabase | None = None, **key: Any
    ) -> Self | None:
        return await async_record.async_find(cls, pk, using=using, key=key)

    @classmethod
    def find_or_fail(
        cls, pk: Any = NO_KEY, /, *, using: Database | None = None, **key: Any
    ) -> Self:
        """``find``, raising ``RecordNotFound`` instead of returning None."""
        return sync_record.find_or_fail(cls, pk, using=using, key=key)

    @classmethod
    async def async_find_or_fail(
        cls, pk: Any = NO_KEY, /, *, using: AsyncDatabase | None = None, **key: Any
    ) -> Self:
        return await async_record.async_find_or_fail(cls, pk, using=using, key=key)

    @classmethod
    def find_one(cls, *conditions: Any, using: Database | None = None, **equal: Any) -> Self | None:
        return cls.query().where(*conditions, **equal).first(using=using)

    @classmethod
    async def async_find_one(
        cls, *conditions: Any, using: AsyncDatabase | None = None, **equal: Any
    ) -> Self | None:
        return await cls.query().where(*conditions, **equal).async_first(using=using)

    @classmethod
    def find_all(cls, *conditions: Any, using: Database | None = None, **equal: Any) -> list[Self]:
        return cls.query().where(*conditions, **equal).all(using=using)

    @classmethod
    async def async_find_all(
        cls, *conditions: Any, using: AsyncDatabase | None = None, **equal: Any
    ) -> list[Self]:
        return await cls.query().where(*conditions, **equal).async_all(using=using)

    # -- writes -----------------------------------------------------------------------------

    @classmethod
    def create(cls, *, using: Database | None = None, **values: Any) -> Self:
        """Validate ``values``, insert the record, return it (with its generated key)."""
        record = cls(**values)
        record.save(using=using)
        return record

    @classmethod
    async def async_create(cls, *, using: AsyncDatabase | None = None, **values: Any) -> Self:
        record = cls(**values)
        await record.async_save(using=using)
        return record

    @classmethod
    def insert_many(
        cls, rows: Iterable[Self | Mapping[str, Any]], *, using: Database | None = None
    ) -> int:
        """Insert many records in as few statements as the backend's limits allow."""
        return sync_record.insert_many(cls, rows, using=using)

    @classmethod
    async def async_insert_many(
        cls, rows: Iterable[Self | Mapping[str, Any]], *, using: AsyncDatabase | None = None
    ) -> int:
        return await async_record.async_insert_many(cls, rows, using=using)

    @classmethod
    def insert_many_statement(cls, rows: Iterable[Self | Mapping[str, Any]]) -> WriteStatement:
        """The INSERTs of ``insert_many(rows)``, built for every backend and not sent (for a
        data migration: ``ops.RunORM``)."""
        return writes.insert_statement(cls, rows)

    def save(self, *, using: Database | None = None, force_insert: bool = False) -> Self:
        """INSERT a new record, or UPDATE the dirty fields of a loaded one (one round trip).
        A loaded record is updated only in the database it was read from (or last saved
        to); ``force_insert=True`` inserts it whatever its state, key included: a copy into
        ``using``."""
        sync_record.save(self, using=using, force_insert=force_insert)
        return self

    async def async_save(
        self, *, using: AsyncDatabase | None = None, force_insert: bool = False
    ) -> Self:
        await async_record.async_save(self, using=using, force_insert=force_insert)
        return self

    def delete(self, *, using: Database | None = None) -> None:
        """DELETE the record (soft-delete models set ``deleted_at`` instead)."""
        sync_record.delete(self, using=using)

    async def async_delete(self, *, using: AsyncDatabase | None = None) -> None:
        await async_record.async_delete(self, using=using)

    def refresh(self, *, using: Database | None = None) -> Self:
        """Re-read the record's fields from the database."""
        sync_record.refresh(self, using=using)
        return self

    async def async_refresh(self, *, using: AsyncDatabase | None = None) -> Self:
        await async_record.async_refresh(self, using=using)
        return self

    def load(self, *names: str, using: Database | None = None) -> Self:
        """Load relations (``u.load("orders", "orders.items")``) on this record."""
        sync_record.load(self, names, using=using)
        return self

    async def async_load(self, *names: str, using: AsyncDatabase | None = None) -> Self:
        await async_record.async_load(self, names, using=using)
        return self

    # -- many-to-many links: explicit writes of join rows -------------------------------------

    def add_links(
        self,
        relation: str,
        *targets: Any,
        values: Mapping[str, Any] | None = None,
        using: Database | None = None,
    ) -> int:
        """Link saved ``targets`` through the ManyToMany ``relation``: one join row each
        (``values`` fills the join model's other fields). Returns the rows inserted; the
        relation, if loaded on this record, gains them."""
        return sync_links.add_links(self, relation, targets, values=values, using=using)

    async def async_add_links(
        self,
        relation: str,
        *targets: Any,
        values: Mapping[str, Any] | None = None,
        using: AsyncDatabase | None = None,
    ) -> int:
        return await async_links.async_add_links(
            self, relation, targets, values=values, using=using
        )

    def remove_links(self, relation: str, *targets: Any, using: Database | None = None) -> int:
        """Delete the join rows linking this record to ``targets`` (exactly those rows);
        returns the rows deleted. The relation, if loaded, loses them."""
        return sync_links.remove_links(self, relation, targets, using=using)

    async def async_remove_links(
        self, relation: str, *targets: Any, using: AsyncDatabase | None = None
    ) -> int:
        return await async_links.async_remove_links(self, relation, targets, using=using)

    def set_links(
        self,
        relation: str,
        targets: Iterable[Any],
        *,
        values: Mapping[str, Any] | None = None,
        using: Database | None = None,
    ) -> tuple[int, int]:
        """Make ``targets`` exactly this record's links: reads the current links (one
        SELECT), deletes the others and inserts the missing ones, in one transaction; links
        that stay keep their row. Returns (rows inserted, rows deleted)."""
        return sync_links.set_links(self, relation, targets, values=values, using=using)

    async def async_set_links(
        self,
        relation: str,
        targets: Iterable[Any],
        *,
        values: Mapping[str, Any] | None = None,
        using: AsyncDatabase | None = None,
    ) -> tuple[int, int]:
        return await async_links.async_set_links(
            self, relation, targets, values=values, using=using
        )
