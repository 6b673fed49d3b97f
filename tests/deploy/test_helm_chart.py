"""charts/teamop, rendered by helm: by default the operator of `kubectl apply -k config/default`, its generated
pieces from the same source as config/, the Go team-operator chart's value names with their meaning, teamop's own
settings reaching `teamop run`, and a wrong value refused by name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from chart import (
    GO_CHART_DEFAULT_VALUES,
    GO_CHART_USER_VALUES,
    NAMESPACE,
    TEAMOP_IMAGE_REPOSITORY,
    find,
    kinds,
    manager_container,
    teamop_arguments,
    template,
    template_error,
    values_file,
)
from deploy_manifests import rendered

from teamop.api.crdgen import generate_crds
from teamop.chartgen import generated_paths, rendered_chart_files
from teamop.cli import main
from teamop.operator import field_managers_of, namespaces_of
from teamop.rbac import rbac_objects
from teamop.testing.helm import CHART, Helm

CRD_NAMES = {crd["metadata"]["name"] for crd in generate_crds()}
RBAC_KINDS = {"ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"}
SERVICE_MONITOR_API = "monitoring.coreos.com/v1/ServiceMonitor"


@pytest.fixture(scope="module")
def helm(tmp_path_factory: pytest.TempPathFactory) -> Helm:
    return Helm(home=tmp_path_factory.mktemp("helm-home"))


@pytest.fixture(scope="module")
def defaults(helm: Helm) -> list[dict[str, Any]]:
    return template(helm)


def _key(obj: dict[str, Any]) -> tuple[str, str]:
    return obj["kind"], obj["metadata"]["name"]


def _without_labels(obj: dict[str, Any]) -> dict[str, Any]:
    """The object as it works: labels and annotations of the metadata aside (the chart adds Helm's)."""
    metadata = {k: v for k, v in obj["metadata"].items() if k not in ("labels", "annotations")}
    return {**obj, "metadata": metadata}


# --- generated from the same source as config/ ------------------------------------------------------------------

def test_committed_chart_files_are_what_teamop_generates() -> None:
    generated = rendered_chart_files()
    committed = {path: (CHART / path).read_text(encoding="utf-8") for path in generated_paths(CHART)}

    stale = sorted(path for path in committed.keys() | generated.keys() if committed.get(path) != generated.get(path))
    assert stale == [], "run `teamop manifests --chart charts/teamop` (or `make crds`) and commit charts/teamop"


def test_manifests_command_writes_the_charts_generated_files(tmp_path: Path) -> None:
    (tmp_path / "templates" / "crds").mkdir(parents=True)
    (tmp_path / "templates" / "crds" / "core.posit.team_gone.yaml").write_text("a kind that no longer exists")

    assert main(["manifests", "--chart", str(tmp_path)]) == 0

    written = {path: (tmp_path / path).read_text(encoding="utf-8") for path in generated_paths(tmp_path)}
    assert written == rendered_chart_files()


def test_helm_lint_strict_passes(helm: Helm) -> None:
    result = helm("lint", "--strict", str(CHART), check=False)

    assert result.returncode == 0, result.stdout + result.stderr


def test_helm_lint_strict_passes_with_a_go_chart_values_file(helm: Helm) -> None:
    result = helm("lint", "--strict", str(CHART), "-f", str(GO_CHART_USER_VALUES), check=False)

    assert result.returncode == 0, result.stdout + result.stderr


# --- by default, the operator of config/default -----------------------------------------------------------------

def test_by_default_the_chart_renders_the_objects_of_config_default(defaults: list[dict[str, Any]]) -> None:
    kustomized = [o for o in rendered("default") if o["kind"] != "Namespace"]

    assert sorted(map(_key, defaults)) == sorted(map(_key, kustomized))
    cluster_scoped = {"CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding"}
    assert {o["metadata"].get("namespace") for o in defaults if o["kind"] not in cluster_scoped} == {NAMESPACE}


def test_the_crds_are_config_crds(defaults: list[dict[str, Any]]) -> None:
    for crd in rendered("default"):
        if crd["kind"] == "CustomResourceDefinition":
            assert find(defaults, "CustomResourceDefinition", crd["metadata"]["name"])["spec"] == crd["spec"]
    assert {o["metadata"]["name"] for o in defaults if o["kind"] == "CustomResourceDefinition"} == CRD_NAMES


def test_the_rbac_is_config_rbac(defaults: list[dict[str, Any]]) -> None:
    for obj in rendered("default"):
        if obj["kind"] in RBAC_KINDS:
            ours = find(defaults, obj["kind"], obj["metadata"]["name"])
            assert _without_labels(ours) == _without_labels(obj)
            # the aggregation labels are what gives `edit` and `view` the Sites
            aggregation = {k: v for k, v in obj["metadata"]["labels"].items() if k.startswith("rbac.")}
            assert aggregation.items() <= ours["metadata"]["labels"].items()
    # and config/rbac is teamop.rbac's
    assert len([o for o in defaults if o["kind"] in RBAC_KINDS]) == len(rbac_objects())


def test_the_metrics_service_is_config_defaults(defaults: list[dict[str, Any]]) -> None:
    kustomized = find(rendered("default"), "Service", "teamop-metrics")

    assert find(defaults, "Service", "teamop-metrics")["spec"] == kustomized["spec"]


def test_the_manager_pod_is_config_defaults_but_for_how_settings_are_passed(defaults: list[dict[str, Any]]) -> None:
    kustomized = find(rendered("default"), "Deployment", "teamop")
    ours = find(defaults, "Deployment", "teamop")

    def without_settings(deployment: dict[str, Any]) -> dict[str, Any]:
        spec = dict(deployment["spec"]["template"]["spec"])
        spec["containers"] = [{k: v for k, v in c.items() if k not in ("args", "env")} for c in spec["containers"]]
        return spec

    assert without_settings(ours) == without_settings(kustomized)
    assert ours["spec"]["replicas"] == kustomized["spec"]["replicas"]
    assert ours["spec"]["selector"] == kustomized["spec"]["selector"]
    assert kustomized["spec"]["template"]["metadata"]["labels"].items() <= \
        ours["spec"]["template"]["metadata"]["labels"].items()


def test_the_manager_runs_teamop_with_config_defaults_settings(defaults: list[dict[str, Any]]) -> None:
    """Flags there, environment variables here: `teamop run` ends with the same settings."""
    kustomized = manager_container(rendered("default"))

    assert vars(teamop_arguments(manager_container(defaults))) == vars(teamop_arguments(kustomized))


# --- the Go team-operator chart's values -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def go_user(helm: Helm) -> list[dict[str, Any]]:
    return template(helm, "-f", str(GO_CHART_USER_VALUES))


def test_a_go_chart_values_file_sets_the_deployment_as_it_says(go_user: list[dict[str, Any]]) -> None:
    deployment = find(go_user, "Deployment", "teamop")
    pod = deployment["spec"]["template"]
    container = manager_container(go_user)

    assert deployment["spec"]["replicas"] == 1
    assert container["image"] == f"{TEAMOP_IMAGE_REPOSITORY}:0.1.0"
    assert container["resources"] == {"limits": {"cpu": "1", "memory": "512Mi"},
                                      "requests": {"cpu": "100m", "memory": "128Mi"}}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": 8081}
    assert container["readinessProbe"]["initialDelaySeconds"] == 5
    assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert pod["spec"]["securityContext"] == {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
    assert pod["spec"]["terminationGracePeriodSeconds"] == 10
    assert pod["spec"]["serviceAccountName"] == "team-operator-controller-manager"
    assert pod["spec"]["tolerations"] == [{"key": "node-role.kubernetes.io/control-plane", "operator": "Exists",
                                           "effect": "NoSchedule"}]
    assert pod["spec"]["nodeSelector"] == {"kubernetes.io/os": "linux"}
    assert pod["metadata"]["labels"]["azure.workload.identity/use"] == "true"
    assert {e["name"]: e.get("value") for e in container["env"]}["AWS_REGION"] == "us-east-1"


def test_a_go_chart_values_file_names_the_service_account_it_binds(go_user: list[dict[str, Any]]) -> None:
    account = find(go_user, "ServiceAccount", "team-operator-controller-manager")
    subject = {"kind": "ServiceAccount", "name": "team-operator-controller-manager", "namespace": NAMESPACE}

    assert account["metadata"]["annotations"] == {
        "eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/team-operator-role"}
    assert find(go_user, "ClusterRoleBinding", "teamop-manager")["subjects"] == [subject]
    assert find(go_user, "RoleBinding", "teamop-leader-election")["subjects"] == [subject]


def test_the_go_charts_arguments_and_environment_reach_teamop_run(go_user: list[dict[str, Any]]) -> None:
    args = teamop_arguments(manager_container(go_user))

    assert args.leader_elect is True
    assert args.metrics_bind_address == ":8443"
    assert args.health_probe_bind_address == ":8081"
    assert namespaces_of(args.watch_namespaces) == ["posit-team", "posit-team-staging"]
    assert float(args.grace_period) == 10  # terminationGracePeriodSeconds


def test_the_ports_the_service_and_the_network_policy_follow_the_metrics_address_in_args(
    go_user: list[dict[str, Any]]
) -> None:
    ports = {p["name"]: p["containerPort"] for p in manager_container(go_user)["ports"]}
    (service_port,) = find(go_user, "Service", "teamop-metrics")["spec"]["ports"]
    policy = find(go_user, "NetworkPolicy", "teamop-allow-metrics")

    assert ports == {"metrics": 8443, "health": 8081}
    assert (service_port["port"], service_port["targetPort"]) == (8443, "metrics")
    assert policy["spec"]["ingress"][0]["ports"] == [{"port": 8443, "protocol": "TCP"}]


def test_the_go_charts_own_values_need_only_teamops_image(helm: Helm, tmp_path: Path) -> None:
    error = template_error(helm, "-f", str(GO_CHART_DEFAULT_VALUES))

    assert "controllerManager.container.image.repository: posit/team-operator is the Go team-operator's image" \
        in error
    objects = template(helm, "-f", str(GO_CHART_DEFAULT_VALUES),
                       "--set", f"controllerManager.container.image.repository={TEAMOP_IMAGE_REPOSITORY}")
    args = teamop_arguments(manager_container(objects))
    assert (args.leader_elect, args.metrics_bind_address) == (True, ":8443")


@pytest.mark.parametrize("value", ["webhook.enable", "certmanager.enable"])
def test_go_chart_switches_teamop_has_no_use_for_must_stay_off(helm: Helm, value: str) -> None:
    error = template_error(helm, "--set", f"{value}=true")

    assert f"at '/{value.replace('.', '/')}': value must be false" in error
    template(helm, "--set", f"{value}=false")


# --- teamop's own settings ---------------------------------------------------------------------------------------

def test_teamops_settings_reach_teamop_run(helm: Helm, tmp_path: Path) -> None:
    values = {
        "leaderElection": {"enable": False, "id": "teamop-lease", "namespace": "ops"},
        "logging": {"format": "console", "level": "debug"},
        "maxConcurrentReconciles": 5,
        "maxParallelApplies": 3,
        "operatorImage": "registry.example.com/flightdeck:7",
        "takeOverFieldManagers": ["team-operator", "manager"],
        "watchNamespace": "",
        "metrics": {"port": 9090},
        "healthProbe": {"port": 9091},
    }
    objects = template(helm, "-f", str(values_file(tmp_path, values)))
    args = teamop_arguments(manager_container(objects))

    assert args.leader_elect is False
    assert (args.leader_election_id, args.leader_election_namespace) == ("teamop-lease", "ops")
    assert (args.log_format, args.log_level) == ("console", "debug")
    assert (args.max_concurrent_reconciles, args.max_parallel_applies) == (5, 3)
    assert args.operator_image == "registry.example.com/flightdeck:7"
    assert field_managers_of(args.take_over_field_managers) == ["team-operator", "manager"]
    assert namespaces_of(args.watch_namespaces) is None
    assert (args.metrics_bind_address, args.health_probe_bind_address) == (":9090", ":9091")
    # the leader-election Role is where the Lease is
    assert find(objects, "Role", "teamop-leader-election")["metadata"]["namespace"] == "ops"


def test_flightdeck_runs_the_operators_own_image_by_default_also_by_digest(helm: Helm) -> None:
    digest = "@sha256:" + "a" * 64
    objects = template(helm, "--set", f"controllerManager.container.image.tag={digest}")
    container = manager_container(objects)

    assert container["image"] == f"{TEAMOP_IMAGE_REPOSITORY}{digest}"
    assert teamop_arguments(container).operator_image == container["image"]


def test_arguments_win_over_the_charts_settings(helm: Helm) -> None:
    objects = template(helm, "--set", "logging.level=info", "--set-json",
                       'controllerManager.container.args=["--log-level=debug", "--max-parallel-applies", "1"]')
    args = teamop_arguments(manager_container(objects))

    assert (args.log_level, args.max_parallel_applies) == ("debug", 1)


def test_environment_values_win_over_the_charts_settings_without_repeating_a_name(helm: Helm) -> None:
    objects = template(helm, "--set", "watchNamespace=posit-team",
                       "--set", "controllerManager.container.env.WATCH_NAMESPACES=a\\,b",
                       "--set", "controllerManager.container.env.POD_NAMESPACE=elsewhere")
    container = manager_container(objects)
    names = [e["name"] for e in container["env"]]

    assert len(names) == len(set(names))
    args = teamop_arguments(container)
    assert namespaces_of(args.watch_namespaces) == ["a", "b"]
    assert {e["name"]: e.get("value") for e in container["env"]}["POD_NAMESPACE"] == "elsewhere"


# --- switches ----------------------------------------------------------------------------------------------------

def test_crd_keep_marks_the_crds_to_stay_when_the_release_goes(helm: Helm) -> None:
    kept = [o for o in template(helm) if o["kind"] == "CustomResourceDefinition"]
    not_kept = [o for o in template(helm, "--set", "crd.keep=false") if o["kind"] == "CustomResourceDefinition"]

    assert {crd["metadata"]["annotations"]["helm.sh/resource-policy"] for crd in kept} == {"keep"}
    assert len(kept) == len(not_kept) == len(CRD_NAMES)
    assert all("helm.sh/resource-policy" not in (crd["metadata"].get("annotations") or {}) for crd in not_kept)


def test_crd_enable_false_leaves_the_crds_out(helm: Helm) -> None:
    assert "CustomResourceDefinition" not in kinds(template(helm, "--set", "crd.enable=false"))


def test_rbac_enable_false_leaves_every_rbac_object_out(helm: Helm) -> None:
    objects = template(helm, "--set", "rbac.enable=false")

    assert not kinds(objects) & RBAC_KINDS
    assert find(objects, "Deployment", "teamop")["spec"]["template"]["spec"]["serviceAccountName"] == "teamop"


def test_metrics_enable_false_turns_the_metrics_server_and_service_off(helm: Helm) -> None:
    objects = template(helm, "--set", "metrics.enable=false")
    container = manager_container(objects)

    assert "Service" not in kinds(objects)
    assert teamop_arguments(container).metrics_bind_address == "0"
    assert [p["name"] for p in container["ports"]] == ["health"]


def test_prometheus_enable_adds_a_service_monitor_of_the_metrics_service(helm: Helm) -> None:
    objects = template(helm, "--set", "prometheus.enable=true", "--api-versions", SERVICE_MONITOR_API)
    monitor = find(objects, "ServiceMonitor", "teamop")
    service = find(objects, "Service", "teamop-metrics")

    assert monitor["metadata"]["namespace"] == NAMESPACE
    assert monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    assert [e["port"] for e in monitor["spec"]["endpoints"]] == [p["name"] for p in service["spec"]["ports"]]
    assert "ServiceMonitor" not in kinds(template(helm, "--api-versions", SERVICE_MONITOR_API))


def test_prometheus_enable_without_the_prometheus_operator_says_so(helm: Helm) -> None:
    error = template_error(helm, "--set", "prometheus.enable=true")

    assert "prometheus.enable: the cluster has no ServiceMonitor (monitoring.coreos.com/v1)" in error


def test_network_policy_enable_admits_only_metrics_traffic_to_the_operator(
    helm: Helm, defaults: list[dict[str, Any]]
) -> None:
    objects = template(helm, "--set", "networkPolicy.enable=true")
    policy = find(objects, "NetworkPolicy", "teamop-allow-metrics")
    pod_labels = find(objects, "Deployment", "teamop")["spec"]["template"]["metadata"]["labels"]

    assert policy["spec"]["podSelector"]["matchLabels"].items() <= pod_labels.items()
    assert policy["spec"]["policyTypes"] == ["Ingress"]
    (rule,) = policy["spec"]["ingress"]
    assert rule["ports"] == [{"port": 8080, "protocol": "TCP"}]
    assert rule["from"] == [{"namespaceSelector": {"matchLabels": {"metrics": "enabled"}}}]
    assert "NetworkPolicy" not in kinds(defaults)


# --- wrong values ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("option", "named"), [
    ("controllerManager.replicas=two", "/controllerManager/replicas"),
    ("controllerManager.container.args=--leader-elect", "/controllerManager/container/args"),
    ("leaderElection.enable=yes", "/leaderElection/enable"),
    ("logging.level=loud", "/logging/level"),
    ("maxParallelApplies=0", "/maxParallelApplies"),
    ("watchNamespace=Posit_Team", "/watchNamespace"),
    ("metrics.port=http", "/metrics/port"),
    ("controllerManger.replicas=1", "controllerManger"),
])
def test_a_wrong_value_fails_naming_it(helm: Helm, option: str, named: str) -> None:
    error = template_error(helm, "--set", option)

    assert named in error, error
