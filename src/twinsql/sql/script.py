"""SQL feature, pure: where one statement of a script ends and the next begins.

A ``;`` outside quotes and comments ends a statement, except inside the body of a trigger or
routine, whose statements end in ``;`` of their own, and — in PostgreSQL, whose psql tracks
their depth — inside parentheses (a rule's ``DO ALSO (a; b)`` is one statement).  The body
is tracked only in a CREATE statement that named ``TRIGGER``, ``FUNCTION``, ``PROCEDURE``
or ``EVENT`` before its first ``(``, and only outside parentheses, so that a column or
parameter called "begin" cannot swallow the rest of a script:

* PostgreSQL: the body is ``BEGIN ATOMIC … END`` (its only form); ``CASE … END`` nests in it;
* SQLite and MySQL: the body is ``BEGIN … END``; ``CASE … END`` (MySQL: also ``CASE … END
  CASE``) nests in it, and MySQL's ``END IF``, ``END LOOP``, ``END WHILE`` and ``END REPEAT``
  close no block.

The word that names the object (after the routine keyword and ``IF NOT EXISTS``, after
``ON``, ``FOLLOWS`` or ``PRECEDES``, and after a ``.`` of a qualified name) never opens a
body.

``split_statements`` splits a whole text; ``complete_statements`` is the same rule for a
text that may still grow (the streaming splitter of the batch feature builds on it);
``check_single_statement`` is the rule ``compile_sql`` applies to a text that must hold one
statement.
"""

from __future__ import annotations

import bisect
import re

from twinsql.errors import MultipleStatementsError
from twinsql.sql.lexer import (
    DOT,
    LPAREN,
    RPAREN,
    SEMI,
    WORD,
    Lexer,
    Token,
    check_lexer,
    is_blank,
    lexemes,
    scan,
)

__all__ = ["check_single_statement", "complete_statements", "separators", "split_statements"]

_ROUTINES = frozenset({"TRIGGER", "FUNCTION", "PROCEDURE", "EVENT"})
_NAMERS = _ROUTINES | {"ON", "FOLLOWS", "PRECEDES"}  # the next word names an object
_IF_NOT_EXISTS = frozenset({"IF", "NOT", "EXISTS"})
_END_SUFFIXES = frozenset({"IF", "LOOP", "WHILE", "REPEAT"})  # MySQL: END IF is no block end
_PAREN_RE = re.compile(r"[()]")
_LEAD_RE = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)(?=[\s;(]|\Z)")


def separators(sql: str, tokens: list[Token], lexer: str) -> list[int]:
    """The indexes (in ``tokens``, the result of ``scan(sql, lexer)``) of the ``;`` tokens
    that end a statement."""
    seps: list[int] = []
    index = 0
    while True:
        stop = _separator(sql, tokens, lexer, index)
        if stop < 0:
            return seps
        seps.append(stop)
        index = stop + 1


def _separator(sql: str, tokens: list[Token], lexer: str, index: int) -> int:
    """The index of the ``;`` token that ends the statement starting after token
    ``index - 1``; -1 when the text ends first."""
    postgresql = lexer == "postgresql"
    # The usual statement: blanks, then a plain word other than CREATE. Found with one
    # regex step instead of a walk of its lexemes (a dump has millions of them).
    lead = _LEAD_RE.match(sql, tokens[index - 1][2] if index else 0)
    if (
        lead is not None
        and (index >= len(tokens) or tokens[index][1] >= lead.end())
        and lead.group(1).upper() != "CREATE"
    ):
        return _plain_end(sql, tokens, index, lead.end(), 0 if postgresql else -1)
    first: str | None = None
    routine = seen_paren = naming = named = begun = False
    paren = depth = 0
    end_at = -1  # where the END that last closed a block ends ("END IF" closes no block)
    for kind, start, end, at in lexemes(sql, tokens, index):
        if kind == SEMI:
            if depth == 0 and (paren == 0 or not postgresql):
                return at
            continue
        if kind != WORD:
            if kind == LPAREN:
                paren, seen_paren = paren + 1, True
            elif kind == RPAREN:
                paren = max(paren - 1, 0)
            naming, named = kind == DOT and named, False  # "schema.name": both are names
            continue
        if first is None:
            first = sql[start:end].upper()
            if first != "CREATE":
                # Only CREATE opens a body: the rest of this statement is read token by
                # token, without looking at its words.
                return _plain_end(sql, tokens, bisect.bisect_left(tokens, end, key=_start),
                                  end, paren if postgresql else -1)  # fmt: skip
            continue
        word = sql[start:end].upper()
        after_end = end_at >= 0 and _only_blanks(sql, tokens, end_at, start)
        end_at = -1
        named, naming = naming, naming and word in _IF_NOT_EXISTS
        if named:
            continue
        if not routine:
            routine = naming = word in _ROUTINES and not seen_paren
            continue
        naming = word in _NAMERS
        if paren:
            continue
        if postgresql:
            if depth == 0:
                depth, begun = int(begun and word == "ATOMIC"), word == "BEGIN"
            elif word == "CASE":
                depth += 1
            elif word == "END":
                depth -= 1
        elif after_end and word in _END_SUFFIXES:
            depth += 1  # undo: that END closed an IF/LOOP/…, not a BEGIN
        elif word == "BEGIN" or (word == "CASE" and not after_end):
            depth += 1
        elif word == "END" and depth:
            depth -= 1
            end_at = end
    return -1


def _plain_end(sql: str, tokens: list[Token], index: int, pos: int, paren: int) -> int:
    """The index of the first ``;`` token from ``index`` on (the text before it starting at
    ``pos``) — for PostgreSQL (``paren`` >= 0: the parenthesis depth at ``pos``) the first one
    outside parentheses, as psql reads a script; -1 when there is none."""
    find = sql.find
    for at in range(index, len(tokens)):
        kind, start, end = tokens[at]
        if paren >= 0 and (find("(", pos, start) >= 0 or find(")", pos, start) >= 0):
            for mark in _PAREN_RE.finditer(sql, pos, start):
                paren = paren + 1 if mark.group() == "(" else max(paren - 1, 0)
        if kind == SEMI and paren <= 0:
            return at
        pos = end
    return -1


def _only_blanks(sql: str, tokens: list[Token], begin: int, end: int) -> bool:
    """True when ``sql[begin:end]`` holds nothing but whitespace and comments."""
    return is_blank(sql, tokens, bisect.bisect_left(tokens, begin, key=_start), begin, end)


def _start(token: Token) -> int:
    return token[1]


def check_single_statement(sql: str, tokens: list[Token], lexer: str) -> None:
    """Raise ``MultipleStatementsError`` when ``sql`` (scanned into ``tokens`` by ``lexer``)
    holds more than one statement; a trailing ``;`` followed only by blanks and comments is
    allowed."""
    seps = separators(sql, tokens, lexer)
    if seps and not is_blank(sql, tokens, seps[0] + 1, tokens[seps[0]][2], len(sql)):
        raise MultipleStatementsError(
            "more than one SQL statement in one call: call execute once per statement, or "
            "use the batcher (SQLBatcher / AsyncSQLBatcher) for a script",
            sql=sql,
        )


def complete_statements(text: str, lexer: str, *, final: bool) -> tuple[list[tuple[str, int]], int]:
    """The statements of ``text`` that are complete — those ended by a ``;``, and with
    ``final`` the rest too — each stripped, without its ``;``, with its offset in ``text``
    (empty and comment-only statements are dropped); and how much of ``text`` they consumed.

    A token that ends before a separator cannot change with text appended later, so without
    ``final`` the result stays true however ``text`` grows.  ``lexer`` must be valid."""
    tokens, _ = scan(text, lexer)
    seps = separators(text, tokens, lexer)
    if not final and not seps:
        return [], 0
    ends = [*seps, len(tokens)] if final else seps
    out: list[tuple[str, int]] = []
    begin = first_token = consumed = 0
    for index in ends:
        if index < len(tokens):
            start, end = tokens[index][1], tokens[index][2]
        else:
            start = end = len(text)
        if not is_blank(text, tokens, first_token, begin, start):
            piece = text[begin:start]
            lead = len(piece) - len(piece.lstrip())
            out.append((piece.strip(), begin + lead))
        begin, first_token = end, index + 1
        consumed = end
    return out, consumed


def split_statements(sql: str, lexer: Lexer) -> list[str]:
    """Split a script into statements, each stripped and without its trailing ``;``;
    empty and comment-only statements are dropped.  Placeholders are left untouched."""
    statements, _ = complete_statements(sql, check_lexer(lexer), final=True)
    return [statement for statement, _ in statements]
