"""The work queue's rate limiters follow client-go's DefaultControllerRateLimiter."""

from __future__ import annotations

import pytest

from teamop.runtime.ratelimiter import (
    BucketRateLimiter,
    ItemExponentialFailureRateLimiter,
    MaxOfRateLimiter,
    default_controller_rate_limiter,
)


def test_exponential_backoff_doubles_from_five_milliseconds() -> None:
    limiter = ItemExponentialFailureRateLimiter()
    assert [limiter.when("a") for _ in range(5)] == pytest.approx([0.005, 0.01, 0.02, 0.04, 0.08])


def test_exponential_backoff_is_capped_at_a_thousand_seconds() -> None:
    limiter = ItemExponentialFailureRateLimiter()
    delays = [limiter.when("a") for _ in range(200)]
    assert max(delays) == 1000.0
    assert delays[-1] == 1000.0


def test_exponential_backoff_is_per_item() -> None:
    limiter = ItemExponentialFailureRateLimiter()
    limiter.when("a")
    limiter.when("a")
    assert limiter.when("b") == pytest.approx(0.005)


def test_forget_resets_the_backoff_and_the_requeue_count() -> None:
    limiter = ItemExponentialFailureRateLimiter()
    for _ in range(4):
        limiter.when("a")
    assert limiter.num_requeues("a") == 4
    limiter.forget("a")
    assert limiter.num_requeues("a") == 0
    assert limiter.when("a") == pytest.approx(0.005)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_token_bucket_allows_a_burst_then_spaces_requests_at_qps() -> None:
    clock = FakeClock()
    bucket = BucketRateLimiter(qps=10, burst=100, clock=clock)
    assert all(bucket.when(i) == 0 for i in range(100))
    assert bucket.when("x") == pytest.approx(0.1)
    assert bucket.when("y") == pytest.approx(0.2)


def test_token_bucket_refills_over_time() -> None:
    clock = FakeClock()
    bucket = BucketRateLimiter(qps=10, burst=2, clock=clock)
    bucket.when(1)
    bucket.when(2)
    clock.now = 0.1
    assert bucket.when(3) == 0


def test_the_default_limiter_takes_the_longer_of_backoff_and_bucket() -> None:
    clock = FakeClock()
    limiter = MaxOfRateLimiter(ItemExponentialFailureRateLimiter(), BucketRateLimiter(10, 1, clock=clock))
    assert limiter.when("a") == pytest.approx(0.005)  # bucket has a token: backoff wins
    assert limiter.when("b") == pytest.approx(0.1)  # bucket empty: bucket wins
    assert limiter.num_requeues("a") == 1


def test_the_default_controller_rate_limiter_starts_at_five_milliseconds() -> None:
    assert default_controller_rate_limiter().when("a") == pytest.approx(0.005)
