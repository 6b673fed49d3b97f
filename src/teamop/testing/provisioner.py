"""A stand-in dynamic volume provisioner for the local control plane.

Every Pending PersistentVolumeClaim of the given storage class (or of no class) gets a hostPath
PersistentVolume bound to it, as a cloud provisioner would, so that pods mounting claims get scheduled. Claims
of other classes stay Pending, as on a real cluster without that class. Released volumes are deleted.

It reacts to watch events (teamop's own informers on claims and on the volumes it made): a claim is provisioned
the moment it is seen, and nothing is listed again while nothing changes. A create that fails is retried with a
backoff; a volume already made for a claim (by an earlier run, or a create whose answer was lost) is not made
again.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from typing import Any

from teamop.runtime.client import Client
from teamop.runtime.errors import AlreadyExists, NotFound
from teamop.runtime.informer import FuncHandler, Informer
from teamop.runtime.kinds import GVK
from teamop.runtime.store import Obj

PROVISIONED_LABEL = "teamop.test/provisioned"
CLAIM = GVK("", "v1", "PersistentVolumeClaim")
VOLUME = GVK("", "v1", "PersistentVolume")
FIRST_RETRY_SECONDS = 0.5
MAX_RETRY_SECONDS = 30.0


def volume_for(claim: Obj, storage_class: str, root: str) -> dict[str, Any] | None:
    """The PersistentVolume to create for `claim`, or None when it is not ours to provision."""
    spec = claim.get("spec") or {}
    meta = claim["metadata"]
    if (claim.get("status") or {}).get("phase") != "Pending" or spec.get("volumeName"):
        return None
    if meta.get("deletionTimestamp"):
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
            "accessModes": list(spec.get("accessModes") or ["ReadWriteOnce"]),
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


class Provisioner:
    """Creates a volume for each claim it is told of, and deletes released volumes it made."""

    def __init__(self, client: Client, storage_class: str, root: str) -> None:
        self.client = client
        self.storage_class = storage_class
        self.root = root
        self.claims = Informer(client, CLAIM)
        self.volumes = Informer(client, VOLUME, label_selector=f"{PROVISIONED_LABEL}=true")
        self._busy: set[str] = set()  # volume names being created or deleted now
        self._failures: dict[str, int] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    async def run(self) -> None:
        self.volumes.add_handler(FuncHandler(on_add=self._volume_seen, on_update=lambda _, new: self._volume_seen(new)))
        self.claims.add_handler(FuncHandler(on_add=self._claim_seen, on_update=lambda _, new: self._claim_seen(new)))
        self.volumes.start()
        await self.volumes.wait_for_sync()  # volumes first: a claim seen at start may already have its volume
        self.claims.start()
        try:
            await asyncio.Event().wait()
        finally:
            await asyncio.gather(self.claims.stop(), self.volumes.stop())

    def _claim_seen(self, claim: Obj) -> None:
        volume = volume_for(claim, self.storage_class, self.root)
        if volume is None:
            return
        name = volume["metadata"]["name"]
        if name in self._busy or self.volumes.get(name) is not None:
            return
        self._start(name, self._create(volume))

    def _volume_seen(self, volume: Obj) -> None:
        name = volume["metadata"]["name"]
        if (volume.get("status") or {}).get("phase") == "Released" and name not in self._busy:
            self._start(name, self._delete(name))

    def _start(self, name: str, work: Any) -> None:
        self._busy.add(name)
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _create(self, volume: dict[str, Any]) -> None:
        name = volume["metadata"]["name"]
        claim_ref = volume["spec"]["claimRef"]
        try:
            await self.client.create(volume)
            print(f"provisioned {name} for {claim_ref['namespace']}/{claim_ref['name']}", flush=True)
        except AlreadyExists:
            pass
        except Exception as error:
            self._retry_later(name, error, lambda: self._claim_again(claim_ref))
            return
        finally:
            self._busy.discard(name)
        self._failures.pop(name, None)

    async def _delete(self, name: str) -> None:
        try:
            await self.client.delete(VOLUME, name)
        except NotFound:
            pass
        except Exception as error:
            self._retry_later(name, error, lambda: self._volume_again(name))
            return
        finally:
            self._busy.discard(name)
        self._failures.pop(name, None)

    def _retry_later(self, name: str, error: Exception, again: Any) -> None:
        failures = self._failures.get(name, 0)
        self._failures[name] = failures + 1
        delay = min(FIRST_RETRY_SECONDS * 2**failures, MAX_RETRY_SECONDS)
        print(f"provisioner: {name}: {type(error).__name__}: {error}; again in {delay:g} s", flush=True)
        asyncio.get_running_loop().call_later(delay, again)

    def _claim_again(self, claim_ref: dict[str, Any]) -> None:
        claim = self.claims.get(claim_ref["name"], claim_ref["namespace"])
        if claim is not None and claim["metadata"].get("uid") == claim_ref["uid"]:
            self._claim_seen(claim)

    def _volume_again(self, name: str) -> None:
        volume = self.volumes.get(name)
        if volume is not None:
            self._volume_seen(volume)


async def run(kubeconfig: str, storage_class: str, root: str) -> None:
    client = await Client.from_kubeconfig(kubeconfig, field_manager="teamop-test-provisioner")
    try:
        await Provisioner(client, storage_class, root).run()
    finally:
        await client.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m teamop.testing.provisioner", description=__doc__)
    parser.add_argument("--kubeconfig", required=True)
    parser.add_argument("--storage-class", default="standard")
    parser.add_argument("--root", default="/tmp/teamop-volumes")
    args = parser.parse_args(argv)
    asyncio.run(run(args.kubeconfig, args.storage_class, args.root))
    return 0


if __name__ == "__main__":
    sys.exit(main())
