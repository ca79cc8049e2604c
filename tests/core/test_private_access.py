"""Modules use each other's named API, never their private members.

Every module of ``src/twinsql`` (the generated ``_sync/`` folders excepted: they repeat their
``_async/`` sources) is parsed and two kinds of reach are counted:

* ``x._name`` (one leading underscore, not a dunder) where ``x`` is not ``self``/``cls`` and
  ``_name`` is not defined in the same module, read or written;
* ``from m import _name`` from another module.

A name counts as defined in a module when the module binds it: a ``def``/``class``, an
assignment or annotation to the bare name, an attribute set on ``self``/``cls`` or an entry
of ``__slots__``. A member another module needs is given a public name by its owner
(documented as internal where it is not for users).

A third-party library's private member is the one exception, listed by name with the reason
(there is no twinsql class to give it a public name).
"""

from __future__ import annotations

import ast
from pathlib import Path

import twinsql

SOURCE_ROOT = Path(twinsql.__file__).resolve().parent
OWN_RECEIVERS = frozenset({"self", "cls"})
THIRD_PARTY_PRIVATE = {
    "_force_close": "PyMySQL has no public way to close the socket without sending QUIT",
    "_transport": (
        "asyncpg and asyncmy expose no transport: a connection whose event loop is closed "
        "can only be ended by shutting its socket down"
    ),
    "_get_running_loop": (
        "asyncio's one way (listed in asyncio.events.__all__) to ask for the running loop "
        "without raising; get_running_loop raises when there is none, which would cost a "
        "sync database an exception on every call"
    ),
}


def is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def source_modules() -> list[Path]:
    paths = SOURCE_ROOT.rglob("*.py")
    return sorted(path for path in paths if "_sync" not in path.relative_to(SOURCE_ROOT).parts)


def defined_names(tree: ast.Module) -> set[str]:
    """The names ``tree`` binds itself (see the module docstring)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.ctx, ast.Store)
            and isinstance(node.value, ast.Name)
            and node.value.id in OWN_RECEIVERS
        ):
            names.add(node.attr)
        elif isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "__slots__" for target in node.targets
        ):
            names.update(
                element.value
                for element in ast.walk(node.value)
                if isinstance(element, ast.Constant) and isinstance(element.value, str)
            )
    return names


def private_reaches(text: str, where: str) -> list[str]:
    """Each reach of the module ``text`` into another module's private members, as
    ``where:line: expression``."""
    tree = ast.parse(text, filename=where)
    own = defined_names(tree)
    found: list[str] = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and is_private(node.attr)
            and node.attr not in own
            and node.attr not in THIRD_PARTY_PRIVATE
        ):
            receiver = node.value
            if isinstance(receiver, ast.Name) and receiver.id in OWN_RECEIVERS:
                continue
            found.append(f"{where}:{node.lineno}: {ast.unparse(node)}")
        elif isinstance(node, ast.ImportFrom):
            found.extend(
                f"{where}:{node.lineno}: from {node.module} import {alias.name}"
                for alias in node.names
                if is_private(alias.name)
            )
    return sorted(found, key=lambda line: int(line.split(":")[1]))


def test_the_scanner_sees_reads_writes_and_imports() -> None:
    text = (
        "from m import _hidden, shown\n"
        "class A:\n"
        "    __slots__ = ('_slot',)\n"
        "    def __init__(self, other):\n"
        "        self._mine = 1\n"
        "        other._theirs = 2\n"
        "        self._slot = other._mine + other._read\n"
        "        self.__dunder__ = other.__len__\n"
        "    @classmethod\n"
        "    def make(cls):\n"
        "        return cls._built\n"
    )
    found = [line.split(": ", 1)[1] for line in private_reaches(text, "sample.py")]
    assert found == ["from m import _hidden", "other._theirs", "other._read"]


def test_no_module_reaches_into_another_modules_private_members() -> None:
    offenders = [
        line
        for path in source_modules()
        for line in private_reaches(
            path.read_text(encoding="utf-8"), str(path.relative_to(SOURCE_ROOT.parent))
        )
    ]
    print("\n".join(offenders))
    assert len(offenders) == 0, f"{len(offenders)} private reaches:\n" + "\n".join(offenders)
