"""`teamop status` against the real API server with the operator running in-process: a converged Site shows
every product ready (and holds exactly the objects `teamop render` shows); a product that cannot become ready is
shown not ready with its reason."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml
from sites import apply, condition, get, go_operator_secrets, sample_site

from teamop.controllers.registry import setup_operator
from teamop.testing.controlplane import ControlPlane
from teamop.testing.operator import OperatorFactory
from teamop.testing.postgres import PostgresServer
from teamop.testing.wait import until

pytestmark = [pytest.mark.controlplane, pytest.mark.postgres]

PRODUCTS = ("Connect", "Workbench", "PackageManager", "Chronicle", "Flightdeck")
CREATED_KINDS = ("serviceaccounts", "secrets", "configmaps", "roles.rbac.authorization.k8s.io",
                 "rolebindings.rbac.authorization.k8s.io", "persistentvolumeclaims",
                 "postgresdatabases.core.posit.team", "services", "deployments.apps", "statefulsets.apps",
                 "daemonsets.apps", "ingresses.networking.k8s.io", "poddisruptionbudgets.policy",
                 "networkpolicies.networking.k8s.io", "connects.core.posit.team", "workbenches.core.posit.team",
                 "packagemanagers.core.posit.team", "chronicles.core.posit.team", "flightdecks.core.posit.team")


@pytest.fixture
def name() -> str:
    return f"s{uuid.uuid4().hex[:6]}"


def teamop(plane: ControlPlane, *args: str) -> subprocess.CompletedProcess[str]:
    """The `teamop` command, in a process of its own (call it in a thread while the operator runs)."""
    return subprocess.run([sys.executable, "-m", "teamop.cli", *args], capture_output=True, text=True,
                          check=False, timeout=120)


def status(plane: ControlPlane, *args: str) -> subprocess.CompletedProcess[str]:
    return teamop(plane, "status", *args, "--kubeconfig", str(plane.kubeconfig))


def ready(plane: ControlPlane, kind: str, name: str, namespace: str) -> bool:
    return bool(((get(plane, kind, name, namespace) or {}).get("status") or {}).get("ready"))


def created_objects(plane: ControlPlane, namespace: str) -> set[tuple[str, str]]:
    listed = json.loads(plane.kubectl("get", ",".join(CREATED_KINDS), "-n", namespace, "-o", "json",
                                      "-l", "app.kubernetes.io/managed-by=team-operator").stdout)
    return {(item["kind"], item["metadata"]["name"]) for item in listed["items"]}


async def test_a_converged_site_shows_every_product_ready_and_holds_what_render_shows(
    controlplane: ControlPlane, namespace: str, name: str, operator: OperatorFactory, postgres: PostgresServer,
    tmp_path: Path,
) -> None:
    site = sample_site(name, namespace)
    apply(controlplane, *go_operator_secrets(name, namespace, postgres))
    apply(controlplane, site)
    await operator([setup_operator], namespaces=namespace)
    await until(lambda: ready(controlplane, "site", name, namespace), timeout=150, what="the Site to be Ready")

    result = await asyncio.to_thread(status, controlplane, name, "-n", namespace)

    out = result.stdout
    print(out)  # shown when the test fails
    assert result.returncode == 0, out + result.stderr
    assert out.splitlines()[0] == f"Site {name} (namespace {namespace}): ✓ ready"
    for kind in PRODUCTS:
        assert f"── {kind} {name}: ✓ ready" in out
    for line in (f"Deployment {name}-connect: ✓ 1/1 ready", f"StatefulSet {name}-chronicle: ✓ 1/1 ready",
                 f"PostgresDatabase {name}-workbench: ✓ ready (database {name}_workbench)",
                 f"PersistentVolumeClaim {name}-connect: ✓ Bound"):
        assert line in out
    assert "✗" not in out
    every_site = await asyncio.to_thread(status, controlplane, "-n", namespace)
    assert (every_site.returncode, every_site.stdout) == (0, out)
    missing = await asyncio.to_thread(status, controlplane, "nosuchsite", "-n", namespace)
    assert missing.returncode == 1
    assert "Site 'nosuchsite' not found" in missing.stderr

    manifest = tmp_path / "site.yaml"
    manifest.write_text(yaml.safe_dump(site))
    rendered = await asyncio.to_thread(teamop, controlplane, "render", str(manifest))
    assert rendered.returncode == 0, rendered.stderr
    shown = {(o["kind"], o["metadata"]["name"]) for o in yaml.safe_load_all(rendered.stdout) if o}
    assert await until(lambda: created_objects(controlplane, namespace)) == shown


async def test_a_product_that_cannot_be_scheduled_is_shown_not_ready_with_its_reason(
    controlplane: ControlPlane, namespace: str, name: str, operator: OperatorFactory, postgres: PostgresServer,
) -> None:
    site: dict[str, Any] = sample_site(name, namespace, "site-minimal")
    site["spec"]["connect"]["nodeSelector"] = {"nowhere": "true"}
    apply(controlplane, *go_operator_secrets(name, namespace, postgres))
    apply(controlplane, site)
    await operator([setup_operator], namespaces=namespace)
    await until(lambda: condition(get(controlplane, "connect", name, namespace), "Degraded").get("reason")
                == "PodsNotReady" and ready(controlplane, "packagemanager", name, namespace)
                and ready(controlplane, "flightdeck", name, namespace),
                timeout=150, what="Connect to be Degraded, the other products Ready")

    result = await asyncio.to_thread(status, controlplane, "-n", namespace)

    out = result.stdout
    print(out)  # shown when the test fails
    assert result.returncode == 1, out + result.stderr
    assert out.splitlines()[0] == f"Site {name} (namespace {namespace}): ✗ not ready"
    assert f"── Connect {name}: ✗ not ready" in out
    assert f"Deployment {name}-connect: ✗ 0/1 ready" in out
    assert "✗ Degraded=True PodsNotReady: pod " in out
    assert "cannot be scheduled" in out
    assert f"── PackageManager {name}: ✓ ready" in out
    assert f"── Flightdeck {name}: ✓ ready" in out
