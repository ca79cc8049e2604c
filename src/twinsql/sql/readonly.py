"""SQL feature, pure: the lexical test that a statement cannot write.

A statement that cannot write may safely run twice: the async SQLite driver runs such reads
inline on the event loop and re-runs one that takes too long on its worker thread.  The test
errs on the safe side: a false "False" costs a re-run opportunity, a false "True" would
re-run a write, so every doubt answers False (user functions with side effects cannot be
seen).  ``compile_sql`` records the answer on every ``CompiledSQL``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from twinsql.sql.lexer import (
    COMMENT,
    EQUALS,
    LPAREN,
    SEMI,
    WORD,
    Lexer,
    Token,
    check_lexer,
    is_blank,
    lexemes,
    scan,
)

__all__ = ["is_read_only", "is_read_only_scanned"]

# Keywords that make a SELECT / VALUES / WITH write or lock: DML (also in CTEs), SELECT INTO,
# FOR UPDATE / FOR SHARE / LOCK IN SHARE MODE.  INSERT and REPLACE followed by "(" are the
# string functions of the same names.
_WRITES = frozenset({"INSERT", "UPDATE", "DELETE", "REPLACE", "MERGE", "INTO", "SHARE", "LOCK"})
_FUNCTIONS = frozenset({"INSERT", "REPLACE"})
_PRAGMA_ACTIONS = frozenset({"optimize", "wal_checkpoint", "incremental_vacuum", "shrink_memory"})
_PRAGMA_QUERIES = frozenset({"table_info", "table_xinfo", "table_list", "index_info",
                             "index_xinfo", "index_list", "foreign_key_list",
                             "foreign_key_check", "integrity_check", "quick_check"})  # fmt: skip
_NEXT_CHAR_RE = re.compile(r"\s*(\S)")
_OPENING_RE = re.compile(r"[\s(]*")


def is_read_only(sql: str, lexer: Lexer) -> bool:
    """Best-effort lexical test that ``sql`` cannot write: True only for SELECT, VALUES,
    WITH, EXPLAIN (without ANALYZE), SHOW and query PRAGMAs that show no writing keyword.
    A false "False" costs a re-run opportunity; a false "True" would re-run a write, so
    every doubt answers False (user functions with side effects cannot be seen)."""
    return is_read_only_scanned(sql, scan(sql, check_lexer(lexer))[0])


def is_read_only_scanned(sql: str, tokens: list[Token]) -> bool:
    """``is_read_only`` for a text already scanned into ``tokens``."""
    semi = next((i for i, tok in enumerate(tokens) if tok[0] == SEMI), None)
    if semi is not None and not is_blank(sql, tokens, semi + 1, tokens[semi][2], len(sql)):
        return False  # a script: judge nothing
    found = lexemes(sql, tokens)
    first = next((lex for lex in found if lex[0] == WORD), None)
    if first is None or not _opening(sql, tokens, first[1]):
        return False
    keyword = sql[first[1] : first[2]].upper()
    if keyword == "SHOW":
        return True
    if keyword == "EXPLAIN":
        return not any(sql[s:e].upper() in ("ANALYZE", "ANALYSE") for _, s, e, _ in found)
    if keyword == "PRAGMA":
        return _pragma_read_only(sql, found)
    if keyword not in ("SELECT", "VALUES", "WITH"):
        return False
    for kind, start, end, _ in found:
        word = sql[start:end].upper() if kind == WORD else ""
        if word in _WRITES:
            following = _NEXT_CHAR_RE.match(sql, end)
            is_call = following is not None and following.group(1) == "("
            if not (word in _FUNCTIONS and is_call):
                return False
    return True


def _opening(sql: str, tokens: list[Token], limit: int) -> bool:
    """True when ``sql[:limit]`` holds only whitespace, comments and "(" ("(SELECT …")."""
    pos = 0
    for kind, start, end in tokens:
        if start >= limit:
            break
        if kind != COMMENT or not _OPENING_RE.fullmatch(sql, pos, start):
            return False
        pos = end
    return _OPENING_RE.fullmatch(sql, pos, limit) is not None


def _pragma_read_only(sql: str, found: Iterator[tuple[int, int, int, int]]) -> bool:
    name, has_argument = "", False
    for kind, start, end, _ in found:
        if kind == EQUALS:
            return False
        if kind == LPAREN:
            has_argument = True
            break
        if kind == WORD:
            name = sql[start:end].lower()  # after "schema." the last word is the name
    if name in _PRAGMA_ACTIONS:
        return False
    return not has_argument or name in _PRAGMA_QUERIES
