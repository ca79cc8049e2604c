"""Pure tests of twinsql.sql.lexer: the tokens, lexemes and items every SQL reader shares."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twinsql.errors import ArgumentError
from twinsql.sql.lexer import (
    COMMA,
    COMMENT,
    DOT,
    EQUALS,
    LEXERS,
    LITQ,
    LPAREN,
    NAMED,
    OTHER,
    QMARK,
    QUOTED,
    RPAREN,
    SEMI,
    WORD,
    Lexer,
    check_lexer,
    is_blank,
    lexemes,
    scan,
    scan_items,
)


def kinds_and_texts(sql: str, tokens: list[tuple[int, int, int]]) -> list[tuple[int, str]]:
    return [(kind, sql[start:end]) for kind, start, end in tokens]


def test_lexers_and_check_lexer() -> None:
    assert LEXERS == ("sqlite", "postgresql", "mysql")
    for lexer in LEXERS:
        assert check_lexer(lexer) == lexer
    with pytest.raises(ArgumentError, match="unknown SQL lexer 'oracle'"):
        check_lexer("oracle")


def test_scan_finds_each_token_kind() -> None:
    sql = "SELECT 'a;?' , \"b\" , ? , ?? , :name /* c */ ; -- end"
    tokens, unterminated = scan(sql, "sqlite")
    assert not unterminated
    assert kinds_and_texts(sql, tokens) == [
        (QUOTED, "'a;?'"),
        (QUOTED, '"b"'),
        (QMARK, "?"),
        (LITQ, "??"),
        (NAMED, ":name"),
        (COMMENT, "/* c */"),
        (SEMI, ";"),
        (COMMENT, "-- end"),
    ]


@pytest.mark.parametrize(
    ("sql", "lexer", "expected"),
    [
        ("/* a /* b */ c */ ?", "postgresql", [(COMMENT, "/* a /* b */ c */"), (QMARK, "?")]),
        ("/* a /* b */ c */ ?", "sqlite", [(COMMENT, "/* a /* b */"), (QMARK, "?")]),
        ("$t$ ? $x$ $t$ ?", "postgresql", [(QUOTED, "$t$ ? $x$ $t$"), (QMARK, "?")]),
        ("# ?\n?", "mysql", [(COMMENT, "# ?"), (QMARK, "?")]),
        ("[a?] ?", "sqlite", [(QUOTED, "[a?]"), (QMARK, "?")]),
        ("x::int, a:b, :c", "postgresql", [(NAMED, ":c")]),
    ],
)
def test_scan_follows_each_dialect(sql: str, lexer: Lexer, expected: list[tuple[int, str]]) -> None:
    tokens, unterminated = scan(sql, lexer)
    assert not unterminated
    assert kinds_and_texts(sql, tokens) == expected


@pytest.mark.parametrize(
    ("sql", "lexer", "tail"),
    [
        ("SELECT 'open ?", "sqlite", "'open ?"),
        ("SELECT /* open ?", "mysql", "/* open ?"),
        ("SELECT /* a /* b */ ?", "postgresql", "/* a /* b */ ?"),
        ("SELECT $q$ ?", "postgresql", "$q$ ?"),
    ],
)
def test_unterminated_quote_or_comment_runs_to_the_end(sql: str, lexer: Lexer, tail: str) -> None:
    tokens, unterminated = scan(sql, lexer)
    assert unterminated
    kind, start, end = tokens[-1]
    assert kind in (QUOTED, COMMENT) and sql[start:end] == tail and end == len(sql)


def test_lexemes_walk_the_gaps() -> None:
    sql = "PRAGMA main.x = 'a(b' ; SELECT f(1)"
    tokens, _ = scan(sql, "sqlite")
    found = [(kind, sql[start:end], index) for kind, start, end, index in lexemes(sql, tokens)]
    semi = next(i for i, token in enumerate(tokens) if token[0] == SEMI)
    assert found == [
        (WORD, "PRAGMA", -1),
        (WORD, "main", -1),
        (DOT, ".", -1),
        (WORD, "x", -1),
        (EQUALS, "=", -1),
        (SEMI, ";", semi),
        (WORD, "SELECT", -1),
        (WORD, "f", -1),
        (LPAREN, "(", -1),
        (RPAREN, ")", -1),
    ]


@pytest.mark.parametrize(
    ("sql", "begin", "blank"),
    [
        ("SELECT 1; -- c\n /* d */  ", 9, True),
        ("SELECT 1;  ", 9, True),
        ("SELECT 1; x", 9, False),
        ("SELECT 1; /* d */ 'q'", 9, False),
    ],
)
def test_is_blank(sql: str, begin: int, blank: bool) -> None:
    tokens, _ = scan(sql, "sqlite")
    first = next((i for i, token in enumerate(tokens) if token[1] >= begin), len(tokens))
    assert is_blank(sql, tokens, first, begin, len(sql)) is blank


def test_scan_items_splits_gaps_into_structure() -> None:
    sql = 'INSERT INTO s.t (a, "b") VALUES (? + 1, :n) -- c'
    items = scan_items(sql, "postgresql")
    assert items is not None
    assert kinds_and_texts(sql, items) == [
        (WORD, "INSERT"), (WORD, "INTO"), (WORD, "s"), (DOT, "."), (WORD, "t"),
        (LPAREN, "("), (WORD, "a"), (COMMA, ","), (QUOTED, '"b"'), (RPAREN, ")"),
        (WORD, "VALUES"), (LPAREN, "("), (QMARK, "?"), (OTHER, "+"), (OTHER, "1"),
        (COMMA, ","), (NAMED, ":n"), (RPAREN, ")"), (COMMENT, "-- c"),
    ]  # fmt: skip
    assert scan_items("INSERT INTO t VALUES ('open", "postgresql") is None


@settings(max_examples=300)
@given(
    sql=st.text(alphabet="?:;'\"`[]$-/*#%\\ \n\r\tEe ax1=(),.!M5€", max_size=60),
    lexer=st.sampled_from(LEXERS),
)
def test_tokens_are_ordered_disjoint_and_inside_the_text(sql: str, lexer: Lexer) -> None:
    tokens, unterminated = scan(sql, lexer)
    position = 0
    for kind, start, end in tokens:
        assert kind in (COMMENT, QUOTED, QMARK, LITQ, NAMED, SEMI)
        assert position <= start < end <= len(sql)
        position = end
    # A MySQL executable comment left open is code up to the end of the text; any other
    # unterminated quote or comment is a token that runs to the end.
    marks = [sql[start:end] for kind, start, end in tokens if kind == COMMENT]
    marks = [mark for mark in marks if mark == "*/" or re.fullmatch(r"/\*M?![0-9]*", mark)]
    if lexer == "mysql" and marks and marks[-1] != "*/":
        assert unterminated
    elif unterminated:
        assert tokens[-1][2] == len(sql)
    items = scan_items(sql, lexer)
    if items is not None:
        assert [item for item in items if item[0] <= SEMI] == tokens
