"""Batch feature, pure: reading a MySQL script in the character set its ``SET NAMES`` names.

The mysql client sends a script's bytes as they are and the server reads them in the
connection's character set, which ``SET NAMES`` sets. twinsql's connection stays utf8mb4
(the driver encodes every statement so), so the loader does the server's part itself: it
reads the text after ``SET NAMES cs`` in ``cs`` and sends it as Unicode. That is exact for
the character sets here: ASCII-compatible and one byte per character, so the statement
boundaries found in the text as first read are the same.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from twinsql.sql.lexer import COMMENT, QUOTED, WORD, scan_items

__all__ = ["UTF8_CHARSETS", "charset_decoder", "set_names"]

_SET_NAMES_RE = re.compile(r"\bSET\s+NAMES\b", re.IGNORECASE)
UTF8_CHARSETS = frozenset({"utf8", "utf8mb3", "utf8mb4", "default"})
# MySQL's name -> Python's codec, for the single-byte character sets.
_SINGLE_BYTE = {
    "ascii": "ascii", "latin2": "iso8859_2", "latin5": "iso8859_9", "latin7": "iso8859_13",
    "greek": "iso8859_7", "hebrew": "iso8859_8", "cp1250": "cp1250", "cp1251": "cp1251",
    "cp1256": "cp1256", "cp1257": "cp1257", "cp850": "cp850", "cp852": "cp852",
    "cp866": "cp866", "koi8r": "koi8_r", "koi8u": "koi8_u", "macroman": "mac_roman",
    "macce": "mac_latin2", "tis620": "tis_620",
}  # fmt: skip
# MySQL's latin1 is Windows-1252, with the five bytes that code page leaves undefined read
# as the C1 control characters of the same number.
_LATIN1 = {
    code: char
    for code in range(0x80, 0xA0)
    if (char := bytes([code]).decode("cp1252", errors="replace")) != "\ufffd"
}


def set_names(sql: str) -> str | None:
    """The character set of ``SET NAMES cs [COLLATE c]`` (comments aside), else None."""
    if _SET_NAMES_RE.search(sql, 0, 200) is None:
        return None  # the common case, without tokenizing a long statement
    items = scan_items(sql, "mysql")
    if items is None:
        return None
    parts = [(kind, sql[s:e]) for kind, s, e in items if kind != COMMENT]
    if len(parts) not in (3, 5) or [text.upper() for _, text in parts[:2]] != ["SET", "NAMES"]:
        return None
    if len(parts) == 5 and parts[3][1].upper() != "COLLATE":
        return None
    kind, charset = parts[2]
    if kind == QUOTED and charset[:1] in "'\"`":
        return charset[1:-1]
    return charset if kind == WORD else None


def charset_decoder(charset: str) -> Callable[[bytes], str] | None:
    """How to read bytes written in the MySQL character set ``charset``; None for one
    this module does not read (multi-byte ones other than UTF-8, ``binary``)."""
    name = charset.lower()
    if name == "latin1":
        table = {code: ord(char) for code, char in _LATIN1.items()}
        return lambda data: data.decode("latin-1").translate(table)
    codec = _SINGLE_BYTE.get(name)
    if codec is None:
        return None
    return lambda data: data.decode(codec, errors="strict")
