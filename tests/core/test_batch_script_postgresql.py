"""Pure tests of the script reader on what only psql's reading has: parentheses that hold a
``;`` and ``standard_conforming_strings`` as the script sets it (no database)."""

from __future__ import annotations

import pytest

from twinsql.batch.script import ScriptReader
from twinsql.sql.lexer import scan
from twinsql.sql.script import separators, split_statements


def read(text: str, size: int, **options: bool) -> list[tuple[str, int]]:
    chunks = [text[i : i + size] for i in range(0, len(text), size)]
    return [(item.sql, item.line) for item in ScriptReader("postgresql", **options).read(chunks)]  # type: ignore[union-attr]


SIZES = [1, 2, 5, 17, 1 << 20]


@pytest.mark.parametrize("size", SIZES)
def test_a_semicolon_inside_parentheses_ends_nothing(size: int) -> None:
    rule = ("CREATE RULE r AS ON INSERT TO t DO ALSO (\n INSERT INTO u VALUES (1);\n"
            " INSERT INTO u VALUES (2)\n)")  # fmt: skip
    text = f"{rule};\nSELECT (1; 2);\nSELECT 3) ; SELECT 4;\n"
    assert read(text, size) == [(rule, 1), ("SELECT (1; 2)", 5), ("SELECT 3)", 6),
                                ("SELECT 4", 6)]  # fmt: skip


def test_the_parenthesis_rule_is_postgresql_s_alone() -> None:
    text = "SELECT (1; SELECT 2)"
    assert split_statements(text, "postgresql") == [text]
    assert split_statements(text, "mysql") == ["SELECT (1", "SELECT 2)"]
    assert split_statements(text, "sqlite") == ["SELECT (1", "SELECT 2)"]
    tokens, _ = scan(text, "postgresql")
    assert separators(text, tokens, "postgresql") == []


SCRIPT = """\
SELECT 'a\\' AS x; SELECT 'b';
SET standard_conforming_strings = off;
INSERT INTO t VALUES ('It\\'s; here', B'01', x'1f', 'no backslash', E'e\\'; x');
SELECT 'two\\'
   'lines\\'';
set SESSION standard_conforming_strings TO 'on';
SELECT 'plain\\'; SELECT 2;
SET standard_conforming_strings = F;
SELECT 'again\\'; x';
RESET ALL;
SELECT 'reset\\';
"""


@pytest.mark.parametrize("size", SIZES)
def test_standard_conforming_strings_follow_the_script(size: int) -> None:
    assert read(SCRIPT, size) == [
        ("SELECT 'a\\' AS x", 1),  # on: the backslash is text, the quote ends the string
        ("SELECT 'b'", 1),
        ("SET standard_conforming_strings = off", 2),
        ("INSERT INTO t VALUES (E'It\\'s; here', B'01', x'1f', 'no backslash', E'e\\'; x')", 3),
        ("SELECT E'two\\'\n   'lines\\''", 4),
        ("set SESSION standard_conforming_strings TO 'on'", 6),
        ("SELECT 'plain\\'", 7),
        ("SELECT 2", 7),
        ("SET standard_conforming_strings = F", 8),
        ("SELECT E'again\\'; x'", 9),
        ("RESET ALL", 10),
        ("SELECT 'reset\\'", 11),
    ]


@pytest.mark.parametrize("size", SIZES)
def test_a_session_that_starts_off_and_values_the_server_refuses(size: int) -> None:
    text = ("SELECT 'a\\'; b';\nSET standard_conforming_strings = maybe;\nSELECT 'c\\'; d';\n"
            "SET standard_conforming_strings = o;\nSELECT 'e\\'; f';\n"
            "SET standard_conforming_strings TO DEFAULT;\nSELECT 'g\\'; h';\n")  # fmt: skip
    assert [sql for sql, _ in read(text, size, standard_strings=False)] == [
        "SELECT E'a\\'; b'",
        "SET standard_conforming_strings = maybe",  # refused: nothing changes
        "SELECT E'c\\'; d'",
        "SET standard_conforming_strings = o",  # ambiguous: on or off
        "SELECT E'e\\'; f'",
        "SET standard_conforming_strings TO DEFAULT",  # the session's own value: off
        "SELECT E'g\\'; h'",
    ]
