"""Every Python example of README.md and ARCHITECTURE.md runs, on SQLite, so no example can
rot.

How a document's ```python blocks run:

* in order, as one session: one module namespace per document (a block uses what an earlier
  block defined, as a reader does), in an empty directory, compiled as a file of its own
  (no ``from __future__ import annotations`` inherited: annotations are evaluated, as in a
  file the example was pasted into);
* a statement holding a top-level ``await`` (or ``async with``/``async for``) runs on one
  event loop kept for the whole document, a statement without runs directly: sync calls
  never run inside the loop, as in a script that runs its async steps with the loop;
* every server URL (``postgresql://…``, ``mysql://…``, ``mariadb://…``) in a string is
  replaced by ``sqlite:///app.db``, the SQLite file the examples use;
* an HTML comment right before a block may hold Python code the block assumes (the reader's
  tables and inputs), after a first line saying what it is; it runs before the block and is
  not shown::

      <!-- given: the rows to insert
      rows = [("Ann", "ann@example.com")]
      -->

* a block preceded by ``<!-- fragment -->`` is only compiled: it shows a shape, not a
  program.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import os
import re
import sys
import types
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", ROOT / "ARCHITECTURE.md"]
SQLITE_URL = "sqlite:///app.db"

_BLOCK = re.compile(
    r"(?:<!--(?P<comment>(?:(?!-->).)*)-->\s*\n)?```python\n(?P<code>.*?)```", re.DOTALL
)
_SERVER_URL = re.compile(r"""(["'])(?:postgresql|postgres|mysql|mariadb)(?:\+\w+)?://[^"']*\1""")


@dataclass(frozen=True)
class Block:
    line: int
    code: str
    given: str
    fragment: bool


def blocks_of(document: Path) -> list[Block]:
    text = document.read_text(encoding="utf-8")
    out = []
    for match in _BLOCK.finditer(text):
        comment = (match.group("comment") or "").strip()
        line = text.count("\n", 0, match.start("code")) + 1
        # "given: <what it is>", then the code on the lines below.
        given = comment.partition("\n")[2] if comment.startswith("given:") else ""
        out.append(Block(line, match.group("code"), given, comment == "fragment"))
    return out


def on_sqlite(code: str) -> str:
    return _SERVER_URL.sub(repr(SQLITE_URL), code)


class Session:
    """One document's namespace and event loop."""

    def __init__(self, name: str) -> None:
        self.module = types.ModuleType(name)
        self.loop = asyncio.new_event_loop()

    def run(self, code: str, filename: str, first_line: int) -> None:
        tree = ast.parse(code, filename)
        ast.increment_lineno(tree, first_line - 1)
        for statement in tree.body:
            compiled = compile(
                ast.Module([statement], type_ignores=[]),
                filename,
                "exec",
                flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT,
                dont_inherit=True,
            )
            if compiled.co_flags & inspect.CO_COROUTINE:
                self.loop.run_until_complete(eval(compiled, self.module.__dict__))
            else:
                exec(compiled, self.module.__dict__)

    def close(self) -> None:
        self.loop.close()


@pytest.fixture
def session(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Session]:
    name = f"twinsql_doc_{request.node.callspec.id.replace('.', '_')}"
    session = Session(name)
    sys.modules[name] = session.module  # relation targets resolve in the example's module
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        yield session
    finally:
        os.chdir(cwd)
        for value in list(vars(session.module).values()):
            close = getattr(value, "close", None)
            if type(value).__name__ == "Database" and close is not None:
                close()
            elif type(value).__name__ == "AsyncDatabase" and close is not None:
                session.loop.run_until_complete(close())
        session.close()
        del sys.modules[name]


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.name)
def test_every_python_example_runs(document: Path, session: Session) -> None:
    blocks = blocks_of(document)
    for block in blocks:
        filename = f"{document.name}:{block.line}"
        if block.given:
            given_line = block.line - block.given.count("\n") - 2
            session.run(block.given, f"{filename} (given)", given_line)
        if block.fragment:
            compile(block.code, filename, "exec", ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, True)
            continue
        session.run(on_sqlite(block.code), filename, block.line)


def test_the_headline_examples_are_not_fragments() -> None:
    readme = blocks_of(ROOT / "README.md")
    assert len(readme) >= 3
    assert not any(block.fragment for block in readme[:3])
