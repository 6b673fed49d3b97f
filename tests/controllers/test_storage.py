"""A Site with an NFS volume source, every controller running against the real API server: the Go operator's
PersistentVolumes, the products' claims bound to them by name, and no volume left once the Site is deleted."""

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

NFS_SERVER = "nfs.example.test"


@pytest.fixture
def name() -> str:
    return f"v{uuid.uuid4().hex[:6]}"


def nfs_site(name: str, namespace: str) -> dict[str, Any]:
    site = sample_site(name, namespace)
    site["spec"]["volumeSource"] = {"type": "nfs", "dnsName": NFS_SERVER}
    site["spec"]["sharedDirectory"] = "team"
    return site


def volume_paths(plane: ControlPlane, site: str) -> dict[str, str]:
    """The Site's PersistentVolumes (by its label) and where each is on the NFS server."""
    listed = plane.kubectl("get", "persistentvolumes", "-l", f"posit.team/site={site}", "-o", "json").stdout
    return {pv["metadata"]["name"]: pv["spec"]["nfs"]["path"] for pv in json.loads(listed)["items"]}


def claim_volume(plane: ControlPlane, claim: str, namespace: str) -> str | None:
    """The volume a claim is bound to, once it is Bound."""
    pvc = get(plane, "persistentvolumeclaim", claim, namespace)
    if pvc is None or (pvc.get("status") or {}).get("phase") != "Bound":
        return None
    return str(pvc["spec"]["volumeName"])


async def test_an_nfs_sites_claims_bind_its_volumes_by_name_and_deleting_the_site_removes_the_volumes(
    controlplane: ControlPlane, namespace: str, name: str, operator: OperatorFactory, postgres: PostgresServer,
) -> None:
    apply(controlplane, *go_operator_secrets(name, namespace, postgres))
    apply(controlplane, nfs_site(name, namespace))
    await operator([setup_operator], namespaces=namespace)

    volumes = {
        name: "/",
        f"{name}-connect": f"/{name}/connect",
        f"{name}-workbench": f"/{name}/workbench",
        f"{name}-workbench-shared-storage": f"/{name}/workbench-shared-storage",
        f"{name}-shared": f"/{name}/shared",
    }
    await until(lambda: volume_paths(controlplane, name) == volumes, timeout=60, what="the Site's volumes")
    # claim -> the volume it must be bound to: the products' own, the shared directory, the subdirectory Job's
    bindings = {f"{name}-connect": f"{name}-connect", f"{name}-workbench": f"{name}-workbench",
                f"{name}-workbench-shared-storage": f"{name}-workbench-shared-storage",
                f"{name}-shared": f"{name}-shared", f"{name}-subdir": name}
    await until(lambda: {claim: claim_volume(controlplane, claim, namespace) for claim in bindings} == bindings,
                timeout=90, what="every claim bound to its volume")

    controlplane.kubectl("delete", "site", name, "-n", namespace, "--wait=false")
    await until(lambda: volume_paths(controlplane, name) == {}, timeout=120, what="the Site's volumes to be deleted")
