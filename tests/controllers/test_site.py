"""The Site controller (alone, without the product controllers) against the real API server: which product
resources a Site makes and how it keeps them."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from sites import apply, condition, get, go_operator_secrets, sample_site

from teamop.controllers import site as site_controller
from teamop.testing.controlplane import ControlPlane
from teamop.testing.operator import OperatorFactory, RunningOperator
from teamop.testing.postgres import PostgresServer
from teamop.testing.wait import until

pytestmark = [pytest.mark.controlplane]

PRODUCTS = ("connect", "workbench", "packagemanager", "chronicle", "flightdeck")


@pytest.fixture
def name() -> str:
    return f"s{uuid.uuid4().hex[:6]}"


def names(plane: ControlPlane, kind: str, namespace: str) -> list[str]:
    items = json.loads(plane.kubectl("get", kind, "-n", namespace, "-o", "json").stdout)["items"]
    return sorted(item["metadata"]["name"] for item in items)


async def converged_site(plane: ControlPlane, namespace: str, name: str, operator: OperatorFactory,
                         postgres: PostgresServer, site: dict[str, Any] | None = None) -> RunningOperator:
    apply(plane, *go_operator_secrets(name, namespace, postgres))
    apply(plane, site or sample_site(name, namespace))
    running = await operator([site_controller.setup], namespaces=namespace)
    await until(lambda: all(get(plane, kind, name, namespace) for kind in PRODUCTS), timeout=60,
                what="every product resource")
    return running


async def test_a_site_in_any_namespace_makes_its_product_resources_named_after_it(
    controlplane: ControlPlane, namespace: str, name: str, operator: OperatorFactory, postgres: PostgresServer,
) -> None:
    await converged_site(controlplane, namespace, name, operator, postgres)

    connect = get(controlplane, "connect", name, namespace)
    assert connect is not None
    assert connect["spec"]["url"] == f"connect.{name}.example.test"
    assert connect["spec"]["databaseConfig"]["host"] == f"{postgres.host}:{postgres.port}"
    assert connect["spec"]["sessionConfig"]["pod"]["serviceAccountName"] == f"{name}-connect-session"
    owner = connect["metadata"]["ownerReferences"][0]
    assert (owner["kind"], owner["name"], owner["controller"]) == ("Site", name, True)
    workbench = get(controlplane, "workbench", name, namespace)
    assert workbench is not None
    rserver = workbench["spec"]["config"]["workbench-ini-config"]["rserver.conf"]
    assert rserver["admin-group"] == "workbench-admin"
    assert rserver["user-provisioning-register-on-first-login"] == 1
    assert get(controlplane, "daemonset", f"{name}-prepull", namespace) is not None


async def test_the_site_status_lists_every_enabled_product_and_is_not_ready_until_they_are(
    controlplane: ControlPlane, namespace: str, name: str, operator: OperatorFactory, postgres: PostgresServer,
) -> None:
    await converged_site(controlplane, namespace, name, operator, postgres)

    site = await until(lambda: (s := get(controlplane, "site", name, namespace)) and
                       len((s.get("status") or {}).get("products") or {}) == 5 and s, timeout=30)
    products = site["status"]["products"]
    assert sorted(products) == ["chronicle", "connect", "flightdeck", "packageManager", "workbench"]
    assert products["connect"]["url"] == f"https://connect.{name}.example.test"
    assert not products["connect"]["ready"]
    assert condition(site, "Ready")["status"] == "False"
    assert site["status"]["ready"] is False


async def test_editing_connect_replicas_on_the_site_updates_the_connect_resource(
    controlplane: ControlPlane, namespace: str, name: str, operator: OperatorFactory, postgres: PostgresServer,
) -> None:
    await converged_site(controlplane, namespace, name, operator, postgres)

    controlplane.kubectl("patch", "site", name, "-n", namespace, "--type=merge",
                         "-p", '{"spec": {"connect": {"replicas": 3}}}')

    await until(lambda: (get(controlplane, "connect", name, namespace) or {})["spec"]["replicas"] == 3, timeout=30)


async def test_removing_a_section_deletes_only_that_product_and_re_adding_it_brings_it_back(
    controlplane: ControlPlane, namespace: str, name: str, operator: OperatorFactory, postgres: PostgresServer,
) -> None:
    await converged_site(controlplane, namespace, name, operator, postgres)
    workbench = sample_site(name, namespace)["spec"]["workbench"]

    controlplane.kubectl("patch", "site", name, "-n", namespace, "--type=json",
                         "-p", '[{"op": "remove", "path": "/spec/workbench"}]')

    await until(lambda: get(controlplane, "workbench", name, namespace) is None, timeout=30,
                what="the Workbench resource to be deleted")
    assert all(get(controlplane, kind, name, namespace) for kind in PRODUCTS if kind != "workbench")

    controlplane.kubectl("patch", "site", name, "-n", namespace, "--type=merge",
                         "-p", json.dumps({"spec": {"workbench": workbench}}))
    await until(lambda: get(controlplane, "workbench", name, namespace) is not None, timeout=30)


async def test_flightdeck_disabled_and_chronicle_absent_are_not_deployed(
    controlplane: ControlPlane, namespace: str, name: str, operator: OperatorFactory, postgres: PostgresServer,
) -> None:
    site = sample_site(name, namespace)
    site["spec"]["flightdeck"] = {"enabled": False}
    del site["spec"]["chronicle"]
    apply(controlplane, *go_operator_secrets(name, namespace, postgres))
    apply(controlplane, site)
    await operator([site_controller.setup], namespaces=namespace)

    await until(lambda: get(controlplane, "connect", name, namespace) is not None, timeout=60)
    assert get(controlplane, "flightdeck", name, namespace) is None
    assert get(controlplane, "chronicle", name, namespace) is None


async def test_low_network_trust_adds_a_policy_per_component(
    controlplane: ControlPlane, namespace: str, name: str, operator: OperatorFactory, postgres: PostgresServer,
) -> None:
    site = sample_site(name, namespace)
    site["spec"]["networkTrust"] = 50
    await converged_site(controlplane, namespace, name, operator, postgres, site)

    expected = sorted(f"{name}-{c}" for c in ("connect", "connect-session", "workbench", "workbench-session",
                                              "packagemanager", "chronicle", "flightdeck"))
    await until(lambda: names(controlplane, "networkpolicy", namespace) == expected, timeout=30)

    controlplane.kubectl("patch", "site", name, "-n", namespace, "--type=merge", "-p",
                         '{"spec": {"networkTrust": 100}}')
    await until(lambda: names(controlplane, "networkpolicy", namespace) == [], timeout=30,
                what="the policies to go away at networkTrust 100")


async def test_a_missing_database_secret_is_named_in_a_condition_and_an_event(
    controlplane: ControlPlane, namespace: str, name: str, operator: OperatorFactory,
) -> None:
    apply(controlplane, sample_site(name, namespace))
    await operator([site_controller.setup], namespaces=namespace)

    found = await until(lambda: condition(get(controlplane, "site", name, namespace), "DatabaseConfigured")
                        .get("reason") == "SecretNotFound" and get(controlplane, "site", name, namespace),
                        timeout=30)
    message = condition(found, "DatabaseConfigured")["message"]
    assert f"Secret '{name}'" in message
    assert "spec.workloadSecret" in message
    events = controlplane.kubectl("get", "events", "-n", namespace, "-o", "json").stdout
    assert "SecretNotFound" in events


async def test_a_restarted_operator_makes_no_write_for_a_converged_site(
    controlplane: ControlPlane, namespace: str, name: str, operator: OperatorFactory, postgres: PostgresServer,
) -> None:
    first = await converged_site(controlplane, namespace, name, operator, postgres)
    await until(lambda: len((get(controlplane, "site", name, namespace) or {}).get("status", {}).get("products")
                            or {}) == 5, timeout=30)
    await first.settled()  # its trailing status updates written: converged
    await first.stop()

    restarted = await operator([site_controller.setup], namespaces=namespace)
    restarted.manager.controllers[0].enqueue_all()
    await restarted.reconciled_everything()  # it has done all it would: the Site reconciled, nothing queued

    made = restarted.client.requests.snapshot()  # everything it sent since it started
    assert made.writes() == 0, made
