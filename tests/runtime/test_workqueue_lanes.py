"""Urgent keys (a primary object's own new or changed spec) go ahead of keys woken by children; and, as in
client-go, the overall token bucket of the default rate limiter throttles only rate-limited re-adds."""

from __future__ import annotations

from teamop.runtime.ratelimiter import BucketRateLimiter, MaxOfRateLimiter
from teamop.runtime.workqueue import WorkQueue


async def test_an_urgent_key_is_handed_out_before_keys_added_earlier() -> None:
    queue: WorkQueue[str] = WorkQueue()
    queue.add("woken-by-a-child")
    queue.add("new-object", urgent=True)
    assert await queue.get() == "new-object"
    assert await queue.get() == "woken-by-a-child"


async def test_urgent_keys_keep_their_order() -> None:
    queue: WorkQueue[str] = WorkQueue()
    for key in "abc":
        queue.add(key, urgent=True)
    assert [await queue.get() for _ in range(3)] == ["a", "b", "c"]


async def test_a_waiting_key_added_again_urgently_moves_ahead_once() -> None:
    queue: WorkQueue[str] = WorkQueue()
    queue.add("a")
    queue.add("b")
    queue.add("b", urgent=True)
    assert len(queue) == 2
    assert [await queue.get(), await queue.get()] == ["b", "a"]
    assert len(queue) == 0


async def test_a_key_added_urgently_while_processing_comes_back_urgent() -> None:
    queue: WorkQueue[str] = WorkQueue()
    queue.add("a")
    key = await queue.get()
    queue.add("b")
    queue.add("a", urgent=True)
    queue.done(key)
    assert await queue.get() == "a"
    assert await queue.get() == "b"


async def test_an_urgent_key_handed_out_is_not_urgent_when_added_again_later() -> None:
    queue: WorkQueue[str] = WorkQueue()
    queue.add("a", urgent=True)
    queue.done(await queue.get())
    queue.add("b")
    queue.add("a")
    assert [await queue.get(), await queue.get()] == ["b", "a"]


async def test_adds_and_delayed_adds_spend_no_token_of_the_overall_bucket() -> None:
    bucket = BucketRateLimiter(qps=10, burst=1, clock=lambda: 0.0)
    queue: WorkQueue[str] = WorkQueue(rate_limiter=MaxOfRateLimiter(bucket))
    for index in range(200):
        queue.add(f"event-{index}")
        queue.add_after(f"timer-{index}", 0.001)
    assert bucket.when("retry") == 0.0  # the one token of the burst is still there


async def test_rate_limited_re_adds_wait_for_the_overall_bucket() -> None:
    bucket = BucketRateLimiter(qps=10, burst=1, clock=lambda: 0.0)
    queue: WorkQueue[str] = WorkQueue(rate_limiter=MaxOfRateLimiter(bucket))
    queue.add_rate_limited("first")
    queue.add_rate_limited("second")
    assert len(queue) == 1  # the second waits a tenth of a second for its token
    assert queue.waiting() == 1
