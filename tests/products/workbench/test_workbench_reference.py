"""For the reference's test Site, Workbench's objects have the reference's names, labels, ports, mount paths,
file names and session wiring (tests/reference/rendered/test_site, from the Go operator)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from workbench_cases import REFERENCE_OBJECTS, load, reference_object, render_case

from teamop.products.workbench.render import WorkbenchRendered

# The reference's `<site>-workbench-key` Secret holds keys teamop generates into `<site>-workbench-generated`.
NOT_RENDERED = {("Secret", "test-workbench-key")}
# Rendered for the reference, though the reference lacks it: the home-directory claim its sessions mount.
NOT_IN_REFERENCE = {("PersistentVolumeClaim", "test-workbench")}
DATABASE_FILE = "PostgresDatabase-test-workbench.yaml"


def reference_objects() -> dict[tuple[str, str], dict[str, Any]]:
    paths = [*REFERENCE_OBJECTS.glob("*-test-workbench*.yaml"), REFERENCE_OBJECTS.parent / DATABASE_FILE]
    objects = (load(path) for path in paths)
    return {(obj["kind"], obj["metadata"]["name"]): obj for obj in objects}


@pytest.fixture(scope="module")
def rendered() -> WorkbenchRendered:
    return render_case("reference")


def test_same_objects_as_the_reference(rendered: WorkbenchRendered) -> None:
    ours = {(obj["kind"], obj["metadata"]["name"]) for obj in rendered.objects}
    theirs = set(reference_objects())
    # The reference's PDB (minAvailable 0 at one replica) protects nothing; teamop makes one from two replicas.
    theirs.discard(("PodDisruptionBudget", "test-workbench"))
    assert ours - NOT_IN_REFERENCE == theirs - NOT_RENDERED


def test_same_labels(rendered: WorkbenchRendered) -> None:
    for key, theirs in reference_objects().items():
        obj = rendered.find(*key)
        if obj is None or key[0] == "PostgresDatabase":
            continue  # the runtime adds the managed-by label to the PostgresDatabase
        assert obj["metadata"]["labels"] == theirs["metadata"]["labels"], key


def test_same_selector_and_pod_labels(rendered: WorkbenchRendered) -> None:
    ours = rendered.get("Deployment", "test-workbench")["spec"]
    theirs = reference_object("Deployment", "test-workbench")["spec"]
    assert ours["selector"] == theirs["selector"]
    assert ours["template"]["metadata"]["labels"] == theirs["template"]["metadata"]["labels"]


def test_same_container_ports_probe_command_and_service(rendered: WorkbenchRendered) -> None:
    ours = rendered.get("Deployment", "test-workbench")["spec"]["template"]["spec"]
    theirs = reference_object("Deployment", "test-workbench")["spec"]["template"]["spec"]
    for field in ("name", "ports", "readinessProbe", "command", "image"):
        assert ours["containers"][0][field] == theirs["containers"][0][field], field
    assert ours["serviceAccountName"] == theirs["serviceAccountName"]
    service = rendered.get("Service", "test-workbench")
    reference_service = reference_object("Service", "test-workbench")
    assert service["spec"]["ports"] == reference_service["spec"]["ports"]
    assert service["spec"]["selector"] == reference_service["spec"]["selector"]
    assert service["metadata"]["annotations"] == reference_service["metadata"]["annotations"]
    assert (
        rendered.get("Ingress", "test-workbench")["spec"]["rules"]
        == reference_object("Ingress", "test-workbench")["spec"]["rules"]
    )


def test_reference_mounts_are_all_there(rendered: WorkbenchRendered) -> None:
    ours = rendered.get("Deployment", "test-workbench")["spec"]["template"]["spec"]
    theirs = reference_object("Deployment", "test-workbench")["spec"]["template"]["spec"]

    def mounts(pod: dict[str, Any]) -> set[tuple[str, str, str | None]]:
        return {(m["name"], m["mountPath"], m.get("subPath")) for m in pod["containers"][0]["volumeMounts"]}

    # The reference mounts the home and shared storage claims only in sessions; teamop also in the server.
    assert mounts(ours) - mounts(theirs) == {
        ("home-dir-volume", "/home", None),
        ("server-shared-storage-volume", "/mnt/shared-storage", None),
    }
    assert mounts(theirs) <= mounts(ours)
    env = lambda pod: {e["name"] for e in pod["containers"][0]["env"]}  # noqa: E731
    assert env(theirs) == env(ours)


def test_same_files_in_every_config_map(rendered: WorkbenchRendered) -> None:
    for name in ("test-workbench", "test-workbench-session", "test-workbench-login", "test-workbench-templates"):
        assert set(rendered.get("ConfigMap", name)["data"]) == set(reference_object("ConfigMap", name)["data"]), name
    assert set(rendered.get("Secret", "test-workbench-config")["data"]) == {"database.conf"}


def test_same_session_template_data(rendered: WorkbenchRendered) -> None:
    def data(config_map: dict[str, Any]) -> Any:
        return json.loads(config_map["data"]["rstudio-library-templates-data.tpl"].splitlines()[1])

    assert data(rendered.get("ConfigMap", "test-workbench-templates")) == data(
        reference_object("ConfigMap", "test-workbench-templates")
    )


def test_same_service_accounts_role_and_binding(rendered: WorkbenchRendered) -> None:
    for key in (("ServiceAccount", "test-workbench"), ("ServiceAccount", "test-workbench-session")):
        ours, theirs = rendered.get(*key), reference_object(*key)
        assert ours["metadata"].get("annotations") == theirs["metadata"].get("annotations"), key
        assert ours.get("automountServiceAccountToken") == theirs.get("automountServiceAccountToken"), key
    assert rendered.get("Role", "test-workbench")["rules"] == reference_object("Role", "test-workbench")["rules"]
    for field in ("roleRef", "subjects"):
        assert (
            rendered.get("RoleBinding", "test-workbench")[field]
            == reference_object("RoleBinding", "test-workbench")[field]
        )


def test_same_database(rendered: WorkbenchRendered) -> None:
    ours = rendered.get("PostgresDatabase", "test-workbench")["spec"]
    theirs = load(REFERENCE_OBJECTS.parent / DATABASE_FILE)["spec"]
    assert ours == theirs
