"""Core layer (pure): splitting a SQL script into statements as it streams in.

``core.params.split_statements`` splits a whole text; a 1 GB dump should not be one text.
``iter_statements`` takes the script in chunks (any sizes) and yields each statement as soon
as the ``;`` that ends it has arrived, with the line it starts on. It uses the same tokenizer
and separator rules as ``split_statements`` — quotes, quoted identifiers, comments, dollar
quotes and ``BEGIN … END`` bodies of triggers and routines are never split — so the result
is the same as splitting the whole text at once.

How: the unconsumed text is kept in a buffer; after each chunk it is tokenized, and every
statement up to the last separator found is complete, because a token that ends before a
separator cannot change with text that arrives later. The rest waits for more text. When no
separator is found, the buffer is only scanned again once it has doubled, so a statement
much longer than a chunk costs linear, not quadratic, time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from twinsql.sql.params import (
    Lexer,
    check_lexer,
    is_trivial_span,
    scan_tokens,
    statement_separators,
)

__all__ = ["iter_statements"]


def _complete(text: str, lexer: Lexer, final: bool) -> tuple[list[tuple[str, int]], int]:
    """The statements of ``text`` that are complete (all of them when ``final``), each with
    its offset in ``text``, and how much of ``text`` they consumed."""
    tokens, _ = scan_tokens(text, lexer)
    seps = statement_separators(text, tokens)
    if not final and not seps:
        return [], 0
    ends = list(seps) if not final else [*seps, len(tokens)]
    out: list[tuple[str, int]] = []
    begin = first_token = 0
    consumed = 0
    for index in ends:
        if index < len(tokens):
            start, end = tokens[index][1], tokens[index][2]
        else:
            start = end = len(text)
        if not is_trivial_span(text, tokens, first_token, begin, start):
            piece = text[begin:start]
            lead = len(piece) - len(piece.lstrip())
            out.append((piece.strip(), begin + lead))
        begin, first_token = end, index + 1
        consumed = end
    return out, consumed


def iter_statements(chunks: Iterable[str], lexer: Lexer) -> Iterator[tuple[str, int]]:
    """Yield ``(statement, line)`` for each statement of the script given as ``chunks``:
    stripped, without its ``;``, empty and comment-only ones skipped; ``line`` is the
    1-based line on which the statement starts."""
    check_lexer(lexer)
    buffer = ""
    line = 1  # the line the buffer starts on
    scan_at = 0  # rescan once the buffer has reached this length
    for chunk in chunks:
        if not chunk:
            continue
        buffer += chunk
        if len(buffer) < scan_at:
            continue
        statements, consumed = _complete(buffer, lexer, final=False)
        if not consumed:
            scan_at = 2 * len(buffer)
            continue
        scan_at = 0
        for statement, offset in statements:
            yield statement, line + buffer.count("\n", 0, offset)
        line += buffer.count("\n", 0, consumed)
        buffer = buffer[consumed:]
    if buffer.strip():
        statements, _ = _complete(buffer, lexer, final=True)
        for statement, offset in statements:
            yield statement, line + buffer.count("\n", 0, offset)
