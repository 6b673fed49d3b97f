"""`teamop diff` against the real API server: what teamop would create, change, adopt and delete, found with
server-side dry runs — and the cluster is left exactly as it was (every resourceVersion unchanged)."""

from __future__ import annotations

import asyncio
import base64
import json
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml
from sites import apply, get, go_operator_secrets, sample_site

from teamop.controllers.registry import setup_operator
from teamop.testing.controlplane import ControlPlane
from teamop.testing.operator import OperatorFactory
from teamop.testing.postgres import PostgresServer
from teamop.testing.wait import until

pytestmark = [pytest.mark.controlplane, pytest.mark.postgres]

KINDS = ("serviceaccounts", "secrets", "configmaps", "roles.rbac.authorization.k8s.io",
         "rolebindings.rbac.authorization.k8s.io", "persistentvolumeclaims", "postgresdatabases.core.posit.team",
         "services", "deployments.apps", "statefulsets.apps", "daemonsets.apps", "ingresses.networking.k8s.io",
         "poddisruptionbudgets.policy", "networkpolicies.networking.k8s.io", "sites.core.posit.team",
         "connects.core.posit.team", "workbenches.core.posit.team", "packagemanagers.core.posit.team",
         "chronicles.core.posit.team", "flightdecks.core.posit.team")
SITE_KEYS = {"pub-db-password": "site-secret-connect-db-password"}


@pytest.fixture
def name() -> str:
    return f"s{uuid.uuid4().hex[:6]}"


def diff(plane: ControlPlane, *args: str) -> subprocess.CompletedProcess[str]:
    """`teamop diff`, in a process of its own (call it in a thread)."""
    return subprocess.run([sys.executable, "-m", "teamop.cli", "diff", *args, "--kubeconfig", str(plane.kubeconfig)],
                          capture_output=True, text=True, check=False, timeout=180)


def versions(plane: ControlPlane, namespace: str) -> dict[tuple[str, str], str]:
    """Every object of the namespace (of the kinds teamop reads or writes) as last written — its resourceVersion,
    or, when only its status changed since (the cluster's controllers keep updating status), all of it but the
    status: so any write other than a status update shows, whoever made it."""
    listed = json.loads(plane.kubectl("get", ",".join(KINDS), "-n", namespace, "-o", "json",
                                      "--show-managed-fields").stdout)

    def written(item: dict[str, Any]) -> str:
        metadata = {**item["metadata"], "resourceVersion": None,
                    "managedFields": [e for e in item["metadata"].get("managedFields") or []
                                      if e.get("subresource") != "status"]}
        return json.dumps({**item, "metadata": metadata, "status": None}, sort_keys=True)

    return {(item["kind"], item["metadata"]["name"]): written(item) for item in listed["items"]}


def secret_values(plane: ControlPlane, namespace: str) -> list[str]:
    """Every value of every Secret in the namespace, decoded."""
    listed = json.loads(plane.kubectl("get", "secrets", "-n", namespace, "-o", "json").stdout)
    return [base64.b64decode(value).decode() for item in listed["items"]
            for value in (item.get("data") or {}).values()]


def objects_to_create(out: str) -> set[tuple[str, str]]:
    lines = [line.split() for line in out.splitlines() if line.startswith("  create  ")]
    return {(parts[1], parts[2]) for parts in lines}


async def test_a_site_not_yet_reconciled_lists_every_object_teamop_would_create(
    controlplane: ControlPlane, namespace: str, name: str, postgres: PostgresServer, tmp_path: Path,
) -> None:
    site = sample_site(name, namespace)
    apply(controlplane, *go_operator_secrets(name, namespace, postgres, SITE_KEYS))
    apply(controlplane, site)
    before = versions(controlplane, namespace)

    result = await asyncio.to_thread(diff, controlplane, name, "-n", namespace)

    out = result.stdout
    print(out, result.stderr)  # shown when the test fails
    assert result.returncode == 1, result.stderr
    assert out.splitlines()[0].startswith(f"Site {name} (namespace {namespace}): ")
    manifest = tmp_path / "site.yaml"
    manifest.write_text(yaml.safe_dump(site))
    rendered = await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "teamop.cli", "render", str(manifest)],
                                       capture_output=True, text=True, check=True)
    shown = {(o["kind"], o["metadata"]["name"]) for o in yaml.safe_load_all(rendered.stdout) if o}
    assert objects_to_create(out) == shown
    assert versions(controlplane, namespace) == before
    assert not any(value in out + result.stderr for value in secret_values(controlplane, namespace))


async def converged(plane: ControlPlane, namespace: str, name: str, operator: OperatorFactory,
                    postgres: PostgresServer, sample: str = "site-minimal") -> None:
    """A Site the operator brought to Ready; the operator is stopped, so only hand edits change it afterwards."""
    apply(plane, *go_operator_secrets(name, namespace, postgres, SITE_KEYS))
    apply(plane, sample_site(name, namespace, sample))
    running = await operator([setup_operator], namespaces=namespace)
    await until(lambda: bool((get(plane, "site", name, namespace) or {}).get("status", {}).get("ready")),
                timeout=150, what="the Site to be Ready")
    await running.stop()


async def test_a_converged_site_has_no_changes(
    controlplane: ControlPlane, namespace: str, name: str, operator: OperatorFactory, postgres: PostgresServer,
) -> None:
    await converged(controlplane, namespace, name, operator, postgres, "site-full")
    before = versions(controlplane, namespace)

    result = await asyncio.to_thread(diff, controlplane, name, "-n", namespace)

    print(result.stdout, result.stderr)  # shown when the test fails
    assert (result.returncode, result.stdout) == (0, f"Site {name} (namespace {namespace}): no changes\n")
    every_site = await asyncio.to_thread(diff, controlplane, "--all", "-n", namespace)
    assert (every_site.returncode, every_site.stdout) == (0, result.stdout)
    assert versions(controlplane, namespace) == before


async def diff_writing_nothing(plane: ControlPlane, namespace: str, name: str,
                               *args: str) -> subprocess.CompletedProcess[str]:
    """`teamop diff` of a Site; asserts it wrote nothing and printed no secret value."""
    before = versions(plane, namespace)
    result = await asyncio.to_thread(diff, plane, name, "-n", namespace, *args)
    print(result.stdout, result.stderr)  # shown when the test fails
    assert versions(plane, namespace) == before
    assert not any(value in result.stdout + result.stderr for value in secret_values(plane, namespace))
    return result


def kubectl_patch(plane: ControlPlane, namespace: str, kind: str, name: str, patch: dict[str, Any],
                  *options: str) -> None:
    plane.kubectl("patch", kind, name, "-n", namespace, "-p", json.dumps(patch), *options)


async def test_a_deployment_scaled_by_hand_is_named_with_its_replicas(
    controlplane: ControlPlane, namespace: str, name: str, operator: OperatorFactory, postgres: PostgresServer,
) -> None:
    await converged(controlplane, namespace, name, operator, postgres)
    kubectl_patch(controlplane, namespace, "deployment", f"{name}-connect", {"spec": {"replicas": 3}},
                  "--type=merge")

    result = await diff_writing_nothing(controlplane, namespace, name)

    assert result.returncode == 1
    assert f"  change  Deployment {name}-connect\n" in result.stdout
    assert "~ spec.replicas: 3 -> 1" in result.stdout
    assert result.stdout.splitlines()[0] == f"Site {name} (namespace {namespace}): 1 to change"


async def test_an_env_value_changed_by_hand_is_named_with_old_and_new_values(
    controlplane: ControlPlane, namespace: str, name: str, operator: OperatorFactory, postgres: PostgresServer,
) -> None:
    await converged(controlplane, namespace, name, operator, postgres)
    env = {"spec": {"template": {"spec": {"containers": [
        {"name": "flightdeck", "env": [{"name": "LOG_LEVEL", "value": "debug"}]}]}}}}
    kubectl_patch(controlplane, namespace, "deployment", f"{name}-flightdeck", env)

    result = await diff_writing_nothing(controlplane, namespace, name)

    assert result.returncode == 1
    assert f"  change  Deployment {name}-flightdeck\n" in result.stdout
    assert ('~ spec.template.spec.containers[name=flightdeck].env[name=LOG_LEVEL].value: "debug" -> "info"'
            in result.stdout)


async def test_a_deleted_config_map_is_listed_to_be_created(
    controlplane: ControlPlane, namespace: str, name: str, operator: OperatorFactory, postgres: PostgresServer,
) -> None:
    await converged(controlplane, namespace, name, operator, postgres)
    controlplane.kubectl("delete", "configmap", f"{name}-connect-templates", "-n", namespace)

    result = await diff_writing_nothing(controlplane, namespace, name)

    assert result.returncode == 1
    assert f"  create  ConfigMap {name}-connect-templates\n" in result.stdout
    assert get(controlplane, "configmap", f"{name}-connect-templates", namespace) is None


async def test_a_label_changed_by_hand_is_named(
    controlplane: ControlPlane, namespace: str, name: str, operator: OperatorFactory, postgres: PostgresServer,
) -> None:
    await converged(controlplane, namespace, name, operator, postgres)
    controlplane.kubectl("label", "service", f"{name}-packagemanager", "-n", namespace,
                         "posit.team/site=someone-else", "--overwrite")

    result = await diff_writing_nothing(controlplane, namespace, name)

    assert result.returncode == 1
    assert f"  change  Service {name}-packagemanager\n" in result.stdout
    assert f'~ metadata.labels["posit.team/site"]: "someone-else" -> "{name}"' in result.stdout


async def test_a_key_removed_from_the_generated_secret_shows_as_generated_never_its_value(
    controlplane: ControlPlane, namespace: str, name: str, operator: OperatorFactory, postgres: PostgresServer,
) -> None:
    await converged(controlplane, namespace, name, operator, postgres)
    controlplane.kubectl("patch", "secret", f"{name}-packagemanager-generated", "-n", namespace, "--type=json",
                         "-p", json.dumps([{"op": "remove", "path": "/data/pkg-secret-key"}]))

    result = await diff_writing_nothing(controlplane, namespace, name)

    assert result.returncode == 1
    assert f"  change  Secret {name}-packagemanager-generated\n" in result.stdout
    assert "+ data.pkg-secret-key: <generated>" in result.stdout


def recreate_as_the_go_operator_would(plane: ControlPlane, namespace: str, name: str) -> None:
    """Deployment `name` created anew as the Go operator creates its objects: with Update under its binary's name,
    team-operator (teamop applies under the same name), every field set — server defaults included, one of them
    (revisionHistoryLimit) not at its default — plus an annotation and an env variable teamop does not render."""
    live = get(plane, "deployment", name, namespace)
    assert live is not None
    metadata = {k: v for k, v in live["metadata"].items() if k in ("name", "namespace", "labels", "ownerReferences")}
    body = {**live, "metadata": {**metadata, "annotations": {"legacy": "yes"}}}
    body.pop("status")
    body["spec"]["revisionHistoryLimit"] = 3
    body["spec"]["template"]["spec"]["containers"][0]["env"].append({"name": "FROM_GO", "value": "1"})
    plane.kubectl("delete", "deployment", name, "-n", namespace)
    plane.kubectl("create", "--field-manager=team-operator", "-f", "-", input=json.dumps(body))


async def test_fields_the_go_operator_owns_and_teamop_does_not_render_are_listed_as_removals(
    controlplane: ControlPlane, namespace: str, name: str, operator: OperatorFactory, postgres: PostgresServer,
) -> None:
    await converged(controlplane, namespace, name, operator, postgres)
    recreate_as_the_go_operator_would(controlplane, namespace, f"{name}-flightdeck")

    result = await diff_writing_nothing(controlplane, namespace, name)

    assert result.returncode == 1
    assert result.stdout.splitlines()[1:] == [
        f"  adopt   Deployment {name}-flightdeck: fields owned by team-operator",
        '            - metadata.annotations.legacy: "yes"  (owned by team-operator)',
        "            ~ spec.revisionHistoryLimit: 3 -> 10  (owned by team-operator)",
        '            - spec.template.spec.containers[name=flightdeck].env[name=FROM_GO]: {"name":"FROM_GO","value":"1"}'
        "  (owned by team-operator)",
    ]  # fields the server sets to their defaults again (progressDeadlineSeconds, dnsPolicy, ...) are no change


async def test_fields_of_another_manager_are_removals_only_when_it_is_named_to_be_taken_over(
    controlplane: ControlPlane, namespace: str, name: str, operator: OperatorFactory, postgres: PostgresServer,
) -> None:
    await converged(controlplane, namespace, name, operator, postgres)
    kubectl_patch(controlplane, namespace, "configmap", f"{name}-connect", {"data": {"extra.conf": "x=1"}},
                  "--field-manager=old-operator")

    left_alone = await diff_writing_nothing(controlplane, namespace, name)
    taken_over = await diff_writing_nothing(controlplane, namespace, name,
                                            "--take-over-field-managers", "team-operator,old-operator")

    assert (left_alone.returncode, left_alone.stdout) == (0, f"Site {name} (namespace {namespace}): no changes\n")
    assert taken_over.returncode == 1
    assert f"  adopt   ConfigMap {name}-connect: fields owned by old-operator\n" in taken_over.stdout
    assert '- data["extra.conf"]: "x=1"  (owned by old-operator)' in taken_over.stdout


async def test_a_site_on_nfs_not_yet_reconciled_lists_its_volumes_and_the_finalizer_that_removes_them(
    controlplane: ControlPlane, namespace: str, name: str, postgres: PostgresServer,
) -> None:
    site = sample_site(name, namespace, "site-minimal")
    site["spec"]["volumeSource"] = {"type": "nfs", "dnsName": "nfs.example.test"}
    apply(controlplane, *go_operator_secrets(name, namespace, postgres))
    apply(controlplane, site)

    result = await diff_writing_nothing(controlplane, namespace, name)

    assert result.returncode == 1
    assert f"  change  Site {name}\n            + metadata.finalizers: [\"posit-team.posit.co\"]\n" in result.stdout
    assert f"  create  PersistentVolume {name}-connect\n" in result.stdout
    assert f"  create  PersistentVolumeClaim {name}-connect\n" in result.stdout
    listed = controlplane.kubectl("get", "persistentvolumes", "-l", f"posit.team/site={name}", "-o", "name").stdout
    assert listed == ""


def env_of(deployment: dict[str, Any] | None, container: str) -> dict[str, Any]:
    containers = (((deployment or {}).get("spec") or {}).get("template") or {}).get("spec", {}).get("containers", [])
    return {e["name"]: e.get("value") for c in containers if c["name"] == container for e in c.get("env") or []}


async def test_what_the_diff_lists_is_what_teamop_then_does(
    controlplane: ControlPlane, namespace: str, name: str, operator: OperatorFactory, postgres: PostgresServer,
) -> None:
    await converged(controlplane, namespace, name, operator, postgres)
    env = {"spec": {"template": {"spec": {"containers": [
        {"name": "flightdeck", "env": [{"name": "LOG_LEVEL", "value": "debug"}]}]}}}}
    kubectl_patch(controlplane, namespace, "deployment", f"{name}-flightdeck", env)
    recreate_as_the_go_operator_would(controlplane, namespace, f"{name}-connect")
    controlplane.kubectl("delete", "configmap", f"{name}-connect-templates", "-n", namespace)
    listed = await diff_writing_nothing(controlplane, namespace, name)
    assert listed.stdout.splitlines()[1:] == [
        f"  create  ConfigMap {name}-connect-templates",
        f"  change  Deployment {name}-flightdeck",
        '            ~ spec.template.spec.containers[name=flightdeck].env[name=LOG_LEVEL].value: "debug" -> "info"',
        f"  adopt   Deployment {name}-connect: fields owned by team-operator",
        '            - metadata.annotations.legacy: "yes"  (owned by team-operator)',
        "            ~ spec.revisionHistoryLimit: 3 -> 10  (owned by team-operator)",
        '            - spec.template.spec.containers[name=connect].env[name=FROM_GO]: {"name":"FROM_GO","value":"1"}  '
        "(owned by team-operator)",
    ]

    await operator([setup_operator], namespaces=namespace)

    def as_listed() -> bool:
        connect = get(controlplane, "deployment", f"{name}-connect", namespace) or {}
        return (env_of(get(controlplane, "deployment", f"{name}-flightdeck", namespace), "flightdeck")
                .get("LOG_LEVEL") == "info"
                and "FROM_GO" not in env_of(connect, "connect")
                and connect.get("spec", {}).get("revisionHistoryLimit") == 10
                and "legacy" not in (connect.get("metadata", {}).get("annotations") or {})
                and get(controlplane, "configmap", f"{name}-connect-templates", namespace) is not None)

    await until(as_listed, timeout=60, what="teamop to make the changes the diff listed")
    afterwards = await asyncio.to_thread(diff, controlplane, name, "-n", namespace)
    assert (afterwards.returncode, afterwards.stdout) == (0, f"Site {name} (namespace {namespace}): no changes\n")


async def test_a_site_that_does_not_exist_is_a_usage_error(controlplane: ControlPlane, namespace: str) -> None:
    result = await asyncio.to_thread(diff, controlplane, "nosuchsite", "-n", namespace)

    assert result.returncode == 2
    assert f"Site 'nosuchsite' not found in namespace '{namespace}'" in result.stderr


async def test_a_namespace_without_sites_has_no_changes(controlplane: ControlPlane, namespace: str) -> None:
    result = await asyncio.to_thread(diff, controlplane, "--all", "-n", namespace)

    assert (result.returncode, result.stdout) == (0, f"no Sites in namespace '{namespace}'\n")
