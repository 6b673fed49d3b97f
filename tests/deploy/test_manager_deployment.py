"""The rendered install (`kubectl kustomize config/default`): a hardened manager Deployment whose probes, ports and
arguments agree with `teamop run`, and the ServiceMonitor kept apart in config/prometheus."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from deploy_manifests import CONFIG, find, kustomize, rendered

from teamop import operator

NAMESPACE = "posit-team-system"
WATCHED = "posit-team"


@pytest.fixture(scope="module")
def deployment() -> dict[str, Any]:
    return find(rendered("default"), "Deployment", "teamop")


@pytest.fixture(scope="module")
def pod(deployment: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = deployment["spec"]["template"]["spec"]
    return spec


@pytest.fixture(scope="module")
def manager(pod: dict[str, Any]) -> dict[str, Any]:
    (container,) = pod["containers"]
    assert container["name"] == "manager"
    return dict(container)


def _port(address: str) -> int:
    return int(address.rsplit(":", 1)[1])


def run_args(manager: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> argparse.Namespace:
    """The container's arguments parsed by `teamop run` with the container's literal environment."""
    for setting in operator.SETTINGS:
        monkeypatch.delenv(setting.env, raising=False)
    monkeypatch.delenv(operator.LEADER_ELECT_ENV, raising=False)
    for env in manager.get("env", []):
        if "value" in env:
            monkeypatch.setenv(env["name"], env["value"])
    args = manager["args"]
    assert args[0] == "run"
    parser = argparse.ArgumentParser()
    operator.add_arguments(parser)
    return parser.parse_args(args[1:])


def test_everything_namespaced_lands_in_posit_team_system() -> None:
    objects = rendered("default")
    namespaces = {o["metadata"]["name"] for o in objects if o["kind"] == "Namespace"}

    assert namespaces == {NAMESPACE, WATCHED}
    cluster_scoped = {"Namespace", "CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding"}
    assert {o["metadata"].get("namespace") for o in objects if o["kind"] not in cluster_scoped} == {NAMESPACE}
    assert {o["kind"] for o in objects} == cluster_scoped | {"ServiceAccount", "Role", "RoleBinding", "Service",
                                                              "Deployment"}
    assert len([o for o in objects if o["kind"] == "CustomResourceDefinition"]) == 7


def test_the_operator_namespace_enforces_the_restricted_pod_security_standard() -> None:
    namespace = find(rendered("default"), "Namespace", NAMESPACE)

    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


def test_the_manager_runs_non_root_read_only_without_privileges(pod: dict[str, Any], manager: dict[str, Any]) -> None:
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod.get("hostNetwork") is not True
    assert pod.get("hostPID") is not True
    context = manager["securityContext"]
    assert context["runAsNonRoot"] is True
    assert context["readOnlyRootFilesystem"] is True
    assert context["allowPrivilegeEscalation"] is False
    assert context["capabilities"] == {"drop": ["ALL"]}
    assert context.get("privileged") is not True
    # a read-only root filesystem needs somewhere to write temporary files
    mounts = {m["mountPath"]: m["name"] for m in manager["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert "emptyDir" in volumes[mounts["/tmp"]]


def test_the_manager_has_resource_requests_and_limits(manager: dict[str, Any]) -> None:
    resources = manager["resources"]

    assert set(resources["requests"]) == {"cpu", "memory"}
    assert set(resources["limits"]) == {"cpu", "memory"}


def test_probes_ask_the_health_port_that_teamop_run_serves(
    manager: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    ports = {p["name"]: p["containerPort"] for p in manager["ports"]}
    args = run_args(manager, monkeypatch)

    assert manager["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "health"}
    assert manager["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "health"}
    assert ports["health"] == _port(args.health_probe_bind_address)
    assert ports["metrics"] == _port(args.metrics_bind_address)


def test_the_manager_elects_a_leader_and_watches_posit_team(
    deployment: dict[str, Any], manager: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    args = run_args(manager, monkeypatch)

    assert deployment["spec"]["replicas"] >= 2
    assert args.leader_elect is True
    assert operator.namespaces_of(args.watch_namespaces) == [WATCHED]
    assert args.log_format == "json"
    pod_namespace = next(e for e in manager["env"] if e["name"] == "POD_NAMESPACE")
    assert pod_namespace["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.namespace"
    # Flightdeck runs the operator's own image unless a Site names one
    assert args.operator_image == manager["image"]


def test_the_metrics_service_selects_the_manager_pods(deployment: dict[str, Any], manager: dict[str, Any]) -> None:
    service = find(rendered("default"), "Service", "teamop-metrics")
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]

    assert deployment["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    assert service["spec"]["selector"].items() <= pod_labels.items()
    (port,) = service["spec"]["ports"]
    assert port["targetPort"] == "metrics"
    assert "metrics" in {p["name"] for p in manager["ports"]}


def test_the_service_monitor_renders_on_its_own_and_stays_out_of_default() -> None:
    (monitor,) = rendered("prometheus")
    service = find(rendered("default"), "Service", "teamop-metrics")

    assert monitor["kind"] == "ServiceMonitor"
    assert "ServiceMonitor" not in {o["kind"] for o in rendered("default")}
    assert monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    assert [e["port"] for e in monitor["spec"]["endpoints"]] == [p["name"] for p in service["spec"]["ports"]]


def test_setting_the_image_in_config_default_also_sets_the_image_flightdeck_runs(tmp_path: Path) -> None:
    """`kustomize edit set image` in config/default changes the container image; a replacement copies it into
    TEAMOP_IMAGE, so that the landing page runs the operator's build."""
    shutil.copytree(CONFIG, tmp_path / "config")
    kustomization_file = tmp_path / "config" / "default" / "kustomization.yaml"
    kustomization = yaml.safe_load(kustomization_file.read_text())
    (image,) = kustomization["images"]
    image.update(newName="registry.example.com/teamop", newTag="1.2.3")
    kustomization_file.write_text(yaml.safe_dump(kustomization))

    objects = [o for o in yaml.safe_load_all(kustomize(tmp_path / "config" / "default")) if o]
    (manager,) = find(objects, "Deployment", "teamop")["spec"]["template"]["spec"]["containers"]

    assert manager["image"] == "registry.example.com/teamop:1.2.3"
    assert {e["name"]: e.get("value") for e in manager["env"]}["TEAMOP_IMAGE"] == "registry.example.com/teamop:1.2.3"
