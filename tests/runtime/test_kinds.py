"""GVK helpers and the kind registry: the built-in table answers without requests, discovery (cached) the rest."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from teamop.runtime.client import Client, resource_path
from teamop.runtime.errors import NoKindMatch, NotFound
from teamop.runtime.kinds import BUILTIN, GVK, KindRegistry, ResourceInfo, gvk_of
from teamop.testing.controlplane import ControlPlane

WIDGET_CRD = Path(__file__).with_name("io-widget-crd.yaml")
WIDGET = GVK("io.runtime.teamop.dev", "v1", "Widget")


def test_api_version_of_core_and_group_kinds() -> None:
    assert GVK("", "v1", "ConfigMap").api_version == "v1"
    assert GVK("apps", "v1", "Deployment").api_version == "apps/v1"
    assert gvk_of({"apiVersion": "apps/v1", "kind": "Deployment"}) == GVK("apps", "v1", "Deployment")
    assert gvk_of({"apiVersion": "v1", "kind": "Secret"}) == GVK("", "v1", "Secret")
    assert GVK.from_api_version("core.posit.team/v1beta1", "Site") == GVK("core.posit.team", "v1beta1", "Site")
    with pytest.raises(ValueError, match="apiVersion"):
        gvk_of({"kind": "Secret"})


def test_builtin_table_covers_the_groups_the_operator_uses() -> None:
    expected = {
        ("", "ConfigMap", "configmaps", True), ("", "Namespace", "namespaces", False),
        ("", "PersistentVolume", "persistentvolumes", False), ("apps", "Deployment", "deployments", True),
        ("batch", "CronJob", "cronjobs", True), ("networking.k8s.io", "Ingress", "ingresses", True),
        ("networking.k8s.io", "NetworkPolicy", "networkpolicies", True),
        ("policy", "PodDisruptionBudget", "poddisruptionbudgets", True),
        ("rbac.authorization.k8s.io", "ClusterRole", "clusterroles", False),
        ("coordination.k8s.io", "Lease", "leases", True), ("events.k8s.io", "Event", "events", True),
        ("apiextensions.k8s.io", "CustomResourceDefinition", "customresourcedefinitions", False),
    }
    table = {(i.gvk.group, i.gvk.kind, i.plural, i.namespaced) for i in BUILTIN.values()}
    assert expected <= table


async def test_builtin_kinds_resolve_without_discovery() -> None:
    registry = KindRegistry()  # no fetch at all
    info = await registry.resolve(GVK("apps", "v1", "StatefulSet"))
    assert info == ResourceInfo(GVK("apps", "v1", "StatefulSet"), "statefulsets", True)
    with pytest.raises(NoKindMatch):
        await registry.resolve(WIDGET)


async def test_discovery_is_cached_and_refreshed_for_a_missing_kind() -> None:
    calls: list[str] = []
    documents: dict[str, dict[str, Any]] = {
        "/apis/example.com/v1": {"resources": [
            {"name": "gadgets", "kind": "Gadget", "namespaced": True},
            {"name": "gadgets/status", "kind": "Gadget", "namespaced": True},
        ]},
    }

    async def fetch(path: str) -> Mapping[str, Any]:
        calls.append(path)
        await asyncio.sleep(0.01)
        if path not in documents:
            raise NotFound("no such group version")
        return documents[path]

    registry = KindRegistry(fetch)
    gadget = GVK("example.com", "v1", "Gadget")
    infos = await asyncio.gather(*(registry.resolve(gadget) for _ in range(5)))
    assert {i.plural for i in infos} == {"gadgets"}
    assert calls == ["/apis/example.com/v1"]  # concurrent resolves share one discovery

    # A kind that appears later (a CRD installed since) is found by a fresh discovery.
    documents["/apis/example.com/v1"]["resources"].append({"name": "gizmos", "kind": "Gizmo", "namespaced": False})
    gizmo = await registry.resolve(GVK("example.com", "v1", "Gizmo"))
    assert (gizmo.plural, gizmo.namespaced) == ("gizmos", False)
    assert len(calls) == 2

    with pytest.raises(NoKindMatch):
        await registry.resolve(GVK("example.com", "v1", "Nothing"))
    with pytest.raises(NoKindMatch):
        await registry.resolve(GVK("unknown.example.com", "v1", "Gadget"))


def test_resource_paths() -> None:
    cm = BUILTIN[GVK("", "v1", "ConfigMap")]
    deploy = BUILTIN[GVK("apps", "v1", "Deployment")]
    ns = BUILTIN[GVK("", "v1", "Namespace")]
    assert resource_path(cm, "a") == "/api/v1/namespaces/a/configmaps"
    assert resource_path(cm) == "/api/v1/configmaps"
    assert resource_path(deploy, "a", "web", "status") == "/apis/apps/v1/namespaces/a/deployments/web/status"
    assert resource_path(ns, "ignored", "a") == "/api/v1/namespaces/a"


@pytest.mark.controlplane
async def test_a_crd_kind_is_discovered_from_the_api_server(controlplane: ControlPlane) -> None:
    controlplane.kubectl("apply", "--server-side", "-f", str(WIDGET_CRD))
    controlplane.kubectl("wait", "--for=condition=Established", "--timeout=60s", "crd/widgets.io.runtime.teamop.dev")
    client = await Client.from_kubeconfig(str(controlplane.kubeconfig))
    try:
        before = client.requests.snapshot()
        info = await client.kinds.resolve(WIDGET)
        assert (info.plural, info.namespaced) == ("widgets", True)
        await client.kinds.resolve(WIDGET)
        await client.kinds.resolve(GVK("", "v1", "Secret"))
        spent = client.requests.snapshot() - before
        assert spent.total() == 1
        assert spent.verb("discovery") == 1
        with pytest.raises(NoKindMatch):
            await client.kinds.resolve(GVK("io.runtime.teamop.dev", "v1", "Nonexistent"))
        with pytest.raises(NoKindMatch):
            await client.kinds.resolve(GVK("nothing.teamop.dev", "v1", "Widget"))
    finally:
        await client.close()
