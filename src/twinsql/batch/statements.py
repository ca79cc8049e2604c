"""Batch feature, pure: what the batcher knows about one SQL statement.

Every statement handed to the batcher is analysed once per distinct text (``analyze``,
cached process-wide) into a ``Shape``: the statement compiled for the driver's placeholder
style (which also rejects a string holding two statements, mixed placeholder styles and the
like), its size, whether it is a transaction-control statement the batcher must refuse,
whether it commits implicitly (DDL on MySQL), and — for a single-row ``INSERT … VALUES (…)``
— the ``InsertTemplate`` (``twinsql.sql.insert``) from which same-shape INSERTs are merged
into one multi-row statement.

Two kinds of statement a dump holds get their own fields: a PostgreSQL ``COPY … FROM STDIN``
(``copy_in``: its target; its rows come as a ``CopyData`` instead of parameters), and a
statement that must run alone, outside any transaction (``outside_transaction``: MySQL's
statements that commit implicitly, and SQLite's ``PRAGMA``, which a transaction would turn
into a no-op for ``foreign_keys``).

A statement given without parameters is sent as written (``analyze(..., verbatim=True)``):
a ``?`` in it is the server's (PostgreSQL's jsonb ``?``), not an unfilled placeholder.

A ``Shape`` is derived from its text and the analysis arguments alone, so the cache may share
it between batchers and databases: nothing may change a ``Shape`` once it is built.  What a
batcher learns while it runs (a COPY its server refused, say) is kept by that batcher.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from twinsql.errors import ArgumentError
from twinsql.sql.frozen import builder
from twinsql.sql.insert import InsertTemplate, parse_insert, second_row_follows
from twinsql.sql.lexer import (
    COMMA,
    COMMENT,
    DOT,
    LPAREN,
    QUOTED,
    RPAREN,
    WORD,
    Lexer,
    Token,
    check_lexer,
    scan,
    scan_items,
)
from twinsql.sql.literal_insert import LiteralInsert, literal_insert
from twinsql.sql.placeholders import CompiledSQL, ParamStyle, compile_sql
from twinsql.sql.script import split_statements

__all__ = [
    "CopyData",
    "CopyTarget",
    "LiteralStatement",
    "Shape",
    "StatementTooLarge",
    "analyze",
    "bind_parts",
    "control_verb",
    "reads_stdin",
]

CopyTarget = tuple[str | None, str, tuple[str, ...] | None]
"""``(schema, table, columns)`` of a ``COPY … FROM STDIN``, names unquoted (``None``
columns: every column of the table)."""


@dataclass(frozen=True, slots=True)
class CopyData:
    """The rows of one ``COPY … FROM STDIN``, in COPY's text format (each row ends in a
    newline), and how many rows that is."""

    text: str
    rows: int


class StatementTooLarge(ArgumentError):
    """One statement alone exceeds a limit of the batch (``max_bytes``, the adapter's
    ``max_query_size``, the driver's parameter limit or MySQL's ``max_allowed_packet``);
    it is rejected before anything is sent."""


# What the first word of each transaction-control statement does.
# The batcher owns the transactions, so it refuses these.
_CONTROL_VERBS = {"BEGIN": "begin", "START": "begin", "COMMIT": "commit", "END": "commit",
                  "ROLLBACK": "rollback", "ABORT": "rollback", "SAVEPOINT": "savepoint",
                  "RELEASE": "savepoint"}  # fmt: skip
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


@dataclass(eq=False, frozen=True, slots=True)
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
    # Run alone, outside any transaction: implicit commits, SQLite pragmas.
    outside_transaction: bool = False
    # It changes the session (SET, USE, PRAGMA, set_config(…)): replayed on every new
    # connection of the batcher once applied, and the last statement of its batch.
    session: bool = False
    # MySQL: the table an INSERT, REPLACE, UPDATE or DELETE writes, or a CREATE TABLE or
    # ALTER TABLE makes, as written (unquoted; "db.t" when qualified): the planner tells a
    # write to a non-transactional table by it, the engine which table to look at again.
    target: str | None = None
    copy_in: CopyTarget | None = None  # a COPY … FROM STDIN: its rows come as CopyData
    # What the statement adds to a batch before its values: its text, or for an INSERT that
    # can share a multi-row statement its row (", (?, ?)"), which is all it adds there.
    base: int = 0
    # A text of several statements (allowed with allow_multiple): sent one by one, in one
    # transaction, as one ledger entry. No driver runs such a text in one call with bound
    # parameters (sqlite3, asyncpg, MySQL refuse it), so the batcher splits it.
    parts: tuple[Shape, ...] | None = None

    def bind(self, params: Any) -> Sequence[Any]:
        """Bind ``params``; for a multi-statement text, a tuple of each part's values; for a
        ``COPY … FROM STDIN``, a 1-tuple of its rows' text."""
        if self.copy_in is not None:
            if not isinstance(params, CopyData):
                raise ArgumentError(
                    "COPY … FROM STDIN takes its rows as a CopyData, not parameters",
                    sql=self.sql,
                )
            return (params.text,)
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


def analyze_fully(
    sql: str,
    style: ParamStyle,
    lexer: Lexer,
    allow_multiple: bool,
    transactional_ddl: bool,
    verbatim: bool = False,
) -> Shape:
    """The ``Shape`` of any statement, read token by token (``analyze`` tries the one-step
    reading of ``literal_shape`` first)."""
    # One scan serves the compiler and the item walk below.
    scanned = scan(sql, check_lexer(lexer))
    compiled = compile_sql(sql, style, lexer, allow_multiple=allow_multiple, scanned=scanned)
    as_written = verbatim and compiled.count > 0
    if as_written:
        # No parameters given: every "?" belongs to the server. Sent as written, unmerged.
        compiled = CompiledSQL(text=sql, style=style, count=0, names=None,
                               is_read_only=compiled.is_read_only, source=sql)  # fmt: skip
    if allow_multiple:
        pieces = split_statements(sql, lexer)
        if len(pieces) > 1:
            parts = tuple(analyze_fully(p, style, lexer, False, transactional_ddl) for p in pieces)
            return Shape(
                sql=sql,
                compiled=compiled,
                count=compiled.count,
                text_size=sum(part.text_size for part in parts),
                template=None,
                key=sql,
                control=any(part.control for part in parts),
                implicit_commit=any(part.implicit_commit for part in parts),
                outside_transaction=any(part.outside_transaction for part in parts),
                session=any(part.session for part in parts),
                parts=parts,
                base=sum(part.text_size for part in parts),
            )
    # A long text is read from its start first: what decides its shape is there, unless it
    # is a single-row INSERT (its row may be long); a multi-row INSERT of a dump is not, and
    # an item per value of its megabyte would be most of the load's memory.
    long = len(sql) > _HEAD_CHARS
    items = scan_items(sql, lexer, scanned, head=_HEAD_CHARS if long else None)
    first = _first_word(sql, items) if items is not None else ""
    template = None
    unmerged = as_written
    if long and items is not None and first in ("INSERT", "REPLACE", "COPY"):
        if first == "COPY" or not (as_written or second_row_follows(sql, items)):
            items = scan_items(sql, lexer, scanned)
        else:
            unmerged = True  # a multi-row INSERT already: no template, sent as written
    if first in ("INSERT", "REPLACE") and not unmerged:
        template = parse_insert(sql, lexer, items)
    key: object = sql
    if template is not None and compiled.count == 0:
        key = template.key
    implicit = not transactional_ddl and first in _IMPLICIT_COMMIT
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
        control=first in _CONTROL_VERBS or (first == "SET" and _sets_transaction(sql, items)),
        implicit_commit=implicit,
        verb=first,
        outside_transaction=implicit or _no_transaction(sql, items, lexer, first),
        session=_changes_session(sql, items, lexer, first),
        target=_target(sql, items, first) if lexer == "mysql" else None,
        copy_in=_copy_in(sql, items) if first == "COPY" and lexer == "postgresql" else None,
    )


class LiteralStatement(NamedTuple):
    """A statement already read as an INSERT of literal rows (the script reader's lane
    reads a dump's so): the batcher takes it as the text ``sql``, its shape made from
    ``found`` instead of reading the text again."""

    sql: str
    found: LiteralInsert


def literal_shape(
    sql: str, style: ParamStyle, lexer: Lexer, found: LiteralInsert | None = None
) -> Shape | None:
    """The shape of an INSERT of literal rows, read in one regex step (the bulk of a dump);
    None for any other statement. What ``analyze_fully`` gives the same
    text: no placeholder (the text is sent as written, in any style), a template for one
    row, the written text as the key of several; the INSERT commits nothing implicitly,
    runs inside a transaction and leaves the session as it is."""
    if found is None:
        found = literal_insert(sql, lexer)
        if found is None:
            return None
    template, table = found.template, found.table
    text_size = len(sql) if sql.isascii() else len(sql.encode("utf-8"))
    key: object = sql
    base = text_size
    if template is not None:
        base = found.row_bytes + 2  # ", " and the row: all it adds to a multi-row INSERT
        key = template.key
    compiled = CompiledSQL(
        text=sql, style=style, count=0, names=None, is_read_only=False, source=sql
    )
    # Every field of Shape in order: an INSERT commits nothing implicitly, runs inside a
    # transaction and leaves the session as it is.
    return _build_shape(sql, compiled, 0, text_size, template, key, False, False, "INSERT",
                        False, False, table if lexer == "mysql" else None, None, base,
                        None)  # fmt: skip


_build_shape = builder(Shape)


def _words(sql: str, items: list[Token] | None, count: int) -> list[str]:
    """The first ``count`` words of the statement, upper-case."""
    words = (sql[s:e].upper() for kind, s, e in items or () if kind == WORD)
    return list(itertools.islice(words, count))


def _no_transaction(sql: str, items: list[Token] | None, lexer: Lexer, first: str) -> bool:
    """Whether the server refuses to run the statement inside a transaction block (or, for
    ``ALTER TYPE … ADD VALUE``, lets no later statement of that transaction use the new
    value): such a statement runs alone, in autocommit."""
    if lexer == "sqlite":
        return first in ("PRAGMA", "VACUUM")
    if lexer != "postgresql" or first not in _PG_NO_TRANSACTION_VERBS:
        return False
    words = _words(sql, items, 8)
    if first == "VACUUM":
        return True
    if first in ("CREATE", "DROP"):
        rest = words[2:] if words[1:2] == ["UNIQUE"] else words[1:]
        if rest[:1] == ["INDEX"]:
            return rest[1:2] == ["CONCURRENTLY"]
        return rest[:1] in (["DATABASE"], ["TABLESPACE"], ["SUBSCRIPTION"])
    if first == "REINDEX":
        return "CONCURRENTLY" in words or words[1:2] in (["DATABASE"], ["SYSTEM"])
    # ALTER
    if words[1:2] == ["TYPE"]:
        return "ADD" in words and "VALUE" in words
    if words[1:2] == ["DATABASE"]:
        return "TABLESPACE" in words
    return words[1:2] in (["SYSTEM"], ["SUBSCRIPTION"])


_PG_NO_TRANSACTION_VERBS = frozenset({"VACUUM", "CREATE", "DROP", "REINDEX", "ALTER"})
# MySQL SET forms that change the server, not the session.
_NOT_SESSION = frozenset({"GLOBAL", "PERSIST", "PERSIST_ONLY", "LOCAL"})
_SERVER_VARIABLE_RE = re.compile(r"@@(?:global|persist|persist_only)\.", re.I)
_SET_CONFIG_RE = re.compile(r"\s*SELECT\s+(?:pg_catalog\s*\.\s*)?set_config\s*\(", re.I)


_WRITES = frozenset({"INSERT", "REPLACE", "UPDATE", "DELETE"})
# Words between the verb and the table name (INTO and FROM included).
_BEFORE_TABLE = frozenset({"LOW_PRIORITY", "DELAYED", "HIGH_PRIORITY", "IGNORE", "QUICK",
                           "INTO", "FROM"})  # fmt: skip


# Words between CREATE/ALTER and the name of the table.
_BEFORE_DDL_TABLE = frozenset({"OR", "REPLACE", "TEMPORARY", "ONLINE", "IGNORE", "TABLE", "IF",
                               "NOT", "EXISTS"})  # fmt: skip


def _target(sql: str, items: list[Token] | None, first: str) -> str | None:
    """The first table a MySQL write names, or the table a CREATE/ALTER TABLE makes
    (``db.t`` when qualified), unquoted; None for any other statement."""
    if first in _WRITES:
        skip = _BEFORE_TABLE
    elif first in ("CREATE", "ALTER") and "TABLE" in _words(sql, items, 4)[1:]:
        skip = _BEFORE_DDL_TABLE
    else:
        return None
    parts: list[str] = []
    seen_verb = False
    want_name = True  # a name may come next (at the start, or after a dot)
    for kind, start, end in items or ():
        text = sql[start:end]
        if kind == COMMENT:
            continue
        if not seen_verb:
            seen_verb = kind == WORD
            continue
        if not parts and kind == WORD and text.upper() in skip:
            continue
        if want_name and (kind == WORD or (kind == QUOTED and text.startswith("`"))):
            parts.append(text[1:-1].replace("``", "`") if kind == QUOTED else text)
            want_name = False
        elif kind == DOT and parts and not want_name:
            want_name = True
        else:
            break
    return ".".join(parts[-2:]) if parts else None


def _changes_session(sql: str, items: list[Token] | None, lexer: Lexer, first: str) -> bool:
    """Whether the statement sets session state a new connection would lack: ``SET``
    (not ``SET LOCAL``/``GLOBAL``, not ``SET TRANSACTION``), ``RESET``, MySQL's ``USE``,
    SQLite's ``PRAGMA``, and pg_dump's ``SELECT pg_catalog.set_config(…)``."""
    if first == "SET":
        words = _words(sql, items, 5)
        if "TRANSACTION" in words or "AUTOCOMMIT" in words:
            return False
        if lexer == "postgresql":
            return words[1:2] != ["LOCAL"]
        return not (set(words[1:2]) & _NOT_SESSION or _SERVER_VARIABLE_RE.search(sql))
    if first == "RESET":
        return lexer == "postgresql"
    if first == "USE":
        return lexer == "mysql"
    if first == "PRAGMA":
        return lexer == "sqlite"
    return first == "SELECT" and lexer == "postgresql" and _SET_CONFIG_RE.match(sql) is not None


def control_verb(sql: str, lexer: Lexer) -> str | None:
    """What a transaction-control statement does — ``"begin"``, ``"commit"``,
    ``"rollback"`` or ``"savepoint"`` (also RELEASE) — or None for any other statement.
    The one rule of what the batcher refuses as transaction control by its first word."""
    leading = _LEADING_WORD_RE.match(sql)
    if leading is not None:  # the usual case, a word first: no need to scan the statement
        return _CONTROL_VERBS.get(leading.group().upper())
    items = scan_items(sql, lexer)
    return _CONTROL_VERBS.get(_first_word(sql, items)) if items is not None else None


# A word at the very start, ended by a blank, a ";" or the end: nothing before it is a
# comment or a quote, and nothing after it makes it part of a longer word.
_LEADING_WORD_RE = re.compile(r"[A-Za-z]+(?=[\s;]|\Z)")


def reads_stdin(sql: str, lexer: Lexer) -> bool:
    """Whether ``sql`` is PostgreSQL's ``COPY … FROM STDIN`` (its rows follow it in a
    script, up to a ``\\.`` line)."""
    if lexer != "postgresql":
        return False
    leading = _LEADING_WORD_RE.match(sql)
    if leading is not None and leading.group().upper() != "COPY":
        return False  # the usual case, decided without scanning the statement
    items = scan_items(sql, lexer)
    return _first_word(sql, items or []) == "COPY" and _stdin_at(sql, items) >= 0


def _stdin_at(sql: str, items: list[Token] | None) -> int:
    """The position of FROM in the words of ``COPY … FROM STDIN`` (comments left out), or
    -1."""
    upper = [sql[s:e].upper() for kind, s, e in items or () if kind != COMMENT]
    for at in range(len(upper) - 1):
        if upper[at] == "FROM" and upper[at + 1] == "STDIN":
            return at
    return -1


def _copy_in(sql: str, items: list[Token] | None) -> CopyTarget | None:
    """The target of ``COPY name [(columns)] FROM STDIN`` (no options: COPY's text format);
    None for another COPY (TO, FROM a file); raises for one FROM STDIN with options."""
    at = _stdin_at(sql, items)
    if at < 0:
        return None
    words = [(kind, sql[s:e]) for kind, s, e in items or () if kind != COMMENT]
    names, pos = _name_list(words, 1, at, dotted=True)
    columns: tuple[str, ...] | None = None
    if names is not None and pos < at and words[pos][0] == LPAREN:
        columns, pos = _name_list(words, pos + 1, at, dotted=False)
        pos += 1  # the ")"
    if names is None or columns == () or pos != at or len(names) > 2 or at + 2 != len(words):
        raise ArgumentError(
            "only COPY table [(columns)] FROM STDIN (text format, no options) can be loaded",
            sql=sql,
        )
    schema = names[0] if len(names) == 2 else None
    return schema, names[-1], columns


def _name_list(
    words: list[tuple[int, str]], pos: int, stop: int, *, dotted: bool
) -> tuple[tuple[str, ...] | None, int]:
    """Names from ``pos``: dotted parts of one name, or a comma list up to ")"; the names
    unquoted, and the position after them (None when something else stands there)."""
    names: list[str] = []
    separator = DOT if dotted else None
    while pos < stop:
        kind, text = words[pos]
        if kind == WORD:
            names.append(text.lower())
        elif kind == QUOTED and text.startswith('"'):
            names.append(text[1:-1].replace('""', '"'))
        else:
            return None, pos
        pos += 1
        if pos >= stop:
            break
        kind = words[pos][0]
        if kind == RPAREN and not dotted:
            return tuple(names), pos
        if kind != (separator if dotted else COMMA):
            break
        pos += 1
    return tuple(names), pos


def _sets_transaction(sql: str, items: list[Token] | None) -> bool:
    """``SET TRANSACTION …`` (or ``SET SESSION CHARACTERISTICS AS TRANSACTION``): it shapes
    the batcher's own transaction, so it is refused like BEGIN."""
    if items is None:
        return False
    words = [sql[s:e].upper() for kind, s, e in items[:6] if kind == WORD]
    return "TRANSACTION" in words[:5] or "AUTOCOMMIT" in words[:5]


# How much of a long statement's text is read item by item before the rest is needed.
_HEAD_CHARS = 8192

_analyze_cached = functools.lru_cache(maxsize=4096)(analyze_fully)
_CACHE_MAX_CHARS = 32_768


def analyze(
    sql: str,
    style: ParamStyle,
    lexer: Lexer,
    *,
    allow_multiple: bool = False,
    transactional_ddl: bool = True,
    verbatim: bool = False,
) -> Shape:
    """The ``Shape`` of ``sql`` for ``style``; raises what ``compile_sql`` raises (several
    statements, mixed placeholder styles, …). ``verbatim``: no parameters come with it, so
    placeholders it seems to hold are sent as written. Cached per text for short
    statements."""
    if not isinstance(sql, str):
        raise ArgumentError(f"a statement must be a str, not {type(sql).__name__}")
    # A dump's INSERTs first, uncached: each text comes once.
    shape = literal_shape(sql, style, lexer)
    if shape is not None:
        return shape
    if len(sql) <= _CACHE_MAX_CHARS:
        return _analyze_cached(sql, style, lexer, allow_multiple, transactional_ddl, verbatim)
    return analyze_fully(sql, style, lexer, allow_multiple, transactional_ddl, verbatim)
