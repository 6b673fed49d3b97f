"""The skip decision on the API server: what the server normalises or drops costs no second write, and what
another field manager removes or changes is applied again (see test_converged.py for each case on its own)."""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from teamop.runtime.apply import Applier
from teamop.runtime.cache import InformerCache
from teamop.runtime.cachereader import CacheReader
from teamop.runtime.client import Client
from teamop.runtime.kinds import GVK

pytestmark = pytest.mark.controlplane

DEPLOYMENT = GVK("apps", "v1", "Deployment")


@pytest.fixture
async def applier(client: Client, namespace: str) -> AsyncIterator[Applier]:
    cache = InformerCache(client)
    try:
        yield Applier(client, CacheReader(cache, namespaces=namespace))
    finally:
        await cache.stop()


async def owner(client: Client, namespace: str) -> dict[str, Any]:
    return await client.create({"apiVersion": "v1", "kind": "ConfigMap",
                                "metadata": {"name": "owner", "namespace": namespace}})


def deployment(namespace: str) -> dict[str, Any]:
    """Values the server stores otherwise (quantities), drops (false, "", empty maps and lists) or defaults."""
    container = {
        "name": "web", "image": "example.dev/web:1", "args": ["serve", ""],
        "env": [{"name": "EMPTY", "value": ""}, {"name": "MODE", "value": "on"}],
        "ports": [{"containerPort": 8080, "name": "http"}],
        "resources": {"limits": {"cpu": "1000m", "memory": "0.5Gi"}, "requests": {"cpu": 0.5, "memory": "256Mi"}},
        "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": False,
                            "runAsNonRoot": True, "runAsUser": 0},
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp", "readOnly": False}],
        "livenessProbe": {"httpGet": {"port": "http", "path": "/"}},
    }
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": namespace, "annotations": {}},
        "spec": {
            "replicas": 0,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"automountServiceAccountToken": False, "hostNetwork": False, "enableServiceLinks": False,
                         "nodeSelector": {"disk": "ssd"}, "securityContext": {}, "imagePullSecrets": [],
                         "terminationGracePeriodSeconds": 0, "containers": [container],
                         "volumes": [{"name": "tmp", "emptyDir": {}}]},
            },
        },
    }


async def test_values_the_server_normalises_or_drops_cost_no_second_write(
    client: Client, applier: Applier, namespace: str
) -> None:
    parent = await owner(client, namespace)
    first = await applier.ensure_children(parent, [deployment(namespace)], owned_kinds=[DEPLOYMENT])
    assert first.created == [f"Deployment {namespace}/web"]
    writes = client.requests.writes()

    again = await applier.ensure_children(parent, [deployment(namespace)], owned_kinds=[DEPLOYMENT])

    assert again.unchanged == [f"Deployment {namespace}/web"]
    assert client.requests.writes() == writes


async def test_after_a_restart_the_same_values_cost_no_write(
    client: Client, applier: Applier, namespace: str
) -> None:
    parent = await owner(client, namespace)
    await applier.ensure_children(parent, [deployment(namespace)], owned_kinds=[DEPLOYMENT])

    fresh = InformerCache(client)  # a new process: its cache holds what the server stores
    try:
        restarted = Applier(client, CacheReader(fresh, namespaces=namespace))
        writes = client.requests.writes()
        report = await restarted.ensure_children(parent, [deployment(namespace)], owned_kinds=[DEPLOYMENT])
    finally:
        await fresh.stop()

    assert report.unchanged == [f"Deployment {namespace}/web"], report
    assert client.requests.writes() == writes


@pytest.mark.parametrize(("what", "operation", "restored"), [
    ("a removed false", {"op": "remove", "path": "/spec/template/spec/automountServiceAccountToken"},
     lambda d: d["spec"]["template"]["spec"].get("automountServiceAccountToken") is False),
    ("a removed zero", {"op": "remove", "path": "/spec/template/spec/containers/0/securityContext/runAsUser"},
     lambda d: d["spec"]["template"]["spec"]["containers"][0]["securityContext"].get("runAsUser") == 0),
    ("a changed empty string", {"op": "add", "path": "/spec/template/spec/containers/0/env/0/value", "value": "x"},
     lambda d: "value" not in d["spec"]["template"]["spec"]["containers"][0]["env"][0]),
    ("a key added to an atomic map", {"op": "add", "path": "/spec/template/spec/nodeSelector/zone", "value": "a"},
     lambda d: d["spec"]["template"]["spec"]["nodeSelector"] == {"disk": "ssd"}),
    ("an element added to an atomic list",
     {"op": "add", "path": "/spec/template/spec/containers/0/args/-", "value": "--debug"},
     lambda d: d["spec"]["template"]["spec"]["containers"][0]["args"] == ["serve", ""]),
])
async def test_a_change_by_another_manager_is_applied_again(
    client: Client, applier: Applier, namespace: str, what: str, operation: dict[str, Any], restored: Any
) -> None:
    parent = await owner(client, namespace)
    await applier.ensure_children(parent, [deployment(namespace)], owned_kinds=[DEPLOYMENT])
    changed = await client.patch(DEPLOYMENT, "web", namespace, json.dumps([operation]), patch_type="json",
                                 field_manager="someone")
    assert not restored(changed), what

    fresh = InformerCache(client)
    try:
        report = await Applier(client, CacheReader(fresh, namespaces=namespace)).ensure_children(
            parent, [copy.deepcopy(deployment(namespace))], owned_kinds=[DEPLOYMENT])
    finally:
        await fresh.stop()

    assert report.updated == [f"Deployment {namespace}/web"], what
    assert restored(await client.get(DEPLOYMENT, "web", namespace)), what
