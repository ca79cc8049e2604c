"""Batch feature, pure: what the command-line clients do to the text of a script's
statements besides splitting it — psql's reading of ``standard_conforming_strings`` and of
COPY rows, the mysql client's own delimiters and its raw bytes in string literals — for the
script reader (``batch.script``).
"""

from __future__ import annotations

import re

from twinsql.sql.lexer import COMMENT, QUOTED, Token, scan

__all__ = [
    "STANDARD_STRINGS_RE",
    "UNDECODED_RE",
    "binary_literals",
    "delimited",
    "end_of_data",
    "escape_strings",
    "gaps",
    "pg_bool",
]

UNDECODED_RE = re.compile("[\udc80-\udcff]")  # bytes kept by errors="surrogateescape"
# MySQL's backslash escapes in a string literal; any other escaped character is itself.
_MYSQL_ESCAPES = {"0": b"\0", "b": b"\b", "n": b"\n", "r": b"\r", "t": b"\t", "Z": b"\x1a",
                  "%": b"\\%", "_": b"\\_"}  # fmt: skip


def pg_bool(value: str) -> bool | None:
    """A boolean setting as PostgreSQL reads it (any unambiguous prefix of on/off, true,
    false, yes, no; 1 and 0); None when it refuses the value."""
    value = value.lower()
    for spelling, meaning, shortest in _PG_BOOLEANS:
        if len(value) >= shortest and spelling.startswith(value):
            return meaning
    return None


_PG_BOOLEANS = (("true", True, 1), ("false", False, 1), ("yes", True, 1), ("no", False, 1),
                ("on", True, 2), ("off", False, 2), ("1", True, 1), ("0", False, 1))  # fmt: skip
# SET [SESSION] standard_conforming_strings {TO | =} value, RESET of it or of all; a SET
# LOCAL ends with its transaction, which the load's batches own: it is not followed.
STANDARD_STRINGS_RE = re.compile(
    r"(?:SET\s+(?:SESSION\s+)?standard_conforming_strings\s*(?:=|\s+TO)\s*"
    r"(?P<value>'[A-Za-z0-9]*'|\"[A-Za-z0-9]*\"|[A-Za-z0-9]+)"
    r"|RESET\s+(?:standard_conforming_strings|ALL))\s*",
    re.IGNORECASE,
)


def escape_strings(sql: str) -> str:
    """``sql`` (read with ``standard_conforming_strings`` off) with each ``'…'`` literal that
    holds a backslash written as ``E'…'``: the same value whatever the setting."""
    tokens, _ = scan(sql, "postgresql", standard_strings=False)
    pieces, at = [], 0
    for kind, start, end in tokens:
        if (
            kind == QUOTED
            and sql[start] == "'"
            and (start == 0 or not _PREFIXED_RE.match(sql, start - 1))
            and sql.find("\\", start, end) >= 0
        ):
            pieces.append(sql[at:start])
            pieces.append("E")
            at = start
    pieces.append(sql[at:])
    return "".join(pieces)


# A character before a quote that makes it a prefixed literal (B'…', X'…', N'…', U&'…').
# An identifier character or "&", written as the ASCII characters it is not (fast to compile).
_PREFIXED_RE = re.compile(r"[^\x00-\x23\x25\x27-\x2f\x3a-\x40\x5b-\x5e\x60\x7b-\x7f]")


def end_of_data(buf: str, pos: int) -> int:
    """Where the ``\\.`` line that ends COPY rows starts, at or after ``pos``; -1 if it has
    not arrived (a ``\\.`` line is read only once its newline has arrived)."""
    at = pos
    while True:
        at = buf.find("\\.", at)
        if at < 0:
            return -1
        if at == pos or buf[at - 1] == "\n":
            rest = buf[at + 2 : at + 4]
            if rest.startswith("\n") or rest == "\r\n":
                return at
            if at + 2 == len(buf) or (rest == "\r" and at + 3 == len(buf)):
                return -1  # its newline may still come
        at += 2


def delimited(text: str, tokens: list[Token], delimiter: str) -> list[tuple[int, int]]:
    """Where ``delimiter`` occurs outside quotes and comments, as the mysql client splits
    once its delimiter is not ``;``."""
    ends: list[tuple[int, int]] = []
    at = 0
    for kind, start, end in [*tokens, (QUOTED, len(text), len(text))]:
        if kind not in (QUOTED, COMMENT):
            continue
        while True:
            found = text.find(delimiter, at, start)
            if found < 0 or found + len(delimiter) > start:
                break
            ends.append((found, found + len(delimiter)))
            at = found + len(delimiter)
        at = max(at, end)
    return ends


def binary_literals(sql: str) -> str:
    """``sql`` with each string literal that holds undecoded bytes written as the hex
    literal of the bytes the server would have read from it."""
    tokens, _ = scan(sql, "mysql")
    pieces, at = [], 0
    for kind, start, end in tokens:
        if kind != QUOTED or sql[start] not in "'\"" or not UNDECODED_RE.search(sql, start, end):
            continue
        pieces.append(sql[at:start])
        pieces.append(f"X'{_literal_bytes(sql[start + 1 : end - 1], sql[start]).hex()}'")
        at = end
    pieces.append(sql[at:])
    return "".join(pieces)


def _literal_bytes(body: str, quote: str) -> bytes:
    """The bytes of a MySQL string literal's body: escapes resolved, a doubled quote one,
    undecoded bytes (surrogates) back to the bytes they were."""
    out = bytearray()
    chars = iter(body)
    for char in chars:
        if char == "\\":
            escaped = next(chars, "")
            out += _MYSQL_ESCAPES.get(escaped) or escaped.encode("utf-8", "surrogateescape")
        elif char == quote:
            out += next(chars, "").encode("utf-8", "surrogateescape")
        else:
            out += char.encode("utf-8", "surrogateescape")
    return bytes(out)


def gaps(sql: str, tokens: list[Token]) -> str:
    """The text of ``sql`` outside its tokens."""
    pieces, at = [], 0
    for _, start, end in tokens:
        pieces.append(sql[at:start])
        at = end
    pieces.append(sql[at:])
    return "".join(pieces)
