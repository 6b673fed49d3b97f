"""The test control plane is a real cluster: Deployments run pods on a kwok node, the garbage collector and the
namespace controller clean up, CRDs work, and volumes get provisioned."""

from __future__ import annotations

import json
import os
import uuid
from typing import Any

import pytest
from kubernetes_asyncio import client, config, watch

from teamop.testing.controlplane import ControlPlane
from teamop.testing.wait import eventually

pytestmark = pytest.mark.controlplane


def get_json(plane: ControlPlane, *args: str) -> Any:
    return json.loads(plane.kubectl("get", *args, "-o", "json").stdout)


def running_ready_pods(plane: ControlPlane, namespace: str, selector: str) -> int:
    pods = get_json(plane, "pods", "-n", namespace, "-l", selector)["items"]
    ready = 0
    for pod in pods:
        conditions = {c["type"]: c["status"] for c in pod["status"].get("conditions", [])}
        if pod["status"].get("phase") == "Running" and conditions.get("Ready") == "True":
            ready += 1
    return ready


def test_deployment_pods_run_on_the_kwok_node_and_scale(controlplane: ControlPlane, namespace: str) -> None:
    controlplane.kubectl("create", "deployment", "web", "--image=nginx", "-n", namespace)

    eventually(lambda: running_ready_pods(controlplane, namespace, "app=web") == 1, timeout=60,
               what="one Running and Ready pod")
    pod = get_json(controlplane, "pods", "-n", namespace, "-l", "app=web")["items"][0]
    assert pod["spec"]["nodeName"].startswith("kwok-node-")

    controlplane.kubectl("scale", "deployment", "web", "--replicas=3", "-n", namespace)
    eventually(lambda: running_ready_pods(controlplane, namespace, "app=web") == 3, timeout=60,
               what="three Running and Ready pods")


def test_deleting_a_deployment_removes_its_replicaset_and_pods(controlplane: ControlPlane, namespace: str) -> None:
    controlplane.kubectl("create", "deployment", "gone", "--image=nginx", "--replicas=2", "-n", namespace)
    eventually(lambda: running_ready_pods(controlplane, namespace, "app=gone") == 2, timeout=60)

    controlplane.kubectl("delete", "deployment", "gone", "--cascade=background", "-n", namespace)

    eventually(lambda: not get_json(controlplane, "replicasets", "-n", namespace, "-l", "app=gone")["items"],
               timeout=60, what="the ReplicaSet to be garbage-collected")
    eventually(lambda: not get_json(controlplane, "pods", "-n", namespace, "-l", "app=gone")["items"],
               timeout=60, what="the pods to be garbage-collected")


def created_by_the_controller_manager(plane: ControlPlane) -> float:
    """Requests kube-controller-manager's clients made that the API server answered 201 Created, per its /metrics."""
    lines = plane.controller_manager_metrics().splitlines()
    return sum(float(line.rsplit(" ", 1)[1]) for line in lines
               if line.startswith("rest_client_requests_total{") and 'code="201"' in line and 'method="POST"' in line)


def test_the_controller_manager_serves_the_requests_of_its_controllers_as_metrics(
    controlplane: ControlPlane, namespace: str
) -> None:
    before = created_by_the_controller_manager(controlplane)
    controlplane.kubectl("create", "deployment", "counted", "--image=nginx", "-n", namespace)

    # at least the ReplicaSet and its pod
    eventually(lambda: created_by_the_controller_manager(controlplane) >= before + 2, timeout=60,
               what="kube-controller-manager's metrics to count the ReplicaSet and the pod it created")


def test_deleting_a_namespace_removes_what_is_in_it(controlplane: ControlPlane) -> None:
    doomed = f"doomed-{uuid.uuid4().hex[:6]}"
    controlplane.kubectl("create", "namespace", doomed)
    controlplane.kubectl("create", "configmap", "settings", "--from-literal=a=b", "-n", doomed)

    controlplane.kubectl("delete", "namespace", doomed, "--wait=false")

    def namespace_gone() -> bool:
        return controlplane.kubectl("get", "namespace", doomed, check=False).returncode != 0

    eventually(namespace_gone, timeout=60, what=f"namespace {doomed} to be deleted")
    assert controlplane.kubectl("get", "configmap", "settings", "-n", doomed, check=False).returncode != 0


def test_a_pending_claim_gets_a_volume_and_a_pod_using_it_runs(controlplane: ControlPlane, namespace: str) -> None:
    claim = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "data", "namespace": namespace},
        "spec": {"accessModes": ["ReadWriteMany"], "resources": {"requests": {"storage": "1Gi"}}},
    }
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "user", "namespace": namespace, "labels": {"app": "user"}},
        "spec": {
            "containers": [{"name": "c", "image": "busybox", "volumeMounts": [{"name": "d", "mountPath": "/d"}]}],
            "volumes": [{"name": "d", "persistentVolumeClaim": {"claimName": "data"}}],
        },
    }
    controlplane.kubectl("apply", "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "List",
                                                               "items": [claim, pod]}))

    eventually(lambda: get_json(controlplane, "pvc", "data", "-n", namespace)["status"].get("phase") == "Bound",
               timeout=60, what="the claim to be Bound")
    eventually(lambda: running_ready_pods(controlplane, namespace, "app=user") == 1, timeout=60)


WIDGET_CRD = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gadgets.foundation.teamop.test
spec:
  group: foundation.teamop.test
  names: {kind: Gadget, plural: gadgets, singular: gadget, listKind: GadgetList}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer}
"""


async def test_a_crd_becomes_established_and_its_objects_can_be_created_listed_and_watched(
    controlplane: ControlPlane, namespace: str
) -> None:
    controlplane.kubectl("apply", "-f", "-", input=WIDGET_CRD)
    controlplane.kubectl("wait", "--for=condition=Established", "--timeout=60s",
                         "crd/gadgets.foundation.teamop.test")

    api = await config.new_client_from_config(config_file=os.fspath(controlplane.kubeconfig))
    async with api:
        objects = client.CustomObjectsApi(api)
        group, version, plural = "foundation.teamop.test", "v1", "gadgets"
        await objects.create_namespaced_custom_object(
            group, version, namespace, plural,
            {"apiVersion": f"{group}/{version}", "kind": "Gadget", "metadata": {"name": "one"}, "spec": {"size": 1}},
        )
        listed = await objects.list_namespaced_custom_object(group, version, namespace, plural)
        assert [item["metadata"]["name"] for item in listed["items"]] == ["one"]

        await objects.create_namespaced_custom_object(
            group, version, namespace, plural,
            {"apiVersion": f"{group}/{version}", "kind": "Gadget", "metadata": {"name": "two"}, "spec": {"size": 2}},
        )
        seen: list[tuple[str, str]] = []
        stream = watch.Watch().stream(
            objects.list_namespaced_custom_object, group, version, namespace, plural,
            resource_version=listed["metadata"]["resourceVersion"], timeout_seconds=10,
        )
        async for event in stream:
            seen.append((event["type"], event["object"]["metadata"]["name"]))
            break
        assert seen == [("ADDED", "two")]
