"""On the real API server: children written together still land in an order the server accepts — a Role before
the RoleBinding that names it, for a writer without the `bind` right (as the operator's ServiceAccount is)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from teamop.runtime import errors
from teamop.runtime.apply import Applier
from teamop.runtime.client import Client
from teamop.runtime.kinds import GVK
from teamop.testing.controlplane import ControlPlane
from teamop.testing.kubeconfig import write_impersonating_kubeconfig
from teamop.testing.wait import eventually_async

pytestmark = pytest.mark.controlplane


class NothingCached:
    """A cache that has seen nothing yet: every child is written."""

    async def get(self, gvk: GVK, name: str, namespace: str | None) -> Mapping[str, Any] | None:
        return None

    async def controlled_by(self, gvk: GVK, owner_uid: str) -> list[Mapping[str, Any]]:
        return []


def role() -> dict[str, Any]:
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "reader"},
            "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}]}


def binding() -> dict[str, Any]:
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "reader"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"},
            "subjects": [{"kind": "ServiceAccount", "name": "default"}]}


@pytest.fixture
async def writer(controlplane: ControlPlane, namespace: str, tmp_path: Path) -> AsyncIterator[Client]:
    """A user who may write Roles and RoleBindings and read ConfigMaps here, but has no `bind` right (and may set
    the finalizers of ConfigMaps, which an ownerReference that blocks its owner's deletion needs)."""
    controlplane.kubectl("create", "role", "writer", "-n", namespace, "--verb=get,create,patch",
                         "--resource=roles,rolebindings,configmaps")
    controlplane.kubectl("create", "role", "owner", "-n", namespace, "--verb=update",
                         "--resource=configmaps/finalizers")
    for role in ("writer", "owner"):
        controlplane.kubectl("create", "rolebinding", role, "-n", namespace, f"--role={role}", "--user=writer")
    kubeconfig = write_impersonating_kubeconfig(controlplane.kubeconfig, tmp_path / "writer", "writer")
    client = await Client.from_kubeconfig(str(kubeconfig), registry=CollectorRegistry())
    yield client
    await client.close()


async def test_a_binding_written_before_its_role_exists_is_refused(writer: Client, namespace: str) -> None:
    await eventually_async(lambda: writer.get(GVK("", "v1", "ConfigMap"), "kube-root-ca.crt", namespace),
                           timeout=10, what="the writer's rights to take effect")
    with pytest.raises(errors.ApiError) as refused:
        await writer.apply({**binding(), "metadata": {"name": "reader", "namespace": namespace}})
    assert refused.value.status in (403, 404)  # the escalation check cannot find the role it would compare


async def test_a_role_and_its_binding_desired_together_are_written_even_when_the_binding_comes_first(
    writer: Client, controlplane: ControlPlane, namespace: str
) -> None:
    await eventually_async(lambda: writer.get(GVK("", "v1", "ConfigMap"), "kube-root-ca.crt", namespace),
                           timeout=10, what="the writer's rights to take effect")
    owner = await writer.apply({"apiVersion": "v1", "kind": "ConfigMap",
                                "metadata": {"name": "owner", "namespace": namespace}})
    applier = Applier(writer, NothingCached(), max_parallel=8)

    report = await applier.ensure_children(owner, [binding(), role()], owned_kinds=())

    assert sorted(report.created) == [f"Role {namespace}/reader", f"RoleBinding {namespace}/reader"]
    bound = controlplane.kubectl("get", "rolebinding", "reader", "-n", namespace, "-o",
                                 "jsonpath={.roleRef.name}").stdout
    assert bound == "reader"
