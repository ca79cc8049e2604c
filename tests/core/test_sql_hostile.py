"""Hostile input against the SQL builder: identifier
payloads in every identifier-taking place raise a clear error before any I/O; values of any
content only ever travel as bound parameters (hypothesis: the SQL text does not depend on
them); allow-lists hold for function names, frames, lock options, join kinds, compound
operators, LIMIT / OFFSET."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from twinsql.errors import ArgumentError, InvalidIdentifierError
from twinsql.sql import (
    CTE,
    Col,
    Compound,
    Count,
    ForUpdate,
    Func,
    Join,
    OnConflict,
    Select,
    Sum,
    TableInfo,
    Value,
    compile_aggregate,
    compile_delete,
    compile_insert,
    compile_select,
    compile_update,
    order_item,
    raw,
)
from twinsql.sql.dialects import MYSQL, POSTGRESQL, SQLITE, Dialect

DIALECTS = [SQLITE, POSTGRESQL, MYSQL]
USERS = TableInfo("users", ("id", "name", "email", "age"), {}, "id")
ORDERS = TableInfo("orders", ("id", "user_id", "total"), {}, "id")

# Injection payloads, control characters and over-long names, plus SQLAlchemy's
# DifficultParametersTest names
PAYLOADS = [
    "id; DROP TABLE t --",
    '"x"',
    "`x`",
    'x"; DROP TABLE canary; --',
    "x`; DROP TABLE canary; --",
    'a" OR 1=1 --',
    "id desc",
    "id DESC; --",
    "%",
    "%(x)s",
    "?",
    "$1",
    ":name",
    "#",
    "--",
    "/*",
    "id\n",
    "id\x00",
    "x" * 10_000,
    "іd",  # Cyrillic і: looks like "id"
    "per % cent",
    "col:ons",
    "[BracketsAndCase]",
    "q?marks",
    "dot.s",
    "",
    " id",
]
ids = [repr(p[:20]) for p in PAYLOADS]


def compile_all(query: Select) -> None:
    for dialect in DIALECTS:
        compile_select(query, dialect)


# --- identifiers -----------------------------------------------------------------------------


@pytest.mark.parametrize("payload", PAYLOADS, ids=ids)
def test_field_payloads_are_refused_everywhere(payload: str) -> None:
    def refused(build: Callable[[], Any]) -> None:
        with pytest.raises(InvalidIdentifierError):
            query = build()
            if isinstance(query, Select):
                compile_all(query)

    refused(lambda: Select(USERS, where=Col(payload) == 1))
    refused(lambda: Select(USERS, columns=(Col(payload),)))
    refused(lambda: Col(payload, table=USERS))
    refused(lambda: order_item(payload, USERS))
    refused(lambda: order_item("-" + payload, USERS))
    refused(lambda: Select(USERS, columns=(Count(payload),)))
    refused(lambda: Select(USERS, columns=(Func("lower", payload),)))
    refused(lambda: Select(USERS, group_by=(Col(payload),)))
    refused(lambda: Select(USERS, columns=(Count().over(payload),)))
    refused(lambda: Select(USERS, columns=(Count().over(order_by=payload),)))
    refused(lambda: Select(USERS, columns=(Sum("age").over(order_by="-" + payload),)))
    refused(lambda: compile_insert(USERS, ("name", payload), 1, SQLITE))
    refused(lambda: compile_insert(USERS, ("name",), 1, POSTGRESQL, returning=(payload,)))
    refused(lambda: compile_insert(USERS, ("name",), 1, SQLITE,
                                   on_conflict=OnConflict((payload,), "nothing")))  # fmt: skip
    refused(lambda: compile_update(USERS, {payload: 1}, None, MYSQL))
    refused(lambda: compile_delete(USERS, Col(payload) == 1, SQLITE))
    join = Join("INNER", ORDERS, Col("user_id", table=ORDERS) == Col("id"))
    refused(lambda: Select(USERS, columns=(Col(payload, table_alias="orders"),), joins=(join,)))


@pytest.mark.parametrize("payload", PAYLOADS, ids=ids)
def test_alias_payloads_are_refused_or_quoted(payload: str) -> None:
    """Aliases, aggregate names, CTE names and join aliases must be plain identifiers."""
    on = Col("user_id", table=ORDERS) == Col("id")
    builders: list[Callable[[], Any]] = [
        lambda: Select(USERS, columns=(Col("id").label(payload),)),
        lambda: Select(USERS, ctes=(CTE(payload, Select(USERS)),)),
        lambda: Select(USERS, ctes=(CTE("c", Select(USERS), columns=(payload,)),)),
        lambda: Select(USERS, joins=(Join("INNER", ORDERS, on, payload),)),
        lambda: Select(USERS, from_cte=payload),
    ]
    for build in builders:
        if payload.isidentifier() and len(payload) < 64:
            compile_all(build())  # a real identifier (the Cyrillic look-alike) is quoted
        else:
            with pytest.raises(InvalidIdentifierError):
                compile_all(build())
    if payload.isidentifier() and len(payload) < 64:
        compile_aggregate(Select(USERS), {payload: Count()}, MYSQL)
    else:
        with pytest.raises(InvalidIdentifierError):
            compile_aggregate(Select(USERS), {payload: Count()}, MYSQL)


def test_look_alike_alias_is_quoted() -> None:
    sql, _ = compile_select(Select(USERS, columns=(Col("id").label("іd"),)), POSTGRESQL)
    assert sql == 'SELECT "id" AS "іd" FROM "users"'


@pytest.mark.parametrize("payload", PAYLOADS, ids=ids)
def test_function_name_payloads(payload: str) -> None:
    with pytest.raises(ArgumentError, match="function name"):
        Func(payload)


@pytest.mark.parametrize("payload", PAYLOADS, ids=ids)
def test_lock_and_keyword_payloads(payload: str) -> None:
    locked = Select(USERS, for_update=ForUpdate(of=(payload,)))
    with pytest.raises(ArgumentError):
        compile_select(locked, POSTGRESQL)
    with pytest.raises(ArgumentError):
        Join(payload, ORDERS, Col("user_id", table=ORDERS) == Col("id"))  # type: ignore[arg-type]
    with pytest.raises(ArgumentError):
        Compound((("", Select(USERS)), (payload, Select(USERS))))
    with pytest.raises(ArgumentError):
        OnConflict(("email",), payload)  # type: ignore[arg-type]
    with pytest.raises(ArgumentError):
        Count().over(frame=payload)


@pytest.mark.parametrize("bad", ["10", "10; DROP TABLE users", True, -1, 1.5, None.__class__])
def test_limit_offset_payloads(bad: object) -> None:
    with pytest.raises(ArgumentError):
        Select(USERS, limit=bad)  # type: ignore[arg-type]
    with pytest.raises(ArgumentError):
        Select(USERS, offset=bad)  # type: ignore[arg-type]


def test_hostile_table_metadata_is_quoted_not_interpreted() -> None:
    evil = TableInfo('t"; DROP TABLE canary; --', ("id", "x"), {"x": "c`; DROP TABLE canary; --"})
    assert compile_select(Select(evil, where=Col("x") == 1), POSTGRESQL) == (
        'SELECT "id", "c`; DROP TABLE canary; --" AS "x" FROM "t""; DROP TABLE canary; --" '
        'WHERE "c`; DROP TABLE canary; --" = ?',
        [1],
    )
    assert compile_select(Select(evil, where=Col("x") == 1), MYSQL) == (
        'SELECT `id`, `c``; DROP TABLE canary; --` AS `x` FROM `t"; DROP TABLE canary; --` '
        "WHERE `c``; DROP TABLE canary; --` = ?",
        [1],
    )


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(min_size=0, max_size=40))
def test_any_unknown_field_name_is_refused(name: str) -> None:
    assume(name not in USERS.columns)
    message = "known fields: id, name, email, age" if name else "non-empty"
    with pytest.raises(InvalidIdentifierError, match=message):
        compile_select(Select(USERS, where=Col(name) == 1), SQLITE)
    with pytest.raises(InvalidIdentifierError):
        order_item(name, USERS)


@settings(max_examples=200)
@given(st.text(min_size=0, max_size=40))
def test_any_alias_is_an_identifier_or_refused(alias: str) -> None:
    try:
        sql, _ = compile_select(Select(USERS, columns=(Count().label(alias),)), MYSQL)
    except InvalidIdentifierError:
        if alias.isidentifier():  # then MySQL itself cannot hold it (non-BMP, too long)
            with pytest.raises(InvalidIdentifierError):
                MYSQL.quote_identifier(alias)
    else:
        assert alias.isidentifier()
        assert sql == f"SELECT COUNT(*) AS {MYSQL.quote_identifier(alias)} FROM `users`"


# --- values ---------------------------------------------------------------------------------------

# Each builder puts the value in a different place of a statement.
Builder = Callable[[Any, Dialect], tuple[str, list[Any]]]
ANY_VALUE: list[Builder] = [
    lambda v, d: compile_select(Select(USERS, where=Col("name") == v), d),
    lambda v, d: compile_select(Select(USERS, where=Col("name") != v), d),
    lambda v, d: compile_select(Select(USERS, where=Col("age") > v), d),
    lambda v, d: compile_select(Select(USERS, where=Col("name").in_([v, v])), d),
    lambda v, d: compile_select(Select(USERS, where=Col("id").not_in([1, v])), d),
    lambda v, d: compile_select(Select(USERS, where=Col("age").between(v, v)), d),
    lambda v, d: compile_select(Select(USERS, columns=(Value(v).label("v"),)), d),
    lambda v, d: compile_select(Select(USERS, columns=(Func("coalesce", "name", Value(v)),)), d),
    lambda v, d: compile_select(Select(USERS, where=raw("name = ? OR email = ?", v, v)), d),
    lambda v, d: compile_select(Select(USERS, where=raw("name = :v", {"v": v})), d),
    lambda v, d: compile_select(Select(USERS, having=Count() > v, group_by=(Col("age"),)), d),
    lambda v, d: compile_update(USERS, {"name": v, "age": Col("age") + v}, Col("id") == v, d),
    lambda v, d: compile_delete(USERS, (Col("email") == v) | (Col("name") < v), d),
]
TEXT_ONLY: list[Builder] = [
    lambda v, d: compile_select(Select(USERS, where=Col("name").like(v)), d),
    lambda v, d: compile_select(Select(USERS, where=Col("name").not_like(v)), d),
    lambda v, d: compile_select(Select(USERS, where=Col("name").contains(v)), d),
    lambda v, d: compile_select(Select(USERS, where=Col("name").startswith(v)), d),
    lambda v, d: compile_select(Select(USERS, where=Col("name").endswith(v)), d),
]

values = st.one_of(
    st.text(),
    st.binary(),
    st.integers(),
    st.floats(allow_nan=False),
    st.booleans(),
    st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3),
    st.sampled_from(["'; DROP TABLE users; --", "x' OR '1'='1", "?", "??", ":v", "%s", "$1",
                     "\\'", "\x00", '"', "`", "/*", "-- ", "#", "%", "_", "!"]),
)  # fmt: skip


def check_value(builder: Builder, value: Any, template: Any) -> None:
    for dialect in DIALECTS:
        expected_sql, _ = builder(template, dialect)
        sql, params = builder(value, dialect)
        assert sql == expected_sql  # the text does not depend on the value
        assert any(p is value for p in params)
        if isinstance(value, str) and len(value) >= 3 and value not in expected_sql:
            assert value not in sql


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(values, st.sampled_from(range(len(ANY_VALUE))))
def test_values_are_always_bound(value: Any, index: int) -> None:
    check_value(ANY_VALUE[index], value, 0)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(), st.sampled_from(range(len(TEXT_ONLY))))
def test_like_values_are_always_bound(value: str, index: int) -> None:
    builder = TEXT_ONLY[index]
    for dialect in DIALECTS:
        expected_sql, _ = builder("x", dialect)
        sql, params = builder(value, dialect)
        assert sql == expected_sql
        assert len(params) == 1 and value.replace("!", "") in params[0].replace("!", "")


@settings(max_examples=100)
@given(st.lists(st.integers() | st.text(), min_size=0, max_size=30))
def test_in_lists_bind_every_value(items: list[Any]) -> None:
    sql, params = compile_select(Select(USERS, where=Col("id").in_(items)), POSTGRESQL)
    assert params == items
    assert sql.count("?") == len(items)
    if not items:
        assert sql.endswith("WHERE 1 = 0")


@settings(max_examples=100)
@given(st.integers(min_value=0, max_value=2**63 - 1), st.integers(min_value=0, max_value=2**63 - 1))
def test_limits_are_bound(limit: int, offset: int) -> None:
    for dialect in DIALECTS:
        sql, params = compile_select(Select(USERS, limit=limit, offset=offset), dialect)
        assert sql.endswith(" LIMIT ? OFFSET ?") and params == [limit, offset]
