"""ORM feature, pure: a model's records as output, and the pydantic schemas derived from a
model for requests and responses.

Dumping: ``model_dump()`` and ``model_dump_json()`` of a record hold its fields and, nested,
every relation that was loaded on it (``with_`` / ``load``), recursively; a relation not
loaded is left out — dumping never queries and never raises for it. ``include`` and
``exclude`` apply to relations as to fields. A relation leading back to a record that is
being dumped further up (``album.artist.albums`` containing ``album``) is left out, so a
graph with back references dumps as a tree. (A model that declares its own
``model_serializer`` replaces this one, and decides itself what its dump holds.)

Schemas: ``create_schema`` is a plain pydantic model of the fields a client may send when
it creates a record — without those the server fills in (a generated primary key, server
defaults, timestamps, the version and soft-delete columns) — with unknown keys refused.
``read_schema`` is the response shape: every field, plus the relations named in
``include`` (dotted paths for nested ones), each as the target's read schema. Both keep
each field's type, constraints and defaults, and the field validators whose fields they
keep. One schema per distinct request, so a web framework sees one class per shape.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterable
from typing import Any

import pydantic
from pydantic import ConfigDict

from twinsql.errors import ArgumentError
from twinsql.orm.naming import apply_rule
from twinsql.orm.state import loaded_relations

__all__ = ["create_schema", "dump_relations", "read_schema"]

# The ids of the records being dumped on the current path, to cut back references.
_DUMPING: contextvars.ContextVar[frozenset[int]] = contextvars.ContextVar(
    "twinsql_dumping", default=frozenset()
)
_SCHEMAS: dict[tuple[Any, ...], type[pydantic.BaseModel]] = {}


def dump_relations(record: Any, data: Any, info: pydantic.SerializationInfo) -> Any:
    """``data`` (the record's dumped fields) with its loaded relations added, dumped the
    same way (mode, aliases, the ``exclude_*`` flags, nested include/exclude)."""
    loaded = loaded_relations(record)
    if not loaded or not isinstance(data, dict):
        return data
    path = _DUMPING.get()
    token = _DUMPING.set(path | {id(record)})
    try:
        for name, value in loaded.items():
            if not _wanted(name, info.include, info.exclude):
                continue
            if value is None:
                if not info.exclude_none:
                    data[name] = None
                continue
            items = value if isinstance(value, list) else [value]
            if any(id(item) in path for item in items):
                continue  # a back reference to a record dumped further up
            options = _options(info, name)
            if isinstance(value, list):
                data[name] = [item.model_dump(**options) for item in value]
            else:
                data[name] = value.model_dump(**options)
    finally:
        _DUMPING.reset(token)
    return data


def _wanted(name: str, include: Any, exclude: Any) -> bool:
    if include is not None and name not in include:
        return False
    if exclude is None or name not in exclude:
        return True
    # ``exclude={"tracks": {"name"}}`` leaves out a part of each track, not the relation.
    return isinstance(exclude, dict) and exclude[name] is not True


def _options(info: pydantic.SerializationInfo, name: str) -> dict[str, Any]:
    return {
        "mode": info.mode,
        "by_alias": bool(info.by_alias),
        "exclude_unset": info.exclude_unset,
        "exclude_defaults": info.exclude_defaults,
        "exclude_none": info.exclude_none,
        "round_trip": info.round_trip,
        "context": info.context,
        "include": _nested(info.include, name),
        "exclude": _nested(info.exclude, name),
    }


def _nested(spec: Any, name: str) -> Any:
    """The include/exclude of each related record: ``{"tracks": {"name"}}`` or
    ``{"tracks": {"__all__": {"name"}}}`` gives ``{"name"}``."""
    if not isinstance(spec, dict):
        return None
    sub = spec.get(name)
    if isinstance(sub, dict) and "__all__" in sub:
        sub = sub["__all__"]
    return sub if isinstance(sub, (set, frozenset, dict)) else None


# -- schemas ---------------------------------------------------------------------------------


def server_filled(model: type[Any]) -> tuple[str, ...]:
    """The fields a create request leaves to the server: a primary key that has a default
    (generated), server defaults, and the timestamp, version and soft-delete fields."""
    info = model.__twinsql__
    roles = (info.created_field, info.updated_field, info.version_field, info.soft_delete_field)
    out = []
    for name in info.fields:
        field = model.model_fields[name]
        generated_key = name == info.primary_key and not field.is_required()
        if generated_key or info.options[name].server_default is not None or name in roles:
            out.append(name)
    return tuple(out)


def create_schema(model: type[Any], exclude: Iterable[str] = ()) -> type[pydantic.BaseModel]:
    """The body of a create request: the fields a client may set (see the module doc)."""
    dropped = frozenset(_checked_fields(model, exclude)) | frozenset(server_filled(model))
    key = (model, "create", dropped)
    cached = _SCHEMAS.get(key)
    if cached is None:
        fields = [f for f in model.__twinsql__.fields if f not in dropped]
        config = ConfigDict(extra="forbid")
        cached = _SCHEMAS[key] = _build(model, f"{model.__name__}Create", fields, {}, config)
    return cached


def read_schema(
    model: type[Any], include: Iterable[str] = (), exclude: Iterable[str] = ()
) -> type[pydantic.BaseModel]:
    """The response shape: every field but ``exclude``, plus the relations in ``include``
    (``"tracks"``, ``"tracks.album"``), built from a record's attributes."""
    if isinstance(include, str) or isinstance(exclude, str):
        raise ArgumentError("include and exclude take a tuple of names, not a str")
    dropped = frozenset(_checked_fields(model, exclude))
    nested = _split_paths(model, include)
    key = (model, "read", dropped, tuple(sorted((k, tuple(sorted(v))) for k, v in nested.items())))
    cached = _SCHEMAS.get(key)
    if cached is None:
        relations = model.__twinsql__.relations
        extra: dict[str, Any] = {}
        for name, paths in nested.items():
            target = read_schema(relations[name].target_model(), sorted(paths))
            many = relations[name].spec().many
            extra[name] = (list[target], ...) if many else (target | None, ...)  # type: ignore[valid-type]
        suffix = "".join(
            "With" + apply_rule("PascalCase", p.replace(".", "_"), "schema name")
            for p in sorted(_all_paths(nested))
        )
        config = ConfigDict(from_attributes=True, json_schema_serialization_defaults_required=True)
        fields = [f for f in model.__twinsql__.fields if f not in dropped]
        name = f"{model.__name__}Read{suffix}"
        cached = _SCHEMAS[key] = _build(model, name, fields, extra, config)
    return cached


def _checked_fields(model: type[Any], names: Iterable[str]) -> list[str]:
    if isinstance(names, str):
        raise ArgumentError("exclude takes a tuple of field names, not a str")
    info = model.__twinsql__
    return [info.check_field(name) for name in names]


def _split_paths(model: type[Any], include: Iterable[str]) -> dict[str, list[str]]:
    """``("tracks", "tracks.album")`` → ``{"tracks": ["album"]}``, each name checked."""
    relations = model.__twinsql__.relations
    out: dict[str, list[str]] = {}
    for path in include:
        head, _, rest = path.partition(".")
        if head not in relations:
            known = ", ".join(relations) or "none"
            raise ArgumentError(f"{model.__name__} has no relation {head!r}; relations: {known}")
        subs = out.setdefault(head, [])
        if rest and rest not in subs:
            subs.append(rest)
    return out


def _all_paths(nested: dict[str, list[str]]) -> list[str]:
    return [name for name in nested] + [f"{n}.{p}" for n, subs in nested.items() for p in subs]


def _build(
    model: type[Any],
    name: str,
    fields: list[str],
    extra: dict[str, Any],
    config: ConfigDict,
) -> type[pydantic.BaseModel]:
    definitions: dict[str, Any] = {
        f: (model.model_fields[f].annotation, model.model_fields[f]) for f in fields
    }
    definitions.update(extra)
    kept = set(fields)
    validators: dict[str, Any] = {}
    for decorator in model.__pydantic_decorators__.field_validators.values():
        if set(decorator.info.fields) <= kept:
            # Rebound to the schema class: the model's validator is a method of the model.
            function: Any = getattr(decorator.func, "__func__", decorator.func)
            validator: Any = pydantic.field_validator  # its overloads fix the mode statically
            validate = validator(*decorator.info.fields, mode=decorator.info.mode)
            validators[decorator.cls_var_name] = validate(classmethod(function))
    schema: type[pydantic.BaseModel] = pydantic.create_model(
        name,
        __config__=config,
        __doc__=f"{name}: derived from the twinsql model {model.__name__}.",
        __module__=model.__module__,
        __validators__=validators,
        **definitions,
    )
    return schema
