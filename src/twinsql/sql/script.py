"""SQL feature, pure: where one statement of a script ends and the next begins.

A ``;`` outside quotes and comments ends a statement, except inside the body of a trigger or
routine: SQLite/MySQL ``CREATE TRIGGER … BEGIN … END`` and routines, and PostgreSQL's
``BEGIN ATOMIC … END``, whose bodies hold ``;`` of their own.  Such a body is tracked only in a
CREATE statement that named ``TRIGGER``, ``FUNCTION``, ``PROCEDURE`` or ``EVENT`` before its
first ``(``, so that a column called "begin" cannot swallow the rest of a script.

``split_statements`` splits a whole text; ``complete_statements`` is the same rule for a
text that may still grow (the streaming splitter of the batch feature builds on it);
``check_single_statement`` is the rule ``compile_sql`` applies to a text that must hold one
statement.
"""

from __future__ import annotations

from twinsql.errors import MultipleStatementsError
from twinsql.sql.lexer import LPAREN, SEMI, WORD, Lexer, Token, check_lexer, is_blank, lexemes, scan

__all__ = ["check_single_statement", "complete_statements", "separators", "split_statements"]

_ROUTINES = frozenset({"TRIGGER", "FUNCTION", "PROCEDURE", "EVENT"})
_END_SUFFIXES = frozenset({"IF", "LOOP", "WHILE", "REPEAT"})  # MySQL: END IF is no block end


def separators(sql: str, tokens: list[Token]) -> list[int]:
    """The indexes (in ``tokens``, the result of ``scan(sql, …)``) of the ``;`` tokens that
    end a statement."""
    seps: list[int] = []
    first: str | None = None
    routine = paren = closed_by_end = False
    depth = 0
    for kind, start, end, index in lexemes(sql, tokens):
        if kind == SEMI:
            if depth == 0:
                seps.append(index)
                first, routine, paren, closed_by_end = None, False, False, False
        elif kind == LPAREN:
            paren = True
        elif kind == WORD:
            if first is None:
                first = sql[start:end].upper()
                continue
            if first != "CREATE":
                continue
            word = sql[start:end].upper()
            if not routine:
                routine = word in _ROUTINES and not paren
            elif closed_by_end and word in _END_SUFFIXES:
                depth += 1  # undo: that END closed an IF/LOOP/…, not a BEGIN
            elif word == "BEGIN" or (word == "CASE" and not closed_by_end):
                depth += 1
            elif word == "END" and depth:
                depth -= 1
                closed_by_end = True
                continue
            closed_by_end = False
    return seps


def check_single_statement(sql: str, tokens: list[Token]) -> None:
    """Raise ``MultipleStatementsError`` when ``sql`` (scanned into ``tokens``) holds more
    than one statement; a trailing ``;`` followed only by blanks and comments is allowed."""
    seps = separators(sql, tokens)
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
    seps = separators(text, tokens)
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
