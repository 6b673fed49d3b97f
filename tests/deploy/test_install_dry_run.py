"""Every object of `kubectl apply -k config/default` is accepted by the real API server (server-side dry-run with
strict field validation), and the manager's pod passes the restricted Pod Security Standard it enforces."""

from __future__ import annotations

import json
from typing import Any

import pytest
from deploy_manifests import kustomize, rendered

from teamop.testing.controlplane import ControlPlane

pytestmark = pytest.mark.controlplane


def _as_list(objects: list[dict[str, Any]]) -> str:
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": objects})


@pytest.fixture(scope="module")
def install_namespaces(controlplane: ControlPlane) -> None:
    """A dry run creates nothing, so the namespaces the rest goes into must exist: apply the rendered Namespaces
    for real (they carry the Pod Security labels the Deployment is checked against)."""
    namespaces = [o for o in rendered("default") if o["kind"] == "Namespace"]
    controlplane.kubectl("apply", "--server-side", "-f", "-", input=_as_list(namespaces))


def test_every_rendered_object_is_accepted_by_a_server_side_dry_run(
    controlplane: ControlPlane, install_namespaces: None
) -> None:
    result = controlplane.kubectl("apply", "--server-side", "--dry-run=server", "--field-manager=teamop-install",
                                  "--validate=strict", "-f", "-", input=kustomize("default"), check=False)

    assert result.returncode == 0, result.stderr
    accepted = [line for line in result.stdout.splitlines() if line.endswith("(server dry run)")]
    assert len(accepted) == len(rendered("default")), result.stdout
    # e.g. "Warning: would violate PodSecurity "restricted:latest": ..." for the manager's pod template
    assert "Warning" not in result.stderr, result.stderr


def test_the_documented_client_side_apply_is_accepted_too(controlplane: ControlPlane, install_namespaces: None) -> None:
    """`kubectl apply -k config/default` (client-side) keeps each object in a last-applied annotation, which the
    server limits to 256 KiB: the largest CRD must fit."""
    result = controlplane.kubectl("apply", "--dry-run=server", "-f", "-", input=kustomize("default"), check=False)

    assert result.returncode == 0, result.stderr
    # (objects the session's fixtures created without kubectl apply warn of a missing annotation: harmless)
    assert "PodSecurity" not in result.stderr, result.stderr


def test_a_pod_like_the_managers_is_admitted_by_the_restricted_namespace(
    controlplane: ControlPlane, install_namespaces: None
) -> None:
    """Pod Security admission only warns about a Deployment; a Pod is enforced. The manager's pod template, created
    as a Pod in posit-team-system (dry run), must be admitted."""
    deployment = next(o for o in rendered("default") if o["kind"] == "Deployment")
    template = deployment["spec"]["template"]
    pod = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": "teamop-pod-security-check", "namespace": "posit-team-system",
                        "labels": template["metadata"]["labels"]},
           "spec": template["spec"]}

    result = controlplane.kubectl("create", "--dry-run=server", "-f", "-", input=json.dumps(pod), check=False)

    assert result.returncode == 0, result.stderr


def test_the_service_monitor_renders_but_needs_the_prometheus_operator(controlplane: ControlPlane) -> None:
    """config/prometheus is left out of config/default because this CRD is not there without the Prometheus
    Operator: applying it to a cluster without it fails for that reason alone."""
    result = controlplane.kubectl("apply", "--server-side", "--dry-run=server", "-n", "default", "-f", "-",
                                  input=kustomize("prometheus"), check=False)

    assert result.returncode != 0
    assert "monitoring.coreos.com/v1" in result.stderr or "ServiceMonitor" in result.stderr, result.stderr


def test_the_samples_are_accepted(controlplane: ControlPlane, namespace: str) -> None:
    result = controlplane.kubectl("apply", "--server-side", "--dry-run=server", "--validate=strict",
                                  "-n", namespace, "-f", "-", input=kustomize("samples"), check=False)

    assert result.returncode == 0, result.stderr
