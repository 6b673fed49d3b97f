"""A spec the CRDs accept but the API server refuses in the objects made from it (422 Invalid): the product, or
the Site, says `InvalidSpec` with the server's message naming the field, a Warning Event is recorded, nothing
that runs is deleted, and a fixed spec is picked up at once."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from sites import apply, condition, get, go_operator_secrets, sample_site

from teamop.controllers import site as site_controller
from teamop.controllers.registry import setup_operator
from teamop.runtime.metrics import REGISTRY
from teamop.testing.controlplane import ControlPlane
from teamop.testing.operator import OperatorFactory
from teamop.testing.postgres import PostgresServer
from teamop.testing.wait import until

pytestmark = [pytest.mark.controlplane, pytest.mark.postgres]

BAD_NODE_SELECTOR = {"disk": "fast ssd"}  # not a label value: the CRD takes any string, a Deployment does not
FIELD = 'spec.template.spec.nodeSelector: Invalid value: "fast ssd"'
WORKLOADS = ("connect", "packagemanager", "flightdeck")


@pytest.fixture
def name() -> str:
    return f"i{uuid.uuid4().hex[:6]}"


def site_ready(plane: ControlPlane, name: str, namespace: str) -> dict[str, Any] | None:
    site = get(plane, "site", name, namespace)
    return site if site and (site.get("status") or {}).get("ready") is True else None


def refused(plane: ControlPlane, kind: str, name: str, namespace: str) -> dict[str, Any] | None:
    obj = get(plane, kind, name, namespace)
    return obj if condition(obj, "Ready").get("reason") == "InvalidSpec" else None


def warning_events(plane: ControlPlane, namespace: str, kind: str, name: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = json.loads(plane.kubectl(
        "get", "events", "-n", namespace, "--field-selector",
        f"involvedObject.kind={kind},involvedObject.name={name},type=Warning", "-o", "json").stdout)["items"]
    return events


def retried_reconciles(controller: str) -> float:
    """Reconciles of `controller` that failed or asked for a retry with backoff (this process, every test)."""
    return sum(REGISTRY.get_sample_value("controller_runtime_reconcile_total",
                                         {"controller": controller, "result": result}) or 0.0
               for result in ("error", "requeue"))


def uids(plane: ControlPlane, name: str, namespace: str) -> dict[str, str]:
    return {component: (get(plane, "deployment", f"{name}-{component}", namespace) or {})["metadata"]["uid"]
            for component in WORKLOADS}


async def test_a_product_the_api_server_refuses_says_invalid_spec_naming_the_field_and_nothing_is_deleted(
    controlplane: ControlPlane, namespace: str, name: str, operator: OperatorFactory, postgres: PostgresServer,
) -> None:
    apply(controlplane, *go_operator_secrets(name, namespace, postgres))
    apply(controlplane, sample_site(name, namespace, "site-minimal"))
    await operator([setup_operator], namespaces=namespace)
    await until(lambda: site_ready(controlplane, name, namespace), timeout=150, what="the Site to be Ready")
    before = uids(controlplane, name, namespace)
    retries_before = retried_reconciles("connect")

    controlplane.kubectl("patch", "site", name, "-n", namespace, "--type=merge",
                         "-p", json.dumps({"spec": {"connect": {"nodeSelector": BAD_NODE_SELECTOR}}}))

    connect = await until(lambda: refused(controlplane, "connect", name, namespace), timeout=60,
                          what="Connect to say InvalidSpec")
    message = condition(connect, "Ready")["message"]
    assert f'Deployment.apps "{name}-connect" is invalid: {FIELD}' in message
    assert condition(connect, "Degraded")["reason"] == "InvalidSpec"
    assert any(e["reason"] == "InvalidSpec" and FIELD in e["message"]
               for e in warning_events(controlplane, namespace, "Connect", name))
    site = await until(lambda: (s := get(controlplane, "site", name, namespace)) and
                       s["status"]["products"]["connect"].get("message", "").startswith("InvalidSpec:") and s,
                       timeout=30, what="the Site to show Connect's InvalidSpec")
    assert FIELD in site["status"]["products"]["connect"]["message"]
    assert condition(site, "Ready")["status"] == "False"
    assert site["status"]["products"]["packageManager"]["ready"] is True
    assert uids(controlplane, name, namespace) == before
    deployment = get(controlplane, "deployment", f"{name}-connect", namespace) or {}
    assert "nodeSelector" not in deployment["spec"]["template"]["spec"]
    # Not an error retried with backoff (milliseconds at first): the refused spec is looked at again much later.
    assert retried_reconciles("connect") == retries_before


async def test_a_product_refused_from_the_start_runs_as_soon_as_its_spec_is_fixed(
    controlplane: ControlPlane, namespace: str, name: str, operator: OperatorFactory, postgres: PostgresServer,
) -> None:
    site = sample_site(name, namespace, "site-minimal")
    site["spec"]["connect"]["nodeSelector"] = BAD_NODE_SELECTOR
    apply(controlplane, *go_operator_secrets(name, namespace, postgres))
    apply(controlplane, site)
    await operator([setup_operator], namespaces=namespace)
    await until(lambda: refused(controlplane, "connect", name, namespace), timeout=90,
                what="Connect to say InvalidSpec")
    assert get(controlplane, "deployment", f"{name}-connect", namespace) is None

    controlplane.kubectl("patch", "site", name, "-n", namespace, "--type=json",
                         "-p", '[{"op": "remove", "path": "/spec/connect/nodeSelector"}]')

    # Well before the slow recheck of a refused spec: the edit itself brings the product back.
    await until(lambda: site_ready(controlplane, name, namespace), timeout=90, what="the Site to be Ready")
    assert get(controlplane, "deployment", f"{name}-connect", namespace) is not None


async def test_a_site_whose_own_object_is_refused_says_invalid_spec_and_still_reports_its_products(
    controlplane: ControlPlane, namespace: str, name: str, operator: OperatorFactory, postgres: PostgresServer,
) -> None:
    site = sample_site(name, namespace, "site-minimal")
    site["spec"]["workbench"] = {"tolerations": [{"key": "gpu", "operator": "Exists", "effect": "Sometimes"}]}
    apply(controlplane, *go_operator_secrets(name, namespace, postgres))
    apply(controlplane, site)
    await operator([site_controller.setup], namespaces=namespace)

    refused_site = await until(lambda: refused(controlplane, "site", name, namespace), timeout=60,
                               what="the Site to say InvalidSpec")

    field = 'spec.template.spec.tolerations[0].effect: Unsupported value: "Sometimes"'
    assert f'DaemonSet.apps "{name}-prepull" is invalid: {field}' in condition(refused_site, "Ready")["message"]
    assert condition(refused_site, "Degraded")["reason"] == "InvalidSpec"
    assert sorted(refused_site["status"]["products"]) == ["connect", "flightdeck", "packageManager", "workbench"]
    assert any(e["reason"] == "InvalidSpec" and field in e["message"]
               for e in warning_events(controlplane, namespace, "Site", name))
    assert get(controlplane, "connect", name, namespace) is not None
    assert get(controlplane, "daemonset", f"{name}-prepull", namespace) is None
