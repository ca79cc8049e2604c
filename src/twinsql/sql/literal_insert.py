"""SQL feature, pure: the INSERTs a dump is made of, recognised in one regex step each.

A dump is mostly ``INSERT INTO name [(columns)] VALUES (literal, …)`` — one row of plain
literals (``sqlite3 .dump``, ``pg_dump --inserts``) or many (``mariadb-dump``).  Reading
each through the shared tokenizer and ``parse_insert`` costs tens of microseconds; a
single regex per lexer that accepts only that exact form costs one.  ``literal_insert``
returns ``None`` for anything it does not accept — a comment, a cast, a function call, an
``E'…'`` string, a placeholder — and the caller then reads the statement the full way.

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

from twinsql.sql.insert import InsertTemplate
from twinsql.sql.lexer import Lexer

__all__ = ["LiteralInsert", "literal_insert"]


class LiteralInsert(NamedTuple):
    """What ``literal_insert`` read: the template of a one-row INSERT (None when the
    statement holds several rows), and the table as written, unquoted (``db.t`` when
    qualified)."""

    template: InsertTemplate | None
    table: str


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


def _pattern(string: str, name: str, value_keyword: str) -> re.Pattern[str]:
    value = f"(?:{string}|{_NUMBER}|{_CONSTANT}|{_HEX})"
    row = rf"\(\s*{value}(?:\s*,\s*{value})*+\s*\)"
    table = rf"(?P<table>{name}(?:\s*\.\s*{name})?)"
    columns = rf"(?:\s*\((?P<columns>\s*{name}(?:\s*,\s*{name})*)\s*\))?"
    return re.compile(
        rf"(?i:INSERT)\s+(?i:INTO)\s+{table}{columns}\s*(?i:{value_keyword})\s*"
        rf"(?P<row>{row})(?P<more>(?:\s*,\s*{row})*+)(?P<suffix>\s*);?\s*\Z"
    )


_PATTERNS: dict[str, re.Pattern[str]] = {
    "sqlite": _pattern(_SQ, f"(?:{_BARE}|{_DQ_NAME})", "VALUES"),
    "postgresql": _pattern(_SQ, f"(?:{_BARE}|{_DQ_NAME})", "VALUES"),
    "mysql": _pattern(_SQ_BS, f"(?:{_BARE}|{_BT_NAME})", "VALUES|VALUE"),
}
_VALUE_RE: dict[str, re.Pattern[str]] = {
    lexer: re.compile(f"{string}|{_NUMBER}|{_CONSTANT}|{_HEX}")
    for lexer, string in (("sqlite", _SQ), ("postgresql", _SQ), ("mysql", _SQ_BS))
}
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
    match = _PATTERNS[lexer].match(sql)
    if match is None:
        return None
    table = ".".join(_unquoted(part) for part in _NAME_RE.findall(match.group("table")))
    if match.group("more"):
        return LiteralInsert(None, table)  # several rows: sent as written, never merged
    row_start, row_end = match.span("row")
    row = match.group("row")
    suffix_start, suffix_end = match.span("suffix")
    suffix_start = row_end  # the blanks before a ";" belong to the suffix, as parse_insert has it
    listed = match.group("columns")
    # Interned as parse_insert interns them: a dump's rows of one table share one copy.
    prefix_text = sys.intern(sql[:row_start])
    suffix_text = sys.intern(sql[suffix_start:suffix_end])
    template = InsertTemplate(
        sql=sql,
        lexer=lexer,
        prefix=(0, row_start),
        row=(row_start, row_end),
        suffix=(suffix_start, suffix_end),
        row_marks=(),
        other_marks=(),
        arity=len(_VALUE_RE[lexer].findall(row)),
        columns=None if listed is None else len(_COLUMN_RE[lexer].findall(listed)),
        copy_target=None,  # literal values: no COPY stands for it
        key=(prefix_text, sys.intern(suffix_text.rstrip())),
    )
    return LiteralInsert(template, table)


def _unquoted(name: str) -> str:
    if name[0] == "`":
        return name[1:-1].replace("``", "`")
    if name[0] == '"':
        return name[1:-1].replace('""', '"')
    return name
