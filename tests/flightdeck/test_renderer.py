"""Flightdeck's objects against the ones the Go operator created for the same Flightdeck (reference/)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from teamop.api.v1beta1.flightdeck import Flightdeck, FlightdeckSpec
from teamop.products.context import RenderContext
from teamop.products.flightdeck import REFERENCE_IMAGE, render, resolve_image

HERE = Path(__file__).parent
REFERENCE = {path.name: yaml.safe_load(path.read_text()) for path in (HERE / "reference").glob("*.yaml")}
REFERENCE_CR = HERE.parent / "reference" / "rendered" / "Flightdeck-test.yaml"
CONTEXT = RenderContext(site="test", namespace="posit-team", operator_image="ghcr.io/posit-dev/teamop:1.0")


def reference_spec(**changes: Any) -> FlightdeckSpec:
    spec = Flightdeck.model_validate(yaml.safe_load(REFERENCE_CR.read_text())).spec
    return FlightdeckSpec.model_validate({**spec.model_dump(exclude_unset=True), **changes})


def is_subset(desired: Any, live: Any, path: str = "") -> list[str]:
    """Where `desired` is not contained in `live` (what a server-side apply would change)."""
    if isinstance(desired, dict):
        if not isinstance(live, dict):
            return [f"{path}: {live!r} is not an object"]
        problems = []
        for key, value in desired.items():
            if key not in live:
                problems.append(f"{path}.{key}: missing from the reference")
            else:
                problems += is_subset(value, live[key], f"{path}.{key}")
        return problems
    if isinstance(desired, list):
        if not isinstance(live, list) or len(desired) != len(live):
            return [f"{path}: {desired!r} != {live!r}"]
        pairs = enumerate(zip(desired, live, strict=True))
        return [problem for index, (d, v) in pairs for problem in is_subset(d, v, f"{path}[{index}]")]
    return [] if desired == live else [f"{path}: {desired!r} != {live!r}"]


def without_deliberate_additions(deployment: dict[str, Any]) -> dict[str, Any]:
    """teamop's Deployment adds a read-only root filesystem with a scratch /tmp; everything else matches."""
    trimmed = copy.deepcopy(deployment)
    pod = trimmed["spec"]["template"]["spec"]
    container = pod["containers"][0]
    del container["securityContext"]["readOnlyRootFilesystem"]
    del container["volumeMounts"]
    del pod["volumes"]
    return trimmed


@pytest.mark.parametrize("reference_file", sorted(REFERENCE), ids=str)
def test_each_object_matches_the_reference(reference_file: str) -> None:
    reference = REFERENCE[reference_file]
    rendered = render(reference_spec(), CONTEXT).get(reference["kind"], reference["metadata"]["name"])
    if rendered["kind"] == "Deployment":
        rendered = without_deliberate_additions(rendered)
    assert is_subset(rendered, reference) == []


def test_exactly_these_objects_in_apply_order() -> None:
    objects = render(reference_spec(), CONTEXT).objects
    assert [(o["kind"], o["metadata"]["name"]) for o in objects] == [
        ("ServiceAccount", "test-flightdeck"),
        ("Role", "test-flightdeck-role"),
        ("RoleBinding", "test-flightdeck-rolebinding"),
        ("Service", "test-flightdeck"),
        ("Deployment", "test-flightdeck"),
        ("Ingress", "test-flightdeck"),
    ]


def test_the_reference_deployments_contract_is_kept() -> None:
    container = render(reference_spec(), CONTEXT).get("Deployment", "test-flightdeck")["spec"]["template"]["spec"][
        "containers"
    ][0]
    reference = REFERENCE["Deployment-test-flightdeck.yaml"]["spec"]["template"]["spec"]["containers"][0]
    for field in ("env", "ports", "livenessProbe", "readinessProbe", "resources", "image", "imagePullPolicy"):
        assert container[field] == reference[field], field
    assert is_subset(reference["securityContext"], container["securityContext"]) == []


def test_hardened_pod() -> None:
    pod = render(reference_spec(), CONTEXT).get("Deployment", "test-flightdeck")["spec"]["template"]["spec"]
    security = pod["containers"][0]["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["runAsNonRoot"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert pod["containers"][0]["volumeMounts"] == [{"name": "tmp", "mountPath": "/tmp"}]


def test_the_role_reads_sites_and_nothing_else() -> None:
    role = render(reference_spec(), CONTEXT).get("Role", "test-flightdeck-role")
    assert role["rules"] == [
        {"apiGroups": ["core.posit.team"], "resources": ["sites"], "verbs": ["get", "list", "watch"]}
    ]


def test_without_an_image_teamop_serves_the_page_itself() -> None:
    deployment = render(reference_spec(image=None), CONTEXT).get("Deployment", "test-flightdeck")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "ghcr.io/posit-dev/teamop:1.0"
    assert container["command"] == ["teamop", "flightdeck", "serve"]
    assert [env["name"] for env in container["env"]] == [
        "SITE_NAME", "SHOW_CONFIG", "SHOW_ACADEMY", "LOG_LEVEL", "LOG_FORMAT",
    ]


def test_a_port_other_than_8080_is_passed_to_teamops_server() -> None:
    deployment = render(reference_spec(image=None, port=9090), CONTEXT).get("Deployment", "test-flightdeck")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["command"] == ["teamop", "flightdeck", "serve", "--port", "9090"]
    assert container["ports"] == [{"name": "http", "containerPort": 9090, "protocol": "TCP"}]


def test_a_given_image_runs_with_its_own_entrypoint() -> None:
    deployment = render(reference_spec(image="v1.2.3"), CONTEXT).get("Deployment", "test-flightdeck")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == f"{REFERENCE_IMAGE}:v1.2.3"
    assert "command" not in container


@pytest.mark.parametrize(
    ("given", "resolved"),
    [
        (None, None),
        ("", None),
        ("latest", "docker.io/posit/ptd-flightdeck:latest"),
        ("v1.2.3", "docker.io/posit/ptd-flightdeck:v1.2.3"),
        ("sha256:abc", "docker.io/posit/ptd-flightdeck@sha256:abc"),
        ("ghcr.io/rstudio/flightdeck:latest", "ghcr.io/rstudio/flightdeck:latest"),
        ("posit/ptd-flightdeck:v2", "posit/ptd-flightdeck:v2"),
    ],
)
def test_image_resolution_as_the_reference(given: str | None, resolved: str | None) -> None:
    assert resolve_image(given) == resolved


def test_toggles_and_logging_reach_the_environment() -> None:
    spec = reference_spec(
        feature_enabler={"showConfig": True, "showAcademy": True}, log_level="debug", log_format="json"
    )
    container = render(spec, CONTEXT).get("Deployment", "test-flightdeck")["spec"]["template"]["spec"]["containers"][0]
    assert {env["name"]: env["value"] for env in container["env"]} == {
        "SITE_NAME": "test", "SHOW_CONFIG": "true", "SHOW_ACADEMY": "true", "LOG_LEVEL": "debug", "LOG_FORMAT": "json",
    }


def test_ingress_on_the_bare_domain_with_class_and_annotations() -> None:
    spec = reference_spec(ingress_class="nginx", ingress_annotations={"cert-manager.io/cluster-issuer": "letsencrypt"})
    ingress = render(spec, CONTEXT).get("Ingress", "test-flightdeck")
    assert ingress["spec"]["ingressClassName"] == "nginx"
    assert ingress["metadata"]["annotations"] == {"cert-manager.io/cluster-issuer": "letsencrypt"}
    assert ingress["spec"]["rules"][0]["host"] == "test.localhost"


def test_no_domain_no_ingress() -> None:
    assert render(reference_spec(domain=None), CONTEXT).of_kind("Ingress") == []


def test_replicas_and_pull_secrets() -> None:
    rendered = render(reference_spec(replicas=3, image_pull_secrets=["a", "b"]), CONTEXT)
    deployment = rendered.get("Deployment", "test-flightdeck")
    assert deployment["spec"]["replicas"] == 3
    assert deployment["spec"]["template"]["spec"]["imagePullSecrets"] == [{"name": "a"}, {"name": "b"}]
    assert rendered.get("ServiceAccount", "test-flightdeck")["imagePullSecrets"] == [{"name": "a"}, {"name": "b"}]
