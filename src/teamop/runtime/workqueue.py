"""A work queue with client-go's semantics, for asyncio.

- An item is queued at most once (the *dirty* set): adding it again while it waits is a no-op.
- Two lanes: an item added with `urgent=True` (the controller adds its primary object's own changes so: a new or
  changed spec) is handed out before every other item; adding it urgently while it waits in the other lane moves
  it ahead. Within a lane, first in first out. Keys woken by children's changes therefore never hold up the first
  reconcile of a new object, and wait long enough to coalesce.
- An item handed out by `get` is *processing* until `done`; adding it meanwhile marks it dirty, and `done` puts it
  back in the queue, so one item is never processed by two workers at once and no change is lost.
- `add_after` holds items in a heap until they are due (an earlier due time wins); `add_rate_limited` asks the
  rate limiter for the delay; `forget` resets the item's backoff. As in client-go, only `add_rate_limited` asks the
  rate limiter (whose overall token bucket thus throttles retries, never events or `add_after`); `drop_delayed`
  forgets a pending `add_after`.
- `shutdown` stops handing out work at once (queued items are dropped: the system is level-based and the next
  start re-lists everything); `shutdown_with_drain` also waits until every handed-out item is `done`.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections import deque
from collections.abc import Hashable
from typing import Generic, TypeVar

from teamop.runtime import metrics
from teamop.runtime.ratelimiter import RateLimiter, default_controller_rate_limiter

T = TypeVar("T", bound=Hashable)

# The event loop may run a timer up to its clock resolution early; items due within this slack count as due.
_TIMER_SLACK = 0.001


class ShutDown(Exception):
    """Raised by `WorkQueue.get` once the queue is shut down."""


class _QueueMetrics:
    def __init__(self, name: str, processing_started: dict[Hashable, float]) -> None:
        self.depth = metrics.workqueue_depth.labels(name)
        self.adds = metrics.workqueue_adds_total.labels(name)
        self.queue_duration = metrics.workqueue_queue_duration_seconds.labels(name)
        self.work_duration = metrics.workqueue_work_duration_seconds.labels(name)
        self.retries = metrics.workqueue_retries_total.labels(name)
        started = processing_started
        metrics.workqueue_unfinished_work_seconds.labels(name).set_function(
            lambda: sum(time.monotonic() - t for t in started.values())
        )
        metrics.workqueue_longest_running_processor_seconds.labels(name).set_function(
            lambda: max((time.monotonic() - t for t in started.values()), default=0.0)
        )


class WorkQueue(Generic[T]):
    def __init__(self, name: str | None = None, rate_limiter: RateLimiter | None = None) -> None:
        self.name = name
        self.rate_limiter = rate_limiter if rate_limiter is not None else default_controller_rate_limiter()
        self._queue: deque[T] = deque()
        self._urgent: deque[T] = deque()
        self._urgent_items: set[T] = set()  # in `_urgent`, or to go there when their processing is done
        self._dirty: set[T] = set()
        self._processing: set[T] = set()
        self._added_at: dict[T, float] = {}
        self._started_at: dict[Hashable, float] = {}
        self._getters: deque[asyncio.Future[None]] = deque()
        self._idle: asyncio.Event | None = None
        self._shutting_down = False
        # Delayed items: a heap of (due, sequence, item); `_due` holds each item's current due time, so entries
        # superseded by an earlier add_after are skipped when popped.
        self._delayed: list[tuple[float, int, T]] = []
        self._due: dict[T, float] = {}
        self._sequence = itertools.count()
        self._timer: asyncio.TimerHandle | None = None
        self._metrics = _QueueMetrics(name, self._started_at) if name else None

    # -- adding ----------------------------------------------------------------------------------------------------
    def add(self, item: T, *, urgent: bool = False) -> None:
        if self._shutting_down:
            return
        if item in self._dirty:
            if urgent and item not in self._urgent_items:
                self._urgent_items.add(item)
                if item not in self._processing:
                    self._queue.remove(item)
                    self._urgent.append(item)
            return
        if self._metrics:
            self._metrics.adds.inc()
        self._dirty.add(item)
        self._added_at.setdefault(item, time.monotonic())
        if urgent:
            self._urgent_items.add(item)
        if item in self._processing:
            return
        self._push(item)

    def add_after(self, item: T, delay: float) -> None:
        if self._shutting_down:
            return
        if delay <= 0:
            self.add(item)
            return
        loop = asyncio.get_running_loop()
        due = loop.time() + delay
        current = self._due.get(item)
        if current is not None and current <= due:
            return
        self._due[item] = due
        heapq.heappush(self._delayed, (due, next(self._sequence), item))
        self._arm_timer(loop)

    def add_rate_limited(self, item: T) -> None:
        if self._metrics:
            self._metrics.retries.inc()
        self.add_after(item, self.rate_limiter.when(item))

    def forget(self, item: T) -> None:
        self.rate_limiter.forget(item)

    def drop_delayed(self, item: T) -> None:
        """Forget a pending `add_after` of `item` (it will not be added when that time comes)."""
        self._due.pop(item, None)  # its heap entry is skipped when popped

    def num_requeues(self, item: T) -> int:
        return self.rate_limiter.num_requeues(item)

    # -- taking ----------------------------------------------------------------------------------------------------
    async def get(self) -> T:
        """The next item, marked as processing; the caller must call `done(item)` afterwards."""
        while not (self._urgent or self._queue):
            if self._shutting_down:
                raise ShutDown
            waiter = asyncio.get_running_loop().create_future()
            self._getters.append(waiter)
            try:
                await waiter
            except asyncio.CancelledError:
                if waiter in self._getters:
                    self._getters.remove(waiter)
                elif self._urgent or self._queue:
                    self._wake_one()  # pass on the wake-up this getter received but cannot use
                raise
        if self._shutting_down:
            raise ShutDown
        if self._urgent:
            item = self._urgent.popleft()
            self._urgent_items.discard(item)
        else:
            item = self._queue.popleft()
        self._dirty.discard(item)
        self._processing.add(item)
        now = time.monotonic()
        self._started_at[item] = now
        added = self._added_at.pop(item, now)
        if self._metrics:
            self._metrics.depth.set(len(self))
            self._metrics.queue_duration.observe(now - added)
        return item

    def done(self, item: T) -> None:
        self._processing.discard(item)
        started = self._started_at.pop(item, None)
        if self._metrics and started is not None:
            self._metrics.work_duration.observe(time.monotonic() - started)
        if item in self._dirty:
            self._push(item)
        elif not self._processing and self._idle is not None:
            self._idle.set()

    # -- state -----------------------------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._urgent) + len(self._queue)

    @property
    def shutting_down(self) -> bool:
        return self._shutting_down

    @property
    def busy(self) -> int:
        """Items queued or being processed."""
        return len(self) + len(self._processing)

    def is_processing(self, item: T) -> bool:
        return item in self._processing

    def waiting(self) -> int:
        """Items held by add_after that are not yet due."""
        return len(self._due)

    # -- stopping --------------------------------------------------------------------------------------------------
    def shutdown(self) -> None:
        """Stop handing out work; every waiting `get` raises ShutDown. Handed-out items may still call `done`."""
        self._shutting_down = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._delayed.clear()
        self._due.clear()
        self._queue.clear()
        self._urgent.clear()
        self._urgent_items.clear()
        self._dirty.clear()
        self._added_at.clear()
        if self._metrics:
            self._metrics.depth.set(0)
        while self._getters:
            waiter = self._getters.popleft()
            if not waiter.done():
                waiter.set_result(None)

    async def shutdown_with_drain(self) -> None:
        """Shut down, then wait until every handed-out item is `done`."""
        self.shutdown()
        if not self._processing:
            return
        self._idle = asyncio.Event()
        await self._idle.wait()

    # -- internals -------------------------------------------------------------------------------------------------
    def _push(self, item: T) -> None:
        (self._urgent if item in self._urgent_items else self._queue).append(item)
        if self._metrics:
            self._metrics.depth.set(len(self))
        self._wake_one()

    def _wake_one(self) -> None:
        while self._getters:
            waiter = self._getters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    def _arm_timer(self, loop: asyncio.AbstractEventLoop) -> None:
        if not self._delayed:
            return
        first_due = self._delayed[0][0]
        if self._timer is not None:
            if self._timer.when() <= first_due:
                return
            self._timer.cancel()
        self._timer = loop.call_at(first_due, self._release_due, loop)

    def _release_due(self, loop: asyncio.AbstractEventLoop) -> None:
        self._timer = None
        now = loop.time() + _TIMER_SLACK
        while self._delayed and self._delayed[0][0] <= now:
            due, _, item = heapq.heappop(self._delayed)
            if self._due.get(item) != due:
                continue  # superseded by an earlier add_after
            del self._due[item]
            self.add(item)
        self._arm_timer(loop)
