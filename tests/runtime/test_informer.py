"""Informers and the shared cache against the real API server: events, scoping, indexes, an API server outage and
an expired resourceVersion; plus the store and label selectors on their own."""

from __future__ import annotations

import asyncio
import base64
import copy
import json
import urllib.request
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from teamop.runtime.cache import InformerCache, InformerNotFound
from teamop.runtime.client import Client, WatchEvent
from teamop.runtime.frozen import ReadOnlyError
from teamop.runtime.informer import Backoff, EventHandler, FuncHandler, Informer
from teamop.runtime.kinds import GVK
from teamop.runtime.labels import parse_selector
from teamop.runtime.store import Store
from teamop.testing.controlplane import ControlPlane
from teamop.testing.wait import eventually_async

CONFIGMAP = GVK("", "v1", "ConfigMap")
SECRET = GVK("", "v1", "Secret")
WIDGET = GVK("io.runtime.teamop.dev", "v1", "Widget")
WIDGET_CRD = Path(__file__).with_name("io-widget-crd.yaml")


# -- pure parts ---------------------------------------------------------------------------------------------------


def obj(name: str, namespace: str = "a", rv: str = "1", labels: dict[str, str] | None = None,
        owner: str | None = None) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, "namespace": namespace, "resourceVersion": rv,
                                "labels": labels or {}}
    if owner:
        metadata["ownerReferences"] = [{"uid": "not-controller"}, {"uid": owner, "controller": True}]
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata}


@pytest.mark.parametrize(
    ("selector", "labels", "matches"),
    [
        ("", {}, True),
        ("app=web", {"app": "web"}, True),
        ("app==web", {"app": "db"}, False),
        ("app!=web", {}, True),
        ("app!=web", {"app": "web"}, False),
        ("app", {"app": ""}, True),
        ("!app", {"app": "x"}, False),
        ("!app", {}, True),
        ("tier in (a, b),app", {"tier": "b", "app": "x"}, True),
        ("tier in (a,b)", {"tier": "c"}, False),
        ("tier notin (a,b)", {}, True),
        ("app.kubernetes.io/managed-by=team-operator,posit.team/site=s1",
         {"app.kubernetes.io/managed-by": "team-operator", "posit.team/site": "s1"}, True),
        ("app.kubernetes.io/managed-by=team-operator,posit.team/site=s1",
         {"app.kubernetes.io/managed-by": "team-operator", "posit.team/site": "s2"}, False),
    ],
)
def test_label_selectors(selector: str, labels: dict[str, str], matches: bool) -> None:
    assert parse_selector(selector).matches(labels) is matches


def test_bad_label_selector_is_refused() -> None:
    with pytest.raises(ValueError, match="selector"):
        parse_selector("a in b")


def test_store_indexes_follow_puts_and_removes() -> None:
    store = Store()
    store.put(obj("x", "a", labels={"app": "web"}, owner="u1"))
    store.put(obj("y", "a", labels={"app": "db"}, owner="u1"))
    store.put(obj("z", "b", labels={"app": "web"}))
    store.add_index("first-letter", lambda o: [o["metadata"]["name"][0]])

    assert {o["metadata"]["name"] for o in store.by_index("owner_uid", "u1")} == {"x", "y"}
    assert store.by_index("owner_uid", "not-controller") == []  # only the controller reference counts
    assert {o["metadata"]["name"] for o in store.by_index("namespace", "a")} == {"x", "y"}
    assert {o["metadata"]["name"] for o in store.by_index("label:app", "web")} == {"x", "z"}  # built on demand
    assert [o["metadata"]["name"] for o in store.list("b")] == ["z"]
    assert {o["metadata"]["name"] for o in store.list(label_selector="app=web")} == {"x", "z"}
    assert [o["metadata"]["name"] for o in store.list("a", "app=web")] == ["x"]
    assert store.list("a", "app notin (web)")[0]["metadata"]["name"] == "y"

    store.put(obj("x", "a", rv="2", labels={"app": "db"}))  # relabelled and orphaned
    assert {o["metadata"]["name"] for o in store.by_index("label:app", "db")} == {"x", "y"}
    assert [o["metadata"]["name"] for o in store.by_index("owner_uid", "u1")] == ["y"]
    store.remove(("a", "y"))
    assert store.by_index("owner_uid", "u1") == []
    assert store.get("y", "a") is None
    assert store.by_index("first-letter", "x")[0]["metadata"]["resourceVersion"] == "2"
    assert store.keys("a") == {("a", "x")}
    with pytest.raises(KeyError):
        store.by_index("nonexistent", "x")


def test_reads_share_one_read_only_object_that_a_reader_cannot_change() -> None:
    store = Store()
    store.put(obj("x"))
    cached = store.get("x", "a")
    assert cached is not None
    assert store.list()[0] is cached  # no copy per read
    with pytest.raises(ReadOnlyError):
        cached["metadata"]["labels"]["app"] = "changed"
    with pytest.raises(ReadOnlyError):
        cached["metadata"].pop("labels")
    changed = copy.deepcopy(cached)
    changed["metadata"]["labels"]["app"] = "changed"
    assert store.get("x", "a") == obj("x")


# -- against the real API server -----------------------------------------------------------------------------------



class Recorder(EventHandler):
    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []

    def on_add(self, obj: dict[str, Any]) -> None:
        self.events.append(("add", obj["metadata"]["name"]))

    def on_update(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        self.events.append(("update", new["metadata"]["name"]))

    def on_delete(self, obj: dict[str, Any]) -> None:
        self.events.append(("delete", obj["metadata"]["name"]))

    def named(self, name: str) -> list[str]:
        return [kind for kind, n in self.events if n == name]


@pytest.fixture
async def client(controlplane: ControlPlane) -> AsyncIterator[Client]:
    client = await Client.from_kubeconfig(str(controlplane.kubeconfig), registry=CollectorRegistry())
    yield client
    await client.close()


@pytest.fixture
async def informers() -> AsyncIterator[list[Informer]]:
    """Informers to stop after the test, whatever happens."""
    started: list[Informer] = []
    yield started
    for informer in started:
        await informer.stop()


@pytest.fixture(scope="module")
def widget_crd(controlplane: ControlPlane) -> GVK:
    controlplane.kubectl("apply", "--server-side", "-f", str(WIDGET_CRD))
    controlplane.kubectl("wait", "--for=condition=Established", "--timeout=60s", "crd/widgets.io.runtime.teamop.dev")
    return WIDGET


def configmap(name: str, namespace: str, labels: dict[str, str] | None = None, **data: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": namespace, "labels": labels or {}}, "data": data}


ROOT_CA = "kube-root-ca.crt"  # published into every namespace if the controller manager runs that controller


def names(informer: Informer, namespace: str | None = None) -> set[str]:
    return {o["metadata"]["name"] for o in informer.list(namespace)} - {ROOT_CA}


async def until(check: Callable[[], bool], what: str, timeout: float = 30) -> None:
    async def probe() -> bool:
        return check()

    await eventually_async(probe, timeout=timeout, interval=0.05, what=what)


def etcd_delete(controlplane: ControlPlane, key: str) -> None:
    """Delete a key in etcd directly: a change the API server (when down) cannot tell anyone about."""
    body = json.dumps({"key": base64.b64encode(key.encode()).decode()}).encode()
    request = urllib.request.Request(f"{controlplane.etcd_url}/v3/kv/deleterange", data=body, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert json.loads(response.read()).get("deleted") == "1"


@pytest.mark.controlplane
async def test_informer_sees_create_update_delete(client: Client, namespace: str, informers: list[Informer]) -> None:
    await client.create(configmap("before", namespace, a="0"))
    informer = Informer(client, CONFIGMAP, namespace=namespace)
    informers.append(informer)
    recorder = Recorder()
    informer.add_handler(recorder)

    def broken(_: dict[str, Any]) -> None:
        raise RuntimeError("a failing handler must not stop the informer or the other handlers")

    informer.add_handler(FuncHandler(on_add=broken, on_delete=broken))
    assert not informer.has_synced
    informer.start()
    await informer.wait_for_sync(timeout=10)
    assert informer.has_synced
    assert "before" in names(informer)
    assert recorder.named("before") == ["add"]

    await client.create(configmap("live", namespace, a="1"))
    await until(lambda: informer.get("live", namespace) is not None, "live added")
    await client.patch(CONFIGMAP, "live", namespace, {"data": {"a": "2"}})
    await until(lambda: (informer.get("live", namespace) or {}).get("data") == {"a": "2"}, "live updated")
    await client.delete(CONFIGMAP, "live", namespace)
    await until(lambda: informer.get("live", namespace) is None, "live deleted")
    assert recorder.named("live") == ["add", "update", "delete"]
    assert informer.get("live", namespace) is None

    cached = informer.get("before", namespace)
    assert cached is not None
    assert cached["kind"] == "ConfigMap"
    assert cached["metadata"]["managedFields"]  # kept: the apply layer reads them

    late = Recorder()
    informer.add_handler(late)  # a handler added later first hears of every object already cached
    assert ("add", "before") in late.events
    informer.resync()  # every cached object again, as an update to itself, without a request
    assert late.named("before") == ["add", "update"]
    assert informer.relists == 0


@pytest.mark.controlplane
async def test_label_selector_keeps_unrelated_objects_out(
    client: Client, namespace: str, informers: list[Informer]
) -> None:
    managed = {"app.kubernetes.io/managed-by": "team-operator"}
    await client.create(configmap("mine", namespace, managed))
    await client.create(configmap("theirs", namespace))
    informer = Informer(client, CONFIGMAP, label_selector="app.kubernetes.io/managed-by=team-operator")
    informers.append(informer)
    recorder = Recorder()
    informer.add_handler(recorder)
    informer.start()
    await informer.wait_for_sync(timeout=10)
    assert names(informer, namespace) == {"mine"}

    await client.create(configmap("theirs-too", namespace))
    await client.create(configmap("mine-too", namespace, managed))
    await until(lambda: "mine-too" in names(informer, namespace), "labelled object cached")
    assert names(informer, namespace) == {"mine", "mine-too"}

    # Losing the label takes an object out of scope: the watch reports it deleted.
    await client.patch(CONFIGMAP, "mine", namespace, {"metadata": {"labels": None}})
    await until(lambda: names(informer, namespace) == {"mine-too"}, "unlabelled object dropped")
    assert recorder.named("mine") == ["add", "delete"]
    assert recorder.named("theirs") == recorder.named("theirs-too") == []


@pytest.mark.controlplane
async def test_multi_namespace_scope_and_indexes(
    client: Client, namespace: str, controlplane: ControlPlane, informers: list[Informer]
) -> None:
    second, outside = f"{namespace[:50]}-b", f"{namespace[:50]}-c"
    for ns in (second, outside):
        controlplane.kubectl("create", "namespace", ns)
    try:
        owner = await client.create(configmap("owner", namespace))
        owner_ref = {"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": owner["metadata"]["uid"],
                     "controller": True}
        child = configmap("child", namespace, {"tier": "web"})
        child["metadata"]["ownerReferences"] = [owner_ref]
        await client.create(child)
        await client.create(configmap("other", second, {"tier": "web"}))
        await client.create(configmap("elsewhere", outside, {"tier": "web"}))

        informer = Informer(client, CONFIGMAP, namespace=[namespace, second])
        informers.append(informer)
        informer.add_index("has-data", lambda o: ["yes" if o.get("data") else "no"])
        informer.start()
        await informer.wait_for_sync(timeout=10)
        assert informer.covers(second)
        assert not informer.covers(outside)
        assert not informer.covers(None)

        assert names(informer, second) == {"other"}
        assert "elsewhere" not in names(informer)
        assert [o["metadata"]["name"] for o in informer.by_index("owner_uid", owner["metadata"]["uid"])] == ["child"]
        assert {o["metadata"]["name"] for o in informer.by_index("label:tier", "web")} == {"child", "other"}
        assert {o["metadata"]["namespace"] for o in informer.list(label_selector="tier=web")} == {namespace, second}

        await client.create(configmap("later", second, a="1"))
        await until(lambda: "later" in names(informer, second), "event from the second namespace")
        assert "later" in {o["metadata"]["name"] for o in informer.by_index("has-data", "yes")}
    finally:
        for ns in (second, outside):
            controlplane.kubectl("delete", "namespace", ns, "--wait=false", check=False)


@pytest.mark.controlplane
async def test_informer_survives_the_api_server_stopping_and_starting(
    client: Client, namespace: str, controlplane: ControlPlane, informers: list[Informer]
) -> None:
    for name in ("kept", "deleted-in-outage", "deleted-after", "updated-after"):
        await client.create(configmap(name, namespace, v="1"))
    informer = Informer(client, CONFIGMAP, namespace=namespace, backoff=Backoff(base=0.2, cap=1.0))
    informers.append(informer)
    recorder = Recorder()
    informer.add_handler(recorder)
    informer.start()
    await informer.wait_for_sync(timeout=10)

    controlplane.stop_apiserver()
    try:
        # Nobody can be told of this deletion: the API server is down and the object goes straight from etcd.
        etcd_delete(controlplane, f"/registry/configmaps/{namespace}/deleted-in-outage")
        await until(lambda: informer.disconnects >= 1, "the informer to notice the API server is gone")
        assert informer.get("deleted-in-outage", namespace) is not None  # reads keep working from the cache
    finally:
        controlplane.start_apiserver()

    await client.delete(CONFIGMAP, "deleted-after", namespace)
    await client.patch(CONFIGMAP, "updated-after", namespace, {"data": {"v": "2"}})
    await client.create(configmap("created-after", namespace))

    expected = {"kept", "updated-after", "created-after"}
    await until(lambda: names(informer) == expected, "cache equal to the cluster after the outage", timeout=60)
    assert recorder.named("deleted-in-outage") == ["add", "delete"]
    assert recorder.named("deleted-after") == ["add", "delete"]
    assert (informer.get("updated-after", namespace) or {}).get("data") == {"v": "2"}
    assert informer.disconnects >= 1
    assert informer.relists >= 1  # the restarted API server no longer knew the old resourceVersion: 410, re-list

    items, _ = await client.list(CONFIGMAP, namespace)
    assert {i["metadata"]["name"] for i in items} - {ROOT_CA} == expected

    # And it keeps following changes afterwards.
    await client.delete(CONFIGMAP, "kept", namespace)
    await until(lambda: informer.get("kept", namespace) is None, "deletion after recovery")


class GatedClient(Client):
    """A real client whose watches can be held back, and whose next watch can start from a stale version."""

    gate: asyncio.Event
    watches = 0
    stale_resource_version: str | None = None

    async def watch(  # type: ignore[override]
        self, gvk: GVK, namespace: str | None, resource_version: str, **kwargs: Any
    ) -> AsyncGenerator[WatchEvent, None]:
        self.watches += 1
        await self.gate.wait()
        if self.stale_resource_version:
            resource_version, self.stale_resource_version = self.stale_resource_version, None
        async for event in super().watch(gvk, namespace, resource_version, **kwargs):
            yield event


@pytest.mark.controlplane
async def test_informer_recovers_from_410_gone_and_reports_what_vanished(
    controlplane: ControlPlane, namespace: str, widget_crd: GVK, informers: list[Informer]
) -> None:
    client = await GatedClient.from_kubeconfig(str(controlplane.kubeconfig), registry=CollectorRegistry())
    assert isinstance(client, GatedClient)
    client.gate = asyncio.Event()
    client.gate.set()
    try:
        def widget(name: str, size: int = 1) -> dict[str, Any]:
            return {"apiVersion": "io.runtime.teamop.dev/v1", "kind": "Widget",
                    "metadata": {"name": name, "namespace": namespace}, "spec": {"size": size}}

        for name in ("stays", "vanishes", "changes"):
            await client.apply(widget(name))
        informer = Informer(client, WIDGET, namespace=namespace, watch_timeout=1)
        informers.append(informer)
        recorder = Recorder()
        informer.add_handler(recorder)
        informer.start()
        await informer.wait_for_sync(timeout=10)

        # Hold the next watch back, change things meanwhile, then let it start from a long-expired version.
        client.gate.clear()
        watches = client.watches
        await until(lambda: client.watches > watches, "the informer's next watch", timeout=10)
        await client.delete(WIDGET, "vanishes", namespace)
        await client.apply(widget("changes", 5))
        await client.apply(widget("appears"))
        controlplane.etcd_compact()
        client.stale_resource_version = "1"
        client.gate.set()

        await until(lambda: names(informer) == {"stays", "changes", "appears"}, "cache after the re-list")
        assert informer.relists == 1
        assert recorder.named("vanishes") == ["add", "delete"]
        assert recorder.named("changes") == ["add", "update"]
        assert recorder.named("appears") == ["add"]
        assert recorder.named("stays") == ["add"]  # unchanged objects cause no event on a re-list
        assert (informer.get("changes", namespace) or {})["spec"]["size"] == 5
    finally:
        await client.close()


@pytest.mark.controlplane
async def test_informer_cache_shares_informers_and_reads(client: Client, namespace: str) -> None:
    cache = InformerCache(client)
    managed = "app.kubernetes.io/managed-by=team-operator"
    configmaps = cache.get_informer(CONFIGMAP, namespace=[namespace])
    assert cache.get_informer(CONFIGMAP, namespace=namespace) is configmaps
    # An unfiltered informer of the scope holds every object already: a filtered request shares it.
    assert cache.get_informer(CONFIGMAP, namespace, label_selector=managed) is configmaps
    other_scope = f"other-{uuid.uuid4().hex[:6]}"
    assert cache.get_informer(CONFIGMAP, other_scope, label_selector=managed) is not cache.get_informer(
        CONFIGMAP, other_scope)
    await client.create(configmap("cached", namespace, {"app.kubernetes.io/managed-by": "team-operator"}))
    await cache.start()
    try:
        await cache.wait_for_sync(timeout=10)
        assert cache.has_synced
        assert (cache.get(CONFIGMAP, "cached", namespace) or {})["metadata"]["name"] == "cached"
        assert {o["metadata"]["name"] for o in cache.list(CONFIGMAP, namespace)} - {ROOT_CA} == {"cached"}
        assert [o["metadata"]["name"] for o in cache.list(CONFIGMAP, namespace, managed)] == ["cached"]
        assert cache.get(CONFIGMAP, "absent", namespace) is None
        with pytest.raises(InformerNotFound):
            cache.get(SECRET, "x", namespace)
        with pytest.raises(InformerNotFound):
            cache.get(CONFIGMAP, "x", f"other-{uuid.uuid4().hex[:6]}")

        secrets = cache.get_informer(SECRET, namespace)  # added to a running cache: starts at once
        await secrets.wait_for_sync(timeout=10)
        assert secrets.has_synced
    finally:
        await cache.stop()
    assert not configmaps.started


@pytest.mark.controlplane
async def test_informer_waits_for_a_crd_installed_after_it_started(
    client: Client, namespace: str, informers: list[Informer]
) -> None:
    group = f"late{uuid.uuid4().hex[:6]}.io.runtime.teamop.dev"
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": f"gadgets.{group}"},
        "spec": {"group": group, "scope": "Namespaced",
                 "names": {"kind": "Gadget", "plural": "gadgets", "singular": "gadget", "listKind": "GadgetList"},
                 "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
                     "type": "object", "x-kubernetes-preserve-unknown-fields": True}}}]},
    }
    gadget = GVK(group, "v1", "Gadget")
    informer = Informer(client, gadget, namespace=namespace, backoff=Backoff(base=0.2, cap=1.0))
    informers.append(informer)
    informer.start()

    def lookups_refused() -> int:
        return sum(n for request, n in client.requests.snapshot().with_code(404).items()
                   if request.verb == "discovery" and request.group == group)

    await until(lambda: lookups_refused() >= 2, "the informer to look for the kind twice")
    assert not informer.has_synced
    await client.apply(crd)
    try:
        await informer.wait_for_sync(timeout=30)
        await client.create({"apiVersion": f"{group}/v1", "kind": "Gadget",
                             "metadata": {"name": "g", "namespace": namespace}})
        await until(lambda: informer.get("g", namespace) is not None, "the first custom object")
    finally:
        await client.delete(GVK("apiextensions.k8s.io", "v1", "CustomResourceDefinition"), f"gadgets.{group}")
