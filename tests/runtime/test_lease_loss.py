"""Leader election on its own thread and client: a leader that sees another holder on its Lease stops at once and
writes nothing more (not even from a reconcile that catches its cancellation), and with a client throttle of one
request a second the lease is still renewed while reconciles queue for the throttle."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest
from scripted import Managers, create_toys

from teamop.runtime.client import Client
from teamop.runtime.manager import LeadershipLost
from teamop.runtime.reconcile import Request
from teamop.runtime.transport import WritesFenced
from teamop.testing.controlplane import ControlPlane
from teamop.testing.wait import eventually_async

pytestmark = pytest.mark.controlplane


@pytest.fixture
async def managers(controlplane: ControlPlane, toy_crd: str) -> AsyncIterator[Managers]:
    started = Managers(controlplane)
    yield started
    await started.stop_all()


def lease(plane: ControlPlane, namespace: str, name: str) -> dict[str, object]:
    return json.loads(plane.kubectl("-n", namespace, "get", "lease", name, "-o", "json").stdout)  # type: ignore[no-any-return]


def exists(plane: ControlPlane, namespace: str, kind: str, name: str) -> bool:
    return plane.kubectl("-n", namespace, "get", kind, name, check=False).returncode == 0


async def steal(plane: ControlPlane, namespace: str, name: str) -> dict[str, object]:
    """Write the Lease as another candidate that took it; returns the Lease as it then is."""
    await asyncio.to_thread(
        plane.kubectl, "-n", namespace, "patch", "lease", name, "--type=merge",
        "-p", '{"spec": {"holderIdentity": "new-leader", "leaseDurationSeconds": 600}}',
    )
    return await asyncio.to_thread(lease, plane, namespace, name)


# A renew deadline far beyond these tests: only seeing the other holder can end the leadership.
PATIENT_LEADER = {"leader_election": True, "identity": "old-leader", "lease_duration": 600, "renew_deadline": 300,
                  "retry_period": 0.5}


async def test_no_write_from_the_old_leader_once_another_holder_took_the_lease(
    controlplane: ControlPlane, namespace: str, managers: Managers
) -> None:
    gate = asyncio.Event()
    at_gate = asyncio.Event()
    cancelled_at_gate = asyncio.Event()

    async def wait_at_gate(request: Request, attempt: int) -> None:
        at_gate.set()
        try:
            await gate.wait()
        except asyncio.CancelledError:
            cancelled_at_gate.set()
            raise

    manager, _, _, task = await managers.start(
        namespace, wait_at_gate, lease_name="stolen", lease_namespace=namespace, **PATIENT_LEADER
    )
    assert manager.elector is not None
    writes_at_loss: list[int] = []
    loop = asyncio.get_running_loop()

    def on_lost(reason: str) -> None:  # in the election thread, right after the manager's own callback
        writes_at_loss.append(manager.client.requests.writes())
        loop.call_soon_threadsafe(gate.set)  # the reconcile in flight may now write, if it still runs

    manager.elector.on_lost.append(on_lost)
    await create_toys(controlplane, namespace, "a")
    await eventually_async(lambda: asyncio.sleep(0, at_gate.is_set()), what="the reconcile of toy a at the gate")

    stolen = await steal(controlplane, namespace, "stolen")

    with pytest.raises(LeadershipLost):
        await asyncio.wait_for(task, 60)
    assert cancelled_at_gate.is_set()
    assert writes_at_loss
    assert manager.client.requests.writes() == writes_at_loss[0]
    assert not await asyncio.to_thread(exists, controlplane, namespace, "configmap", "a")
    assert await asyncio.to_thread(lease, controlplane, namespace, "stolen") == stolen  # nor renewed it


async def test_a_write_attempted_after_the_loss_by_a_reconcile_that_catches_its_cancellation_is_not_sent(
    controlplane: ControlPlane, namespace: str, managers: Managers
) -> None:
    at_gate = asyncio.Event()
    refused: list[WritesFenced] = []

    async def write_when_cancelled(request: Request, attempt: int) -> None:
        at_gate.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:  # e.g. clean-up in a `finally`
            try:
                await manager.client.create({"apiVersion": "v1", "kind": "ConfigMap",
                                             "metadata": {"name": "after-the-loss", "namespace": namespace}})
            except WritesFenced as error:
                refused.append(error)
            raise

    manager, _, _, task = await managers.start(
        namespace, write_when_cancelled, lease_name="fenced", lease_namespace=namespace, **PATIENT_LEADER
    )
    await create_toys(controlplane, namespace, "a")
    await eventually_async(lambda: asyncio.sleep(0, at_gate.is_set()), what="the reconcile of toy a waiting")
    writes = manager.client.requests.writes()

    await steal(controlplane, namespace, "fenced")

    with pytest.raises(LeadershipLost):
        await asyncio.wait_for(task, 60)
    assert len(refused) == 1
    assert manager.client.requests.writes() == writes
    assert not await asyncio.to_thread(exists, controlplane, namespace, "configmap", "after-the-loss")


async def test_the_lease_is_renewed_while_reconciles_wait_for_a_throttle_of_one_request_a_second(
    controlplane: ControlPlane, namespace: str, managers: Managers
) -> None:
    throttled = await Client.from_kubeconfig(str(controlplane.kubeconfig), qps=1, burst=1)
    # A renewal every half second needs more than the whole throttle, and 3 s without one loses the lease.
    manager, controller, _, task = await managers.start(
        namespace, client=throttled, leader_election=True, lease_name="busy", lease_namespace=namespace,
        identity="busy-leader", lease_duration=4, renew_deadline=3, retry_period=0.5,
    )
    await create_toys(controlplane, namespace, *(f"t{i}" for i in range(10)), extraConfigMaps=4)
    renewals_under_load: set[str] = set()

    async def renewed_while_busy() -> bool:
        spec = (await asyncio.to_thread(lease, controlplane, namespace, "busy"))["spec"]
        assert isinstance(spec, dict)
        assert spec["holderIdentity"] == "busy-leader"
        if controller.queue.busy:
            renewals_under_load.add(spec["renewTime"])
        return len(renewals_under_load) >= 8

    await eventually_async(renewed_while_busy, timeout=120, interval=0.2, what="8 renewals while reconciles wait")
    assert controller.queue.busy  # still backlogged: the renewals did not wait for the reconciles to finish
    assert manager.leading
    assert not task.done()
    spec = (await asyncio.to_thread(lease, controlplane, namespace, "busy"))["spec"]
    assert isinstance(spec, dict)
    assert spec["leaseTransitions"] == 0
