"""Pure golden tests of twinsql.sql.lexer: each comment and quoting rule, on each dialect, read
as that dialect's server reads it (PostgreSQL 15, MariaDB in its default sql_mode, SQLite).
The integration test tests/differential/test_statement_count.py checks the same rules
against the servers themselves."""

from __future__ import annotations

import pytest

from twinsql.sql.lexer import (
    COMMENT,
    DOT,
    LPAREN,
    QMARK,
    QUOTED,
    RPAREN,
    SEMI,
    WORD,
    Lexer,
    lexemes,
    scan,
)
from twinsql.sql.script import split_statements

Expected = list[tuple[int, str]]


def tokens_of(sql: str, lexer: Lexer) -> Expected:
    tokens, unterminated = scan(sql, lexer)
    assert not unterminated
    return [(kind, sql[start:end]) for kind, start, end in tokens]


def golden(*cases: tuple[str, Lexer, Expected]) -> pytest.MarkDecorator:
    return pytest.mark.parametrize(("sql", "lexer", "expected"), cases)


@golden(
    # PostgreSQL ends a "--" comment at a carriage return as well as at a line feed ...
    ("SELECT 1 -- c\r; ?", "postgresql", [(COMMENT, "-- c"), (SEMI, ";"), (QMARK, "?")]),
    ("SELECT 1 --\r\n; ?", "postgresql", [(COMMENT, "--"), (SEMI, ";"), (QMARK, "?")]),
    # ... MariaDB and SQLite at a line feed only.
    ("SELECT 1 -- c\r; ?\n?", "mysql", [(COMMENT, "-- c\r; ?"), (QMARK, "?")]),
    ("SELECT 1 -- c\r; ?\n?", "sqlite", [(COMMENT, "-- c\r; ?"), (QMARK, "?")]),
    ("SELECT 1 # c\r; ?\n?", "mysql", [(COMMENT, "# c\r; ?"), (QMARK, "?")]),
    # A form feed, a vertical tab or a line separator ends no comment anywhere.
    ("SELECT 1 --\f\v\u2028; ?", "postgresql", [(COMMENT, "--\f\v\u2028; ?")]),
    ("SELECT 1 -- \f\v\u2028; ?", "mysql", [(COMMENT, "-- \f\v\u2028; ?")]),
    ("SELECT 1 --\f\v\u2028; ?", "sqlite", [(COMMENT, "--\f\v\u2028; ?")]),
)
def test_line_comments_end_where_the_server_ends_them(
    sql: str, lexer: Lexer, expected: Expected
) -> None:
    assert tokens_of(sql, lexer) == expected


@pytest.mark.parametrize("after", [" ", "\t", "\n", "\r", "\f", "\v", "\x01", "\x1f", "\x7f"])
def test_mysql_double_dash_before_a_space_or_control_character_is_a_comment(after: str) -> None:
    sql = f"SELECT 1 --{after}?"
    kind, start, _ = scan(sql, "mysql")[0][0]
    assert (kind, start) == (COMMENT, sql.index("--"))


@pytest.mark.parametrize("after", ["1", "x", "-", "?", ";", "\xa0", "\x85", "\u2028", "é"])
def test_mysql_double_dash_before_anything_else_is_two_minus_signs(after: str) -> None:
    sql = f"SELECT 1 --{after}; ?"
    assert [kind for kind, _, _ in scan(sql, "mysql")[0]][-2:] == [SEMI, QMARK]
    # PostgreSQL and SQLite need nothing after "--".
    for lexer in ("postgresql", "sqlite"):
        assert [kind for kind, _, _ in scan(sql, lexer)[0]] == [COMMENT]


def test_mysql_double_dash_at_the_end_of_the_text_is_a_comment() -> None:
    assert tokens_of("SELECT 1 --", "mysql") == [(COMMENT, "--")]


@golden(
    ("# c\n?", "mysql", [(COMMENT, "# c"), (QMARK, "?")]),
    ("SELECT 1 #?", "postgresql", [(QMARK, "?")]),
    ("SELECT 1 #?", "sqlite", [(QMARK, "?")]),
)
def test_hash_comments_are_mysql_only(sql: str, lexer: Lexer, expected: Expected) -> None:
    assert tokens_of(sql, lexer) == expected


@golden(
    ("/* a /* b */ ; */ ;", "postgresql", [(COMMENT, "/* a /* b */ ; */"), (SEMI, ";")]),
    ("/* a /* b */ ;", "mysql", [(COMMENT, "/* a /* b */"), (SEMI, ";")]),
    ("/* a /* b */ ;", "sqlite", [(COMMENT, "/* a /* b */"), (SEMI, ";")]),
)
def test_block_comments_nest_on_postgresql_only(sql: str, lexer: Lexer, expected: Expected) -> None:
    assert tokens_of(sql, lexer) == expected


@golden(
    # What an executable comment holds is code to MariaDB and MySQL: its ";" and "?" count.
    ("SELECT /*! 1 + ? */ ;", "mysql", [(COMMENT, "/*!"), (QMARK, "?"), (COMMENT, "*/"),
                                        (SEMI, ";")]),
    ("SELECT 1 /*!50000 + ?*/", "mysql", [(COMMENT, "/*!50000"), (QMARK, "?"), (COMMENT, "*/")]),
    ("SELECT 1 /*M!100000 + ?*/", "mysql", [(COMMENT, "/*M!100000"), (QMARK, "?"),
                                            (COMMENT, "*/")]),
    # A quote or a comment inside one hides a "*/" from it.
    ("SELECT 1 /*! + '*/' */ ;", "mysql", [(COMMENT, "/*!"), (QUOTED, "'*/'"), (COMMENT, "*/"),
                                          (SEMI, ";")]),
    ("SELECT 1 /*! + 1 -- x */\n */ ;", "mysql", [(COMMENT, "/*!"), (COMMENT, "-- x */"),
                                                 (COMMENT, "*/"), (SEMI, ";")]),
    ("SELECT 1 /*! /* c */ + 1 */ ;", "mysql", [(COMMENT, "/*!"), (COMMENT, "/* c */"),
                                               (COMMENT, "*/"), (SEMI, ";")]),
    # Outside an executable comment "*/" is two operators; "/*m!" is an ordinary comment.
    ("SELECT 2 */ 1 /*m! ? */", "mysql", [(COMMENT, "/*m! ? */")]),
    # PostgreSQL and SQLite have no executable comments.
    ("SELECT 1 /*! '*/ ; ?", "postgresql", [(COMMENT, "/*! '*/"), (SEMI, ";"), (QMARK, "?")]),
    ("SELECT 1 /*! '*/ ; ?", "sqlite", [(COMMENT, "/*! '*/"), (SEMI, ";"), (QMARK, "?")]),
)  # fmt: skip
def test_mysql_executable_comments_hold_code(sql: str, lexer: Lexer, expected: Expected) -> None:
    assert tokens_of(sql, lexer) == expected


def test_an_open_mysql_executable_comment_is_unterminated_code() -> None:
    sql = "SELECT 1 /*! + ?"
    tokens, unterminated = scan(sql, "mysql")
    assert unterminated
    assert [(kind, sql[start:end]) for kind, start, end in tokens] == [
        (COMMENT, "/*!"),
        (QMARK, "?"),
    ]


@golden(
    ("SELECT $$a;?$$; ?", "postgresql", [(QUOTED, "$$a;?$$"), (SEMI, ";"), (QMARK, "?")]),
    ("SELECT $t_1$ $t$ ; $t_1$ ?", "postgresql", [(QUOTED, "$t_1$ $t$ ; $t_1$"), (QMARK, "?")]),
    # a tag may hold any non-ASCII character, and starts with no digit ($1 is a parameter)
    ("SELECT $€$a;$€$ ?", "postgresql", [(QUOTED, "$€$a;$€$"), (QMARK, "?")]),
    ("SELECT $\u2028$;$\u2028$ ?", "postgresql", [(QUOTED, "$\u2028$;$\u2028$"), (QMARK, "?")]),
    ("SELECT $1$; ?", "postgresql", [(SEMI, ";"), (QMARK, "?")]),
    # "$" continues an identifier, and any non-ASCII character is an identifier letter
    ("SELECT 1 AS a$$, ?", "postgresql", [(QMARK, "?")]),
    ("SELECT 1 AS €$$, $$; ?$$", "postgresql", [(QUOTED, "$$; ?$$")]),
    # MySQL and SQLite have no dollar quotes
    ("SELECT $$a;?$$", "mysql", [(SEMI, ";"), (QMARK, "?")]),
    ("SELECT $$a;?$$", "sqlite", [(SEMI, ";"), (QMARK, "?")]),
)
def test_dollar_quotes_are_postgresql_only(sql: str, lexer: Lexer, expected: Expected) -> None:
    assert tokens_of(sql, lexer) == expected


@golden(
    # MariaDB's default sql_mode: a backslash escapes the next character in '…' and "…"
    ("SELECT 'a\\'; ?' ?", "mysql", [(QUOTED, "'a\\'; ?'"), (QMARK, "?")]),
    ('SELECT "a\\"; ?" ?', "mysql", [(QUOTED, '"a\\"; ?"'), (QMARK, "?")]),
    ("SELECT `a\\`;", "mysql", [(QUOTED, "`a\\`"), (SEMI, ";")]),
    # PostgreSQL (standard_conforming_strings) and SQLite: a backslash is a character
    ("SELECT 'a\\'; ?", "postgresql", [(QUOTED, "'a\\'"), (SEMI, ";"), (QMARK, "?")]),
    ("SELECT 'a\\'; ?", "sqlite", [(QUOTED, "'a\\'"), (SEMI, ";"), (QMARK, "?")]),
    ("SELECT 'it''s'; ?", "sqlite", [(QUOTED, "'it''s'"), (SEMI, ";"), (QMARK, "?")]),
)
def test_backslash_escapes(sql: str, lexer: Lexer, expected: Expected) -> None:
    assert tokens_of(sql, lexer) == expected


@golden(
    ("SELECT E'a\\'; ?' ?", "postgresql", [(QUOTED, "E'a\\'; ?'"), (QMARK, "?")]),
    ("SELECT e'a\\'; ?' ?", "postgresql", [(QUOTED, "e'a\\'; ?'"), (QMARK, "?")]),
    # the continuation of an E'' string across a newline is read with escapes too
    ("SELECT E'a'\n'\\';' ?", "postgresql", [(QUOTED, "E'a'\n'\\';'"), (QMARK, "?")]),
    ("SELECT E'a' -- c\r\n\f -- d\n'\\';' ?", "postgresql",
     [(QUOTED, "E'a' -- c\r\n\f -- d\n'\\';'"), (QMARK, "?")]),
    # no continuation without a newline, nor across a block comment
    ("SELECT E'a' '\\'; ?", "postgresql", [(QUOTED, "E'a'"), (QUOTED, "'\\'"), (SEMI, ";"),
                                           (QMARK, "?")]),
    ("SELECT E'a' /* c */\n'\\'; ?", "postgresql", [(QUOTED, "E'a'"), (COMMENT, "/* c */"),
                                                    (QUOTED, "'\\'"), (SEMI, ";"), (QMARK, "?")]),
    # E after an identifier character is part of that identifier
    ("SELECT typE'\\'; ?", "postgresql", [(QUOTED, "'\\'"), (SEMI, ";"), (QMARK, "?")]),
    ("SELECT €E'\\'; ?", "postgresql", [(QUOTED, "'\\'"), (SEMI, ";"), (QMARK, "?")]),
    # SQLite has no E'' strings
    ("SELECT E'a\\'; ?", "sqlite", [(QUOTED, "'a\\'"), (SEMI, ";"), (QMARK, "?")]),
)  # fmt: skip
def test_postgresql_e_strings(sql: str, lexer: Lexer, expected: Expected) -> None:
    assert tokens_of(sql, lexer) == expected


@pytest.mark.parametrize("lexer", ["sqlite", "postgresql", "mysql"])
def test_non_ascii_characters_are_identifier_letters(lexer: Lexer) -> None:
    sql = "SELECT t€x.€begin, é1 FROM (x)"
    tokens, _ = scan(sql, lexer)
    found = [(kind, sql[start:end]) for kind, start, end, _ in lexemes(sql, tokens)]
    assert found == [
        (WORD, "SELECT"), (WORD, "t€x"), (DOT, "."), (WORD, "€begin"), (WORD, "é1"),
        (WORD, "FROM"), (LPAREN, "("), (WORD, "x"), (RPAREN, ")"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("sql", "lexer", "expected"),
    [
    # PostgreSQL: a body is BEGIN ATOMIC … END; BEGIN alone, as a name or a parameter, is not
    ("CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN "
     "true THEN 2 END, CASE WHEN true THEN 3 END; END; SELECT 2", "postgresql", 2),
    ("CREATE FUNCTION begin() RETURNS int LANGUAGE sql AS 'SELECT 1'; SELECT 2", "postgresql", 2),
    ("CREATE FUNCTION s.begin(begin int) RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT begin; "
     "END; SELECT 2", "postgresql", 2),
    ("CREATE FUNCTION f(begin int) RETURNS int LANGUAGE sql AS 'SELECT 1'; SELECT 2",
     "postgresql", 2),
    # MySQL: BEGIN … END; END IF / END CASE close no block; names and parameters are no BEGIN
    ("CREATE PROCEDURE begin() SELECT 1; SELECT 2", "mysql", 2),
    ("CREATE PROCEDURE p(begin int) BEGIN IF x THEN SELECT 1; END /* c */ IF; CASE WHEN 1 "
     "THEN SELECT 2; END CASE; SELECT CASE WHEN 1 THEN 1 END, CASE WHEN 2 THEN 2 END; END; "
     "SELECT 2", "mysql", 2),
    # SQLite: the trigger's name and its table may be called begin
    ("CREATE TRIGGER begin AFTER INSERT ON t BEGIN SELECT 1; END; SELECT 2", "sqlite", 2),
    ("CREATE TRIGGER IF NOT EXISTS main.begin AFTER INSERT ON main.begin BEGIN SELECT 1; END; "
     "SELECT 2", "sqlite", 2),
    ],
)  # fmt: skip
def test_routine_bodies(sql: str, lexer: Lexer, expected: int) -> None:
    assert len(split_statements(sql, lexer)) == expected
