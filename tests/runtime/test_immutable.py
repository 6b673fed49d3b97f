"""Fields the API server will not change keep their live values, and each difference is reported: the table and the
rules first, then an adopted claim of another storage class on the API server."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import pytest

from teamop.runtime.apply import Applier
from teamop.runtime.cache import InformerCache
from teamop.runtime.cachereader import CacheReader
from teamop.runtime.client import Client
from teamop.runtime.immutable import keep_immutable
from teamop.runtime.kinds import GVK
from teamop.runtime.ownership import ManagedBy
from teamop.testing.toy import toy
from teamop.testing.wait import eventually_async

PERSISTENT_VOLUME_CLAIM = GVK("", "v1", "PersistentVolumeClaim")
PERSISTENT_VOLUME = GVK("", "v1", "PersistentVolume")


def claim(*, storage_class: str | None = "fast", size: str = "10Gi", phase: str | None = None,
          **spec: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data", "namespace": "ns"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}}, **spec},
    }
    if storage_class is not None:
        obj["spec"]["storageClassName"] = storage_class
    if phase:
        obj["status"] = {"phase": phase}
    return obj


def workload(kind: str, **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": "web", "namespace": "ns"}, "spec": spec}


# -- the rules ---------------------------------------------------------------------------------------------------


def test_a_claims_storage_class_keeps_its_live_value_and_the_difference_is_reported() -> None:
    rendered = claim(storage_class="standard")
    desired, kept = keep_immutable(rendered, claim(storage_class="fast", phase="Bound"))
    assert desired["spec"]["storageClassName"] == "fast"
    assert rendered == claim(storage_class="standard")  # the caller's object is not changed
    assert [str(k) for k in kept] == ['PersistentVolumeClaim ns/data spec.storageClassName: kept "fast", '
                                      'desired "standard"']


def test_an_unchanged_claim_reports_nothing() -> None:
    desired, kept = keep_immutable(claim(), claim(phase="Bound", volumeMode="Filesystem", volumeName="pv-1"))
    assert kept == []
    assert desired == claim()  # what the desired object leaves out and we do not own is not sent


def test_a_storage_request_below_the_live_one_is_kept() -> None:
    desired, kept = keep_immutable(claim(size="5Gi"), claim(size="10Gi", phase="Bound"))
    assert desired["spec"]["resources"]["requests"]["storage"] == "10Gi"
    assert [(k.path, k.live, k.desired) for k in kept] == [("spec.resources.requests.storage", "10Gi", "5Gi")]


def test_a_bound_claim_may_grow() -> None:
    desired, kept = keep_immutable(claim(size="20Gi"), claim(size="10Gi", phase="Bound"))
    assert desired["spec"]["resources"]["requests"]["storage"] == "20Gi"
    assert kept == []


def test_the_same_size_written_otherwise_is_no_difference() -> None:
    _, kept = keep_immutable(claim(size="1024Mi"), claim(size="1Gi", phase="Bound"))
    assert kept == []


def test_a_claim_not_yet_bound_keeps_its_size() -> None:
    desired, kept = keep_immutable(claim(size="20Gi"), claim(size="10Gi", phase="Pending"))
    assert desired["spec"]["resources"]["requests"]["storage"] == "10Gi"
    assert [k.path for k in kept] == ["spec.resources.requests.storage"]


def test_a_storage_class_may_be_set_while_the_claim_has_none() -> None:
    desired, kept = keep_immutable(claim(storage_class="fast"), claim(storage_class=None))
    assert desired["spec"]["storageClassName"] == "fast"
    assert kept == []


def test_a_data_source_cannot_be_added_to_an_existing_claim() -> None:
    source = {"kind": "PersistentVolumeClaim", "name": "seed"}
    desired, kept = keep_immutable(claim(dataSource=source), claim())
    assert "dataSource" not in desired["spec"]
    assert [(k.path, k.desired) for k in kept] == [("spec.dataSource", source)]


def test_a_field_left_out_but_owned_by_us_is_sent_with_its_live_value() -> None:
    # After a takeover we may own a field we do not render: leaving it out would make the apply remove it.
    owned = {"f:spec": {"f:storageClassName": {}, "f:volumeMode": {}}}
    desired, kept = keep_immutable(claim(storage_class=None), claim(storage_class="fast", volumeMode="Block"), owned)
    assert desired["spec"]["storageClassName"] == "fast"
    assert desired["spec"]["volumeMode"] == "Block"
    assert kept == []


def test_a_workloads_selector_keeps_its_live_value() -> None:
    live = workload("Deployment", selector={"matchLabels": {"app": "web", "tier": "front"}})
    desired, kept = keep_immutable(workload("Deployment", selector={"matchLabels": {"app": "web"}}), live)
    assert desired["spec"]["selector"] == {"matchLabels": {"app": "web", "tier": "front"}}
    assert [k.path for k in kept] == ["spec.selector"]


def test_a_stateful_sets_claim_templates_filled_in_by_the_server_are_no_difference() -> None:
    template = {"metadata": {"name": "data"}, "spec": {"accessModes": ["ReadWriteOnce"],
                                                       "resources": {"requests": {"storage": "1Gi"}}}}
    served = copy.deepcopy(template)
    served.update({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "status": {"phase": "Pending"}})
    served["spec"]["volumeMode"] = "Filesystem"
    live = workload("StatefulSet", serviceName="db", volumeClaimTemplates=[served])
    desired, kept = keep_immutable(workload("StatefulSet", serviceName="db", volumeClaimTemplates=[template]), live)
    assert kept == []
    assert desired["spec"]["volumeClaimTemplates"] == [served]


def test_a_stateful_sets_service_name_keeps_its_live_value() -> None:
    _, kept = keep_immutable(workload("StatefulSet", serviceName="new"), workload("StatefulSet", serviceName="old"))
    assert [(k.path, k.live, k.desired) for k in kept] == [("spec.serviceName", "old", "new")]


def test_a_services_allocated_cluster_ip_is_kept() -> None:
    def service(**spec: Any) -> dict[str, Any]:
        return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s", "namespace": "ns"}, "spec": spec}

    desired, kept = keep_immutable(service(clusterIP="None"), service(clusterIP="10.0.0.7", clusterIPs=["10.0.0.7"]))
    assert desired["spec"]["clusterIP"] == "10.0.0.7"
    assert [k.path for k in kept] == ["spec.clusterIP"]


def test_a_persistent_volumes_source_is_kept_as_a_whole() -> None:
    def volume(**spec: Any) -> dict[str, Any]:
        return {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": "pv"},
                "spec": {"capacity": {"storage": "1Ti"}, **spec}}

    nfs = {"server": "fs.example.com", "path": "/site/connect"}
    csi = {"driver": "fsx.openzfs.csi.aws.com", "volumeHandle": "fs-1"}
    owned = {"f:spec": {"f:nfs": {"f:server": {}, "f:path": {}}}}
    desired, kept = keep_immutable(volume(csi=csi), volume(nfs=nfs), owned)
    assert desired["spec"] == {"capacity": {"storage": "1Ti"}, "nfs": nfs}
    assert [(k.path, k.desired) for k in kept] == [("spec.csi", csi)]


def test_kinds_without_immutable_fields_are_left_as_desired() -> None:
    config_map = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "1"}}
    assert keep_immutable(config_map, {**config_map, "data": {"a": "2"}}) == (config_map, [])


def test_a_long_value_is_shortened_in_the_report() -> None:
    long_template = {"spec": {"containers": [{"name": "x" * 200}]}}
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j", "namespace": "ns"}}
    _, kept = keep_immutable({**job, "spec": {"template": long_template}},
                             {**job, "spec": {"template": {"spec": {"containers": [{"name": "y"}]}}}})
    assert len(str(kept[0])) < 250
    assert str(kept[0]).endswith("…")


# -- on the API server -------------------------------------------------------------------------------------------


def in_namespace(obj: Mapping[str, Any], namespace: str) -> dict[str, Any]:
    result = copy.deepcopy(dict(obj))
    result["metadata"]["namespace"] = namespace
    return result


async def bound_claim(client: Client, namespace: str, field_manager: str) -> dict[str, Any]:
    """The claim `data` of class `other`, bound to a volume made for it (so it holds data: it is never replaced)."""
    volume = {
        "apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": f"{namespace}-data"},
        "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"], "storageClassName": "other",
                 "persistentVolumeReclaimPolicy": "Delete", "hostPath": {"path": f"/tmp/{namespace}-data"},
                 "claimRef": {"namespace": namespace, "name": "data"}},
    }
    await client.create(volume, field_manager="test-setup")
    await client.create(in_namespace(claim(storage_class="other", size="1Gi", volumeName=f"{namespace}-data"),
                                     namespace), field_manager=field_manager)

    async def bound() -> dict[str, Any] | None:
        live = await client.get(PERSISTENT_VOLUME_CLAIM, "data", namespace)
        return live if (live.get("status") or {}).get("phase") == "Bound" else None

    return await eventually_async(bound, timeout=60, what="claim data bound to its volume")


@pytest.mark.controlplane
async def test_a_claim_adopted_with_another_storage_class_is_left_as_it_is_and_reported(
    namespace: str, client: Client, cache: InformerCache
) -> None:
    owner = await client.create(toy("owner", namespace), field_manager="test-setup")
    before = await bound_claim(client, namespace, "team-operator")  # as the previous operator made it
    applier = Applier(client, CacheReader(cache, namespaces=namespace), take_over_managers=["team-operator"])
    desired = in_namespace(claim(storage_class="standard", size="1Gi"), namespace)

    report = await applier.ensure_children(owner, [desired], owned_kinds=[PERSISTENT_VOLUME_CLAIM])

    expected = f'PersistentVolumeClaim {namespace}/data spec.storageClassName: kept "other", desired "standard"'
    assert report.kept == [expected]
    live = await client.get(PERSISTENT_VOLUME_CLAIM, "data", namespace)
    assert live["metadata"]["uid"] == before["metadata"]["uid"]
    assert live["spec"] == before["spec"]
    assert live["metadata"]["ownerReferences"][0]["uid"] == owner["metadata"]["uid"]  # adopted all the same
    writes = client.requests.writes()
    again = await applier.ensure_children(owner, [desired], owned_kinds=[PERSISTENT_VOLUME_CLAIM])
    assert again.kept == [expected]  # said on every reconcile, so the owner's condition stays
    assert client.requests.writes() == writes


@pytest.mark.controlplane
async def test_a_claim_outside_the_caches_selector_is_adopted_as_it_is_and_reported(
    namespace: str, client: Client, cache: InformerCache
) -> None:
    owner = await client.create(toy("owner", namespace), field_manager="test-setup")
    before = await bound_claim(client, namespace, "kubectl-create")  # no managed-by label: the cache cannot see it
    selector = ManagedBy().selector
    applier = Applier(client, CacheReader(cache, namespaces=namespace, label_selector=selector))
    desired = in_namespace(claim(storage_class="standard", size="1Gi"), namespace)

    report = await applier.ensure_children(owner, [desired], owned_kinds=[PERSISTENT_VOLUME_CLAIM])

    assert [k.split(":")[0] for k in report.kept] == [f"PersistentVolumeClaim {namespace}/data spec.storageClassName"]
    live = await client.get(PERSISTENT_VOLUME_CLAIM, "data", namespace)
    assert live["metadata"]["uid"] == before["metadata"]["uid"]
    assert live["spec"] == before["spec"]
    assert live["metadata"]["labels"] == ManagedBy().labels()


@pytest.mark.controlplane
async def test_a_claim_never_bound_with_another_storage_class_is_replaced_by_the_desired_one(
    namespace: str, client: Client, cache: InformerCache
) -> None:
    owner = await client.create(toy("owner", namespace), field_manager="test-setup")
    # A previous operator's claim naming a class nothing provides: Pending for ever, and so is any pod mounting it.
    before = await client.create(in_namespace(claim(storage_class="nowhere", size="1Gi"), namespace),
                                 field_manager="team-operator")
    applier = Applier(client, CacheReader(cache, namespaces=namespace), take_over_managers=["team-operator"])
    desired = in_namespace(claim(storage_class="standard", size="1Gi"), namespace)

    await applier.ensure_children(owner, [desired], owned_kinds=[PERSISTENT_VOLUME_CLAIM])

    async def replaced() -> dict[str, Any] | None:
        await applier.ensure_children(owner, [desired], owned_kinds=[PERSISTENT_VOLUME_CLAIM])
        live = await client.get(PERSISTENT_VOLUME_CLAIM, "data", namespace)
        return live if live["metadata"]["uid"] != before["metadata"]["uid"] else None

    live = await eventually_async(replaced, timeout=60, what="the unbound claim replaced")
    assert live["spec"]["storageClassName"] == "standard"
    assert live["metadata"]["ownerReferences"][0]["uid"] == owner["metadata"]["uid"]


@pytest.mark.controlplane
async def test_a_claim_pre_bound_to_a_volume_that_does_not_exist_is_replaced_when_the_desired_one_names_none(
    namespace: str, client: Client, cache: InformerCache
) -> None:
    owner = await client.create(toy("owner", namespace), field_manager="test-setup")
    before = await client.create(
        in_namespace(claim(storage_class="nowhere-nfs", size="1Gi", volumeName=f"{namespace}-never-made"), namespace),
        field_manager="team-operator")
    applier = Applier(client, CacheReader(cache, namespaces=namespace), take_over_managers=["team-operator"])
    desired = in_namespace(claim(storage_class=None, size="1Gi"), namespace)  # the cluster's default class

    async def replaced() -> dict[str, Any] | None:
        await applier.ensure_children(owner, [desired], owned_kinds=[PERSISTENT_VOLUME_CLAIM])
        live = await client.get(PERSISTENT_VOLUME_CLAIM, "data", namespace)
        return live if live["metadata"]["uid"] != before["metadata"]["uid"] else None

    live = await eventually_async(replaced, timeout=60, what="the claim waiting for a missing volume replaced")
    assert live["spec"].get("volumeName") != f"{namespace}-never-made"


@pytest.mark.controlplane
async def test_a_claim_pre_bound_to_a_volume_that_exists_is_kept(
    namespace: str, client: Client, cache: InformerCache
) -> None:
    owner = await client.create(toy("owner", namespace), field_manager="test-setup")
    before = await bound_claim(client, namespace, "team-operator")
    applier = Applier(client, CacheReader(cache, namespaces=namespace), take_over_managers=["team-operator"])
    desired = in_namespace(claim(storage_class=None, size="1Gi"), namespace)

    await applier.ensure_children(owner, [desired], owned_kinds=[PERSISTENT_VOLUME_CLAIM])

    live = await client.get(PERSISTENT_VOLUME_CLAIM, "data", namespace)
    assert live["metadata"]["uid"] == before["metadata"]["uid"]
    assert live["spec"]["volumeName"] == before["spec"]["volumeName"]
