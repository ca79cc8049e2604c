"""Batch feature, pure: what the batcher knows about one SQL statement.

Every statement handed to the batcher is analysed once per distinct text (``analyze``,
cached process-wide) into a ``Shape``: the statement compiled for the driver's placeholder
style (which also rejects a string holding two statements, mixed placeholder styles and the
like), its size, whether it is a transaction-control statement the batcher must refuse,
whether it commits implicitly (DDL on MySQL), and — for a single-row ``INSERT … VALUES (…)``
— the ``InsertTemplate`` (``twinsql.sql.insert``) from which same-shape INSERTs are merged
into one multi-row statement.

A ``Shape`` is derived from its text and the analysis arguments alone, so the cache may share
it between batchers and databases: nothing may change a ``Shape`` once it is built.  What a
batcher learns while it runs (a COPY its server refused, say) is kept by that batcher.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from twinsql.errors import ArgumentError
from twinsql.sql.insert import InsertTemplate, parse_insert
from twinsql.sql.lexer import COMMENT, WORD, Lexer, Token, scan_items
from twinsql.sql.placeholders import CompiledSQL, ParamStyle, compile_sql
from twinsql.sql.script import split_statements

__all__ = ["Shape", "StatementTooLarge", "analyze", "bind_parts"]


class StatementTooLarge(ArgumentError):
    """One statement alone exceeds a limit of the batch (``max_bytes``, the adapter's
    ``max_query_size``, the driver's parameter limit or MySQL's ``max_allowed_packet``);
    it is rejected before anything is sent."""


# First words of statements that open, end or shape a transaction: the batcher owns those.
_CONTROL = frozenset(
    {"BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT", "SAVEPOINT", "RELEASE"}
)
# First words of MySQL statements that commit the open transaction implicitly.
_IMPLICIT_COMMIT = frozenset(
    {"CREATE", "ALTER", "DROP", "RENAME", "TRUNCATE", "GRANT", "REVOKE", "LOCK", "UNLOCK",
     "ANALYZE", "OPTIMIZE", "REPAIR", "FLUSH", "INSTALL", "UNINSTALL", "CACHE", "RESET"}
)  # fmt: skip


def _first_word(sql: str, items: list[Token]) -> str:
    for kind, start, end in items:
        if kind == WORD:
            return sql[start:end].upper()
        if kind != COMMENT:
            return ""
    return ""


@dataclass(eq=False, frozen=True)
class Shape:
    """One distinct statement text, analysed for one placeholder style (see the module
    docstring). ``key`` groups consecutive statements into runs: the text itself, or for
    INSERTs without placeholders (a dump's literal rows) the template's key, so that rows
    with different literal values still share one multi-row statement."""

    sql: str
    compiled: CompiledSQL
    count: int
    text_size: int  # bytes of the SQL text in the driver's style
    template: InsertTemplate | None
    key: object
    control: bool
    implicit_commit: bool
    verb: str = ""  # the first keyword, upper-case
    # What the statement adds to a batch before its values: its text, or for an INSERT that
    # can share a multi-row statement its row (", (?, ?)"), which is all it adds there.
    base: int = 0
    # A text of several statements (allowed with allow_multiple): sent one by one, in one
    # transaction, as one ledger entry. No driver runs such a text in one call with bound
    # parameters (sqlite3, asyncpg, MySQL refuse it), so the batcher splits it.
    parts: tuple[Shape, ...] | None = None

    def bind(self, params: Any) -> Sequence[Any]:
        """Bind ``params``; for a multi-statement text, a tuple of each part's values."""
        if self.parts is None:
            return self.compiled.bind(params)
        return bind_parts(self, params)


def bind_parts(shape: Shape, params: Any) -> tuple[Sequence[Any], ...]:
    """Give each statement of a multi-statement text its share of ``params``: positional
    values in order, or, for ``:name`` placeholders, the names it uses."""
    assert shape.parts is not None
    shape.compiled.bind(params)  # the whole text first: counts and names checked as one
    out: list[Sequence[Any]] = []
    if shape.compiled.names is None:
        values = list(params or ())
        position = 0
        for part in shape.parts:
            out.append(part.compiled.bind(values[position : position + part.count]))
            position += part.count
        return tuple(out)
    for part in shape.parts:
        names = part.compiled.names or ()
        out.append(part.compiled.bind({name: params[name] for name in names}))
    return tuple(out)


def _analyze(
    sql: str, style: ParamStyle, lexer: Lexer, allow_multiple: bool, transactional_ddl: bool
) -> Shape:
    compiled = compile_sql(sql, style, lexer, allow_multiple=allow_multiple)
    if allow_multiple:
        pieces = split_statements(sql, lexer)
        if len(pieces) > 1:
            parts = tuple(_analyze(p, style, lexer, False, transactional_ddl) for p in pieces)
            return Shape(
                sql=sql,
                compiled=compiled,
                count=compiled.count,
                text_size=sum(part.text_size for part in parts),
                template=None,
                key=sql,
                control=any(part.control for part in parts),
                implicit_commit=any(part.implicit_commit for part in parts),
                parts=parts,
                base=sum(part.text_size for part in parts),
            )
    items = scan_items(sql, lexer)
    first = _first_word(sql, items) if items is not None else ""
    template = None
    if first in ("INSERT", "REPLACE"):
        template = parse_insert(sql, lexer)
    key: object = sql
    if template is not None and compiled.count == 0:
        key = template.key
    text_size = len(compiled.text.encode("utf-8"))
    base = text_size if template is None else len(template.row_text(style).encode("utf-8")) + 2
    return Shape(
        sql=sql,
        compiled=compiled,
        count=compiled.count,
        text_size=text_size,
        base=base,
        template=template,
        key=key,
        control=first in _CONTROL or (first == "SET" and _sets_transaction(sql, items)),
        implicit_commit=not transactional_ddl and first in _IMPLICIT_COMMIT,
        verb=first,
    )


def _sets_transaction(sql: str, items: list[Token] | None) -> bool:
    """``SET TRANSACTION …`` (or ``SET SESSION CHARACTERISTICS AS TRANSACTION``): it shapes
    the batcher's own transaction, so it is refused like BEGIN."""
    if items is None:
        return False
    words = [sql[s:e].upper() for kind, s, e in items[:6] if kind == WORD]
    return "TRANSACTION" in words[:5] or "AUTOCOMMIT" in words[:5]


_analyze_cached = functools.lru_cache(maxsize=4096)(_analyze)
_CACHE_MAX_CHARS = 32_768


def analyze(
    sql: str,
    style: ParamStyle,
    lexer: Lexer,
    *,
    allow_multiple: bool = False,
    transactional_ddl: bool = True,
) -> Shape:
    """The ``Shape`` of ``sql`` for ``style``; raises what ``compile_sql`` raises (several
    statements, mixed placeholder styles, …). Cached per text for short statements."""
    if not isinstance(sql, str):
        raise ArgumentError(f"a statement must be a str, not {type(sql).__name__}")
    if len(sql) <= _CACHE_MAX_CHARS:
        return _analyze_cached(sql, style, lexer, allow_multiple, transactional_ddl)
    return _analyze(sql, style, lexer, allow_multiple, transactional_ddl)
