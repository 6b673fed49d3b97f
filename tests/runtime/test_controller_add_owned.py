"""A child kind a running controller starts owning later (its CRD was installed after the controller started):
from then on, events on its objects bring their owner back, as for a kind owned from the start."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable

import pytest

from teamop.runtime.kinds import GVK
from teamop.runtime.reconcile import Request
from teamop.testing.controlplane import ControlPlane
from teamop.testing.toy import EngineFactory, toy
from teamop.testing.wait import eventually_async

pytestmark = pytest.mark.controlplane

SERVICE_ACCOUNT = GVK("", "v1", "ServiceAccount")  # a kind the toy controller does not own from the start


async def kubectl(plane: ControlPlane, *args: str, input: str | None = None) -> str:
    return (await asyncio.to_thread(plane.kubectl, *args, input=input)).stdout


async def test_an_event_on_a_child_of_a_kind_owned_later_reconciles_its_owner(
    controlplane: ControlPlane, namespace: str, start_engine: EngineFactory
) -> None:
    engine = await start_engine(namespace)
    await kubectl(controlplane, "create", "-f", "-", input=json.dumps(toy("a", namespace)))
    request = Request(namespace, "a")

    def reconciled_more_than(count: int) -> Callable[[], Awaitable[bool]]:
        async def check() -> bool:
            return engine.reconciler.reconciles[request] > count
        return check

    await eventually_async(reconciled_more_than(0), timeout=30, what="the toy reconciled")
    await engine.settled()
    uid = json.loads(await kubectl(controlplane, "get", "toy", "a", "-n", namespace, "-o", "json"))["metadata"]["uid"]

    await engine.controller.add_owned(SERVICE_ACCOUNT, label_selector=engine.manager.managed_by.selector)
    before = engine.reconciler.reconciles[request]
    child = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {
        "name": "a-child", "namespace": namespace, "labels": engine.manager.managed_by.labels(),
        "ownerReferences": [{"apiVersion": "runtime.teamop.dev/v1", "kind": "Toy", "name": "a", "uid": uid,
                             "controller": True}]}}
    await kubectl(controlplane, "create", "-f", "-", input=json.dumps(child))

    await eventually_async(reconciled_more_than(before), timeout=30,
                           what="the toy reconciled after its child appeared")
    assert SERVICE_ACCOUNT in engine.controller.owned_kinds
