"""SQL feature, pure: the structure of a single-row INSERT, and its multi-row form.

``parse_insert`` reads ``INSERT [modifiers] INTO table [(columns)] VALUES (one row)
[conflict clause]`` into an ``InsertTemplate``; ``merged_sql`` builds from it the text of
one statement that inserts many such rows, directly in the driver's placeholder style (no
re-tokenizing of a 60 000-placeholder text).  The batch feature merges queued INSERTs with
it; ``insert_plan.plan_insert_batches`` plans a bulk insert of rows with it.

Why a template and not a regex: a regex such as ``VALUES\\s*(\\([^)]+\\))`` drops every
tuple after the first, cuts ``NOW()`` and ``'x)y'`` in half and reorders statements.  Here
the statement is read with the shared tokenizer (``lexer.scan_items``: quotes, quoted
identifiers, comments and dollar quotes are opaque tokens), the parentheses are matched
outside them, and only a statement that has exactly the expected structure, with every
placeholder inside the row, gets a template.  Anything else is None: sent as written.

Merging must not change what the statements do, so a row is merged only when its value
cannot depend on the rows before it: literals, placeholders, casts and the pure functions of
``PURE_FUNCTIONS``. A subquery (it may read the table being filled), a function outside that
list (``LAST_INSERT_ID()``, ``nextval``, ``random()``: side effects or session state), a
column or variable reference and ``DEFAULT`` make the statement unmergeable.

A template holds only data derived from its text and lexer, including its caches of
rendered text, so one template may be shared by every batcher on every database.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field

from twinsql.sql.lexer import (
    COMMA,
    COMMENT,
    DOT,
    LITQ,
    LPAREN,
    NAMED,
    OTHER,
    QMARK,
    QUOTED,
    RPAREN,
    SEMI,
    WORD,
    Lexer,
    Token,
    scan_items,
)
from twinsql.sql.placeholders import ParamStyle

__all__ = ["PURE_FUNCTIONS", "InsertTemplate", "merged_sql", "parse_insert", "second_row_follows"]

# Words allowed between INSERT/REPLACE and INTO (MySQL and SQLite modifiers).
_MODIFIERS = frozenset(
    {"OR", "IGNORE", "REPLACE", "ABORT", "FAIL", "ROLLBACK", "LOW_PRIORITY", "DELAYED",
     "HIGH_PRIORITY"}
)  # fmt: skip
# Functions whose result depends on their arguments alone (no side effect, no session or
# table state, no clock): a row calling only these means the same merged or alone. Dumps
# use some of them for values (sqlite3 .dump: replace(…, char(10)), unistr(…)).
PURE_FUNCTIONS = frozenset(
    {"abs", "cast", "char", "chr", "coalesce", "concat", "concat_ws", "decode", "encode",
     "from_base64", "hex", "ifnull", "lcase", "left", "length", "lower", "ltrim", "nullif",
     "replace", "reverse", "right", "round", "rtrim", "substr", "substring", "to_base64",
     "trim", "ucase", "unhex", "unistr", "upper"}
)  # fmt: skip
# Words a mergeable row may hold outside a function name and a type: constants.
_CONSTANT_WORDS = frozenset({"NULL", "TRUE", "FALSE", "ARRAY"})
_SUBQUERY_WORDS = frozenset({"SELECT", "WITH", "TABLE"})
_UNQUOTED_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")
_IDENT_CHAR = re.compile(r"[\w$]")


@dataclass(eq=False, frozen=True, slots=True)
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
    row_marks: tuple[Token, ...]  # placeholder and ?? tokens inside the row, absolute offsets
    other_marks: tuple[Token, ...]  # ?? tokens in the prefix and suffix
    # Values in the row (see arity): None until asked for when the template was read in
    # one step (sql.literal_insert), which does not count them; parse_insert counts them.
    _arity: int | None
    columns: int | None
    copy_target: tuple[str | None, str, tuple[str, ...] | None] | None
    key: tuple[str, str]
    _rendered: dict[str, tuple[str, str, tuple[str, ...], tuple[int, ...]]] = field(
        default_factory=dict, repr=False
    )
    # Multi-row statements built from this template, per (style, rows, per_row): see
    # merged_sql.  Like _rendered, derived from the fields above and nothing else.
    _rendered_many: dict[tuple[str, int, int], str] = field(default_factory=dict, repr=False)

    @property
    def arity(self) -> int:
        """The number of values in the row."""
        arity = self._arity
        if arity is None:  # counted by the full reading, once: few callers ever ask
            full = parse_insert(self.sql, self.lexer)
            arity = full.arity if full is not None else 0
            object.__setattr__(self, "_arity", arity)  # a cache of what the fields say
        return arity

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
        # Interned, as the key: every row of a dump's table shares them.
        prefix = sys.intern(_render(sql, *self.prefix, self.other_marks, double))
        suffix = sys.intern(_render(sql, *self.suffix, self.other_marks, double))
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


def _render(sql: str, start: int, end: int, marks: Sequence[Token], double: bool) -> str:
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


def _identifier(sql: str, item: Token) -> str | None:
    """A PostgreSQL identifier as the server names it: unquoted ones fold to lower case,
    quoted ones lose their quotes; None for anything else."""
    kind, start, end = item
    text = sql[start:end]
    if kind == WORD and _UNQUOTED_IDENT.fullmatch(text):
        return text.lower()
    if kind == QUOTED and len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        return text[1:-1].replace('""', '"')
    return None


def parse_insert(
    sql: str, lexer: Lexer, items: list[Token] | None = None
) -> InsertTemplate | None:
    """The ``InsertTemplate`` of a single-row INSERT, or None when ``sql`` is anything else
    (or an INSERT whose rows cannot be merged without changing what it does). ``items``:
    ``scan_items(sql, lexer)`` when the caller has it already."""
    if items is None:
        items = scan_items(sql, lexer)
    if items is None:
        return None
    items = [item for item in items if item[0] != COMMENT]
    n = len(items)
    if n == 0 or items[0][0] != WORD:
        return None
    verb = sql[items[0][1] : items[0][2]].upper()
    if verb not in ("INSERT", "REPLACE") or (verb == "REPLACE" and lexer == "postgresql"):
        return None
    i = 1
    plain = verb == "INSERT"
    while i < n and items[i][0] == WORD and sql[items[i][1] : items[i][2]].upper() in _MODIFIERS:
        plain = False
        i += 1
    if i >= n or items[i][0] != WORD or sql[items[i][1] : items[i][2]].upper() != "INTO":
        return None
    i += 1
    # table reference: name(.name)*
    table: list[Token] = []
    while i < n and items[i][0] in (WORD, QUOTED):
        table.append(items[i])
        i += 1
        if i < n and items[i][0] == DOT:
            i += 1
            continue
        break
    if not table or i >= n:
        return None
    column_items: list[Token] | None = None
    if items[i][0] == LPAREN:
        column_items = []
        i += 1
        while i < n and items[i][0] in (WORD, QUOTED):
            column_items.append(items[i])
            i += 1
            if i < n and items[i][0] == COMMA:
                i += 1
                continue
            break
        if i >= n or items[i][0] != RPAREN or not column_items:
            return None
        i += 1
    if i >= n or items[i][0] != WORD:
        return None
    keyword = sql[items[i][1] : items[i][2]].upper()
    if keyword != "VALUES" and not (keyword == "VALUE" and lexer == "mysql"):
        return None
    i += 1
    if i >= n or items[i][0] != LPAREN:
        return None
    row_start = items[i][1]
    # Walk the row to its matching ")": count its elements (commas at depth 1), note its
    # placeholders, and whether every element is exactly one placeholder (COPY-able).
    depth, arity, j = 0, 0, i
    row_marks: list[Token] = []
    simple = True
    element = 0  # items in the current element
    while j < n:
        kind = items[j][0]
        if kind == SEMI:
            return None
        if kind == LPAREN:
            depth += 1
            if depth == 1:
                j += 1
                continue
        elif kind == RPAREN:
            depth -= 1
            if depth == 0:
                break
        elif kind == COMMA and depth == 1:
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
    if not _pure_row(sql, items[i + 1 : j]):
        return None
    row_end = items[j][2]
    j += 1
    if j < n and items[j][0] == COMMA:
        return None  # a second row: the statement is a multi-row INSERT already
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
    other_marks: list[Token] = []
    if rest:
        if any(kind in (QMARK, NAMED) for kind, _, _ in rest):
            return None
        if not _pure_suffix(sql, rest):
            return None
        words = [sql[s:e].upper() for kind, s, e in rest if kind == WORD]
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
        _arity=arity,
        columns=None if column_items is None else len(column_items),
        copy_target=copy_target,
        # Interned: a dump's rows of one table share one copy of their INSERT prefix.
        key=(sys.intern(sql[:row_start]), sys.intern(sql[suffix_start:suffix_end].rstrip())),
    )


def second_row_follows(sql: str, items: Sequence[Token]) -> bool:
    """Whether ``items`` (the start of a statement's items, see ``scan_items``'s ``head``)
    show ``… VALUES (row),``: a multi-row INSERT, which ``parse_insert`` gives no template.
    A dump's multi-row INSERT is a megabyte of values: this answers from its first row
    without an item per value of the rest. False when the items end before the answer."""
    depth, at, n = 0, 0, len(items)
    while at < n:
        kind, start, end = items[at]
        if kind == LPAREN:
            depth += 1
        elif kind == RPAREN:
            depth -= 1
        elif kind == WORD and depth == 0 and sql[start:end].upper() in ("VALUES", "VALUE"):
            break
        at += 1
    at += 1
    while at < n and items[at][0] == COMMENT:
        at += 1
    if at >= n or items[at][0] != LPAREN:
        return False
    depth = 0
    while at < n:
        kind = items[at][0]
        if kind == LPAREN:
            depth += 1
        elif kind == RPAREN:
            depth -= 1
            if depth == 0:
                break
        at += 1
    at += 1
    while at < n and items[at][0] == COMMENT:
        at += 1
    return at < n and items[at][0] == COMMA


def _calls_pure(sql: str, items: list[Token], at: int) -> bool | None:
    """For the word at ``items[at]``: None when it is no function call, else whether the
    function is pure."""
    if at + 1 >= len(items) or items[at + 1][0] != LPAREN:
        return None
    return sql[items[at][1] : items[at][2]].lower() in PURE_FUNCTIONS


def _pure_row(sql: str, items: list[Token]) -> bool:
    """Whether the row's values depend on nothing but its text and parameters (see the
    module docstring): literals, placeholders, operators, casts, constants and pure
    functions."""
    in_type = False  # after "::" or CAST's AS: words name a type
    for at, (kind, start, end) in enumerate(items):
        if kind == OTHER:
            text = sql[start:end]
            if "@" in text:
                return False  # a MySQL variable, a SQL Server-style name: session state
            in_type = "::" in text
        elif kind == WORD:
            if in_type:
                continue
            call = _calls_pure(sql, items, at)
            if call is not None:
                if not call:
                    return False
                continue
            word = sql[start:end].upper()
            if word in _SUBQUERY_WORDS:
                return False
            if word == "AS":
                in_type = True
            elif word not in _CONSTANT_WORDS and not (
                at + 1 < len(items) and items[at + 1][0] == QUOTED
                and not sql.startswith(('"', "`", "["), items[at + 1][1])
            ):  # fmt: skip
                # Not a constant, nor a prefix of a literal (X'…', _binary '…', DATE '…'):
                # a column, a subquery's SELECT, DEFAULT, CURRENT_TIMESTAMP …
                return False
        elif kind in (COMMA, QUOTED, QMARK, NAMED, LITQ):
            in_type = False
    return True


def _pure_suffix(sql: str, items: list[Token]) -> bool:
    """Whether a conflict clause calls only pure functions (MySQL's ``VALUES(col)`` reads
    the row being inserted; ``ON CONFLICT (…)`` names columns) and holds no subquery."""
    for at, (kind, start, end) in enumerate(items):
        if kind == OTHER and "@" in sql[start:end]:
            return False
        if kind != WORD:
            continue
        word = sql[start:end].upper()
        if word in _SUBQUERY_WORDS:
            return False
        if word not in ("VALUES", "CONFLICT") and _calls_pure(sql, items, at) is False:
            return False
    return True


_MERGED_CACHE_MAX = 64


def merged_sql(template: InsertTemplate, style: ParamStyle, rows: int, per_row: int) -> str:
    """The multi-row statement of ``rows`` copies of ``template``'s row in ``style``, where
    each row binds ``per_row`` values (cached per count: a long run produces the same few
    counts again and again)."""
    cache = template._rendered_many
    key = (style, rows, per_row)
    sql = cache.get(key)
    if sql is not None:
        return sql
    prefix, suffix, _, refs = template.rendered(style)
    if style == "numeric" and refs:
        body = ", ".join(template.row_text(style, r * per_row) for r in range(rows))
    else:
        row = template.row_text(style)
        body = ", ".join([row] * rows)
    sql = prefix + body + suffix
    if len(cache) >= _MERGED_CACHE_MAX:
        cache.clear()
    cache[key] = sql
    return sql
