"""Differential test: twinsql sees as many statements in a text as the server executes.

A seeded generator writes texts of ``SELECT`` statements wrapped in what each dialect has —
``--``, ``#`` and ``/* */`` comments (nested on PostgreSQL, executable on MariaDB), single,
double, backtick and bracket quotes, dollar quotes and ``E''`` strings (continued across
newlines), ``\\r``, ``\\n``, ``\\r\\n`` and non-ASCII text — whose comment and quote bodies hold
what would matter elsewhere (``;``, quotes, comment markers, backslashes, ``\\r``,
``SELECT 9;``).  Every text is valid SQL for its server, each statement returning one result
set; a text the server refuses is a generator bug, and fails the test.

For each text the server's count of executed statements must equal the number of statements
``split_statements`` finds, ``compile_sql`` must refuse exactly the texts of more than one
statement, and find no placeholder (the only ``?`` and ``:x`` are inside quotes and comments).
Routine bodies get the same check on a few fixed scripts, and one text PostgreSQL reads as a
SELECT then a DROP is refused through the public API before it reaches the server.
"""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

import twinsql
from tests import support
from tests.conftest import require_server
from twinsql.connection.url import parse_url
from twinsql.errors import MultipleStatementsError, ParameterError
from twinsql.sql.lexer import Lexer
from twinsql.sql.placeholders import ParamStyle, compile_sql
from twinsql.sql.script import split_statements

TEXTS_PER_DIALECT = 1000
STYLE: dict[Lexer, ParamStyle] = {"postgresql": "numeric", "mysql": "format", "sqlite": "qmark"}

# What comment and quote bodies are made of: characters and words that mean something in
# some context of some dialect.
FRAGMENTS = [
    ";", "; SELECT 9;", "'", "''", '"', "`", "$", "$$", "$a$", "--", "-- x", "#", "/*", "*/",
    "\\", "\\'", "?", "??", ":x", "?1", "E'", "[", "]", "!", "M!", "é", "€", "日本", "🙂",
    "\u2028", "\xa0", " ", "\t", "x", "1", "\r", "\n", "\r\n",
]  # fmt: skip


class Generator:
    """Valid texts for one dialect, drawn from one seeded random source."""

    def __init__(self, lexer: Lexer, seed: int) -> None:
        self.lexer = lexer
        self.rnd = random.Random(seed)

    def body(self, ok: Callable[[str], bool] = lambda text: True) -> str:
        while True:
            text = "".join(self.rnd.choices(FRAGMENTS, k=self.rnd.randint(0, 6)))
            if ok(text):
                return text

    def pick(self, *options: str) -> str:
        return self.rnd.choice(options)

    # -- comments and blanks ---------------------------------------------------------------

    def line_comment(self) -> str:
        if self.lexer == "postgresql":  # ends at a line feed or a carriage return
            inside = self.body(lambda t: "\n" not in t and "\r" not in t)
            return "--" + inside + self.pick("\n", "\r", "\r\n")
        inside = self.body(lambda t: "\n" not in t)  # a carriage return does not end it
        if self.lexer == "mysql":  # "--" needs a blank or control character after it
            return self.pick("-- ", "--\t", "--\r", "#") + inside + self.pick("\n", "\r\n")
        return "--" + inside + self.pick("\n", "\r\n")

    def block_comment(self, depth: int = 0) -> str:
        """A body that starts and ends with no "/" or "*", holds no "*/" (nor, on
        PostgreSQL, "/*"), and on MySQL does not start as an executable comment."""

        openers = ("!", "M!") if self.lexer == "mysql" else ()

        def inside(forbidden: tuple[str, ...]) -> str:
            while True:
                text = self.body().strip("/*")
                if not any(mark in text for mark in forbidden) and not text.startswith(openers):
                    return text

        if self.lexer == "postgresql":  # nests
            parts = [inside(("/*", "*/")) for _ in range(3)]
            if depth < 2 and self.rnd.random() < 0.5:
                parts[1] = self.block_comment(depth + 1)
            return "/*" + "".join(parts) + "*/"
        return "/*" + inside(("*/",)) + "*/"

    def fill(self, *, empty: bool = False) -> str:
        """Blanks and comments: at least one unit unless ``empty``."""
        units: list[str] = []
        for _ in range(self.rnd.randint(0 if empty else 1, 3)):
            roll = self.rnd.random()
            if roll < 0.4:
                units.append(self.pick(" ", "\n", "\r", "\r\n", "\t", "\f"))
            else:
                units.append(self.line_comment() if roll < 0.7 else self.block_comment())
        return "".join(units)

    # -- literals --------------------------------------------------------------------------

    def standard_string(self) -> str:
        return "'" + self.body().replace("'", "''") + "'"

    def backslash_string(self, quote: str) -> str:
        escaped = self.body().replace("\\", "\\\\")
        return quote + escaped.replace(quote, self.pick("\\" + quote, quote * 2)) + quote

    def e_string(self) -> str:
        parts = [self.backslash_string("'") for _ in range(self.rnd.randint(1, 3))]
        gap = self.pick("\n", " \n ", "\r", "\r\n\t", " -- c;'\\\n", "\f\n")
        return "E" + gap.join(parts)

    def dollar_quote(self) -> str:
        tag = "$" + self.pick("", "a", "t_1", "é", "€x") + "$"
        inside = self.body(lambda t: (t + tag).find(tag) == len(t))
        return tag + inside + tag

    def identifier(self, quote: str, close: str | None = None) -> str:
        banned = "\x00🙂" if self.lexer == "mysql" else "\x00"  # MySQL: BMP characters only
        name = "".join(ch for ch in self.body() if ch not in banned).rstrip() + "x"
        if close is not None:  # [name]: no escape for "]"
            return quote + name.replace(close, "") + close
        return quote + name.replace(quote, quote * 2) + quote

    def expression(self) -> str:
        number = str(self.rnd.randint(0, 99))
        if self.lexer == "postgresql":
            return self.rnd.choice(
                [number, self.standard_string(), self.e_string(), self.dollar_quote(),
                 self.standard_string() + "\n" + self.standard_string()]
            )  # fmt: skip
        if self.lexer == "mysql":
            return self.rnd.choice(
                [number, self.backslash_string("'"), self.backslash_string('"'),
                 number + " --" + number,  # "--" before a digit: two minus signs
                 # executable comments: code on this server ...
                 number + self.pick(" /*!", " /*!50000", " /*M!", " /*M!100000")
                 + self.pick(" + 1 */", " + LENGTH('*/;') */", " + 1 -- */\n */"),
                 # ... or, for a later version than the server's, a comment
                 number + self.pick(" /*!99999", " /*M!999999") + " + 1 */"]
            )  # fmt: skip
        return "c(" + self.rnd.choice([number, self.standard_string()]) + ")"

    def alias(self) -> str:
        if self.lexer == "postgresql":
            return self.identifier('"')
        if self.lexer == "mysql":
            return self.rnd.choice([self.identifier("`"), self.backslash_string('"')])
        return self.rnd.choice(
            [self.identifier('"'), self.identifier("`"), self.identifier("[", "]")]
        )

    # -- texts -----------------------------------------------------------------------------

    def statement(self) -> str:
        text = self.fill(empty=True) + "SELECT" + self.fill() + self.expression()
        if self.rnd.random() < 0.5:
            text += self.fill() + "AS" + self.fill() + self.alias()
        return text + self.fill(empty=True)

    def text(self) -> str:
        statements = [self.statement() for _ in range(self.rnd.randint(1, 4))]
        text = ";".join(statements) + self.pick("", ";", ";" + self.fill())
        if self.lexer != "postgresql" and self.rnd.random() < 0.2:
            text += self.pick("--", "-- x;", "\n-- x\r; ")  # a comment the text ends in
        return text

    def texts(self, count: int) -> Iterator[str]:
        for _ in range(count):
            yield self.text()


# -- counting on the servers -----------------------------------------------------------------


@contextmanager
def postgresql_counter(rows_only: bool) -> Iterator[Callable[[str], int]]:
    import psycopg

    url = parse_url(support.url_for("psycopg", ""))
    with psycopg.connect(
        host=url.host or "127.0.0.1", port=url.port or 5432, user=url.username or "postgres",
        password=url.password or None, dbname=url.database, autocommit=True,
    ) as conn:  # fmt: skip

        def count(text: str) -> int:
            with conn.cursor() as cursor:
                cursor.execute(text.encode())  # no parameters: the simple query protocol
                return _results(cursor, rows_only=rows_only)

        yield count


@contextmanager
def mysql_counter(rows_only: bool) -> Iterator[Callable[[str], int]]:
    import pymysql
    from pymysql.constants import CLIENT

    url = parse_url(support.url_for("mysql", ""))
    conn = pymysql.connect(
        host=url.host or "127.0.0.1", port=url.port or 3306, user=url.username or "root",
        password=url.password or "", database=url.database, charset="utf8mb4",
        autocommit=True, client_flag=CLIENT.MULTI_STATEMENTS,
    )  # fmt: skip

    def count(text: str) -> int:
        with conn.cursor() as cursor:
            cursor.execute(text)
            return _results(cursor, rows_only=rows_only)

    try:
        yield count
    finally:
        conn.close()


@contextmanager
def sqlite_counter(rows_only: bool) -> Iterator[Callable[[str], int]]:
    """Each generated statement calls ``c`` once; a CREATE adds one row to sqlite_master
    (``rows_only`` changes nothing: a generated text creates nothing)."""

    def count(text: str) -> int:
        calls = 0

        def c(value: Any) -> Any:
            nonlocal calls
            calls += 1
            return value

        conn = sqlite3.connect(":memory:")
        try:
            conn.create_function("c", 1, c)
            conn.executescript(text)
            return calls + conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        finally:
            conn.close()

    yield count


def _results(cursor: Any, *, rows_only: bool) -> int:
    """The results of a multi-statement execute: one per statement; with ``rows_only`` only
    those with rows (MariaDB answers a comment after the last ";" with an empty result of
    its own, which no generated SELECT is)."""
    results = 0
    while True:
        results += cursor.description is not None or not rows_only
        if not cursor.nextset():
            return results


COUNTERS = {"postgresql": postgresql_counter, "mysql": mysql_counter, "sqlite": sqlite_counter}
SERVER = {"postgresql": "psycopg", "mysql": "mysql", "sqlite": "sqlite"}


def mismatches(lexer: Lexer, texts: list[str], *, rows_only: bool) -> list[str]:
    require_server(SERVER[lexer])
    found: list[str] = []
    with COUNTERS[lexer](rows_only) as count:
        for text in texts:
            try:
                executed = count(text)
            except Exception as exc:  # a generator bug: report the text
                raise AssertionError(f"the server refused {text!r}: {exc}") from exc
            seen = len(split_statements(text, lexer))
            try:
                compiled = compile_sql(text, STYLE[lexer], lexer)
                verdict = f"accepted it with {compiled.count} placeholders"
            except MultipleStatementsError:
                verdict = "refused it"
            except ParameterError as exc:  # a "?" or ":x" read outside a quote or comment
                verdict = f"raised {exc.args[0]!r}"
            expected = "refused it" if executed > 1 else "accepted it with 0 placeholders"
            if (seen, verdict) != (executed, expected):
                found.append(
                    f"{text!r}: server ran {executed}, split_statements saw {seen}, "
                    f"compile_sql {verdict}"
                )
    return found


@pytest.mark.parametrize("lexer", ["postgresql", "mysql", "sqlite"])
def test_generated_texts(lexer: Lexer) -> None:
    seed = {"postgresql": 1, "mysql": 2, "sqlite": 3}[lexer]
    texts = list(Generator(lexer, seed).texts(TEXTS_PER_DIALECT))
    assert {len(split_statements(text, lexer)) for text in texts} == {1, 2, 3, 4}
    assert mismatches(lexer, texts, rows_only=True) == []


ROUTINES: list[tuple[Lexer, str]] = [
    ("postgresql", "CREATE OR REPLACE FUNCTION twinsql_atomic() RETURNS TABLE (a int, b int) "
     "LANGUAGE sql BEGIN ATOMIC SELECT 1, 1; SELECT CASE WHEN true THEN 2 END, CASE WHEN true "
     "THEN 3 END; END; SELECT 2"),
    ("postgresql", "CREATE OR REPLACE FUNCTION begin() RETURNS int LANGUAGE sql AS 'SELECT 1'; "
     "SELECT 2"),
    ("postgresql", "CREATE OR REPLACE FUNCTION twinsql_f(begin int) RETURNS int LANGUAGE sql "
     "AS 'SELECT 1'; SELECT 2"),
    ("mysql", "DROP PROCEDURE IF EXISTS begin; CREATE PROCEDURE begin() SELECT 1; SELECT 2"),
    ("mysql", "DROP PROCEDURE IF EXISTS twinsql_p; CREATE PROCEDURE twinsql_p(begin int, x int) "
     "BEGIN IF x > 0 THEN SELECT 1; END /* c */ IF; CASE WHEN x > 1 THEN SELECT 2; ELSE "
     "SELECT 3; END CASE; SELECT CASE WHEN x > 0 THEN 1 END, CASE WHEN x > 1 THEN 2 END; END; "
     "SELECT 2"),
    ("mysql", "CREATE TABLE IF NOT EXISTS twinsql_t (a INT); DROP TRIGGER IF EXISTS begin; "
     "CREATE TRIGGER begin BEFORE INSERT ON twinsql_t FOR EACH ROW BEGIN IF NEW.a = 1 THEN "
     "SET NEW.a = 2; END IF; END; SELECT 2"),
    ("sqlite", "CREATE TABLE t (a); CREATE TRIGGER begin AFTER INSERT ON t BEGIN SELECT 1; END; "
     "SELECT c(2)"),
    ("sqlite", "CREATE TABLE begin (a); CREATE TRIGGER IF NOT EXISTS main.tr AFTER INSERT ON "
     "main.begin BEGIN SELECT CASE WHEN 1 THEN 1 END; END; SELECT c(2)"),
]  # fmt: skip


@pytest.mark.parametrize(("lexer", "script"), ROUTINES)
def test_routine_bodies(lexer: Lexer, script: str) -> None:
    assert mismatches(lexer, [script], rows_only=False) == []


def test_a_carriage_return_ends_a_postgresql_comment_before_a_second_statement() -> None:
    """The text PostgreSQL reads as a SELECT and a DROP never reaches it as one."""
    require_server("psycopg")
    with twinsql.connect(support.url_for("psycopg", "")) as db:
        db.execute_non_query("CREATE TABLE twinsql_kept (a int)")
        try:
            with pytest.raises(MultipleStatementsError):
                db.execute("SELECT 1 AS x -- \r; DROP TABLE twinsql_kept")
            assert db.execute_scalar("SELECT count(*) FROM twinsql_kept") == 0
        finally:
            db.execute_non_query("DROP TABLE IF EXISTS twinsql_kept")
