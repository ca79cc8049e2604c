"""Reading a MySQL script in the character set of its SET NAMES (no database)."""

from __future__ import annotations

import pytest

from twinsql.batch.charsets import charset_decoder, set_names


@pytest.mark.parametrize(
    ("sql", "charset"),
    [
        ("SET NAMES latin1", "latin1"),
        ("/*!40101 SET NAMES utf8mb4 */", "utf8mb4"),
        ("SET NAMES 'latin1' COLLATE 'latin1_swedish_ci'", "latin1"),
        ("set names DEFAULT", "DEFAULT"),
        ("SET NAMES latin1, @a = 1", None),
        ("SET CHARACTER SET latin1", None),
        ("SET @names = 'x'", None),
    ],
)
def test_set_names_is_recognised(sql: str, charset: str | None) -> None:
    assert set_names(sql) == charset


def test_latin1_is_windows_1252_with_the_c1_controls_mysql_keeps() -> None:
    decode = charset_decoder("LATIN1")
    assert decode is not None
    data = bytes(range(256))
    text = decode(data)
    assert len(text) == 256 and text[:128] == data[:128].decode("ascii")
    assert text[0x80] == "€" and text[0xE9] == "é" and text[0x81] == "\x81"


def test_single_byte_sets_are_read_and_others_are_not() -> None:
    decode = charset_decoder("latin2")
    assert decode is not None and decode(b"\xb1") == "ą"
    assert charset_decoder("sjis") is None and charset_decoder("binary") is None
    ascii_decode = charset_decoder("ascii")
    assert ascii_decode is not None
    with pytest.raises(UnicodeDecodeError):
        ascii_decode(b"\xe9")
