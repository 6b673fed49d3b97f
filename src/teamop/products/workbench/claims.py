"""Workbench's PersistentVolumeClaims: home directories `<site>-workbench`, shared storage
`<site>-workbench-shared-storage` (at any replica count, COMPAT.md) and additional volumes marked `create`.

All are ReadWriteMany: the server replicas and every session pod mount them at once.

Where the shared storage comes from follows the home volume, which the Site controller fills in from the Site's
`volumeSource`: a home volume bound to a pre-made PV (`volumeName`, NFS) means the Site made a PV for the
shared storage too, named after the claim with storage class `<pv>-nfs`; a home volume on a named storage class
(FSx, Azure NetApp) puts the shared storage on that class; otherwise both come from the cluster's default class.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from teamop.api.v1beta1.workbench import WorkbenchSpec
from teamop.products.storage import claim, data_claim
from teamop.products.workbench import names
from teamop.products.workbench.names import COMPONENT
from teamop.products.workbench.volumes import Claims

READ_WRITE_MANY = ("ReadWriteMany",)
HOME_DEFAULT_SIZE = "2Gi"
SHARED_STORAGE_SIZE = "10Gi"
ADDITIONAL_DEFAULT_SIZE = "10Gi"


@dataclass
class WorkbenchClaims:
    mounted: Claims
    pvcs: list[dict[str, Any]] = field(default_factory=list)
    """The claims to create."""


def workbench_claims(spec: WorkbenchSpec, site: str, namespace: str) -> WorkbenchClaims:
    home = data_claim(
        site, namespace, COMPONENT, spec.volume, default_size=HOME_DEFAULT_SIZE, default_access_modes=READ_WRITE_MANY
    )
    pvcs = [home.pvc] if home.pvc is not None else []
    pvcs.append(_shared_storage_claim(spec, site, namespace))
    for volume in spec.additional_volumes or []:
        if volume.create and volume.pvc_name:
            extra = data_claim(
                site,
                namespace,
                COMPONENT,
                volume,
                name=volume.pvc_name,
                default_size=ADDITIONAL_DEFAULT_SIZE,
                default_access_modes=READ_WRITE_MANY,
            )
            if extra.pvc is not None:
                pvcs.append(extra.pvc)
    mounted = Claims(
        home=home.claim_name,
        shared_storage=names.shared_storage(site),
        additional=tuple(spec.additional_volumes or ()),
    )
    return WorkbenchClaims(mounted=mounted, pvcs=pvcs)


def _shared_storage_claim(spec: WorkbenchSpec, site: str, namespace: str) -> dict[str, Any]:
    name = names.shared_storage(site)
    home = spec.volume
    storage_class: str | None = None
    volume_name: str | None = None
    if home is not None and home.volume_name:
        storage_class, volume_name = f"{name}-nfs", name
    elif home is not None and home.storage_class_name:
        storage_class = home.storage_class_name
    return claim(
        site,
        namespace,
        COMPONENT,
        name,
        size=SHARED_STORAGE_SIZE,
        access_modes=READ_WRITE_MANY,
        storage_class=storage_class,
        volume_name=volume_name,
    )
