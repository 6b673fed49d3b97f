"""The work queue keeps client-go's guarantees: each key queued once, never processed twice at once, none lost."""

from __future__ import annotations

import asyncio

import pytest

from teamop.runtime.ratelimiter import ItemExponentialFailureRateLimiter
from teamop.runtime.workqueue import ShutDown, WorkQueue


async def test_a_key_added_twice_is_queued_once() -> None:
    queue: WorkQueue[str] = WorkQueue()
    queue.add("a")
    queue.add("a")
    assert len(queue) == 1


async def test_keys_come_out_in_the_order_they_were_added() -> None:
    queue: WorkQueue[str] = WorkQueue()
    for key in "abc":
        queue.add(key)
    assert [await queue.get() for _ in range(3)] == ["a", "b", "c"]


async def test_a_key_being_processed_is_not_handed_to_a_second_worker() -> None:
    queue: WorkQueue[str] = WorkQueue()
    queue.add("a")
    assert await queue.get() == "a"
    queue.add("a")
    second = asyncio.create_task(queue.get())
    await asyncio.sleep(0.01)
    assert not second.done()
    second.cancel()


async def test_a_key_added_while_processing_runs_again_after_done() -> None:
    queue: WorkQueue[str] = WorkQueue()
    queue.add("a")
    key = await queue.get()
    queue.add("a")
    assert len(queue) == 0
    queue.done(key)
    assert len(queue) == 1
    assert await asyncio.wait_for(queue.get(), 1) == "a"


async def test_a_key_not_added_again_is_gone_after_done() -> None:
    queue: WorkQueue[str] = WorkQueue()
    queue.add("a")
    queue.done(await queue.get())
    assert len(queue) == 0
    assert not queue.is_processing("a")


async def test_a_waiting_get_wakes_up_when_a_key_is_added() -> None:
    queue: WorkQueue[str] = WorkQueue()
    getter = asyncio.create_task(queue.get())
    await asyncio.sleep(0)
    queue.add("a")
    assert await asyncio.wait_for(getter, 1) == "a"


async def test_add_after_holds_a_key_until_it_is_due() -> None:
    queue: WorkQueue[str] = WorkQueue()
    queue.add_after("a", 0.05)
    assert len(queue) == 0
    assert queue.waiting() == 1
    await asyncio.sleep(0.1)
    assert len(queue) == 1


async def test_add_after_releases_keys_in_due_order() -> None:
    queue: WorkQueue[str] = WorkQueue()
    queue.add_after("late", 0.06)
    queue.add_after("early", 0.02)
    queue.add_after("middle", 0.04)
    got = [await asyncio.wait_for(queue.get(), 1) for _ in range(3)]
    assert got == ["early", "middle", "late"]


async def test_add_after_keeps_the_earlier_due_time_of_a_key() -> None:
    queue: WorkQueue[str] = WorkQueue()
    queue.add_after("a", 10)
    queue.add_after("a", 0.01)
    assert await asyncio.wait_for(queue.get(), 1) == "a"
    queue.add_after("b", 0.01)
    queue.add_after("b", 10)
    assert await asyncio.wait_for(queue.get(), 1) == "b"


async def test_add_after_with_no_delay_adds_at_once() -> None:
    queue: WorkQueue[str] = WorkQueue()
    queue.add_after("a", 0)
    assert len(queue) == 1


async def test_add_rate_limited_backs_off_more_on_each_retry() -> None:
    queue: WorkQueue[str] = WorkQueue(rate_limiter=ItemExponentialFailureRateLimiter(0.02, 10))
    loop = asyncio.get_running_loop()
    waits = []
    for _ in range(3):
        start = loop.time()
        queue.add_rate_limited("a")
        key = await asyncio.wait_for(queue.get(), 2)
        waits.append(loop.time() - start)
        queue.done(key)
    assert queue.num_requeues("a") == 3
    assert waits[0] >= 0.019
    assert waits[1] >= 0.039
    assert waits[2] >= 0.079


async def test_forget_resets_the_backoff_of_a_key() -> None:
    queue: WorkQueue[str] = WorkQueue(rate_limiter=ItemExponentialFailureRateLimiter(0.01, 10))
    queue.add_rate_limited("a")
    queue.add_rate_limited("a")
    queue.forget("a")
    assert queue.num_requeues("a") == 0


async def test_get_after_shutdown_raises_shut_down() -> None:
    queue: WorkQueue[str] = WorkQueue()
    queue.add("a")
    queue.shutdown()
    with pytest.raises(ShutDown):
        await queue.get()


async def test_shutdown_wakes_every_waiting_get() -> None:
    queue: WorkQueue[str] = WorkQueue()
    getters = [asyncio.create_task(queue.get()) for _ in range(3)]
    await asyncio.sleep(0)
    queue.shutdown()
    results = await asyncio.gather(*getters, return_exceptions=True)
    assert all(isinstance(result, ShutDown) for result in results)


async def test_adds_after_shutdown_are_ignored() -> None:
    queue: WorkQueue[str] = WorkQueue()
    queue.shutdown()
    queue.add("a")
    queue.add_after("b", 0.01)
    assert len(queue) == 0
    assert queue.waiting() == 0


async def test_shutdown_with_drain_waits_for_keys_in_flight() -> None:
    queue: WorkQueue[str] = WorkQueue()
    queue.add("a")
    key = await queue.get()
    drained = asyncio.create_task(queue.shutdown_with_drain())
    await asyncio.sleep(0.01)
    assert not drained.done()
    queue.done(key)
    await asyncio.wait_for(drained, 1)


async def test_shutdown_with_drain_returns_at_once_when_idle() -> None:
    queue: WorkQueue[str] = WorkQueue()
    await asyncio.wait_for(queue.shutdown_with_drain(), 1)


async def test_a_cancelled_get_does_not_swallow_a_key() -> None:
    queue: WorkQueue[str] = WorkQueue()
    cancelled = asyncio.create_task(queue.get())
    waiting = asyncio.create_task(queue.get())
    await asyncio.sleep(0)
    queue.add("a")
    cancelled.cancel()
    assert await asyncio.wait_for(waiting, 1) == "a"
