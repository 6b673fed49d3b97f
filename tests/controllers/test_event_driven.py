"""Convergence is driven by watch events, not timers: a child's change wakes its owner at once."""

from __future__ import annotations

import functools
import time
import uuid
from typing import Any

import pytest
from sites import apply, get

from teamop.controllers.product import setup_product
from teamop.controllers.registry import DEFAULT_OPERATOR_IMAGE, PRODUCT_KINDS
from teamop.runtime.reconcile import Request, Result
from teamop.testing.controlplane import ControlPlane
from teamop.testing.operator import OperatorFactory
from teamop.testing.wait import until

pytestmark = [pytest.mark.controlplane]

FLIGHTDECK = next(kind for kind in PRODUCT_KINDS if kind.component == "flightdeck")


class Recorded:
    """Wraps a reconciler: when each reconcile of the product ended, and what it asked for."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.ended: list[tuple[float, Result | None]] = []

    async def reconcile(self, request: Request) -> Result | None:
        result: Result | None = await self.inner.reconcile(request)
        self.ended.append((time.monotonic(), result))
        return result


def available_since(plane: ControlPlane, name: str, namespace: str) -> bool:
    deployment = get(plane, "deployment", name, namespace)
    return bool(deployment and ((deployment.get("status") or {}).get("availableReplicas") or 0) >= 1)


async def test_a_product_turns_ready_when_its_deployment_becomes_available_with_no_timer(
    controlplane: ControlPlane, namespace: str, operator: OperatorFactory
) -> None:
    # Flightdeck: no database and no claim, so its readiness is its Deployment's alone.
    name = f"e{uuid.uuid4().hex[:6]}"
    running = await operator([functools.partial(setup_product, kind=FLIGHTDECK,
                                                operator_image=DEFAULT_OPERATOR_IMAGE)], namespaces=namespace)
    controller = running.manager.controllers[0]
    recorded = Recorded(controller.reconciler)
    controller.reconciler = recorded
    apply(controlplane, {"apiVersion": "core.posit.team/v1beta1", "kind": "Flightdeck",
                         "metadata": {"name": name, "namespace": namespace},
                         "spec": {"domain": f"{name}.example.test", "siteName": name, "replicas": 1}})

    await until(lambda: available_since(controlplane, f"{name}-flightdeck", namespace), timeout=60,
                what="the Deployment available")
    flightdeck = await until(
        lambda: (f := get(controlplane, "flightdeck", name, namespace)) and (f.get("status") or {}).get("ready") and f,
        timeout=60, what="the Flightdeck Ready")

    assert flightdeck["status"]["readyReplicas"] == 1
    # Every reconcile asked for nothing later: what woke the last one was the Deployment's own change.
    assert [result for _, result in recorded.ended if result is not None] == []
    assert controller.queue.waiting() == 0
