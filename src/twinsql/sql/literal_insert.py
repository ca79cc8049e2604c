"""SQL feature, pure: the INSERTs a dump is made of, recognised in one regex step each.

A dump is mostly ``INSERT INTO name [(columns)] VALUES (literal, …)`` — one row of plain
literals (``sqlite3 .dump``, ``pg_dump --inserts``) or many (``mariadb-dump``).  Reading
each through the shared tokenizer and ``parse_insert`` costs tens of microseconds; a
single regex per lexer that accepts only that exact form costs one (``literal_insert`` for
a statement; ``literal_insert_statement`` for the script reader, which finds a dump's
INSERTs in its text with it and hands what it found on, ``literal_insert_found``).  What
it does not accept — a comment, a cast, a function call, an ``E'…'`` string, a
placeholder — is None, and the caller then reads the statement the full way.

What it accepts it must read exactly as the full way does (``parse_insert`` for one row;
for several rows, an INSERT sent as written): a test holds the two readings equal on the
statements of real dumps and on hand-made edge cases.  The values it accepts are those the
full way finds mergeable without looking further: quoted strings as the lexer reads them,
numbers, hex literals and the constants ``NULL``, ``TRUE`` and ``FALSE``.
"""

from __future__ import annotations

import re
import sys
from typing import NamedTuple

from twinsql.sql.frozen import builder
from twinsql.sql.insert import InsertTemplate
from twinsql.sql.lexer import Lexer

__all__ = ["LiteralInsert", "literal_insert", "literal_insert_found", "literal_insert_statement"]


class LiteralInsert(NamedTuple):
    """What ``literal_insert`` read: the template of a one-row INSERT (None when the
    statement holds several rows), and the table as written, unquoted (``db.t`` when
    qualified)."""

    template: InsertTemplate | None
    table: str
    row_bytes: int = 0  # the one row's length in UTF-8 bytes (0 for several rows)


# A string literal as each lexer reads it (unrolled loops: linear time on any input).
_SQ = r"'[^']*(?:''[^']*)*'"
_SQ_BS = r"'[^'\\]*(?:(?:\\[\s\S]|'')[^'\\]*)*'"  # MySQL: backslash escapes
_NUMBER = r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?(?![\w$])"
_CONSTANT = r"(?i:NULL|TRUE|FALSE)(?![\w$])"
_HEX = r"[xX]'[0-9A-Fa-f]*'|0x[0-9A-Fa-f]+(?![\w$])"
# A name: unquoted (ASCII: a non-ASCII letter sends the statement the full way), or quoted.
_BARE = r"[A-Za-z_][A-Za-z0-9_$]*(?![\w$])"
_DQ_NAME = r'"[^"]*(?:""[^"]*)*"'
_BT_NAME = r"`[^`]*(?:``[^`]*)*`"


def _grammar(string: str, name: str, value_keyword: str) -> tuple[str, str]:
    """The INSERT up to its first row's end (named groups: table, columns, row), and the
    rows after it."""
    value = f"(?:{string}|{_NUMBER}|{_CONSTANT}|{_HEX})"
    # Values and rows repeat possessively (*+): nothing before them can be read another
    # way, and the regex engine then keeps no state per row to backtrack into (a greedy
    # repeat over mariadb-dump's megabyte of rows grew it by pages, costing seconds).
    row = rf"\(\s*{value}(?:\s*,\s*{value})*+\s*\)"
    table = rf"(?P<table>{name}(?:\s*\.\s*{name})?)"
    columns = rf"(?:\s*\((?P<columns>\s*{name}(?:\s*,\s*{name})*)\s*\))?"
    head = (rf"(?i:INSERT)\s+(?i:INTO)\s+{table}{columns}\s*(?i:{value_keyword})\s*"
            rf"(?P<row>{row})")  # fmt: skip
    return head, rf"(?:\s*,\s*{row})*+"


_GRAMMARS = {
    "sqlite": (_SQ, f"(?:{_BARE}|{_DQ_NAME})", "VALUES"),
    "postgresql": (_SQ, f"(?:{_BARE}|{_DQ_NAME})", "VALUES"),
    "mysql": (_SQ_BS, f"(?:{_BARE}|{_BT_NAME})", "VALUES|VALUE"),
}
# Compiled on first use, per lexer: a process loads into one kind of database, and each
# pair costs milliseconds to compile.
_PATTERNS: dict[str, re.Pattern[str]] = {}  # one statement: the whole text, an optional ";"
_STATEMENTS: dict[str, tuple[re.Pattern[str], re.Pattern[str]]] = {}  # in a script
# The numbers of the groups row, more, table and columns in each, per lexer (looked up
# once; a pattern is no dict key here: hashing one hashes its whole compiled code).
_Groups = tuple[int, int, int, int]
_PATTERN_GROUPS: dict[str, _Groups] = {}
_STATEMENT_GROUPS: dict[str, _Groups] = {}


def _compile(lexer: Lexer) -> re.Pattern[str]:
    head, more = _grammar(*_GRAMMARS[lexer])
    statement = re.compile(rf"\s*({head}(?P<more>{more}))\s*;")
    _STATEMENTS[lexer] = (statement, re.compile(rf"\s*{head}{more}"))
    pattern = re.compile(rf"{head}(?P<more>{more})(?P<suffix>\s*);?\s*\Z")
    for compiled, groups in ((statement, _STATEMENT_GROUPS), (pattern, _PATTERN_GROUPS)):
        index = compiled.groupindex
        groups[lexer] = (index["row"], index["more"], index["table"], index["columns"])
    _PATTERNS[lexer] = pattern
    return pattern


def literal_insert_statement(lexer: Lexer) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Two regexes that read at a position of a script: blanks and then one INSERT of
    literal rows up to its ``;`` (group 1: the statement, without its ``;``), no match for
    any other statement; and blanks and such an INSERT up to its last complete row — what
    there is of one still arriving."""
    if lexer not in _STATEMENTS:
        _compile(lexer)
    return _STATEMENTS[lexer]


_NAME_RE = re.compile(rf"{_BARE}|{_DQ_NAME}|{_BT_NAME}")
_COLUMN_RE = {
    "sqlite": re.compile(f"{_BARE}|{_DQ_NAME}"),
    "postgresql": re.compile(f"{_BARE}|{_DQ_NAME}"),
    "mysql": re.compile(f"{_BARE}|{_BT_NAME}"),
}


def literal_insert(sql: str, lexer: Lexer) -> LiteralInsert | None:
    """``sql`` read as an INSERT of literal rows (see the module docstring), or None when it
    is anything else and must be read the full way."""
    if not sql.startswith(("INSERT", "insert", "Insert")):
        return None
    match = (_PATTERNS.get(lexer) or _compile(lexer)).match(sql)
    if match is None:
        return None
    return _read(sql, lexer, match, _PATTERN_GROUPS[lexer], 0, match.end("suffix"))


def literal_insert_found(sql: str, lexer: Lexer, found: re.Match[str]) -> LiteralInsert:
    """What ``literal_insert(sql, lexer)`` gives, from the match of the first regex of
    ``literal_insert_statement`` that found ``sql`` (its group 1) in a script: the
    statement is not read a second time."""
    start = found.start(1)
    return _read(sql, lexer, found, _STATEMENT_GROUPS[lexer], start, found.end(1) - start)


def _read(
    sql: str, lexer: Lexer, match: re.Match[str], groups: _Groups, offset: int, suffix_end: int
) -> LiteralInsert:
    """The ``LiteralInsert`` of a match of one of the patterns (``groups``: the numbers of
    its groups; its positions ``offset`` past those in ``sql``)."""
    row_group, more_group, _, _ = groups
    row_start, row_end = match.span(row_group)
    row_start -= offset
    row_end -= offset
    heads = _HEADS[lexer]
    head = heads.get(sql[:row_start])
    if head is None:
        head = _head(sql[:row_start], lexer, match, groups)
    prefix, table, columns = head
    if match.group(more_group):
        return LiteralInsert(None, table)  # several rows: sent as written, never merged
    row = sql[row_start:row_end]
    # The blanks before a ";" belong to the suffix, as parse_insert has it.
    suffix = sql[row_end:suffix_end]
    if suffix:
        suffix, suffix_key = sys.intern(suffix), sys.intern(suffix.rstrip())
    else:
        suffix = suffix_key = _NO_SUFFIX
    # A row of literals renders alike in every placeholder style (nothing to number or
    # escape): the rendering InsertTemplate.rendered would compute, given at once.
    rendered = (prefix, suffix, (row,), ())
    template = _template(
        sql, lexer, (0, row_start), (row_start, row_end), (row_end, suffix_end), (), (),
        None, columns,  # the values are counted when asked for (InsertTemplate.arity)
        None,  # literal values: no COPY stands for the INSERT
        (prefix, suffix_key),
        {"qmark": rendered, "format": rendered, "numeric": rendered}, {},
    )  # fmt: skip
    return LiteralInsert(template, table, len(row) if row.isascii() else len(row.encode()))


_template = builder(InsertTemplate)
_NO_SUFFIX = sys.intern("")
# What the text before the row says, per distinct text: a dump repeats it for every row of
# a table. Emptied when full (a script of ever-new prefixes only loses the saving).
_HEADS: dict[str, dict[str, tuple[str, str, int | None]]] = {
    "sqlite": {}, "postgresql": {}, "mysql": {}
}  # fmt: skip
_HEADS_MAX = 1024


def _head(
    text: str, lexer: Lexer, match: re.Match[str], groups: _Groups
) -> tuple[str, str, int | None]:
    """The interned text before the row (every row of a table shares one copy, as
    ``parse_insert`` has it), the table unquoted and the number of listed columns."""
    _, _, table_group, columns_group = groups
    table = ".".join(_unquoted(part) for part in _NAME_RE.findall(match.group(table_group)))
    listed = match.group(columns_group)
    columns = None if listed is None else len(_COLUMN_RE[lexer].findall(listed))
    head = (sys.intern(text), table, columns)
    heads = _HEADS[lexer]
    if len(heads) >= _HEADS_MAX:
        heads.clear()
    heads[text] = head
    return head


def _unquoted(name: str) -> str:
    if name[0] == "`":
        return name[1:-1].replace("``", "`")
    if name[0] == '"':
        return name[1:-1].replace('""', '"')
    return name
