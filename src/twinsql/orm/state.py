"""ORM feature, pure: a record's persistence state, and hydration of rows into models.

Theory of operation
-------------------
Every model instance has one slot, ``_tw_state``, outside pydantic's field dict:

* unset — the instance was built by user code (``User(...)``, ``model_validate``): it is
  *new*, and ``save()`` inserts it;
* a loaded marker — shared by the rows just read from one database: persisted, clean, no
  relations loaded, and the *origin*: which database they were read from (``LOADED`` when
  unknown). Sharing one marker per database keeps hydration at a few attribute stores per
  row;
* a ``RecordState`` — created on first need (an assignment, a loaded relation, a save): it
  holds ``persisted``, the ``origin``, the set of ``dirty`` field names and the
  ``relations`` loaded so far.

The origin is what makes saving a record to another database explicit: a record read from
(or last saved to) one database is not updated in another — ``save`` refuses, and
``save(force_insert=True)`` or ``insert_many`` copies it there (``persist.check_origin``).
An origin is a hashable key naming the database (``persist.origin_key``); a pickled record
comes back without one.

A copy of a record (``copy.copy``, ``copy.deepcopy``, ``model_copy``) and an unpickled
record are still the same row: persisted, with the same key and the same dirty fields, so a
later ``save()`` updates that row. A new, unsaved record with the same values is built from
them: ``User(**user.model_dump(exclude={"id"}))``.

An assignment is a change only when it changes the value: assigning a value equal to the
current one (``c.city = c.city``) leaves the field clean. Mutable values (dicts, lists,
nested models) count as changed on every assignment, since they may have been changed in
place before being assigned back.

Hydration bypasses validation: the database already holds valid values, and validating
every row costs several times the fetch. Instances are created with ``object.__new__`` and
their pydantic slots set directly, the field dict built positionally from the row. Only
fields whose backend storage differs from their Python type (``types.reader_for``) are
converted.
"""

from __future__ import annotations

import copy
import datetime
import decimal
import enum
import uuid
from collections.abc import Hashable, Sequence
from typing import Any, TypeVar

from twinsql.orm.meta import ModelInfo

__all__ = [
    "LOADED",
    "MISSING",
    "RecordState",
    "copy_state",
    "hydrate",
    "is_change",
    "loaded_marker",
    "mark_dirty",
    "origin_of",
    "restore_state",
    "snapshot_state",
    "state_of",
]

M = TypeVar("M")

_new = object.__new__
_set = object.__setattr__


class _Loaded:
    __slots__ = ("origin",)

    def __init__(self, origin: Hashable | None) -> None:
        self.origin = origin

    def __repr__(self) -> str:
        return "LOADED" if self.origin is None else f"LOADED({self.origin!r})"


LOADED: Any = _Loaded(None)
# One shared marker per origin; databases are few, so this stays small.
_MARKERS: dict[Hashable, _Loaded] = {}


def loaded_marker(origin: Hashable | None) -> Any:
    """The shared state of rows just read from the database ``origin``."""
    if origin is None:
        return LOADED
    marker = _MARKERS.get(origin)
    if marker is None:
        marker = _MARKERS.setdefault(origin, _Loaded(origin))
    return marker
# The value of a field a partial ``select`` did not load.
MISSING: Any = object()

# Values that cannot change in place: assigning an equal one is no change.
_IMMUTABLE = (
    type(None),
    bool,
    int,
    float,
    str,
    bytes,
    decimal.Decimal,
    datetime.date,
    datetime.time,
    datetime.timedelta,
    uuid.UUID,
    enum.Enum,
)


class RecordState:
    __slots__ = ("dirty", "origin", "persisted", "relations")

    def __init__(self, persisted: bool, origin: Hashable | None = None) -> None:
        self.persisted = persisted
        self.origin = origin
        self.dirty: set[str] = set()
        self.relations: dict[str, Any] = {}


def state_of(obj: Any) -> RecordState:
    """The instance's state, materialised (use for writes; reads use ``is_persisted``)."""
    state = getattr(obj, "_tw_state", None)
    if isinstance(state, RecordState):
        return state
    origin = state.origin if isinstance(state, _Loaded) else None
    fresh = RecordState(persisted=type(state) is _Loaded, origin=origin)
    _set(obj, "_tw_state", fresh)
    return fresh


def is_persisted(obj: Any) -> bool:
    state = getattr(obj, "_tw_state", None)
    return type(state) is _Loaded or (isinstance(state, RecordState) and state.persisted)


def origin_of(obj: Any) -> Hashable | None:
    """The database a persisted record was read from or last saved to (None: unknown)."""
    state = getattr(obj, "_tw_state", None)
    if type(state) is _Loaded or isinstance(state, RecordState):
        origin: Hashable | None = state.origin
        return origin
    return None


def loaded_relations(obj: Any) -> dict[str, Any] | None:
    state = getattr(obj, "_tw_state", None)
    return state.relations if isinstance(state, RecordState) else None


def mark_dirty(obj: Any, name: str) -> None:
    state = getattr(obj, "_tw_state", None)
    if isinstance(state, RecordState):
        state.dirty.add(name)
    elif type(state) is _Loaded:
        fresh = RecordState(persisted=True, origin=state.origin)
        fresh.dirty.add(name)
        _set(obj, "_tw_state", fresh)
    # A new record is inserted whole: nothing to track.


def is_change(old: Any, new: Any) -> bool:
    """Whether assigning ``new`` over ``old`` changes what the row holds. Equal immutable
    values of the same type (and, for times, the same zone) are no change; a mutable value
    always is, since it may have been changed in place."""
    if old is MISSING or type(old) is not type(new) or not isinstance(new, _IMMUTABLE):
        return True
    if isinstance(new, (datetime.datetime, datetime.time)) and old.tzinfo != new.tzinfo:
        return True
    return bool(old != new)


def copy_state(source: Any, target: Any, memo: dict[int, Any] | None = None) -> None:
    """Give ``target``, a copy of ``source``, the same persistence state: persisted, the
    same dirty fields, the loaded relations (deep-copied with ``memo`` for a deep copy)."""
    state = getattr(source, "_tw_state", None)
    if isinstance(state, RecordState):
        fresh = RecordState(state.persisted, state.origin)
        fresh.dirty = set(state.dirty)
        relations = state.relations
        fresh.relations = copy.deepcopy(relations, memo) if memo is not None else dict(relations)
        state = fresh
    _set(target, "_tw_state", state)


def snapshot_state(obj: Any) -> tuple[bool, frozenset[str], dict[str, Any]] | None:
    """The persistence state as plain data, for pickling (None: a new record)."""
    state = getattr(obj, "_tw_state", None)
    if type(state) is _Loaded:
        return (True, frozenset(), {})
    if isinstance(state, RecordState):
        return (state.persisted, frozenset(state.dirty), state.relations)
    return None


def restore_state(obj: Any, snapshot: tuple[bool, frozenset[str], dict[str, Any]] | None) -> None:
    """Set the state ``snapshot_state`` took on an unpickled record."""
    if snapshot is None:
        _set(obj, "_tw_state", None)
        return
    persisted, dirty, relations = snapshot
    state = RecordState(persisted)
    state.dirty = set(dirty)
    state.relations = dict(relations)
    _set(obj, "_tw_state", state)


def mark_saved(obj: Any, origin: Hashable | None = None) -> None:
    """The record now matches its row in the database ``origin`` (kept when None)."""
    state = state_of(obj)
    state.persisted = True
    if origin is not None:
        state.origin = origin
    state.dirty.clear()


def hydrate(
    info: ModelInfo,
    rows: Sequence[Sequence[Any]],
    dialect: str,
    columns: Sequence[str] | None = None,
    origin: Hashable | None = None,
) -> list[Any]:
    """Models from rows read from the database ``origin``. ``columns`` are the result's
    column names when they are not the model's fields in order (a partial ``select``);
    those instances hold only those fields."""
    model = info.model
    marker = loaded_marker(origin)
    fields: Sequence[str]
    if columns is None or tuple(columns) == info.fields:
        fields = info.fields
        readers = info.readers(dialect)
        field_set = info.field_set
    else:
        for name in columns:
            info.check_field(name)
        fields = tuple(columns)
        positions = {name: i for i, name in enumerate(info.fields)}
        all_readers = dict(info.readers(dialect))
        readers = tuple(
            (i, all_readers[positions[name]])
            for i, name in enumerate(fields)
            if positions[name] in all_readers
        )
        field_set = frozenset(fields)
    out: list[Any] = []
    append = out.append
    for row in rows:
        values = dict(zip(fields, row))
        for index, reader in readers:
            value = row[index]
            if value is not None:
                values[fields[index]] = reader(value)
        obj = _new(model)
        _set(obj, "__dict__", values)
        # A shared frozenset: the model's __setattr__ swaps in a real set before the first
        # assignment adds to it.
        _set(obj, "__pydantic_fields_set__", field_set)
        _set(obj, "__pydantic_extra__", None)
        _set(obj, "__pydantic_private__", None)
        _set(obj, "_tw_state", marker)
        append(obj)
    return out


def refresh_from_row(info: ModelInfo, obj: Any, row: Sequence[Any], dialect: str) -> None:
    """Overwrite ``obj``'s fields with a fetched row (after ``refresh`` or ``RETURNING``)."""
    fresh = hydrate(info, [row], dialect)[0]
    _set(obj, "__dict__", fresh.__dict__)
    _set(obj, "__pydantic_fields_set__", set(info.fields))
