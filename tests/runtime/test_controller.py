"""A controller on the real control plane keeps a toy's children as desired, and writes nothing once converged."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import yaml

from teamop.runtime.client import Client
from teamop.runtime.controller import ControllerBuilder
from teamop.runtime.errors import NotFound
from teamop.runtime.kinds import GVK
from teamop.runtime.manager import Manager
from teamop.runtime.ownership import OwnershipConflict
from teamop.runtime.reconcile import Request, Result
from teamop.testing.controlplane import ControlPlane
from teamop.testing.toy import CONFIG_MAP, SECRET, SERVICE, TOY, Engine, EngineFactory, toy
from teamop.testing.wait import eventually_async

pytestmark = pytest.mark.controlplane


async def create(plane: ControlPlane, *objects: dict[str, Any]) -> None:
    body = "\n---\n".join(yaml.safe_dump(o) for o in objects)
    await asyncio.to_thread(plane.kubectl, "create", "-f", "-", input=body)


async def kubectl(plane: ControlPlane, *args: str) -> str:
    return (await asyncio.to_thread(plane.kubectl, *args)).stdout


async def get(engine: Engine, gvk: GVK, name: str, namespace: str) -> dict[str, Any] | None:
    try:
        return await engine.client.get(gvk, name, namespace)
    except NotFound:
        return None


def synced(engine: Engine, namespace: str, *names: str) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        for name in names:
            obj = engine.manager.cache.get(TOY, name, namespace)
            status = (obj or {}).get("status") or {}
            if status.get("phase") != "Synced" or status.get("observedGeneration") != obj["metadata"]["generation"]:
                return False
        return True

    return check


async def converge(engine: Engine, namespace: str, *names: str) -> None:
    await eventually_async(synced(engine, namespace, *names), timeout=30, what=f"toys {names} Synced")
    await engine.settled()


async def engine_with_synced_toy(plane: ControlPlane, namespace: str, start_engine: EngineFactory,
                                 **spec: Any) -> Engine:
    """An engine running the toy controller, once its toy `a` of `spec` is Synced and nothing is left to do."""
    engine = await start_engine(namespace)
    await create(plane, toy("a", namespace, **spec))
    await converge(engine, namespace, "a")
    return engine


async def test_children_are_created_with_labels_and_a_controller_reference(
    controlplane: ControlPlane, namespace: str, start_engine: EngineFactory
) -> None:
    engine = await engine_with_synced_toy(controlplane, namespace, start_engine, message="hi", port=8080)

    config_map = await get(engine, CONFIG_MAP, "a", namespace)
    service = await get(engine, SERVICE, "a", namespace)
    owner = await get(engine, TOY, "a", namespace)
    assert config_map is not None
    assert service is not None
    assert owner is not None
    assert config_map["data"] == {"message": "hi"}
    assert service["spec"]["ports"][0]["port"] == 8080
    assert config_map["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "team-operator"
    [reference] = config_map["metadata"]["ownerReferences"]
    assert reference == {"apiVersion": TOY.api_version, "kind": "Toy", "name": "a",
                         "uid": owner["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}
    assert owner["status"]["conditions"][0]["type"] == "Ready"


async def test_a_child_edited_by_hand_is_put_back(
    controlplane: ControlPlane, namespace: str, start_engine: EngineFactory
) -> None:
    engine = await engine_with_synced_toy(controlplane, namespace, start_engine, message="hi")

    await kubectl(controlplane, "-n", namespace, "patch", "configmap", "a", "--type=merge",
                  "-p", json.dumps({"data": {"message": "tampered"}}))

    async def restored() -> bool:
        config_map = await get(engine, CONFIG_MAP, "a", namespace)
        return config_map is not None and config_map["data"]["message"] == "hi"

    await eventually_async(restored, timeout=20, what="ConfigMap message put back")


async def test_a_child_deleted_by_hand_is_recreated(
    controlplane: ControlPlane, namespace: str, start_engine: EngineFactory
) -> None:
    engine = await engine_with_synced_toy(controlplane, namespace, start_engine)
    before = await get(engine, SERVICE, "a", namespace)
    assert before is not None

    await kubectl(controlplane, "-n", namespace, "delete", "service", "a")

    async def recreated() -> bool:
        service = await get(engine, SERVICE, "a", namespace)
        return service is not None and service["metadata"]["uid"] != before["metadata"]["uid"]

    await eventually_async(recreated, timeout=20, what="Service recreated")


async def test_a_child_no_longer_desired_is_deleted(
    controlplane: ControlPlane, namespace: str, start_engine: EngineFactory
) -> None:
    engine = await engine_with_synced_toy(controlplane, namespace, start_engine, withSecret=True)
    assert await get(engine, SECRET, "a", namespace) is not None

    await kubectl(controlplane, "-n", namespace, "patch", "toy", "a", "--type=merge",
                  "-p", json.dumps({"spec": {"withSecret": False}}))

    async def secret_gone() -> bool:
        return await get(engine, SECRET, "a", namespace) is None

    await eventually_async(secret_gone, timeout=20, what="Secret deleted")
    assert await get(engine, CONFIG_MAP, "a", namespace) is not None


async def test_a_setting_no_longer_desired_is_removed_from_the_child(
    controlplane: ControlPlane, namespace: str, start_engine: EngineFactory
) -> None:
    engine = await engine_with_synced_toy(controlplane, namespace, start_engine, extraKey=True)
    config_map = await get(engine, CONFIG_MAP, "a", namespace)
    assert config_map is not None
    assert "extra" in config_map["data"]

    await kubectl(controlplane, "-n", namespace, "patch", "toy", "a", "--type=merge",
                  "-p", json.dumps({"spec": {"extraKey": False}}))

    async def extra_removed() -> bool:
        config_map = await get(engine, CONFIG_MAP, "a", namespace)
        return config_map is not None and "extra" not in config_map["data"]

    await eventually_async(extra_removed, timeout=20, what="ConfigMap key 'extra' removed")


async def test_a_forced_resync_after_convergence_makes_no_writes(
    controlplane: ControlPlane, namespace: str, start_engine: EngineFactory
) -> None:
    engine = await start_engine(namespace, workers=4)
    names = [f"t{i}" for i in range(10)]
    await create(controlplane, *(toy(name, namespace, withSecret=True) for name in names))
    await converge(engine, namespace, *names)  # settled: no watch event of our own writes is still on its way
    before = engine.client.requests.snapshot()
    reconciles_before = sum(engine.reconciler.reconciles.values())
    since = engine.reconciles.mark()

    assert engine.controller.enqueue_all() == len(names)
    await engine.reconciled_since(since)

    made = engine.client.requests.snapshot() - before
    assert sum(engine.reconciler.reconciles.values()) - reconciles_before == len(names)
    assert made.writes() == 0, made
    assert made.total() - made.verb("watch") == 0, made  # an informer renewing its watch meanwhile is not the resync


async def test_a_status_only_change_of_the_primary_does_not_trigger_a_reconcile(
    controlplane: ControlPlane, namespace: str, start_engine: EngineFactory
) -> None:
    engine = await engine_with_synced_toy(controlplane, namespace, start_engine)
    count = engine.reconciler.reconciles[Request(namespace, "a")]

    # Two real changes (the CRD prunes status fields it does not declare, and an unchanged value is no change).
    await kubectl(controlplane, "-n", namespace, "patch", "toy", "a", "--subresource=status", "--type=merge",
                  "-p", json.dumps({"status": {"phase": "Paused"}}))
    changed = await kubectl(controlplane, "-n", namespace, "patch", "toy", "a", "--subresource=status",
                            "--type=merge", "-p", json.dumps({"status": {"phase": "Resumed"}}),
                            "-o", "jsonpath={.metadata.resourceVersion}")

    # The informer tells its handlers as it stores an object: once the cache holds the last change (or a later
    # one; the test API server's resourceVersions are etcd revisions, so they compare as numbers), the controller
    # has heard of both, and any key they queued is in the queue.
    async def cache_has_the_change() -> bool:
        cached = engine.manager.cache.get(TOY, "a", namespace) or {"metadata": {"resourceVersion": "0"}}
        return int(cached["metadata"]["resourceVersion"]) >= int(changed)

    await eventually_async(cache_has_the_change, timeout=20, what="the status change in the cache")
    await eventually_async(lambda: asyncio.sleep(0, engine.controller.queue.busy == 0), timeout=20,
                           what="no key queued or in progress")
    assert engine.reconciler.reconciles[Request(namespace, "a")] == count
    assert (await get(engine, TOY, "a", namespace) or {})["status"]["phase"] == "Resumed"  # nothing put it back


async def test_a_failing_reconcile_is_retried_with_growing_delays(
    controlplane: ControlPlane, namespace: str, start_engine: EngineFactory
) -> None:
    engine = await engine_with_synced_toy(controlplane, namespace, start_engine, failTimes=7)

    times = engine.reconciler.attempt_times[Request(namespace, "a")]
    assert len(times) >= 8
    gaps = [later - earlier for earlier, later in itertools.pairwise(times[:8])]
    # 5 ms doubling: 5, 10, 20, 40, 80, 160, 320 ms (each a lower bound; scheduling only adds).
    for index, gap in enumerate(gaps):
        assert gap >= 0.005 * 2**index * 0.9, gaps
    assert gaps[-1] > gaps[0]


@pytest.mark.parametrize("labelled", [True, False], ids=["in-cache", "not-in-cache"])
async def test_a_child_controlled_by_another_owner_is_not_taken_over(
    controlplane: ControlPlane, namespace: str, start_engine: EngineFactory, labelled: bool
) -> None:
    engine = await start_engine(namespace)
    await create(controlplane, {"apiVersion": "v1", "kind": "ConfigMap",
                                "metadata": {"name": "boss", "namespace": namespace}})
    boss = await get(engine, CONFIG_MAP, "boss", namespace)
    assert boss is not None
    # Without the managed-by label the child informer does not hold it: the server refuses the second
    # controller reference, and the error still names the current controller.
    labels = {"app.kubernetes.io/managed-by": "team-operator"} if labelled else {}
    await create(controlplane, {
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {
            "name": "a", "namespace": namespace, "labels": labels,
            "ownerReferences": [{"apiVersion": "v1", "kind": "ConfigMap", "name": "boss",
                                 "uid": boss["metadata"]["uid"], "controller": True}],
        },
        "data": {"message": "theirs"},
    })
    await create(controlplane, toy("a", namespace))

    async def failed_and_retried() -> bool:
        return engine.reconciler.reconciles[Request(namespace, "a")] >= 2

    await eventually_async(failed_and_retried, timeout=20, what="reconcile retried after the conflict")
    error = engine.reconciler.last_error[Request(namespace, "a")]
    assert isinstance(error, OwnershipConflict)
    assert f"ConfigMap {namespace}/a is controlled by ConfigMap boss" in str(error)
    config_map = await get(engine, CONFIG_MAP, "a", namespace)
    assert config_map is not None
    assert config_map["data"] == {"message": "theirs"}
    assert len(config_map["metadata"]["ownerReferences"]) == 1


async def test_deleting_the_owner_deletes_its_children_through_the_garbage_collector(
    controlplane: ControlPlane, namespace: str, start_engine: EngineFactory
) -> None:
    engine = await engine_with_synced_toy(controlplane, namespace, start_engine, withSecret=True)

    await kubectl(controlplane, "-n", namespace, "delete", "toy", "a", "--wait=false")

    async def children_gone() -> bool:
        for gvk in (CONFIG_MAP, SERVICE, SECRET):
            if await get(engine, gvk, "a", namespace) is not None:
                return False
        return True

    # The garbage collector discovers CRDs installed after it started with up to ~30 s delay.
    await eventually_async(children_gone, timeout=90, interval=1, what="children garbage-collected")


async def test_watches_maps_events_on_other_objects_to_keys(
    controlplane: ControlPlane, namespace: str, toy_crd: str
) -> None:
    seen: list[Request] = []

    class Recorder:
        async def reconcile(self, request: Request) -> Result | None:
            seen.append(request)
            return None

    def pointed_at(obj: dict[str, Any]) -> list[Request]:
        target = (obj["metadata"].get("annotations") or {}).get("example.dev/toy")
        return [Request(obj["metadata"]["namespace"], target)] if target else []

    async with await Client.from_kubeconfig(str(controlplane.kubeconfig)) as client:
        manager = Manager(client, namespaces=namespace, health_addr=None, metrics_addr=None)
        ControllerBuilder(manager).named("watcher").for_(TOY).watches(CONFIG_MAP, pointed_at).complete(Recorder())
        task = asyncio.get_running_loop().create_task(manager.run())
        try:
            await create(controlplane, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {
                "name": "pointer", "namespace": namespace, "annotations": {"example.dev/toy": "target"}}})
            await eventually_async(lambda: asyncio.sleep(0, Request(namespace, "target") in seen), timeout=20,
                                   what="the mapped key reconciled")
            assert Request(namespace, "pointer") not in seen
        finally:
            manager.request_stop()
            await asyncio.wait_for(task, 30)
