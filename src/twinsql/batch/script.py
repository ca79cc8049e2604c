"""Batch feature, pure: splitting a SQL script into statements as it streams in.

``twinsql.sql.script.split_statements`` splits a whole text; a 1 GB dump should not be one
text.  ``iter_statements`` takes the script in chunks (any sizes) and yields each statement
as soon as the ``;`` that ends it has arrived, with the line it starts on.  It applies the
same rule (``complete_statements``) — quotes, quoted identifiers, comments, dollar quotes
and ``BEGIN … END`` bodies of triggers and routines are never split — so the result is the
same as splitting the whole text at once.

How: the unconsumed text is kept in a buffer; after each chunk, every statement up to the
last separator found is complete, because a token that ends before a separator cannot
change with text that arrives later.  The rest waits for more text.  When no separator is
found, the buffer is only scanned again once it has doubled, so a statement much longer
than a chunk costs linear, not quadratic, time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from twinsql.sql.lexer import Lexer, check_lexer
from twinsql.sql.script import complete_statements

__all__ = ["iter_statements"]


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
        statements, consumed = complete_statements(buffer, lexer, final=False)
        if not consumed:
            scan_at = 2 * len(buffer)
            continue
        scan_at = 0
        for statement, offset in statements:
            yield statement, line + buffer.count("\n", 0, offset)
        line += buffer.count("\n", 0, consumed)
        buffer = buffer[consumed:]
    if buffer.strip():
        statements, _ = complete_statements(buffer, lexer, final=True)
        for statement, offset in statements:
            yield statement, line + buffer.count("\n", 0, offset)
