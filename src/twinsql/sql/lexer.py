"""SQL feature, pure: the tokenizer every reader of raw SQL text shares.

Placeholder translation (``placeholders``), statement splitting (``script``), read-only
detection (``readonly``) and the multi-row INSERT planner (``insert``) all read a caller's
SQL through ``scan``, so they agree on what is a quote, a comment or a placeholder.

Why our own tokenizer: a regex substitution over the whole text rewrites placeholders
inside string literals, quoted identifiers and comments, and no small library lexes all
three dialects.  This one is a single regex per dialect that recognises just what matters,
each rule as its server reads it (a statement split where the server does not split is a
statement the caller did not mean to run):

* opaque (never placeholders): ``'…'`` strings with ``''`` doubling; ``"…"`` identifiers;
  ``/* */`` comments; an unterminated quote or comment runs to the end of the text, and
  ``scan`` says so;
* PostgreSQL: ``--`` comments end at a line feed or a carriage return; ``/* */`` comments
  nest; ``$tag$ … $tag$`` dollar quotes; ``E'…'`` strings take backslash escapes, also in
  their continuation across a newline (``E'a'`` newline ``'b'`` is one string); no
  backslash escapes elsewhere (standard_conforming_strings on; ``scan(…,
  standard_strings=False)`` reads ``'…'`` as ``E'…'``, as the server does with it off);
* MySQL: ``--`` starts a comment only before a space or a control character; ``#``
  comments; both end at a line feed only; backslash escapes in ``'…'`` and ``"…"``;
  backtick identifiers; ``/*!…*/`` and ``/*M!…*/`` executable comments hold code: their
  opener and their ``*/`` are comments, what lies between is scanned like the rest;
* SQLite: ``--`` comments end at a line feed only; backtick and ``[…]`` identifiers;
* every dialect: each non-ASCII character is an identifier letter, as the servers read it;
* ``??`` is a literal ``?`` (PostgreSQL's jsonb ``?``, ``?|``, ``?&``); ``::`` is a cast; a
  ``:`` before ``=``, a digit, or right after an identifier character (``arr[lo:hi]``) is
  not a parameter.

A token is ``(kind, start, end)``, offsets into the text; ``kind`` is one of ``COMMENT``,
``QUOTED`` (strings, quoted identifiers and dollar quotes alike), ``QMARK`` (``?``), ``LITQ``
(``??``), ``NAMED`` (``:name``) and ``SEMI`` (``;``).  Only these are tokens: the text
between them (words, numbers, operators, whitespace) is left as plain gaps, so a long
statement costs one regex step per placeholder or literal, not per character.  Two walks
look into the gaps: ``lexemes`` finds the words, brackets, ``=`` and ``.`` that the
statement-level readers need; ``scan_items`` splits them into words, brackets, commas, dots
and other runs for the INSERT parser and the batch feature's statement analysis.
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
# Kinds found in the gaps between tokens: by ``lexemes`` (WORD, LPAREN, RPAREN, EQUALS, DOT)
# and by ``scan_items`` (WORD, LPAREN, RPAREN, COMMA, DOT, OTHER).
WORD: Final = 9
LPAREN: Final = 10
EQUALS: Final = 11
RPAREN: Final = 12
COMMA: Final = 13
DOT: Final = 14
OTHER: Final = 15

Token = tuple[int, int, int]
"""``(kind, start, end)``: one token of a scanned text."""

# Each token rule is (kind, its first character, the pattern of the rest).  Every rule
# begins with one literal character, so the regex engine jumps from one such character to
# the next (a charset prefix) instead of trying every rule at every position of the text;
# what a rule must not follow is a lookbehind placed after that first character.
_Rule = tuple[int, str, str]
# The rest of a quoted string or identifier after its opening quote.  Unrolled loops
# ("normal* (special normal*)*"): linear time, no nested quantifiers over the same
# characters, so hostile text cannot make the regex backtrack exponentially.
_SQ = r"[^']*(?:''[^']*)*'"
_DQ = r'[^"]*(?:""[^"]*)*"'
_SQ_BS = r"[^'\\]*(?:(?:\\[\s\S]|'')[^'\\]*)*'"  # with backslash escapes
_DQ_BS = r'[^"\\]*(?:(?:\\[\s\S]|"")[^"\\]*)*"'
_BT = r"[^`]*(?:``[^`]*)*`"
_BLOCK_COMMENT_REST = r"\*[\s\S]*?\*/"
_TO_THE_END = r"[\s\S]*"
# Every server reads each non-ASCII character as a letter of an identifier (PostgreSQL and
# SQLite take every byte >= 0x80 of the UTF-8 text; MySQL U+0080 and above), and "$" may
# continue one.  A word, an E'…' prefix or a $tag$ starts only where no such character
# stands before it.
# Each set is written as the ASCII characters it leaves out: the same set as "A-Za-z_"
# plus "\x80-\U0010ffff" (and digits, "$"), but compiled in microseconds instead of the
# milliseconds a range up to U+10FFFF costs each time it appears (every process pays them).
_LETTER = r"[^\x00-\x40\x5b-\x5e\x60\x7b-\x7f]"  # A-Za-z_ and every non-ASCII character
_LETTER_OR_DIGIT = r"[^\x00-\x2f\x3a-\x40\x5b-\x5e\x60\x7b-\x7f]"
_IDENT = r"[^\x00-\x23\x25-\x2f\x3a-\x40\x5b-\x5e\x60\x7b-\x7f]"  # and "$"
_NOT_IN_WORD = rf"(?<!{_IDENT})"
# PostgreSQL continues a string across blanks holding a newline ('a'<newline>'b' is 'ab'),
# and the continuation of an E'…' string is read with backslash escapes too.  The blanks
# may hold "--" comments; only a newline ends one there (\v is a blank from PostgreSQL 16).
_PG_CONTINUATION = r"[ \t\f\v]*(?:--[^\n\r]*)?[\n\r](?:[ \t\n\r\f\v]|--[^\n\r]*[\n\r])*"
_PG_E_STRING = rf"'{_SQ_BS}(?:{_PG_CONTINUATION}'{_SQ_BS})*"

_PLACEHOLDERS_AND_SEMICOLON: list[_Rule] = [
    # not after an identifier character or ":" ("::" is a cast), not before a digit
    (NAMED, ":", r"(?<![\w$:]:)[A-Za-z_][A-Za-z0-9_]*"),
    (LITQ, "?", r"\?"),
    (QMARK, "?", ""),
    (SEMI, ";", ""),
]
# An unterminated quote or comment runs to the end of the text.
_SQLITE_RULES: list[_Rule] = [
    (COMMENT, "-", r"-[^\n]*"),  # ends at a line feed only
    (COMMENT, "/", _BLOCK_COMMENT_REST),  # no nesting
    (QUOTED, "'", _SQ),
    (QUOTED, '"', _DQ),
    (QUOTED, "`", _BT),
    (QUOTED, "[", r"[^\]]*\]"),
    *[(_OPEN, first, _TO_THE_END) for first in "'\"`["],
    (_OPEN, "/", r"\*" + _TO_THE_END),
]


def _postgresql_rules(standard_strings: bool) -> list[_Rule]:
    return [
        (COMMENT, "-", r"-[^\n\r]*"),  # ends at a line feed or a carriage return
        (_BLOCK, "/", r"\*"),  # block comments nest: the scanner measures them
        # $tag$ … $tag$, the tag made of letters, digits and "_", not starting with a digit
        (_DOLLAR, "$", rf"(?<!{_IDENT}\$)(?:{_LETTER}{_LETTER_OR_DIGIT}*)?\$"),
        # standard_conforming_strings on: no backslash escapes; off: '…' reads as E'…'
        (QUOTED, "'", _SQ if standard_strings else _PG_E_STRING[1:]),
        (QUOTED, '"', _DQ),
        *[(QUOTED, first, rf"(?<!{_IDENT}{first}){_PG_E_STRING}") for first in "Ee"],
        *[(_OPEN, first, rf"(?<!{_IDENT}{first})'{_TO_THE_END}") for first in "Ee"],
        *[(_OPEN, first, _TO_THE_END) for first in "'\""],
    ]


# MySQL: "--" starts a comment only before a space or a control character (or at the end
# of the text); the comment, like a "#" one, ends at a line feed only.  "/*!…*/" and
# MariaDB's "/*M!…*/" are executable comments: what they hold is code, read like the rest
# of the text; the opener (with its optional 5- or 6-digit version) and the closing "*/"
# are comments.  Strings take backslash escapes (the default sql_mode).
_MYSQL_LINE_COMMENTS: list[_Rule] = [
    (COMMENT, "-", r"-(?=[\x00-\x20\x7f]|\Z)[^\n]*"),
    (COMMENT, "#", r"[^\n]*"),
]
_MYSQL_QUOTES: list[_Rule] = [
    (QUOTED, "'", _SQ_BS),
    (QUOTED, '"', _DQ_BS),
    (QUOTED, "`", _BT),
    *[(_OPEN, first, _TO_THE_END) for first in "'\"`"],
    (_OPEN, "/", r"\*" + _TO_THE_END),
]
_MYSQL_RULES: list[_Rule] = [
    *_MYSQL_LINE_COMMENTS,
    (COMMENT, "/", r"\*(?!M?!)[\s\S]*?\*/"),
    (_EXEC, "/", r"\*M?!(?:[0-9]{5}[0-9]?)?"),
    *_MYSQL_QUOTES,
]
_IN_MYSQL_EXECUTABLE_COMMENT: list[_Rule] = [
    *_MYSQL_LINE_COMMENTS,
    (COMMENT, "/", _BLOCK_COMMENT_REST),  # an ordinary comment inside the code
    (_EXEC_END, "*", "/"),
    *_MYSQL_QUOTES,
]

_Scanner = tuple[re.Pattern[str], tuple[int, ...]]


def _scanner(rules: list[_Rule]) -> _Scanner:
    """One regex of every rule, each its own group, and the group number → kind table
    (``m.lastindex`` is cheaper than ``m.lastgroup``)."""
    rules = [*rules, *_PLACEHOLDERS_AND_SEMICOLON]
    pattern = "|".join(f"{re.escape(first)}({rest})" for _, first, rest in rules)
    return re.compile(pattern), (-1, *(kind for kind, _, _ in rules))


_SCANNERS: dict[str, _Scanner] = {
    "sqlite": _scanner(_SQLITE_RULES),
    "postgresql": _scanner(_postgresql_rules(standard_strings=True)),
    "mysql": _scanner(_MYSQL_RULES),
}
# PostgreSQL with standard_conforming_strings off (a script may set it).
_NONSTANDARD_POSTGRESQL = _scanner(_postgresql_rules(standard_strings=False))
_IN_EXECUTABLE_COMMENT = _scanner(_IN_MYSQL_EXECUTABLE_COMMENT)
_NESTED_RE = re.compile(r"/\*|\*/")
_WORD = rf"{_LETTER}{_IDENT}*"
_LEXEME_RE = re.compile(rf"{_NOT_IN_WORD}{_WORD}|(\()|(\))|(=)|(\.)")
_LEXEME_KINDS = (WORD, LPAREN, RPAREN, EQUALS, DOT)  # by group number; no group: a word
# A word, a bracket, a comma or a dot; any other run of non-blank characters (a number, an
# operator) is an OTHER item, so that "(? + 1)" is never mistaken for a bare placeholder.
# Each alternative its own group, so that the kind is the group number (``m.lastindex``).
_ITEM_RE = re.compile(rf"({_WORD})|(\()|(\))|(,)|(\.)|([^\s(),.]+)")
_ITEM_KINDS = (OTHER, WORD, LPAREN, RPAREN, COMMA, DOT, OTHER)


def check_lexer(lexer: str) -> str:
    """``lexer`` itself when it names a lexer; raises ``ArgumentError`` otherwise."""
    if lexer not in LEXERS:
        raise ArgumentError(
            f"unknown SQL lexer {lexer!r}; expected one of {', '.join(sorted(LEXERS))}"
        )
    return lexer


def scan(sql: str, lexer: str, *, standard_strings: bool = True) -> tuple[list[Token], bool]:
    """The tokens of ``sql`` in text order, and whether the text ends inside a quote or a
    comment (an unterminated quote or comment runs to the end of the text; a MySQL
    executable comment left open is code up to the end).  ``lexer`` must be valid (see
    ``check_lexer``).  ``standard_strings=False``: PostgreSQL with
    ``standard_conforming_strings`` off, where ``'…'`` takes backslash escapes as ``E'…'``
    does (the other dialects ignore it)."""
    if standard_strings or lexer != "postgresql":
        pattern, kinds = _SCANNERS[lexer]
    else:
        pattern, kinds = _NONSTANDARD_POSTGRESQL
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


def lexemes(sql: str, tokens: list[Token], first: int = 0) -> Iterator[tuple[int, int, int, int]]:
    """Words, ``(``, ``)``, ``=`` and ``.`` outside quotes and comments, and the ``;``
    tokens, in text order, as ``(kind, start, end, index)`` with ``kind`` one of ``WORD``,
    ``LPAREN``, ``RPAREN``, ``EQUALS``, ``DOT``, ``SEMI``; ``index`` is the token's index in
    ``tokens`` for ``;``, else -1. ``first``: start after token ``first - 1``."""
    pos = tokens[first - 1][2] if first else 0
    ends = (-1, len(sql), len(sql))
    for index in range(first, len(tokens) + 1):
        kind, start, end = tokens[index] if index < len(tokens) else ends
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


def scan_items(
    sql: str,
    lexer: str,
    scanned: tuple[list[Token], bool] | None = None,
    *,
    head: int | None = None,
) -> list[Token] | None:
    """Every token of ``sql`` and every item of the gaps between them (``WORD``, ``LPAREN``,
    ``RPAREN``, ``COMMA``, ``DOT``, ``OTHER``), in text order; None when a quote or comment
    is unterminated.  ``lexer`` must be valid (see ``check_lexer``); ``scanned``: ``scan(sql,
    lexer)`` when the caller has it.  ``head``: only the items that end before that offset
    (an item cut by it is left out), for a caller that reads the start of a long text and
    must not hold an item per value of all of it."""
    tokens, unterminated = scan(sql, lexer) if scanned is None else scanned
    if unterminated:
        return None
    limit = len(sql) if head is None else min(head, len(sql))
    items: list[Token] = []
    extend, append, finditer, kinds = items.extend, items.append, _ITEM_RE.finditer, _ITEM_KINDS
    pos = 0
    for token in tokens:
        start = token[1]
        if start >= limit:
            break
        if pos < start:
            extend([(kinds[m.lastindex or 0], m.start(), m.end())
                    for m in finditer(sql, pos, start)])  # fmt: skip
        append(token)
        pos = token[2]
    if pos < limit:
        extend([(kinds[m.lastindex or 0], m.start(), m.end()) for m in finditer(sql, pos, limit)])
    if limit < len(sql):
        # An item reaching the cut may go on past it (a word, a quote): leave it out.
        while items and items[-1][2] >= limit:
            items.pop()
    return items
