"""A stand-in dynamic volume provisioner for the local control plane.

Every Pending PersistentVolumeClaim of the given storage class (or of no class) gets a hostPath
PersistentVolume bound to it, as a cloud provisioner would, so that pods mounting claims get scheduled. Claims
of other classes stay Pending, as on a real cluster without that class. Released volumes are deleted.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from typing import Any

from kubernetes_asyncio import client, config

PROVISIONED_LABEL = "teamop.test/provisioned"


def volume_for(claim: dict[str, Any], storage_class: str, root: str) -> dict[str, Any] | None:
    """The PersistentVolume to create for `claim`, or None when it is not ours to provision."""
    spec = claim.get("spec") or {}
    meta = claim["metadata"]
    if (claim.get("status") or {}).get("phase") != "Pending" or spec.get("volumeName"):
        return None
    claim_class = spec.get("storageClassName")
    if claim_class not in (None, "", storage_class):
        return None
    size = ((spec.get("resources") or {}).get("requests") or {}).get("storage", "1Gi")
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {"name": f"pvc-{meta['uid']}", "labels": {PROVISIONED_LABEL: "true"}},
        "spec": {
            "capacity": {"storage": size},
            "accessModes": spec.get("accessModes") or ["ReadWriteOnce"],
            "storageClassName": claim_class or "",
            "persistentVolumeReclaimPolicy": "Retain",
            "volumeMode": spec.get("volumeMode") or "Filesystem",
            "hostPath": {"path": f"{root}/{meta['namespace']}-{meta['name']}", "type": "DirectoryOrCreate"},
            "claimRef": {
                "apiVersion": "v1",
                "kind": "PersistentVolumeClaim",
                "namespace": meta["namespace"],
                "name": meta["name"],
                "uid": meta["uid"],
            },
        },
    }


async def provision_once(api: client.ApiClient, storage_class: str, root: str) -> None:
    core = client.CoreV1Api(api)
    claims = await core.list_persistent_volume_claim_for_all_namespaces()
    for claim in claims.items:
        volume = volume_for(api.sanitize_for_serialization(claim), storage_class, root)
        if volume is not None:
            try:
                await core.create_persistent_volume(volume)  # type: ignore[arg-type]  # a dict body is sent as it is
                print(f"provisioned {volume['metadata']['name']} for "
                      f"{claim.metadata.namespace}/{claim.metadata.name}", flush=True)
            except client.ApiException as error:
                if error.status != 409:
                    raise
    volumes = await core.list_persistent_volume(label_selector=f"{PROVISIONED_LABEL}=true")
    for released in volumes.items:
        if released.status and released.status.phase == "Released":
            await core.delete_persistent_volume(released.metadata.name)


async def run(kubeconfig: str, storage_class: str, root: str, interval: float) -> None:
    api = await config.new_client_from_config(config_file=kubeconfig)
    async with api:
        while True:
            try:
                await provision_once(api, storage_class, root)
            except Exception as error:
                print(f"provisioner: {type(error).__name__}: {error}", flush=True)
            await asyncio.sleep(interval)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m teamop.testing.provisioner", description=__doc__)
    parser.add_argument("--kubeconfig", required=True)
    parser.add_argument("--storage-class", default="standard")
    parser.add_argument("--root", default="/tmp/teamop-volumes")
    parser.add_argument("--interval", type=float, default=1.0)
    args = parser.parse_args(argv)
    asyncio.run(run(args.kubeconfig, args.storage_class, args.root, args.interval))
    return 0


if __name__ == "__main__":
    sys.exit(main())
