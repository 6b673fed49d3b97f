"""Controller workers, without an API server: errors are retried with backoff and never kill a worker, results
steer requeues, concurrency is bounded and per key exclusive, and stopping lets work in flight finish."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from teamop.runtime import metrics
from teamop.runtime.controller import Controller, ControllerOptions, owner_mapper
from teamop.runtime.kinds import GVK
from teamop.runtime.predicates import GenerationChanged
from teamop.runtime.ratelimiter import ItemExponentialFailureRateLimiter
from teamop.runtime.reconcile import Request, Result

THING = GVK("example.dev", "v1", "Thing")


class Scripted:
    """A reconciler that runs `behaviour(request, attempt)` and records what happened."""

    def __init__(self, behaviour: Any = None) -> None:
        self.behaviour = behaviour
        self.calls: list[Request] = []
        self.running: set[Request] = set()
        self.max_parallel = 0
        self.overlap = False

    async def reconcile(self, request: Request) -> Result | None:
        if request in self.running:
            self.overlap = True
        self.running.add(request)
        self.max_parallel = max(self.max_parallel, len(self.running))
        self.calls.append(request)
        try:
            if self.behaviour is not None:
                return await self.behaviour(request, self.calls.count(request))  # type: ignore[no-any-return]
            return None
        finally:
            self.running.discard(request)


def controller(reconciler: Scripted, name: str, **options: Any) -> Controller:
    options.setdefault("rate_limiter", ItemExponentialFailureRateLimiter(0.01, 1.0))
    return Controller(name, reconciler, cache=None, primary=THING, sources=[],  # type: ignore[arg-type]
                      options=ControllerOptions(**options))


async def wait_for(condition: Any, timeout: float = 5.0) -> None:
    async def poll() -> None:
        while True:
            if condition():
                return
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), timeout)


async def test_an_exception_is_retried_with_backoff_and_the_worker_survives() -> None:
    async def fail_twice(request: Request, attempt: int) -> None:
        if request.name == "a" and attempt <= 2:
            raise RuntimeError("boom")

    reconciler = Scripted(fail_twice)
    ctl = controller(reconciler, "unit-errors")
    errors_before = metrics.reconcile_errors_total.labels("unit-errors")._value.get()
    ctl.start_workers()
    ctl.enqueue(Request("ns", "a"))
    await wait_for(lambda: len(reconciler.calls) == 3)
    ctl.enqueue(Request("ns", "b"))
    await wait_for(lambda: Request("ns", "b") in reconciler.calls)
    await ctl.stop(1)
    assert metrics.reconcile_errors_total.labels("unit-errors")._value.get() - errors_before == 2
    assert ctl.queue.num_requeues(Request("ns", "a")) == 0  # forgotten after the success


async def test_requeue_after_runs_the_key_again_later() -> None:
    async def again_once(request: Request, attempt: int) -> Result | None:
        return Result(requeue_after=0.05) if attempt == 1 else None

    reconciler = Scripted(again_once)
    ctl = controller(reconciler, "unit-requeue-after")
    ctl.start_workers()
    ctl.enqueue(Request("ns", "a"))
    await wait_for(lambda: len(reconciler.calls) == 2)
    await wait_for(lambda: ctl.queue.busy == 0 and ctl.queue.waiting() == 0)  # nothing queued, running or held
    await ctl.stop(1)
    assert len(reconciler.calls) == 2


async def test_requeue_retries_with_backoff() -> None:
    async def requeue_twice(request: Request, attempt: int) -> Result | None:
        return Result(requeue=True) if attempt <= 2 else None

    reconciler = Scripted(requeue_twice)
    ctl = controller(reconciler, "unit-requeue")
    ctl.start_workers()
    ctl.enqueue(Request("ns", "a"))
    await wait_for(lambda: len(reconciler.calls) == 3)
    await ctl.stop(1)


async def test_workers_run_different_keys_in_parallel_but_never_one_key_twice() -> None:
    async def slow(request: Request, attempt: int) -> None:
        await asyncio.sleep(0.02)

    reconciler = Scripted(slow)
    ctl = controller(reconciler, "unit-parallel", max_concurrent_reconciles=4)
    ctl.start_workers()
    for round_ in range(5):
        for key in "abcdef":
            ctl.enqueue(Request("ns", key))
        await asyncio.sleep(0.005 * round_)
    await wait_for(lambda: ctl.queue.busy == 0)
    await ctl.stop(1)
    assert reconciler.max_parallel == 4
    assert not reconciler.overlap


async def test_max_concurrent_reconciles_is_exported() -> None:
    controller(Scripted(), "unit-gauge", max_concurrent_reconciles=3)
    assert metrics.max_concurrent_reconciles.labels("unit-gauge")._value.get() == 3


async def test_stop_lets_a_reconcile_in_flight_finish() -> None:
    finished = asyncio.Event()

    async def slow(request: Request, attempt: int) -> None:
        await asyncio.sleep(0.2)
        finished.set()

    reconciler = Scripted(slow)
    ctl = controller(reconciler, "unit-drain")
    ctl.start_workers()
    ctl.enqueue(Request("ns", "a"))
    await wait_for(lambda: reconciler.running)
    ctl.enqueue(Request("ns", "b"))
    await ctl.stop(grace=5)
    assert finished.is_set()
    assert reconciler.calls == [Request("ns", "a")]  # no new work was taken after the stop


async def test_stop_cancels_a_reconcile_that_outlives_the_grace_period() -> None:
    async def stuck(request: Request, attempt: int) -> None:
        await asyncio.sleep(60)

    reconciler = Scripted(stuck)
    ctl = controller(reconciler, "unit-grace")
    ctl.start_workers()
    ctl.enqueue(Request("ns", "a"))
    await wait_for(lambda: reconciler.running)
    await asyncio.wait_for(ctl.stop(grace=0.1), 2)
    assert not ctl.running


async def test_abort_stops_every_worker_at_once() -> None:
    async def stuck(request: Request, attempt: int) -> None:
        await asyncio.sleep(60)

    reconciler = Scripted(stuck)
    ctl = controller(reconciler, "unit-abort", max_concurrent_reconciles=2)
    ctl.start_workers()
    ctl.enqueue(Request("ns", "a"))
    ctl.enqueue(Request("ns", "b"))
    await wait_for(lambda: len(reconciler.running) == 2)
    await asyncio.wait_for(ctl.abort(), 1)
    assert not ctl.running


def test_an_owned_child_maps_to_its_controller_owner() -> None:
    child = {"metadata": {"namespace": "ns", "name": "child", "ownerReferences": [
        {"apiVersion": "example.dev/v1", "kind": "Thing", "name": "parent", "uid": "u", "controller": True}]}}
    assert owner_mapper(THING)(child) == [Request("ns", "parent")]


def test_an_owner_of_another_group_or_a_non_controller_reference_maps_to_nothing() -> None:
    other_group = {"metadata": {"namespace": "ns", "name": "c", "ownerReferences": [
        {"apiVersion": "other.dev/v1", "kind": "Thing", "name": "p", "uid": "u", "controller": True}]}}
    not_controller = {"metadata": {"namespace": "ns", "name": "c", "ownerReferences": [
        {"apiVersion": "example.dev/v1", "kind": "Thing", "name": "p", "uid": "u"}]}}
    assert owner_mapper(THING)(other_group) == []
    assert owner_mapper(THING)(not_controller) == []


def test_a_cluster_scoped_owner_gets_a_key_without_namespace() -> None:
    child = {"metadata": {"namespace": "ns", "name": "c", "ownerReferences": [
        {"apiVersion": "example.dev/v1", "kind": "Thing", "name": "p", "uid": "u", "controller": True}]}}
    assert owner_mapper(THING, owner_namespaced=False)(child) == [Request("", "p")]


def meta(**fields: Any) -> dict[str, Any]:
    base = {"name": "x", "generation": 1, "resourceVersion": "1", "labels": {"a": "b"}}
    return {"metadata": {**base, **fields}, "status": {}}


@pytest.mark.parametrize(
    ("change", "triggers"),
    [
        ({"resourceVersion": "2"}, False),
        ({"managedFields": [{"manager": "x"}]}, False),
        ({"generation": 2}, True),
        ({"labels": {"a": "c"}}, True),
        ({"annotations": {"note": "x"}}, True),
        ({"finalizers": ["f"]}, True),
        ({"deletionTimestamp": "2026-01-01T00:00:00Z"}, True),
    ],
)
def test_the_generation_predicate_lets_through_only_meaningful_updates(
    change: dict[str, Any], triggers: bool
) -> None:
    old = meta()
    new = meta(**change)
    new["status"] = {"phase": "changed"}
    assert GenerationChanged().update(old, new) is triggers
