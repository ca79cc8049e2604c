"""Tokenizing helpers shared by the rules: lines, tokens, string literals, f-string fields.

Layer and job: build tooling (standard library only).  The rules address source text by
line and by character offset; these helpers split it the way ``tokenize`` numbers it and
find, inside an f-string, the replacement fields that are code rather than text.
"""

from __future__ import annotations

import io
import token
import tokenize
from typing import Final


class UnasyncError(Exception):
    """A problem the user must fix in a source (or in the rename table): exit 2."""


# Python 3.12+ splits f-strings into FSTRING_START ... FSTRING_END (3.14 adds t-strings).
# Such a span is handled as one literal, exactly as the single STRING token older versions
# produce, so the output does not depend on the Python version running the tool.
SPAN_STARTS: Final = frozenset(
    t for t in (getattr(token, "FSTRING_START", None), getattr(token, "TSTRING_START", None)) if t
)
SPAN_ENDS: Final = frozenset(
    t for t in (getattr(token, "FSTRING_END", None), getattr(token, "TSTRING_END", None)) if t
)


def split_lines(code: str) -> list[str]:
    """The lines of ``code`` with their endings, split on "\\n" only as tokenize numbers rows."""
    return io.StringIO(code, newline="\n").readlines()


def line_starts(lines: list[str]) -> list[int]:
    """Character offset of the start of each line (and of the end of the text)."""
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    return starts


def tokenize_lines(lines: list[str]) -> list[tokenize.TokenInfo]:
    """The tokens of the code made of ``lines``; UnasyncError if it does not tokenize."""
    try:
        return list(tokenize.generate_tokens(iter(lines).__next__))
    except (tokenize.TokenError, SyntaxError) as exc:
        raise UnasyncError(f"cannot tokenize: {exc}") from None


def literal_end(tokens: list[tokenize.TokenInfo], i: int) -> int:
    """Index of the last token of the string literal that starts at ``tokens[i]``."""
    if tokens[i].type not in SPAN_STARTS:
        return i
    depth, j = 0, i
    while True:
        if tokens[j].type in SPAN_STARTS:
            depth += 1
        elif tokens[j].type in SPAN_ENDS:
            depth -= 1
            if depth == 0:
                return j
        j += 1


def string_rows(tokens: list[tokenize.TokenInfo]) -> set[int]:
    """Rows that begin inside a string literal (the second and later rows of a literal)."""
    rows: set[int] = set()
    i = 0
    while i < len(tokens):
        if tokens[i].type == token.STRING or tokens[i].type in SPAN_STARTS:
            j = literal_end(tokens, i)
            rows.update(range(tokens[i].start[0] + 1, tokens[j].end[0] + 1))
            i = j
        i += 1
    return rows


def fstring_fields(literal: str) -> list[tuple[int, int]]:
    """``(start, end)`` offsets in ``literal`` of the expressions of its replacement fields.

    Empty unless ``literal`` (the full text of a string token, prefix and quotes included)
    is an f-string or t-string.  Fields nested in a format spec (``{x:>{width}}``) are
    listed too; a field's conversion, format spec and self-documenting ``=`` are not part
    of its expression.
    """
    quote_at = min(literal.find(q) for q in "'\"" if q in literal)
    prefix = literal[:quote_at].lower()
    if "f" not in prefix and "t" not in prefix:
        return []
    triple = literal[quote_at : quote_at + 3]
    quote = triple if triple in ('"""', "'''") else literal[quote_at]
    fields: list[tuple[int, int]] = []
    _scan_text(literal, quote_at + len(quote), len(literal) - len(quote), "r" in prefix, fields)
    return fields


def _scan_text(
    text: str, i: int, end: int, raw: bool, fields: list[tuple[int, int]], in_spec: bool = False
) -> int:
    """Scan literal text from ``i``; return where it stops (``end``, or a spec's closing brace)."""
    while i < end:
        char = text[i]
        if char == "{":
            if text.startswith("{{", i) and not in_spec:
                i += 2
            else:
                i = _scan_field(text, i + 1, end, raw, fields)
        elif char == "}":
            if in_spec:
                return i
            i += 2 if text.startswith("}}", i) else 1
        elif char == "\\" and not raw:
            if text.startswith("\\N{", i):  # a named character, not a field
                i = text.index("}", i) + 1
            else:  # an escape; "\{" is a lone backslash before a field
                i += 1 if text[i + 1 : i + 2] in ("{", "}") else 2
        else:
            i += 1
    return i


def _scan_field(text: str, i: int, end: int, raw: bool, fields: list[tuple[int, int]]) -> int:
    """Scan a replacement field whose expression starts at ``i``; return the index after it."""
    start, depth = i, 0
    while i < end:
        char = text[i]
        if char in "'\"":
            i = _string_end(text, i)
            continue
        if char in "([{":
            depth += 1
        elif char in ")]}":
            if depth == 0:
                break
            depth -= 1
        elif depth == 0 and (char == ":" or (char == "!" and not text.startswith("!=", i))):
            break
        i += 1
    expression = text[start:i].rstrip()
    if expression.endswith("=") and not expression.endswith(("==", "!=", "<=", ">=")):
        expression = expression[:-1]  # {x=} prints its own text: "x=" then the value
    fields.append((start, start + len(expression)))
    if text.startswith("!", i):
        i += 2
    if text.startswith(":", i):
        i = _scan_text(text, i + 1, end, raw, fields, in_spec=True)
    return i + 1


def _string_end(text: str, i: int) -> int:
    """The index just past the string literal whose opening quote is at ``text[i]``."""
    triple = text[i : i + 3]
    quote = triple if triple in ('"""', "'''") else text[i]
    j = i + len(quote)
    while j < len(text):
        if text[j] == "\\":
            j += 2
        elif text.startswith(quote, j):
            return j + len(quote)
        else:
            j += 1
    return len(text)
