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
        ("SELECT 1", 1), ("SELECT\n2", 3), ("SELECT 3", 4), ("-- c\nSELECT 4", 6)
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


# -- what the command-line clients read besides SQL ---------------------------------------

from twinsql.batch.script import MetaCommand, ScriptReader, ScriptStatement  # noqa: E402
from twinsql.batch.statements import CopyData  # noqa: E402
from twinsql.sql.insert import InsertTemplate  # noqa: E402
from twinsql.sql.literal_insert import literal_insert  # noqa: E402

PG_DUMP = (
    "\ufeff--\n-- PostgreSQL database dump\n--\n\n\\restrict AbC123\n\n"
    "SET statement_timeout = 0;\n"
    "COPY public.t (id, name) FROM stdin;\n1\tx\n2\t\\\\.\n3\t\\N\n\\.\n\n"
    "COPY public.empty (id) FROM stdin;\n\\.\n"
    "SELECT 2;\n\\i other.sql\nINSERT INTO t VALUES (3);\n\\unrestrict AbC123\n"
)


def read(script: str, size: int, lexer: str = "postgresql", **options: object) -> list[object]:
    return list(ScriptReader(lexer, **options).read(chunked(script, size)))  # type: ignore[arg-type]


def test_pg_dump_copy_blocks_and_meta_commands_at_any_chunking() -> None:
    expected = [
        MetaCommand("\\restrict AbC123", 5),
        ScriptStatement("SET statement_timeout = 0", 7),
        ScriptStatement("COPY public.t (id, name) FROM stdin", 9,
                        CopyData("1\tx\n2\t\\\\.\n3\t\\N\n", 3)),
        ScriptStatement("COPY public.empty (id) FROM stdin", 15, CopyData("", 0)),
        ScriptStatement("SELECT 2", 16),
        MetaCommand("\\i other.sql", 17),  # refused by the caller, never merged into the next
        ScriptStatement("INSERT INTO t VALUES (3)", 18),
        MetaCommand("\\unrestrict AbC123", 19),
    ]  # fmt: skip
    for size in (1, 2, 3, 7, 64, 100_000):
        assert read(PG_DUMP, size) == expected, size


def test_copy_rows_come_in_pieces_cut_at_row_ends() -> None:
    rows = "".join(f"{i}\tname {i}\n" for i in range(100))
    script = f"COPY t FROM stdin;\n{rows}\\.\nSELECT 1;\n"
    for size in (5, 1000):
        items = read(script, size, copy_chunk_bytes=64)
        pieces = [item for item in items if isinstance(item, ScriptStatement) and item.copy]
        assert "".join(p.copy.text for p in pieces) == rows  # type: ignore[union-attr]
        assert sum(p.copy.rows for p in pieces) == 100  # type: ignore[union-attr]
        assert all(p.copy.text.endswith("\n") for p in pieces)  # type: ignore[union-attr]
        assert [p.line for p in pieces][:2] == [2, 2 + pieces[0].copy.rows]  # type: ignore[union-attr]
        assert items[-1] == ScriptStatement("SELECT 1", 103)


MYSQL_DUMP = (
    "/*M!999999\\- enable the sandbox mode */ \n"
    "/*!40101 SET NAMES utf8mb4 */;\n"
    "/*!110000 SET x = 1 */;\n"
    "DELIMITER ;;\n"
    "CREATE PROCEDURE p() BEGIN SELECT 1; SELECT ';;'; END ;;\n"
    "delimiter //\n"
    "/*!50003 CREATE TRIGGER t BEFORE INSERT ON a FOR EACH ROW SET @n = 1 */ //\n"
    "DELIMITER ;\n"
    "SELECT 3;\n"
)


def test_mysql_executable_comments_follow_the_server_version_and_delimiter_changes() -> None:
    expected = [
        ScriptStatement("/*!40101 SET NAMES utf8mb4 */", 2),
        ScriptStatement("CREATE PROCEDURE p() BEGIN SELECT 1; SELECT ';;'; END", 5),
        ScriptStatement(
            "/*!50003 CREATE TRIGGER t BEFORE INSERT ON a FOR EACH ROW SET @n = 1 */", 7
        ),
        ScriptStatement("SELECT 3", 9),
    ]
    for size in (1, 4, 100_000):
        assert read(MYSQL_DUMP, size, "mysql", server_version=100611, mariadb=True) == expected
    # A newer server runs the /*!110000 … */ statement; MySQL skips MariaDB's /*M!…*/.
    newer = read(MYSQL_DUMP, 100_000, "mysql", server_version=110408, mariadb=False)
    assert [item.line for item in newer] == [2, 3, 5, 7, 9]  # type: ignore[attr-defined]


def test_mysql_raw_bytes_in_a_string_become_a_hex_literal() -> None:
    raw = b"INSERT INTO b VALUES ('\\0\x01\\\\\\'\xff\\n', 'caf\xc3\xa9');"
    items = read(raw.decode("utf-8", "surrogateescape"), 100, "mysql")
    assert items == [ScriptStatement("INSERT INTO b VALUES (X'00015c27ff0a', 'café')", 1)]


def test_a_byte_order_mark_is_dropped() -> None:
    assert read("\ufeffSELECT 1;", 1, "sqlite") == [ScriptStatement("SELECT 1", 1)]


LANE_SCRIPTS = {
    "sqlite": """PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE t (a, b);
INSERT INTO t VALUES(1,'a;b');
INSERT INTO t VALUES(2,'it''s -- no comment');INSERT INTO "t" VALUES(3,NULL);
  INSERT INTO t VALUES(4,X'00ff')  ;
-- a comment between
INSERT INTO t VALUES(5,'x');
INSERT INTO t VALUES(6,replace('a\\nb','\\n',char(10)));
INSERT INTO t VALUES(7,'multi
line');
INSERT INTO t VALUES (8,'a'), (9,'b');
CREATE INDEX i ON t (a);
INSERT INTO t VALUES(10,'last')""",
    "postgresql": """SET standard_conforming_strings = on;
INSERT INTO public.t VALUES (1, 'a\\');
INSERT INTO public.t VALUES (2, E'b\\'c');
SET standard_conforming_strings = off;
INSERT INTO public.t VALUES (3, 'd\\'e;f');
RESET standard_conforming_strings;
INSERT INTO public.t VALUES (4, 'g');
\\restrict abc
INSERT INTO public.t VALUES (5, 'h');
""",
    "mysql": """INSERT INTO `t` VALUES (1,'a\\';b'),(2,'c');
DELIMITER ;;
INSERT INTO `t` VALUES (3,'d');;
DELIMITER ;
/*!40000 ALTER TABLE `t` ENABLE KEYS */;
INSERT INTO `t` VALUES (4,'e');
""",
}


def test_the_literal_lane_reads_what_the_tokenizer_reads() -> None:
    """INSERTs of literal rows read in one step give the statements, lines and meta-commands
    the general reading gives, however the script is cut into chunks."""
    for lexer, script in LANE_SCRIPTS.items():
        slow = list(ScriptReader(lexer, literal_lane=False).read([script]))  # type: ignore[arg-type]
        assert len(slow) >= 4
        for size in (1, 7, 16, 100, 100_000):
            fast = list(ScriptReader(lexer).read(chunked(script, size)))  # type: ignore[arg-type]
            assert fast == slow, (lexer, size)
            read = [item for item in fast
                    if isinstance(item, ScriptStatement) and item.insert is not None]  # fmt: skip
            assert read, lexer
            for item in read:  # what the lane found is what reading the text finds
                assert item.insert is not None
                again = literal_insert(item.sql, lexer)  # type: ignore[arg-type]
                assert again is not None and again.table == item.insert.table
                if again.template is None:
                    assert item.insert.template is None
                    continue
                assert item.insert.template is not None
                assert described_template(item.insert.template) == described_template(
                    again.template
                )


def described_template(template: InsertTemplate) -> dict[str, object]:
    fields = {name: getattr(template, name) for name in type(template).__slots__}  # type: ignore[attr-defined]
    fields.pop("_rendered_many")
    return fields


def test_a_directive_line_cut_by_a_chunk_is_still_a_directive() -> None:
    """A DELIMITER line whose ";" arrived before its newline once ended a statement there
    ("DELIMITER" sent to the server): its line is now read whole first."""
    script = "SELECT 1;\nDELIMITER ;;\nSELECT 2;;\nDELIMITER ;\nSELECT 3;\n"
    expected = [("SELECT 1", 1), ("SELECT 2", 3), ("SELECT 3", 5)]
    for size in range(1, len(script) + 1):
        got = list(iter_statements(chunked(script, size), "mysql"))
        assert got == expected, size
