"""Drift another field manager makes to a converged Site's objects is undone: zero values removed, a volume
removed, a key added to an atomic map. (Someone's `kubectl patch --type=json` takes the fields from teamop's field
set, so the next reconcile sees them as not its own and applies them again.)"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sites import apply, get, go_operator_secrets, sample_site

from teamop.controllers.registry import setup_operator
from teamop.testing.controlplane import ControlPlane
from teamop.testing.operator import RunningOperator, start_operator
from teamop.testing.postgres import PostgresServer
from teamop.testing.wait import until

pytestmark = [pytest.mark.controlplane, pytest.mark.postgres]

RESTORED_WITHIN = 60.0
"""Generous: the apply itself follows the patch's watch event at once; a busy 2-core machine may be slow."""


@dataclass(frozen=True)
class ConvergedSite:
    plane: ControlPlane
    namespace: str
    name: str
    operator: RunningOperator

    def get(self, kind: str, component: str) -> dict[str, Any]:
        obj = get(self.plane, kind, f"{self.name}-{component}", self.namespace)
        assert obj is not None, f"{kind} {self.name}-{component} not found"
        return obj

    def patch(self, kind: str, component: str, operations: list[dict[str, Any]]) -> None:
        """A JSON patch by another field manager, as a user's `kubectl patch --type=json`."""
        self.plane.kubectl("-n", self.namespace, "patch", kind, f"{self.name}-{component}", "--type=json",
                           "--field-manager=someone", "-p", json.dumps(operations))

    async def until(self, kind: str, component: str, check: Callable[[dict[str, Any]], bool], what: str) -> None:
        await until(lambda: check(self.get(kind, component)), timeout=RESTORED_WITHIN, what=what)


@pytest.fixture(scope="module")
async def site(controlplane: ControlPlane, postgres: PostgresServer) -> AsyncIterator[ConvergedSite]:
    name, namespace = f"d{uuid.uuid4().hex[:6]}", f"drift-{uuid.uuid4().hex[:6]}"
    controlplane.kubectl("create", "namespace", namespace)
    apply(controlplane, *go_operator_secrets(name, namespace, postgres))
    apply(controlplane, sample_site(name, namespace))
    operator = await start_operator(controlplane.kubeconfig, [setup_operator], namespaces=namespace)
    try:
        await until(lambda: ((get(controlplane, "site", name, namespace) or {}).get("status") or {}).get("ready"),
                    timeout=150, what="the Site to be Ready")
        yield ConvergedSite(controlplane, namespace, name, operator)
    finally:
        await operator.close()
        controlplane.kubectl("delete", "namespace", namespace, "--wait=false", check=False)


def pod_spec(workload: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = workload["spec"]["template"]["spec"]
    return spec


def container(workload: dict[str, Any]) -> dict[str, Any]:
    first: dict[str, Any] = pod_spec(workload)["containers"][0]
    return first


async def test_a_removed_allow_privilege_escalation_false_comes_back(site: ConvergedSite) -> None:
    assert container(site.get("deployment", "flightdeck"))["securityContext"]["allowPrivilegeEscalation"] is False

    site.patch("deployment", "flightdeck",
               [{"op": "remove", "path": "/spec/template/spec/containers/0/securityContext/allowPrivilegeEscalation"}])

    await site.until("deployment", "flightdeck",
                     lambda d: container(d)["securityContext"].get("allowPrivilegeEscalation") is False,
                     "Flightdeck's allowPrivilegeEscalation: false to be back")


async def test_a_removed_automount_service_account_token_false_comes_back(site: ConvergedSite) -> None:
    assert pod_spec(site.get("deployment", "connect"))["automountServiceAccountToken"] is False

    site.patch("deployment", "connect", [{"op": "remove", "path": "/spec/template/spec/automountServiceAccountToken"}])

    await site.until("deployment", "connect", lambda d: pod_spec(d).get("automountServiceAccountToken") is False,
                     "Connect's automountServiceAccountToken: false to be back")


async def test_a_removed_run_as_non_root_comes_back(site: ConvergedSite) -> None:
    assert container(site.get("deployment", "connect"))["securityContext"]["runAsNonRoot"] is False

    site.patch("deployment", "connect",
               [{"op": "remove", "path": "/spec/template/spec/containers/0/securityContext/runAsNonRoot"}])

    await site.until("deployment", "connect", lambda d: container(d)["securityContext"].get("runAsNonRoot") is False,
                     "Connect's runAsNonRoot: false to be back")


async def test_a_removed_empty_dir_volume_comes_back(site: ConvergedSite) -> None:
    workbench = site.get("deployment", "workbench")
    volume = next(i for i, v in enumerate(pod_spec(workbench)["volumes"]) if v.get("emptyDir") == {})
    name = pod_spec(workbench)["volumes"][volume]["name"]
    mounts = [i for i, m in enumerate(container(workbench)["volumeMounts"]) if m["name"] == name]

    site.patch("deployment", "workbench", [
        *({"op": "remove", "path": f"/spec/template/spec/containers/0/volumeMounts/{i}"} for i in reversed(mounts)),
        {"op": "remove", "path": f"/spec/template/spec/volumes/{volume}"},
    ])

    def restored(deployment: dict[str, Any]) -> bool:
        volumes = {v["name"]: v for v in pod_spec(deployment).get("volumes") or []}
        mounted = [m for m in container(deployment).get("volumeMounts") or [] if m["name"] == name]
        return volumes.get(name, {}).get("emptyDir") == {} and len(mounted) == len(mounts)

    await site.until("deployment", "workbench", restored, f"Workbench's emptyDir volume {name} to be back")


async def test_a_key_added_to_a_services_selector_is_removed(site: ConvergedSite) -> None:
    selector = site.get("service", "connect")["spec"]["selector"]

    site.patch("service", "connect", [{"op": "add", "path": "/spec/selector/added-by", "value": "someone"}])

    await site.until("service", "connect", lambda s: s["spec"]["selector"] == selector,
                     "Connect's Service selector (an atomic map) to be as teamop renders it")


async def test_an_element_added_to_an_atomic_list_is_removed(site: ConvergedSite) -> None:
    drop = container(site.get("deployment", "flightdeck"))["securityContext"]["capabilities"]["drop"]

    site.patch("deployment", "flightdeck", [
        {"op": "add", "path": "/spec/template/spec/containers/0/securityContext/capabilities/drop/-",
         "value": "NET_RAW"}])

    await site.until("deployment", "flightdeck",
                     lambda d: container(d)["securityContext"]["capabilities"]["drop"] == drop,
                     "Flightdeck's dropped capabilities (an atomic list) to be as teamop renders them")
