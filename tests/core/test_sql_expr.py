"""Pure tests of the expression tree (twinsql.sql.expr / nodes / functions): golden
WHERE clauses per dialect for every operator, parenthesisation, IN / BETWEEN / NULL /
LIKE and its escaping, arithmetic, labels, functions and windows, Raw fragments, and the
Python-side behaviour of nodes (immutability, identity hashing, no truth value)."""

from __future__ import annotations

from typing import Any

import pytest

from twinsql.errors import (
    ArgumentError,
    InvalidIdentifierError,
    ParameterError,
)
from twinsql.sql import (
    Avg,
    Col,
    Compound,
    Condition,
    Count,
    DenseRank,
    Expr,
    Func,
    Max,
    Min,
    OrderItem,
    Rank,
    Raw,
    RowNumber,
    Select,
    Star,
    Sum,
    TableInfo,
    Value,
    compile_select,
    escape_like,
    exists,
    raw,
)
from twinsql.sql.dialects import MYSQL, POSTGRESQL, SQLITE, Dialect

DIALECTS = [SQLITE, POSTGRESQL, MYSQL]
USERS = TableInfo("users", ("id", "name", "email", "age", "balance"), {}, "id")
ORDERS = TableInfo("orders", ("id", "user_id", "total"), {}, "id")
age, name, email, uid = Col("age"), Col("name"), Col("email"), Col("id")


def mysql_text(text: str) -> str:
    """A golden written with double quotes, as MySQL spells it (no " in the goldens)."""
    return text.replace('"', "`")


def where(cond: Condition, dialect: Dialect = SQLITE) -> tuple[str, list[Any]]:
    sql, params = compile_select(Select(USERS, columns=(uid,), where=cond), dialect)
    prefix = mysql_text('SELECT "id" FROM "users" WHERE ') if dialect is MYSQL else (
        'SELECT "id" FROM "users" WHERE ')  # fmt: skip
    assert sql.startswith(prefix), sql
    return sql[len(prefix) :], params


def column(expr: Expr, dialect: Dialect = SQLITE) -> tuple[str, list[Any]]:
    sql, params = compile_select(Select(USERS, columns=(expr,)), dialect)
    suffix = mysql_text(' FROM "users"') if dialect is MYSQL else ' FROM "users"'
    assert sql.startswith("SELECT ") and sql.endswith(suffix), sql
    return sql[len("SELECT ") : -len(suffix)], params


def check_all(cond: Condition, text: str, params: list[Any]) -> None:
    """The same golden on every dialect (MySQL with backticks)."""
    for dialect in DIALECTS:
        expected = mysql_text(text) if dialect is MYSQL else text
        assert where(cond, dialect) == (expected, params), dialect.name


# --- comparisons ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cond", "text", "params"),
    [
        (age == 18, '"age" = ?', [18]),
        (age != 18, '"age" <> ?', [18]),
        (age < 18, '"age" < ?', [18]),
        (age <= 18, '"age" <= ?', [18]),
        (age > 18, '"age" > ?', [18]),
        (age >= 18, '"age" >= ?', [18]),
        (18 < age, '"age" > ?', [18]),  # noqa: SIM300 - the reflected operator
        (18 == age, '"age" = ?', [18]),  # noqa: SIM300
        (age == uid, '"age" = "id"', []),
        (name == "x'; DROP TABLE users; --", '"name" = ?', ["x'; DROP TABLE users; --"]),
        (Col("balance") == True, '"balance" = ?', [True]),  # noqa: E712 - SQL, not Python
        (email == [1, 2], '"email" = ?', [[1, 2]]),
        (age == None, '"age" IS NULL', []),  # noqa: E711
        (age != None, '"age" IS NOT NULL', []),  # noqa: E711
        (age.is_null(), '"age" IS NULL', []),
        (age.is_not_null(), '"age" IS NOT NULL', []),
        (age.between(18, 30), '"age" BETWEEN ? AND ?', [18, 30]),
        (age.between(uid, 30), '"age" BETWEEN "id" AND ?', [30]),
        (Value(5) == age, '? = "age"', [5]),
    ],
)
def test_comparisons(cond: Condition, text: str, params: list[Any]) -> None:
    check_all(cond, text, params)


@pytest.mark.parametrize("op", ["<", "<=", ">", ">="])
def test_ordering_against_none_is_refused(op: str) -> None:
    with pytest.raises(ArgumentError, match="is_null"):
        eval(f"age {op} None", {"age": age})


# --- AND / OR / NOT --------------------------------------------------------------------------

a, b, c, d = age == 1, name == 2, email == 3, uid == 4


@pytest.mark.parametrize(
    ("cond", "text"),
    [
        (a & b, '"age" = ? AND "name" = ?'),
        (a | b, '"age" = ? OR "name" = ?'),
        (a & b & c, '"age" = ? AND "name" = ? AND "email" = ?'),
        ((a & b) & (c & d), '"age" = ? AND "name" = ? AND "email" = ? AND "id" = ?'),
        (a | b | c, '"age" = ? OR "name" = ? OR "email" = ?'),
        (a | b & c, '"age" = ? OR ("name" = ? AND "email" = ?)'),
        ((a | b) & c, '("age" = ? OR "name" = ?) AND "email" = ?'),
        (a & (b | c), '"age" = ? AND ("name" = ? OR "email" = ?)'),
        ((a | b) & (c | d), '("age" = ? OR "name" = ?) AND ("email" = ? OR "id" = ?)'),
        ((a & b) | (c & d), '("age" = ? AND "name" = ?) OR ("email" = ? AND "id" = ?)'),
        (~a, 'NOT ("age" = ?)'),
        (~(a & b), 'NOT ("age" = ? AND "name" = ?)'),
        (~(a | b) & c, 'NOT ("age" = ? OR "name" = ?) AND "email" = ?'),
        (~a | ~b, 'NOT ("age" = ?) OR NOT ("name" = ?)'),
        (~~a, '"age" = ?'),
        (a & ~(b | ~c), '"age" = ? AND NOT ("name" = ? OR NOT ("email" = ?))'),
    ],
)
def test_logic_and_parentheses(cond: Condition, text: str) -> None:
    n = text.count("?")
    sql, params = where(cond)
    assert sql == text
    assert len(params) == n
    assert where(cond, MYSQL)[0] == mysql_text(text)


def test_params_follow_text_order() -> None:
    cond = (age == 1) | ((name == 2) & ~(email == 3)) | uid.in_([4, 5]) & age.between(6, 7)
    sql, params = where(cond, POSTGRESQL)
    assert params == [1, 2, 3, 4, 5, 6, 7]
    assert sql.count("?") == 7


def test_conditions_have_no_truth_value() -> None:
    with pytest.raises(TypeError, match="no truth value"):
        bool(age > 1)
    with pytest.raises(TypeError, match="no truth value"):
        _ = (age > 1) and (age < 5)
    with pytest.raises(TypeError, match="no truth value"):
        bool(a & b)


def test_equality_truth_is_identity() -> None:
    x, y = Col("age"), Col("age")
    assert bool(x == x) and not bool(x == y)
    assert bool(x != y) and not bool(x != x)
    assert [x, y].index(y) == 1
    assert x in [y, x] and Col("age") not in [x, y]
    assert not bool(x == None)  # noqa: E711


def test_combining_with_non_conditions_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        _ = a & True
    with pytest.raises(TypeError):
        _ = a | age
    with pytest.raises(TypeError):
        _ = True & a


def test_raw_combines_either_side() -> None:
    assert where(a & raw("x = 1"))[0] == '"age" = ? AND (x = 1)'
    assert where(raw("x = 1") | a)[0] == '(x = 1) OR "age" = ?'


# --- IN ----------------------------------------------------------------------------------------


def test_in_list_and_tuple_and_generator() -> None:
    check_all(uid.in_([1, 2, 3]), '"id" IN (?, ?, ?)', [1, 2, 3])
    check_all(uid.in_((1,)), '"id" IN (?)', [1])
    check_all(uid.in_(x for x in (5, 6)), '"id" IN (?, ?)', [5, 6])
    check_all(uid.not_in([1, 2]), '"id" NOT IN (?, ?)', [1, 2])
    check_all(name.in_(["a", age]), '"name" IN (?, "age")', ["a"])


def test_in_empty_is_always_false_never_invalid() -> None:
    check_all(uid.in_([]), "1 = 0", [])
    check_all(uid.not_in([]), "1 = 1", [])
    check_all(~uid.in_(()), "NOT (1 = 0)", [])
    check_all(uid.in_([]) | (age == 1), '1 = 0 OR "age" = ?', [1])


def test_in_subquery() -> None:
    sub = Select(ORDERS, columns=(Col("user_id"),), where=Col("total") > 100)
    check_all(
        uid.in_(sub) & (age == 3),
        '"id" IN (SELECT "user_id" FROM "orders" WHERE "total" > ?) AND "age" = ?',
        [100, 3],
    )
    check_all(uid.not_in(sub), '"id" NOT IN (SELECT "user_id" FROM "orders" WHERE "total" > ?)',
              [100])  # fmt: skip


class FakeQuery:
    """What the ORM's Query does: expose its Select."""

    def __init__(self, select: Select) -> None:
        self.select = select

    def __twinsql_select__(self) -> Select:
        return self.select


def test_in_select_like_and_compound_and_scalar_subquery() -> None:
    sub = Select(ORDERS, columns=(Col("user_id"),))
    check_all(uid.in_(FakeQuery(sub)), '"id" IN (SELECT "user_id" FROM "orders")', [])
    union = Compound((("", sub), ("UNION", Select(ORDERS, columns=(Col("id"),)))))
    check_all(
        uid.in_(union),
        '"id" IN (SELECT "user_id" FROM "orders" UNION SELECT "id" FROM "orders")',
        [],
    )
    top = Select(ORDERS, columns=(Max("total"),), where=Col("user_id") == 7)
    check_all(
        age == FakeQuery(top),
        '"age" = (SELECT MAX("total") FROM "orders" WHERE "user_id" = ?)',
        [7],
    )


def test_select_like_that_lies_is_refused() -> None:
    class Liar:
        def __twinsql_select__(self) -> object:
            return {"sql": "1=1"}

    with pytest.raises(ArgumentError, match="expected a query"):
        uid.in_(Liar())


@pytest.mark.parametrize("values", ["abc", b"ab", 5, None, {"a": 1}, age])
def test_in_rejects_non_collections(values: object) -> None:
    with pytest.raises(ArgumentError):
        uid.in_(values)


# --- LIKE ----------------------------------------------------------------------------------------


def test_like_uses_the_pattern_as_given() -> None:
    check_all(name.like("a%_"), '"name" LIKE ?', ["a%_"])
    check_all(name.not_like("%x"), '"name" NOT LIKE ?', ["%x"])
    check_all(name.like(email), '"name" LIKE "email"', [])


@pytest.mark.parametrize(
    ("method", "text", "pattern"),
    [
        ("contains", "50%_off!", "%50!%!_off!!%"),
        ("startswith", "50%", "50!%%"),
        ("endswith", "_x", "%!_x"),
        ("contains", "", "%%"),
        ("contains", "a\\b", "%a\\b%"),  # a backslash is no escape with ESCAPE '!'
        ("startswith", "'; --", "'; --%"),
    ],
)
def test_like_helpers_escape_wildcards(method: str, text: str, pattern: str) -> None:
    check_all(getattr(name, method)(text), "\"name\" LIKE ? ESCAPE '!'", [pattern])


def test_escape_like() -> None:
    assert escape_like("!%_") == "!!!%!_"
    with pytest.raises(ArgumentError):
        escape_like(5)  # type: ignore[arg-type]


@pytest.mark.parametrize("method", ["like", "not_like", "contains", "startswith", "endswith"])
def test_like_rejects_non_strings(method: str) -> None:
    with pytest.raises(ArgumentError):
        getattr(name, method)(5)


# --- arithmetic, labels, leaves ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "text", "params"),
    [
        (Col("balance") - 10, '"balance" - ?', [10]),
        (10 - Col("balance"), '? - "balance"', [10]),
        (Col("balance") + age, '"balance" + "age"', []),
        (2 + age, '? + "age"', [2]),
        ((age - 1) - 2, '"age" - ? - ?', [1, 2]),
        (age - (uid - 2), '"age" - ("id" - ?)', [2]),
        ((age + 1) * 2, '("age" + ?) * ?', [1, 2]),
        (age * 2 + 1, '"age" * ? + ?', [2, 1]),
        (age / 2, '"age" / ?', [2]),
        (3 * age, '? * "age"', [3]),
        (1 / age, '? / "age"', [1]),
        (age / (uid * 2), '"age" / ("id" * ?)', [2]),
    ],
)
def test_arithmetic(expr: Expr, text: str, params: list[Any]) -> None:
    assert column(expr) == (text, params)
    assert column(expr, MYSQL) == (mysql_text(text), params)


def test_arithmetic_in_a_comparison() -> None:
    check_all(age + 1 > uid * 2, '"age" + ? > "id" * ?', [1, 2])


def test_label() -> None:
    assert column(age.label("years")) == ('"age" AS "years"', [])
    assert column(age.label("years"), MYSQL) == ("`age` AS `years`", [])
    assert column((age + 1).label("next")) == ('"age" + ? AS "next"', [1])
    assert column(age.label("x").label("y")) == ('"age" AS "y"', [])
    # outside a select list a label stands for its expression
    check_all(age.label("years") > 3, '"age" > ?', [3])


def test_value_and_star() -> None:
    assert column(Value("v").label("c")) == ('? AS "c"', ["v"])
    assert column(Star()) == ("*", [])
    with pytest.raises(ArgumentError):
        Value(age)


def test_col_checks() -> None:
    with pytest.raises(InvalidIdentifierError):
        Col("")
    with pytest.raises(InvalidIdentifierError):
        Col(5)  # type: ignore[arg-type]
    with pytest.raises(InvalidIdentifierError, match="known fields: id, user_id, total"):
        Col("nope", table=ORDERS)
    with pytest.raises(ArgumentError):
        Col("id", table="orders")  # type: ignore[arg-type]
    with pytest.raises(InvalidIdentifierError):
        Col("id", table_alias="")


def test_unknown_field_is_reported_at_compile_time() -> None:
    with pytest.raises(InvalidIdentifierError) as info:
        where(Col("nope") == 1)
    assert "unknown field 'nope' on users; known fields: id, name, email, age, balance" in str(
        info.value
    )


def test_nodes_are_immutable_and_hash_by_identity() -> None:
    col = Col("age")
    with pytest.raises(AttributeError):
        col.field = "x"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del col.field  # type: ignore[misc]
    cond = col > 1
    with pytest.raises(AttributeError):
        cond.op = "<"  # type: ignore[attr-defined]
    assert {col: 1}[col] == 1
    assert len({Col("age"), Col("age")}) == 2
    assert "Col(field='age'" in repr(col)


# --- functions and windows --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "text", "params"),
    [
        (Count(), "COUNT(*)", []),
        (Count("id"), 'COUNT("id")', []),
        (Count("email", distinct=True), 'COUNT(DISTINCT "email")', []),
        (Sum("balance"), 'SUM("balance")', []),
        (Avg(age), 'AVG("age")', []),
        (Avg("age", distinct=True), 'AVG(DISTINCT "age")', []),
        (Min("age"), 'MIN("age")', []),
        (Max(age + 1), 'MAX("age" + ?)', [1]),
        (Func("lower", "name"), 'lower("name")', []),
        (Func("coalesce", "name", Value("anon")), 'coalesce("name", ?)', ["anon"]),
        (Func("round", "balance", 2), 'round("balance", ?)', [2]),
        (Func("now"), "now()", []),
        (Func("COUNT", "*"), "COUNT(*)", []),
        (Count().label("n"), 'COUNT(*) AS "n"', []),
    ],
)
def test_functions(expr: Expr, text: str, params: list[Any]) -> None:
    assert column(expr) == (text, params)
    assert column(expr, MYSQL) == (mysql_text(text), params)


def test_function_in_having_style_condition() -> None:
    check_all(Count() > 5, "COUNT(*) > ?", [5])


@pytest.mark.parametrize("bad", ["count(*) --", "sum(", "a b", "x;y", "", "1abc", "lower\n", None])
def test_function_names_are_allow_listed(bad: object) -> None:
    with pytest.raises(ArgumentError, match="function name"):
        Func(bad)  # type: ignore[arg-type]


def test_distinct_needs_an_argument() -> None:
    with pytest.raises(ArgumentError):
        Count("*", distinct=True)
    with pytest.raises(ArgumentError):
        Func("count", distinct=True)


def test_function_field_arguments_are_checked() -> None:
    with pytest.raises(InvalidIdentifierError, match="known fields"):
        column(Sum("nope"))
    with pytest.raises(ArgumentError):
        Sum(5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("expr", "text"),
    [
        (Count("id").over("age", "-balance"),
         'COUNT("id") OVER (PARTITION BY "age" ORDER BY "balance" DESC)'),
        (RowNumber().over(order_by="name"), 'ROW_NUMBER() OVER (ORDER BY "name")'),
        (Rank().over(partition_by=["age", "email"], order_by=[age.desc(), "id"]),
         'RANK() OVER (PARTITION BY "age", "email" ORDER BY "age" DESC, "id")'),
        (DenseRank().over(), "DENSE_RANK() OVER ()"),
        (Sum("balance").over(order_by="id", frame="rows between unbounded preceding and "
                                                  "current row"),
         'SUM("balance") OVER (ORDER BY "id" ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)'),
        (Avg("age").over(order_by="id", frame="RANGE  2 preceding"),
         'AVG("age") OVER (ORDER BY "id" RANGE 2 PRECEDING)'),
        (Sum("age").over("email", frame="ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING"),
         'SUM("age") OVER (PARTITION BY "email" ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING)'),
        (Count("id").over("age").label("c"), 'COUNT("id") OVER (PARTITION BY "age") AS "c"'),
    ],
)  # fmt: skip
def test_windows(expr: Expr, text: str) -> None:
    assert column(expr) == (text, [])
    assert column(expr, POSTGRESQL) == (text, [])
    assert column(expr, MYSQL) == (mysql_text(text), [])


def test_window_nulls_order_per_dialect() -> None:
    expr = RowNumber().over(order_by=age.desc(nulls="last"))
    assert column(expr, POSTGRESQL)[0] == 'ROW_NUMBER() OVER (ORDER BY "age" DESC NULLS LAST)'
    assert column(expr, SQLITE)[0] == 'ROW_NUMBER() OVER (ORDER BY "age" DESC NULLS LAST)'
    assert column(expr, MYSQL)[0] == "ROW_NUMBER() OVER (ORDER BY `age` IS NULL, `age` DESC)"


@pytest.mark.parametrize(
    "frame",
    [
        "ROWS BETWEEN 1 PRECEDING AND CURRENT ROW; DROP TABLE t",
        "ROWS UNBOUNDED",
        "ROWS -1 PRECEDING",
        "ROWS (SELECT 1) PRECEDING",
        "GROUPS CURRENT ROW",
        "ROWS BETWEEN CURRENT ROW AND CURRENT ROW --",
        "",
        5,
    ],
)
def test_window_frames_are_allow_listed(frame: object) -> None:
    with pytest.raises(ArgumentError, match="window frame"):
        Count().over(frame=frame)  # type: ignore[arg-type]


def test_window_order_strings_are_fields() -> None:
    with pytest.raises(InvalidIdentifierError):
        column(RowNumber().over(order_by="id desc"))
    with pytest.raises(ArgumentError):
        RowNumber().over(order_by=5)  # type: ignore[arg-type]


# --- ordering items ------------------------------------------------------------------------------


def test_order_items() -> None:
    assert age.desc() == OrderItem(age, True, None)
    assert age.asc(nulls="first") == OrderItem(age, False, "first")
    assert age.desc().nulls_last().nulls == "last"
    assert age.asc().nulls_first().nulls == "first"
    with pytest.raises(ArgumentError):
        OrderItem(age, nulls="middle")  # type: ignore[arg-type]
    with pytest.raises(ArgumentError):
        OrderItem("age")  # type: ignore[arg-type]
    with pytest.raises(ArgumentError):
        OrderItem(age, descending="yes")  # type: ignore[arg-type]


# --- EXISTS --------------------------------------------------------------------------------------


def test_exists_correlated() -> None:
    sub = Select(ORDERS, columns=(Value(1),), where=Col("user_id") == Col("id", table=USERS))
    check_all(
        exists(sub) & ~exists(FakeQuery(sub)),
        'EXISTS (SELECT ? FROM "orders" WHERE "user_id" = "users"."id") AND '
        'NOT (EXISTS (SELECT ? FROM "orders" WHERE "user_id" = "users"."id"))',
        [1, 1],
    )


# --- Raw fragments -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fragment", "text", "params"),
    [
        (raw("age > ?", 18), "age > ?", [18]),
        (raw("age > ? AND age < ?", 18, 30), "age > ? AND age < ?", [18, 30]),
        (raw("x = ?", (1,)), "x = ?", [1]),
        (raw("x = ? AND y = ?", (1, 2)), "x = ? AND y = ?", [1, 2]),
        (raw("x = ANY(?)", [1, 2]), "x = ANY(?)", [[1, 2]]),  # a single list is one value
        (raw("x = :n", {"n": 1}), "x = ?", [1]),
        (raw("x = :n AND y = :m OR z = :n", {"m": 2, "n": 1}), "x = ? AND y = ? OR z = ?",
         [1, 2, 1]),
        (Raw("x = ? OR y = ?", [1, 2]), "x = ? OR y = ?", [1, 2]),
        (Raw("x = :a", {"a": None}), "x = ?", [None]),
        (raw("name = 'what?' AND id = ?", 1), "name = 'what?' AND id = ?", [1]),
        (raw("name = ':notaparam' AND id = :id", {"id": 1}), "name = ':notaparam' AND id = ?",
         [1]),
        (raw("a::text = :v", {"v": "x"}), "a::text = ?", ["x"]),
        (raw("pct LIKE '%x' AND id = :id", {"id": 1}), "pct LIKE '%x' AND id = ?", [1]),
        (raw("id = ? -- trailing note", 1), "id = ? -- trailing note\n", [1]),
        (raw("1 = 1"), "1 = 1", []),
    ],
)  # fmt: skip
def test_raw_fragments(fragment: Raw, text: str, params: list[Any]) -> None:
    for dialect in DIALECTS:
        assert where(fragment, dialect) == (text, params), dialect.name


def test_raw_keeps_double_question_mark_for_the_connection_layer() -> None:
    fragment = raw("data ?? 'k' AND id = :id AND note = 'a??b'", {"id": 3})
    assert where(fragment, POSTGRESQL) == ("data ?? 'k' AND id = ? AND note = 'a??b'", [3])
    fragment = raw("data ??| ? AND x = ?", ["a"], 2)
    assert where(fragment, POSTGRESQL) == ("data ??| ? AND x = ?", [["a"], 2])


def test_raw_is_parenthesised_when_nested_only() -> None:
    fragment = raw("a = 1 OR b = 2")
    assert where(fragment)[0] == "a = 1 OR b = 2"
    assert where(fragment & (age == 1))[0] == '(a = 1 OR b = 2) AND "age" = ?'
    assert where(~fragment)[0] == "NOT (a = 1 OR b = 2)"
    assert column(raw("COUNT(*)")) == ("COUNT(*)", [])


@pytest.mark.parametrize(
    ("sql", "params", "error", "message"),
    [
        ("a = ?", (), ParameterError, "1 placeholder"),
        ("a = ?", (1, 2), ParameterError, "2 parameters"),
        ("a = :x", {"y": 1}, ParameterError, "missing parameters: x"),
        ("a = :x", {"x": 1, "y": 2}, ParameterError, "unexpected parameters"),
        ("a = :x", (1,), ParameterError, "mapping"),
        ("a = ? AND b = :x", (1,), ParameterError, "mixes"),
        ("a = ?1", (1,), ParameterError, "numbered"),
        ("a = 1; DROP TABLE users", None, ArgumentError, "must not contain ';'"),
        ("a = 1; DROP TABLE users; --", None, ArgumentError, "must not contain ';'"),
        ("a = 1;", None, ArgumentError, "must not contain ';'"),
        ("a = 'unterminated AND b = ?", (1,), ArgumentError, "unterminated"),
        ("a = 1 /* open comment", None, ArgumentError, "unterminated"),
        ("", None, ArgumentError, "empty"),
        ("   ", None, ArgumentError, "empty"),
    ],
)
def test_raw_errors_at_construction(
    sql: str, params: Any, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        Raw(sql, params)


def test_raw_error_shows_the_callers_sql() -> None:
    with pytest.raises(ParameterError) as info:
        Raw("a ?? b AND c = ?", ())
    assert info.value.sql == "a ?? b AND c = ?"


def test_raw_rejects_non_str() -> None:
    with pytest.raises(ArgumentError):
        Raw(b"a = 1")  # type: ignore[arg-type]


def test_raw_lexed_per_dialect() -> None:
    # MySQL reads \' inside a string as an escaped quote; the others end the string there.
    fragment = raw("name = 'it\\'s' AND id = ?", 1)
    assert where(fragment, MYSQL) == ("name = 'it\\'s' AND id = ?", [1])
    with pytest.raises(ArgumentError):
        where(fragment, SQLITE)
    with pytest.raises(ArgumentError):
        where(fragment, POSTGRESQL)
    # "#" starts a comment on MySQL only
    hashed = raw("data #> '{a}' = ?", "x")
    assert where(hashed, POSTGRESQL) == ("data #> '{a}' = ?\n", ["x"])
    with pytest.raises(ParameterError):
        where(hashed, MYSQL)
    hashed_param = raw("x = 1 # ?", 1)
    assert where(hashed_param, SQLITE) == ("x = 1 # ?\n", [1])
    with pytest.raises(ParameterError, match="no placeholders"):
        where(hashed_param, MYSQL)


def test_objects_cannot_pose_as_raw_sql() -> None:
    class Impostor:
        sql = "1 = 1"
        params = ()

        def _render(self, ctx: object) -> str:
            return "1 = 1"

    for fake in ({"sql": "1 = 1"}, Impostor(), "1 = 1"):
        with pytest.raises(ArgumentError, match="condition"):
            Select(USERS, where=fake)  # type: ignore[arg-type]
        # as a value it is only ever a bound parameter
        text, params = where(name == fake)
        assert text == '"name" = ?' and params == [fake]


def test_copy_is_identity_and_pickle_round_trips() -> None:
    import copy
    import pickle

    cond = (age > 3) & raw("x = :a", {"a": 1}) & uid.in_([1, 2]) | ~name.contains("%")
    assert copy.copy(cond) is cond and copy.deepcopy(cond) is cond
    again = pickle.loads(pickle.dumps(cond))
    assert again is not cond
    for dialect in DIALECTS:
        assert where(again, dialect) == where(cond, dialect)
