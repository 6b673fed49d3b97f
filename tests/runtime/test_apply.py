"""ensure_children writes only what differs, deletes what is no longer desired, and never takes over objects
controlled by someone else. (Against an in-memory stand-in for the cache and the API; the same behaviour on the
real control plane is in test_controller.py.)"""

from __future__ import annotations

import asyncio
import copy
import itertools
from collections.abc import Mapping
from typing import Any

import pytest

from teamop.runtime.apply import BIND_COMPLETED, Applier
from teamop.runtime.kinds import GVK, KindRegistry, ResourceInfo, gvk_of
from teamop.runtime.ownership import ManagedBy, OwnershipConflict

CONFIG_MAP = GVK("", "v1", "ConfigMap")
SERVICE = GVK("", "v1", "Service")
PERSISTENT_VOLUME = GVK("", "v1", "PersistentVolume")

OWNER = {
    "apiVersion": "example.dev/v1", "kind": "Thing",
    "metadata": {"name": "owner", "namespace": "ns", "uid": "owner-uid"},
}
OWNER_REFERENCE = {"apiVersion": "example.dev/v1", "kind": "Thing", "name": "owner", "uid": "owner-uid",
                   "controller": True, "blockOwnerDeletion": True}


def field_set(value: Any, name: str = "") -> dict[str, Any]:
    """The fieldsV1 the API server records for an applied object of the shapes used here: maps field by field,
    owner references by uid, other lists whole; identity fields are not recorded."""
    if isinstance(value, Mapping):
        skipped = {"": {"apiVersion", "kind"}, "metadata": {"name", "namespace"}}.get(name, set())
        return {f"f:{key}": field_set(child, key) for key, child in value.items() if key not in skipped}
    if name == "ownerReferences":
        return {f'k:{{"uid":"{ref["uid"]}"}}': {".": {}, **field_set(ref, "reference")} for ref in value}
    return {}


class FakeApi:
    """Stores objects; apply merges like server-side apply for the shapes used here and records managedFields."""

    field_manager = "team-operator"

    def __init__(self) -> None:
        self.kinds = KindRegistry()
        self.objects: dict[tuple[GVK, str | None, str], dict[str, Any]] = {}
        self.writes: list[tuple[str, str]] = []
        self._versions = itertools.count(1)
        self._uids = itertools.count(1)

    def put(self, obj: dict[str, Any]) -> dict[str, Any]:
        obj = copy.deepcopy(obj)
        metadata = obj["metadata"]
        metadata.setdefault("uid", f"uid-{next(self._uids)}")
        metadata["resourceVersion"] = str(next(self._versions))
        self.objects[(gvk_of(obj), metadata.get("namespace"), metadata["name"])] = obj
        return obj

    async def apply(self, obj: Mapping[str, Any], *, force: bool = True) -> dict[str, Any]:
        self.writes.append(("apply", obj["metadata"]["name"]))
        key = (gvk_of(obj), obj["metadata"].get("namespace"), obj["metadata"]["name"])
        live = self.objects.get(key)
        merged = copy.deepcopy(dict(obj))
        if live is not None:
            merged["metadata"]["uid"] = live["metadata"]["uid"]
        merged["metadata"]["managedFields"] = [
            {"manager": "team-operator", "operation": "Apply", "fieldsType": "FieldsV1",
             "fieldsV1": field_set(obj)}
        ]
        return self.put(merged)

    async def delete(self, gvk: GVK, name: str, namespace: str | None = None, *, uid: str | None = None) -> None:
        self.writes.append(("delete", name))
        self.objects.pop((gvk, namespace, name), None)

    async def get(self, gvk: GVK, name: str, namespace: str | None = None) -> dict[str, Any]:
        return self.objects[(gvk, namespace, name)]


class FakeCache:
    def __init__(self, api: FakeApi) -> None:
        self.api = api

    async def get(self, gvk: GVK, name: str, namespace: str | None) -> Mapping[str, Any] | None:
        return self.api.objects.get((gvk, namespace, name))

    async def controlled_by(self, gvk: GVK, owner_uid: str) -> list[Mapping[str, Any]]:
        return [
            obj for (kind, _, _), obj in self.api.objects.items()
            if kind == gvk and any(r.get("controller") and r.get("uid") == owner_uid
                                   for r in obj["metadata"].get("ownerReferences") or [])
        ]


def config_map(name: str, **data: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data}


@pytest.fixture
def api() -> FakeApi:
    return FakeApi()


@pytest.fixture
def applier(api: FakeApi) -> Applier:
    return Applier(api, FakeCache(api))  # type: ignore[arg-type]


async def test_an_absent_child_is_created_with_one_request(api: FakeApi, applier: Applier) -> None:
    report = await applier.ensure_children(OWNER, [config_map("a", k="v")], owned_kinds=[CONFIG_MAP])
    assert report.created == ["ConfigMap ns/a"]
    assert api.writes == [("apply", "a")]


async def test_children_get_the_managed_by_label_and_a_controller_reference(api: FakeApi, applier: Applier) -> None:
    await applier.ensure_children(OWNER, [config_map("a")], owned_kinds=[CONFIG_MAP])
    child = api.objects[(CONFIG_MAP, "ns", "a")]
    assert child["metadata"]["labels"] == {"app.kubernetes.io/managed-by": "team-operator"}
    assert child["metadata"]["ownerReferences"] == [OWNER_REFERENCE]


async def test_a_converged_child_costs_no_write(api: FakeApi, applier: Applier) -> None:
    await applier.ensure_children(OWNER, [config_map("a", k="v")], owned_kinds=[CONFIG_MAP])
    api.writes.clear()
    report = await applier.ensure_children(OWNER, [config_map("a", k="v")], owned_kinds=[CONFIG_MAP])
    assert api.writes == []
    assert report.unchanged == ["ConfigMap ns/a"]
    assert not report.changed


async def test_a_changed_child_is_applied(api: FakeApi, applier: Applier) -> None:
    await applier.ensure_children(OWNER, [config_map("a", k="v")], owned_kinds=[CONFIG_MAP])
    report = await applier.ensure_children(OWNER, [config_map("a", k="w")], owned_kinds=[CONFIG_MAP])
    assert report.updated == ["ConfigMap ns/a"]


async def test_a_key_we_stopped_setting_is_applied_away(api: FakeApi, applier: Applier) -> None:
    await applier.ensure_children(OWNER, [config_map("a", k="v", old="x")], owned_kinds=[CONFIG_MAP])
    live = api.objects[(CONFIG_MAP, "ns", "a")]
    live["data"]["old"] = "x"  # the live object still has it, so only managedFields can tell
    report = await applier.ensure_children(OWNER, [config_map("a", k="v")], owned_kinds=[CONFIG_MAP])
    assert report.updated == ["ConfigMap ns/a"]


async def test_a_child_no_longer_desired_is_deleted(api: FakeApi, applier: Applier) -> None:
    await applier.ensure_children(OWNER, [config_map("a"), config_map("b")], owned_kinds=[CONFIG_MAP])
    report = await applier.ensure_children(OWNER, [config_map("a")], owned_kinds=[CONFIG_MAP])
    assert report.deleted == ["ConfigMap ns/b"]
    assert (CONFIG_MAP, "ns", "b") not in api.objects


async def test_children_of_kinds_not_named_as_owned_are_not_deleted(api: FakeApi, applier: Applier) -> None:
    await applier.ensure_children(OWNER, [config_map("a")], owned_kinds=[CONFIG_MAP])
    report = await applier.ensure_children(OWNER, [], owned_kinds=[SERVICE])
    assert report.deleted == []


async def test_objects_of_other_owners_are_never_deleted(api: FakeApi, applier: Applier) -> None:
    other = {**OWNER_REFERENCE, "uid": "other-uid", "name": "other"}
    api.put({**config_map("theirs"), "metadata": {"name": "theirs", "namespace": "ns", "ownerReferences": [other]}})
    report = await applier.ensure_children(OWNER, [], owned_kinds=[CONFIG_MAP])
    assert report.deleted == []
    assert (CONFIG_MAP, "ns", "theirs") in api.objects


async def test_an_object_controlled_by_another_owner_is_refused_with_a_clear_error(
    api: FakeApi, applier: Applier
) -> None:
    other = {**OWNER_REFERENCE, "kind": "Other", "uid": "other-uid", "name": "boss"}
    api.put({**config_map("a"), "metadata": {"name": "a", "namespace": "ns", "ownerReferences": [other]}})
    with pytest.raises(OwnershipConflict) as caught:
        await applier.ensure_children(OWNER, [config_map("a", k="v")], owned_kinds=[CONFIG_MAP])
    message = str(caught.value)
    assert "ConfigMap ns/a" in message
    assert "Other boss (uid other-uid)" in message
    assert api.writes == []


async def test_an_object_without_a_controller_is_adopted(api: FakeApi, applier: Applier) -> None:
    api.put({**config_map("a"), "metadata": {"name": "a", "namespace": "ns"}})
    report = await applier.ensure_children(OWNER, [config_map("a")], owned_kinds=[CONFIG_MAP])
    assert report.updated == ["ConfigMap ns/a"]
    assert api.objects[(CONFIG_MAP, "ns", "a")]["metadata"]["ownerReferences"] == [OWNER_REFERENCE]


async def test_a_cluster_scoped_child_of_a_namespaced_owner_is_labelled_but_not_owned(
    api: FakeApi, applier: Applier
) -> None:
    volume = {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": "pv"}, "spec": {}}
    await applier.ensure_children(OWNER, [volume], owned_kinds=[])
    stored = api.objects[(PERSISTENT_VOLUME, None, "pv")]
    assert "ownerReferences" not in stored["metadata"]
    assert stored["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "team-operator"


async def test_the_managed_by_label_is_configurable(api: FakeApi) -> None:
    applier = Applier(api, FakeCache(api), managed_by=ManagedBy("example.dev/owner", "me"))  # type: ignore[arg-type]
    await applier.ensure_children(OWNER, [config_map("a")], owned_kinds=[CONFIG_MAP])
    assert api.objects[(CONFIG_MAP, "ns", "a")]["metadata"]["labels"] == {"example.dev/owner": "me"}


async def test_a_child_in_another_namespace_is_refused(applier: Applier) -> None:
    elsewhere = {**config_map("a"), "metadata": {"name": "a", "namespace": "elsewhere"}}
    with pytest.raises(ValueError, match="not in its owner's namespace"):
        await applier.ensure_children(OWNER, [elsewhere], owned_kinds=[CONFIG_MAP])


async def test_a_namespaced_child_of_a_cluster_scoped_owner_must_name_its_namespace(applier: Applier) -> None:
    cluster_owner = {**OWNER, "metadata": {"name": "owner", "uid": "owner-uid"}}
    with pytest.raises(ValueError, match="needs a namespace"):
        await applier.ensure_children(cluster_owner, [config_map("a")], owned_kinds=[CONFIG_MAP])


async def test_the_same_child_desired_twice_is_refused(applier: Applier) -> None:
    with pytest.raises(ValueError, match="desired twice"):
        await applier.ensure_children(OWNER, [config_map("a"), config_map("a")], owned_kinds=[CONFIG_MAP])


async def test_desired_objects_are_not_changed(applier: Applier) -> None:
    desired = config_map("a", k="v")
    before = copy.deepcopy(desired)
    await applier.ensure_children(OWNER, [desired], owned_kinds=[CONFIG_MAP])
    assert desired == before


async def test_children_of_one_phase_are_applied_in_the_order_given_one_at_a_time(
    api: FakeApi, applier: Applier
) -> None:
    await applier.ensure_children(OWNER, [config_map(n) for n in "cab"], owned_kinds=[CONFIG_MAP])
    assert api.writes == [("apply", "c"), ("apply", "a"), ("apply", "b")]


def named(kind: str, api_version: str, name: str) -> dict[str, Any]:
    return {"apiVersion": api_version, "kind": kind, "metadata": {"name": name}}


@pytest.mark.parametrize("max_parallel", [1, 8])
async def test_a_role_binding_is_applied_after_its_role_and_a_deployment_after_its_config(
    api: FakeApi, max_parallel: int
) -> None:
    api.kinds.register(ResourceInfo(GVK("example.dev", "v1", "Widget"), "widgets", namespaced=True))
    applier = Applier(api, FakeCache(api), max_parallel=max_parallel)  # type: ignore[arg-type]
    desired = [
        named("Deployment", "apps/v1", "server"),
        named("Widget", "example.dev/v1", "custom"),
        named("RoleBinding", "rbac.authorization.k8s.io/v1", "binding"),
        named("Role", "rbac.authorization.k8s.io/v1", "role"),
        config_map("config"),
    ]
    await applier.ensure_children(OWNER, desired, owned_kinds=[])
    order = [name for _, name in api.writes]
    assert set(order[:2]) == {"role", "config"}
    assert order[2] == "binding"
    assert set(order[3:]) == {"server", "custom"}


class SlowApi(FakeApi):
    """Each apply takes a moment; counts how many were in flight at once and fails the names it is told to."""

    def __init__(self, failing: frozenset[str] = frozenset()) -> None:
        super().__init__()
        self.failing = failing
        self.in_flight = 0
        self.most_in_flight = 0

    async def apply(self, obj: Mapping[str, Any], *, force: bool = True) -> dict[str, Any]:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(0.01)
            if obj["metadata"]["name"] in self.failing:
                raise RuntimeError(f"refused {obj['metadata']['name']}")
            return await super().apply(obj, force=force)
        finally:
            self.in_flight -= 1


async def test_with_max_parallel_the_children_of_a_phase_are_applied_at_once() -> None:
    api = SlowApi()
    applier = Applier(api, FakeCache(api), max_parallel=4)  # type: ignore[arg-type]
    report = await applier.ensure_children(OWNER, [config_map(f"c{i}") for i in range(10)], owned_kinds=[CONFIG_MAP])
    assert api.most_in_flight == 4
    assert report.created == [f"ConfigMap ns/c{i}" for i in range(10)]


async def test_a_failure_stops_before_the_next_phase_once_its_own_phase_is_done() -> None:
    api = SlowApi(failing=frozenset({"a"}))
    applier = Applier(api, FakeCache(api), max_parallel=4)  # type: ignore[arg-type]
    desired = [config_map("a"), config_map("b"), named("Deployment", "apps/v1", "server")]
    with pytest.raises(RuntimeError, match="refused a"):
        await applier.ensure_children(OWNER, desired, owned_kinds=[CONFIG_MAP])
    assert [name for _, name in api.writes] == ["b"]


async def test_children_no_longer_desired_are_not_deleted_when_an_apply_failed() -> None:
    api = SlowApi(failing=frozenset({"new"}))
    applier = Applier(api, FakeCache(api), max_parallel=4)  # type: ignore[arg-type]
    api.put({**config_map("old"), "metadata": {"name": "old", "namespace": "ns", "ownerReferences": [OWNER_REFERENCE]}})
    with pytest.raises(RuntimeError):
        await applier.ensure_children(OWNER, [config_map("new")], owned_kinds=[CONFIG_MAP])
    assert (CONFIG_MAP, "ns", "old") in api.objects


class ObservedCache(FakeCache):
    """A cache that tells its events, slowly: counts how often a kind's events were asked for."""

    def __init__(self, api: FakeApi) -> None:
        super().__init__(api)
        self.observers: list[GVK] = []

    async def observe(self, gvk: GVK, callback: Any) -> None:
        await asyncio.sleep(0.01)
        self.observers.append(gvk)


async def test_children_of_one_kind_applied_together_hear_of_their_kind_once(api: FakeApi) -> None:
    cache = ObservedCache(api)
    applier = Applier(api, cache, max_parallel=4)  # type: ignore[arg-type]
    await applier.ensure_children(OWNER, [config_map(f"c{i}") for i in range(4)], owned_kinds=[CONFIG_MAP])
    await applier.ensure_children(OWNER, [config_map("d")], owned_kinds=[])
    assert cache.observers == [CONFIG_MAP]


class LaggingCache(ObservedCache):
    """Behind every write until told it caught up."""

    def __init__(self, api: FakeApi) -> None:
        super().__init__(api)
        self.caught_up = False

    async def get(self, gvk: GVK, name: str, namespace: str | None) -> Mapping[str, Any] | None:
        return await super().get(gvk, name, namespace) if self.caught_up else None


async def test_a_write_the_cache_has_not_seen_yet_is_told_until_the_cache_has_it(api: FakeApi) -> None:
    cache = LaggingCache(api)
    applier = Applier(api, cache)  # type: ignore[arg-type]
    assert await applier.unseen_write(CONFIG_MAP, "c", "ns") is None

    await applier.ensure_children(OWNER, [config_map("c", key="value")], owned_kinds=[CONFIG_MAP])
    written = await applier.unseen_write(CONFIG_MAP, "c", "ns")
    assert written is not None
    assert written["data"] == {"key": "value"}

    cache.caught_up = True
    assert await applier.unseen_write(CONFIG_MAP, "c", "ns") is None


async def test_a_claim_the_cluster_is_binding_is_kept_without_reading_its_volume(
    api: FakeApi, applier: Applier,
) -> None:
    spec = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}
    api.put({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
             "metadata": {"name": "data", "namespace": "ns", "annotations": {BIND_COMPLETED: "yes"}},
             "spec": {**spec, "volumeName": "pv-1"}, "status": {"phase": "Pending"}})
    desired = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data"}, "spec": spec}

    await applier.ensure_children(OWNER, [desired], owned_kinds=[])  # the fake API has no volume pv-1 to read

    assert ("delete", "data") not in api.writes
