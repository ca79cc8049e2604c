"""Streaming statement splitting for ``twinsql load`` (no database)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from twinsql.batch.script import iter_statements
from twinsql.sql.script import split_statements

SCRIPTS = {
    "postgresql": """-- a pg_dump-like script
SET client_encoding = 'UTF8';
CREATE TABLE t (a text, b text);
INSERT INTO t VALUES ('a;b', E'it\\'s; fine');
/* a comment; with a separator */ INSERT INTO t VALUES ($$x;y$$, $tag$ ; $tag$);
CREATE FUNCTION f() RETURNS int AS $body$ BEGIN RETURN 1; END $body$ LANGUAGE plpgsql;
CREATE TABLE "semi;colon" (x int);;
SELECT 1
""",
    "mysql": """CREATE TABLE t (a TEXT);
INSERT INTO t VALUES ('a;b'), ("c;d"), ('e\\';f');
# hash comment;
CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW
  BEGIN IF NEW.a = ';' THEN SET NEW.a = 'x'; END IF; END;
INSERT INTO `we;ird` VALUES (1)
""",
    "sqlite": """CREATE TABLE t (a);
CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET a = 1; DELETE FROM t WHERE 0; END;
INSERT INTO [x;y] VALUES ('-- not a comment;');
-- trailing comment only
""",
}


def chunked(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def test_chunked_splitting_equals_whole_text_splitting() -> None:
    for lexer, script in SCRIPTS.items():
        whole = split_statements(script, lexer)  # type: ignore[arg-type]
        assert len(whole) >= 3
        for size in (1, 2, 3, 5, 8, 13, 64, 10_000):
            got = [s for s, _ in iter_statements(chunked(script, size), lexer)]  # type: ignore[arg-type]
            assert got == whole, (lexer, size)


def test_line_numbers() -> None:
    script = "SELECT 1;\n\nSELECT\n2;  SELECT 3;\n-- c\nSELECT 4"
    assert list(iter_statements(chunked(script, 4), "sqlite")) == [
        ("SELECT 1", 1), ("SELECT\n2", 3), ("SELECT 3", 4), ("-- c\nSELECT 4", 5)
    ]  # fmt: skip


def test_empty_and_comment_only_input() -> None:
    assert list(iter_statements([], "postgresql")) == []
    assert list(iter_statements(["-- nothing;\n", "  ;; "], "postgresql")) == []


def test_a_statement_longer_than_many_chunks() -> None:
    long_value = "x" * 100_000
    script = f"INSERT INTO t VALUES ('{long_value}');SELECT 2;"
    got = list(iter_statements(chunked(script, 100), "sqlite"))
    assert [len(s) for s, _ in got] == [len(script) - len(";SELECT 2;"), len("SELECT 2")]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(["SELECT 1", "SELECT 'a;b'", "SELECT $$;$$", "-- c;\n", "/* ; */",
                         ";", " ", "\n", "SELECT \"q;\"", "SELECT E'\\';'"]),
        max_size=30,
    ),
    st.integers(1, 40),
)  # fmt: skip
def test_any_chunking_gives_the_same_statements(pieces: list[str], size: int) -> None:
    script = "".join(pieces)
    whole = split_statements(script, "postgresql")
    assert [s for s, _ in iter_statements(chunked(script, size), "postgresql")] == whole
