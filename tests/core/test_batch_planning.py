"""The batch planner and the statement queue (no database)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twinsql.batch.intake import Intake
from twinsql.batch.ledger import Ledger
from twinsql.batch.plan import (
    Batch,
    Limits,
    PlanOptions,
    adjusted_max_bytes,
    plan_batch,
)
from twinsql.batch.queue import StatementQueue
from twinsql.batch.statements import analyze
from twinsql.sql.placeholders import compile_sql

INSERT = "INSERT INTO t (a, b) VALUES (?, ?)"
UPDATE = "UPDATE t SET b = ? WHERE a = ?"


def queue_of(statements: list[Any], style: str = "qmark", lexer: str = "sqlite") -> StatementQueue:
    queue = StatementQueue()
    intake = Intake(Ledger(), queue, style=style, lexer=lexer, transactional_ddl=lexer != "mysql",  # type: ignore[arg-type]
                    max_params=65535, max_query_size=None)  # fmt: skip
    assert intake.feed(iter(statements), None, False)
    return queue


def drain(queue: StatementQueue, limits: Limits, options: PlanOptions) -> list[Batch]:
    batches = []
    while queue:
        batch = plan_batch(queue, 0, limits, options)
        assert batch.reject is None and batch.units
        batches.append(batch)
        queue.pop_front(batch.count)
    return batches


def test_consecutive_inserts_merge_in_order_around_other_statements() -> None:
    queue = queue_of([(INSERT, (1, "a")), (INSERT, (2, "b")), (UPDATE, ("x", 1)),
                      (INSERT, (3, "c"))], "numeric", "postgresql")  # fmt: skip
    batches = drain(queue, Limits(10**6, 1000), PlanOptions(style="numeric"))
    assert len(batches) == 1
    units = batches[0].units
    assert [(u.kind, list(u.indices)) for u in units] == [
        ("values", [0, 1]), ("single", [2]), ("single", [3])
    ]  # fmt: skip
    assert units[0].sql == "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)"
    assert units[0].params == [1, "a", 2, "b"]
    assert units[1].sql == compile_sql(UPDATE, "numeric", "postgresql").text


def test_a_repeated_name_in_numeric_style_numbers_each_merged_row_by_its_values() -> None:
    """``(:x, :y, :x)`` binds two values per row in numeric style: the second row's marks
    are $3, $4, $3 (not $4, $5, $4)."""
    sql = "INSERT INTO t (a, b, c) VALUES (:x, :y, :x)"
    queue = queue_of([(sql, {"x": i, "y": -i}) for i in range(3)], "numeric", "postgresql")
    batch = plan_batch(queue, 0, Limits(10**6, 5), PlanOptions(style="numeric"))
    # max_params 5 counts values, not marks: two rows (4 values) per statement
    assert [(u.kind, u.sql, u.params) for u in batch.units] == [
        ("values", "INSERT INTO t (a, b, c) VALUES ($1, $2, $1), ($3, $4, $3)", [0, 0, 1, -1]),
        ("single", "INSERT INTO t (a, b, c) VALUES ($1, $2, $1)", (2, -2)),
    ]


def test_identical_non_inserts_use_executemany_when_allowed() -> None:
    statements = [(UPDATE, (str(i), i)) for i in range(5)]
    units = drain(queue_of(statements), Limits(10**6, 1000), PlanOptions(style="qmark"))[0].units
    assert [(u.kind, u.count) for u in units] == [("many", 5)]
    assert units[0].params == [(str(i), i) for i in range(5)]  # as submitted
    units = drain(queue_of(statements), Limits(10**6, 1000),
                  PlanOptions(style="qmark", executemany=False))[0].units  # fmt: skip
    assert [u.kind for u in units] == ["single"] * 5


def test_no_executemany_for_mysql_inserts() -> None:
    """PyMySQL would merge them with a regex over the text: sent one by one instead."""
    statements = [(INSERT, (i, "x")) for i in range(3)]
    options = PlanOptions(style="format", merge_inserts=False, executemany_inserts=False)
    units = drain(queue_of(statements, "format", "mysql"), Limits(10**6, 1000), options)[0].units
    assert [u.kind for u in units] == ["single"] * 3
    updates = [(UPDATE, ("x", i)) for i in range(3)]
    units = drain(queue_of(updates, "format", "mysql"), Limits(10**6, 1000), options)[0].units
    assert [u.kind for u in units] == ["many"]


def test_batches_respect_the_byte_budget() -> None:
    statements = [(INSERT, (i, "x" * 50)) for i in range(100)]
    size = analyze(INSERT, "qmark", "sqlite").base + 8 + 50
    batches = drain(queue_of(statements), Limits(size * 10, 1000), PlanOptions(style="qmark"))
    assert [b.count for b in batches] == [10] * 10
    assert all(b.size <= size * 10 for b in batches)


def test_parameter_limit_splits_multi_row_statements() -> None:
    statements = [(INSERT, (i, "x")) for i in range(25)]
    units = drain(queue_of(statements), Limits(10**6, 10), PlanOptions(style="qmark"))[0].units
    assert [u.count for u in units] == [5] * 5
    assert all(len(u.params) <= 10 for u in units)


def test_statement_byte_limit_splits_multi_row_statements() -> None:
    statements = [(INSERT, (i, "x" * 100)) for i in range(30)]
    limits = Limits(10**6, 1000, max_statement_bytes=1000)
    units = drain(queue_of(statements), limits, PlanOptions(style="qmark"))[0].units
    assert sum(u.count for u in units) == 30 and len(units) > 1
    for unit in units:
        assert len(unit.sql) + sum(len(v) for v in unit.params if isinstance(v, str)) <= 1000


def test_mysql_bound_assumes_escaping() -> None:
    statements = [(INSERT, (i, "x" * 100)) for i in range(30)]
    limits = Limits(10**6, 1000, max_statement_bytes=3000, interpolated=True)
    units = drain(queue_of(statements, "format", "mysql"), limits, PlanOptions(style="format"))[
        0
    ].units
    assert max(u.count for u in units) <= 3  # 8 × 100 bytes a row, assumed


def test_statement_over_a_hard_limit_is_refused_before_sending() -> None:
    queue = queue_of([(INSERT, (1, "a")), (INSERT, (2, "x" * 5000)), (INSERT, (3, "c"))])
    limits = Limits(10**6, 1000, max_statement_bytes=1000)
    first = plan_batch(queue, 0, limits, PlanOptions(style="qmark"))
    assert first.reject is None and first.count == 1  # the batch ends before the big one
    queue.pop_front(1)
    second = plan_batch(queue, 0, limits, PlanOptions(style="qmark"))
    assert second.reject is not None and second.reject[0] == 1
    assert "5" in str(second.reject[1]) and second.units == []
    queue.remove(1)
    assert plan_batch(queue, 0, limits, PlanOptions(style="qmark")).count == 1


def test_too_many_parameters_for_the_session_is_refused() -> None:
    queue = queue_of([(INSERT, (1, "a"))])
    batch = plan_batch(queue, 0, Limits(10**6, 1), PlanOptions(style="qmark"))
    assert batch.reject is not None and "parameters" in str(batch.reject[1])


def test_copy_for_long_plain_runs_only() -> None:
    statements = [(INSERT, (i, "x")) for i in range(150)]
    options = PlanOptions(style="format", copy=True, copy_min_rows=100)
    units = drain(queue_of(statements, "format", "postgresql"), Limits(10**6, 65535), options)[
        0
    ].units
    assert [(u.kind, u.count) for u in units] == [("copy", 150)]
    assert units[0].sql == "COPY t (a, b) FROM STDIN"
    assert units[0].params[0] == (0, "x")
    short = drain(queue_of(statements[:50], "format", "postgresql"), Limits(10**6, 65535), options)
    assert [u.kind for u in short[0].units] == ["values"]


def test_a_refused_copy_changes_only_the_plans_of_the_batcher_that_saw_it() -> None:
    """Two batchers' queues share the cached analysis of one statement; the COPY refusal
    one of them records (its own copy_refused set) leaves the other's plan unchanged."""
    statements = [(INSERT, (i, "x")) for i in range(150)]
    first = queue_of(statements, "format", "postgresql")
    second = queue_of(statements, "format", "postgresql")
    assert next(first.segments())[0].shape is next(second.segments())[0].shape  # one cached Shape
    refused: set[str] = set()
    first_options = PlanOptions(style="format", copy=True, copy_refused=refused)
    second_options = PlanOptions(style="format", copy=True, copy_refused=set())
    limits = Limits(10**6, 65535)
    assert [u.kind for u in plan_batch(first, 0, limits, first_options).units] == ["copy"]
    refused.add(INSERT)  # what the runner does when the server refuses the COPY
    assert {u.kind for u in plan_batch(first, 0, limits, first_options).units} == {"values"}
    assert [u.kind for u in plan_batch(second, 0, limits, second_options).units] == ["copy"]


def test_batch_mode_off_sends_one_statement_per_batch() -> None:
    statements = [(INSERT, (i, "x")) for i in range(3)]
    batches = drain(queue_of(statements), Limits(10**6, 1000),
                    PlanOptions(style="qmark", batch_mode=False))  # fmt: skip
    assert [b.count for b in batches] == [1, 1, 1]


def test_singles_only_for_results() -> None:
    statements = [(INSERT, (i, "x")) for i in range(3)]
    units = drain(queue_of(statements), Limits(10**6, 1000),
                  PlanOptions(style="qmark", singles_only=True))[0].units  # fmt: skip
    assert [u.kind for u in units] == ["single"] * 3


def test_implicit_commit_statement_runs_alone() -> None:
    statements = [(INSERT, (1, "a")), "CREATE TABLE x (a INT)", (INSERT, (2, "b"))]
    batches = drain(queue_of(statements, "format", "mysql"), Limits(10**6, 1000),
                    PlanOptions(style="format"))  # fmt: skip
    assert [(b.count, b.autocommit) for b in batches] == [(1, False), (1, True), (1, False)]


def test_literal_inserts_of_a_dump_merge_into_one_statement() -> None:
    statements = ["INSERT INTO t VALUES (1, 'a;b')", "INSERT INTO t VALUES (2, 'it''s')",
                  "INSERT INTO t VALUES (3, lower('X'))", "DELETE FROM t WHERE a = 9",
                  "INSERT INTO t VALUES (4, '100%')"]  # fmt: skip
    units = drain(queue_of(statements, "format", "mysql"), Limits(10**6, 1000),
                  PlanOptions(style="format"))[0].units  # fmt: skip
    assert units[0].kind == "values" and units[0].count == 3
    assert units[0].sql == ("INSERT INTO t VALUES (1, 'a;b'), (2, 'it''s'), (3, lower('X'))")
    assert [u.kind for u in units[1:]] == ["single", "single"]
    assert units[2].sql == "INSERT INTO t VALUES (4, '100%')"  # no parameters: no %-formatting


def test_a_row_calling_an_impure_function_is_sent_alone() -> None:
    statements = ["INSERT INTO t VALUES (1, 'a')", "INSERT INTO t VALUES (2, NOW())",
                  "INSERT INTO t VALUES (3, 'c')", "INSERT INTO t VALUES (4, 'd')"]  # fmt: skip
    units = drain(queue_of(statements, "format", "mysql"), Limits(10**6, 1000),
                  PlanOptions(style="format"))[0].units  # fmt: skip
    assert [(u.kind, list(u.indices)) for u in units] == [
        ("single", [0]), ("single", [1]), ("values", [2, 3])
    ]  # fmt: skip


def test_skip_plans_after_statements_already_run() -> None:
    queue = queue_of([(INSERT, (i, "x")) for i in range(10)])
    size = analyze(INSERT, "qmark", "sqlite").base + 9
    limits = Limits(size * 4, 1000)
    first = plan_batch(queue, 0, limits, PlanOptions(style="qmark"))
    second = plan_batch(queue, first.count, limits, PlanOptions(style="qmark"))
    assert list(first.units[0].indices) == [0, 1, 2, 3]
    assert list(second.units[0].indices) == [4, 5, 6, 7]


def test_queue_remove_take_and_push_front() -> None:
    queue = queue_of([(INSERT, (i, "x")) for i in range(6)])
    assert queue.remove(2) == (INSERT, (2, "x"))
    assert [i for i, _, _ in queue.items()] == [0, 1, 3, 4, 5]
    taken = queue.take_front(3)
    assert [t.number for t in taken] == [0, 1, 3]
    assert [i for i, _, _ in queue.items()] == [4, 5]
    queue.push_front([taken[0], taken[2]])
    assert [i for i, _, _ in queue.items()] == [0, 3, 4, 5]
    assert len(queue) == 4
    units = drain(queue, Limits(10**6, 1000), PlanOptions(style="qmark"))[0].units
    assert [list(u.indices) for u in units] == [[0], [3], [4, 5]]  # runs stay contiguous
    assert queue.size == 0 and len(queue) == 0


statement_strategy = st.one_of(
    st.tuples(st.just(INSERT), st.tuples(st.integers(), st.text(max_size=30))),
    st.tuples(st.just(UPDATE), st.tuples(st.text(max_size=30), st.integers())),
    st.just("DELETE FROM t WHERE a > 100"),
    st.integers(0, 50).map(lambda n: f"INSERT INTO t VALUES ({n}, 'lit')"),
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(statement_strategy, max_size=60),
    st.integers(60, 2000),
    st.integers(2, 40),
    st.sampled_from([None, 300, 1500]),
    st.booleans(),
    st.sampled_from(["qmark", "numeric", "format"]),
)
def test_plans_cover_every_statement_once_in_order_within_limits(
    statements: list[Any], budget: int, max_params: int, cap: int | None, merge: bool, style: str
) -> None:
    queue = queue_of(statements, style)
    limits = Limits(budget, max_params, max_statement_bytes=cap)
    options = PlanOptions(style=style, merge_inserts=merge)  # type: ignore[arg-type]
    seen: list[int] = []
    while queue:
        batch = plan_batch(queue, 0, limits, options)
        if batch.reject is not None:
            index = batch.reject[0]
            assert index == queue.first_index()
            queue.remove(index)
            seen.append(index)
            continue
        assert batch.units
        if batch.count > 1:  # a statement alone may exceed the budget; a group never does
            assert batch.size <= budget
        assert sum(u.count for u in batch.units) == batch.count
        for unit in batch.units:
            seen.extend(unit.indices)
            if unit.kind in ("values", "single"):
                assert len(unit.params) <= max_params
            if unit.kind == "values":
                assert unit.count > 1 and unit.sql.count("(") >= unit.count
                if cap is not None:
                    strings = sum(len(v) for v in unit.params if isinstance(v, str))
                    assert len(unit.sql) + strings + 8 * len(unit.params) <= cap
        queue.pop_front(batch.count)
    assert seen == list(range(len(statements)))


def test_adjusted_max_bytes() -> None:
    assert adjusted_max_bytes(1000, None, 10, 0.5, 2.0) == 1000
    assert adjusted_max_bytes(1000, 5, 10, 0.5, 2.0) == 2000
    assert adjusted_max_bytes(1000, 40, 10, 0.5, 2.0) == 500
    assert adjusted_max_bytes(1000, 1, 10, 0.5, 2.0) == 2000  # capped


def test_a_session_statement_ends_its_batch() -> None:
    statements = [(INSERT, (1, "a")), "SET search_path = app", (INSERT, (2, "b")),
                  (INSERT, (3, "c"))]  # fmt: skip
    batches = drain(queue_of(statements, "numeric", "postgresql"), Limits(10**6, 1000),
                    PlanOptions(style="numeric"))  # fmt: skip
    assert [[list(u.indices) for u in b.units] for b in batches] == [[[0], [1]], [[2, 3]]]
    assert not any(b.autocommit for b in batches)
    repeated = drain(
        queue_of(["SET a = 1", "SET a = 1", (INSERT, (1, "a"))], "numeric", "postgresql"),
        Limits(10**6, 1000),
        PlanOptions(style="numeric"),
    )
    assert [b.count for b in repeated] == [1, 1, 1]


def test_writes_to_a_table_that_cannot_roll_back_run_alone_and_unmerged() -> None:
    mine = "INSERT INTO m (a, b) VALUES (?, ?)"
    statements = [(INSERT, (1, "a")), (mine, (1, "a")), (mine, (2, "b")), (INSERT, (2, "b")),
                  "UPDATE `db`.`m` SET b = 'x'", "DELETE FROM t"]  # fmt: skip
    options = PlanOptions(style="format", nontransactional=frozenset({"m", "db.m"}))
    batches = drain(queue_of(statements, "format", "mysql"), Limits(10**6, 1000), options)
    assert [(b.count, b.autocommit) for b in batches] == [
        (1, False), (1, True), (1, True), (1, False), (1, True), (1, False)
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("sql", "target"),
    [
        ("INSERT INTO t VALUES (1)", "t"),
        ("INSERT IGNORE INTO `db`.`my t` (a) VALUES (1)", "db.my t"),
        ("REPLACE t VALUES (1)", "t"),
        ("UPDATE LOW_PRIORITY t SET a = 1", "t"),
        ("DELETE QUICK FROM db.t WHERE a = 1", "db.t"),
        ("SELECT 1", None),
    ],
)
def test_the_table_a_mysql_write_names(sql: str, target: str | None) -> None:
    assert analyze(sql, "format", "mysql").target == target
