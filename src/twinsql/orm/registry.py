"""ORM feature, pure: where a relation finds the model it names.

A relation's target (and a many-to-many's ``through``) is given as one of:

* the class itself;
* a function of no arguments returning it (``HasMany(lambda: Album)``), for a class defined
  later in the file or in a module that imports this one;
* a dotted path (``"app.models.Album"``): the module is imported and the name read from it;
* a bare class name (``"Album"``), looked up in the owner's *registry*.

A model's registry is the ``twinsql.Registry()`` object its class (or a base) carries as
``__registry__``: the name is looked up there and nowhere else, so two model sets that both
have an ``Artist`` never meet. Without one, the name is looked up in the owner's module
(its module attribute, else the model of that name defined in the same scope, such as the
same function), then among all models of the process, where it must be unique. A name that
matches several models is an error listing them and the ways to choose one.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from twinsql.errors import ArgumentError
from twinsql.orm.meta import ModelInfo

__all__ = ["Registry", "describe", "is_model", "resolve_target"]


def is_model(value: object) -> bool:
    """A concrete model class (one with a table), not an abstract base."""
    return isinstance(value, type) and isinstance(vars(value).get("__twinsql__"), ModelInfo)


def describe(model: type[Any]) -> str:
    """The model's dotted path, for messages."""
    return f"{model.__module__}.{model.__qualname__}"


class Registry:
    """A set of models in which relation targets named by class name are found. Give a base
    class one as ``__registry__ = twinsql.Registry()``: every concrete model below it joins
    it when its class is created."""

    def __init__(self, name: str | None = None) -> None:
        self.name = name
        self._models: dict[str, type[Any]] = {}

    def add(self, model: type[Any]) -> None:
        """Add ``model`` under its class name. A second model of the same name is refused;
        the same class defined again (a module reloaded) replaces the first."""
        known = self._models.get(model.__name__)
        if known is not None and describe(known) != describe(model):
            raise ArgumentError(
                f"{self!r} already has a model named {model.__name__!r} ({describe(known)}); "
                f"{describe(model)} needs another name or another registry"
            )
        self._models[model.__name__] = model

    def get(self, name: str) -> type[Any] | None:
        return self._models.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._models

    def __iter__(self) -> Iterator[type[Any]]:
        return iter(list(self._models.values()))

    def __len__(self) -> int:
        return len(self._models)

    def __repr__(self) -> str:
        label = f" {self.name!r}" if self.name else f" at {id(self):#x}"
        return f"<twinsql.Registry{label}: {len(self._models)} models>"


def resolve_target(
    target: object, owner: type[Any], all_models: Callable[[], Iterable[type[Any]]]
) -> type[Any]:
    """The model class ``target`` names for a relation declared on ``owner``;
    ``all_models`` lists every concrete model of the process (asked only when needed)."""
    where = f"relation target {_shown(target)} of {owner.__name__}"
    if isinstance(target, type):
        return _checked(target, where)
    if callable(target):
        return _checked(target(), where)
    if not isinstance(target, str) or not target:
        raise ArgumentError(f"{where}: expected a model class, a lambda or a name")
    if "." in target:
        return _checked(_import(target, where), where)
    registry: Registry | None = getattr(owner, "__registry__", None)
    if registry is not None:
        found = registry.get(target)
        if found is None:
            known = ", ".join(sorted(m.__name__ for m in registry)) or "none"
            raise ArgumentError(
                f"{where}: {registry!r} has no model named {target!r} (it has: {known}); "
                "name a model of another registry by its class, a lambda or a dotted path"
            )
        return found
    return _by_name(target, owner, where, all_models)


def _by_name(
    name: str, owner: type[Any], where: str, all_models: Callable[[], Iterable[type[Any]]]
) -> type[Any]:
    module = sys.modules.get(owner.__module__)
    attribute = getattr(module, name, None) if module is not None else None
    if is_model(attribute):
        return attribute  # type: ignore[return-value]
    found = [m for m in all_models() if m.__name__ == name]
    scope = owner.__qualname__.rpartition(".")[0]
    for narrowed in (
        [m for m in found if m.__module__ == owner.__module__ and _scope(m) == scope],
        [m for m in found if m.__module__ == owner.__module__],
        found,
    ):
        if len(narrowed) == 1:
            return narrowed[0]
        if narrowed:
            found = narrowed
            break
    if not found:
        raise ArgumentError(f"{where}: no model named {name!r} is defined")
    paths = sorted(describe(m) for m in found)
    raise ArgumentError(
        f"{where} is ambiguous: {', '.join(paths)}. Choose one: pass the class, a lambda "
        f"(lambda: {name}), a dotted path ({paths[0]!r}), or give each model set its own "
        "twinsql.Registry() as __registry__ on its base class"
    )


def _scope(model: type[Any]) -> str:
    return model.__qualname__.rpartition(".")[0]


def _import(path: str, where: str) -> object:
    module_name, _, name = path.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ArgumentError(f"{where}: cannot import module {module_name!r}: {exc}") from exc
    try:
        return getattr(module, name)
    except AttributeError:
        raise ArgumentError(f"{where}: module {module_name!r} has no {name!r}") from None


def _checked(value: object, where: str) -> type[Any]:
    if not is_model(value):
        raise ArgumentError(
            f"{where}: {_shown(value)} is not a model with a table (a twinsql.Model subclass "
            "that is not abstract)"
        )
    return value  # type: ignore[return-value]


def _shown(value: object) -> str:
    if isinstance(value, type):
        return value.__name__
    if isinstance(value, str):
        return repr(value)
    return getattr(value, "__qualname__", None) or type(value).__name__
