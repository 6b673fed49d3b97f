"""The latest reconcile of a key says when to come back: a come-back or retry an earlier reconcile asked for is
dropped once a later one (woken by an event) succeeds without asking for one."""

from __future__ import annotations

import asyncio

from test_controller_unit import Scripted, controller, wait_for

from teamop.runtime.reconcile import Request, Result


async def test_a_success_after_an_event_drops_the_come_back_an_earlier_reconcile_asked_for() -> None:
    async def waits_then_succeeds(request: Request, attempt: int) -> Result | None:
        return Result(requeue_after=0.2) if attempt == 1 else None

    reconciler = Scripted(waits_then_succeeds)
    running = controller(reconciler, "latest-decides")
    running.start_workers()
    try:
        running.enqueue(Request("ns", "a"))
        await wait_for(lambda: len(reconciler.calls) == 1 and running.queue.waiting() == 1)
        running.enqueue(Request("ns", "a"))  # an event before the come-back is due
        await wait_for(lambda: len(reconciler.calls) == 2)
        await asyncio.sleep(0.4)
        assert len(reconciler.calls) == 2
        assert running.queue.waiting() == 0
    finally:
        await running.stop(1.0)


async def test_a_come_back_asked_for_by_the_latest_reconcile_is_kept() -> None:
    async def succeeds_then_waits(request: Request, attempt: int) -> Result | None:
        return None if attempt == 1 else Result(requeue_after=0.05)

    reconciler = Scripted(succeeds_then_waits)
    running = controller(reconciler, "latest-keeps")
    running.start_workers()
    try:
        running.enqueue(Request("ns", "a"))
        await wait_for(lambda: len(reconciler.calls) == 1)
        running.enqueue(Request("ns", "a"))
        await wait_for(lambda: len(reconciler.calls) == 3)  # the third is the come-back
    finally:
        await running.stop(1.0)
