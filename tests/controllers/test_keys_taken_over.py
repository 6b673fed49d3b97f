"""Keys the Go operator generated are kept: with its `<site>-<component>-key` Secrets in place (known values) and no
key in the site secret, Connect, Package Manager and Workbench run with exactly those values; an Event on each
product says where each key came from, once; the Go operator's Secrets are neither changed nor deleted."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from sites import go_operator_secrets, sample_site
from takeover import (
    GO_FIELD_MANAGER,
    GoKeys,
    differing,
    env_value,
    events,
    file_in_volume,
    get,
    key_secret,
    running_pods,
)

from teamop.api.v1beta1 import Site
from teamop.controllers.preview import plan_site
from teamop.controllers.registry import setup_operator
from teamop.products.site import DatabaseServer
from teamop.runtime.client import Client
from teamop.testing.controlplane import ControlPlane
from teamop.testing.operator import RunningOperator, start_operator
from teamop.testing.postgres import PostgresServer
from teamop.testing.wait import until

pytestmark = [pytest.mark.controlplane, pytest.mark.postgres]

PRODUCTS = {"connect": "Connect", "packagemanager": "PackageManager", "workbench": "Workbench"}
REASON = "SecretKeysTaken"


@dataclass
class Scene:
    plane: ControlPlane
    namespace: str
    site: str
    keys: GoKeys
    key_secrets: dict[str, dict[str, Any]]
    """component -> the Go operator's `-key` Secret as it was created."""
    operator: RunningOperator


def product_resources(site: str, namespace: str, postgres: PostgresServer) -> list[dict[str, Any]]:
    """The product resources of the sample Site, as a Site controller makes them, created here on their own (no
    Site) so that the product controllers alone are under test."""
    plan = plan_site(Site.model_validate(sample_site(site, namespace)), namespace,
                     database=DatabaseServer(postgres.host, postgres.port, "disable"))
    return [p.body for p in plan.objects if p.body["kind"] in PRODUCTS.values()]


def product_ready(plane: ControlPlane, kind: str, site: str, namespace: str) -> bool:
    return bool(((get(plane, kind, site, namespace) or {}).get("status") or {}).get("ready"))


@pytest.fixture(scope="module")
async def scene(controlplane: ControlPlane, postgres: PostgresServer) -> AsyncIterator[Scene]:
    namespace = f"keys-taken-over-{uuid.uuid4().hex[:6]}"
    site = f"k{uuid.uuid4().hex[:6]}"
    keys = GoKeys.new()
    controlplane.kubectl("create", "namespace", namespace)
    # The Go operator's writes: create under its field manager (operation Update).
    go = await Client.from_kubeconfig(str(controlplane.kubeconfig), field_manager=GO_FIELD_MANAGER)
    try:
        for obj in go_operator_secrets(site, namespace, postgres):
            await go.create(obj)
        key_secrets = {}
        for body in product_resources(site, namespace, postgres):
            product = await go.create(body)
            component = next(c for c, kind in PRODUCTS.items() if kind == body["kind"])
            # Package Manager's as the reference has it; Connect's and Workbench's name their product as controller.
            key_secrets[component] = await go.create(
                key_secret(site, namespace, component, keys, product, controller=component != "packagemanager"))
    finally:
        await go.close()
    running = await start_operator(controlplane.kubeconfig, [setup_operator], namespaces=namespace)
    scene = Scene(controlplane, namespace, site, keys, key_secrets, running)
    try:
        for kind in PRODUCTS.values():
            await until(lambda kind=kind: product_ready(controlplane, kind, site, namespace), timeout=180,
                        what=f"{kind} to be Ready")
        yield scene
    finally:
        await scene.operator.close()
        controlplane.kubectl("delete", "namespace", namespace, "--wait=false", check=False)


def pods(scene: Scene, component: str) -> list[dict[str, Any]]:
    found = running_pods(scene.plane, scene.namespace, f"{scene.site}-{component}")
    assert found, f"no {component} pod"
    return found


async def test_connect_pods_mount_the_go_operators_encryption_key(scene: Scene) -> None:
    for pod in pods(scene, "connect"):
        mounted = file_in_volume(scene.plane, scene.namespace, pod, "key-volume", "secret.key")
        assert differing({"secret.key": mounted}, {"secret.key": scene.keys.connect}) == []


async def test_package_manager_pods_get_the_go_operators_secret_key(scene: Scene) -> None:
    for pod in pods(scene, "packagemanager"):
        env = env_value(scene.plane, scene.namespace, pod, "PACKAGEMANAGER_SECRET_KEY")
        assert differing({"PACKAGEMANAGER_SECRET_KEY": env},
                         {"PACKAGEMANAGER_SECRET_KEY": scene.keys.package_manager}) == []


async def test_workbench_pods_mount_the_go_operators_cookie_key_and_launcher_pair(scene: Scene) -> None:
    for pod in pods(scene, "workbench"):
        mounted = {path: file_in_volume(scene.plane, scene.namespace, pod, "key-volume", path)
                   for path in ("secure-cookie-key", "launcher.pem", "launcher.pub")}
        assert differing(mounted, {"secure-cookie-key": scene.keys.workbench_cookie,
                                   "launcher.pem": scene.keys.launcher_pem,
                                   "launcher.pub": scene.keys.launcher_pub}) == []


async def test_workbench_pods_keep_the_go_operators_test_user_password(scene: Scene) -> None:
    for pod in pods(scene, "workbench"):
        env = env_value(scene.plane, scene.namespace, pod, "RSW_TESTUSER_PASSWD")
        assert differing({"RSW_TESTUSER_PASSWD": env}, {"RSW_TESTUSER_PASSWD": scene.keys.testuser_password}) == []


@pytest.mark.parametrize("component", list(PRODUCTS))
async def test_one_event_on_the_product_names_the_go_operators_secret_and_no_value(scene: Scene,
                                                                                     component: str) -> None:
    found = events(scene.plane, scene.namespace, PRODUCTS[component], scene.site, REASON)

    assert len(found) == 1, found
    assert "series" not in found[0]
    note = found[0]["note"]
    assert f"taken from the Go operator's Secret {scene.site}-{component}-key" in note
    assert [key for key, value in scene.keys.data(component).items() if value in note] == []


@pytest.mark.parametrize("component", list(PRODUCTS))
async def test_the_go_operators_key_secret_is_neither_changed_nor_deleted(scene: Scene, component: str) -> None:
    created = scene.key_secrets[component]

    now = get(scene.plane, "secret", created["metadata"]["name"], scene.namespace)

    assert now is not None
    assert now["metadata"]["uid"] == created["metadata"]["uid"]
    assert now["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]


async def test_a_restarted_operator_reconciling_again_records_no_second_event(scene: Scene) -> None:
    await scene.operator.close()
    scene.operator = await start_operator(scene.plane.kubeconfig, [setup_operator], namespaces=scene.namespace)
    generations = {}
    for kind in PRODUCTS.values():
        # A spec change makes each product controller reconcile (and say so in status.observedGeneration).
        scene.plane.kubectl("patch", kind.lower(), scene.site, "-n", scene.namespace, "--type=merge", "-p",
                            json.dumps({"spec": {"addEnv": {"TEAMOP_TEST_RECONCILE": "again"}}}))
        generations[kind] = (get(scene.plane, kind, scene.site, scene.namespace) or {})["metadata"]["generation"]

    for kind, generation in generations.items():
        await until(lambda kind=kind, generation=generation: ((get(scene.plane, kind, scene.site, scene.namespace)
                                                              or {}).get("status") or {}).get("observedGeneration")
                    == generation, timeout=120, what=f"{kind} to reconcile generation {generation}")
        assert len(events(scene.plane, scene.namespace, kind, scene.site, REASON)) == 1
