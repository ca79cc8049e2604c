"""The shell's concurrency primitives (no database)."""

from __future__ import annotations

import asyncio
import threading
import time

from twinsql._compat import AsyncSlots, Slots, UseGuard, async_call_within, call_within


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


def test_sync_slots_hand_a_released_slot_to_the_longest_waiter() -> None:
    slots = Slots(1)
    assert slots.try_acquire()
    order: list[int] = []

    def waiter(i: int) -> None:
        assert slots.acquire(5)
        order.append(i)
        slots.release()

    threads = []
    for i in range(3):
        threads.append(threading.Thread(target=waiter, args=(i,)))
        threads[-1].start()
        while slots.waiting < i + 1:
            time.sleep(0.001)
    slots.release()
    # The releasing thread cannot take the slot back ahead of the waiters.
    assert not slots.try_acquire()
    for thread in threads:
        thread.join()
    assert order == [0, 1, 2] and slots.held == 0


def test_call_within_gives_up_and_abandons_the_late_value() -> None:
    abandoned: list[str] = []
    release = threading.Event()

    def slow() -> str:
        release.wait(5)
        return "late"

    started = time.monotonic()
    assert call_within(slow, 0.05, abandoned.append) is None
    assert time.monotonic() - started < 1
    release.set()
    for _ in range(500):
        if abandoned:
            break
        time.sleep(0.01)
    assert abandoned == ["late"]
    assert call_within(lambda: 7, 1, abandoned.append) == 7


async def test_async_call_within_cancels_the_late_call() -> None:
    cancelled = asyncio.Event()

    async def slow() -> str:
        try:
            await asyncio.sleep(5)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return "late"

    assert await async_call_within(slow, 0.05, lambda value: None) is None
    await asyncio.wait_for(cancelled.wait(), 1)

    async def quick() -> int:
        return 7

    assert await async_call_within(quick, 1, lambda value: None) == 7
