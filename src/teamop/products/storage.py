"""The PersistentVolumeClaims products keep their data on (COMPAT.md "Storage").

Interface (stable):

- `data_claim(site, namespace, component, volume, name=None, default_size=DEFAULT_VOLUME_SIZE,
  size_without_volume=DEFAULT_DATA_SIZE, default_access_modes=("ReadWriteOnce",)) -> DataClaim` — which claim
  the workload mounts and the PVC to create, if any. A `volume` naming an existing claim (`pvcName`, `create` not
  true) creates nothing. Otherwise a PVC `<site>-<component>` (or `name`) is created from the volume's size
  (`default_size` when it has none, as the reference), access modes, storage class and volume name — and with no
  `volume` at all, one of `size_without_volume` from the cluster's default storage class (the Go operator
  crashes there; COMPAT.md).
- `additional_claims(site, namespace, component, volumes, default_access_modes=("ReadWriteOnce",))` — the PVCs
  of the additional volumes marked `create`, except the Site's shared directory `<site>-shared`
  (`site_shared_claim`), which the Site creates.
- `claim(site, namespace, component, name, size, access_modes, storage_class=None, volume_name=None)` — a PVC.
- `claim_volume(volume_name, claim_name, read_only=False)` — the pod volume mounting a claim.
- `additional_volume_parts(volumes)` — the pod volumes and mounts of a product's additional volumes, each named
  after its claim as the reference names them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from teamop.api.v1beta1.common import VolumeSpec
from teamop.products.naming import child_name, component_labels
from teamop.products.objects import metadata
from teamop.products.workload import PodParts

DEFAULT_DATA_SIZE = "10Gi"
"""A product's data claim when its resource has no `volume` at all."""
DEFAULT_VOLUME_SIZE = "2Gi"
"""A `volume` without a size: the reference's default for Connect, Workbench and Package Manager."""
ADDITIONAL_VOLUME_SIZE = "10Gi"
"""An additional volume without a size, as the reference."""


@dataclass(frozen=True)
class DataClaim:
    claim_name: str
    pvc: dict[str, Any] | None
    """The PVC to create; None when the claim already exists."""


def claim(
    site: str,
    namespace: str,
    component: str,
    name: str,
    *,
    size: str,
    access_modes: Sequence[str],
    storage_class: str | None = None,
    volume_name: str | None = None,
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "accessModes": list(access_modes),
        "resources": {"requests": {"storage": size}},
        "volumeMode": "Filesystem",
    }
    if storage_class:
        spec["storageClassName"] = storage_class
    if volume_name:
        spec["volumeName"] = volume_name
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": metadata(name, namespace, component_labels(site, component)),
        "spec": spec,
    }


def data_claim(
    site: str,
    namespace: str,
    component: str,
    volume: VolumeSpec | None,
    *,
    name: str | None = None,
    default_size: str = DEFAULT_VOLUME_SIZE,
    size_without_volume: str = DEFAULT_DATA_SIZE,
    default_access_modes: Sequence[str] = ("ReadWriteOnce",),
) -> DataClaim:
    claim_name = name or child_name(site, component)
    if volume is not None and volume.pvc_name and volume.create is not True:
        return DataClaim(claim_name=volume.pvc_name, pvc=None)
    size = (volume.size or default_size) if volume is not None else size_without_volume
    volume = volume or VolumeSpec()
    pvc = claim(
        site,
        namespace,
        component,
        claim_name,
        size=size,
        access_modes=volume.access_modes or default_access_modes,
        storage_class=volume.storage_class_name,
        volume_name=volume.volume_name,
    )
    return DataClaim(claim_name=claim_name, pvc=pvc)


def site_shared_claim(site: str) -> str:
    """The claim of the Site's shared directory, created by the Site (never by a product that mounts it)."""
    return f"{site}-shared"


def additional_claims(
    site: str,
    namespace: str,
    component: str,
    volumes: Sequence[VolumeSpec],
    *,
    default_access_modes: Sequence[str] = ("ReadWriteOnce",),
) -> list[dict[str, Any]]:
    return [
        claim(
            site,
            namespace,
            component,
            volume.pvc_name,
            size=volume.size or ADDITIONAL_VOLUME_SIZE,
            access_modes=volume.access_modes or default_access_modes,
            storage_class=volume.storage_class_name,
            volume_name=volume.volume_name,
        )
        for volume in volumes
        if volume.create and volume.pvc_name and volume.pvc_name != site_shared_claim(site)
    ]


def claim_volume(volume_name: str, claim_name: str, *, read_only: bool = False) -> dict[str, Any]:
    source: dict[str, Any] = {"claimName": claim_name}
    if read_only:
        source["readOnly"] = True
    return {"name": volume_name, "persistentVolumeClaim": source}


def additional_volume_parts(volumes: Sequence[VolumeSpec]) -> PodParts:
    """Each additional volume mounted at its `mountPath`; the pod volume is named after the claim (the Go
    operator's name, so a taken-over pod template keeps its volume names)."""
    parts = PodParts()
    for volume in volumes:
        if not volume.pvc_name or not volume.mount_path:
            raise ValueError("additionalVolumes: every volume needs pvcName and mountPath")
        read_only = bool(volume.read_only)
        parts.volumes.append(claim_volume(volume.pvc_name, volume.pvc_name, read_only=read_only))
        mount: dict[str, Any] = {"name": volume.pvc_name, "mountPath": volume.mount_path}
        if read_only:
            mount["readOnly"] = True
        parts.mounts.append(mount)
    return parts
