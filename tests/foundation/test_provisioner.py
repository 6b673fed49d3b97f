"""The test volume provisioner (`teamop.testing.provisioner`) reacts to claims through a watch: a claim created
after it started is bound without the provisioner listing anything again."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from pathlib import Path

import pytest

from teamop.runtime.client import Client
from teamop.testing.controlplane import ControlPlane
from teamop.testing.provisioner import Provisioner
from teamop.testing.wait import until

pytestmark = pytest.mark.controlplane


def claim_phase(controlplane: ControlPlane, name: str, namespace: str) -> str | None:
    result = controlplane.kubectl("get", "pvc", name, "-n", namespace, "-o", "json", check=False)
    return (json.loads(result.stdout).get("status") or {}).get("phase") if result.returncode == 0 else None


async def test_a_claim_created_after_the_provisioner_started_is_bound_without_a_list(
    controlplane: ControlPlane, namespace: str, tmp_path: Path
) -> None:
    # A class of this test's own: the control plane's provisioner (class "standard") leaves the claim to ours.
    storage_class = f"watch-{uuid.uuid4().hex[:6]}"
    client = await Client.from_kubeconfig(str(controlplane.kubeconfig))
    provisioner = Provisioner(client, storage_class, str(tmp_path))
    running = asyncio.ensure_future(provisioner.run())
    try:
        await provisioner.volumes.wait_for_sync(30)
        await provisioner.claims.wait_for_sync(30)
        before = client.requests.snapshot()
        claim = {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                 "metadata": {"name": "data", "namespace": namespace},
                 "spec": {"storageClassName": storage_class, "accessModes": ["ReadWriteOnce"],
                          "resources": {"requests": {"storage": "1Gi"}}}}
        controlplane.kubectl("create", "-f", "-", input=json.dumps(claim))

        await until(lambda: claim_phase(controlplane, "data", namespace) == "Bound", timeout=60,
                    what="the claim bound")
        made = client.requests.snapshot() - before
        assert made.verb("list") == 0
        assert made.verb("create", "persistentvolumes") == 1
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
        await client.close()
