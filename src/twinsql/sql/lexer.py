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
_BLOCK, _DOLLAR, _OPEN, _EXEC, _EXEC_END = 6, 7, 8, 16, 17
_KINDS = {"comment": COMMENT, "quoted": QUOTED, "qmark": QMARK, "litq": LITQ, "named": NAMED,
          "semi": SEMI, "block": _BLOCK, "dollar": _DOLLAR, "open": _OPEN, "exec": _EXEC,
          "exec_end": _EXEC_END}  # fmt: skip
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
# Every server reads each non-ASCII character as a letter of an identifier (PostgreSQL and
# SQLite take every byte >= 0x80 of the UTF-8 text; MySQL U+0080 and above), and "$" may
# continue one.  A word, an E'…' prefix or a $tag$ starts only where no such character
# stands before it.
_LETTER = r"A-Za-z_\x80-\U0010ffff"
_IDENT = _LETTER + r"0-9$"
_NOT_IN_WORD = rf"(?<![{_IDENT}])"
# PostgreSQL: a "--" comment ends at a line feed or a carriage return.
_PG_LINE_COMMENT = r"--[^\n\r]*"
# PostgreSQL continues a string across blanks holding a newline ('a'<newline>'b' is 'ab'),
# and the continuation of an E'…' string is read with backslash escapes too.  The blanks
# may hold "--" comments; only a newline ends one there.
_PG_CONTINUATION = r"[ \t\f\v]*(?:--[^\n\r]*)?[\n\r](?:[ \t\n\r\f\v]|--[^\n\r]*[\n\r])*"
_PG_E_STRING = rf"{_NOT_IN_WORD}[Ee]{_SQ_BS}(?:{_PG_CONTINUATION}{_SQ_BS})*"
_PG_DOLLAR = rf"{_NOT_IN_WORD}\$(?:[{_LETTER}][{_LETTER}0-9]*)?\$"
# MySQL: "--" starts a comment only before a space or a control character (or at the end
# of the text); the comment, like a "#" one, ends at a line feed only.  "/*!…*/" and
# MariaDB's "/*M!…*/" are executable comments: what they hold is code, read like the rest
# of the text; the opener (with its optional 5- or 6-digit version) and the closing "*/"
# are comments.
_MY_LINE_COMMENTS = r"--(?=[\x00-\x20\x7f]|\Z)[^\n]*|#[^\n]*"
_MY_EXEC_OPEN = r"/\*M?!(?:[0-9]{5}[0-9]?)?"


def _build(lexer: str, *, in_executable_comment: bool = False) -> re.Pattern[str]:
    if lexer == "postgresql":
        comment, quoted = _PG_LINE_COMMENT, f"{_SQ}|{_DQ}|{_PG_E_STRING}"
        special = [r"(?P<block>/\*)", rf"(?P<dollar>{_PG_DOLLAR})"]
        unterminated = rf"(?:{_NOT_IN_WORD}[Ee])?'[\s\S]*|\"[\s\S]*"
    elif lexer == "mysql":
        if in_executable_comment:  # a comment inside one is an ordinary comment
            comment, special = f"{_MY_LINE_COMMENTS}|{_BLOCK_COMMENT}", [r"(?P<exec_end>\*/)"]
        else:
            comment = rf"{_MY_LINE_COMMENTS}|/\*(?!M?!)[\s\S]*?\*/"
            special = [rf"(?P<exec>{_MY_EXEC_OPEN})"]
        quoted = f"{_SQ_BS}|{_DQ_BS}|{_BT}"
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


_Scanner = tuple[re.Pattern[str], tuple[int, ...]]


def _scanner(pattern: re.Pattern[str]) -> _Scanner:
    """The pattern and its regex group number → token kind table (``m.lastindex`` is
    cheaper than ``m.lastgroup``)."""
    numbers = {number: _KINDS[name] for name, number in pattern.groupindex.items()}
    return pattern, tuple(numbers.get(number, -1) for number in range(pattern.groups + 1))


_SCANNERS: dict[str, _Scanner] = {lexer: _scanner(_build(lexer)) for lexer in LEXERS}
_IN_EXECUTABLE_COMMENT = _scanner(_build("mysql", in_executable_comment=True))
_NESTED_RE = re.compile(r"/\*|\*/")
_WORD = rf"[{_LETTER}][{_IDENT}]*"
_LEXEME_RE = re.compile(rf"{_NOT_IN_WORD}{_WORD}|(\()|(\))|(=)|(\.)")
_LEXEME_KINDS = (WORD, LPAREN, RPAREN, EQUALS, DOT)  # by group number; no group: a word
# A word, a bracket, a comma or a dot; any other run of non-blank characters (a number, an
# operator) is an OTHER item, so that "(? + 1)" is never mistaken for a bare placeholder.
_ITEM_RE = re.compile(rf"{_WORD}|[(),.]|[^\s(),.]+")
_ITEM_KINDS = {"(": LPAREN, ")": RPAREN, ",": COMMA, ".": DOT}
_WORD_RE = re.compile(_WORD)


def check_lexer(lexer: str) -> str:
    """``lexer`` itself when it names a lexer; raises ``ArgumentError`` otherwise."""
    if lexer not in LEXERS:
        raise ArgumentError(
            f"unknown SQL lexer {lexer!r}; expected one of {', '.join(sorted(LEXERS))}"
        )
    return lexer


def scan(sql: str, lexer: str) -> tuple[list[Token], bool]:
    """The tokens of ``sql`` in text order, and whether the text ends inside a quote or a
    comment (an unterminated quote or comment runs to the end of the text; a MySQL
    executable comment left open is code up to the end).  ``lexer`` must be valid (see
    ``check_lexer``)."""
    pattern, kinds = _SCANNERS[lexer]
    tokens: list[Token] = []
    append = tokens.append
    pos, unterminated = 0, False
    while True:
        for m in pattern.finditer(sql, pos):
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
            elif kind == _DOLLAR:  # a dollar quote ends at the next occurrence of its tag
                kind, close = QUOTED, sql.find(m.group(), end)
                if close == -1:
                    end, unterminated = len(sql), True
                else:
                    end = close + end - start
            else:  # MySQL executable comment: the opener or the closer; the inside is code
                pattern, kinds = _IN_EXECUTABLE_COMMENT if kind == _EXEC else _SCANNERS[lexer]
                kind = COMMENT
            append((kind, start, end))
            pos = end
            break  # resume scanning after the hand-measured token
        else:
            return tokens, unterminated or pattern is _IN_EXECUTABLE_COMMENT[0]


def lexemes(sql: str, tokens: list[Token]) -> Iterator[tuple[int, int, int, int]]:
    """Words, ``(``, ``)``, ``=`` and ``.`` outside quotes and comments, and the ``;``
    tokens, in text order, as ``(kind, start, end, index)`` with ``kind`` one of ``WORD``,
    ``LPAREN``, ``RPAREN``, ``EQUALS``, ``DOT``, ``SEMI``; ``index`` is the token's index in
    ``tokens`` for ``;``, else -1."""
    pos = 0
    for index, (kind, start, end) in enumerate([*tokens, (-1, len(sql), len(sql))]):
        for m in _LEXEME_RE.finditer(sql, pos, start):
            yield _LEXEME_KINDS[m.lastindex or 0], m.start(), m.end(), -1
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
