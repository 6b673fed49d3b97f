"""The periodic resync: every primary object is reconciled again, and that reconcile makes every write (the
safety net under the skip decision); on a converged object those writes change nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import pytest
import yaml

from teamop.runtime import resync
from teamop.runtime.controller import Controller, ControllerOptions
from teamop.runtime.kinds import GVK
from teamop.runtime.reconcile import Request, Result
from teamop.testing.controlplane import ControlPlane
from teamop.testing.toy import TOY, EngineFactory, toy
from teamop.testing.wait import eventually_async

THING = GVK("example.dev", "v1", "Thing")


class Listing:
    """The one read a resync makes of the cache: every primary object."""

    def __init__(self, *names: str) -> None:
        self.objects = [{"metadata": {"namespace": "ns", "name": name}} for name in names]

    def list(self, gvk: GVK) -> list[Mapping[str, Any]]:
        return list(self.objects)


class Recording:
    """A reconciler that records whether each reconcile was forced, and whether a task it starts sees it."""

    def __init__(self) -> None:
        self.calls: list[tuple[Request, bool, bool]] = []

    async def reconcile(self, request: Request) -> Result | None:
        in_task = await asyncio.ensure_future(asyncio.sleep(0, resync.forced()))
        self.calls.append((request, resync.forced(), in_task))
        return None


def controller(reconciler: Recording, **options: Any) -> Controller:
    return Controller("resync-test", reconciler, cache=Listing("a", "b"), primary=THING,  # type: ignore[arg-type]
                      sources=[], options=ControllerOptions(**options))


async def until(condition: Any) -> None:
    await eventually_async(lambda: asyncio.sleep(0, condition()), timeout=30, interval=0.01)


async def test_a_forced_resync_forces_the_reconciles_it_queued_and_no_others() -> None:
    reconciler = Recording()
    worker = controller(reconciler, forced_resync_period=0.05)
    worker.start_workers()
    try:
        await until(lambda: {(r.name, forced) for r, forced, _ in reconciler.calls} >= {("a", True), ("b", True)})
        reconciler.calls.clear()
        await until(lambda: not worker.queue.busy)
        worker.enqueue(Request("ns", "c"))
        await until(lambda: any(r.name == "c" for r, _, _ in reconciler.calls))
    finally:
        await worker.abort()
    assert [forced for r, forced, _ in reconciler.calls if r.name == "c"] == [False]


async def test_the_forced_mark_reaches_the_tasks_a_reconcile_starts() -> None:
    reconciler = Recording()
    worker = controller(reconciler, forced_resync_period=0.05)
    worker.start_workers()
    try:
        await until(lambda: len(reconciler.calls) >= 2)
    finally:
        await worker.abort()
    assert all(in_task for _, forced, in_task in reconciler.calls if forced)


async def test_a_plain_resync_queues_every_object_without_forcing_it() -> None:
    reconciler = Recording()
    worker = controller(reconciler, resync_period=0.05)
    worker.start_workers()
    try:
        await until(lambda: {r.name for r, _, _ in reconciler.calls} >= {"a", "b"})
    finally:
        await worker.abort()
    assert not any(forced for _, forced, _ in reconciler.calls)


def test_each_wait_is_jittered_by_up_to_ten_percent() -> None:
    waits = [resync.jittered(100.0) for _ in range(1000)]
    assert all(90.0 <= wait <= 110.0 for wait in waits)
    assert len(set(waits)) > 1


def test_outside_a_forced_reconcile_nothing_is_forced() -> None:
    assert not resync.forced()
    with resync.forcing():
        assert resync.forced()
    assert not resync.forced()


# -- on the API server -------------------------------------------------------------------------------------------


def resource_versions(plane: ControlPlane, namespace: str) -> dict[str, str]:
    listed = yaml.safe_load(plane.kubectl("-n", namespace, "get", "configmaps,services,toys", "-o", "yaml").stdout)
    return {f"{item['kind']}/{item['metadata']['name']}": item["metadata"]["resourceVersion"]
            for item in listed["items"] if item["metadata"]["name"] in ("a", "b")}


@pytest.mark.controlplane
async def test_a_resync_applies_every_child_and_status_again_without_changing_them(
    controlplane: ControlPlane, namespace: str, start_engine: EngineFactory
) -> None:
    engine = await start_engine(namespace, resync_period=2.0)
    body = "\n---\n".join(yaml.safe_dump(toy(name, namespace)) for name in ("a", "b"))
    await asyncio.to_thread(controlplane.kubectl, "create", "-f", "-", input=body)

    async def synced() -> bool:
        objects = [engine.manager.cache.get(TOY, name, namespace) for name in ("a", "b")]
        return all(((obj or {}).get("status") or {}).get("phase") == "Synced" for obj in objects)

    await eventually_async(synced, timeout=60, what="both toys Synced")
    await engine.idle()
    versions = await asyncio.to_thread(resource_versions, controlplane, namespace)
    before = engine.client.requests.snapshot()

    async def reapplied() -> bool:
        made = engine.client.requests.snapshot() - before
        return all(made.verb("apply", resource) >= 2 for resource in ("configmaps", "services", "toys/status"))

    await eventually_async(reapplied, timeout=60, what="a resync applying both toys' children and status")
    assert await asyncio.to_thread(resource_versions, controlplane, namespace) == versions
