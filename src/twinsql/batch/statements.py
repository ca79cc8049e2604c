"""Core layer (pure): what the batcher knows about one SQL statement.

Every statement handed to the batcher is analysed once per distinct text (``analyze``,
cached) into a ``Shape``: the statement compiled for the driver's placeholder style (which
also rejects a string holding two statements, mixed placeholder styles and the like), its
size, whether it is a transaction-control statement the batcher must refuse, whether it
commits implicitly (DDL on MySQL), and — for a single-row ``INSERT … VALUES (…)`` — an
``InsertTemplate`` from which same-shape INSERTs are merged into one multi-row statement.

Why a template and not a regex: the seed project merged INSERTs with
``VALUES\\s*(\\([^)]+\\))``, which drops every tuple after the first, cuts ``NOW()`` and
``'x)y'`` in half and reorders statements. Here the statement is read with the tokenizer of
``core.params`` (quotes, quoted identifiers, comments and dollar quotes are opaque tokens),
the parentheses are matched outside them, and only a statement that has exactly the expected
structure — ``INSERT [modifiers] INTO table [(columns)] VALUES (one row) [conflict clause]``
with every placeholder inside the row — gets a template. Anything else is sent as written.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from twinsql.errors import ArgumentError
from twinsql.sql.params import (
    COMMENT,
    LITQ,
    NAMED,
    QMARK,
    QUOTED,
    SEMI,
    CompiledSQL,
    Lexer,
    ParamStyle,
    compile_sql,
    scan_tokens,
    split_statements,
)

__all__ = [
    "NOMINAL_SIZE",
    "InsertTemplate",
    "Shape",
    "StatementTooLarge",
    "analyze",
    "other_value_size",
    "parse_insert",
    "precise_size",
    "values_size",
]


class StatementTooLarge(ArgumentError):
    """One statement alone exceeds a limit of the batch (``max_bytes``, the adapter's
    ``max_query_size``, the driver's parameter limit or MySQL's ``max_allowed_packet``);
    it is rejected before anything is sent."""


# Item kinds of the structural walk: the tokenizer's kinds, plus what matters in the gaps.
_WORD, _LP, _RP, _COMMA, _DOT, _OTHER = 100, 101, 102, 103, 104, 105
# A word, a bracket, a comma or a dot; any other run of non-blank characters (a number, an
# operator) is an "other" item, so that "(? + 1)" is never mistaken for a bare placeholder.
_GAP_RE = re.compile(r"[^\W\d][\w$]*|[(),.]|[^\s(),.]+")
_GAP_KINDS = {"(": _LP, ")": _RP, ",": _COMMA, ".": _DOT}
Item = tuple[int, int, int]  # (kind, start, end)

# Words allowed between INSERT/REPLACE and INTO (MySQL and SQLite modifiers).
_MODIFIERS = frozenset(
    {"OR", "IGNORE", "REPLACE", "ABORT", "FAIL", "ROLLBACK", "LOW_PRIORITY", "DELAYED",
     "HIGH_PRIORITY"}
)  # fmt: skip
# First words of statements that open, end or shape a transaction: the batcher owns those.
_CONTROL = frozenset(
    {"BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT", "SAVEPOINT", "RELEASE"}
)
# First words of MySQL statements that commit the open transaction implicitly.
_IMPLICIT_COMMIT = frozenset(
    {"CREATE", "ALTER", "DROP", "RENAME", "TRUNCATE", "GRANT", "REVOKE", "LOCK", "UNLOCK",
     "ANALYZE", "OPTIMIZE", "REPAIR", "FLUSH", "INSTALL", "UNINSTALL", "CACHE", "RESET"}
)  # fmt: skip
_WORD_RE = re.compile(r"[^\W\d][\w$]*")
_UNQUOTED_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")
_IDENT_CHAR = re.compile(r"[\w$]")


def _items(sql: str, lexer: Lexer) -> list[Item] | None:
    """The structural items of ``sql`` in text order, or None when a quote or comment is
    unterminated (such a statement is sent as written; the server will reject it)."""
    tokens, unterminated = scan_tokens(sql, lexer)
    if unterminated:
        return None
    items: list[Item] = []
    pos = 0
    for kind, start, end in [*tokens, (-1, len(sql), len(sql))]:
        for m in _GAP_RE.finditer(sql, pos, start):
            text = m.group()
            kind_found = _GAP_KINDS.get(text)
            if kind_found is None:
                kind_found = _WORD if _WORD_RE.fullmatch(text) else _OTHER
            items.append((kind_found, m.start(), m.end()))
        if kind != -1:
            items.append((kind, start, end))
        pos = end
    return items


def _first_word(sql: str, items: list[Item]) -> str:
    for kind, start, end in items:
        if kind == _WORD:
            return sql[start:end].upper()
        if kind != COMMENT:
            return ""
    return ""


@dataclass(eq=False)
class InsertTemplate:
    """The structure of ``INSERT … VALUES (row) …``: the source text split into the part
    before the row, the row and the part after it, and where the row's placeholders are.

    ``key`` identifies statements that can share one multi-row statement: same prefix and
    suffix text. ``copy_target`` is ``(schema, table, columns)`` as plain names when the
    statement is a plain PostgreSQL INSERT whose row is nothing but distinct placeholders,
    so that a COPY is equivalent to it; otherwise None.
    """

    sql: str
    lexer: Lexer
    prefix: tuple[int, int]
    row: tuple[int, int]
    suffix: tuple[int, int]
    row_marks: tuple[Item, ...]  # placeholder and ?? tokens inside the row, absolute offsets
    other_marks: tuple[Item, ...]  # ?? tokens in the prefix and suffix
    arity: int
    columns: int | None
    copy_target: tuple[str | None, str, tuple[str, ...] | None] | None
    key: tuple[str, str]
    _rendered: dict[str, tuple[str, str, tuple[str, ...], tuple[int, ...]]] = field(
        default_factory=dict, repr=False
    )
    # Multi-row statements built from this template, per (style, rows): see batching.
    rendered_many: dict[tuple[str, int], str] = field(default_factory=dict, repr=False)

    @property
    def column_count(self) -> int:
        """Columns the statement writes: its column list, or the row's arity."""
        return self.columns if self.columns is not None else self.arity

    def rendered(self, style: ParamStyle) -> tuple[str, str, tuple[str, ...], tuple[int, ...]]:
        """``(prefix, suffix, row pieces, row refs)`` in ``style``: the row is
        ``pieces[0] mark(refs[0]) pieces[1] … pieces[-1]``, where ``refs[i]`` is the index of
        the bound value (of this statement) that the i-th placeholder takes."""
        cached = self._rendered.get(style)
        if cached is not None:
            return cached
        sql = self.sql
        # psycopg and PyMySQL %-format a text only when it comes with parameters (see
        # compile_sql): double "%" only for a row that has placeholders.
        double = style == "format" and any(k in (QMARK, NAMED) for k, _, _ in self.row_marks)
        prefix = _render(sql, *self.prefix, self.other_marks, double)
        suffix = _render(sql, *self.suffix, self.other_marks, double)
        pieces: list[str] = []
        refs: list[int] = []
        names: dict[str, int] = {}
        pos = self.row[0]
        for kind, start, end in self.row_marks:
            if kind == LITQ:
                continue  # rendered inside the piece by _render
            pieces.append(_render(sql, pos, start, self.row_marks, double))
            if kind == NAMED and style == "numeric":
                refs.append(names.setdefault(sql[start + 1 : end], len(names)))
            else:
                refs.append(len(refs))
            pos = end
        pieces.append(_render(sql, pos, self.row[1], self.row_marks, double))
        # A mark written against an identifier character gets a space, as compile_sql does.
        for i in range(len(refs)):
            if pieces[i] and _IDENT_CHAR.match(pieces[i][-1]):
                pieces[i] += " "
            if pieces[i + 1] and _IDENT_CHAR.match(pieces[i + 1][0]):
                pieces[i + 1] = " " + pieces[i + 1]
        result = (prefix, suffix, tuple(pieces), tuple(refs))
        self._rendered[style] = result
        return result

    def row_text(self, style: ParamStyle, offset: int = 0) -> str:
        """The row in ``style``; ``offset`` is the number of values bound before it (it
        matters only for ``numeric`` style, whose marks are numbered)."""
        _, _, pieces, refs = self.rendered(style)
        if not refs:
            return pieces[0]
        out = [pieces[0]]
        for ref, piece in zip(refs, pieces[1:]):
            out.append(_mark(style, offset + ref))
            out.append(piece)
        return "".join(out)


def _mark(style: ParamStyle, index: int) -> str:
    if style == "numeric":
        return f"${index + 1}"
    return "%s" if style == "format" else "?"


def _render(sql: str, start: int, end: int, marks: Sequence[Item], double: bool) -> str:
    """``sql[start:end]`` (which holds no placeholder) as ``compile_sql`` renders it: ``??``
    becomes ``?`` and, when ``double`` (format style, with parameters), ``%`` is doubled."""
    pieces: list[str] = []
    pos = start
    for kind, mstart, mend in marks:
        if kind != LITQ or mstart < start or mend > end:
            continue
        pieces.append(sql[pos:mstart])
        pieces.append("?")
        pos = mend
    pieces.append(sql[pos:end])
    text = "".join(pieces)
    return text.replace("%", "%%") if double else text


def _identifier(sql: str, item: Item) -> str | None:
    """A PostgreSQL identifier as the server names it: unquoted ones fold to lower case,
    quoted ones lose their quotes; None for anything else."""
    kind, start, end = item
    text = sql[start:end]
    if kind == _WORD and _UNQUOTED_IDENT.fullmatch(text):
        return text.lower()
    if kind == QUOTED and len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        return text[1:-1].replace('""', '"')
    return None


def parse_insert(sql: str, lexer: Lexer) -> InsertTemplate | None:
    """The ``InsertTemplate`` of a single-row INSERT, or None when ``sql`` is anything else
    (or an INSERT whose rows cannot be merged without changing what it does)."""
    items = _items(sql, lexer)
    if items is None:
        return None
    items = [item for item in items if item[0] != COMMENT]
    n = len(items)
    if n == 0 or items[0][0] != _WORD:
        return None
    verb = sql[items[0][1] : items[0][2]].upper()
    if verb not in ("INSERT", "REPLACE") or (verb == "REPLACE" and lexer == "postgresql"):
        return None
    i = 1
    plain = verb == "INSERT"
    while i < n and items[i][0] == _WORD and sql[items[i][1] : items[i][2]].upper() in _MODIFIERS:
        plain = False
        i += 1
    if i >= n or items[i][0] != _WORD or sql[items[i][1] : items[i][2]].upper() != "INTO":
        return None
    i += 1
    # table reference: name(.name)*
    table: list[Item] = []
    while i < n and items[i][0] in (_WORD, QUOTED):
        table.append(items[i])
        i += 1
        if i < n and items[i][0] == _DOT:
            i += 1
            continue
        break
    if not table or i >= n:
        return None
    column_items: list[Item] | None = None
    if items[i][0] == _LP:
        column_items = []
        i += 1
        while i < n and items[i][0] in (_WORD, QUOTED):
            column_items.append(items[i])
            i += 1
            if i < n and items[i][0] == _COMMA:
                i += 1
                continue
            break
        if i >= n or items[i][0] != _RP or not column_items:
            return None
        i += 1
    if i >= n or items[i][0] != _WORD:
        return None
    keyword = sql[items[i][1] : items[i][2]].upper()
    if keyword != "VALUES" and not (keyword == "VALUE" and lexer == "mysql"):
        return None
    i += 1
    if i >= n or items[i][0] != _LP:
        return None
    row_start = items[i][1]
    # Walk the row to its matching ")": count its elements (commas at depth 1), note its
    # placeholders, and whether every element is exactly one placeholder (COPY-able).
    depth, arity, j = 0, 0, i
    row_marks: list[Item] = []
    simple = True
    element = 0  # items in the current element
    while j < n:
        kind = items[j][0]
        if kind == SEMI:
            return None
        if kind == _LP:
            depth += 1
            if depth == 1:
                j += 1
                continue
        elif kind == _RP:
            depth -= 1
            if depth == 0:
                break
        elif kind == _COMMA and depth == 1:
            arity += 1
            simple = simple and element == 1
            element = 0
            j += 1
            continue
        if kind in (QMARK, NAMED, LITQ):
            row_marks.append(items[j])
        element += 1
        if depth > 1 or kind not in (QMARK, NAMED):
            simple = False
        j += 1
    if j >= n:
        return None
    if element or arity:
        arity += 1
    simple = simple and element == 1 and arity > 0
    row_end = items[j][2]
    j += 1
    # What may follow the row: nothing, a conflict clause without placeholders, a ";".
    suffix_start = row_end
    suffix_end = len(sql)
    rest = items[j:]
    semis = [k for k, item in enumerate(rest) if item[0] == SEMI]
    if semis:
        if semis[0] != len(rest) - 1:
            return None
        suffix_end = rest[-1][1]
        rest = rest[:-1]
    other_marks: list[Item] = []
    if rest:
        if any(kind in (QMARK, NAMED) for kind, _, _ in rest):
            return None
        words = [sql[s:e].upper() for kind, s, e in rest if kind == _WORD]
        if words[:2] == ["ON", "CONFLICT"] and lexer != "mysql":
            if words[-2:] != ["DO", "NOTHING"]:
                return None  # DO UPDATE may not touch one row twice in one statement
        elif words[:4] == ["ON", "DUPLICATE", "KEY", "UPDATE"] and lexer == "mysql":
            pass  # MySQL applies it row by row, as separate statements would
        else:
            return None  # RETURNING, a row alias, a second row …
        other_marks = [item for item in rest if item[0] == LITQ]
        plain = False
    names = [sql[s + 1 : e] for kind, s, e in row_marks if kind == NAMED]
    copy_target = None
    if (
        lexer == "postgresql"
        and plain
        and simple
        and not any(kind == LITQ for kind, _, _ in row_marks)
        and len(set(names)) == len(names)
        and len(table) <= 2
        and (column_items is None or len(column_items) == arity)
    ):
        parts = [_identifier(sql, item) for item in table]
        cols = None if column_items is None else [_identifier(sql, c) for c in column_items]
        if all(p is not None for p in parts) and (cols is None or all(cols)):
            schema = parts[0] if len(parts) == 2 else None
            copy_target = (schema, str(parts[-1]), None if cols is None else tuple(map(str, cols)))
    prefix = (0, row_start)
    suffix = (suffix_start, suffix_end)
    return InsertTemplate(
        sql=sql,
        lexer=lexer,
        prefix=prefix,
        row=(row_start, row_end),
        suffix=suffix,
        row_marks=tuple(row_marks),
        other_marks=tuple(other_marks),
        arity=arity,
        columns=None if column_items is None else len(column_items),
        copy_target=copy_target,
        key=(sql[:row_start], sql[suffix_start:suffix_end].rstrip()),
    )


@dataclass(eq=False)
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
    # Set by the executor when a COPY of this shape failed for a reason COPY alone has (an
    # unsupported column type): later runs use multi-row VALUES instead.
    copy_ok: bool = True
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
    items = _items(sql, lexer)
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


def _sets_transaction(sql: str, items: list[Item] | None) -> bool:
    """``SET TRANSACTION …`` (or ``SET SESSION CHARACTERISTICS AS TRANSACTION``): it shapes
    the batcher's own transaction, so it is refused like BEGIN."""
    if items is None:
        return False
    words = [sql[s:e].upper() for kind, s, e in items[:6] if kind == _WORD]
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


# Nominal sizes: what a value adds to a batch. Strings and bytes count their length; a
# number, a bool or NULL a fixed 8; anything else (a date, JSON, Decimal, UUID) its text.
NOMINAL_SIZE = 8


def values_size(values: Sequence[Any]) -> int:
    """The nominal size of bound values. The hot path of a bulk load: one type look-up and
    one or two identity tests per value."""
    size = NOMINAL_SIZE * len(values)
    for value in values:
        kind = type(value)
        if kind is str:
            size += len(value) - NOMINAL_SIZE
        elif kind is int or kind is float or kind is bool or value is None:
            continue
        else:
            size += other_value_size(value) - NOMINAL_SIZE
    return size


def other_value_size(value: Any) -> int:
    """The nominal size of a value that is not a str, int, float, bool or None."""
    if isinstance(value, (str, bytes, bytearray, memoryview)):
        return len(value)
    if isinstance(value, (int, float)):
        return NOMINAL_SIZE
    return len(str(value)) + 2


# How far a nominal size may be from the bytes a MySQL statement really takes once the
# driver has interpolated the values: four UTF-8 bytes per character, every byte escaped.
MYSQL_SIZE_FACTOR = 8
MYSQL_PER_VALUE = 16
_ESCAPED = ("\\", "'", '"', "\n", "\r", "\x00", "\x1a")


def precise_size(values: Sequence[Any]) -> int:
    """An upper bound of the bytes ``values`` take interpolated into MySQL text, closer than
    the nominal bound (used only for a single statement the nominal bound would refuse)."""
    size = 0
    for value in values:
        if isinstance(value, str):
            size += len(value.encode("utf-8")) + sum(value.count(c) for c in _ESCAPED) + 2
        elif isinstance(value, (bytes, bytearray, memoryview)):
            data = bytes(value)
            size += len(data) + sum(data.count(c.encode()) for c in _ESCAPED) + 10
        else:
            size += len(str(value)) + MYSQL_PER_VALUE
    return size
