"""The async SQLite driver runs short statements inline on the event loop, where they never
suspend: it must still let the other tasks of the loop run (async only: threads are
scheduled by the OS).

Deterministic: the driver yields after at most ``YIELD_EVERY`` inline statements (sooner if
its time budget runs out), and a task that yields goes to the back of the loop's queue, so
every other task completes a statement before the yielding task completes its next one.
The test counts statements, never time."""

from __future__ import annotations

import asyncio
from pathlib import Path

import twinsql
from twinsql.drivers.sqlite_async import YIELD_EVERY

TASKS = 16
ROUNDS = 4 * YIELD_EVERY


async def test_a_task_looping_inline_statements_lets_every_other_task_run(
    tmp_path: Path,
) -> None:
    # A connection per task, so that the pool's queueing plays no part.
    db = twinsql.connect_async(f"sqlite:///{tmp_path / 'fair.db'}", pool_size=TASKS)
    done: list[int] = []  # the task of every completed statement, in completion order

    async def loop(task: int) -> None:
        for _ in range(ROUNDS):
            assert await db.execute_scalar("SELECT 1") == 1
            done.append(task)

    try:
        await asyncio.gather(*(loop(task) for task in range(TASKS)))
    finally:
        await db.close()
    assert len(done) == TASKS * ROUNDS
    # Replay the completions up to the first that takes a task past YIELD_EVERY + 1: by then
    # every task has completed at least one statement.
    counts = [0] * TASKS
    for task in done:
        counts[task] += 1
        if counts[task] > YIELD_EVERY + 1:
            break
    assert min(counts) >= 1, counts
