"""What the operator's cache keeps of an object, on the real API server: of managedFields only what teamop reads
(its own Apply entries and, merged, whether anyone else owns a field; every entry while a previous operator's
fields await takeover), no `kubectl apply` annotation, Pods' status only; and cached objects cannot be changed by
a reader."""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from teamop.runtime.cache import InformerCache
from teamop.runtime.cachetransform import LAST_APPLIED_ANNOTATION, OTHERS, status_only
from teamop.runtime.client import Client
from teamop.runtime.frozen import ReadOnlyError
from teamop.runtime.kinds import GVK
from teamop.testing.controlplane import ControlPlane
from teamop.testing.wait import until

CONFIGMAP = GVK("", "v1", "ConfigMap")
POD = GVK("", "v1", "Pod")
PREDECESSOR = "go-operator"


@pytest.fixture
async def client(controlplane: ControlPlane) -> AsyncIterator[Client]:
    api = await Client.from_kubeconfig(str(controlplane.kubeconfig), registry=CollectorRegistry())
    yield api
    await api.close()


@asynccontextmanager
async def synced_cache(client: Client, namespace: str, *kinds: GVK) -> AsyncIterator[InformerCache]:
    """The cache as the manager configures it (the previous operator's manager named for takeover), synced, and
    stopped on leaving."""
    cache = InformerCache(client, take_over_managers=[PREDECESSOR])
    cache.set_transform(POD, status_only)
    for gvk in kinds:
        cache.get_informer(gvk, namespace=namespace)
    try:
        await cache.start()
        await cache.wait_for_sync(timeout=30)
        yield cache
    finally:
        await cache.stop()


async def cached_as_written(cache: InformerCache, gvk: GVK, written: dict[str, Any]) -> dict[str, Any]:
    """The cached object once the cache holds the last write: an informer's first LIST may be answered from the
    API server's watch cache, a moment behind a write just made, and the watch brings the write after it. (Later
    writes by others, a Pod's binding and status, count too: etcd's resourceVersions only grow.)"""
    name, namespace = written["metadata"]["name"], written["metadata"]["namespace"]
    version = written["metadata"]["resourceVersion"]

    def held() -> dict[str, Any] | None:
        obj = cache.get(gvk, name, namespace)
        return obj if obj is not None and int(obj["metadata"]["resourceVersion"]) >= int(version) else None

    return await until(held, what=f"the cache to hold {gvk.kind} {name} at resourceVersion {version} or later")


def managers(obj: dict[str, Any] | None) -> list[tuple[str, str]]:
    entries = ((obj or {}).get("metadata") or {}).get("managedFields") or []
    return sorted((entry["manager"], entry.get("subresource", "")) for entry in entries)


def kubectl_apply(controlplane: ControlPlane, obj: dict[str, Any]) -> None:
    """A client-side `kubectl apply`: it leaves the last-applied annotation and an Update entry."""
    controlplane.kubectl("apply", "-f", "-", input=json.dumps(obj))


def configmap(name: str, namespace: str, **data: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": namespace},
            "data": data}


@pytest.mark.controlplane
async def test_the_cache_keeps_our_entry_and_one_merged_entry_of_everyone_elses(
    controlplane: ControlPlane, namespace: str, client: Client
) -> None:
    kubectl_apply(controlplane, configmap("shared", namespace, theirs="1"))
    await client.patch(CONFIGMAP, "shared", namespace, {"data": {"edited": "2"}}, field_manager="kubectl-edit")
    written = await client.apply(configmap("shared", namespace, ours="3"))
    async with synced_cache(client, namespace, CONFIGMAP) as cache:
        cached = await cached_as_written(cache, CONFIGMAP, written)
        assert managers(cached) == sorted([(client.field_manager, ""), (OTHERS, "")])
        others = next(e for e in cached["metadata"]["managedFields"] if e["manager"] == OTHERS)
        assert {"f:theirs", "f:edited"} <= set(others["fieldsV1"]["f:data"])
        assert LAST_APPLIED_ANNOTATION not in (cached["metadata"].get("annotations") or {})
        assert cached["data"] == {"theirs": "1", "edited": "2", "ours": "3"}


@pytest.mark.controlplane
async def test_every_entry_is_kept_while_a_previous_operators_fields_await_takeover(
    controlplane: ControlPlane, namespace: str, client: Client
) -> None:
    await client.create(configmap("inherited", namespace, old="1"), field_manager=PREDECESSOR)
    written = await client.patch(CONFIGMAP, "inherited", namespace, {"data": {"edited": "2"}},
                                 field_manager="kubectl-edit")
    async with synced_cache(client, namespace, CONFIGMAP) as cache:
        cached = await cached_as_written(cache, CONFIGMAP, written)
        assert managers(cached) == [("go-operator", ""), ("kubectl-edit", "")]


@pytest.mark.controlplane
async def test_pods_are_cached_with_their_status_and_without_managed_fields(
    controlplane: ControlPlane, namespace: str, client: Client
) -> None:
    written = await client.create({"apiVersion": "v1", "kind": "Pod",
                                   "metadata": {"name": "web", "namespace": namespace},
                                   "spec": {"containers": [{"name": "web", "image": "example.dev/web:1"}]}})
    async with synced_cache(client, namespace, POD) as cache:
        pod = await cached_as_written(cache, POD, written)
        assert sorted(pod) == ["apiVersion", "kind", "metadata", "status"]
        assert "managedFields" not in pod["metadata"]


@pytest.mark.controlplane
async def test_a_reader_that_changes_a_cached_object_is_refused_and_the_cache_stays_as_it_was(
    controlplane: ControlPlane, namespace: str, client: Client
) -> None:
    written = await client.apply(configmap("read", namespace, value="1"))
    async with synced_cache(client, namespace, CONFIGMAP) as cache:
        cached = await cached_as_written(cache, CONFIGMAP, written)
        with pytest.raises(ReadOnlyError):
            cached["data"]["value"] = "changed by a reconciler"
        with pytest.raises(ReadOnlyError):
            cached["metadata"].setdefault("labels", {})["added"] = "by a reconciler"
        changed = copy.deepcopy(cached)  # what a reader that needs a changed object does
        changed["data"]["value"] = "2"
        assert cache.get(CONFIGMAP, "read", namespace) == cached
        assert cache.get(CONFIGMAP, "read", namespace)["data"] == {"value": "1"}
