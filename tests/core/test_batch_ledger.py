"""The batcher's ledger, its reports and the intake path (no database)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twinsql.batch.intake import Intake, Refusal, split_item
from twinsql.batch.ledger import (
    BatchIncomplete,
    Ledger,
    Outcome,
    StatementState,
    check_counts,
)
from twinsql.batch.queue import StatementQueue
from twinsql.batch.statements import StatementTooLarge
from twinsql.errors import ArgumentError, MultipleStatementsError, ParameterError, UniqueViolation

P, A, R, U = (StatementState.PENDING, StatementState.APPLIED, StatementState.REJECTED,
              StatementState.UNKNOWN)  # fmt: skip


def test_states_move_and_counts_add_up() -> None:
    ledger = Ledger()
    assert ledger.submit(5) == 0
    ledger.applied_range(0, 2)
    ledger.mark(2, R, sql="INSERT 2", params=(2,), error=UniqueViolation("dup"))
    ledger.mark(3, U, sql="INSERT 3", params=(3,))
    assert ledger.counts() == (5, 2, 1, 1, 1)
    ledger.mark(3, A)  # reconciled
    assert ledger.counts() == (5, 3, 1, 1, 0)
    assert [ledger.state(i) for i in range(5)] == [A, A, R, A, P]
    assert ledger.indices(A) == [0, 1, 3]
    assert ledger.held(2) == ("INSERT 2", (2,)) and ledger.held(3) is None


def test_illegal_moves_are_refused() -> None:
    ledger = Ledger()
    ledger.submit(2)
    ledger.applied_range(0, 1)
    with pytest.raises(RuntimeError):
        ledger.applied_range(0, 2)  # 0 is applied already: it cannot be applied twice
    with pytest.raises(RuntimeError):
        ledger.mark(0, R)
    ledger.mark(1, U)
    ledger.mark(1, P)  # an unknown statement proven not applied goes back to pending


def test_report_snapshot() -> None:
    ledger = Ledger()
    ledger.submit(4)
    ledger.applied_range(0, 2)
    error = UniqueViolation("duplicate key")
    ledger.mark(2, R, sql="INSERT x", params=(1,), error=error)
    report = ledger.report(1, pending={3: ("INSERT y", (2,))}, batches=3, retries=1)
    assert (report.submitted, report.applied, report.rejected, report.pending) == (3, 1, 1, 1)
    assert report.indices("rejected") == [2]
    entry = report.entry(2)
    assert (entry.index, entry.state, entry.sql, entry.params, entry.error) == (
        2, R, "INSERT x", (1,), error
    )  # fmt: skip
    assert report.pending_statements() == [("INSERT y", (2,))]
    assert [e.index for e in report] == [1, 2, 3]
    assert not report.ok
    assert "rejected #2: UniqueViolation: duplicate key" in report.summary()
    with pytest.raises(BatchIncomplete) as info:
        report.raise_for_status()
    assert info.value.report is report
    with pytest.raises(IndexError):
        report.state(0)
    ledger.applied_range(3, 4)
    assert ledger.report(0, 2).ok


def test_outcome_settles_only_on_commit() -> None:
    ledger = Ledger()
    ledger.submit(6)
    outcome = Outcome(results=True)
    outcome.ran(0, 1, 5)
    outcome.ran(1, 3)
    outcome.reject(3, UniqueViolation("dup"), "INSERT", (3,))
    outcome.ran(4, 6)
    assert outcome.applied == [(0, 3), (4, 6)]  # contiguous stretches merged
    assert outcome.results == {0: 5, 3: outcome.rejected[0][1]}
    assert ledger.counts().pending == 6  # nothing settled before the commit
    outcome.settle(ledger)
    assert ledger.counts() == (6, 5, 1, 0, 0)


@settings(max_examples=200)
@given(st.lists(st.tuples(st.integers(0, 30), st.sampled_from([A, R, U, P])), max_size=80))
def test_any_sequence_of_moves_keeps_the_invariant(moves: list[tuple[int, StatementState]]) -> None:
    ledger = Ledger()
    ledger.submit(31)
    for index, state in moves:
        try:
            ledger.mark(index, state, sql="s")
        except RuntimeError:
            pass
        check_counts(ledger.counts())
        report = ledger.report()
        assert report.applied + report.rejected + report.pending + report.unknown == 31


def intake(max_params: int = 100, cap: int | None = None) -> Intake:
    return Intake(Ledger(), StatementQueue(), style="qmark", lexer="sqlite",
                  transactional_ddl=True, max_params=max_params,
                  max_query_size=cap)  # fmt: skip


def test_feed_queues_in_order_and_submits_once() -> None:
    engine = intake()
    items = [("INSERT INTO t VALUES (?)", (1,)), "DELETE FROM t", ["INSERT INTO t VALUES (?)", [2]],
             ("UPDATE t SET a = :a", {"a": 3})]  # fmt: skip
    assert engine.feed(iter(items), None, False) is True
    assert len(engine.ledger) == 4 and len(engine.queue) == 4
    assert [(i, s) for i, s, _ in engine.queue.items()] == [
        (0, "INSERT INTO t VALUES (?)"), (1, "DELETE FROM t"), (2, "INSERT INTO t VALUES (?)"),
        (3, "UPDATE t SET a = :a"),
    ]  # fmt: skip
    assert engine.queue.size > 0


def test_feed_stops_when_the_queue_is_full() -> None:
    engine = intake()
    items = iter([("INSERT INTO t VALUES (?)", (i,)) for i in range(100)])
    assert engine.feed(items, 200, False) is False
    taken = len(engine.queue)
    assert 0 < taken < 100 and engine.queue.size >= 200
    assert engine.feed(items, None, False) is True
    assert len(engine.queue) == 100 == len(engine.ledger)


@pytest.mark.parametrize(
    ("item", "error"),
    [
        ("INSERT INTO t VALUES (1); DROP TABLE t", MultipleStatementsError),
        (("INSERT INTO t VALUES (?)", (1, 2)), ParameterError),
        (("INSERT INTO t VALUES (?)", "ab"), ParameterError),
        ("COMMIT", ArgumentError),
        (("INSERT INTO t VALUES (?)", ("x" * 5000,)), StatementTooLarge),
        (42, ArgumentError),
        (("SELECT " + ", ".join(["?"] * 101), tuple(range(101))), StatementTooLarge),
    ],
)
def test_feed_refuses_what_can_never_run(item: Any, error: type[Exception]) -> None:
    engine = intake(cap=1000)
    items = iter([("INSERT INTO t VALUES (?)", (1,)), item, ("INSERT INTO t VALUES (?)", (2,))])
    with pytest.raises(Refusal) as info:
        engine.feed(items, None, False)
    assert isinstance(info.value.error, error)
    assert len(engine.ledger) == 1 and len(engine.queue) == 1  # the one before it only
    assert engine.feed(items, None, False) is True  # the rest is still there
    assert len(engine.queue) == 2


def test_fast_and_general_paths_agree() -> None:
    sql = "INSERT INTO t VALUES (?, ?)"
    items = [(sql, (i, "x" * i)) for i in range(20)]
    fast = intake()
    fast.feed(iter(items), None, False)
    slow = intake()
    for item in items:
        slow.add(*split_item(item))
    assert list(fast.queue.items()) == list(slow.queue.items())
    assert fast.queue.size == slow.queue.size
    assert fast.ledger.counts() == slow.ledger.counts()


def test_add_refuses_without_queueing() -> None:
    engine = intake(cap=100)
    with pytest.raises(StatementTooLarge):
        engine.add("INSERT INTO t VALUES (?)", ("x" * 500,))
    assert len(engine.ledger) == 0 and not engine.queue
    with pytest.raises(ArgumentError):
        split_item(("only sql",))
