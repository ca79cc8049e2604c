"""The shell's concurrency primitives (no database)."""

from __future__ import annotations

import asyncio
import threading

from twinsql._compat import AsyncSlots, Slots, UseGuard


async def test_async_slots_time_out_and_stay_fifo() -> None:
    slots = AsyncSlots(1)
    assert await slots.acquire(None)
    assert not await slots.acquire(0.01)
    order: list[int] = []

    async def waiter(i: int) -> None:
        assert await slots.acquire(1)
        order.append(i)
        slots.release()

    tasks = [asyncio.create_task(waiter(i)) for i in range(3)]
    await asyncio.sleep(0)
    assert slots.waiting == 3
    slots.release()
    await asyncio.gather(*tasks)
    assert order == [0, 1, 2]


async def test_cancelled_after_grant_returns_the_slot() -> None:
    slots = AsyncSlots(1)
    assert await slots.acquire(None)
    task = asyncio.create_task(slots.acquire(None))
    await asyncio.sleep(0)
    slots.release()  # granted to the task …
    task.cancel()  # … which is cancelled before it runs
    await asyncio.gather(task, return_exceptions=True)
    assert await slots.acquire(0.01)  # the slot was handed back, not lost


def test_sync_slots_time_out() -> None:
    slots = Slots(1)
    assert slots.acquire(None)
    assert not slots.acquire(0.01)
    slots.release()
    assert slots.acquire(0)


def test_use_guard_refuses_a_second_user() -> None:
    guard = UseGuard()
    assert guard.enter()
    results: list[bool] = []
    thread = threading.Thread(target=lambda: results.append(guard.enter()))
    thread.start()
    thread.join()
    assert results == [False] and guard.busy
    guard.exit()
    assert not guard.busy
