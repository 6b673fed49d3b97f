"""`helm install teamop charts/teamop -n posit-team-system --create-namespace` on a real control plane: the chart's
objects pass a strict server-side dry run, a Go team-operator chart's values file installs, an upgrade rolls the
operator, uninstalling keeps (or with crd.keep=false removes) the CRDs, a wrong value is refused before anything is
written, and the installed Deployment's command line starts teamop's operator, which becomes ready with the
chart's ServiceAccount.

The CRDs belong to the release here, so these tests run on a control plane of their own: installing and
uninstalling them on the session's would pull the CRDs from under every other test.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml
from chart import (
    GO_CHART_DEFAULT_VALUES,
    GO_CHART_USER_VALUES,
    NAMESPACE,
    RELEASE,
    TEAMOP_IMAGE_REPOSITORY,
    teamop_arguments,
)

from teamop.api.crdgen import generate_crds
from teamop.operator import build_manager
from teamop.rbac import SERVICE_ACCOUNT
from teamop.runtime.client import Client
from teamop.testing.controlplane import REPO_ROOT, ControlPlane
from teamop.testing.helm import CHART, Helm
from teamop.testing.kubeconfig import service_account_user, write_impersonating_kubeconfig
from teamop.testing.wait import eventually_async, until

pytestmark = pytest.mark.controlplane

CRD_NAMES = sorted(crd["metadata"]["name"] for crd in generate_crds())
SITES_NAMESPACE = "posit-team"


@pytest.fixture(scope="module")
def plane() -> Iterator[ControlPlane]:
    """A control plane without teamop's CRDs: the chart installs them. The operator's namespace enforces the
    restricted Pod Security Standard, as config/default's does."""
    plane = ControlPlane()
    plane.start()
    try:
        plane.kubectl("create", "namespace", NAMESPACE)
        plane.kubectl("label", "namespace", NAMESPACE, "pod-security.kubernetes.io/enforce=restricted")
        plane.kubectl("create", "namespace", SITES_NAMESPACE)
        yield plane
    finally:
        plane.stop(remove_workdir=True)


@pytest.fixture(scope="module")
def helm(plane: ControlPlane, tmp_path_factory: pytest.TempPathFactory) -> Helm:
    return Helm(home=tmp_path_factory.mktemp("helm-home"), kubeconfig=plane.kubeconfig)


class Release:
    """The release `teamop` in posit-team-system, uninstalled when the test ends."""

    def __init__(self, helm: Helm) -> None:
        self.helm = helm
        self.installed = False

    def install(self, *options: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = self.helm("install", RELEASE, str(CHART), "-n", NAMESPACE, "--create-namespace", "--wait",
                           "--timeout=3m", *options, check=check)
        self.installed = self.installed or result.returncode == 0
        return result

    def upgrade(self, *options: str) -> subprocess.CompletedProcess[str]:
        return self.helm("upgrade", RELEASE, str(CHART), "-n", NAMESPACE, "--wait", "--timeout=3m", *options)

    def uninstall(self) -> subprocess.CompletedProcess[str]:
        self.installed = False
        return self.helm("uninstall", RELEASE, "-n", NAMESPACE, "--wait", "--timeout=3m")


@pytest.fixture
def release(helm: Helm) -> Iterator[Release]:
    release = Release(helm)
    yield release
    if release.installed:
        release.uninstall()


def live(plane: ControlPlane, kind: str, name: str, namespace: str | None = NAMESPACE) -> dict[str, Any] | None:
    scope = ("-n", namespace) if namespace else ()
    result = plane.kubectl("get", kind, name, *scope, "-o", "json", "--ignore-not-found")
    return json.loads(result.stdout) if result.stdout.strip() else None


def deployment(plane: ControlPlane) -> dict[str, Any]:
    found = live(plane, "deployment", "teamop")
    assert found is not None, "no Deployment teamop"
    return found


def manager(deployment: dict[str, Any]) -> dict[str, Any]:
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return dict(container)


def crds_present(plane: ControlPlane) -> list[str]:
    result = plane.kubectl("get", "crd", *CRD_NAMES, "-o", "name", "--ignore-not-found")
    return sorted(line.removeprefix("customresourcedefinition.apiextensions.k8s.io/")
                  for line in result.stdout.split())


def apply_minimal_site(plane: ControlPlane) -> None:
    site = yaml.safe_load((REPO_ROOT / "config" / "samples" / "site-minimal.yaml").read_text())
    plane.kubectl("apply", "--server-side", "-n", SITES_NAMESPACE, "-f", "-", input=json.dumps(site))


# --- what the chart renders, checked by the API server ----------------------------------------------------------

def test_every_object_the_chart_renders_passes_a_strict_server_side_dry_run(plane: ControlPlane, helm: Helm) -> None:
    rendered = helm("template", RELEASE, str(CHART), "-n", NAMESPACE, "-f", str(GO_CHART_USER_VALUES)).stdout
    count = len([doc for doc in yaml.safe_load_all(rendered) if doc])

    result = plane.kubectl("apply", "--server-side", "--dry-run=server", "--field-manager=teamop-install",
                           "--validate=strict", "-f", "-", input=rendered, check=False)

    assert result.returncode == 0, result.stderr
    assert len([line for line in result.stdout.splitlines() if line.endswith("(server dry run)")]) == count
    assert "Warning" not in result.stderr, result.stderr  # e.g. a pod template the restricted standard would refuse


def test_the_managers_pod_is_admitted_by_the_restricted_namespace(plane: ControlPlane, helm: Helm) -> None:
    rendered = helm("template", RELEASE, str(CHART), "-n", NAMESPACE).stdout
    (deployment,) = [doc for doc in yaml.safe_load_all(rendered) if doc and doc["kind"] == "Deployment"]
    template = deployment["spec"]["template"]
    pod = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": "teamop-pod-security-check", "namespace": NAMESPACE,
                        "labels": template["metadata"]["labels"]},
           "spec": template["spec"]}

    result = plane.kubectl("create", "--dry-run=server", "-f", "-", input=json.dumps(pod), check=False)

    assert result.returncode == 0, result.stderr


# --- install -----------------------------------------------------------------------------------------------------

def test_a_go_chart_values_file_installs_unchanged(plane: ControlPlane, release: Release) -> None:
    release.install("-f", str(GO_CHART_USER_VALUES))

    installed = deployment(plane)
    assert installed["status"].get("readyReplicas") == installed["spec"]["replicas"] == 1
    pod = installed["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "team-operator-controller-manager"
    assert pod["nodeSelector"] == {"kubernetes.io/os": "linux"}
    assert manager(installed)["image"] == f"{TEAMOP_IMAGE_REPOSITORY}:0.1.0"
    account = live(plane, "serviceaccount", "team-operator-controller-manager")
    assert account is not None
    assert account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"].endswith(":role/team-operator-role")
    assert live(plane, "networkpolicy", "teamop-allow-metrics") is not None
    service = live(plane, "service", "teamop-metrics")
    assert service is not None
    assert service["spec"]["ports"][0]["port"] == 8443
    assert crds_present(plane) == CRD_NAMES


def test_the_go_charts_own_values_install_with_teamops_image_and_warn_of_its_memory_limit(
    plane: ControlPlane, release: Release
) -> None:
    result = release.install("-f", str(GO_CHART_DEFAULT_VALUES),
                             "--set", f"controllerManager.container.image.repository={TEAMOP_IMAGE_REPOSITORY}")

    installed = deployment(plane)
    assert installed["status"].get("readyReplicas") == 1
    assert manager(installed)["resources"]["limits"]["memory"] == "128Mi"
    assert "WARNING: controllerManager.container.resources.limits.memory is 128Mi" in result.stdout


def test_the_notes_tell_how_to_create_a_site_and_follow_it(release: Release) -> None:
    notes = release.install().stdout

    assert "kubectl rollout status deployment/teamop -n posit-team-system" in notes
    assert "kubectl apply -n posit-team -f secrets.yaml -f site.yaml" in notes
    assert "teamop status -n posit-team" in notes
    assert "WARNING" not in notes


def test_a_wrong_value_fails_the_install_naming_it_and_installs_nothing(
    plane: ControlPlane, helm: Helm, release: Release
) -> None:
    result = release.install("--set", "controllerManager.replicas=two", check=False)

    assert result.returncode != 0
    assert "at '/controllerManager/replicas': got string, want integer" in result.stderr
    assert helm("list", "-n", NAMESPACE, "-q").stdout.strip() == ""
    assert live(plane, "deployment", "teamop") is None


# --- upgrade -----------------------------------------------------------------------------------------------------

def test_an_upgrade_with_a_changed_value_rolls_the_operator(plane: ControlPlane, release: Release) -> None:
    release.install()
    before = deployment(plane)

    release.upgrade("--reuse-values", "--set", "logging.level=debug")

    after = deployment(plane)
    assert after["metadata"]["generation"] > before["metadata"]["generation"]
    assert after["status"]["updatedReplicas"] == after["status"]["readyReplicas"] == after["spec"]["replicas"]
    assert teamop_arguments(manager(after)).log_level == "debug"
    # the pods running now are of the new template
    pods = json.loads(plane.kubectl("get", "pods", "-n", NAMESPACE, "-l",
                                    "app.kubernetes.io/name=teamop,app.kubernetes.io/component=manager",
                                    "-o", "json").stdout)["items"]
    hashes = {pod["metadata"]["labels"]["pod-template-hash"] for pod in pods
              if not pod["metadata"].get("deletionTimestamp")}
    replica_sets = json.loads(plane.kubectl("get", "replicasets", "-n", NAMESPACE, "-o", "json").stdout)["items"]
    current = [rs for rs in replica_sets if rs["spec"]["replicas"] > 0]
    assert len(current) == 1
    assert len(replica_sets) == 2
    assert hashes == {current[0]["metadata"]["labels"]["pod-template-hash"]}


# --- uninstall ---------------------------------------------------------------------------------------------------

def test_uninstall_keeps_the_crds_and_the_sites_when_crd_keep_is_true(plane: ControlPlane, release: Release) -> None:
    release.install("--set", "crd.keep=true")
    apply_minimal_site(plane)

    release.uninstall()

    assert live(plane, "deployment", "teamop") is None
    assert crds_present(plane) == CRD_NAMES
    assert live(plane, "site", "orbit", SITES_NAMESPACE) is not None


def test_uninstall_removes_the_crds_when_crd_keep_is_false(tmp_path: Path) -> None:
    """On a control plane of its own: the API server deletes a CRD only after its finalizer has removed every
    object of it, which a busy server may put off for minutes, and nothing may be installed meanwhile."""
    with ControlPlane() as own:
        helm = Helm(home=tmp_path / "helm-home", kubeconfig=own.kubeconfig)
        helm("install", RELEASE, str(CHART), "-n", NAMESPACE, "--create-namespace", "--wait", "--set",
             "crd.keep=false")
        assert crds_present(own) == CRD_NAMES

        helm("uninstall", RELEASE, "-n", NAMESPACE)

        crds = json.loads(own.kubectl("get", "crd", *CRD_NAMES, "-o", "json", "--ignore-not-found").stdout or "{}")
        assert [c["metadata"]["name"] for c in crds.get("items", []) if "deletionTimestamp" not in c["metadata"]] == []


def test_a_release_takes_over_the_crds_a_go_chart_release_kept(plane: ControlPlane, release: Release) -> None:
    """Uninstalling the Go chart (crd.keep: true) leaves its CRDs annotated as the release `team-operator`'s, as
    Helm wrote them (field manager `helm`)."""
    release.install()
    release.uninstall()
    plane.kubectl("annotate", "crd", *CRD_NAMES, "--overwrite", "--field-manager=helm",
                  "meta.helm.sh/release-name=team-operator")

    refused = release.install(check=False)
    assert refused.returncode != 0
    assert "invalid ownership metadata" in refused.stderr

    release.install("--take-ownership")
    for name in CRD_NAMES:
        crd = live(plane, "crd", name, None)
        assert crd is not None
        assert crd["metadata"]["annotations"]["meta.helm.sh/release-name"] == RELEASE


# --- the installed command line runs teamop ----------------------------------------------------------------------

async def test_the_installed_command_line_runs_the_operator_until_ready(
    plane: ControlPlane, release: Release, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Deployment's arguments and environment, parsed by `teamop run`'s parser, build the operator; it runs
    in this process as the chart's ServiceAccount (impersonated) and answers /readyz as it would the kubelet. Only
    the listen addresses change: port 0 on loopback, so that nothing else on this machine is in the way."""
    release.install()
    args = teamop_arguments(manager(deployment(plane)), patch=monkeypatch)
    args.health_probe_bind_address = args.metrics_bind_address = "127.0.0.1:0"
    user = service_account_user(NAMESPACE, SERVICE_ACCOUNT)
    await until(lambda: plane.kubectl("auth", "can-i", "update", "leases.coordination.k8s.io", "-n", NAMESPACE,
                                      f"--as={user}", check=False).stdout.strip() == "yes",
                timeout=30, what="the API server to authorize the chart's ServiceAccount")
    kubeconfig = write_impersonating_kubeconfig(plane.kubeconfig, tmp_path / "kubeconfig", user)
    client = await Client.from_kubeconfig(str(kubeconfig))
    operator = build_manager(client, args)
    task = asyncio.get_running_loop().create_task(operator.run())
    try:
        async with aiohttp.ClientSession() as session:
            async def ready() -> bool:
                assert not task.done(), task
                if "health" not in operator.http.bound:
                    return False
                async with session.get(operator.http.url("health") + "/readyz") as response:
                    return response.status == 200

            await eventually_async(ready, timeout=60, what="the operator to answer /readyz with 200")
        assert operator.elector is not None
        lease = operator.elector.lease_namespace, operator.elector.lease_name
        assert lease == (NAMESPACE, "team-operator")
        refused = [r for r in operator.client.requests.snapshot().by_request if r.code in ("401", "403")]
        assert refused == []
    finally:
        operator.request_stop()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 30)
        await client.close()
