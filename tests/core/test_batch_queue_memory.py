"""The statement queue and the script reader hold what is queued, not what has passed
through them (no database)."""

from __future__ import annotations

from collections.abc import Iterator

from twinsql.batch.intake import Intake
from twinsql.batch.ledger import Ledger
from twinsql.batch.plan import Limits, PlanOptions, plan_batch
from twinsql.batch.queue import BATCH_STATEMENTS, StatementQueue
from twinsql.batch.script import ScriptReader, ScriptStatement

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


def test_the_reader_sends_copy_rows_without_reading_far_ahead() -> None:
    """A long COPY block is cut into pieces as it arrives: the reader never holds much more
    than a piece of rows it has not sent (it once waited for its buffer to double)."""
    rows = "".join(f"{i}\tname {i}\tsome text; it's here\n" for i in range(200_000))
    script = "COPY t (id, name, note) FROM stdin;\n" + rows + "\\.\nSELECT 1;\n"
    read = [0]

    def chunks() -> Iterator[str]:
        for at in range(0, len(script), 1 << 14):
            read[0] += len(script[at : at + (1 << 14)])
            yield script[at : at + (1 << 14)]

    piece = 1 << 16
    sent, ahead = 0, 0
    for item in ScriptReader("postgresql", copy_chunk_bytes=piece).read(chunks()):
        if isinstance(item, ScriptStatement) and item.copy is not None:
            sent += len(item.copy.text)
            ahead = max(ahead, read[0] - sent)
    assert sent == len(rows)
    assert ahead <= 3 * piece


def test_tiny_statements_fill_a_batch_by_count_before_the_byte_budget() -> None:
    """A dump's short literal INSERTs, each its own text and shape: the queue takes
    ``BATCH_STATEMENTS`` of them, not the tens of thousands a byte budget would let in, and
    each batch is still one merged INSERT of them, in order."""
    queue = StatementQueue()
    intake = Intake(Ledger(), queue, style="format", lexer="postgresql", transactional_ddl=True,
                    max_params=65535, max_query_size=None)  # fmt: skip
    budget = 10**9
    total = 3 * BATCH_STATEMENTS + 7
    rows = iter([f"INSERT INTO public.t VALUES ({i}, 'n{i}');" for i in range(total)])
    limits, options = Limits(budget, 65535), PlanOptions(style="format")
    sent: list[int] = []
    batches: list[tuple[int, set[str]]] = []
    most = 0
    done = False
    while not done or queue:
        done = done or intake.feed(rows, budget, False)
        most = max(most, len(queue))
        assert done or queue.holds_batch(budget)
        while queue.holds_batch(0 if done else budget):
            batch = plan_batch(queue, 0, limits, options)
            batches.append((batch.count, {unit.kind for unit in batch.units}))
            sent.extend(i for unit in batch.units for i in unit.indices)
            queue.pop_front(batch.count)
    assert sent == list(range(total))
    assert most == BATCH_STATEMENTS
    assert batches == [(BATCH_STATEMENTS, {"values"})] * 3 + [(7, {"values"})]


def test_a_batch_takes_at_most_batch_statements_of_a_longer_queue() -> None:
    queue = StatementQueue()
    intake = Intake(Ledger(), queue, style="qmark", lexer="sqlite", transactional_ddl=True,
                    max_params=10**6, max_query_size=None)  # fmt: skip
    intake.feed(iter([(INSERT, (i, "x")) for i in range(2 * BATCH_STATEMENTS + 1)]), None, False)
    counts = []
    while queue:
        batch = plan_batch(queue, 0, Limits(10**9, 10**6), PlanOptions(style="qmark"))
        counts.append(batch.count)
        queue.pop_front(batch.count)
    assert counts == [BATCH_STATEMENTS, BATCH_STATEMENTS, 1]
