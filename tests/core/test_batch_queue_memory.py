"""The statement queue holds what is queued, not what has passed through it (no database)."""

from __future__ import annotations

from twinsql.batch.intake import Intake
from twinsql.batch.ledger import Ledger
from twinsql.batch.plan import Limits, PlanOptions, plan_batch
from twinsql.batch.queue import StatementQueue

INSERT = "INSERT INTO t (a, b) VALUES (?, ?)"


def held(queue: StatementQueue) -> int:
    """Statements kept in the lists of the queue's runs, sent ones included."""
    return sum(len(run.sizes) for run, _ in queue.segments())


def test_a_long_run_of_one_key_does_not_keep_the_statements_already_sent() -> None:
    queue = StatementQueue()
    intake = Intake(Ledger(), queue, style="qmark", lexer="sqlite", transactional_ddl=True,
                    max_params=65535, max_query_size=None)  # fmt: skip
    limits, options = Limits(20_000, 100_000), PlanOptions(style="qmark")
    rows = iter([(INSERT, (i, "x" * 20)) for i in range(200_000)])
    sent: list[int] = []
    most = 0
    done = False
    while not done or queue:
        done = done or intake.feed(rows, 40_000, False)
        # As the batcher does mid-stream: send full batches, keep the remainder queued.
        while queue and (done or queue.size >= 20_000):
            batch = plan_batch(queue, 0, limits, options)
            sent.extend(i for unit in batch.units for i in unit.indices)
            queue.pop_front(batch.count)
        most = max(most, held(queue))
    assert sent == list(range(200_000))  # every statement once, in order
    assert most < 10_000  # a few batches' worth, not the 200 000 that passed


def test_statements_of_one_key_still_merge_across_a_new_run() -> None:
    queue = StatementQueue()
    intake = Intake(Ledger(), queue, style="qmark", lexer="sqlite", transactional_ddl=True,
                    max_params=65535, max_query_size=None)  # fmt: skip
    intake.feed(iter([(INSERT, (i, "x")) for i in range(3000)]), None, False)
    queue.pop_front(2000)
    intake.feed(iter([(INSERT, (i, "x")) for i in range(3000, 3010)]), None, False)
    units = plan_batch(queue, 0, Limits(10**6, 100_000), PlanOptions(style="qmark")).units
    assert [(u.kind, u.indices[0], u.indices[-1]) for u in units] == [
        ("values", 2000, 2999), ("values", 3000, 3009)]  # fmt: skip
