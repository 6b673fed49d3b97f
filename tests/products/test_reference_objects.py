"""teamop's objects for the reference's test Site equal the Go operator's, field by field, where users and the
cluster can tell: names, labels, selectors, ports, probes, mounts, volumes, env, RBAC, claims and config keys.
(Copies of the reference objects are in tests/reference/rendered/test_site/.)"""

from __future__ import annotations

from typing import Any

import pytest
from cases import (
    CONNECT_KEYS,
    PACKAGE_MANAGER_KEYS,
    REFERENCE,
    REFERENCE_OBJECTS,
    context,
    load,
    reference_object,
    reference_spec,
)

from teamop.api.v1beta1 import ChronicleSpec, ConnectSpec, PackageManagerSpec
from teamop.products import chronicle, connect, packagemanager
from teamop.products.rendered import Rendered

RENDERED: dict[str, Rendered] = {
    "connect": connect.render(ConnectSpec.model_validate(reference_spec("Connect")),
                              context("connect", *CONNECT_KEYS)),
    "packagemanager": packagemanager.render(PackageManagerSpec.model_validate(reference_spec("PackageManager")),
                                            context("packagemanager", *PACKAGE_MANAGER_KEYS)),
    "chronicle": chronicle.render(ChronicleSpec.model_validate(reference_spec("Chronicle")), context(None)),
}



def product_of(name: str) -> str:
    return name.split("-")[1]


def of_these_products(pattern: str) -> list[Any]:
    """The reference objects of Connect, Package Manager and Chronicle (Workbench's are tested elsewhere)."""
    paths = sorted(REFERENCE_OBJECTS.glob(pattern))
    return [path for path in paths if product_of(path.stem.split("-", 1)[1]) in RENDERED]


REFERENCE_FILES = of_these_products("*.yaml")
WORKLOADS = [("connect", "Deployment"), ("packagemanager", "Deployment"), ("chronicle", "StatefulSet")]


def ours(reference: dict[str, Any]) -> dict[str, Any]:
    name = reference["metadata"]["name"]
    return RENDERED[product_of(name)].get(reference["kind"], name)


def workload_pair(product: str, kind: str) -> tuple[dict[str, Any], dict[str, Any]]:
    name = f"test-{product}"
    return RENDERED[product].get(kind, name), reference_object(kind, name)


def by_name(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["name"]: item for item in items}


@pytest.mark.parametrize("path", REFERENCE_FILES, ids=[path.stem for path in REFERENCE_FILES])
def test_every_reference_object_is_rendered_with_its_labels(path: Any) -> None:
    reference = load(path)
    assert ours(reference)["metadata"]["labels"] == reference["metadata"]["labels"]


@pytest.mark.parametrize(("product", "kind"), WORKLOADS)
def test_workload_selector_and_pod_labels_are_the_references(product: str, kind: str) -> None:
    mine, reference = workload_pair(product, kind)
    assert mine["spec"]["selector"] == reference["spec"]["selector"]
    assert mine["spec"]["template"]["metadata"]["labels"] == reference["spec"]["template"]["metadata"]["labels"]


@pytest.mark.parametrize(("product", "kind"), WORKLOADS)
def test_server_container_name_command_ports_and_probe_are_the_references(product: str, kind: str) -> None:
    mine, reference = workload_pair(product, kind)
    container = mine["spec"]["template"]["spec"]["containers"][0]
    expected = reference["spec"]["template"]["spec"]["containers"][0]
    for field in ("name", "image", "command", "args", "ports", "readinessProbe"):
        assert container.get(field) == expected.get(field), field


@pytest.mark.parametrize(("product", "kind"), WORKLOADS)
def test_server_container_has_every_reference_mount(product: str, kind: str) -> None:
    mine, reference = workload_pair(product, kind)
    mounts = mine["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]
    for mount in reference["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]:
        assert mount in mounts


@pytest.mark.parametrize(("product", "kind"), WORKLOADS)
def test_pod_has_every_reference_volume(product: str, kind: str) -> None:
    mine, reference = workload_pair(product, kind)
    volumes = by_name(mine["spec"]["template"]["spec"]["volumes"])
    for volume in reference["spec"]["template"]["spec"]["volumes"]:
        assert volumes[volume["name"]] == volume


@pytest.mark.parametrize(("product", "kind"), WORKLOADS)
def test_server_container_has_every_reference_env_entry(product: str, kind: str) -> None:
    mine, reference = workload_pair(product, kind)
    env = mine["spec"]["template"]["spec"]["containers"][0].get("env", [])
    for entry in reference["spec"]["template"]["spec"]["containers"][0].get("env", []):
        assert entry in env


@pytest.mark.parametrize(("product", "kind"), WORKLOADS)
def test_pod_service_account_and_pull_secrets_are_the_references(product: str, kind: str) -> None:
    mine, reference = workload_pair(product, kind)
    for field in ("serviceAccountName", "imagePullSecrets", "enableServiceLinks", "automountServiceAccountToken"):
        assert mine["spec"]["template"]["spec"].get(field) == reference["spec"]["template"]["spec"].get(field), field


@pytest.mark.parametrize("product", ["connect", "packagemanager", "chronicle"])
def test_service_ports_and_selector_are_the_references(product: str) -> None:
    reference = reference_object("Service", f"test-{product}")
    mine = ours(reference)
    assert mine["spec"]["ports"] == reference["spec"]["ports"]
    assert mine["spec"]["selector"] == reference["spec"]["selector"]
    assert mine["metadata"].get("annotations") == reference["metadata"].get("annotations")


@pytest.mark.parametrize("product", ["connect", "packagemanager"])
def test_ingress_rules_are_the_references(product: str) -> None:
    reference = reference_object("Ingress", f"test-{product}")
    assert ours(reference)["spec"]["rules"] == reference["spec"]["rules"]


def test_launcher_role_and_binding_are_the_references() -> None:
    role = reference_object("Role", "test-connect")
    binding = reference_object("RoleBinding", "test-connect")
    assert ours(role)["rules"] == role["rules"]
    assert ours(binding)["roleRef"] == binding["roleRef"]
    assert ours(binding)["subjects"] == binding["subjects"]


def test_connect_data_claim_is_the_references() -> None:
    reference = reference_object("PersistentVolumeClaim", "test-connect")
    assert ours(reference)["spec"] == reference["spec"]


@pytest.mark.parametrize("path", of_these_products("ServiceAccount-*.yaml"),
                         ids=lambda path: path.stem)
def test_service_account_annotations_and_token_mounting_are_the_references(path: Any) -> None:
    reference = load(path)
    mine = ours(reference)
    assert mine["metadata"].get("annotations") == reference["metadata"].get("annotations")
    assert mine.get("automountServiceAccountToken") == reference.get("automountServiceAccountToken")


@pytest.mark.parametrize("path", of_these_products("ConfigMap-*.yaml"), ids=lambda path: path.stem)
def test_config_maps_hold_the_reference_files(path: Any) -> None:
    reference = load(path)
    assert sorted(ours(reference)["data"]) == sorted(reference["data"])


def sections(text: str) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    current = ""
    for line in text.splitlines():
        if line.startswith("["):
            current = line
            result.setdefault(current, [])
        elif line:
            result.setdefault(current, []).append(line)
    return result


@pytest.mark.parametrize(("product", "file"), [
    ("connect", "rstudio-connect.gcfg"), ("packagemanager", "rstudio-pm.gcfg"), ("chronicle", "posit-chronicle.gcfg"),
])
def test_gcfg_has_every_reference_setting_in_its_section_and_order(product: str, file: str) -> None:
    reference = sections(reference_object("ConfigMap", f"test-{product}")["data"][file])
    mine = sections(RENDERED[product].files[file])
    for title, lines in reference.items():
        assert [line for line in mine[title] if line in lines] == lines, title
    assert [title for title in mine if title in reference] == list(reference)


@pytest.mark.parametrize("product", ["connect", "packagemanager"])
def test_postgres_database_spec_is_the_references(product: str) -> None:
    reference = load(REFERENCE / f"PostgresDatabase-test-{product}.yaml")
    assert RENDERED[product].get("PostgresDatabase", f"test-{product}")["spec"] == reference["spec"]
