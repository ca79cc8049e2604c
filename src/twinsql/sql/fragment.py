"""SQL feature, pure: normalising ``Raw`` fragments, a caller's SQL inside a built query.

``Raw("age > ? AND name = :n", {"n": "x"})`` is the caller's own SQL, inserted as is (like
SQLAlchemy's ``text()``); only its placeholders are rewritten.  At construction the
fragment is normalised to ``?`` placeholders with positional parameters in placeholder
order, using ``placeholders.compile_sql`` — the same tokenizer the connection layer later
runs over the whole statement, so both agree on what is a placeholder (not the ``?`` in a
string literal, a quoted identifier or a comment).  ``??`` stays ``??``: the connection
layer turns it into a literal ``?`` (PostgreSQL's jsonb operators).  A wrong parameter
count or a mix of ``?`` and ``:name`` raises ``ParameterError`` at once.

Lexing differs a little between dialects (backslash escapes and ``#`` comments on MySQL,
dollar quotes on PostgreSQL), so a fragment is normalised for each of the three lexers.
Construction fails only when no dialect can read the fragment; compiling for a dialect
that cannot raises that dialect's error.  A fragment is refused when it holds a ``;`` (a
second statement) or an unterminated quote or comment (it would swallow the rest of the
query); one that ends inside a ``--`` comment is followed by a newline.

A ``Raw`` is recognised by its class, never by duck typing: no user object (a dict from a
JSON body, say) can pose as a fragment.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from twinsql.errors import ArgumentError, MultipleStatementsError, ParameterError
from twinsql.sql.lexer import LEXERS
from twinsql.sql.placeholders import CompiledSQL, compile_sql

__all__ = ["Form", "normalise"]

# Characters after which the three lexers may disagree; a fragment without any of them is
# lexed once.
_LEXER_SENSITIVE = re.compile(r"""['"`\[#/$\\-]""")
_FORMAT_MARKS = re.compile("%%|%s")

Form = tuple[str, tuple[Any, ...]]  # (text with ? placeholders, parameters in order)


def normalise(sql: str, params: object) -> dict[str, Form | ArgumentError]:
    """The fragment as ``(text with ?, parameters in order)`` for each dialect name, or
    the error that dialect's reading gives; raises when no dialect can read it."""
    if not isinstance(sql, str):
        raise ArgumentError(f"a SQL fragment must be a str, not {type(sql).__name__}")
    if not sql.strip():
        raise ArgumentError("a SQL fragment cannot be empty")
    forms: dict[str, Form | ArgumentError] = {}
    lexers = LEXERS if _LEXER_SENSITIVE.search(sql) else LEXERS[:1]
    for lexer in lexers:
        try:
            forms[lexer] = _normalise(sql, params, lexer)
        except ArgumentError as exc:
            forms[lexer] = exc
    first = forms["sqlite"]
    if isinstance(first, ArgumentError) and all(
        isinstance(form, ArgumentError) for form in forms.values()
    ):
        raise first
    return forms if len(forms) == len(LEXERS) else dict.fromkeys(LEXERS, first)


def _normalise(sql: str, params: object, lexer: str) -> Form:
    text, compiled = _prepare(sql, lexer)
    try:
        values = compiled.bind(params)  # type: ignore[arg-type]  # bind checks the type
    except ParameterError as exc:
        # The message is bind's (count, names, types); the SQL shown is the caller's own.
        raise ParameterError(exc.message, sql=sql) from None
    return text, tuple(values)


@functools.lru_cache(maxsize=1024)
def _prepare(sql: str, lexer: str) -> tuple[str, CompiledSQL]:
    """The fragment with ``?`` placeholders, and the compiled form that binds parameters.

    compile_sql's ``format`` style marks every placeholder ``%s`` and doubles every other
    ``%``, so the marks can be found again without re-lexing.  Its ``??`` handling would
    lose the difference between ``??`` and a ``?`` inside a string, so ``??`` is first
    swapped for a private-use character the text does not contain and swapped back.
    """
    sentinel = next(chr(c) for c in range(0xE000, 0xF900) if chr(c) not in sql)
    source = sql.replace("??", sentinel)
    try:
        compiled = compile_sql(source, "format", lexer)  # type: ignore[arg-type]
    except ParameterError as exc:
        raise ParameterError(exc.message, sql=sql) from None
    except MultipleStatementsError:
        raise _semicolon(sql) from None
    # A probe placeholder after the fragment is counted only when the fragment closes
    # every quote and comment, and makes a second statement when it ends with ";".
    try:
        probe = compile_sql(source + "\n?", "format", lexer)  # type: ignore[arg-type]
    except MultipleStatementsError:
        raise _semicolon(sql) from None
    except ParameterError:
        probe = None  # "?" mixed with ":name": the probe was seen, so all is closed
    if probe is not None and probe.count != compiled.count + 1:
        raise ArgumentError(
            f"SQL fragment has an unterminated quote or comment ({lexer} reading): {sql!r}"
        )
    text = _FORMAT_MARKS.sub(lambda m: "?" if m.group() == "%s" else "%", compiled.text)
    text = text.replace(sentinel, "??")
    if "--" in text or "#" in text:
        text += "\n"  # a trailing line comment must not swallow what follows the fragment
    return text, compiled


def _semicolon(sql: str) -> ArgumentError:
    return ArgumentError(f"a SQL fragment must not contain ';' (one expression only): {sql!r}")
