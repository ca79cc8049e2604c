"""SQL feature, pure: placeholder translation and parameter binding.

Users write ``?`` (positional) or ``:name`` (named) placeholders on every backend; the
drivers want ``?`` (sqlite3, ``qmark``), ``$1`` (asyncpg, ``numeric``) or ``%s`` (psycopg,
PyMySQL, asyncmy, ``format``).  ``compile_sql`` translates once per distinct statement (an
LRU cache: this is the hot path) and the resulting ``CompiledSQL.bind`` checks and orders
the parameters before any I/O.

What is a placeholder is the lexer's call (``lexer.scan``: never inside a quote or a
comment).  Translation adds these rules: ``??`` is a literal ``?``; ``?1`` (SQLite's
numbered form) is rejected rather than mistranslated; ``?`` and ``:name`` never mix in one
statement.  In ``format`` style every literal ``%`` is doubled, because psycopg and PyMySQL
%-format the whole text (the drivers always pass a parameter tuple, even empty).  A
placeholder written against an identifier character is padded with a space (``LIMIT?``
would otherwise become ``LIMIT$1``, which PostgreSQL reads as one identifier).  An
unterminated quote or comment runs to the end of the text (the server will reject it;
``bind`` mentions it).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any, Literal, get_args

from twinsql.errors import ArgumentError, ParameterError
from twinsql.sql.lexer import LITQ, NAMED, QMARK, SEMI, Lexer, Token, check_lexer, scan
from twinsql.sql.readonly import is_read_only_scanned
from twinsql.sql.script import check_single_statement

__all__ = ["CompiledSQL", "ParamStyle", "compile_sql"]

ParamStyle = Literal["qmark", "numeric", "format"]
_STYLES = frozenset(get_args(ParamStyle))
_NO_NAMES: frozenset[str] = frozenset()  # shared: one per statement would cost 216 bytes


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
        self._distinct = frozenset(names) if names is not None else _NO_NAMES

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


def _compile(
    sql: str,
    style: ParamStyle,
    lexer: Lexer,
    allow_multiple: bool,
    scanned: tuple[list[Token], bool] | None = None,
) -> CompiledSQL:
    if style not in _STYLES:
        raise ArgumentError(
            f"unknown parameter style {style!r}; expected one of {', '.join(sorted(_STYLES))}"
        )
    lexer = check_lexer(lexer)  # type: ignore[assignment]
    tokens, unterminated = scan(sql, lexer) if scanned is None else scanned
    marks = [tok for tok in tokens if QMARK <= tok[0] <= NAMED]
    if not allow_multiple and any(tok[0] == SEMI for tok in tokens):
        check_single_statement(sql, tokens, lexer)
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
        is_read_only=is_read_only_scanned(sql, tokens),
        source=sql,
        unterminated=unterminated,
    )


_compile_cached = functools.lru_cache(maxsize=2048)(_compile)
# Longer texts (generated bulk INSERTs) skip the cache: compiling them is cheap next to
# sending them, and 2048 cached megabyte-statements would be a memory leak.
_CACHE_MAX_CHARS = 32_768


def compile_sql(
    sql: str,
    style: ParamStyle,
    lexer: Lexer,
    *,
    allow_multiple: bool = False,
    scanned: tuple[list[Token], bool] | None = None,
) -> CompiledSQL:
    """Translate ``?`` / ``:name`` placeholders in ``sql`` to ``style``.

    Raises ``ParameterError`` for mixed placeholder styles, ``??`` with ``qmark`` or ``?1``,
    and ``MultipleStatementsError`` when the text holds more than one statement (a single
    trailing ``;`` is kept) unless ``allow_multiple`` is true. ``scanned``: ``scan(sql,
    lexer)`` when the caller has it (the result is then not cached here).
    """
    if not isinstance(sql, str):
        raise ArgumentError(f"SQL must be a str, not {type(sql).__name__}")
    if scanned is not None:  # the caller scanned it already (and caches its own results)
        return _compile(sql, style, lexer, allow_multiple, scanned)
    if len(sql) <= _CACHE_MAX_CHARS:
        return _compile_cached(sql, style, lexer, allow_multiple)
    return _compile(sql, style, lexer, allow_multiple)
