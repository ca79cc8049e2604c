"""Pure tests of twinsql.sql.params: golden translations, skip cases, errors, binding,
statement splitting, read-only detection, and hypothesis properties of the tokenizer."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from twinsql.errors import ArgumentError, MultipleStatementsError, ParameterError
from twinsql.sql import params as params_module
from twinsql.sql.params import (
    CompiledSQL,
    Lexer,
    ParamStyle,
    compile_sql,
    is_read_only,
    split_statements,
)

STYLES: tuple[ParamStyle, ...] = ("qmark", "numeric", "format")
LEXERS: tuple[Lexer, ...] = ("sqlite", "postgresql", "mysql")

# --- golden translations -----------------------------------------------------------------

GOLDEN = [
    # (source, lexer, style, expected text, count, names)
    (
        "SELECT * FROM t WHERE a = ? AND b = ?",
        "sqlite",
        "qmark",
        "SELECT * FROM t WHERE a = ? AND b = ?",
        2,
        None,
    ),
    (
        "SELECT * FROM t WHERE a = ? AND b = ?",
        "postgresql",
        "numeric",
        "SELECT * FROM t WHERE a = $1 AND b = $2",
        2,
        None,
    ),
    (
        "SELECT * FROM t WHERE a = ? AND b = ?",
        "postgresql",
        "format",
        "SELECT * FROM t WHERE a = %s AND b = %s",
        2,
        None,
    ),
    (
        "SELECT * FROM t WHERE a = ? AND b = ?",
        "mysql",
        "format",
        "SELECT * FROM t WHERE a = %s AND b = %s",
        2,
        None,
    ),
    (
        "SELECT * FROM t WHERE a = :a OR b = :b OR c = :a",
        "sqlite",
        "qmark",
        "SELECT * FROM t WHERE a = ? OR b = ? OR c = ?",
        3,
        ("a", "b", "a"),
    ),
    (
        "SELECT * FROM t WHERE a = :a OR b = :b OR c = :a",
        "postgresql",
        "numeric",
        "SELECT * FROM t WHERE a = $1 OR b = $2 OR c = $1",
        3,
        ("a", "b"),
    ),
    (
        "SELECT * FROM t WHERE a = :a OR b = :b OR c = :a",
        "mysql",
        "format",
        "SELECT * FROM t WHERE a = %s OR b = %s OR c = %s",
        3,
        ("a", "b", "a"),
    ),
    (
        "SELECT * FROM t WHERE id=:id",
        "postgresql",
        "numeric",
        "SELECT * FROM t WHERE id=$1",
        1,
        ("id",),
    ),
    (
        "INSERT INTO t (a, b) VALUES (?, ?);",
        "postgresql",
        "numeric",
        "INSERT INTO t (a, b) VALUES ($1, $2);",
        2,
        None,
    ),
    ("SELECT 1", "postgresql", "format", "SELECT 1", 0, None),
    # PostgreSQL casts and jsonb operators
    (
        "SELECT :v::text, x::int FROM t",
        "postgresql",
        "numeric",
        "SELECT $1::text, x::int FROM t",
        1,
        ("v",),
    ),
    (
        "SELECT doc ?? 'k', doc ??| array['a'], doc ??& array['b'] FROM t WHERE id = ?",
        "postgresql",
        "numeric",
        "SELECT doc ? 'k', doc ?| array['a'], doc ?& array['b'] FROM t WHERE id = $1",
        1,
        None,
    ),
    (
        "SELECT doc ?? 'k' FROM t WHERE id = ?",
        "postgresql",
        "format",
        "SELECT doc ? 'k' FROM t WHERE id = %s",
        1,
        None,
    ),
    # not parameters: :=, :digit, identifier:identifier (array slices)
    (
        "SELECT @a := 1, arr[1:2], arr[lo:hi], :1 FROM t WHERE x = ?",
        "mysql",
        "format",
        "SELECT @a := 1, arr[1:2], arr[lo:hi], :1 FROM t WHERE x = %s",
        1,
        None,
    ),
    # format style doubles every literal %, even inside strings and comments
    (
        "SELECT 100 % 7, 'a%b' /* 5% */ FROM t WHERE n LIKE ? -- 50%\n",
        "postgresql",
        "format",
        "SELECT 100 %% 7, 'a%%b' /* 5%% */ FROM t WHERE n LIKE %s -- 50%%\n",
        1,
        None,
    ),
    # No placeholders: the drivers get no parameters and do no %-formatting.
    ("SELECT '%s', '%(x)s' FROM t", "mysql", "format", "SELECT '%s', '%(x)s' FROM t", 0, None),
    ("SELECT 100 % 7 WHERE a = ?", "postgresql", "numeric", "SELECT 100 % 7 WHERE a = $1", 1, None),
    # placeholders against identifier characters are padded
    ("SELECT * FROM t LIMIT?", "postgresql", "numeric", "SELECT * FROM t LIMIT $1", 1, None),
    ("SELECT ?abc", "postgresql", "format", "SELECT %s abc", 1, None),
    ("SELECT :a$x", "postgresql", "numeric", "SELECT $1 $x", 1, ("a",)),
]


@pytest.mark.parametrize(("sql", "lexer", "style", "text", "count", "names"), GOLDEN)
def test_golden(
    sql: str,
    lexer: Lexer,
    style: ParamStyle,
    text: str,
    count: int,
    names: tuple[str, ...] | None,
) -> None:
    compiled = compile_sql(sql, style, lexer)
    assert compiled.text == text
    assert compiled.count == count
    assert compiled.names == names
    assert compiled.style == style


# --- skip cases: nothing inside these is a placeholder -----------------------------------

SKIPPED = {
    "sqlite": [
        "'a ? :b ;'",
        "'it''s ? :x'",
        '"col ? :x"',
        '"a""? :x"',
        "`b ? :x`",
        "[c ? :x ;]",
        "-- ? :x ;\n",
        "/* ? :x ; */",
    ],
    "postgresql": [
        "'a ? :b ;'",
        "'it''s ? :x'",
        '"col ? :x"',
        '"a""? :x"',
        "-- ? :x ;\n",
        "/* ? :x ; */",
        "/* outer /* inner ? */ still ? :x */",
        "$$ ? :x ; $$",
        "$fn$ ? :x ; 'quote $$ $fn$",
        "$a_1$ ? $b$ ; $a_1$",
        "E'\\' ? :x'",
        "e'\\\\'",
        "U&'d\\0061t ? :x'",
    ],
    "mysql": [
        "'a ? :b ;'",
        "'it''s ? :x'",
        "'back\\' ? :x'",
        '"dq\\" ? :x"',
        '"dq"" ? :x"',
        "`b ? :x`",
        "`a``? :x`",
        "-- ? :x ;\n",
        "--\t? :x\n",
        "# ? :x ;\n",
        "/* ? :x ; */",
    ],
}


@pytest.mark.parametrize(
    ("lexer", "literal"), [(lexer, lit) for lexer, lits in SKIPPED.items() for lit in lits]
)
@pytest.mark.parametrize("style", STYLES)
def test_placeholders_inside_literals_and_comments_are_skipped(
    lexer: Lexer, literal: str, style: ParamStyle
) -> None:
    sql = f"SELECT {literal} , ? FROM t"
    compiled = compile_sql(sql, style, lexer)
    assert compiled.count == 1
    expected_literal = literal.replace("%", "%%") if style == "format" else literal
    assert expected_literal in compiled.text
    assert compiled.text.endswith(
        {"qmark": "?", "numeric": "$1", "format": "%s"}[style] + " FROM t"
    )


@pytest.mark.parametrize(
    ("sql", "lexer", "count"),
    [
        # a backslash does not escape in SQLite / PostgreSQL standard strings
        ("SELECT 'a\\' , ?", "sqlite", 1),
        ("SELECT 'a\\' , ?", "postgresql", 1),
        ("SELECT 'a\\' , ?", "mysql", 0),  # MySQL: the string is still open
        # "#" is a comment only in MySQL; "--" needs whitespace after it in MySQL
        ("SELECT 1 # ?\n, ?", "mysql", 1),
        ("SELECT 1 # ?\n, ?", "postgresql", 2),
        ("SELECT 1--?\n", "mysql", 1),
        ("SELECT 1--?\n", "sqlite", 0),
        # brackets quote only in SQLite; backticks not in PostgreSQL
        ("SELECT [?]", "sqlite", 0),
        ("SELECT arr[?]", "postgresql", 1),
        ("SELECT `?`", "postgresql", 1),
        # $1 is no dollar quote; an identifier with $ is no dollar quote start
        ("SELECT $1, ?", "postgresql", 1),
        ("SELECT a$b$ ?", "postgresql", 1),
        # nested comments only in PostgreSQL
        ("SELECT /* /* */ ? */ ?", "postgresql", 1),
        ("SELECT /* /* */ ? */ ?", "sqlite", 2),
    ],
)
def test_lexer_differences(sql: str, lexer: Lexer, count: int) -> None:
    style: ParamStyle = "numeric" if lexer == "postgresql" else "format"
    assert compile_sql(sql, style, lexer, allow_multiple=True).count == count


# --- errors ------------------------------------------------------------------------------


def test_mixed_styles() -> None:
    with pytest.raises(ParameterError, match=r"\? \(positional\) and :name \(named\)"):
        compile_sql("SELECT * FROM t WHERE a = ? AND b = :b", "numeric", "postgresql")


def test_literal_question_mark_with_qmark_style() -> None:
    with pytest.raises(ParameterError, match="qmark"):
        compile_sql("SELECT '{}'::jsonb ?? 'k'", "qmark", "sqlite")
    assert compile_sql("SELECT '??'", "qmark", "sqlite").text == "SELECT '??'"


def test_numbered_qmark_is_rejected() -> None:
    with pytest.raises(ParameterError, match=r"\?1"):
        compile_sql("SELECT ?1, ?2", "qmark", "sqlite")


@pytest.mark.parametrize("lexer", LEXERS)
def test_multiple_statements(lexer: Lexer) -> None:
    with pytest.raises(MultipleStatementsError, match="once per statement") as info:
        compile_sql("SELECT 1; DROP TABLE t", "qmark" if lexer == "sqlite" else "format", lexer)
    assert "batcher" in str(info.value)
    with pytest.raises(MultipleStatementsError):
        compile_sql("SELECT 1;;", "numeric", lexer)
    compiled = compile_sql("SELECT 1; SELECT 2", "numeric", lexer, allow_multiple=True)
    assert compiled.text == "SELECT 1; SELECT 2"


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 1;",
        "SELECT 1;  \n",
        "SELECT 1; -- trailing comment",
        "SELECT 1; /* c */ ",
        "SELECT ';' FROM t",
        "SELECT 1 -- ; DROP TABLE t",
        'SELECT "a;b" FROM t',
    ],
)
def test_single_statement_variants(sql: str) -> None:
    assert compile_sql(sql, "numeric", "postgresql").text == sql


def test_trigger_and_routine_bodies_are_one_statement() -> None:
    trigger = (
        "CREATE TRIGGER tr AFTER INSERT ON t BEGIN "
        "UPDATE c SET n = CASE WHEN n IS NULL THEN 1 ELSE n + 1 END; "
        "INSERT INTO log VALUES (new.id); END;"
    )
    assert compile_sql(trigger, "qmark", "sqlite").count == 0
    proc = (
        "CREATE PROCEDURE p() BEGIN IF 1 THEN SELECT 1; END IF; WHILE 0 DO SELECT 2; END WHILE; END"
    )
    assert compile_sql(proc, "format", "mysql").count == 0
    atomic = "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END"
    assert compile_sql(atomic, "numeric", "postgresql").count == 0
    with pytest.raises(MultipleStatementsError):  # a column named "begin" opens no block
        compile_sql("CREATE TABLE t (event int, begin int); DROP TABLE x", "qmark", "sqlite")


def test_bad_arguments() -> None:
    with pytest.raises(ArgumentError, match="style"):
        compile_sql("SELECT 1", "pyformat", "sqlite")  # type: ignore[arg-type]
    with pytest.raises(ArgumentError, match="lexer"):
        compile_sql("SELECT 1", "qmark", "oracle")  # type: ignore[arg-type]
    with pytest.raises(ArgumentError, match="str"):
        compile_sql(b"SELECT 1", "qmark", "sqlite")  # type: ignore[arg-type]
    with pytest.raises(ArgumentError, match="str"):
        compile_sql(["SELECT 1"], "qmark", "sqlite")  # type: ignore[arg-type]


# --- binding -----------------------------------------------------------------------------


def positional(style: ParamStyle = "numeric") -> CompiledSQL:
    return compile_sql("SELECT * FROM t WHERE a = ? AND b = ?", style, "postgresql")


def named(style: ParamStyle = "numeric") -> CompiledSQL:
    return compile_sql("SELECT * FROM t WHERE a = :a AND b = :b OR c = :a", style, "postgresql")


def test_bind_positional_returns_the_same_object() -> None:
    values = (1, 2)
    assert positional().bind(values) is values
    as_list = [1, 2]
    assert positional().bind(as_list) is as_list


def test_bind_positional_other_sequences() -> None:
    assert positional().bind(range(2)) == (0, 1)


@pytest.mark.parametrize(
    ("given", "fragment"),
    [
        ((1, 2, 3), "statement has 2 placeholders, 3 parameters given"),
        ([1], "statement has 2 placeholders, 1 parameter given"),
        ((), "statement has 2 placeholders, 0 parameters given"),
        (None, "statement has 2 placeholders, no parameters given"),
        ({"a": 1, "b": 2}, "mapping was given"),
        ("ab", "pass a tuple, e.g. (value,)"),
        (b"ab", "pass a tuple, e.g. (value,)"),
        (bytearray(b"ab"), "pass a tuple, e.g. (value,)"),
        (7, "pass a tuple, e.g. (value,)"),
        ({1, 2}, "pass a tuple, e.g. (value,)"),
        (iter([1, 2]), "pass a tuple, e.g. (value,)"),
    ],
)
def test_bind_positional_errors(given: Any, fragment: str) -> None:
    with pytest.raises(ParameterError, match=re.escape(fragment)) as info:
        positional().bind(given)
    assert info.value.sql == "SELECT * FROM t WHERE a = ? AND b = ?"


def test_bind_named() -> None:
    assert named("numeric").bind({"a": 1, "b": 2}) == (1, 2)
    assert named("format").bind({"b": 2, "a": 1}) == (1, 2, 1)
    assert named("qmark").bind({"a": 1, "b": 2}) == (1, 2, 1)


@pytest.mark.parametrize(
    ("given", "fragments"),
    [
        ({"a": 1}, ["missing parameters: b"]),
        ({}, ["missing parameters: a, b"]),
        ({"a": 1, "b": 2, "c": 3, "d": 4}, ["unexpected parameters: c, d"]),
        ({"a": 1, "c": 3}, ["missing parameters: b", "unexpected parameters: c"]),
        ({"a": 1, "b": 2, 5: 3}, ["unexpected parameters: 5"]),
        ((1, 2), ["sequence was given", "mapping"]),
        ([1, 2, 1], ["sequence was given"]),
        (None, ["no parameters were given", "a, b"]),
        ("ab", ["pass a tuple, e.g. (value,)"]),
        (3.5, ["pass a tuple, e.g. (value,)"]),
    ],
)
def test_bind_named_errors(given: Any, fragments: list[str]) -> None:
    with pytest.raises(ParameterError) as info:
        named().bind(given)
    for fragment in fragments:
        assert fragment in str(info.value)


@pytest.mark.parametrize("empty", [None, (), [], {}])
def test_bind_no_placeholders(empty: Any) -> None:
    assert compile_sql("SELECT 1", "format", "mysql").bind(empty) == ()


@pytest.mark.parametrize(
    ("given", "fragment"),
    [
        ((1,), "statement has no placeholders, 1 parameter given"),
        ({"x": 1}, "no placeholders, but parameters were given: x"),
        ("x", "pass a tuple"),
    ],
)
def test_bind_params_for_statement_without_placeholders(given: Any, fragment: str) -> None:
    with pytest.raises(ParameterError, match=re.escape(fragment)):
        compile_sql("SELECT 1", "format", "mysql").bind(given)


def test_bind_error_mentions_unterminated_quote() -> None:
    compiled = compile_sql("SELECT * FROM t WHERE name = 'O'Brien' AND id = ?", "qmark", "sqlite")
    with pytest.raises(ParameterError, match="unterminated quote"):
        compiled.bind((1,))


def test_errors_do_not_carry_parameter_values() -> None:
    with pytest.raises(ParameterError) as info:
        positional().bind(("secret-value", 2, 3))
    assert "secret-value" not in str(info.value)


# --- caching -----------------------------------------------------------------------------


def test_compile_is_cached() -> None:
    sql = "SELECT * FROM cached WHERE a = ?"
    assert compile_sql(sql, "numeric", "postgresql") is compile_sql(sql, "numeric", "postgresql")
    assert compile_sql(sql, "format", "postgresql") is not compile_sql(sql, "numeric", "postgresql")


def test_long_statements_bypass_the_cache_but_compile() -> None:
    rows = ", ".join(["(?, ?)"] * 20_000)
    sql = f"INSERT INTO t (a, b) VALUES {rows}"
    compiled = compile_sql(sql, "numeric", "postgresql")
    assert compiled.count == 40_000
    assert compiled.text.endswith("($39999, $40000)")
    assert compiled is not compile_sql(sql, "numeric", "postgresql")


# --- split_statements --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("script", "lexer", "expected"),
    [
        ("SELECT 1; SELECT 2;", "sqlite", ["SELECT 1", "SELECT 2"]),
        (
            "  SELECT 1 ;\n\n;  -- only a comment\n; /* c */ ; SELECT ';' ",
            "sqlite",
            ["SELECT 1", "SELECT ';'"],
        ),
        (
            "CREATE TABLE t (a int);\nCREATE TRIGGER tr AFTER INSERT ON t BEGIN "
            "INSERT INTO u VALUES (1); END;\nINSERT INTO t VALUES (1)",
            "sqlite",
            [
                "CREATE TABLE t (a int)",
                "CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO u VALUES (1); END",
                "INSERT INTO t VALUES (1)",
            ],
        ),
        (
            "BEGIN; UPDATE t SET a = 1; COMMIT;",
            "postgresql",
            ["BEGIN", "UPDATE t SET a = 1", "COMMIT"],
        ),
        (
            "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql; SELECT f()",
            "postgresql",
            ["CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql", "SELECT f()"],
        ),
        ("SELECT 'a\\';' ; SELECT 2 # ;\n", "mysql", ["SELECT 'a\\';'", "SELECT 2 # ;"]),
        ("-- header\nSELECT 1", "postgresql", ["-- header\nSELECT 1"]),
        ("", "mysql", []),
        ("  ;; -- nothing\n", "mysql", []),
        ("SELECT :a; SELECT ?", "sqlite", ["SELECT :a", "SELECT ?"]),
    ],
)
def test_split_statements(script: str, lexer: Lexer, expected: list[str]) -> None:
    assert split_statements(script, lexer) == expected


# --- is_read_only ------------------------------------------------------------------------

READ_ONLY = [
    "SELECT 1",
    "select * from t where a = ?",
    "  -- lead\n/* c */ SELECT 1;",
    "(SELECT 1) UNION (SELECT 2)",
    "VALUES (1), (2)",
    "WITH x AS (SELECT 1) SELECT * FROM x",
    "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT * FROM r",
    "SELECT replace(name, 'a', 'b'), 'DELETE', \"update\" FROM t -- insert",
    "EXPLAIN SELECT 1",
    "EXPLAIN QUERY PLAN DELETE FROM t",
    "SHOW TABLES",
    "PRAGMA user_version",
    "PRAGMA main.table_info(t)",
    "pragma integrity_check",
]
WRITES = [
    "INSERT INTO t VALUES (1)",
    "UPDATE t SET a = 1",
    "DELETE FROM t",
    "REPLACE INTO t VALUES (1)",
    "CREATE TABLE t (a int)",
    "BEGIN",
    "SELECT * FROM t FOR UPDATE",
    "SELECT * FROM t FOR SHARE",
    "SELECT * FROM t FOR NO KEY UPDATE",
    "SELECT * FROM t LOCK IN SHARE MODE",
    "SELECT * INTO t2 FROM t",
    "WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d",
    "WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x",
    "WITH x AS (SELECT 1) REPLACE INTO t SELECT * FROM x",
    "WITH x AS (SELECT 1) MERGE INTO t USING x ON true WHEN MATCHED THEN DELETE",
    "EXPLAIN ANALYZE DELETE FROM t",
    "EXPLAIN (ANALYZE, BUFFERS) SELECT 1",
    "PRAGMA journal_mode = WAL",
    "PRAGMA journal_mode(WAL)",
    "PRAGMA optimize",
    "PRAGMA wal_checkpoint",
    "SELECT 1; DELETE FROM t",
    "",
    "-- only a comment",
    "(",
]


@pytest.mark.parametrize("sql", READ_ONLY)
@pytest.mark.parametrize("lexer", LEXERS)
def test_read_only(sql: str, lexer: Lexer) -> None:
    assert is_read_only(sql, lexer) is True
    if "?" in sql or not sql.strip().endswith(";"):
        assert compile_sql(sql, "format", lexer).is_read_only is True


@pytest.mark.parametrize("sql", WRITES)
@pytest.mark.parametrize("lexer", LEXERS)
def test_not_read_only(sql: str, lexer: Lexer) -> None:
    assert is_read_only(sql, lexer) is False


# --- properties --------------------------------------------------------------------------

LITERALS: dict[str, list[str]] = {
    "sqlite": [
        "'a?b:x%;'",
        "'it''s ? :y %'",
        '"col?:x%;"',
        "`b?% :z`",
        "[c?:x;%]",
        "-- ? :x ; %\n",
        "/* ? :x ; % */",
        "'$1 %s'",
    ],
    "postgresql": [
        "'a?b:x%;'",
        "'it''s ? :y %'",
        '"col?:x%;"',
        "-- ? :x ; %\n",
        "/* ? /* :x ; */ % */",
        "$$ ? :x ; % $$",
        "$tag$ ? $x$ :y ; $tag$",
        "E'\\' ? :x;%'",
        "'$1 %s'",
    ],
    "mysql": [
        "'a?b:x%;'",
        "'it''s ? \\' :x'",
        '"col\\"?:x%;"',
        "`b?%;`",
        "# ? :x ; %\n",
        "-- ? :x ; %\n",
        "/* ? :x ; % */",
        "'$1 %s'",
    ],
}
PLAIN = [
    "SELECT",
    "x",
    "=",
    "1",
    "(",
    ")",
    ",",
    "x::int",
    "@a := 1",
    ":1",
    "%",
    "100%",
    "t.col",
    "arr[1:2]",
    "ab:cd",
]


@st.composite
def statements(
    draw: st.DrawFn, lexer: Lexer, kind: str, literal_q: bool
) -> tuple[str, int, list[str], list[str]]:
    """A statement built from fragments, with its real placeholder count, the named
    placeholders in order, and the literal fragments it contains."""
    plain = PLAIN + (["??"] if literal_q else [])
    parts = draw(
        st.lists(
            st.one_of(
                st.sampled_from(LITERALS[lexer]).map(lambda f: ("lit", f)),
                st.sampled_from(plain).map(lambda f: ("plain", f)),
                st.sampled_from(["a", "b", "c_1"]).map(lambda n: ("ph", n)),
            ),
            max_size=25,
        )
    )
    text_parts, names, literals = [], [], []
    for tag, value in parts:
        if tag == "ph":
            text_parts.append("?" if kind == "positional" else f":{value}")
            names.append(value)
        else:
            text_parts.append(value)
            if tag == "lit":
                literals.append(value)
    return " ".join(text_parts), len(names), names, literals


def _numeric_marks(text: str, lexer: Lexer) -> list[int]:
    """The $n placeholders of translated text: found in the gaps between the tokens
    (literals, comments) of the text tokenized again."""
    tokens, _ = params_module.scan_tokens(text, lexer)
    marks, pos = [], 0
    for _kind, start, end in [*tokens, (0, len(text), len(text))]:
        marks += [int(m.group(1)) for m in re.finditer(r"\$(\d+)", text[pos:start])]
        pos = end
    return marks


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=300)
@given(
    data=st.data(),
    lexer=st.sampled_from(LEXERS),
    style=st.sampled_from(STYLES),
    kind=st.sampled_from(["positional", "named"]),
)
def test_translation_properties(
    data: st.DataObject, lexer: Lexer, style: ParamStyle, kind: str
) -> None:
    sql, count, names, literals = data.draw(statements(lexer, kind, style != "qmark"))
    compiled = compile_sql(sql, style, lexer)
    assert compiled.count == count
    distinct = list(dict.fromkeys(names))
    if kind == "named" and count:
        assert compiled.names == (tuple(distinct) if style == "numeric" else tuple(names))
        assert compiled.bind({n: n.upper() for n in distinct}) == tuple(
            n.upper() for n in (distinct if style == "numeric" else names)
        )
    else:
        assert compiled.names is None
        values = tuple(range(count))
        assert compiled.bind(values) == values
    out = compiled.text
    doubled = style == "format" and count > 0
    for literal in literals:  # text inside literals is unchanged (apart from % doubling)
        assert (literal.replace("%", "%%") if doubled else literal) in out
    if style == "format" and doubled:
        # the driver's view: every % is either %% or a %s placeholder
        assert re.sub(r"%%|%s", "", out).count("%") == 0
        assert re.findall(r"%%|%s", out).count("%s") == count
    elif style == "format":
        # no placeholders: the driver gets no parameters, so every % stays as written
        assert out.count("%") == sql.count("%")
    elif style == "numeric":
        marks = _numeric_marks(out, lexer)
        assert len(marks) == count
        if kind == "positional":
            assert marks == list(range(1, count + 1))
        else:
            assert sorted(set(marks)) == list(range(1, len(distinct) + 1))
    else:
        assert compile_sql(out, "qmark", lexer).count == count


@settings(max_examples=500)
@given(
    sql=st.text(),
    lexer=st.sampled_from(LEXERS),
    style=st.sampled_from(STYLES),
    allow_multiple=st.booleans(),
)
def test_arbitrary_text_never_crashes(
    sql: str, lexer: Lexer, style: ParamStyle, allow_multiple: bool
) -> None:
    try:
        compiled = compile_sql(sql, style, lexer, allow_multiple=allow_multiple)
    except (ParameterError, MultipleStatementsError):
        pass
    else:
        assert isinstance(compiled.text, str)
        assert compiled.count >= 0
    assert isinstance(is_read_only(sql, lexer), bool)
    for statement in split_statements(sql, lexer):
        assert statement and statement == statement.strip()
        try:  # each split piece is one statement
            compile_sql(statement, style, lexer)
        except ParameterError:
            pass


@settings(max_examples=300)
@given(
    sql=st.text(alphabet="?:;'\"`[]$-/*#%\\ \nEe ax1=()", max_size=60),
    lexer=st.sampled_from(LEXERS),
    style=st.sampled_from(STYLES),
)
def test_hostile_alphabet_never_crashes(sql: str, lexer: Lexer, style: ParamStyle) -> None:
    try:
        compile_sql(sql, style, lexer, allow_multiple=True)
    except ParameterError:
        pass
    for statement in split_statements(sql, lexer):
        try:
            compile_sql(statement, style, lexer)
        except ParameterError:
            pass
