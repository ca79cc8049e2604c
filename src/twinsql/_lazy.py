"""Package plumbing: the names a package exports but imports on first use.

``twinsql`` and ``twinsql.sql`` each keep a table of their exported names and the module
each comes from, so that a program using one feature (``twinsql load`` uses the batcher
alone) does not pay for importing the others. Type checkers read the same names from the
package's ``TYPE_CHECKING`` imports; a test keeps the two lists equal.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_names"]


def lazy_names(
    package: str, namespace: dict[str, Any], table: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The module ``__getattr__`` and ``__dir__`` of ``package``: a name of ``table`` is
    imported from its module on first use and kept in ``namespace`` (the package's
    globals), so that the next look-up finds it there."""

    def getattr_(name: str) -> Any:
        module = table.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def dir_() -> list[str]:
        return sorted(set(namespace) | set(table))

    return getattr_, dir_
