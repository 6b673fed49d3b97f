"""Workbench on the real API server: the launcher's rights (and nothing more), a session Job as the launcher
would start it, and configuration changes that roll the server."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from sites import apply, get, go_operator_secrets, sample_site

from teamop.controllers.registry import setup_operator
from teamop.testing.controlplane import ControlPlane
from teamop.testing.operator import OperatorFactory
from teamop.testing.postgres import PostgresServer
from teamop.testing.wait import until

pytestmark = [pytest.mark.controlplane, pytest.mark.postgres]


@pytest.fixture
def name() -> str:
    return f"w{uuid.uuid4().hex[:6]}"


async def converged(plane: ControlPlane, namespace: str, name: str, operator: OperatorFactory,
                    postgres: PostgresServer) -> None:
    apply(plane, *go_operator_secrets(name, namespace, postgres))
    apply(plane, sample_site(name, namespace))
    await operator([setup_operator], namespaces=namespace)
    await until(lambda: ((get(plane, "workbench", name, namespace) or {}).get("status") or {}).get("ready"),
                timeout=150, what="Workbench to be ready")


def can(plane: ControlPlane, account: str, verb: str, resource: str, namespace: str) -> bool:
    result = plane.kubectl("auth", "can-i", verb, resource, "-n", namespace,
                           f"--as=system:serviceaccount:{namespace}:{account}", check=False)
    return result.stdout.strip() == "yes"


def session_job(plane: ControlPlane, name: str, namespace: str) -> dict[str, Any]:
    """The Job the launcher would start, built from the session data the operator rendered for its templates."""
    templates = get(plane, "configmap", f"{name}-workbench-templates", namespace) or {}
    text = templates["data"]["rstudio-library-templates-data.tpl"]
    data = json.loads(next(line for line in text.splitlines() if line.startswith("{\"")))
    pod = data["pod"]
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "session-alice", "namespace": namespace, "labels": data["job"]["labels"]},
        "spec": {
            "backoffLimit": 0,
            "template": {
                "metadata": {"labels": pod["labels"]},
                "spec": {
                    "restartPolicy": "Never",
                    "serviceAccountName": pod["serviceAccountName"],
                    "imagePullSecrets": pod.get("imagePullSecrets", []),
                    "volumes": pod["volumes"],
                    "containers": [{"name": "rsession", "image": "ghcr.io/rstudio/r-session-complete:jammy",
                                    "volumeMounts": pod["volumeMounts"]}],
                },
            },
        },
    }


async def test_the_launcher_may_run_sessions_and_nothing_more(
    controlplane: ControlPlane, namespace: str, name: str, operator: OperatorFactory, postgres: PostgresServer,
) -> None:
    await converged(controlplane, namespace, name, operator, postgres)
    launcher = f"{name}-workbench"

    for verb, resource in (("create", "jobs"), ("delete", "jobs"), ("watch", "pods"), ("create", "services"),
                           ("get", "pods/log"), ("watch", "events")):
        assert can(controlplane, launcher, verb, resource, namespace), f"launcher cannot {verb} {resource}"
    for verb, resource in (("get", "secrets"), ("list", "secrets"), ("create", "deployments"),
                           ("create", "roles"), ("update", "configmaps")):
        assert not can(controlplane, launcher, verb, resource, namespace), f"launcher may {verb} {resource}"
    assert not can(controlplane, launcher, "create", "jobs", "default")
    assert not can(controlplane, f"{name}-workbench-session", "create", "jobs", namespace)


async def test_a_session_job_started_as_the_launcher_runs_and_mounts_the_home_claim(
    controlplane: ControlPlane, namespace: str, name: str, operator: OperatorFactory, postgres: PostgresServer,
) -> None:
    await converged(controlplane, namespace, name, operator, postgres)
    job = session_job(controlplane, name, namespace)

    controlplane.kubectl("create", "-f", "-", f"--as=system:serviceaccount:{namespace}:{name}-workbench",
                         input=json.dumps(job))

    def running_pod() -> dict[str, Any] | None:
        pods = json.loads(controlplane.kubectl("get", "pods", "-n", namespace, "-l", "job-name=session-alice",
                                               "-o", "json").stdout)["items"]
        # kwok plays a session that starts and ends at once: Succeeded means it ran
        return next((p for p in pods if p["status"].get("phase") in ("Running", "Succeeded")), None)

    try:
        pod = await until(running_pod, timeout=60, what="the session pod to run")
    except AssertionError:
        described = controlplane.kubectl("describe", "job,pods", "-n", namespace, "-l", "job-name=session-alice",
                                         check=False).stdout
        events = controlplane.kubectl("get", "events", "-n", namespace, check=False).stdout
        raise AssertionError(f"the session pod did not run:\n{described}\n{events[-3000:]}") from None
    assert pod["spec"]["nodeName"].startswith("kwok-node-")
    claims = {v["persistentVolumeClaim"]["claimName"]: v["name"] for v in pod["spec"]["volumes"]
              if "persistentVolumeClaim" in v}
    mounts = {m["name"]: m["mountPath"] for m in pod["spec"]["containers"][0]["volumeMounts"]}
    assert mounts[claims[f"{name}-workbench"]] == "/home"


async def test_changing_admin_groups_rolls_the_workbench_server(
    controlplane: ControlPlane, namespace: str, name: str, operator: OperatorFactory, postgres: PostgresServer,
) -> None:
    await converged(controlplane, namespace, name, operator, postgres)

    def replica_sets() -> set[str]:
        items = json.loads(controlplane.kubectl("get", "replicasets", "-n", namespace, "-l",
                                                f"app.kubernetes.io/instance={name}-workbench", "-o",
                                                "json").stdout)["items"]
        return {item["metadata"]["name"] for item in items}

    before = replica_sets()
    controlplane.kubectl("patch", "site", name, "-n", namespace, "--type=merge", "-p",
                         '{"spec": {"workbench": {"adminGroups": ["platform-admins"]}}}')

    await until(lambda: len(replica_sets() - before) == 1, timeout=60, what="a new ReplicaSet for Workbench")
    config = (get(controlplane, "configmap", f"{name}-workbench", namespace) or {})["data"]["rserver.conf"]
    assert "admin-group=platform-admins" in config
