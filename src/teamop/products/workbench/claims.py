"""Workbench's PersistentVolumeClaims: home directories `<site>-workbench`, shared storage
`<site>-workbench-shared-storage` (at any replica count, COMPAT.md) and additional volumes marked `create`.

All are ReadWriteMany: the server replicas and every session pod mount them at once.

Where the shared storage comes from follows the home volume, which the Site controller fills in from the Site's
`volumeSource`: a home volume bound to a pre-made PV (`volumeName`) means the Site made a PV for the shared
storage too, named after the claim, with the storage class convention of the home PV: its own name for FSx's
static PVs (home class = home PV name), `<pv>-nfs` otherwise (as the reference); a home volume on a named storage
class puts the shared storage on that class; otherwise both come from the cluster's default class.

The Site's shared directory `<site>-shared`, an additional volume marked `create`, is created by the Site.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from teamop.api.v1beta1.workbench import WorkbenchSpec
from teamop.products.storage import additional_claims, claim, data_claim
from teamop.products.workbench import names
from teamop.products.workbench.names import COMPONENT
from teamop.products.workbench.volumes import Claims

READ_WRITE_MANY = ("ReadWriteMany",)
HOME_DEFAULT_SIZE = "2Gi"
SHARED_STORAGE_SIZE = "10Gi"


@dataclass
class WorkbenchClaims:
    mounted: Claims
    pvcs: list[dict[str, Any]] = field(default_factory=list)
    """The claims to create."""


def workbench_claims(spec: WorkbenchSpec, site: str, namespace: str) -> WorkbenchClaims:
    home = data_claim(
        site,
        namespace,
        COMPONENT,
        spec.volume,
        default_size=HOME_DEFAULT_SIZE,
        size_without_volume=HOME_DEFAULT_SIZE,
        default_access_modes=READ_WRITE_MANY,
    )
    pvcs = [home.pvc] if home.pvc is not None else []
    pvcs.append(_shared_storage_claim(spec, site, namespace))
    pvcs += additional_claims(
        site, namespace, COMPONENT, spec.additional_volumes or (), default_access_modes=READ_WRITE_MANY
    )
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
        volume_name = name
        storage_class = name if home.storage_class_name == home.volume_name else f"{name}-nfs"
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
