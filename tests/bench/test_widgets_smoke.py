"""Smoke run of the widget benchmark's teamop engine (`bench/widgets`) on the test control plane: N=20 Widgets all
reach Synced, then a restarted engine finds nothing to write. Timings and request counts are printed, never
asserted (the side-by-side figures come from `bench/run-widgets`)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass

import pytest
from bench.widgets import CRD, MANAGED_BY, OWNED_KINDS, WIDGET, WidgetReconciler, setup

from teamop.runtime.client import Client
from teamop.runtime.controller import Controller
from teamop.runtime.manager import Manager
from teamop.runtime.requestcount import RequestSnapshot
from teamop.testing.controlplane import ControlPlane
from teamop.testing.settle import ReconcileLog, wait_reconciled_since, wait_settled
from teamop.testing.wait import until

pytestmark = pytest.mark.controlplane

N = 20


@dataclass
class WidgetEngine:
    client: Client
    manager: Manager
    controller: Controller
    reconciler: WidgetReconciler
    reconciles: ReconcileLog
    task: asyncio.Task[None]

    async def wait_synced(self) -> None:
        while not (self.manager.cache.informers() and self.manager.cache.has_synced):
            if self.task.done():
                self.task.result()
            await asyncio.sleep(0.05)

    async def reconciled_everything(self) -> None:
        """Until every widget has been reconciled to completion since the start and no key is queued or running."""
        await wait_reconciled_since(self.manager, self.reconciles, {}, timeout=60)

    async def settled(self) -> None:
        """Until reconciling every widget once more writes nothing and the cache equals the API server."""
        await wait_settled(self.manager, self.reconciles, timeout=60)

    async def stop(self) -> None:
        self.manager.request_stop()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.task, 30)
        await self.client.close()


async def start(controlplane: ControlPlane, namespace: str) -> WidgetEngine:
    client = await Client.from_kubeconfig(str(controlplane.kubeconfig))
    manager = Manager(
        client, namespaces=namespace, health_addr=None, metrics_addr=None, grace_period=10, managed_by=MANAGED_BY
    )
    controller = setup(manager)
    reconciler = controller.reconciler
    assert isinstance(reconciler, WidgetReconciler)
    reconciles = ReconcileLog()
    reconciles.install(manager)
    engine = WidgetEngine(client, manager, controller, reconciler, reconciles,
                          asyncio.get_running_loop().create_task(manager.run()))
    await engine.wait_synced()
    return engine


def widget(name: str, namespace: str, index: int) -> dict[str, object]:
    return {
        "apiVersion": WIDGET.api_version, "kind": "Widget", "metadata": {"name": name, "namespace": namespace},
        "spec": {"message": f"hello {index}", "port": 8000 + index},
    }


def synced_widgets(controlplane: ControlPlane, namespace: str) -> int:
    items = controlplane.kubectl_json("get", "widgets", "-n", namespace)["items"]
    assert isinstance(items, list)
    return sum(
        1 for w in items
        if (w.get("status") or {}).get("phase") == "Synced"
        and (w.get("status") or {}).get("observedGeneration") == w["metadata"]["generation"]
    )


def children(controlplane: ControlPlane, namespace: str) -> dict[str, list[dict[str, object]]]:
    found: dict[str, list[dict[str, object]]] = {}
    for gvk in OWNED_KINDS:
        items = controlplane.kubectl_json("get", gvk.kind.lower(), "-n", namespace, "-l", MANAGED_BY.selector)["items"]
        assert isinstance(items, list)
        found[gvk.kind] = items
    return found


def breakdown(made: RequestSnapshot) -> str:
    return ", ".join(f"{verb} {resource}: {n}" for (verb, resource), n in sorted(made.by_verb_resource.items()))


@pytest.fixture(scope="module")
def widget_crd(controlplane: ControlPlane) -> str:
    controlplane.kubectl("apply", "--server-side", "-f", str(CRD))
    controlplane.kubectl("wait", "--for=condition=Established", "--timeout=60s", "crd/widgets.bench.teamop.dev")
    return "widgets.bench.teamop.dev"


async def test_widgets_converge_and_a_restart_writes_nothing(
    controlplane: ControlPlane, namespace: str, widget_crd: str
) -> None:
    engine = await start(controlplane, namespace)
    try:
        before = engine.client.requests.snapshot()
        started = time.monotonic()
        items = [widget(f"w{i:05d}", namespace, i) for i in range(N)]
        await asyncio.to_thread(
            controlplane.kubectl, "create", "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "List",
                                                                         "items": items}),
        )
        await until(lambda: synced_widgets(controlplane, namespace) == N, timeout=120, interval=0.25,
                    what=f"all {N} widgets Synced")
        converge = time.monotonic() - started
        await engine.reconciled_everything()
        made = engine.client.requests.snapshot() - before
        await engine.settled()  # its trailing status updates written before it stops
    finally:
        await engine.stop()
    print(f"\n[widgets smoke] N={N}: converged in {converge:.2f} s; {made.writes()} writes, {made.total()} requests "
          f"({made.total() / N:.2f} per widget) [{breakdown(made)}]")

    found = await asyncio.to_thread(children, controlplane, namespace)
    for kind, objects in found.items():
        assert sorted(o["metadata"]["name"] for o in objects) == [f"w{i:05d}" for i in range(N)], kind  # type: ignore[index]
    service = next(o for o in found["Service"] if o["metadata"]["name"] == "w00003")  # type: ignore[index]
    assert service["spec"]["ports"][0]["port"] == 8003  # type: ignore[index]
    assert service["metadata"]["ownerReferences"][0]["kind"] == "Widget"  # type: ignore[index]

    restarted = await start(controlplane, namespace)
    try:
        before = restarted.client.requests.snapshot()
        started = time.monotonic()
        await restarted.reconciled_everything()  # it has done all it would: every widget reconciled, nothing queued
        made = restarted.client.requests.snapshot() - before
        since_start = restarted.client.requests.snapshot()
    finally:
        await restarted.stop()
    took = time.monotonic() - started
    print(f"[widgets smoke] restart: {restarted.reconciler.reconciles} reconciles in {took:.2f} s; "
          f"{made.writes()} writes, {made.total()} requests [{breakdown(made) or 'none'}]")
    assert restarted.reconciler.reconciles >= N
    assert since_start.writes() == 0, breakdown(since_start)
