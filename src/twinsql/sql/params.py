"""Core layer (pure): placeholder translation, statement splitting and read-only detection.

Users write ``?`` (positional) or ``:name`` (named) placeholders on every backend; the
drivers want ``?`` (sqlite3, ``qmark``), ``$1`` (asyncpg, ``numeric``) or ``%s`` (psycopg,
PyMySQL, asyncmy, ``format``).  ``compile_sql`` translates once per distinct statement (an
LRU cache: this is the hot path) and the resulting ``CompiledSQL.bind`` checks and orders
the parameters before any I/O.

Why our own tokenizer: a regex substitution over the whole text rewrites placeholders
inside string literals, quoted identifiers and comments, and no small library lexes all
three dialects.  This one is a single regex per dialect that recognises just what matters:

* skipped (never placeholders): ``'…'`` strings with ``''`` doubling; MySQL backslash
  escapes in ``'…'`` and ``"…"``; PostgreSQL ``E'…'`` strings and ``$tag$ … $tag$`` dollar
  quotes; ``"…"`` identifiers; backtick identifiers (MySQL, SQLite); ``[…]`` identifiers
  (SQLite); ``--`` comments (MySQL: only when followed by whitespace, as the server has it);
  ``/* */`` comments (nested on PostgreSQL); ``#`` comments (MySQL).  An unterminated quote
  or comment runs to the end of the text (the server will reject it; ``bind`` mentions it);
* ``??`` is a literal ``?`` (PostgreSQL's jsonb ``?``, ``?|``, ``?&``); ``::`` is a cast; a
  ``:`` before ``=``, a digit, or right after an identifier character (``arr[lo:hi]``) is
  not a parameter; ``?1`` (SQLite's numbered form) is rejected rather than mistranslated.

MySQL's ``/*! … */`` executable comments are treated as comments: placeholders inside them
are not translated.  In ``format`` style every literal ``%`` is doubled, because psycopg and
PyMySQL %-format the whole text (the drivers always pass a parameter tuple, even empty).
A placeholder written against an identifier character is padded with a space (``LIMIT?``
would otherwise become ``LIMIT$1``, which PostgreSQL reads as one identifier).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Literal, get_args

from twinsql.errors import ArgumentError, MultipleStatementsError, ParameterError

__all__ = [
    "COMMENT",
    "LITQ",
    "NAMED",
    "QMARK",
    "QUOTED",
    "SEMI",
    "CompiledSQL",
    "Lexer",
    "ParamStyle",
    "Token",
    "check_lexer",
    "compile_sql",
    "is_read_only",
    "is_trivial_span",
    "scan_tokens",
    "split_statements",
    "statement_separators",
]

ParamStyle = Literal["qmark", "numeric", "format"]
Lexer = Literal["sqlite", "postgresql", "mysql"]
_STYLES = frozenset(get_args(ParamStyle))
_LEXERS = frozenset(get_args(Lexer))

# Token kinds, named like the regex groups that produce them.  Only what matters is a token:
# the text between tokens (words, numbers, operators, whitespace) is left as plain gaps, so
# a long statement costs one regex step per placeholder or literal, not per character.
# QUOTED covers strings, quoted identifiers and dollar quotes alike.  BLOCK, DOLLAR and
# OPEN exist only inside the scanner, which resolves them to COMMENT / QUOTED.  The kinds,
# ``scan_tokens``, ``statement_separators`` and ``is_trivial_span`` are also what the
# batcher reads statements with.
_KIND_NAMES = ("comment", "quoted", "qmark", "litq", "named", "semi", "block", "dollar", "open")
COMMENT, QUOTED, QMARK, LITQ, NAMED, SEMI, _BLOCK, _DOLLAR, _OPEN = range(9)
_KINDS = {name: kind for kind, name in enumerate(_KIND_NAMES)}
_WORD, _PAREN, _EQUALS = 9, 10, 11  # lexemes found in the gaps, see _lexemes
Token = tuple[int, int, int]  # (kind, start, end)

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


_PATTERNS = {lexer: _build(lexer) for lexer in _LEXERS}
# Regex group number → token kind, per lexer (m.lastindex is cheaper than m.lastgroup).
_GROUP_KINDS = {
    lexer: tuple(
        next((_KINDS[name] for name, i in pattern.groupindex.items() if i == number), -1)
        for number in range(pattern.groups + 1)
    )
    for lexer, pattern in _PATTERNS.items()
}
_NESTED_RE = re.compile(r"/\*|\*/")
_LEXEME_RE = re.compile(r"(?<![\w$])[^\W\d][\w$]*|(\()|(=)")
_NEXT_CHAR_RE = re.compile(r"\s*(\S)")
_OPENING_RE = re.compile(r"[\s(]*")


def scan_tokens(sql: str, lexer: str) -> tuple[list[Token], bool]:
    """The tokens of ``sql`` in order; the flag says an unterminated quote or comment ran
    to the end of the text."""
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


def _lexemes(sql: str, tokens: list[Token]) -> Iterator[tuple[int, int, int, int]]:
    """Words, ``(`` and ``=`` outside quotes and comments, and the ``;`` tokens, in text
    order, as ``(kind, start, end, index)``; ``index`` is the token's index for ``;``."""
    pos = 0
    for index, (kind, start, end) in enumerate([*tokens, (-1, len(sql), len(sql))]):
        for m in _LEXEME_RE.finditer(sql, pos, start):
            kind_found = _PAREN if m.group(1) else _EQUALS if m.group(2) else _WORD
            yield kind_found, m.start(), m.end(), -1
        if kind == SEMI:
            yield kind, start, end, index
        pos = end


def is_trivial_span(sql: str, tokens: list[Token], index: int, begin: int, end: int) -> bool:
    """True when ``sql[begin:end]`` holds nothing but whitespace and comments; ``index`` is
    the index of the first token at or after ``begin``."""
    pos = begin
    while index < len(tokens) and tokens[index][1] < end:
        kind, start, stop = tokens[index]
        if kind != COMMENT or sql[pos:start].strip():
            return False
        pos, index = stop, index + 1
    return not sql[pos:end].strip()


# Statements whose body may hold ";" outside any quote: SQLite/MySQL triggers and routines
# (BEGIN … END) and PostgreSQL's BEGIN ATOMIC … END.  Blocks are tracked only in a CREATE
# statement that named one of these before its first "(", so a column called "begin"
# cannot swallow the rest of a script.
_ROUTINES = frozenset({"TRIGGER", "FUNCTION", "PROCEDURE", "EVENT"})
_END_SUFFIXES = frozenset({"IF", "LOOP", "WHILE", "REPEAT"})  # MySQL: END IF is no block end


def statement_separators(sql: str, tokens: list[Token]) -> list[int]:
    """The indexes of the ``;`` tokens that end a statement."""
    seps: list[int] = []
    first: str | None = None
    routine = paren = closed_by_end = False
    depth = 0
    for kind, start, end, index in _lexemes(sql, tokens):
        if kind == SEMI:
            if depth == 0:
                seps.append(index)
                first, routine, paren, closed_by_end = None, False, False, False
        elif kind == _PAREN:
            paren = True
        elif kind == _WORD:
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


def _check_single(sql: str, tokens: list[Token]) -> None:
    seps = statement_separators(sql, tokens)
    if seps and not is_trivial_span(sql, tokens, seps[0] + 1, tokens[seps[0]][2], len(sql)):
        raise MultipleStatementsError(
            "more than one SQL statement in one call: call execute once per statement, or "
            "use the batcher (SQLBatcher / AsyncSQLBatcher) for a script",
            sql=sql,
        )


class CompiledSQL:
    """A statement translated to one parameter style, with what ``bind`` needs to check the
    parameters.  Immutable by convention; shared through the compile cache."""

    __slots__ = ("_distinct", "_source", "_unterminated", "count", "is_read_only", "names",
                 "style", "text")  # fmt: skip

    def __init__(
        self,
        *,
        text: str,
        style: ParamStyle,
        count: int,
        names: tuple[str, ...] | None,
        is_read_only: bool,
        source: str,
        unterminated: bool = False,
    ) -> None:
        self.text = text
        self.style: ParamStyle = style
        self.count = count
        self.names = names
        self.is_read_only = is_read_only
        self._source = source
        self._unterminated = unterminated
        self._distinct = frozenset(names) if names is not None else frozenset()

    def __repr__(self) -> str:
        return (
            f"CompiledSQL(text={self.text!r}, style={self.style!r}, count={self.count}, "
            f"names={self.names!r}, is_read_only={self.is_read_only})"
        )

    def bind(self, params: Sequence[Any] | Mapping[str, Any] | None) -> Sequence[Any]:
        """Check ``params`` against the placeholders and return them as the positional
        sequence the driver takes.  A matching tuple or list is returned as is."""
        if self.names is None:
            if isinstance(params, (tuple, list)):
                if len(params) == self.count:
                    return params if self.count else ()
                raise self._error(self._count_message(len(params)))
            return self._bind_positional(params)
        # "type is dict" first: it skips the slower ABC check on the hot path.
        if type(params) is dict or isinstance(params, Mapping):
            return self._bind_mapping(params)
        return self._bind_named(params)

    def _bind_mapping(self, params: Mapping[str, Any]) -> Sequence[Any]:
        assert self.names is not None
        if len(params) == len(self._distinct):  # same size and every name found: no extras
            try:
                return tuple([params[name] for name in self.names])
            except KeyError:
                pass  # the detailed message below
        return self._bind_named(params)

    def _bind_positional(self, params: object) -> Sequence[Any]:
        if params is None:
            if self.count == 0:
                return ()
            raise self._error(self._count_message(None))
        if isinstance(params, Mapping):
            if self.count == 0 and len(params) == 0:
                return ()
            if self.count == 0:
                raise self._error(
                    "statement has no placeholders, but parameters were given: " + _listing(params)
                )
            raise self._error(
                "statement uses ? placeholders but a mapping was given: pass a tuple of "
                "values in placeholder order, or write :name placeholders"
            )
        self._reject_scalar(params)
        assert isinstance(params, Sequence)
        if len(params) != self.count:
            raise self._error(self._count_message(len(params)))
        return tuple(params)

    def _bind_named(self, params: object) -> Sequence[Any]:
        assert self.names is not None
        expected = ", ".join(sorted(self._distinct))
        if params is None:
            raise self._error(
                f"statement has :name placeholders but no parameters were given; "
                f"expected a mapping with keys: {expected}"
            )
        if not isinstance(params, Mapping):
            self._reject_scalar(params)
            raise self._error(
                f"statement uses :name placeholders but a sequence was given: pass a mapping "
                f"(e.g. a dict) with keys: {expected}"
            )
        missing = sorted(self._distinct.difference(params))
        extra = [key for key in params if key not in self._distinct]
        problems = []
        if missing:
            problems.append("missing parameters: " + ", ".join(missing))
        if extra:
            problems.append("unexpected parameters: " + _listing(extra))
        if problems:
            raise self._error("; ".join(problems) + f" (statement expects: {expected})")
        return tuple([params[name] for name in self.names])

    def _reject_scalar(self, params: object) -> None:
        if isinstance(params, (str, bytes, bytearray, memoryview)) or not isinstance(
            params, Sequence
        ):
            raise self._error(
                f"parameters must be a tuple or list (or a mapping for :name placeholders), "
                f"not {type(params).__name__}: pass a tuple, e.g. (value,)"
            )

    def _count_message(self, given: int | None) -> str:
        has = _plural(self.count, "placeholder") if self.count else "no placeholders"
        given_text = "no parameters" if given is None else _plural(given, "parameter")
        message = f"statement has {has}, {given_text} given"
        if self._unterminated:
            message += (
                " (the statement has an unterminated quote or comment: placeholders "
                "after it were not counted)"
            )
        return message

    def _error(self, message: str) -> ParameterError:
        return ParameterError(message, sql=self._source)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _listing(keys: Any) -> str:
    return ", ".join(str(key) if isinstance(key, str) else repr(key) for key in keys)


def _is_ident_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_" or ch == "$"


def _compile(sql: str, style: ParamStyle, lexer: Lexer, allow_multiple: bool) -> CompiledSQL:
    if style not in _STYLES:
        raise ArgumentError(
            f"unknown parameter style {style!r}; expected one of {', '.join(sorted(_STYLES))}"
        )
    tokens, unterminated = scan_tokens(sql, check_lexer(lexer))
    marks = [tok for tok in tokens if QMARK <= tok[0] <= NAMED]
    if not allow_multiple and any(tok[0] == SEMI for tok in tokens):
        _check_single(sql, tokens)
    positional = sum(1 for tok in marks if tok[0] == QMARK)
    named = [sql[s + 1 : e] for kind, s, e in marks if kind == NAMED]
    if positional and named:
        raise ParameterError(
            "statement mixes ? (positional) and :name (named) placeholders; use one style",
            sql=sql,
        )
    numbers: dict[str, int] = {}
    # psycopg and PyMySQL %-format the text only when they are given parameters; the
    # drivers pass none for a statement without placeholders, so its % stays as written.
    fmt = style == "format" and (positional + len(named)) > 0
    pieces: list[str] = []
    last = ordinal = 0
    for kind, start, end in marks:
        segment = sql[last:start]
        pieces.append(segment.replace("%", "%%") if fmt else segment)
        last = end
        if kind == LITQ:
            if style == "qmark":
                raise ParameterError(
                    "'??' (a literal ?) cannot be used with the qmark style: sqlite3 reads "
                    "every ? as a placeholder (and SQLite has no ? operator)",
                    sql=sql,
                )
            pieces.append("?")
            continue
        if kind == QMARK and end < len(sql) and sql[end].isdigit():
            raise ParameterError(
                "numbered placeholders such as ?1 are not supported: write ? or :name",
                sql=sql,
            )
        if style == "numeric":
            if kind == NAMED:
                number = numbers.setdefault(sql[start + 1 : end], len(numbers) + 1)
            else:
                ordinal += 1
                number = ordinal
            mark = f"${number}"
        else:
            mark = "%s" if fmt else "?"
        if start and _is_ident_char(sql[start - 1]):
            mark = " " + mark
        if end < len(sql) and _is_ident_char(sql[end]):
            mark += " "
        pieces.append(mark)
    tail = sql[last:]
    pieces.append(tail.replace("%", "%%") if fmt else tail)
    names: tuple[str, ...] | None = None
    if named:
        names = tuple(numbers) if style == "numeric" else tuple(named)
    return CompiledSQL(
        text="".join(pieces),
        style=style,
        count=positional + len(named),
        names=names,
        is_read_only=_read_only(sql, tokens),
        source=sql,
        unterminated=unterminated,
    )


_compile_cached = functools.lru_cache(maxsize=2048)(_compile)
# Longer texts (generated bulk INSERTs) skip the cache: compiling them is cheap next to
# sending them, and 2048 cached megabyte-statements would be a memory leak.
_CACHE_MAX_CHARS = 32_768


def compile_sql(
    sql: str, style: ParamStyle, lexer: Lexer, *, allow_multiple: bool = False
) -> CompiledSQL:
    """Translate ``?`` / ``:name`` placeholders in ``sql`` to ``style``.

    Raises ``ParameterError`` for mixed placeholder styles, ``??`` with ``qmark`` or ``?1``,
    and ``MultipleStatementsError`` when the text holds more than one statement (a single
    trailing ``;`` is kept) unless ``allow_multiple`` is true.
    """
    if not isinstance(sql, str):
        raise ArgumentError(f"SQL must be a str, not {type(sql).__name__}")
    if len(sql) <= _CACHE_MAX_CHARS:
        return _compile_cached(sql, style, lexer, allow_multiple)
    return _compile(sql, style, lexer, allow_multiple)


def check_lexer(lexer: str) -> str:
    if lexer not in _LEXERS:
        raise ArgumentError(
            f"unknown SQL lexer {lexer!r}; expected one of {', '.join(sorted(_LEXERS))}"
        )
    return lexer


def split_statements(sql: str, lexer: Lexer) -> list[str]:
    """Split a script into statements, each stripped and without its trailing ``;``;
    empty and comment-only statements are dropped.  Placeholders are left untouched."""
    tokens, _ = scan_tokens(sql, check_lexer(lexer))
    statements: list[str] = []
    begin = first_token = 0
    for index in [*statement_separators(sql, tokens), len(tokens)]:
        start, end = (
            (tokens[index][1], tokens[index][2]) if index < len(tokens) else (len(sql),) * 2
        )
        if not is_trivial_span(sql, tokens, first_token, begin, start):
            statements.append(sql[begin:start].strip())
        begin, first_token = end, index + 1
    return statements


def is_read_only(sql: str, lexer: Lexer) -> bool:
    """Best-effort lexical test that ``sql`` cannot write: True only for SELECT, VALUES,
    WITH, EXPLAIN (without ANALYZE), SHOW and query PRAGMAs that show no writing keyword.
    A false "False" costs a re-run opportunity; a false "True" would re-run a write, so
    every doubt answers False (user functions with side effects cannot be seen)."""
    return _read_only(sql, scan_tokens(sql, check_lexer(lexer))[0])


# Keywords that make a SELECT / VALUES / WITH write or lock: DML (also in CTEs), SELECT INTO,
# FOR UPDATE / FOR SHARE / LOCK IN SHARE MODE.  INSERT and REPLACE followed by "(" are the
# string functions of the same names.
_WRITES = frozenset({"INSERT", "UPDATE", "DELETE", "REPLACE", "MERGE", "INTO", "SHARE", "LOCK"})
_FUNCTIONS = frozenset({"INSERT", "REPLACE"})
_PRAGMA_ACTIONS = frozenset({"optimize", "wal_checkpoint", "incremental_vacuum", "shrink_memory"})
_PRAGMA_QUERIES = frozenset({"table_info", "table_xinfo", "table_list", "index_info",
                             "index_xinfo", "index_list", "foreign_key_list",
                             "foreign_key_check", "integrity_check", "quick_check"})  # fmt: skip


def _read_only(sql: str, tokens: list[Token]) -> bool:
    semi = next((i for i, tok in enumerate(tokens) if tok[0] == SEMI), None)
    if semi is not None and not is_trivial_span(sql, tokens, semi + 1, tokens[semi][2], len(sql)):
        return False  # a script: judge nothing
    lexemes = _lexemes(sql, tokens)
    first = next((lex for lex in lexemes if lex[0] == _WORD), None)
    if first is None or not _opening(sql, tokens, first[1]):
        return False
    keyword = sql[first[1] : first[2]].upper()
    if keyword == "SHOW":
        return True
    if keyword == "EXPLAIN":
        return not any(sql[s:e].upper() in ("ANALYZE", "ANALYSE") for _, s, e, _ in lexemes)
    if keyword == "PRAGMA":
        return _pragma_read_only(sql, lexemes)
    if keyword not in ("SELECT", "VALUES", "WITH"):
        return False
    for kind, start, end, _ in lexemes:
        word = sql[start:end].upper() if kind == _WORD else ""
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


def _pragma_read_only(sql: str, lexemes: Iterator[tuple[int, int, int, int]]) -> bool:
    name, has_argument = "", False
    for kind, start, end, _ in lexemes:
        if kind == _EQUALS:
            return False
        if kind == _PAREN:
            has_argument = True
            break
        if kind == _WORD:
            name = sql[start:end].lower()  # after "schema." the last word is the name
    if name in _PRAGMA_ACTIONS:
        return False
    return not has_argument or name in _PRAGMA_QUERIES
