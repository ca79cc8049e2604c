"""SQL feature, pure: the tokenizer every reader of raw SQL text shares.

Placeholder translation (``placeholders``), statement splitting (``script``), read-only
detection (``readonly``) and the multi-row INSERT planner (``insert``) all read a caller's
SQL through ``scan``, so they agree on what is a quote, a comment or a placeholder.

Why our own tokenizer: a regex substitution over the whole text rewrites placeholders
inside string literals, quoted identifiers and comments, and no small library lexes all
three dialects.  This one is a single regex per dialect that recognises just what matters:

* opaque (never placeholders): ``'…'`` strings with ``''`` doubling; MySQL backslash
  escapes in ``'…'`` and ``"…"``; PostgreSQL ``E'…'`` strings and ``$tag$ … $tag$`` dollar
  quotes; ``"…"`` identifiers; backtick identifiers (MySQL, SQLite); ``[…]`` identifiers
  (SQLite); ``--`` comments (MySQL: only when followed by whitespace, as the server has it);
  ``/* */`` comments (nested on PostgreSQL); ``#`` comments (MySQL).  An unterminated quote
  or comment runs to the end of the text, and ``scan`` says so;
* ``??`` is a literal ``?`` (PostgreSQL's jsonb ``?``, ``?|``, ``?&``); ``::`` is a cast; a
  ``:`` before ``=``, a digit, or right after an identifier character (``arr[lo:hi]``) is
  not a parameter.

MySQL's ``/*! … */`` executable comments are comments here: placeholders inside them are
not placeholders.

A token is ``(kind, start, end)``, offsets into the text; ``kind`` is one of ``COMMENT``,
``QUOTED`` (strings, quoted identifiers and dollar quotes alike), ``QMARK`` (``?``), ``LITQ``
(``??``), ``NAMED`` (``:name``) and ``SEMI`` (``;``).  Only these are tokens: the text
between them (words, numbers, operators, whitespace) is left as plain gaps, so a long
statement costs one regex step per placeholder or literal, not per character.  Two walks
look into the gaps: ``lexemes`` finds the words, ``(`` and ``=`` that the statement-level
readers need; ``scan_items`` splits them into words, brackets, commas, dots and other runs
for the INSERT parser and the batch feature's statement analysis.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final, Literal, get_args

from twinsql.errors import ArgumentError

__all__ = [
    "COMMA",
    "COMMENT",
    "DOT",
    "EQUALS",
    "LEXERS",
    "LITQ",
    "LPAREN",
    "NAMED",
    "OTHER",
    "QMARK",
    "QUOTED",
    "RPAREN",
    "SEMI",
    "WORD",
    "Lexer",
    "Token",
    "check_lexer",
    "is_blank",
    "lexemes",
    "scan",
    "scan_items",
]

Lexer = Literal["sqlite", "postgresql", "mysql"]
LEXERS: Final[tuple[Lexer, ...]] = get_args(Lexer)

# Token kinds.  The placeholder kinds are contiguous (QMARK <= kind <= NAMED), and every
# kind the regex finds whole is below _BLOCK: the scanner's hot loop relies on both.
COMMENT: Final = 0
QUOTED: Final = 1
QMARK: Final = 2
LITQ: Final = 3
NAMED: Final = 4
SEMI: Final = 5
# Kinds that exist only inside the scanner, which resolves them to COMMENT / QUOTED.
_BLOCK, _DOLLAR, _OPEN = 6, 7, 8
_KINDS = {"comment": COMMENT, "quoted": QUOTED, "qmark": QMARK, "litq": LITQ, "named": NAMED,
          "semi": SEMI, "block": _BLOCK, "dollar": _DOLLAR, "open": _OPEN}  # fmt: skip
# Kinds found in the gaps between tokens: by ``lexemes`` (WORD, LPAREN, EQUALS) and by
# ``scan_items`` (WORD, LPAREN, RPAREN, COMMA, DOT, OTHER).
WORD: Final = 9
LPAREN: Final = 10
EQUALS: Final = 11
RPAREN: Final = 12
COMMA: Final = 13
DOT: Final = 14
OTHER: Final = 15

Token = tuple[int, int, int]
"""``(kind, start, end)``: one token of a scanned text."""

# Unrolled-loop patterns ("normal* (special normal*)*"): linear time, no nested quantifiers
# over the same characters, so hostile text cannot make the regex backtrack exponentially.
_SQ = r"'[^']*(?:''[^']*)*'"
_DQ = r'"[^"]*(?:""[^"]*)*"'
_SQ_BS = r"'[^'\\]*(?:(?:\\[\s\S]|'')[^'\\]*)*'"
_DQ_BS = r'"[^"\\]*(?:(?:\\[\s\S]|"")[^"\\]*)*"'
_BT = r"`[^`]*(?:``[^`]*)*`"
_BLOCK_COMMENT = r"/\*[\s\S]*?\*/"
_NOT_IN_WORD = r"(?<![\w$])"  # E'…' and $tag$ start a token only outside an identifier


def _build(lexer: str) -> re.Pattern[str]:
    if lexer == "postgresql":
        comment, quoted = r"--[^\n]*", rf"{_SQ}|{_DQ}|{_NOT_IN_WORD}[Ee]{_SQ_BS}"
        special = [r"(?P<block>/\*)", rf"(?P<dollar>{_NOT_IN_WORD}\$(?:[^\W\d]\w*)?\$)"]
        unterminated = rf"(?:{_NOT_IN_WORD}[Ee])?'[\s\S]*|\"[\s\S]*"
    elif lexer == "mysql":
        comment = rf"--(?=\s|\Z)[^\n]*|#[^\n]*|{_BLOCK_COMMENT}"
        quoted, special = f"{_SQ_BS}|{_DQ_BS}|{_BT}", []
        unterminated = r"(?:['\"`]|/\*)[\s\S]*"
    else:
        comment, quoted = rf"--[^\n]*|{_BLOCK_COMMENT}", rf"{_SQ}|{_DQ}|{_BT}|\[[^\]]*\]"
        special, unterminated = [], r"(?:['\"`\[]|/\*)[\s\S]*"
    alternatives = [
        rf"(?P<comment>{comment})",
        *special,
        rf"(?P<quoted>{quoted})",
        rf"(?P<open>{unterminated})",
        # not after an identifier character or ":" ("::" is a cast), not before a digit
        r"(?P<named>(?<![\w$:]):[A-Za-z_][A-Za-z0-9_]*)",
        r"(?P<litq>\?\?)",
        r"(?P<qmark>\?)",
        r"(?P<semi>;)",
    ]
    return re.compile("|".join(alternatives))


_PATTERNS: dict[str, re.Pattern[str]] = {lexer: _build(lexer) for lexer in LEXERS}
# Regex group number → token kind, per lexer (m.lastindex is cheaper than m.lastgroup).
_GROUP_KINDS: dict[str, tuple[int, ...]] = {
    lexer: tuple(
        next((_KINDS[name] for name, i in pattern.groupindex.items() if i == number), -1)
        for number in range(pattern.groups + 1)
    )
    for lexer, pattern in _PATTERNS.items()
}
_NESTED_RE = re.compile(r"/\*|\*/")
_LEXEME_RE = re.compile(r"(?<![\w$])[^\W\d][\w$]*|(\()|(=)")
# A word, a bracket, a comma or a dot; any other run of non-blank characters (a number, an
# operator) is an OTHER item, so that "(? + 1)" is never mistaken for a bare placeholder.
_ITEM_RE = re.compile(r"[^\W\d][\w$]*|[(),.]|[^\s(),.]+")
_ITEM_KINDS = {"(": LPAREN, ")": RPAREN, ",": COMMA, ".": DOT}
_WORD_RE = re.compile(r"[^\W\d][\w$]*")


def check_lexer(lexer: str) -> str:
    """``lexer`` itself when it names a lexer; raises ``ArgumentError`` otherwise."""
    if lexer not in LEXERS:
        raise ArgumentError(
            f"unknown SQL lexer {lexer!r}; expected one of {', '.join(sorted(LEXERS))}"
        )
    return lexer


def scan(sql: str, lexer: str) -> tuple[list[Token], bool]:
    """The tokens of ``sql`` in text order, and whether an unterminated quote or comment ran
    to the end of the text.  ``lexer`` must be valid (see ``check_lexer``)."""
    finditer, kinds = _PATTERNS[lexer].finditer, _GROUP_KINDS[lexer]
    tokens: list[Token] = []
    append = tokens.append
    pos, unterminated = 0, False
    while True:
        for m in finditer(sql, pos):
            kind = kinds[m.lastindex or 0]
            if kind < _BLOCK:  # the common case: the regex found the whole token
                append((kind, m.start(), m.end()))
                continue
            if kind == _OPEN:  # runs to the end of the text
                append((QUOTED, m.start(), len(sql)))
                return tokens, True
            start, end = m.span()
            if kind == _BLOCK:  # PostgreSQL block comments nest: count them by hand
                kind, depth = COMMENT, 1
                for mark in _NESTED_RE.finditer(sql, end):
                    depth += 1 if mark.group() == "/*" else -1
                    if depth == 0:
                        end = mark.end()
                        break
                else:
                    end, unterminated = len(sql), True
            else:  # a dollar quote ends at the next occurrence of its own tag
                kind, close = QUOTED, sql.find(m.group(), end)
                if close == -1:
                    end, unterminated = len(sql), True
                else:
                    end = close + end - start
            append((kind, start, end))
            pos = end
            break  # resume scanning after the hand-measured token
        else:
            return tokens, unterminated


def lexemes(sql: str, tokens: list[Token]) -> Iterator[tuple[int, int, int, int]]:
    """Words, ``(`` and ``=`` outside quotes and comments, and the ``;`` tokens, in text
    order, as ``(kind, start, end, index)`` with ``kind`` one of ``WORD``, ``LPAREN``,
    ``EQUALS``, ``SEMI``; ``index`` is the token's index in ``tokens`` for ``;``, else -1."""
    pos = 0
    for index, (kind, start, end) in enumerate([*tokens, (-1, len(sql), len(sql))]):
        for m in _LEXEME_RE.finditer(sql, pos, start):
            kind_found = LPAREN if m.group(1) else EQUALS if m.group(2) else WORD
            yield kind_found, m.start(), m.end(), -1
        if kind == SEMI:
            yield kind, start, end, index
        pos = end


def is_blank(sql: str, tokens: list[Token], index: int, begin: int, end: int) -> bool:
    """True when ``sql[begin:end]`` holds nothing but whitespace and comments; ``index`` is
    the index of the first token at or after ``begin``."""
    pos = begin
    while index < len(tokens) and tokens[index][1] < end:
        kind, start, stop = tokens[index]
        if kind != COMMENT or sql[pos:start].strip():
            return False
        pos, index = stop, index + 1
    return not sql[pos:end].strip()


def scan_items(sql: str, lexer: str) -> list[Token] | None:
    """Every token of ``sql`` and every item of the gaps between them (``WORD``, ``LPAREN``,
    ``RPAREN``, ``COMMA``, ``DOT``, ``OTHER``), in text order; None when a quote or comment
    is unterminated.  ``lexer`` must be valid (see ``check_lexer``)."""
    tokens, unterminated = scan(sql, lexer)
    if unterminated:
        return None
    items: list[Token] = []
    pos = 0
    for kind, start, end in [*tokens, (-1, len(sql), len(sql))]:
        for m in _ITEM_RE.finditer(sql, pos, start):
            text = m.group()
            kind_found = _ITEM_KINDS.get(text)
            if kind_found is None:
                kind_found = WORD if _WORD_RE.fullmatch(text) else OTHER
            items.append((kind_found, m.start(), m.end()))
        if kind != -1:
            items.append((kind, start, end))
        pos = end
    return items
