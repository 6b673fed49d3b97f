"""Taking over a previous operator's fields: objects it wrote with Update under its field manager end exactly as
teamop renders them, what other managers set stays, finalizers survive, and it all happens once per object.
(The managedFields rewrite first, then the whole path on the real API server.)"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import pytest

from teamop.runtime.apply import Applier, why_apply
from teamop.runtime.cache import InformerCache
from teamop.runtime.cachereader import CacheReader
from teamop.runtime.client import Client
from teamop.runtime.finalizers import add_finalizer
from teamop.runtime.kinds import GVK
from teamop.runtime.status import StatusWriter, status_differs
from teamop.runtime.takeover import has_fields_to_take_over, take_over, taken_over
from teamop.testing.toy import TOY, toy
from teamop.testing.wait import eventually_async

DEPLOYMENT = GVK("apps", "v1", "Deployment")
PREDECESSOR = "team-operator"
FINALIZERS = {"f:metadata": {"f:finalizers": {".": {}, 'v:"example.dev/cleanup"': {}}}}


def entry(manager: str, operation: str, fields: Mapping[str, Any], subresource: str = "") -> dict[str, Any]:
    return {"manager": manager, "operation": operation, "apiVersion": "v1", "time": "2026-01-01T00:00:00Z",
            "fieldsType": "FieldsV1", "fieldsV1": copy.deepcopy(dict(fields)),
            **({"subresource": subresource} if subresource else {})}


def with_entries(*entries: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "a", "namespace": "ns", "resourceVersion": "7", "managedFields": list(entries)}}


def by_manager(entries: list[dict[str, Any]]) -> dict[tuple[str, str, str], Mapping[str, Any]]:
    return {(e["manager"], e["operation"], e.get("subresource", "")): e["fieldsV1"] for e in entries}


# -- the managedFields rewrite -----------------------------------------------------------------------------------


def test_the_predecessors_fields_are_merged_into_our_apply_entry_and_its_entry_removed() -> None:
    obj = with_entries(
        entry("kubectl-edit", "Update", {"f:metadata": {"f:annotations": {"f:user": {}}}}),
        entry(PREDECESSOR, "Update", {"f:data": {"f:old": {}, "f:shared": {}}}),
        entry(PREDECESSOR, "Apply", {"f:data": {"f:shared": {}, "f:new": {}}}),
    )
    entries = taken_over(obj, [PREDECESSOR], PREDECESSOR)
    assert entries is not None
    assert by_manager(entries) == {
        ("kubectl-edit", "Update", ""): {"f:metadata": {"f:annotations": {"f:user": {}}}},
        (PREDECESSOR, "Apply", ""): {"f:data": {"f:shared": {}, "f:new": {}, "f:old": {}}},
    }


def test_without_an_apply_entry_of_ours_the_predecessors_entry_becomes_it() -> None:
    obj = with_entries(entry(PREDECESSOR, "Update", {"f:data": {"f:old": {}}}),
                       entry("kube-controller-manager", "Update", {"f:metadata": {"f:labels": {"f:x": {}}}}))
    entries = taken_over(obj, [PREDECESSOR], PREDECESSOR)
    assert entries is not None
    assert [(e["manager"], e["operation"]) for e in entries] == [(PREDECESSOR, "Apply"),
                                                               ("kube-controller-manager", "Update")]
    assert entries[0]["fieldsV1"] == {"f:data": {"f:old": {}}}
    assert entries[0]["apiVersion"] == "v1"


def test_every_entry_of_every_listed_manager_is_taken_over() -> None:
    obj = with_entries(entry("old-operator", "Update", {"f:data": {"f:a": {}}}),
                       entry(PREDECESSOR, "Update", {"f:data": {"f:b": {}}}))
    entries = taken_over(obj, ["old-operator", PREDECESSOR], PREDECESSOR)
    assert entries is not None
    assert by_manager(entries) == {(PREDECESSOR, "Apply", ""): {"f:data": {"f:a": {}, "f:b": {}}}}


def test_finalizers_stay_with_the_predecessor() -> None:
    obj = with_entries(entry(PREDECESSOR, "Update", {**FINALIZERS, "f:data": {"f:old": {}}}))
    entries = taken_over(obj, [PREDECESSOR], PREDECESSOR)
    assert entries is not None
    assert by_manager(entries) == {(PREDECESSOR, "Apply", ""): {"f:data": {"f:old": {}}},
                                   (PREDECESSOR, "Update", ""): FINALIZERS}


def test_an_entry_owning_only_finalizers_is_nothing_to_take_over() -> None:
    # What our own finalizer patches leave: taking it over would make the next apply remove the finalizer.
    obj = with_entries(entry(PREDECESSOR, "Update", FINALIZERS), entry(PREDECESSOR, "Apply", {"f:data": {}}))
    assert not has_fields_to_take_over(obj, [PREDECESSOR])
    assert taken_over(obj, [PREDECESSOR], PREDECESSOR) is None


def test_a_manager_not_in_the_list_is_left_alone() -> None:
    obj = with_entries(entry("someone-else", "Update", {"f:data": {"f:theirs": {}}}))
    assert taken_over(obj, [PREDECESSOR], PREDECESSOR) is None
    assert taken_over(obj, [], PREDECESSOR) is None


def test_status_entries_are_taken_over_into_our_status_entry_only() -> None:
    obj = with_entries(entry(PREDECESSOR, "Update", {"f:status": {"f:ready": {}}}, "status"),
                       entry(PREDECESSOR, "Update", {"f:spec": {"f:x": {}}}))
    entries = taken_over(obj, [PREDECESSOR], PREDECESSOR, "status")
    assert entries is not None
    assert by_manager(entries) == {(PREDECESSOR, "Apply", "status"): {"f:status": {"f:ready": {}}},
                                   (PREDECESSOR, "Update", ""): {"f:spec": {"f:x": {}}}}


def test_why_apply_says_the_previous_operator_owns_fields_even_when_nothing_differs() -> None:
    desired = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, "data": {"k": "v"}}
    live = {**copy.deepcopy(desired), **with_entries(entry(PREDECESSOR, "Update", {"f:data": {"f:k": {}}}))}
    live["data"] = {"k": "v"}
    # without the setting, an apply only adds the fields to our Apply entry
    assert why_apply(desired, live, PREDECESSOR) == "not owned data.k"
    assert why_apply(desired, live, PREDECESSOR, [PREDECESSOR]) == "previous operator owns fields"


def test_the_predecessors_status_entry_counts_as_a_status_difference() -> None:
    live = {**with_entries(entry(PREDECESSOR, "Update", {"f:status": {"f:phase": {}}}, "status")),
            "status": {"phase": "Synced"}}
    assert status_differs(live, {"phase": "Synced"}, PREDECESSOR)  # not ours through Apply
    assert status_differs(live, {"phase": "Synced"}, PREDECESSOR, [PREDECESSOR])
    ours = with_entries(entry(PREDECESSOR, "Apply", {"f:status": {"f:phase": {}}}, "status"))
    assert not status_differs({**ours, "status": {"phase": "Synced"}}, {"phase": "Synced"}, PREDECESSOR,
                              [PREDECESSOR])


# -- on the API server -------------------------------------------------------------------------------------------


def applier(client: Client, cache: InformerCache, namespace: str, managers: tuple[str, ...] = (PREDECESSOR,)
            ) -> Applier:
    return Applier(client, CacheReader(cache, namespaces=namespace), take_over_managers=managers)


async def owner_toy(client: Client, namespace: str) -> dict[str, Any]:
    return await client.create(toy("owner", namespace), field_manager="test-setup")


def controller_reference(owner: Mapping[str, Any]) -> dict[str, Any]:
    return {"apiVersion": owner["apiVersion"], "kind": owner["kind"], "name": owner["metadata"]["name"],
            "uid": owner["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}


def deployment(namespace: str, *, env: list[dict[str, str]], volumes: bool, labels: Mapping[str, str],
               owner: Mapping[str, Any] | None = None) -> dict[str, Any]:
    container: dict[str, Any] = {"name": "web", "image": "example.dev/web:1", "env": env}
    pod: dict[str, Any] = {"containers": [container]}
    if volumes:
        container["volumeMounts"] = [{"name": "scratch", "mountPath": "/scratch"}]
        pod["volumes"] = [{"name": "scratch", "emptyDir": {}}]
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": namespace, "labels": dict(labels),
                     **({"ownerReferences": [controller_reference(owner)]} if owner else {})},
        "spec": {"selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}}, "spec": pod}},
    }


async def predecessors_deployment(client: Client, namespace: str, owner: Mapping[str, Any],
                                  manager: str = PREDECESSOR) -> dict[str, Any]:
    """What the Go operator leaves: created with Update under its manager, with fields teamop does not render;
    and a user's annotation (kubectl edit)."""
    made = deployment(namespace, env=[{"name": "MODE", "value": "1"}, {"name": "OLD", "value": "x"}], volumes=True,
                      labels={"app": "web", "old": "yes"}, owner=owner)
    await client.create(made, field_manager=manager)
    return await client.patch(DEPLOYMENT, "web", namespace, {"metadata": {"annotations": {"note": "mine"}}},
                              field_manager="kubectl-edit")


async def cached(cache: InformerCache, written: Mapping[str, Any] | None, gvk: GVK = DEPLOYMENT) -> Mapping[str, Any]:
    """`written` as the operator's cache holds it once it caught up: a takeover happens once the cache synced the
    predecessor's objects, and an informer's first LIST may be answered from the API server's watch cache, a
    moment behind a write just made."""
    assert written is not None
    metadata = written["metadata"]
    reader = CacheReader(cache, namespaces=metadata["namespace"])

    async def held() -> Mapping[str, Any] | None:
        obj = await reader.get(gvk, metadata["name"], metadata["namespace"])
        caught_up = obj is not None and int(obj["metadata"]["resourceVersion"]) >= int(metadata["resourceVersion"])
        return obj if caught_up else None

    return await eventually_async(held, what=f"the cache to hold {metadata['name']} at {metadata['resourceVersion']}")


def desired_deployment(namespace: str) -> dict[str, Any]:
    return deployment(namespace, env=[{"name": "MODE", "value": "1"}], volumes=False, labels={"app": "web"})


def update_entries(obj: Mapping[str, Any], manager: str = PREDECESSOR) -> list[Mapping[str, Any]]:
    return [e for e in obj["metadata"].get("managedFields") or []
            if e["manager"] == manager and e["operation"] == "Update"]


@pytest.mark.controlplane
async def test_a_predecessors_deployment_ends_as_teamop_renders_it(
    namespace: str, client: Client, cache: InformerCache
) -> None:
    owner = await owner_toy(client, namespace)
    before = await cached(cache, await predecessors_deployment(client, namespace, owner))

    report = await applier(client, cache, namespace).ensure_children(
        owner, [desired_deployment(namespace)], owned_kinds=[DEPLOYMENT])

    assert report.updated == [f"Deployment {namespace}/web"]
    live = await client.get(DEPLOYMENT, "web", namespace)
    assert live["metadata"]["uid"] == before["metadata"]["uid"]
    assert update_entries(live) == []
    pod = live["spec"]["template"]["spec"]
    assert pod["containers"][0]["env"] == [{"name": "MODE", "value": "1"}]
    assert "volumes" not in pod
    assert "volumeMounts" not in pod["containers"][0]
    assert "old" not in live["metadata"]["labels"]
    assert live["metadata"]["labels"]["app"] == "web"
    assert live["metadata"]["annotations"]["note"] == "mine"
    assert [e["manager"] for e in live["metadata"]["managedFields"] if e["manager"] == "kubectl-edit"]


@pytest.mark.controlplane
async def test_after_the_takeover_a_second_reconcile_makes_no_write(
    namespace: str, client: Client, cache: InformerCache
) -> None:
    owner = await owner_toy(client, namespace)
    await cached(cache, await predecessors_deployment(client, namespace, owner))
    apply = applier(client, cache, namespace)
    await apply.ensure_children(owner, [desired_deployment(namespace)], owned_kinds=[DEPLOYMENT])
    writes = client.requests.writes()

    report = await apply.ensure_children(owner, [desired_deployment(namespace)], owned_kinds=[DEPLOYMENT])

    assert report.unchanged == [f"Deployment {namespace}/web"]
    assert client.requests.writes() == writes


@pytest.mark.controlplane
async def test_a_field_manager_not_in_the_list_keeps_its_fields(
    namespace: str, client: Client, cache: InformerCache
) -> None:
    owner = await owner_toy(client, namespace)
    await cached(cache, await predecessors_deployment(client, namespace, owner, manager="another-operator"))

    await applier(client, cache, namespace).ensure_children(
        owner, [desired_deployment(namespace)], owned_kinds=[DEPLOYMENT])

    live = await client.get(DEPLOYMENT, "web", namespace)
    assert update_entries(live, "another-operator")
    assert {"name": "OLD", "value": "x"} in live["spec"]["template"]["spec"]["containers"][0]["env"]
    assert live["metadata"]["labels"]["old"] == "yes"


@pytest.mark.controlplane
async def test_a_finalizer_teamop_added_survives_the_takeover(
    namespace: str, client: Client, cache: InformerCache
) -> None:
    owner = await owner_toy(client, namespace)
    before = await predecessors_deployment(client, namespace, owner)
    # a patch under the same manager name, as teamop's
    await cached(cache, await add_finalizer(client, before, "example.dev/cleanup"))
    apply = applier(client, cache, namespace)

    await apply.ensure_children(owner, [desired_deployment(namespace)], owned_kinds=[DEPLOYMENT])
    await apply.ensure_children(owner, [desired_deployment(namespace)], owned_kinds=[DEPLOYMENT])

    live = await client.get(DEPLOYMENT, "web", namespace)
    assert live["metadata"]["finalizers"] == ["example.dev/cleanup"]
    assert [e["fieldsV1"] for e in update_entries(live)] == [FINALIZERS]
    assert "OLD" not in {e["name"] for e in live["spec"]["template"]["spec"]["containers"][0]["env"]}


@pytest.mark.controlplane
async def test_a_predecessors_child_resource_and_its_status_end_as_teamop_writes_them(
    namespace: str, client: Client, cache: InformerCache
) -> None:
    owner = await owner_toy(client, namespace)
    child = toy("child", namespace, message="old", port=81)
    child["metadata"]["labels"] = {"old": "yes"}
    child["metadata"]["ownerReferences"] = [controller_reference(owner)]
    await client.create(child, field_manager=PREDECESSOR)
    await client.patch(TOY, "child", namespace, {"status": {"phase": "Old", "observedGeneration": 3}},
                       subresource="status", field_manager=PREDECESSOR)
    await cached(cache, await client.patch(TOY, "child", namespace, {"metadata": {"annotations": {"note": "mine"}}},
                                           field_manager="kubectl-edit"), TOY)
    apply = applier(client, cache, namespace)
    status = StatusWriter(client, take_over_managers=[PREDECESSOR])

    await apply.ensure_children(owner, [toy("child", namespace, message="new")], owned_kinds=[TOY])
    assert await status.update(await client.get(TOY, "child", namespace), {"phase": "Synced"})

    live = await client.get(TOY, "child", namespace)
    assert update_entries(live) == []
    assert live["spec"] == {"message": "new", "port": 80}
    assert live["status"] == {"phase": "Synced"}
    assert "old" not in live["metadata"]["labels"]
    assert live["metadata"]["annotations"] == {"note": "mine"}
    writes = client.requests.writes()
    assert not await status.update(live, {"phase": "Synced"})
    report = await apply.ensure_children(owner, [toy("child", namespace, message="new")], owned_kinds=[TOY])
    assert report.writes == 0
    assert client.requests.writes() == writes


@pytest.mark.controlplane
async def test_a_takeover_of_an_object_changed_since_it_was_read_takes_over_its_fresh_state(
    namespace: str, client: Client
) -> None:
    owner = await owner_toy(client, namespace)
    stale = await predecessors_deployment(client, namespace, owner)
    await client.patch(DEPLOYMENT, "web", namespace, {"metadata": {"labels": {"late": "yes"}}},
                       field_manager="kubectl-label")

    *_, taken = await take_over(client, stale, [PREDECESSOR], PREDECESSOR)

    assert update_entries(taken) == []
    assert taken["metadata"]["labels"]["late"] == "yes"
    labelled = [e["fieldsV1"] for e in taken["metadata"]["managedFields"] if e["manager"] == "kubectl-label"]
    assert labelled == [{"f:metadata": {"f:labels": {"f:late": {}}}}]
