"""Work queue throughput: keys reconciled per second by a controller with a no-op reconciler, 1, 4 and 16 workers.

    python bench/workqueue_throughput.py [--keys 100000]

Measures the whole worker path (queue get/done, rate-limiter forget, metrics, log context), not the API. A second
figure adds a reconciler that yields once (`await asyncio.sleep(0)`), as every real reconcile does at least once.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

from teamop.runtime.controller import Controller, ControllerOptions
from teamop.runtime.kinds import GVK
from teamop.runtime.reconcile import Request, Result
from teamop.runtime.workqueue import WorkQueue


class NoOp:
    def __init__(self, target: int, done: asyncio.Event, yields: bool) -> None:
        self.count = 0
        self.target = target
        self.done = done
        self.yields = yields

    async def reconcile(self, request: Request) -> Result | None:
        if self.yields:
            await asyncio.sleep(0)
        self.count += 1
        if self.count == self.target:
            self.done.set()
        return None


async def controller_rate(keys: int, workers: int, yields: bool) -> float:
    done = asyncio.Event()
    reconciler = NoOp(keys, done, yields)
    controller = Controller(
        f"bench-{workers}-{yields}", reconciler, cache=None,  # type: ignore[arg-type]
        primary=GVK("bench.dev", "v1", "Thing"), sources=[],
        options=ControllerOptions(max_concurrent_reconciles=workers),
    )
    requests = [Request("ns", f"key-{i}") for i in range(keys)]
    started = time.perf_counter()
    for request in requests:
        controller.enqueue(request)
    controller.start_workers()
    await done.wait()
    elapsed = time.perf_counter() - started
    await controller.stop(1)
    return keys / elapsed


async def queue_rate(keys: int) -> float:
    """The bare queue: add, get and done for every key, no controller around it."""
    queue: WorkQueue[int] = WorkQueue()
    started = time.perf_counter()
    for key in range(keys):
        queue.add(key)
    for _ in range(keys):
        queue.done(await queue.get())
    return keys / (time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keys", type=int, default=100_000)
    args = parser.parse_args()
    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(30))
    print(f"work queue throughput, {args.keys} distinct keys, no-op reconciler (keys/s)")
    print(f"bare queue (add + get + done, no metrics): {asyncio.run(queue_rate(args.keys)):>10,.0f}")
    print(f"{'workers':>8} {'no-op':>12} {'one yield':>12}")
    for workers in (1, 4, 16):
        plain = asyncio.run(controller_rate(args.keys, workers, yields=False))
        yielding = asyncio.run(controller_rate(args.keys, workers, yields=True))
        print(f"{workers:>8} {plain:>12,.0f} {yielding:>12,.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
