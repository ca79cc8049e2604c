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
from collections.abc import Mapping, Sequence
from typing import Any, Literal, get_args

from twinsql.errors import ArgumentError, MultipleStatementsError, ParameterError

__all__ = ["CompiledSQL", "Lexer", "ParamStyle", "compile_sql", "is_read_only", "split_statements"]

ParamStyle = Literal["qmark", "numeric", "format"]
Lexer = Literal["sqlite", "postgresql", "mysql"]
_STYLES = frozenset(get_args(ParamStyle))
_LEXERS = frozenset(get_args(Lexer))

# Token kinds.  QUOTED covers strings, quoted identifiers and dollar quotes alike: all of
# them are opaque to placeholder search.
_WS, _COMMENT, _QUOTED, _WORD, _QMARK, _LITQ, _NAMED, _SEMI, _PERCENT, _OTHER = range(10)
_BLOCK, _DOLLAR, _OPEN = 10, 11, 12  # scanner-internal: resolved to COMMENT / QUOTED
_TRIVIA = (_WS, _COMMENT)
Token = tuple[int, int, int]  # (kind, start, end)

# Unrolled-loop patterns ("normal* (special normal*)*"): linear time, no nested quantifiers
# over the same characters, so hostile text cannot make the regex backtrack exponentially.
_SQ = r"'[^']*(?:''[^']*)*'"
_DQ = r'"[^"]*(?:""[^"]*)*"'
_SQ_BS = r"'[^'\\]*(?:(?:\\[\s\S]|'')[^'\\]*)*'"
_DQ_BS = r'"[^"\\]*(?:(?:\\[\s\S]|"")[^"\\]*)*"'
_BT = r"`[^`]*(?:``[^`]*)*`"
_BLOCK_COMMENT = r"/\*[\s\S]*?\*/"


def _build(lexer: str) -> re.Pattern[str]:
    if lexer == "postgresql":
        comment, quoted = r"--[^\n]*", rf"{_SQ}|{_DQ}|[Ee]{_SQ_BS}"
        special = [r"(?P<block>/\*)", r"(?P<dollar>\$(?:[^\W\d]\w*)?\$)"]
        unterminated = r"[Ee]?'[\s\S]*|\"[\s\S]*"
    elif lexer == "mysql":
        comment, quoted = rf"--(?=\s|\Z)[^\n]*|#[^\n]*|{_BLOCK_COMMENT}", f"{_SQ_BS}|{_DQ_BS}|{_BT}"
        special, unterminated = [], r"(?:['\"`]|/\*)[\s\S]*"
    else:
        comment, quoted = rf"--[^\n]*|{_BLOCK_COMMENT}", rf"{_SQ}|{_DQ}|{_BT}|\[[^\]]*\]"
        special, unterminated = [], r"(?:['\"`\[]|/\*)[\s\S]*"
    alternatives = [
        r"(?P<ws>\s+)",
        rf"(?P<comment>{comment})",
        *special,
        rf"(?P<quoted>{quoted})",
        rf"(?P<open>{unterminated})",
        r"(?P<word>[^\W\d][\w$]*|\d[\w.]*)",
        r"(?P<other>::)",
        r"(?P<named>(?<![\w$:]):[A-Za-z_][A-Za-z0-9_]*)",
        r"(?P<litq>\?\?)",
        r"(?P<qmark>\?)",
        r"(?P<semi>;)",
        r"(?P<percent>%)",
        r"(?P<run>[^\s\w'\"`\[/\-#?:;%$]+|[\s\S])",
    ]
    return re.compile("|".join(alternatives))


_PATTERNS = {lexer: _build(lexer) for lexer in _LEXERS}
_KINDS = {
    "ws": _WS, "comment": _COMMENT, "block": _BLOCK, "dollar": _DOLLAR, "quoted": _QUOTED,
    "open": _OPEN, "word": _WORD, "other": _OTHER, "named": _NAMED, "litq": _LITQ,
    "qmark": _QMARK, "semi": _SEMI, "percent": _PERCENT, "run": _OTHER,
}
_NESTED_RE = re.compile(r"/\*|\*/")


def _scan(sql: str, lexer: str) -> tuple[list[Token], bool]:
    """Split ``sql`` into tokens; the flag says an unterminated quote or comment was met."""
    match = _PATTERNS[lexer].match
    tokens: list[Token] = []
    pos, n, unterminated = 0, len(sql), False
    while pos < n:
        m = match(sql, pos)
        assert m is not None  # the last alternative matches any character
        kind = _KINDS[m.lastgroup or "run"]
        end = m.end()
        if kind == _BLOCK:  # PostgreSQL block comments nest
            kind, depth = _COMMENT, 1
            for mark in _NESTED_RE.finditer(sql, end):
                depth += 1 if mark.group() == "/*" else -1
                if depth == 0:
                    end = mark.end()
                    break
            else:
                end, unterminated = n, True
        elif kind == _DOLLAR:
            kind, close = _QUOTED, sql.find(m.group(), end)
            if close == -1:
                end, unterminated = n, True
            else:
                end = close + (end - pos)
        elif kind == _OPEN:
            kind, unterminated = _QUOTED, True
        tokens.append((kind, pos, end))
        pos = end
    return tokens, unterminated


# Statements whose body may hold ";" outside any quote: SQLite/MySQL triggers and routines
# (BEGIN … END) and PostgreSQL's BEGIN ATOMIC … END.  Blocks are tracked only in a CREATE
# statement that named one of these before its first "(", so a column called "begin"
# cannot swallow the rest of a script.
_ROUTINES = frozenset({"TRIGGER", "FUNCTION", "PROCEDURE", "EVENT"})
_END_SUFFIXES = frozenset({"IF", "LOOP", "WHILE", "REPEAT"})  # MySQL: END IF is no block end


def _separators(sql: str, tokens: list[Token]) -> list[int]:
    """Indexes of the ``;`` tokens that end a statement."""
    seps: list[int] = []
    first: str | None = None
    routine = paren = closed_by_end = False
    depth = 0
    for i, (kind, start, end) in enumerate(tokens):
        if kind == _SEMI:
            if depth == 0:
                seps.append(i)
                first, routine, paren, closed_by_end = None, False, False, False
        elif kind == _OTHER:
            paren = paren or "(" in sql[start:end]
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
    seps = _separators(sql, tokens)
    if seps and any(kind not in _TRIVIA for kind, _, _ in tokens[seps[0] + 1 :]):
        raise MultipleStatementsError(
            "more than one SQL statement in one call: call execute once per statement, or "
            "use the batcher (SQLBatcher / AsyncSQLBatcher) for a script",
            sql=sql,
        )


class CompiledSQL:
    """A statement translated to one parameter style, with what ``bind`` needs to check the
    parameters.  Immutable by convention; shared through the compile cache."""

    __slots__ = ("_distinct", "_source", "_unterminated", "count", "is_read_only", "names",
                 "style", "text")

    def __init__(self, *, text: str, style: ParamStyle, count: int,
                 names: tuple[str, ...] | None, is_read_only: bool, source: str,
                 unterminated: bool = False) -> None:
        self.text = text
        self.style: ParamStyle = style
        self.count = count
        self.names = names
        self.is_read_only = is_read_only
        self._source = source
        self._unterminated = unterminated
        self._distinct = frozenset(names) if names is not None else frozenset()

    def __repr__(self) -> str:
        return (f"CompiledSQL(text={self.text!r}, style={self.style!r}, count={self.count}, "
                f"names={self.names!r}, is_read_only={self.is_read_only})")

    def bind(self, params: Sequence[Any] | Mapping[str, Any] | None) -> Sequence[Any]:
        """Check ``params`` against the placeholders and return them as the positional
        sequence the driver takes.  A matching tuple or list is returned as is."""
        if self.names is None:
            if isinstance(params, (tuple, list)):
                if len(params) == self.count:
                    return params if self.count else ()
                raise self._error(self._count_message(len(params)))
            return self._bind_positional(params)
        if isinstance(params, Mapping) and len(params) == len(self._distinct):
            try:
                return tuple([params[name] for name in self.names])
            except KeyError:
                pass  # fall through to the detailed message
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
                    "statement has no placeholders, but parameters were given: "
                    + _listing(params)
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
            message += (" (the statement has an unterminated quote or comment: placeholders "
                        "after it were not counted)")
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
        raise ArgumentError(f"unknown parameter style {style!r}; expected one of "
                            f"{', '.join(sorted(_STYLES))}")
    tokens, unterminated = _scan(sql, _check_lexer(lexer))
    marks = [tok for tok in tokens if _QMARK <= tok[0] <= _NAMED]
    if not allow_multiple and any(tok[0] == _SEMI for tok in tokens):
        _check_single(sql, tokens)
    positional = sum(1 for tok in marks if tok[0] == _QMARK)
    named = [sql[s + 1 : e] for kind, s, e in marks if kind == _NAMED]
    if positional and named:
        raise ParameterError(
            "statement mixes ? (positional) and :name (named) placeholders; use one style",
            sql=sql,
        )
    numbers: dict[str, int] = {}
    fmt = style == "format"
    pieces: list[str] = []
    last = ordinal = 0
    for kind, start, end in marks:
        segment = sql[last:start]
        pieces.append(segment.replace("%", "%%") if fmt else segment)
        last = end
        if kind == _LITQ:
            if style == "qmark":
                raise ParameterError(
                    "'??' (a literal ?) cannot be used with the qmark style: sqlite3 reads "
                    "every ? as a placeholder (and SQLite has no ? operator)",
                    sql=sql,
                )
            pieces.append("?")
            continue
        if kind == _QMARK and end < len(sql) and sql[end].isdigit():
            raise ParameterError(
                "numbered placeholders such as ?1 are not supported: write ? or :name",
                sql=sql,
            )
        if style == "numeric":
            if kind == _NAMED:
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
        text="".join(pieces), style=style, count=positional + len(named), names=names,
        is_read_only=_read_only(sql, tokens), source=sql, unterminated=unterminated,
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


def _check_lexer(lexer: str) -> str:
    if lexer not in _LEXERS:
        raise ArgumentError(f"unknown SQL lexer {lexer!r}; expected one of "
                            f"{', '.join(sorted(_LEXERS))}")
    return lexer


def split_statements(sql: str, lexer: Lexer) -> list[str]:
    """Split a script into statements, each stripped and without its trailing ``;``;
    empty and comment-only statements are dropped.  Placeholders are left untouched."""
    tokens, _ = _scan(sql, _check_lexer(lexer))
    statements: list[str] = []
    begin = 0
    for index in [*_separators(sql, tokens), len(tokens)]:
        part = tokens[begin:index]
        begin = index + 1
        if any(kind not in _TRIVIA for kind, _, _ in part):
            statements.append(sql[part[0][1] : part[-1][2]].strip())
    return statements


def is_read_only(sql: str, lexer: Lexer) -> bool:
    """Best-effort lexical test that ``sql`` cannot write: True only for SELECT, VALUES,
    WITH, EXPLAIN (without ANALYZE), SHOW and query PRAGMAs that show no writing keyword.
    A false "False" costs a re-run opportunity; a false "True" would re-run a write, so
    every doubt answers False (user functions with side effects cannot be seen)."""
    return _read_only(sql, _scan(sql, _check_lexer(lexer))[0])


# Keywords that make a SELECT / VALUES / WITH write or lock: DML (also in CTEs), SELECT INTO,
# FOR UPDATE / FOR SHARE / LOCK IN SHARE MODE.  INSERT and REPLACE followed by "(" are the
# string functions of the same names.
_WRITES = frozenset({"INSERT", "UPDATE", "DELETE", "REPLACE", "MERGE", "INTO", "SHARE", "LOCK"})
_FUNCTIONS = frozenset({"INSERT", "REPLACE"})
_PRAGMA_ACTIONS = frozenset({"optimize", "wal_checkpoint", "incremental_vacuum", "shrink_memory"})
_PRAGMA_QUERIES = frozenset({
    "table_info", "table_xinfo", "table_list", "index_info", "index_xinfo", "index_list",
    "foreign_key_list", "foreign_key_check", "integrity_check", "quick_check",
})


def _read_only(sql: str, tokens: list[Token]) -> bool:
    sig = [tok for tok in tokens if tok[0] not in _TRIVIA]
    if any(kind == _SEMI for kind, _, _ in sig[:-1]):
        return False  # a script: judge nothing
    i = 0
    while i < len(sig) and sig[i][0] == _OTHER and not sql[sig[i][1] : sig[i][2]].strip("("):
        i += 1  # "(SELECT …) UNION …"
    if i == len(sig) or sig[i][0] != _WORD:
        return False
    words = [(j, sql[s:e].upper()) for j, (kind, s, e) in enumerate(sig) if kind == _WORD]
    first = sql[sig[i][1] : sig[i][2]].upper()
    if first == "SHOW":
        return True
    if first == "EXPLAIN":
        return not any(word in ("ANALYZE", "ANALYSE") for _, word in words)
    if first == "PRAGMA":
        return _pragma_read_only(sql, sig[i + 1 :])
    if first not in ("SELECT", "VALUES", "WITH"):
        return False
    for j, word in words:
        if word in _WRITES:
            following = sig[j + 1] if j + 1 < len(sig) else None
            is_call = following is not None and following[0] == _OTHER and sql[
                following[1]
            ] == "("
            if not (word in _FUNCTIONS and is_call):
                return False
    return True


def _pragma_read_only(sql: str, rest: list[Token]) -> bool:
    name, has_argument = "", False
    for kind, start, end in rest:
        text = sql[start:end]
        if kind == _OTHER and "=" in text:
            return False
        if kind == _OTHER and "(" in text:
            has_argument = True
            break
        if kind == _WORD:
            name = text.lower()  # after "schema." the last word is the pragma's name
    if name in _PRAGMA_ACTIONS:
        return False
    return not has_argument or name in _PRAGMA_QUERIES
