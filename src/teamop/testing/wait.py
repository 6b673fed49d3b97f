"""Polling helpers for tests that watch a real cluster converge."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


def eventually(check: Callable[[], T], *, timeout: float = 30, interval: float = 0.25, what: str = "") -> T:
    """Call `check` until it returns a truthy value (returned) or the timeout passes (AssertionError with the
    last value or exception)."""
    deadline = time.monotonic() + timeout
    last: object = None
    while True:
        try:
            value = check()
            if value:
                return value
            last = value
        except Exception as error:
            last = error
        if time.monotonic() > deadline:
            raise AssertionError(f"not true after {timeout:.0f} s: {what or check!r}; last: {last!r}")
        time.sleep(interval)


async def eventually_async(
    check: Callable[[], Awaitable[T]], *, timeout: float = 30, interval: float = 0.25, what: str = ""
) -> T:
    """`eventually` for coroutine checks."""
    deadline = time.monotonic() + timeout
    last: object = None
    while True:
        try:
            value = await check()
            if value:
                return value
            last = value
        except Exception as error:
            last = error
        if time.monotonic() > deadline:
            raise AssertionError(f"not true after {timeout:.0f} s: {what or check!r}; last: {last!r}")
        await asyncio.sleep(interval)


async def until(check: Callable[[], T], *, timeout: float = 30, interval: float = 0.25, what: str = "") -> T:
    """`eventually` for async tests: the (blocking) check runs in a thread, so an operator running on the test's
    event loop keeps working while we wait."""

    async def in_thread() -> T:
        return await asyncio.to_thread(check)

    return await eventually_async(in_thread, timeout=timeout, interval=interval, what=what)
